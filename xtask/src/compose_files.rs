//! `cargo xtask compose`: the manifest checked ([`crate::compose`]), the components built,
//! and the system folder the root task embeds written (`target/cellulos/system-<mode>/`).

use std::path::{Path, PathBuf};

use crate::compose::{compose, interfaces};
use crate::error::{io, Error};
use crate::kernel::Kernel;
use crate::programs::Programs;

/// Writes `bytes` to `target` unless it holds them already: an unchanged file (and its
/// folder, which the root task's build script also watches) keeps its time, and cargo does
/// not rebuild the root task.
pub fn write_if_changed(target: &Path, bytes: &[u8]) -> Result<(), Error> {
    if std::fs::read(target).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(target, bytes).map_err(io(target))
}

/// Composes `manifest` (shown as `shown` in messages) into the system folder `dir`.
pub fn run(root: &Path, kernel: &Kernel, manifest: &Path, shown: &str, dir: &Path) -> Result<PathBuf, Error> {
    let interfaces = interfaces(root).map_err(Error::Tree)?;
    let text = std::fs::read_to_string(manifest).map_err(io(manifest))?;
    let programs = Programs::find(root)?;
    let exists = |program: &str| programs.get(program).is_some();
    let (system, warnings) = match compose(&text, &interfaces, &exists) {
        Ok(ok) => ok,
        Err(errors) => {
            let lines: Vec<String> =
                errors.iter().map(|d| format!("{shown}:{}:{}: {}", d.line, d.col, d.message)).collect();
            return Err(Error::Tree(format!("{} error(s) in {shown}:\n{}", errors.len(), lines.join("\n"))));
        }
    };
    for w in &warnings {
        eprintln!("{shown}:{}:{}: warning: {}", w.line, w.col, w.message);
    }
    let dir = dir.to_path_buf();
    let mut names: Vec<String> = system.instances.iter().map(|i| i.program.clone()).collect();
    names.sort();
    names.dedup();
    crate::sel4_side::build_programs(root, kernel, &programs, &names, &dir)?;
    let bytes = postcard::to_allocvec(&system).map_err(|e| Error::Tree(format!("encoding the system: {e}")))?;
    write_if_changed(&dir.join("system.bin"), &bytes)?;
    let servers = system.instances.iter().filter(|i| i.provides.is_some()).count();
    let connections: usize = system.instances.iter().map(|i| i.uses.len()).sum();
    eprintln!(
        "xtask: composed {} instances ({servers} servers), {connections} connections, cleanup {}: {}",
        system.instances.len(),
        system.cleanup,
        dir.display()
    );
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_file_is_not_rewritten() {
        let dir = std::env::temp_dir().join(format!("xtask-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("system.bin");
        write_if_changed(&file, b"one").expect("write");
        let first = std::fs::metadata(&file).and_then(|m| m.modified()).expect("time");
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_if_changed(&file, b"one").expect("same");
        assert_eq!(std::fs::metadata(&file).and_then(|m| m.modified()).expect("time"), first);
        write_if_changed(&file, b"two").expect("other");
        assert_eq!(std::fs::read(&file).expect("read"), b"two");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
