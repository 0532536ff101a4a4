//! Calls the crashy server, then makes it fault while serving this very call. When the
//! root's cleanup policy lets the victim live, the call must come back with
//! `ServerGone` (the root releases blocked callers) and so must a second one (through the
//! revoked connection): exit 0. Anything else: exit 1. Under a PD policy the root
//! terminates the victim instead.
#![no_std]
#![no_main]

use cellulos::runtime::{CallError, Status};
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut crashy = counter::CounterClient::new(c.connect("crashy")?);
    crashy.add(1)?;
    let during = crashy.add(0xdead);
    let after = crashy.total();
    println!("victim: the call during the crash: {during:?}; a call after it: {after:?}");
    let gone =
        |r: &Result<u64, CallError<counter::CounterError>>| matches!(r, Err(CallError::Status(Status::ServerGone)));
    Ok(if gone(&during) && gone(&after) { 0 } else { 1 })
}
