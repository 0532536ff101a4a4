//! Calls the relay until a call fails (its upstream, or the relay itself, is gone): then
//! exits 0. Under a recursive PD policy the root terminates it first. Exit 2 if nothing
//! failed after many calls (the crash never reached it).
#![no_std]
#![no_main]

use cellulos_component::sel4_rt::{println, sel4};
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut relay = counter::CounterClient::new(c.connect("relay")?);
    for _ in 0..100_000 {
        if let Err(e) = relay.add(1) {
            println!("downstream: the relay answered: {e}");
            return Ok(0);
        }
        sel4::syscall::yield_now();
    }
    Ok(2)
}
