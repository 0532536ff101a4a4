//! The benchmark's raw server: `seL4_ReplyRecv` with no decoding and no dispatch.
#![no_std]
#![no_main]

use cellulos_component::{Component, Error};

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    c.serve_raw()
}
