//! A client of both servers: counts and gets greeted, through the generated stubs.
#![no_std]
#![no_main]

use cellulos::runtime::heapless::String;
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../idl/counter.idl");
}
mod greeter {
    cellulos::idl!("../../../../idl/greeter.idl");
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut counter = counter::CounterClient::new(c.connect("counter")?);
    let mut greeter = greeter::GreeterClient::new(c.connect("greeter")?);
    let name: String<64> = String::try_from("alice").unwrap_or_default();
    let hello = greeter.greet(name)?;
    println!("alice: the greeter says: {hello}");
    let total = counter.add_four(1, 2, 3, 4)?;
    println!("alice: added 1 + 2 + 3 + 4 to the counter: total {total}; I am client {}", counter.whoami()?);
    // A tally held while the model is extracted: a resource of the counter's in alice's hold.
    let tally = counter.open_tally(5)?;
    c.extract_model()?;
    counter.close(tally)?;
    Ok(0)
}
