//! EXTRACT0002's client: it asks the relay to add the number that makes crashy fault after
//! a while, so the relay waits on crashy while the root calls the relay. Its call must come
//! back with an error (crashy gone, the relay's upstream call released): exit 0; 1 if it
//! succeeded. (EXTRACT0003-4's clients of the crashy servers that give: there, 1 is what
//! the test wants; connected as `slower`, it asks a while later for twice the delay.)
#![no_std]
#![no_main]

use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

/// What crashy faults on after its delay.
const SLOW_CRASH: u64 = 0x5105;
/// The same after twice the delay.
const SLOWER: u64 = 0x5106;
/// How many times the `slower` client gives the core away before its call.
const LATER: u32 = 50;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let (relay, n) = match c.connect("relay") {
        Ok(relay) => (relay, SLOW_CRASH),
        Err(_) => {
            // After the other clients' first calls (EXTRACT0004: the broker opens its tally
            // at the lender before the lender is busy with this call).
            for _ in 0..LATER {
                cellulos_component::sel4_rt::sel4::syscall::yield_now();
            }
            (c.connect("slower")?, SLOWER)
        }
    };
    let r = counter::CounterClient::new(relay).add(n);
    println!("pusher: the relay answered: {r:?}");
    Ok(u64::from(r.is_ok()))
}
