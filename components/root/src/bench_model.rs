//! Benchmarks of the model: what tracking costs. Baselines the root measures with raw
//! kernel operations, in the same boot as the tracked versions (the `membench` component
//! does the same through the root's memory server; `cargo xtask bench` prints the ratios):
//! a new address space, 4 pages created and mapped, a TCB, a thread PD (TCB, stack and IPC
//! buffer in a process's address space), a process spawned with and without its part of
//! the model; and the extraction of a model of more than 10,000 nodes (the root's
//! part merged and encoded for COM2), in cycles.
//!
//! Each timed operation is undone outside the timing, so every iteration starts alike.

use alloc::string::String;

use cellulos_keeper::{Keeper, Region};
use osmosis::Perms;
use sel4::debug::rdtsc;
use sel4::{init, CapRights, Page, Pml4, Tcb, Word};
use sel4_rt::println;

use crate::kernel::{Kernel, KernelError};
use crate::process::{Process, Spec};
use crate::thread::Supervisor;
use crate::vspace::VSpace;

/// Iterations of each operation (after as many again to warm up).
const ROUNDS: u64 = 40;
/// Where the raw mapping case maps its pages in the root.
const MAP_VA: Word = 0x280_0000_0000;

/// (mean, best) of `op`, which returns the cycles of its timed part.
fn measure(mut op: impl FnMut() -> Result<u64, KernelError>) -> Result<(u64, u64), KernelError> {
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

fn report(name: &str, r: (u64, u64), baseline: Option<&str>) {
    println!("BENCH {name} {} {} {}", r.0, r.1, baseline.unwrap_or(""));
}

/// A new address space: a PML4 with an ASID (what the memory server's `create_ads` does).
fn raw_create_ads(k: &mut Kernel) -> Result<u64, KernelError> {
    let t0 = rdtsc();
    let pml4 = k.create::<Pml4>()?;
    let assigned = k.ipc.asid_pool_assign(init::ASID_POOL, pml4.cap.cast());
    let t = rdtsc() - t0;
    assigned.map_err(|e| KernelError::Sel4("asid_pool_assign", e))?;
    k.destroy(pml4)?;
    Ok(t)
}

/// A new TCB at a priority (what the CPU server's `create` does).
fn raw_create_cpu(k: &mut Kernel) -> Result<u64, KernelError> {
    let t0 = rdtsc();
    let tcb = k.create::<Tcb>()?;
    let set = k.ipc.tcb_set_priority(tcb.cap, 100);
    let t = rdtsc() - t0;
    set.map_err(|e| KernelError::Sel4("tcb_set_priority", e))?;
    k.destroy(tcb)?;
    Ok(t)
}

/// 4 fresh pages mapped read-write (what `allocate` + `reserve_attached` do).
fn raw_map_4_pages(k: &mut Kernel, vs: &mut VSpace) -> Result<u64, KernelError> {
    let t0 = rdtsc();
    let mut frames = alloc::vec::Vec::new();
    for n in 0..4 {
        let f = k.create::<Page>()?;
        vs.map(k, f.cap, MAP_VA + n * 4096, CapRights::READ_WRITE)?;
        frames.push(f);
    }
    let t = rdtsc() - t0;
    for (n, f) in frames.into_iter().enumerate() {
        vs.unmap(k, f.cap, MAP_VA + n as Word * 4096)?;
        k.destroy(f)?;
    }
    Ok(t)
}

/// Where the raw thread case puts its threads in their process (as the PD server does).
const THREAD_VA: Word = 0x3_0000_0000;

/// A thread PD in process `p`: TCB, 4 stack pages and an IPC buffer (what the PD server's
/// `create` + `configure_thread` do), not started.
fn raw_create_thread(k: &mut Kernel, sup: &mut Supervisor, p: &mut Process) -> Result<u64, KernelError> {
    let t0 = rdtsc();
    let thread = p.spawn_thread(k, sup, 0x40_0000, 0, 4, 1, THREAD_VA)?;
    let t = rdtsc() - t0;
    p.delete_thread(k, thread)?;
    Ok(t)
}

/// The benchmark's process: `image` at priority 1, started.
fn spec(image: &[u8]) -> Spec<'_> {
    Spec {
        name: "bench",
        image,
        priority: 1,
        stack_pages: 16,
        heap_pages: 0,
        provides: None,
        server_id: 0,
        uses: &[],
        clients: &[],
        start: true,
    }
}

