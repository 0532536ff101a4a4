//! Shared by the benchmarks (each uses part of it): each measurement as a ratio to its
//! same-run baseline, read
//! from criterion's own estimates (`target/criterion/<group>/<name>/new/estimates.json`).
#![allow(dead_code)]

use std::io::Write;

/// The mean of a benchmark in nanoseconds, if criterion measured it in this run.
pub fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| format!("{}/target", workspace_root()));
    let path = format!("{target}/criterion/{group}/{name}/new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    // {"mean":{"confidence_interval":{...},"point_estimate":123.4,...},...}
    let mean = &text[text.find("\"mean\"")?..];
    let value = &mean[mean.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    value[..value.find([',', '}'])?].trim().parse().ok()
}

fn workspace_root() -> String {
    let mut dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() && dir.pop() {}
    dir.display().to_string()
}

/// A duration in nanoseconds, in the unit that keeps it readable.
pub fn human(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.1} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.1} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

/// Prints a markdown table: each benchmark, its baseline, and the ratio.
pub fn print_ratios(group: &str, pairs: &[(&str, &str)]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n| benchmark | mean | baseline (same run) | mean | ratio |\n|---|---|---|---|---|");
    for (name, base) in pairs {
        if let (Some(t), Some(b)) = (mean_ns(group, name), mean_ns(group, base)) {
            let _ = writeln!(out, "| {name} | {} | {base} | {} | {:.3}x |", human(t), human(b), t / b);
        }
    }
}

/// Times `a` against `b` in 31 paired rounds of 20,000 calls each (alternating which goes
/// first) and prints the median ratio a / b with its quartiles.
pub fn paired<A, B>(label: &str, mut a: impl FnMut() -> A, mut b: impl FnMut() -> B) {
    const ROUNDS: usize = 31;
    const CALLS: usize = 20_000;
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..CALLS {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let (ta, tb) = if round % 2 == 0 {
            let ta = time(&mut || {
                std::hint::black_box(a());
            });
            (
                ta,
                time(&mut || {
                    std::hint::black_box(b());
                }),
            )
        } else {
            let tb = time(&mut || {
                std::hint::black_box(b());
            });
            (
                time(&mut || {
                    std::hint::black_box(a());
                }),
                tb,
            )
        };
        ratios.push(ta / tb);
    }
    ratios.sort_by(f64::total_cmp);
    println!("| {label} | {:.3}x | {:.3}x - {:.3}x |", ratios[ROUNDS / 2], ratios[ROUNDS / 4], ratios[3 * ROUNDS / 4]);
}
