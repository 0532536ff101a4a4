//! A counter server that forwards every `add` to its `upstream` counter: a server that is
//! also a client, one hop of dependency for the cleanup tests (when the upstream dies, the
//! relay is at PD depth 1 and its clients at depth 2).
#![no_std]
#![no_main]

use cellulos::runtime::server::{Held, New};
use cellulos::runtime::Badge;
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Connection, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

use counter::{CounterClient, CounterError, CounterServer, CounterService};

struct Relay {
    upstream: CounterClient<Connection>,
}

impl Relay {
    fn forward(&mut self, n: u64) -> Result<u64, CounterError> {
        self.upstream.add(n).map_err(|e| {
            println!("relay: upstream failed: {e}");
            CounterError::Upstream
        })
    }
}

impl CounterServer for Relay {
    fn add(&mut self, _caller: Badge, n: u64) -> Result<u64, CounterError> {
        self.forward(n)
    }

    fn total(&mut self, _caller: Badge) -> Result<u64, CounterError> {
        self.forward(0)
    }

    fn add_four(&mut self, _caller: Badge, a: u64, b: u64, c: u64, d: u64) -> Result<u64, CounterError> {
        let s = a.checked_add(b).and_then(|s| s.checked_add(c)).and_then(|s| s.checked_add(d));
        self.forward(s.ok_or(CounterError::Overflow)?)
    }

    fn sum_bytes(
        &mut self,
        _caller: Badge,
        _data: cellulos::runtime::heapless::Vec<u8, 952>,
    ) -> Result<u64, CounterError> {
        Err(CounterError::Upstream)
    }

    fn sum_large(
        &mut self,
        _caller: Badge,
        _data: cellulos::runtime::heapless::Vec<u8, 8192>,
    ) -> Result<u64, CounterError> {
        Err(CounterError::Upstream)
    }

    fn open_tally(&mut self, _caller: Badge, _start: u64) -> Result<New<counter::resources::TALLY>, CounterError> {
        Err(CounterError::NoSuchTally)
    }

    fn bump(&mut self, _caller: Badge, _tally: Held<counter::resources::TALLY>) -> Result<u64, CounterError> {
        Err(CounterError::NoSuchTally)
    }

    fn close(&mut self, _caller: Badge, _tally: Held<counter::resources::TALLY>) -> Result<(), CounterError> {
        Err(CounterError::NoSuchTally)
    }

    fn whoami(&mut self, caller: Badge) -> Result<u32, CounterError> {
        Ok(caller)
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let upstream = CounterClient::new(c.connect("upstream")?);
    let mut service = CounterService::new(Relay { upstream }, c.root_badge());
    service.book.add_space::<counter::spaces::COUNTER>(0, 0).map_err(|_| Error::NotAServer)?;
    c.serve(service)
}
