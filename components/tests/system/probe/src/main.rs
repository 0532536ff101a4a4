//! The in-system test client of the seL4 transport: through the generated counter client it
//! calls with 0 words, 4 words (registers), 64 and 960 bytes (IPC buffer), 1 and 8 KiB (the
//! connection's shared buffer); it is told apart
//! from itself on a second connection by badge; it has no capability for an interface it
//! was not connected to; and raw `seL4_Call`s with malformed messages get error replies
//! while the server keeps serving. Each check prints `  ok:` or `  FAILED:`; the exit code
//! is the number of failures (the root task's test reports it).
#![no_std]
#![no_main]

use cellulos::runtime::heapless::Vec;
use cellulos::runtime::status::Status;
use cellulos_component::__sel4::{syscall, MessageInfo, Word};
use cellulos_component::sel4_rt::println;
use cellulos_component::{Checks, Component, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}
mod greeter {
    cellulos::idl!("../../../../../idl/greeter.idl");
}

use counter::{counter_methods, CounterClient};

fn bytes(n: usize) -> Vec<u8, 952> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let first = c.connect("counter")?;
    let raw = first.raw_cptr();
    let mut counter = CounterClient::new(first);
    let mut second = CounterClient::new(c.connect("again")?);

    t.check(counter.total()? == 0, "0 words: a fresh counter's total is 0");
    t.check(counter.add_four(1, 2, 3, 4)? == 10, "4 words in registers: add_four(1, 2, 3, 4) = 10");
    let small = bytes(62);
    let want_small: u64 = small.iter().map(|b| u64::from(*b)).sum();
    t.check(counter.sum_bytes(small)? == want_small, "64 bytes in the IPC buffer: the sum of 62 bytes");
    let big = bytes(952);
    let want_big: u64 = big.iter().map(|b| u64::from(*b)).sum();
    t.check(counter.sum_bytes(big)? == want_big, "960 bytes (120 words, the most a message holds)");
    let large: Vec<u8, 8192> = (0..1024).map(|i| (i % 251) as u8).collect();
    let want_large: u64 = large.iter().map(|b| u64::from(*b)).sum();
    t.check(counter.sum_large(large)? == want_large, "1 KiB through the connection's shared buffer");
    let huge: Vec<u8, 8192> = (0..8192).map(|i| (i % 7) as u8).collect();
    let want_huge: u64 = huge.iter().map(|b| u64::from(*b)).sum();
    t.check(second.sum_large(huge)? == want_huge, "8 KiB on the second connection's own buffer");
    // Capabilities: a new resource comes back as a cap; borrowed, it arrives as its badge.
    let tally = counter.open_tally(41)?;
    t.check(counter.bump(&tally)? == 42, "a returned capability, borrowed back: bump = 42");
    t.check(counter.bump(&tally)? == 43, "the same capability again: bump = 43");
    let other = counter.open_tally(0)?;
    t.check(counter.bump(&other)? == 1 && counter.bump(&tally)? == 44, "two capabilities name two tallies");
    t.check(second.bump(&tally).is_err(), "a capability used on another connection is not its holder's");
    // A capability to the counter's object, sent to the greeter: it learns from the counter
    // whose it is (the same for the same tally, different for another one).
    let mut greeter = greeter::GreeterClient::new(c.connect("greeter")?);
    let (server, badge) = greeter.inspect(&tally)?;
    let again = greeter.inspect(&tally)?;
    let (other_server, other_badge) = greeter.inspect(&other)?;
    t.check(
        server != 0 && badge != 0 && again == (server, badge) && other_server == server && other_badge != badge,
        "a capability to another server's object is identified by its owner (server, badge)",
    );
    t.check(counter.bump(&tally)? == 45, "and stays the client's, usable after");
    // A snapshot of the model while the probe holds both tallies (the root's MODEL0001
    // checks what it shows).
    t.check(c.extract_model().is_ok(), "the root extracts the model on request");
    counter.close(tally)?;
    t.check(counter.bump(&tally).is_err(), "a closed (revoked) capability is refused");
    t.check(greeter.inspect(&tally).is_err(), "a revoked capability cannot be sent on either");
    t.check(counter.bump(&other)? == 2, "the other tally lives on");
    // A handle's capability names the server's endpoint too, but calling through it is no
    // connection: the server refuses (else its badge could pass for another client's).
    let other_slot = match other.cap {
        cellulos::runtime::Cap::Endpoint { badge, .. } => Word::from(badge),
        cellulos::runtime::Cap::Unwrapped(_) => 0,
    };
    let through_handle =
        syscall::call(other_slot, MessageInfo::new(Word::from(counter_methods::WHOAMI), 0, 0, 0), [0; 4]);
    t.check(
        other_slot != 0 && through_handle.info.label() == Status::NotAllowed as Word,
        "a call through a handle's capability is refused",
    );
    // Slots for received caps come back when a handle is consumed: far more tallies than a
    // connection has slots (64), opened and closed one after another.
    let mut cycles_ok = true;
    for n in 0..200 {
        let t2 = counter.open_tally(n)?;
        cycles_ok &= counter.bump(&t2)? == n + 1;
        counter.close(t2)?;
    }
    t.check(cycles_ok, "200 tallies opened, used and closed: received-cap slots are reused");
    let (a, b) = (counter.whoami()?, second.whoami()?);
    t.check(a != 0 && b != 0 && a != b, "two connections to one server carry two badges");
    t.check(second.add(5)? == 15, "both connections reach the same server state");
    t.check(
        matches!(c.connect("kvstore"), Err(Error::NoSuchConnection)),
        "no capability for an interface this instance is not connected to",
    );

    // Raw seL4 with malformed messages: error replies, and the server keeps serving.
    let call = |label: u32, words: &[Word]| {
        let mut mrs = [0; 4];
        mrs[..words.len()].copy_from_slice(words);
        syscall::call(raw, MessageInfo::new(Word::from(label), 0, 0, words.len() as Word), mrs).info.label()
    };
    t.check(call(999, &[]) == Status::UnknownMethod as Word, "an unknown method gets UnknownMethod");
    t.check(call(counter_methods::ADD, &[]) == Status::Short as Word, "a short message gets Short");
    t.check(call(counter_methods::TOTAL, &[1, 2]) == Status::Trailing as Word, "trailing words get Trailing");
    t.check(
        call(counter_methods::SUM_BYTES, &[u64::MAX]) != Status::Ok as Word,
        "a length prefix past the message is refused",
    );
    t.check(counter.total()? == 15, "the server kept serving, its state intact");
    println!("probe: {} check(s) failed", t.failed);
    Ok(t.failed)
}
