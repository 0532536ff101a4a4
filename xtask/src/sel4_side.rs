//! Building and linting the seL4-side workspace (`components/`): a cross build for the same
//! triple, with the kernel tree and configuration handed to the `sel4` crate's build script.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{io, Error};
use crate::kernel::Kernel;
use crate::programs::Programs;

/// What the root task is built to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The normal start-up.
    Run,
    /// The in-system test suite.
    Test,
    /// The in-system benchmarks.
    Bench,
}

impl Mode {
    fn features(self) -> &'static [&'static str] {
        match self {
            Mode::Run => &[],
            Mode::Test => &["--features", "cellulos-root/tests"],
            Mode::Bench => &["--features", "cellulos-root/bench"],
        }
    }

    /// `run`, `test` or `bench`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Run => "run",
            Mode::Test => "test",
            Mode::Bench => "bench",
        }
    }
}

/// `cargo` in `components/` with the environment the seL4 side needs.
fn cargo(root: &Path, kernel: &Kernel, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args)
        .current_dir(root.join("components"))
        .env("CELLULOS_SEL4_SOURCE", &kernel.source)
        .env("CELLULOS_SEL4_AUTOCONF", root.join("sel4/config/autoconf.h"))
        // Our own target folder: the link flags must not meet host builds' artifacts.
        .env("CARGO_TARGET_DIR", root.join("target/sel4-side"))
        // Flags from the environment would replace .cargo/config.toml's, link flags included.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    cmd
}

fn run(what: &str, mut cmd: Command) -> Result<(), Error> {
    let status = cmd.status().map_err(|e| Error::Command { what: what.into(), log: None, tail: e.to_string() })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Command { what: what.into(), log: None, tail: String::new() })
    }
}

/// Builds the root task for `mode` and returns a copy of its image (a copy per mode, so
/// the three builds do not overwrite each other's image).
pub fn build_root(
    root: &Path,
    kernel: &Kernel,
    mode: Mode,
    test_filter: Option<&str>,
    system: Option<&Path>,
) -> Result<PathBuf, Error> {
    let mut args = vec!["build", "--release", "-p", "cellulos-root"];
    args.extend(mode.features());
    let mut cmd = cargo(root, kernel, &args);
    match system {
        Some(dir) => cmd.env("CELLULOS_SYSTEM_DIR", dir),
        None => cmd.env_remove("CELLULOS_SYSTEM_DIR"),
    };
    match test_filter {
        Some(f) => cmd.env("CELLULOS_TEST_FILTER", f),
        None => cmd.env_remove("CELLULOS_TEST_FILTER"),
    };
    run(&format!("building the root task ({})", mode.name()), cmd)?;
    let built = root.join("target/sel4-side/x86_64-unknown-linux-gnu/release/cellulos-root");
    let images = root.join("target/cellulos/images");
    std::fs::create_dir_all(&images).map_err(io(&images))?;
    let image = images.join(format!("root-{}", mode.name()));
    std::fs::copy(&built, &image).map_err(io(&built))?;
    Ok(image)
}

/// Builds the programs named (each found in `all`, the seL4 workspace's) and leaves a
/// stripped copy of each in `dir` as `<program>.elf` (rewritten only when it changed, so
/// the root task is not rebuilt for nothing); copies of programs no longer listed are
/// removed.
pub fn build_programs(
    root: &Path,
    kernel: &Kernel,
    all: &Programs,
    programs: &[String],
    dir: &Path,
) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    if !programs.is_empty() {
        let mut args = vec!["build", "--release"];
        for p in programs {
            let program = all.get(p).ok_or_else(|| Error::Tree(format!("no component builds a program `{p}`")))?;
            args.extend(["-p", program.package.as_str(), "--bin", p.as_str()]);
        }
        run("building the components", cargo(root, kernel, &args))?;
    }
    let built = root.join("target/sel4-side/x86_64-unknown-linux-gnu/release");
    // Stripped elsewhere first: the system folder changes only when an image does.
    let scratch = root.join("target/cellulos/stripped");
    std::fs::create_dir_all(&scratch).map_err(io(&scratch))?;
    for p in programs {
        let stripped = scratch.join(format!("{p}.elf"));
        let mut strip = Command::new("objcopy");
        strip.arg("--strip-all").arg(built.join(p)).arg(&stripped);
        crate::prereq::run(&format!("stripping {p}"), &mut strip)?;
        let bytes = std::fs::read(&stripped).map_err(io(&stripped))?;
        crate::compose_files::write_if_changed(&dir.join(format!("{p}.elf")), &bytes)?;
    }
    for entry in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let path = entry.path();
        let stale = path.extension().is_some_and(|e| e == "elf")
            && path.file_stem().is_some_and(|s| !programs.iter().any(|p| s == p.as_str()));
        if stale {
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

/// `cargo fmt --check` and `cargo clippy -D warnings` over the seL4 side, in every mode.
pub fn lint(root: &Path, kernel: &Kernel) -> Result<(), Error> {
    run("cargo fmt --check (seL4 side)", cargo(root, kernel, &["fmt", "--all", "--check"]))?;
    for mode in [Mode::Run, Mode::Test, Mode::Bench] {
        let mut args = vec!["clippy", "--release", "--workspace", "--all-targets"];
        args.extend(mode.features());
        args.extend(["--", "-D", "warnings"]);
        run(&format!("cargo clippy (seL4 side, {})", mode.name()), cargo(root, kernel, &args))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// Building the seL4 side without xtask's environment stops with the instruction to build
    /// the kernel first, not with a wall of errors.
    #[test]
    fn the_sel4_crate_says_run_xtask_kernel_first() {
        let root = crate::root();
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["check", "--release", "-p", "sel4"])
            .current_dir(root.join("components"))
            .env("CARGO_TARGET_DIR", root.join("target/sel4-side-no-kernel"))
            .env_remove("CELLULOS_SEL4_SOURCE")
            .env_remove("CELLULOS_SEL4_AUTOCONF")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("cargo");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("run `cargo xtask kernel` first"), "{stderr}");
    }
}
