//! The giver of GIVE0001: it opens a tally at the counter, gives it to the taker (which has
//! a counter connection of its own) and tells the taker the slot; the taker bumps it, the
//! giver sees the count move (one object, two holders) and asks for a snapshot of the
//! model. Before, it tries what the root must refuse: a recipient that does not exist,
//! itself, one with no connection to the counter, a handle it does not hold, and a slot
//! that holds no gift; after, it gives until the taker has no slot left, which the root
//! refuses. Exit code: how many checks failed.
#![no_std]
#![no_main]

use cellulos::runtime::limits::FIRST_HANDLE_BADGE;
use cellulos::runtime::{CallError, Status};
use cellulos_component::sel4_rt::sel4::Word;
use cellulos_component::{Checks, Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}
mod recipient {
    cellulos::idl!("../../../../../idl/recipient.idl");
}

use counter::CounterClient;
use recipient::{RecipientClient, RecipientError};

/// Every right a handle has.
const ALL: u8 = 0xff;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut counter = CounterClient::new(c.connect("counter")?);
    let mut taker = RecipientClient::new(c.connect("taker")?);
    let tally = counter.open_tally(5)?;
    t.check(counter.bump(&tally)? == 6, "the giver bumps its tally");

    let refused = |r: Result<Word, Error>| match r {
        Err(Error::Give(status)) => status,
        _ => 0,
    };
    let not_allowed = Status::NotAllowed as Word;
    t.check(refused(c.give(&tally, "nobody", ALL)) == not_allowed, "a recipient that does not exist");
    t.check(refused(c.give(&tally, "giver", ALL)) == not_allowed, "the giver itself");
    t.check(refused(c.give(&tally, "counter", ALL)) == not_allowed, "a recipient with no counter connection");
    // A handle it does not hold, named as if it did, for each server id there is: refused
    // by the server that owns the badge (or by the root, for an id no server has).
    let mut name = [0 as Word; 4];
    name[0] = Word::from_le_bytes(*b"taker\0\0\0");
    for server in 0..4 {
        let badge = Word::from(FIRST_HANDLE_BADGE) + 77;
        let (status, _) = c.give_raw(&[server, badge, Word::from(ALL), name[0], name[1], name[2], name[3]]);
        t.check(status != 0, "a handle the giver does not hold is not given");
    }
    // A request of the wrong length, shorter or longer: refused, whatever its words say.
    let real = [2, Word::from(FIRST_HANDLE_BADGE), Word::from(ALL), name[0], name[1], name[2], name[3], 0];
    let bad_handle = Status::BadHandle as Word;
    t.check(c.give_raw(&real[..3]).0 == bad_handle, "a give request of 3 words is refused");
    t.check(c.give_raw(&real).0 == bad_handle, "a give request of 8 words is refused");
    let no_gift = taker.bump_given(5);
    t.check(no_gift == Err(CallError::App(RecipientError::NotUsable)), "a slot that holds no gift is not used");

    let slot = c.give(&tally, "taker", ALL)?;
    t.check(taker.bump_given(slot)? == 7, "the taker bumps the tally it was given");
    t.check(counter.bump(&tally)? == 8, "one tally: the giver sees the taker's bump");
    t.check(c.extract_model().is_ok(), "a snapshot with the gift");
    // Gifts until the taker has no slot left for one: the one refused leaves no hold behind
    // (the root counts the taker's holds in a second snapshot).
    let mut more = 0;
    let last = loop {
        match c.give(&tally, "taker", ALL) {
            Ok(_) if more < 64 => more += 1,
            other => break other,
        }
    };
    t.check(refused(last) == Status::NoHandles as Word, "a gift with no slot left for it is refused");
    t.check(c.extract_model().is_ok(), "a snapshot with every slot of the taker's given");
    Ok(t.failed)
}
