//! A client of the root task's PD server (PD0001): it makes a thread of itself and a
//! process from another component's image, starts the thread, gives the process a
//! resource-directory entry, asks for a snapshot of the model (the root checks what a
//! thread and a process share with it), tries what it may not (an unknown image, a priority
//! above its own, configuring twice, terminating itself), and terminates both. Exit code:
//! how many checks failed.
#![no_std]
#![no_main]

use cellulos::runtime::heapless::String;
use cellulos::runtime::CallError;
use cellulos_component::sel4_rt::{println, sel4};
use cellulos_component::{Checks, Component, Error};

use cellulos::interfaces::pd::{PdClient, PdError, ProcessConfig, ThreadConfig};

/// What the thread runs: it gives the CPU away until it is terminated.
extern "C" fn worker(_arg: u64, _supervisor: u64, _ipc_buffer: u64) -> ! {
    loop {
        sel4::syscall::yield_now();
    }
}

fn text<const N: usize>(s: &str) -> String<N> {
    String::try_from(s).unwrap_or_default()
}

fn process(image: &str, priority: u8) -> ProcessConfig {
    ProcessConfig { image: text(image), stack_pages: 16, heap_pages: 0, priority }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut pds = PdClient::new(c.connect("pd")?);
    let me = pds.own_pd()?;
    t.check(pds.own_pd().err() == Some(CallError::App(PdError::AlreadyHeld)), "its own PD is handed out once");

    let thread = pds.create(text("spawner.worker"))?;
    let entry = worker as extern "C" fn(u64, u64, u64) -> ! as usize as u64;
    pds.configure_thread(&thread, &me, ThreadConfig { entry, arg: 7, stack_pages: 4, priority: 100 })?;
    pds.start(&thread)?;
    t.check(pds.info(&thread)?.running, "a thread of itself runs");

    let child = pds.create(text("spawner.child"))?;
    t.check(
        pds.configure_process(&child, process("no-such-program", 100)).err() == Some(CallError::App(PdError::BadImage)),
        "an image that is not embedded: BadImage",
    );
    t.check(
        pds.configure_process(&child, process("intruder", 200)).err() == Some(CallError::App(PdError::NotAllowed)),
        "a priority above its own: NotAllowed",
    );
    pds.configure_process(&child, process("intruder", 100))?;
    t.check(
        pds.configure_process(&child, process("intruder", 100)).err()
            == Some(CallError::App(PdError::AlreadyConfigured)),
        "configuring twice: AlreadyConfigured",
    );
    pds.add_request(&child, &me, text("PD"))?;
    let info = pds.info(&child)?;
    t.check(!info.running && info.requests == 1, "a process made, not started, with one request");

    t.check(c.extract_model().is_ok(), "a snapshot of the model with the thread and the process");
    t.check(pds.terminate(me).err() == Some(CallError::App(PdError::NotAllowed)), "it cannot terminate itself");
    pds.terminate(thread)?;
    pds.terminate(child)?;
    t.check(c.extract_model().is_ok(), "a snapshot after both ended");
    println!("spawner: {} check(s) failed", t.failed);
    Ok(t.failed)
}
