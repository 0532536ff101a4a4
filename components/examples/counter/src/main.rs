//! The counter server of the example system: its logic, and nothing else (the generated
//! service decodes, dispatches and replies; the component runtime runs the loop).
#![no_std]
#![no_main]

use cellulos::runtime::server::{Held, New, ObjectId};
use cellulos::runtime::Badge;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../idl/counter.idl");
}

use counter::{CounterError, CounterServer, CounterService};

struct Counter {
    total: u64,
    /// The space its tallies live in, and the tallies (None once closed).
    space: ObjectId,
    tallies: alloc::vec::Vec<Option<u64>>,
}

extern crate alloc;

impl CounterServer for Counter {
    fn add(&mut self, _caller: Badge, n: u64) -> Result<u64, CounterError> {
        self.total = self.total.checked_add(n).ok_or(CounterError::Overflow)?;
        Ok(self.total)
    }

    fn total(&mut self, _caller: Badge) -> Result<u64, CounterError> {
        Ok(self.total)
    }

    fn add_four(&mut self, caller: Badge, a: u64, b: u64, c: u64, d: u64) -> Result<u64, CounterError> {
        let sum = a.checked_add(b).and_then(|s| s.checked_add(c)).and_then(|s| s.checked_add(d));
        self.add(caller, sum.ok_or(CounterError::Overflow)?)
    }

    fn sum_bytes(
        &mut self,
        _caller: Badge,
        data: cellulos::runtime::heapless::Vec<u8, 952>,
    ) -> Result<u64, CounterError> {
        Ok(sum(&data))
    }

    fn sum_large(
        &mut self,
        _caller: Badge,
        data: cellulos::runtime::heapless::Vec<u8, 8192>,
    ) -> Result<u64, CounterError> {
        Ok(sum(&data))
    }

    fn open_tally(&mut self, _caller: Badge, start: u64) -> Result<New<counter::resources::TALLY>, CounterError> {
        self.tallies.push(Some(start));
        Ok(New::resource(self.tallies.len() as u64 - 1, self.space))
    }

    fn bump(&mut self, _caller: Badge, tally: Held<counter::resources::TALLY>) -> Result<u64, CounterError> {
        let t = self.tallies.get_mut(tally.key as usize).and_then(|t| t.as_mut()).ok_or(CounterError::NoSuchTally)?;
        *t += 1;
        Ok(*t)
    }

    fn close(&mut self, _caller: Badge, tally: Held<counter::resources::TALLY>) -> Result<(), CounterError> {
        let t = self.tallies.get_mut(tally.key as usize).ok_or(CounterError::NoSuchTally)?;
        *t = None;
        Ok(())
    }

    fn whoami(&mut self, caller: Badge) -> Result<u32, CounterError> {
        Ok(caller)
    }
}

/// The sum of the bytes' values.
fn sum(data: &[u8]) -> u64 {
    data.iter().map(|b| u64::from(*b)).sum()
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut service =
        CounterService::new(Counter { total: 0, space: ObjectId(0), tallies: alloc::vec::Vec::new() }, c.root_badge());
    // The COUNTER space it serves, held by the server itself (badge 0 is no client's).
    let (space, _) = service.book.add_space::<counter::spaces::COUNTER>(0, 0).map_err(|_| Error::NotAServer)?;
    service.server.space = space;
    c.serve(service)
}
