//! A counter server that asks the root's memory server for a page while it serves `add`,
//! after giving the core away [`DELAY`] times (EXTRACT0003): a snapshot asked for
//! meanwhile has the root call it for its part of the model while it is about to call the
//! root. The root must serve its call while it waits for the answer, or each would wait for
//! the other. Its other methods count; it keeps no tallies.
#![no_std]
#![no_main]

use cellulos::runtime::server::{Held, New};
use cellulos::runtime::Badge;
use cellulos_component::sel4_rt::{println, sel4};
use cellulos_component::{Component, Connection, Error};

mod counter {
    cellulos::idl!("../../../idl/counter.idl");
}

mod memory {
    cellulos::idl!("../../../idl/memory.idl");
}

use counter::{CounterError, CounterServer, CounterService};
use memory::MemoryClient;

/// How many times `add` yields before it calls the root: more than the quitter's 20.
const DELAY: u32 = 200;

struct Borrower {
    total: u64,
    memory: MemoryClient<Connection>,
}

impl Borrower {
    /// A page from the root, given back: what a server that needs memory to serve does.
    fn borrow(&mut self) -> Result<(), CounterError> {
        let page = self.memory.allocate(1, 12).map_err(|e| {
            println!("borrower: the root refused a page: {e}");
            CounterError::Upstream
        })?;
        self.memory.free(page).map_err(|_| CounterError::Upstream)
    }
}

impl CounterServer for Borrower {
    fn add(&mut self, _caller: Badge, n: u64) -> Result<u64, CounterError> {
        for _ in 0..DELAY {
            sel4::syscall::yield_now();
        }
        self.borrow()?;
        self.total = self.total.checked_add(n).ok_or(CounterError::Overflow)?;
        Ok(self.total)
    }

    fn total(&mut self, _caller: Badge) -> Result<u64, CounterError> {
        Ok(self.total)
    }

    fn add_four(&mut self, caller: Badge, a: u64, b: u64, c: u64, d: u64) -> Result<u64, CounterError> {
        let s = a.checked_add(b).and_then(|s| s.checked_add(c)).and_then(|s| s.checked_add(d));
        self.add(caller, s.ok_or(CounterError::Overflow)?)
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
    let memory = MemoryClient::new(c.connect("memory")?);
    let mut service = CounterService::new(Borrower { total: 0, memory }, c.root_badge());
    service.book.add_space::<counter::spaces::COUNTER>(0, 0).map_err(|_| Error::NotAServer)?;
    c.serve(service)
}
