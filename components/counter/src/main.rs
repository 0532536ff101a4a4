//! The counter server of the example system: its logic, and nothing else (the generated
//! service decodes, dispatches and replies; the component runtime runs the loop).
#![no_std]
#![no_main]

use cellulos::runtime::Badge;
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../idl/counter.idl");
}

use counter::{CounterError, CounterServer, CounterService};

struct Counter {
    total: u64,
}

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
        Ok(data.iter().map(|b| u64::from(*b)).sum())
    }

    fn sum_large(
        &mut self,
        _caller: Badge,
        data: cellulos::runtime::heapless::Vec<u8, 8192>,
    ) -> Result<u64, CounterError> {
        Ok(data.iter().map(|b| u64::from(*b)).sum())
    }

    fn whoami(&mut self, caller: Badge) -> Result<u32, CounterError> {
        Ok(caller)
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let service = CounterService::new(Counter { total: 0 }, c.root_badge());
    c.serve(service)
}
