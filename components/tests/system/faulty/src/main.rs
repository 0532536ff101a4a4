//! Faults on purpose after one call to the counter (one that changes nothing the probe checks): the root task must report the fault
//! (with its address) and carry on; the counter keeps serving its other clients.
#![no_std]
#![no_main]

use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

/// Where the write goes: nothing is mapped there in a component.
const NOWHERE: u64 = 0xdead_0000;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut counter = counter::CounterClient::new(c.connect("counter")?);
    counter.whoami()?;
    // SAFETY: none; this is the point: the store faults and the root reports it.
    unsafe { (NOWHERE as *mut u64).write_volatile(1) };
    Ok(0)
}
