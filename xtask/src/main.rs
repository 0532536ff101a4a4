//! `cargo xtask`: the project's build tasks.
//!
//! - `kernel`: build the seL4 5.0.0 kernel (and the 32-bit copy QEMU boots) from the
//!   source inside the crates.io crate `sel4-sys` 0.0.28, with our configuration; cached.
//!
//! `compose`, `run`, `test` and `bench` join as their issues land.

mod error;
mod kernel;
mod prereq;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "CellulOS build tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the seL4 kernel (target/sel4/kbuild/kernel.elf and kernel32.elf).
    Kernel {
        /// Build from this seL4 5.0.x Kbuild tree instead of the one in sel4-sys 0.0.28
        /// (also: the SEL4_KERNEL_TREE environment variable). It is copied, not modified.
        #[arg(long, env = "SEL4_KERNEL_TREE")]
        tree: Option<PathBuf>,
        /// Rebuild even when nothing changed.
        #[arg(long)]
        force: bool,
    },
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Kernel { tree, force } => kernel::build(&root(), tree.as_deref(), force).map(|k| {
            println!("kernel source: {}", k.source.display());
            println!("kernel: {}", k.elf.display());
            println!("kernel (32-bit, for QEMU): {}", k.elf32.display());
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
