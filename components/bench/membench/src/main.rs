//! The tracked side of the model benchmarks: a new address space and 4 pages mapped
//! through the root's memory server, a process and a thread PD made through its PD server and a CPU
//! created through its CPU server (the
//! generated stub, IPC, the generated service's handle checks and bookkeeping, the root's
//! model keeping, and the same kernel operations the root's raw baselines time in the same
//! boot). Prints `BENCH` lines naming them.
#![no_std]
#![no_main]

use cellulos_component::__sel4::debug::rdtsc;
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod memory {
    cellulos::idl!("../../../../idl/memory.idl");
}

use cellulos::interfaces::cpu::CpuClient;
use cellulos::interfaces::pd::{PdClient, ProcessConfig, ThreadConfig};
use cellulos::runtime::heapless::String;
use memory::{MemoryClient, RegionKind, Rights};

/// Iterations (after as many again to warm up), as the root's baselines.
const ROUNDS: u64 = 40;

/// (mean, best) of `op`, which returns the cycles of its timed part.
fn measure(mut op: impl FnMut() -> Result<u64, Error>) -> Result<(u64, u64), Error> {
    for _ in 0..ROUNDS {
        op()?;
    }
    let (mut total, mut best) = (0, u64::MAX);
    for _ in 0..ROUNDS {
        let t = op()?;
        total += t;
        best = best.min(t);
    }
    Ok((total / ROUNDS, best))
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut mem = MemoryClient::new(c.connect("memory")?);
    let ads = mem.own_ads()?;
    let r = measure(|| {
        let t0 = rdtsc();
        let new = mem.create_ads()?;
        let t = rdtsc() - t0;
        mem.destroy_ads(new)?;
        Ok(t)
    })?;
    println!("BENCH create_ads_tracked {} {} raw_create_ads", r.0, r.1);
    let r = measure(|| {
        let t0 = rdtsc();
        let mo = mem.allocate(4, 12)?;
        let vmr = mem.reserve_attached(
            &ads,
            None,
            &mo,
            RegionKind::Heap,
            Rights { read: true, write: true, execute: false },
        )?;
        let t = rdtsc() - t0;
        mem.remove(vmr)?;
        mem.free(mo)?;
        Ok(t)
    })?;
    println!("BENCH map_4_pages_tracked {} {} raw_map_4_pages", r.0, r.1);
    let mut pds = PdClient::new(c.connect("pd")?);
    let r = measure(|| {
        let config = ProcessConfig {
            image: String::try_from("rawecho").unwrap_or_default(),
            stack_pages: 16,
            heap_pages: 0,
            priority: 1,
        };
        let t0 = rdtsc();
        let child = pds.create(String::try_from("bench").unwrap_or_default())?;
        pds.configure_process(&child, config)?;
        pds.start(&child)?;
        let t = rdtsc() - t0;
        pds.terminate(child)?;
        Ok(t)
    })?;
    println!("BENCH spawn_tracked {} {} spawn_raw", r.0, r.1);
    // A thread PD of its own (what the raw side makes with `Process::spawn_thread`), not
    // started: its entry does not matter.
    let me = pds.own_pd()?;
    let r = measure(|| {
        let config = ThreadConfig { entry: 0x40_0000, arg: 0, stack_pages: 4, priority: 1 };
        let t0 = rdtsc();
        let thread = pds.create(String::try_from("bench.thread").unwrap_or_default())?;
        pds.configure_thread(&thread, &me, config)?;
        let t = rdtsc() - t0;
        pds.terminate(thread)?;
        Ok(t)
    })?;
    println!("BENCH create_pd_tracked {} {} raw_create_pd", r.0, r.1);
    let mut cpus = CpuClient::new(c.connect("cpu")?);
    let r = measure(|| {
        let t0 = rdtsc();
        let cpu = cpus.create(100)?;
        let t = rdtsc() - t0;
        cpus.destroy(cpu)?;
        Ok(t)
    })?;
    println!("BENCH create_cpu_tracked {} {} raw_create_cpu", r.0, r.1);
    Ok(0)
}
