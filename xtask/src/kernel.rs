//! `cargo xtask kernel`: seL4 5.0.0 from the crates.io crate `sel4-sys` 0.0.28 (fetched by
//! cargo, never built: its Rust needs a 2017 nightly), configured with `sel4/config/autoconf.h`,
//! fixed (gcc >= 10; 32-bit VM fault addresses), built with the kernel's own Kbuild Makefile, and cached.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{io, Error};
use crate::prereq::{self, run};

/// The crate that carries the kernel source, and its version.
const SOURCE_CRATE: &str = "sel4-sys";
const SOURCE_VERSION: &str = "0.0.28";

/// What a build leaves.
pub struct Kernel {
    /// The kernel tree the build used.
    pub source: PathBuf,
    /// `kernel.elf`.
    pub elf: PathBuf,
    /// `kernel32.elf`: QEMU's multiboot loader takes only 32-bit ELF.
    pub elf32: PathBuf,
}

/// FNV-1a-64, for the cache stamp (std's hasher may change between releases).
fn fnv(bytes: &[u8], mut hash: u64) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100_0000_01b3);
    }
    hash
}

/// Fetches `sel4-sys` with cargo and returns its `.crate` file.
fn fetch(work: &Path) -> Result<PathBuf, Error> {
    let dir = work.join("fetch");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let manifest = dir.join("Cargo.toml");
    let text = format!(
        "[package]\nname = \"sel4-kernel-source\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\npath = \"lib.rs\"\n\n[dependencies]\n{SOURCE_CRATE} = \"={SOURCE_VERSION}\"\n\n[workspace]\n"
    );
    std::fs::write(&manifest, text).map_err(io(&manifest))?;
    std::fs::write(dir.join("lib.rs"), "").map_err(io(dir.join("lib.rs")))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run("cargo fetch (sel4-sys 0.0.28)", Command::new(cargo).arg("fetch").arg("--manifest-path").arg(&manifest))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or_else(|| Error::Tree("neither CARGO_HOME nor HOME is set".into()))?;
    let cache = home.join("registry/cache");
    let file = format!("{SOURCE_CRATE}-{SOURCE_VERSION}.crate");
    std::fs::read_dir(&cache)
        .map_err(io(&cache))?
        .filter_map(|e| e.ok().map(|e| e.path().join(&file)))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::Tree(format!("cargo fetched {SOURCE_CRATE} but {file} is not under {}", cache.display())))
}

/// gcc >= 10 emits `# 0 "file"` line markers that crash `tools/circular_includes.py`:
/// skip depth-0 markers and guard the stack pop.
fn fix_circular_includes(tree: &Path) -> Result<(), Error> {
    let path = tree.join("tools/circular_includes.py");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    if text.contains("if depth == 0:") {
        return Ok(());
    }
    let (a, b) = ("        header = match.group(2)\n", "while file_stack[-1] != header:");
    if !text.contains(a) || !text.contains(b) {
        return Err(Error::Tree(format!("{}: not the 5.0 script this fix is for", path.display())));
    }
    let fixed = text
        .replacen(a, &format!("{a}        if depth == 0:\n            continue\n"), 1)
        .replace(b, "while file_stack and file_stack[-1] != header:");
    std::fs::write(&path, fixed).map_err(io(&path))
}

/// seL4 5.0's x86 `handleVMFault` keeps the fault address in a `uint32_t`, so a fault above
/// 4 GiB is reported at the wrong address (bit 39 of our thread windows vanished). Keep the
/// whole word; later seL4 releases declare it `vptr_t`.
fn fix_vm_fault_address(tree: &Path) -> Result<(), Error> {
    let path = tree.join("src/arch/x86/kernel/vspace.c");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    let (old, new) = (
        "    uint32_t addr;\n    uint32_t fault;\n\n    addr = getFaultAddr();",
        "    word_t addr;\n    uint32_t fault;\n\n    addr = getFaultAddr();",
    );
    if text.contains(new) {
        return Ok(());
    }
    if !text.contains(old) {
        return Err(Error::Tree(format!("{}: not the 5.0 handleVMFault this fix is for", path.display())));
    }
    std::fs::write(&path, text.replacen(old, new, 1)).map_err(io(&path))
}

