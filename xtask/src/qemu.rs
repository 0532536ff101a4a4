//! Booting the kernel and a root task in QEMU under a timeout, with the serial console
//! streamed to the terminal and to a log file, and QEMU stopped early once the kernel
//! reports a failure (a faulted root task leaves QEMU running forever otherwise).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::console::{kernel_failure, Ending};
use crate::error::{io, Error};

/// What to boot and how.
pub struct Boot<'a> {
    /// The QEMU program (`qemu-system-x86_64`; tests put a recorded console in its place).
    pub qemu: &'a str,
    /// `kernel32.elf`.
    pub kernel: &'a Path,
    /// The root task ELF.
    pub root: &'a Path,
    /// Where the console goes.
    pub log: &'a Path,
    /// Give up after this long.
    pub timeout: Duration,
    /// Make the TSC follow executed instructions (benchmarks).
    pub icount: bool,
    /// Echo the console to the terminal.
    pub echo: bool,
    /// Where the second serial port (COM2: the extracted model) goes, if anywhere.
    pub com2: Option<&'a Path>,
}

/// The QEMU command line of the bring-up notes: TCG, a CPU with what the kernel config
/// needs (1 GiB pages, syscall; no xsave or fsgsbase), the debug-exit device on port 0xf4.
pub fn command(boot: &Boot<'_>) -> Command {
    let mut cmd = Command::new(boot.qemu);
    cmd.args(["-nographic", "-no-reboot", "-serial", "mon:stdio", "-m", "512M"])
        .args(["-cpu", "Nehalem,-vme,+pdpe1gb,-xsave,-xsaveopt,-xsavec,-fsgsbase,-invpcid,+syscall,+lm,enforce"])
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
    if let Some(com2) = boot.com2 {
        // The second -serial is COM2 (I/O port 0x2f8).
        cmd.arg("-serial").arg(format!("file:{}", com2.display()));
    }
    if boot.icount {
        cmd.args(["-icount", "shift=0,sleep=off"]);
    }
    cmd.arg("-kernel").arg(boot.kernel).arg("-initrd").arg(boot.root);
    cmd
}

/// The console text and how QEMU ended.
pub struct Run {
    /// Everything QEMU printed on the serial console.
    pub console: String,
    /// How it ended.
    pub ending: Ending,
    /// QEMU's own error output.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

/// Boots and waits (see the module docs).
pub fn boot(boot: &Boot<'_>) -> Result<Run, Error> {
    for (what, path) in [("kernel", boot.kernel), ("root task", boot.root)] {
        if !path.is_file() {
            return Err(Error::Tree(format!("no {what} image at {}", path.display())));
        }
    }
    if let Some(dir) = boot.log.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut log = std::fs::File::create(boot.log).map_err(io(boot.log))?;
    let start = Instant::now();
    let mut child =
        command(boot).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| {
            Error::Command { what: "starting qemu-system-x86_64".into(), log: None, tail: e.to_string() }
        })?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let mut out = child.stdout.take().ok_or_else(|| Error::Tree("QEMU has no stdout".into()))?;
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut err = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    let mut console = Vec::new();
    let mut failure_seen: Option<Instant> = None;
    let ending = loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(bytes) => {
                if boot.echo {
                    let _ = std::io::stdout().write_all(&bytes);
                    let _ = std::io::stdout().flush();
                }
                log.write_all(&bytes).map_err(io(boot.log))?;
                console.extend_from_slice(&bytes);
                if failure_seen.is_none() && kernel_failure(&String::from_utf8_lossy(&console)).is_some() {
                    failure_seen = Some(Instant::now());
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().map_err(|e| Error::Io(PathBuf::from("qemu"), e))?;
                break Ending::Exited(status.code());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        // After a kernel failure, let the kernel finish its report, then stop QEMU.
        if failure_seen.is_some_and(|t| t.elapsed() > Duration::from_millis(500)) {
            let _ = child.kill();
            let _ = child.wait();
            break Ending::StoppedAfterKernelFailure;
        }
        if start.elapsed() > boot.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Ending::TimedOut { seconds: boot.timeout.as_secs() };
        }
    };
    // After a kill, a process QEMU started could still hold the pipes open: only wait for
    // the readers when QEMU ended by itself.
    let stderr = if matches!(ending, Ending::Exited(_)) {
        let _ = reader.join();
        err_reader.join().unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Run { console: String::from_utf8_lossy(&console).into_owned(), ending, stderr, elapsed: start.elapsed() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::{Verdict, EXIT_SUCCESS};

    /// A stand-in for QEMU that prints a recorded console, then sleeps or exits.
    fn fake(name: &str, log: &str, then: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("xtask-qemu-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let console = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consoles").join(log);
        let script = dir.join("qemu");
        std::fs::write(&script, format!("#!/bin/sh\ncat '{}'\n{then}\n", console.display())).expect("script");
        let status = Command::new("chmod").arg("+x").arg(&script).status().expect("chmod");
        assert!(status.success());
        // Images only need to exist.
        std::fs::write(dir.join("image"), b"").expect("image");
        (dir, script)
    }

    fn run(dir: &Path, script: &Path, timeout: u64) -> Run {
        let image = dir.join("image");
        boot(&Boot {
            qemu: script.to_str().expect("utf-8 path"),
            kernel: &image,
            root: &image,
            log: &dir.join("console.log"),
            timeout: Duration::from_secs(timeout),
            icount: false,
            echo: false,
            com2: None,
        })
        .expect("boot")
    }

    #[test]
    fn a_kernel_failure_stops_qemu_at_once_not_at_the_timeout() {
        let (dir, script) = fake("fault", "root-fault.log", "sleep 60");
        let r = run(&dir, &script, 50);
        assert_eq!(r.ending, Ending::StoppedAfterKernelFailure);
        assert!(r.elapsed < Duration::from_secs(10), "{:?}", r.elapsed);
        assert!(matches!(Verdict::judge(&r.console, &r.ending, false), Verdict::KernelFailure { .. }));
        // The console was logged as it came.
        let logged = std::fs::read_to_string(dir.join("console.log")).expect("log");
        assert_eq!(logged, r.console);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_hang_is_stopped_at_the_timeout_with_what_it_printed() {
        let (dir, script) = fake("hang", "tests-hang.log", "sleep 60");
        let r = run(&dir, &script, 2);
        assert_eq!(r.ending, Ending::TimedOut { seconds: 2 });
        assert!(r.elapsed < Duration::from_secs(10), "{:?}", r.elapsed);
        assert!(r.console.contains("Starting test 6: IPC0001"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_clean_exit_keeps_its_status() {
        let (dir, script) = fake("pass", "tests-pass.log", &format!("exit {EXIT_SUCCESS}"));
        let r = run(&dir, &script, 30);
        assert_eq!(r.ending, Ending::Exited(Some(EXIT_SUCCESS)));
        assert_eq!(Verdict::judge(&r.console, &r.ending, true), Verdict::Passed);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_images_are_named() {
        let missing = Path::new("/nonexistent/kernel32.elf");
        let err = boot(&Boot {
            qemu: "true",
            kernel: missing,
            root: missing,
            log: &std::env::temp_dir().join("xtask-unused.log"),
            timeout: Duration::from_secs(1),
            icount: false,
            echo: false,
            com2: None,
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(err, "no kernel image at /nonexistent/kernel32.elf");
    }
}
