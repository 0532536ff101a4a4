//! `osmosis linux` on the whole machine: wall time, model size, and the cost per process
//! (the median of several runs; the command as a user runs it, JSON written to a file).

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn main() {
    let out = std::env::temp_dir().join(format!("osmosis-linux-bench-{}.json", std::process::id()));
    for physical in [false, true] {
        let mut times = Vec::new();
        let mut summary = String::new();
        for _ in 0..RUNS {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_osmosis"));
            cmd.args(["linux", "-o"]).arg(&out);
            if physical {
                cmd.arg("--physical");
            }
            let t0 = Instant::now();
            let result = cmd.output().expect("run osmosis linux");
            times.push(t0.elapsed());
            assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
            summary = String::from_utf8_lossy(&result.stderr).lines().last().unwrap_or_default().to_string();
        }
        times.sort();
        let median = times[RUNS / 2];
        let processes: u32 = summary
            .strip_prefix("osmosis: ")
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        let per = median.checked_div(processes.max(1)).unwrap_or(Duration::ZERO);
        println!(
            "osmosis linux{}: median {:.1} ms over {RUNS} runs, {:.0} us per process, {bytes} bytes of JSON",
            if physical { " --physical" } else { "" },
            median.as_secs_f64() * 1e3,
            per.as_secs_f64() * 1e6,
        );
        println!("  {summary}");
    }
    let _ = std::fs::remove_file(&out);
}
