//! A bystander of EXTRACT0001 and 0002: it gives the core away a few times, asks for a
//! snapshot of the model and exits, so that its request and its end reach the supervisor
//! while the root is blocked in a call to a server that is, or waits on one that is, about
//! to fault (crashy yields far longer). The root must take them all, and the snapshot must
//! complete. Exit code: 1 if it did not.
#![no_std]
#![no_main]

use cellulos_component::sel4_rt::sel4;
use cellulos_component::{Component, Error};

/// Fewer than crashy's delay: its end comes while crashy still holds the root up.
const YIELDS: u32 = 20;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    for _ in 0..YIELDS {
        sel4::syscall::yield_now();
    }
    Ok(u64::from(c.extract_model().is_err()))
}
