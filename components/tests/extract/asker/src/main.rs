//! EXTRACT0001's client: it arms crashy to fault when the root asks it for its part of the
//! model, then asks for an extraction. The extraction must complete (the root released from
//! its call to the dead server, which it represents by the spaces it served), not hang; a
//! call to crashy afterwards gets `ServerGone`, and a second extraction (crashy gone)
//! succeeds. Exit code: how many checks failed.
#![no_std]
#![no_main]

use cellulos::runtime::{CallError, Status};
use cellulos_component::{Checks, Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut crashy = counter::CounterClient::new(c.connect("crashy")?);
    crashy.add(0xbeef)?;
    // The root is released from its call to crashy; crashy's part is what is known of a
    // PD that ended: the spaces it serves.
    t.check(c.extract_model().is_ok(), "an extraction during which a server faults completes");
    let after = crashy.total();
    t.check(matches!(after, Err(CallError::Status(Status::ServerGone))), "the dead server's calls get ServerGone");
    t.check(c.extract_model().is_ok(), "the next extraction, without it, succeeds");
    Ok(t.failed)
}
