//! Generated stub round trips (client stub, seL4 transport, generated service, server logic,
//! reply) against raw `seL4_Call`s to a server that does nothing (the same message sizes,
//! the same priorities, the same boot). Prints `BENCH <name> <mean> <best> <baseline>` lines
//! that `cargo xtask bench` turns into ratios.
#![no_std]
#![no_main]

use cellulos::runtime::heapless::Vec;
use cellulos_component::__sel4::debug::rdtsc;
use cellulos_component::__sel4::{syscall, MessageInfo, Word};
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../idl/counter.idl");
}

const WARMUP: u64 = 200;
const BATCHES: u64 = 10;
const PER_BATCH: u64 = 500;

/// (mean, best batch) cycles of `op`.
fn measure(mut op: impl FnMut() -> Result<(), Error>) -> Result<(u64, u64), Error> {
    for _ in 0..WARMUP {
        op()?;
    }
    let (mut total, mut best) = (0, u64::MAX);
    for _ in 0..BATCHES {
        let t0 = rdtsc();
        for _ in 0..PER_BATCH {
            op()?;
        }
        let t = rdtsc() - t0;
        total += t;
        best = best.min(t);
    }
    Ok((total / (BATCHES * PER_BATCH), best / PER_BATCH))
}

fn report(name: &str, baseline: &str, r: (u64, u64)) {
    println!("BENCH {name} {} {} {baseline}", r.0, r.1);
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let raw = c.connect("raw")?.raw_cptr();
    let mut counter = counter::CounterClient::new(c.connect("counter")?);
    // A raw call of `words` words: the first four in registers, the rest as the IPC buffer
    // holds them (the kernel copies them either way; the stub writes them there first).
    let raw_call = |words: usize| {
        move || {
            syscall::call(raw, MessageInfo::new(1, 0, 0, words as Word), [7; 4]);
            Ok(())
        }
    };
    report("raw_0w", "raw_0w", measure(raw_call(0))?);
    report("stub_0w_total", "raw_0w", measure(|| counter.total().map(|_| ()).map_err(Error::from))?);
    report("raw_4w", "raw_4w", measure(raw_call(4))?);
    report("stub_4w_add_four", "raw_4w", measure(|| counter.add_four(0, 0, 0, 0).map(|_| ()).map_err(Error::from))?);
    report("raw_8w", "raw_8w", measure(raw_call(8))?);
    let small: Vec<u8, 952> = (0..62).map(|i| i as u8).collect();
    report(
        "stub_64b_sum_bytes",
        "raw_8w",
        measure(|| counter.sum_bytes(small.clone()).map(|_| ()).map_err(Error::from))?,
    );
    report("raw_120w", "raw_120w", measure(raw_call(120))?);
    let big: Vec<u8, 952> = (0..952).map(|i| i as u8).collect();
    report(
        "stub_960b_sum_bytes",
        "raw_120w",
        measure(|| counter.sum_bytes(big.clone()).map(|_| ()).map_err(Error::from))?,
    );
    // One capability: a borrowed handle (unwrapped to its badge at the server) against a
    // raw call carrying a cap to the raw server's own endpoint (unwrapped the same way).
    let tally = counter.open_tally(0)?;
    let raw_cap = move || {
        cellulos_component::with_caps(&[raw]);
        syscall::call(raw, MessageInfo::new(1, 0, 1, 1), [7; 4]);
        Ok(())
    };
    report("raw_1w_1cap", "raw_1w_1cap", measure(raw_cap)?);
    report("stub_1cap_bump", "raw_1w_1cap", measure(|| counter.bump(&tally).map(|_| ()).map_err(Error::from))?);
    Ok(0)
}
