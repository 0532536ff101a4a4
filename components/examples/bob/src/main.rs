//! A second client of the counter: the server tells it from alice by its badge.
#![no_std]
#![no_main]

use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../idl/counter.idl");
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut counter = counter::CounterClient::new(c.connect("counter")?);
    for n in [10, 20, 30] {
        let total = counter.add(n)?;
        println!("bob: added {n}: total {total}");
    }
    println!("bob: I am client {}", counter.whoami()?);
    Ok(0)
}
