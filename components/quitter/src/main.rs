//! EXTRACT0001's bystander: it gives the core away a few times and exits, so that its end
//! reaches the supervisor while the root is blocked in a call to a server that is about to
//! fault (crashy, armed, yields far longer). The root must take both.
#![no_std]
#![no_main]

use cellulos_component::sel4_rt::sel4;
use cellulos_component::{Component, Error};

/// Fewer than crashy's delay: its end comes while crashy still holds the root up.
const YIELDS: u32 = 20;

cellulos_component::main!(run);

fn run(_c: &mut Component) -> Result<u64, Error> {
    for _ in 0..YIELDS {
        sel4::syscall::yield_now();
    }
    Ok(0)
}
