//! Embeds the composed system: `cargo xtask compose` writes `system.bin` (the description)
//! and one stripped ELF per program into a folder and names it in `CELLULOS_SYSTEM_DIR`.
//! Without it the root task embeds an empty system (its tests and benchmarks need none).

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=CELLULOS_SYSTEM_DIR");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("system.rs");
    let mut code = String::new();
    match std::env::var_os("CELLULOS_SYSTEM_DIR").map(PathBuf::from) {
        None => code.push_str("pub static SYSTEM: &[u8] = &[];\npub static IMAGES: &[(&str, &[u8])] = &[];\n"),
        Some(dir) => {
            println!("cargo:rerun-if-changed={}", dir.display());
            let desc = dir.join("system.bin");
            println!("cargo:rerun-if-changed={}", desc.display());
            let _ = writeln!(code, "pub static SYSTEM: &[u8] = include_bytes!({:?});", desc.display().to_string());
            // ELF readers want the image 8-byte aligned; include_bytes! promises 1.
            code.push_str("#[repr(C, align(8))]\npub struct Aligned<T: ?Sized>(pub T);\n");
            let mut table = String::from("pub static IMAGES: &[(&str, &[u8])] = &[\n");
            let mut images: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            images.retain(|p| p.extension().is_some_and(|e| e == "elf"));
            images.sort();
            for (i, image) in images.iter().enumerate() {
                println!("cargo:rerun-if-changed={}", image.display());
                let name = image.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let len = std::fs::metadata(image).map(|m| m.len()).unwrap_or(0);
                let _ = writeln!(
                    code,
                    "static IMAGE_{i}: &Aligned<[u8; {len}]> = &Aligned(*include_bytes!({:?}));",
                    image.display().to_string()
                );
                let _ = writeln!(table, "    ({name:?}, &IMAGE_{i}.0),");
            }
            table.push_str("];\n");
            code.push_str(&table);
        }
    }
    if let Err(e) = std::fs::write(&out, code) {
        eprintln!("error: writing {}: {e}", out.display());
        std::process::exit(1);
    }
}
