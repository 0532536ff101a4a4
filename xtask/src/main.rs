//! `cargo xtask`: the project's build tasks.
//!
//! - `kernel`: build the seL4 5.0.0 kernel (and the 32-bit copy QEMU boots) from the
//!   source inside the crates.io crate `sel4-sys` 0.0.28, with our configuration; cached.
//! - `run`: compose composition.toml, build the kernel and the root task, boot them in QEMU,
//!   stream the console, and write the model the root extracted ([`extract`]) in every format.
//! - `test`: the in-system test suite on seL4 in QEMU; JUnit XML and an exit code.
//! - `bench`: the in-system benchmarks under `-icount`, as ratios to the IPC fast path.
//! - `lint`: rustfmt and clippy over the seL4-side workspace.
//! - `compose`: check composition.toml against the IDL and build the system description.

mod compose;
mod compose_files;
mod console;
mod error;
mod extract;
mod kernel;
mod prereq;
mod programs;
mod qemu;
mod sel4_side;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use console::{TestRun, Verdict};
use error::{io, Error};
use sel4_side::Mode;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "CellulOS build tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Args, Clone)]
struct KernelArgs {
    /// Build from this seL4 5.0.x Kbuild tree instead of the one in sel4-sys 0.0.28
    /// (also: the SEL4_KERNEL_TREE environment variable). It is copied, not modified.
    #[arg(long, env = "SEL4_KERNEL_TREE")]
    tree: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct BootArgs {
    #[command(flatten)]
    kernel: KernelArgs,
    /// Stop QEMU after this many seconds.
    #[arg(long)]
    timeout: Option<u64>,
    /// Do not echo the console (it is still logged).
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Task {
    /// Build the seL4 kernel (target/sel4/kbuild/kernel.elf and kernel32.elf).
    Kernel {
        #[command(flatten)]
        kernel: KernelArgs,
        /// Rebuild even when nothing changed.
        #[arg(long)]
        force: bool,
    },
    /// Check composition.toml against the IDL, build the components, write the system.
    Compose {
        #[command(flatten)]
        kernel: KernelArgs,
        /// The manifest.
        #[arg(long, default_value = "composition.toml")]
        manifest: PathBuf,
    },
    /// Compose and boot the system in QEMU (console in target/cellulos/console.log).
    Run {
        #[command(flatten)]
        boot: BootArgs,
    },
    /// Run the in-system tests on seL4 in QEMU (JUnit XML in target/cellulos/junit.xml).
    Test {
        #[command(flatten)]
        boot: BootArgs,
        /// Only tests whose id contains this.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Run the in-system benchmarks under -icount and print ratios to the IPC fast path.
    Bench {
        #[command(flatten)]
        boot: BootArgs,
    },
    /// rustfmt --check and clippy -D warnings over the seL4-side workspace.
    Lint {
        #[command(flatten)]
        kernel: KernelArgs,
    },
}

/// The system the in-system tests boot, beside the test programs.
const TEST_SYSTEM: &str = "components/tests/system.toml";
/// The system the benchmarks boot, beside the benchmark programs.
const BENCH_SYSTEM: &str = "components/bench/system.toml";

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Boots a root task built for `mode`; returns the console, the verdict and where the log is.
fn boot(root: &Path, args: &BootArgs, mode: Mode, filter: Option<&str>) -> Result<(String, Verdict), Error> {
    let kernel = kernel::build(root, args.kernel.tree.as_deref(), false)?;
    // The normal run boots the composed system (compose is incremental: cargo rebuilds only
    // what changed, and unchanged outputs are not rewritten).
    let (manifest, shown) = match mode {
        Mode::Run => (root.join("composition.toml"), "composition.toml"),
        Mode::Test => (root.join(TEST_SYSTEM), TEST_SYSTEM),
        Mode::Bench => (root.join(BENCH_SYSTEM), BENCH_SYSTEM),
    };
    let dir = root.join("target/cellulos").join(format!("system-{}", mode.name()));
    let system = compose_files::run(root, &kernel, &manifest, shown, &dir)?;
    let image = sel4_side::build_root(root, &kernel, mode, filter, Some(&system))?;
    let name = match mode {
        Mode::Run => "console.log",
        Mode::Test => "test-console.log",
        Mode::Bench => "bench-console.log",
    };
    let log = root.join("target/cellulos").join(name);
    // The model the root streams on COM2 (none in benchmarks).
    let com2 = match mode {
        Mode::Run => Some(root.join("target/cellulos/model.bin")),
        Mode::Test => Some(root.join("target/cellulos/test-model/model.bin")),
        Mode::Bench => None,
    };
    if let Some(stream) = &com2 {
        if stream.exists() {
            std::fs::remove_file(stream).map_err(io(stream))?;
        }
        if let Some(dir) = stream.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
    }
    let default_timeout = match mode {
        Mode::Run => 60,
        Mode::Test => 180,
        Mode::Bench => 600,
    };
    let run = qemu::boot(&qemu::Boot {
        qemu: "qemu-system-x86_64",
        kernel: &kernel.elf32,
        root: &image,
        log: &log,
        timeout: Duration::from_secs(args.timeout.unwrap_or(default_timeout)),
        icount: mode == Mode::Bench,
        echo: !args.quiet,
        com2: com2.as_deref(),
    })?;
    if !run.stderr.trim().is_empty() {
        eprintln!("qemu: {}", run.stderr.trim());
    }
    let verdict = Verdict::judge(&run.console, &run.ending, mode == Mode::Test);
    eprintln!("xtask: QEMU ran {:.1} s; console: {}", run.elapsed.as_secs_f64(), log.display());
    Ok((run.console, verdict))
}

fn verdict_result(verdict: &Verdict) -> Result<(), Error> {
    match verdict {
        Verdict::Passed => Ok(()),
        other => Err(Error::Tree(other.to_string())),
    }
}

fn test(root: &Path, args: &BootArgs, filter: Option<&str>) -> Result<(), Error> {
    let (console, verdict) = boot(root, args, Mode::Test, filter)?;
    let run = TestRun::parse(&console);
    let junit = root.join("target/cellulos/junit.xml");
    std::fs::write(&junit, console::junit(&run, &verdict, "cellulos-sel4")).map_err(io(&junit))?;
    let (passed, failed) = run.counts();
    println!("in-system tests: {passed} passed, {failed} failed (JUnit: {})", junit.display());
    verdict_result(&verdict)?;
    // The model the test system extracted, written and checked on the host too.
    if filter.is_none_or(|f| "MODEL0001".contains(f)) {
        extract::extract(&root.join("target/cellulos/test-model/model.bin"), extract::Pick::First)?;
    }
    Ok(())
}

/// `BENCH <name> <mean> <best> [<baseline>]` lines, in order.
fn bench_lines(console: &str) -> Vec<(String, u64, u64, Option<String>)> {
    console
        .lines()
        .map(console::clean)
        .filter_map(|l| {
            let mut w = l.strip_prefix("BENCH ")?.split_whitespace();
            let (name, mean, best) = (w.next()?.to_string(), w.next()?.parse().ok()?, w.next()?.parse().ok()?);
            Some((name, mean, best, w.next().map(String::from)))
        })
        .collect()
}

fn bench(root: &Path, args: &BootArgs) -> Result<(), Error> {
    let (console, verdict) = boot(root, args, Mode::Bench, None)?;
    verdict_result(&verdict)?;
    let lines = bench_lines(&console);
    let Some((first, ..)) = lines.first().cloned() else {
        return Err(Error::Tree("the benchmark printed no BENCH lines".into()));
    };
    if let Some(config) =
        console.lines().map(console::clean).find_map(|l| l.strip_prefix("BENCH-CONFIG ").map(String::from))
    {
        let keys = ["CONFIG_DEBUG_BUILD", "CONFIG_FASTPATH", "CONFIG_NUM_PRIORITIES", "CONFIG_MAX_NUM_NODES"];
        let shown: Vec<&str> = config.split_whitespace().filter(|kv| keys.iter().any(|k| kv.starts_with(k))).collect();
        println!("kernel: seL4 5.0 x86_64 (QEMU TCG, -icount shift=0,sleep=off): {}", shown.join(" "));
    }
    println!("{:<34} {:>10} {:>11} {:>8}  against", "round trip (TSC cycles)", "mean", "best batch", "ratio");
    for (name, mean, best, baseline) in &lines {
        let base_name = baseline.clone().unwrap_or_else(|| first.clone());
        let base = lines.iter().find(|(n, ..)| *n == base_name).map_or(0, |(_, m, ..)| *m);
        let ratio = *mean as f64 / base.max(1) as f64;
        println!("{name:<34} {mean:>10} {best:>11} {ratio:>7.2}x  {base_name}");
    }
    for note in console.lines().map(console::clean).filter_map(|l| l.strip_prefix("BENCH-NOTE ").map(String::from)) {
        println!("{note}");
    }
    println!("(each ratio: mean against the baseline named, measured in the same boot)");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = root();
    let result = match cli.task {
        Task::Kernel { kernel, force } => kernel::build(&root, kernel.tree.as_deref(), force).map(|k| {
            println!("kernel source: {}", k.source.display());
            println!("kernel: {}", k.elf.display());
            println!("kernel (32-bit, for QEMU): {}", k.elf32.display());
        }),
        Task::Compose { kernel, manifest } => kernel::build(&root, kernel.tree.as_deref(), false).and_then(|k| {
            let shown = manifest.display().to_string();
            let path = if manifest.is_absolute() {
                manifest
            } else {
                std::env::current_dir().unwrap_or_default().join(manifest)
            };
            compose_files::run(&root, &k, &path, &shown, &root.join("target/cellulos/system-run")).map(|_| ())
        }),
        Task::Run { boot: args } => boot(&root, &args, Mode::Run, None)
            .and_then(|(_, v)| verdict_result(&v))
            .and_then(|()| extract::extract(&root.join("target/cellulos/model.bin"), extract::Pick::Last).map(|_| ())),
        Task::Test { boot: args, filter } => test(&root, &args, filter.as_deref()),
        Task::Bench { boot: args } => bench(&root, &args),
        Task::Lint { kernel } => {
            kernel::build(&root, kernel.tree.as_deref(), false).and_then(|k| sel4_side::lint(&root, &k))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