/// Builds the kernel (see the module docs); skips the build when its inputs are unchanged.
pub fn build(root: &Path, tree: Option<&Path>, force: bool) -> Result<Kernel, Error> {
    let work = root.join("target/sel4");
    if let Some(tree) = tree {
        if !tree.join("Makefile").is_file() || !tree.join("libsel4").is_dir() {
            return Err(Error::Tree(format!(
                "{} is not a seL4 5.0.x Kbuild tree (no Makefile or libsel4/)",
                tree.display()
            )));
        }
    }
    prereq::ensure_tools()?;
    let venv_bin = prereq::venv(&work.join("venv"))?;

    // 1. The kernel source, unpacked (or copied) under target/ where we may change it.
    let (origin, source) = match tree {
        Some(tree) => {
            if !tree.join("Makefile").is_file() || !tree.join("libsel4").is_dir() {
                return Err(Error::Tree(format!(
                    "{} is not a seL4 5.0.x Kbuild tree (no Makefile or libsel4/)",
                    tree.display()
                )));
            }
            let copy = work.join("src-custom");
            let _ = std::fs::remove_dir_all(&copy);
            std::fs::create_dir_all(&copy).map_err(io(&copy))?;
            run("copy the kernel tree", Command::new("cp").arg("-r").arg(tree.join(".")).arg(&copy))?;
            (tree.display().to_string(), copy)
        }
        None => {
            let crate_file = fetch(&work)?;
            let src = work.join("src");
            let tree = src.join(format!("{SOURCE_CRATE}-{SOURCE_VERSION}/seL4"));
            if !tree.join("Makefile").is_file() {
                std::fs::create_dir_all(&src).map_err(io(&src))?;
                run("unpack sel4-sys", Command::new("tar").arg("-xzf").arg(&crate_file).arg("-C").arg(&src))?;
            }
            (crate_file.display().to_string(), tree)
        }
    };

    // 2. Our configuration and fix.
    let config_path = root.join("sel4/config/autoconf.h");
    let config = std::fs::read(&config_path).map_err(io(&config_path))?;
    let target = source.join("include/plat/pc99/autoconf.h");
    std::fs::write(&target, &config).map_err(io(&target))?;
    fix_circular_includes(&source)?;
    fix_vm_fault_address(&source)?;

    // 3. The cache: the same source, config and build recipe give the same kernel.
    let build = work.join("kbuild");
    let (elf, elf32) = (build.join("kernel.elf"), build.join("kernel32.elf"));
    let stamp_path = build.join("stamp");
    let stamp = format!("{:016x}", fnv(&config, fnv(origin.as_bytes(), fnv(b"xtask-kernel-2", 0xcbf2_9ce4_8422_2325))));
    if !force && elf32.is_file() && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return Ok(Kernel { source, elf, elf32 });
    }

    // 4. Build with the kernel's Makefile, in its own folder, logging everything.
    let _ = std::fs::remove_dir_all(&build);
    std::fs::create_dir_all(&build).map_err(io(&build))?;
    let log = build.join("build.log");
    let log_file = std::fs::File::create(&log).map_err(io(&log))?;
    let path = format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap_or_default());
    eprintln!("xtask: building seL4 5.0 (x86_64, pc99, debug) in {}", build.display());
    let status = Command::new("make")
        .arg("-f")
        .arg(source.join("Makefile"))
        .arg(format!("SOURCE_ROOT={}", source.display()))
        .args(["ARCH=x86", "SEL4_ARCH=x86_64", "PLAT=pc99", "PYTHON=python", "DEBUG=1"])
        // gcc 12 adds two warnings that the 2017 tree builds with -Werror.
        .env("CFLAGS", "-Wno-address-of-packed-member -Wno-array-bounds")
        .env("PATH", path)
        .current_dir(&build)
        .stdout(log_file.try_clone().map_err(io(&log))?)
        .stderr(log_file)
        .status()
        .map_err(io(&build))?;
    if !status.success() || !elf.is_file() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        return Err(Error::Command {
            what: "the kernel build".into(),
            log: Some(log),
            tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    run("objcopy to elf32-i386", Command::new("objcopy").args(["-O", "elf32-i386"]).arg(&elf).arg(&elf32))?;
    std::fs::write(&stamp_path, stamp).map_err(io(&stamp_path))?;
    Ok(Kernel { source, elf, elf32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two places of the 5.0 script the fix changes, as they stand in it.
    const SCRIPT: &str = "for line in f:\n    match = re.match(r'^# (\\d+) \"(.*)\"(.*)$', line)\n    if match:\n        depth = int(match.group(1))\n        header = match.group(2)\n        if '1' in match.group(3):\n            file_stack.append(header)\n        elif '2' in match.group(3):\n            while file_stack[-1] != header:\n                file_stack.pop()\n";

    fn tree_with(script: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-test-{}-{}", std::process::id(), fnv(script.as_bytes(), 1)));
        std::fs::create_dir_all(dir.join("tools")).expect("dir");
        std::fs::write(dir.join("tools/circular_includes.py"), script).expect("script");
        dir
    }

    #[test]
    fn the_gcc_fix_applies_once_and_only_to_the_script_it_is_for() {
        let dir = tree_with(SCRIPT);
        fix_circular_includes(&dir).expect("fix");
        let fixed = std::fs::read_to_string(dir.join("tools/circular_includes.py")).expect("read");
        assert!(fixed.contains("        header = match.group(2)\n        if depth == 0:\n            continue\n"));
        assert!(fixed.contains("while file_stack and file_stack[-1] != header:"));
        // Applying it again changes nothing.
        fix_circular_includes(&dir).expect("again");
        assert_eq!(std::fs::read_to_string(dir.join("tools/circular_includes.py")).expect("read"), fixed);
        let _ = std::fs::remove_dir_all(&dir);

        let other = tree_with("print('another script')\n");
        let err = fix_circular_includes(&other).expect_err("not the 5.0 script");
        assert!(err.to_string().contains("not the 5.0 script this fix is for"), "{err}");
        let _ = std::fs::remove_dir_all(&other);
    }

    #[test]
    fn the_fault_address_fix_widens_the_variable_once() {
        let dir = std::env::temp_dir().join(format!("xtask-vm-fault-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/arch/x86/kernel")).expect("dir");
        let file = dir.join("src/arch/x86/kernel/vspace.c");
        let original = "exception_t handleVMFault(tcb_t* thread, vm_fault_type_t vm_faultType)\n{\n    uint32_t addr;\n    uint32_t fault;\n\n    addr = getFaultAddr();\n";
        std::fs::write(&file, original).expect("write");
        fix_vm_fault_address(&dir).expect("fix");
        let fixed = std::fs::read_to_string(&file).expect("read");
        assert!(fixed.contains("    word_t addr;\n    uint32_t fault;") && !fixed.contains("uint32_t addr"), "{fixed}");
        fix_vm_fault_address(&dir).expect("again");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), fixed);
        std::fs::write(&file, "int other(void);\n").expect("write");
        assert!(fix_vm_fault_address(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_that_is_no_kernel_tree_is_refused_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("xtask-not-a-tree-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let err = build(Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root"), Some(&dir), false);
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        // Either the tools are missing (a machine without QEMU) or the tree is refused.
        assert!(
            message.contains("is not a seL4 5.0.x Kbuild tree") || message.contains("missing host tools"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_tools_say_how_to_install_them() {
        let e = Error::Missing { tools: vec!["xmllint"], install: "sudo apt-get install -y libxml2-utils".into() };
        assert_eq!(
            e.to_string(),
            "missing host tools: xmllint; install them with:\n    sudo apt-get install -y libxml2-utils"
        );
    }
}