/// A process spawned from `image`, and with `keeper` also its part of the model.
fn spawn(
    k: &mut Kernel,
    vs: &mut VSpace,
    sup: &mut Supervisor,
    image: &[u8],
    keeper: Option<&mut Keeper>,
) -> Result<u64, KernelError> {
    let spec = spec(image);
    let fail = |_| KernelError::Sel4("spawn", sel4::Error::InvalidArgument);
    let t0 = rdtsc();
    let p = Process::spawn(k, vs, sup, &spec).map_err(|e| match e {
        crate::process::ProcessError::Kernel(e) => e,
        _ => KernelError::Sel4("spawn", sel4::Error::InvalidArgument),
    })?;
    let mut pd = None;
    if let Some(keeper) = keeper {
        let id = keeper.add_pd("bench").map_err(fail)?;
        for r in &p.regions {
            let perms = if r.write { Perms::READ | Perms::WRITE } else { Perms::READ | Perms::EXECUTE };
            let region = Region { va: r.va, pages: r.pages, kind: r.kind, perms };
            keeper.add_region(id, &region, r.paddr).map_err(fail)?;
        }
        pd = Some((keeper, id));
    }
    let t = rdtsc() - t0;
    if let Some((keeper, id)) = pd {
        keeper.remove_pd(id).map_err(fail)?;
    }
    p.delete(k)?;
    Ok(t)
}

/// A keeper holding `pds` processes of 6 regions each (as the root records components).
fn big_model(pds: usize) -> Result<Keeper, String> {
    let mut keeper = Keeper::new().map_err(|e| alloc::format!("{e}"))?;
    let kinds = ["ELF_CODE", "ELF_DATA", "START_INFO", "IPC_BUF", "STACK", "SHARED_FRAMES"];
    for n in 0..pds {
        let pd = keeper.add_pd(&alloc::format!("pd{n}")).map_err(|e| alloc::format!("{e}"))?;
        for (i, kind) in kinds.iter().enumerate() {
            let region = Region { va: 0x40_0000 + i as u64 * 0x10_0000, pages: 4, kind, perms: Perms::READ };
            keeper.add_region(pd, &region, 0x10_0000 * n as u64).map_err(|e| alloc::format!("{e}"))?;
        }
    }
    Ok(keeper)
}

/// The raw baselines, and spawning with and without the model; `image` is a component image.
pub fn run(k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, image: &[u8]) -> Result<(), String> {
    let e = |e: KernelError| alloc::format!("{e}");
    report("raw_create_ads", measure(|| raw_create_ads(k)).map_err(e)?, None);
    report("raw_map_4_pages", measure(|| raw_map_4_pages(k, vs)).map_err(e)?, None);
    report("raw_create_cpu", measure(|| raw_create_cpu(k)).map_err(e)?, None);
    let parent = Spec { start: false, ..spec(image) };
    let mut p = Process::spawn(k, vs, sup, &parent).map_err(|_| String::from("spawning the threads' process"))?;
    let threads = measure(|| raw_create_thread(k, sup, &mut p));
    p.delete(k).map_err(e)?;
    report("raw_create_pd", threads.map_err(e)?, None);
    report("spawn_raw", measure(|| spawn(k, vs, sup, image, None)).map_err(e)?, None);
    let mut keeper = Keeper::new().map_err(|e| alloc::format!("{e}"))?;
    report("spawn_modelled", measure(|| spawn(k, vs, sup, image, Some(&mut keeper))).map_err(e)?, Some("spawn_raw"));
    Ok(())
}

/// The extraction of a big model (run last: it leaves the heap well used).
pub fn extraction() -> Result<(), String> {
    // Extraction of a model of more than 10,000 nodes: merge (the root's part alone here:
    // its servers' parts arrive over IPC in a real run) and encode.
    let keeper = big_model(800)?;
    let t0 = rdtsc();
    let model = keeper.extract(&[]).map_err(|e| alloc::format!("{e}"))?;
    let bytes = osmosis::wire::to_bytes(&model);
    let t = rdtsc() - t0;
    println!(
        "BENCH-NOTE extract_model: {} nodes, {} edges, {} bytes encoded in {t} cycles ({} cycles per node)",
        model.node_count(),
        model.edge_count(),
        bytes.len(),
        t / model.node_count().max(1) as u64
    );
    Ok(())
}
