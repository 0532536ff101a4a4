//! Host prerequisites: tools from Debian, and a python venv for the kernel's generators.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// (program, the Debian package that provides it).
const TOOLS: [(&str, &str); 6] = [
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("xmllint", "libxml2-utils"),
    ("make", "make"),
    ("gcc", "gcc"),
    ("objcopy", "binutils"),
    ("python3", "python3"),
];

/// Python packages the kernel build runs (its code generators).
const PYTHON_PACKAGES: [&str; 3] = ["ply", "six", "tempita"];

/// Whether `program` is on the PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a command, turning a failure into an error that shows its output.
pub fn run(what: &str, cmd: &mut Command) -> Result<(), Error> {
    let out = cmd.output().map_err(|e| Error::Command { what: what.into(), log: None, tail: e.to_string() })?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let tail: Vec<&str> = text.lines().rev().take(20).collect();
    Err(Error::Command { what: what.into(), log: None, tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n") })
}

/// Makes sure every host tool is there: installs the missing ones with apt when running as
/// root (as on CI and our machines), otherwise says exactly what to run.
pub fn ensure_tools() -> Result<(), Error> {
    let missing: Vec<(&str, &str)> = TOOLS.iter().copied().filter(|(tool, _)| which(tool).is_none()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|(_, p)| *p).collect();
    let install = format!("apt-get update && apt-get install -y {}", packages.join(" "));
    if !is_root() || which("apt-get").is_none() {
        return Err(Error::Missing {
            tools: missing.iter().map(|(t, _)| *t).collect(),
            install: format!("sudo {install}"),
        });
    }
    eprintln!("xtask: installing {}", packages.join(" "));
    run("apt-get update", Command::new("apt-get").args(["update", "-q"]))?;
    run(
        "apt-get install",
        Command::new("apt-get").args(["install", "-y", "-q"]).args(&packages).env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let still: Vec<&str> = missing.iter().map(|(t, _)| *t).filter(|t| which(t).is_none()).collect();
    if !still.is_empty() {
        return Err(Error::Missing { tools: still, install });
    }
    Ok(())
}

/// The venv with the kernel build's python packages (created on first use); its `bin/`,
/// which goes first on the PATH (the Makefile runs `#!/usr/bin/env python`).
pub fn venv(dir: &Path) -> Result<PathBuf, Error> {
    let bin = dir.join("bin");
    let marker = dir.join(".installed");
    if !marker.exists() {
        run("python3 -m venv", Command::new("python3").args(["-m", "venv"]).arg(dir))?;
        run(
            "pip install ply six tempita",
            Command::new(bin.join("python")).args(["-m", "pip", "install", "--quiet"]).args(PYTHON_PACKAGES),
        )?;
        std::fs::write(&marker, PYTHON_PACKAGES.join("\n")).map_err(crate::error::io(&marker))?;
    }
    Ok(bin)
}
