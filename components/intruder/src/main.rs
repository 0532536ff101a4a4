//! Tries to call a server it was not connected to: it has no capability for one, so the
//! best it can do is `seL4_Call` a slot of its CSpace that holds nothing. The kernel answers
//! with an invalid-capability error and no server sees a message; the exit code says
//! whether that is what happened (0) or not (1).
#![no_std]
#![no_main]

use cellulos_component::__sel4::{syscall, Error as Sel4Error, MessageInfo};
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

/// A slot of its CSpace past everything the root gave it.
const EMPTY_SLOT: u64 = 900;

cellulos_component::main!(run);

fn run(_c: &mut Component) -> Result<u64, Error> {
    let r = syscall::call(EMPTY_SLOT, MessageInfo::new(1, 0, 0, 0), [0; 4]);
    let answer = Sel4Error::check(r.info.label());
    println!("intruder: a call through an empty slot: {answer:?}");
    Ok(u64::from(answer != Err(Sel4Error::InvalidCapability)))
}
