//! EXTRACT0002's client: it asks the relay to add the number that makes crashy fault after
//! a while, so the relay waits on crashy while the root calls the relay. Its call must come
//! back with an error (crashy gone, the relay's upstream call released): exit 0; 1 if it
//! succeeded.
#![no_std]
#![no_main]

use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../idl/counter.idl");
}

/// What crashy faults on after its delay.
const SLOW_CRASH: u64 = 0x5105;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut relay = counter::CounterClient::new(c.connect("relay")?);
    let r = relay.add(SLOW_CRASH);
    println!("pusher: the relay answered: {r:?}");
    Ok(u64::from(r.is_ok()))
}
