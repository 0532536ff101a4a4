//! A counter server that faults on purpose when asked to add [`CRASH`], so that the
//! cleanup tests (CLEANUP0001-4) see a server die with callers blocked on it (after a
//! delay for [`SLOW_CRASH`]: EXTRACT0002); asked to add
//! [`ARM`], it faults when the root next asks for its part of the model, after giving the
//! core away [`DELAY`] times so that other PDs act meanwhile (EXTRACT0001: the root must not
//! hang in the middle of an extraction, whatever else happens while it waits). Given a
//! connection to the root's memory server (the borrower, broker and lender instances,
//! EXTRACT0003-4), it does not fault after the delay of [`SLOW_CRASH`] (twice as long for
//! [`SLOWER`]) but asks the root for a page, and given one to a counter, gives one of its
//! clients a tally of it: a server calling the root, and asking it for a give, while the
//! root calls it (or calls a server that waits on its give); before serving, it checks
//! that a give of an object it serves itself is refused. Its tallies only open; its other
//! methods count like the real counter.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};

use cellulos::runtime::server::{Held, New, ObjectId, Serve, ServeCtx};
use cellulos::runtime::Badge;
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Connection, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}

mod memory {
    cellulos::idl!("../../../../../idl/memory.idl");
}

use counter::{CounterError, CounterServer, CounterService};

/// The argument of `add` that makes this server fault.
const CRASH: u64 = 0xdead;
/// The argument of `add` that makes this server fault after yielding [`DELAY`] times (its
/// caller, and whoever calls that caller, wait meanwhile: EXTRACT0002).
const SLOW_CRASH: u64 = 0x5105;
/// [`SLOW_CRASH`] after twice the delay (EXTRACT0004: the lender gives after the broker).
const SLOWER: u64 = 0x5106;
/// The argument of `add` that arms the fault on `export_model`.
const ARM: u64 = 0xbeef;
/// Where the fault happens: nothing is mapped there in a component.
const NOWHERE: u64 = 0xdead_0000;
/// How many times the armed `export_model` yields before it faults.
const DELAY: u32 = 200;
/// Whether the next `export_model` faults.
static ARMED: AtomicBool = AtomicBool::new(false);

/// Gives the core away [`DELAY`] times.
fn delay() {
    for _ in 0..DELAY {
        cellulos_component::sel4_rt::sel4::syscall::yield_now();
    }
}

/// Gives the core away [`DELAY`] times, then faults.
fn delay_then_fault() {
    delay();
    fault();
}

fn fault() {
    // SAFETY: none; this is the point: the store faults with the caller waiting.
    unsafe { (NOWHERE as *mut u64).write_volatile(1) };
}

struct Crashy {
    total: u64,
    /// The root's memory server, if it has a connection to it.
    memory: Option<memory::MemoryClient<Connection>>,
    /// A counter, if it has a connection to one (its tallies to give away).
    counter: Option<counter::CounterClient<Connection>>,
    /// Who gets them: a client of this server that has a connection to that counter.
    recipient: &'static str,
    /// Its COUNTER space, and the tallies opened in it so far (their keys).
    space: ObjectId,
    tallies: u64,
}

impl Crashy {
    /// A page from the root, given back: what a server that needs memory to serve does.
    fn borrow(memory: &mut memory::MemoryClient<Connection>) -> Result<(), CounterError> {
        let page = memory.allocate(1, 12).map_err(|e| {
            println!("crashy: the root refused a page: {e}");
            CounterError::Upstream
        })?;
        memory.free(page).map_err(|_| CounterError::Upstream)
    }

    /// Gives `to` the tally `identify` named (its counter is not asked again: it may be
    /// busy by now, and the root's call to it is what EXTRACT0004 wants waiting).
    fn give_tally(tally: (u32, Badge), to: &str) -> Result<(), CounterError> {
        cellulos_component::give_identified(tally, to, 3).map(|_| ()).map_err(|e| {
            println!("crashy: the root refused a give: {e:?}");
            CounterError::Upstream
        })
    }
}

fn sum(data: &[u8]) -> u64 {
    data.iter().map(|b| u64::from(*b)).sum()
}

impl CounterServer for Crashy {
    fn add(&mut self, _caller: Badge, n: u64) -> Result<u64, CounterError> {
        if n == CRASH {
            fault();
        }
        if n == SLOW_CRASH || n == SLOWER {
            match self.memory.as_mut() {
                Some(memory) => {
                    // The tally first: its counter may be busy by the time of the give.
                    let tally = match self.counter.as_mut() {
                        Some(counter) => {
                            let tally = counter.open_tally(0).map_err(|_| CounterError::Upstream)?;
                            Some(cellulos_component::identify(&tally).map_err(|_| CounterError::Upstream)?)
                        }
                        None => None,
                    };
                    delay();
                    if n == SLOWER {
                        delay();
                    }
                    Self::borrow(memory)?;
                    if let Some(tally) = tally {
                        Self::give_tally(tally, self.recipient)?;
                    }
                }
                None => delay_then_fault(),
            }
        }
        if n == ARM {
            ARMED.store(true, Ordering::SeqCst);
            return Ok(self.total);
        }
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

    fn open_tally(&mut self, _caller: Badge, _start: u64) -> Result<New<counter::resources::TALLY>, CounterError> {
        self.tallies += 1;
        Ok(New::resource(self.tallies - 1, self.space))
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

/// The generated service, faulting on `export_model` once armed.
struct Trap(CounterService<Crashy>);

impl Serve for Trap {
    fn serve_registers(&mut self, label: u32, caller: Badge, words: &mut [u64; 4], len: &mut usize) -> Option<u32> {
        self.0.serve_registers(label, caller, words, len)
    }

    fn serve(&mut self, ctx: &mut ServeCtx<'_>, msg: &mut cellulos::runtime::Message) {
        if msg.code() == cellulos::runtime::limits::EXPORT_MODEL && ARMED.load(Ordering::SeqCst) {
            delay_then_fault();
        }
        self.0.serve(ctx, msg)
    }
}

/// What the borrower exits with when the root did not refuse it a give of its own object.
const SELF_GIVE_ANSWERED: u64 = 0x5e1f;

/// Whether the root refuses this server a give of an object it serves itself (its first
/// handle badge, to the customer) as not allowed: it gives in its own book.
fn gives_of_its_own_are_refused(c: &Component) -> bool {
    let mut name = [0; 4];
    name[0] = u64::from_le_bytes(*b"customer");
    let words = [
        c.server_id(),
        u64::from(cellulos::runtime::limits::FIRST_HANDLE_BADGE),
        3,
        name[0],
        name[1],
        name[2],
        name[3],
    ];
    c.give_raw(&words).0 == cellulos::runtime::Status::NotAllowed as u64
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let memory = c.connect("memory").ok().map(memory::MemoryClient::new);
    let counter = c.connect("counter").ok().map(counter::CounterClient::new);
    if counter.is_some() && !gives_of_its_own_are_refused(c) {
        c.exit(SELF_GIVE_ANSWERED);
    }
    // The client of each instance that gives (EXTRACT0003, EXTRACT0004).
    let recipient = if c.name() == "borrower" { "customer" } else { "shopper" };
    let crashy = Crashy { total: 0, memory, counter, recipient, space: ObjectId(0), tallies: 0 };
    let mut service = CounterService::new(crashy, c.root_badge());
    let (space, _) = service.book.add_space::<counter::spaces::COUNTER>(0, 0).map_err(|_| Error::NotAServer)?;
    service.server.space = space;
    c.serve(Trap(service))
}
