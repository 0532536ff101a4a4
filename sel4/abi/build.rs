//! Generates the kernel's invocations, labels and numbers from the kernel tree that
//! `cargo xtask kernel` prepared (it sets the two variables below for every seL4-side build).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=CELLULOS_SEL4_SOURCE");
    println!("cargo:rerun-if-env-changed=CELLULOS_SEL4_AUTOCONF");
    let (Some(source), Some(autoconf)) =
        (std::env::var_os("CELLULOS_SEL4_SOURCE"), std::env::var_os("CELLULOS_SEL4_AUTOCONF"))
    else {
        eprintln!(
            "error: the sel4 crate needs the kernel tree: run `cargo xtask kernel` first \
             (seL4-side programs are built by `cargo xtask build|run|test`, which set \
             CELLULOS_SEL4_SOURCE and CELLULOS_SEL4_AUTOCONF)"
        );
        std::process::exit(1);
    };
    let (source, autoconf) = (PathBuf::from(source), PathBuf::from(autoconf));
    for file in [
        "libsel4/include/api/syscall.xml",
        "libsel4/include/interfaces/sel4.xml",
        "libsel4/sel4_arch_include/x86_64/interfaces/sel4arch.xml",
        "libsel4/arch_include/x86/interfaces/sel4arch.xml",
    ] {
        println!("cargo:rerun-if-changed={}", source.join(file).display());
    }
    println!("cargo:rerun-if-changed={}", autoconf.display());
    let abi = match sel4_gen::generate(&source, &autoconf) {
        Ok(abi) => abi,
        Err(e) => {
            eprintln!("error: generating the seL4 ABI: {e} (run `cargo xtask kernel` first)");
            std::process::exit(1);
        }
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("abi.rs");
    if let Err(e) = std::fs::write(&out, sel4_gen::rust::render(&abi)) {
        eprintln!("error: writing {}: {e}", out.display());
        std::process::exit(1);
    }
}
