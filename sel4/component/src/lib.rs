//! A CellulOS component on seL4. Writing one needs no `unsafe` and no slots or badges:
//!
//! ```ignore
//! cellulos_component::main!(client);
//! fn client(c: &mut Component) -> Result<u64, Error> {
//!     let mut clock = ClockClient::new(c.connect("clock")?);
//!     Ok(clock.now()?)
//! }
//! ```
//!
//! [`main!`] defines the entry: on the stack the root task mapped (with an unmapped gap
//! below it, so an overflow is a reported fault), a heap, the start page the root task mapped
//! ([`sel4_rt::start`]), then the function; its `Ok` value is the exit code. A server ends
//! in [`Component::serve`], which answers calls with the generated service forever.
//!
//! One thread per component: connections share the thread's IPC buffer, which is why the
//! transport here is the only code that touches it.
#![no_std]

extern crate alloc;

mod checks;
mod error;
mod transport;

pub use checks::Checks;
pub use error::Error;
pub use sel4_rt;
pub use transport::Connection;

use cellulos::runtime::limits;
use sel4::{MessageInfo, Word};
use sel4_rt::start::{name_str, StartInfo, START_MAGIC};
use transport::serve;

/// Bytes of each component's heap.
pub const HEAP_BYTES: usize = 1 << 20;

/// A running component.
pub struct Component {
    info: &'static StartInfo,
    /// Which uses have been connected (each shared buffer is handed out once).
    connected: u32,
    /// The next free slot of the CNode not yet handed to a connection or the server loop.
    next_slot: Word,
}

/// Slots each connection gets for the caps returned to it.
const SLOTS_PER_CONNECTION: Word = 64;

impl Component {
    /// Reads the start page (called by [`main!`]).
    #[doc(hidden)]
    pub fn from_start(info: &'static StartInfo) -> Result<Component, Error> {
        if info.magic != START_MAGIC {
            return Err(Error::BadStartPage);
        }
        transport::init(info.ipc_buffer);
        SUPERVISOR.store(info.supervisor, core::sync::atomic::Ordering::Relaxed);
        transport::init_cnode(info.cnode, info.cnode_bits);
        Ok(Component { info, connected: 0, next_slot: info.free_slots[0] })
    }

    /// This instance's name in `composition.toml`.
    pub fn name(&self) -> &str {
        name_str(&self.info.name)
    }

    /// The connection named `name` in this instance's `uses` (once per name).
    pub fn connect(&mut self, name: &str) -> Result<Connection, Error> {
        let uses = &self.info.uses[..(self.info.use_count as usize).min(self.info.uses.len())];
        let i = uses.iter().position(|u| name_str(&u.name) == name).ok_or(Error::NoSuchConnection)?;
        if self.connected & (1 << i) != 0 {
            return Err(Error::AlreadyConnected);
        }
        self.connected |= 1 << i;
        let first = self.next_slot;
        self.next_slot = (first + SLOTS_PER_CONNECTION).min(self.info.free_slots[1]);
        let slots = transport::Slots::new(first, self.next_slot);
        Ok(Connection::new(uses[i].cptr, uses[i].interface_id, uses[i].shared_va, slots))
    }

    /// Answers calls on this instance's endpoint with `service` forever.
    pub fn serve<S: cellulos::runtime::server::Serve>(&mut self, service: S) -> ! {
        if self.info.endpoint == 0 {
            exit_with(self.info.supervisor, Error::NotAServer.code());
        }
        let n = (self.info.client_count as usize).min(self.info.clients.len());
        let clients: alloc::vec::Vec<(Word, Word)> =
            self.info.clients[..n].iter().map(|c| (c.badge, c.shared_va)).collect();
        let slots = transport::Slots::new(self.next_slot, self.info.free_slots[1]);
        serve(self.info.endpoint, self.info.server_id, &clients, slots, service)
    }

    /// Answers every call on this instance's endpoint with an empty reply, with no decoding:
    /// the raw seL4 baseline the generated stubs are measured against. It keeps no book:
    /// the root's `export_model` gets an empty one (three zero counts), its
    /// `RELEASE_HOLDER` a plain success and its `GIVE` `BadHandle`.
    pub fn serve_raw(&mut self) -> ! {
        let ep = self.info.endpoint;
        if ep == 0 {
            exit_with(self.info.supervisor, Error::NotAServer.code());
        }
        let root = Word::from(self.info.root_badge);
        let mut r = sel4::syscall::recv(ep);
        loop {
            let (info, mrs) = if r.badge == root && r.info.label() == Word::from(limits::EXPORT_MODEL) {
                // Objects, handles, MAP edges: a u32 count of 0 each, 12 bytes in 2 words.
                (MessageInfo::new(0, 0, 0, 2), [0; 4])
            } else if r.badge == root && r.info.label() == Word::from(limits::RELEASE_HOLDER) {
                (MessageInfo::new(0, 0, 0, 0), [0; 4])
            } else if r.badge == root && r.info.label() == Word::from(limits::GIVE) {
                // Nothing is held here to give.
                (MessageInfo::new(cellulos::runtime::Status::BadHandle as Word, 0, 0, 0), [0; 4])
            } else {
                (MessageInfo::new(0, 0, 0, 1), [r.mrs[0], 0, 0, 0])
            };
            r = sel4::syscall::reply_recv(ep, info, mrs);
        }
    }

    /// The heap the root mapped for this process (address, bytes), if its configuration
    /// asked for one (the allocator then uses it instead of the heap in the image).
    pub fn mapped_heap(&self) -> Option<(u64, u64)> {
        let [va, bytes] = self.info.heap;
        (va != 0 && bytes != 0).then_some((va, bytes))
    }

    /// Its server id (the root's numbering, from 1; 0 if it serves nothing): what a give
    /// names as the owning server.
    pub fn server_id(&self) -> Word {
        self.info.server_id
    }

    /// The badge the root task calls with (for the generated service's `new`).
    pub fn root_badge(&self) -> cellulos::runtime::Badge {
        self.info.root_badge as cellulos::runtime::Badge
    }

    /// Has the root extract the whole model now (every server's part with the root's) and
    /// stream it out, while this component waits: a snapshot at a point of its choosing.
    /// Only clients may ask (a server asking would be asked for its own part meanwhile).
    pub fn extract_model(&self) -> Result<(), Error> {
        match sel4_rt::start::extract_model(self.info.supervisor) {
            0 => Ok(()),
            status => Err(Error::Extraction(status)),
        }
    }

    /// Gives the object behind `handle` to the instance named `to`, with `rights` (of the
    /// handle's): its server checks that this component holds it and grants the recipient a
    /// handle of its own (a HOLD edge in the model; both hold the object now), whose
    /// capability the root places in the recipient's CSpace. The answer is that slot, for
    /// the recipient's [`given`]: tell it by any call. The recipient must have a
    /// connection to the object's server (or it could not use it); the root's own resources
    /// are shared through the PD server (`pd.share_region`) instead.
    pub fn give<T>(&self, handle: &cellulos::runtime::handle::Handle<T>, to: &str, rights: u8) -> Result<Word, Error> {
        give_through(self.info.supervisor, handle, to, rights)
    }

    /// [`Component::give`] with the request's words as given (owning server id, handle
    /// badge, rights, the recipient's name in 4 words): for tests that must name what a
    /// component does not hold, or send a request of the wrong length. The root's status
    /// and slot.
    pub fn give_raw(&self, words: &[Word]) -> (Word, Word) {
        transport::give_words(self.info.supervisor, words)
    }

    /// Ends this component with `code`.
    pub fn exit(&self, code: Word) -> ! {
        exit_with(self.info.supervisor, code)
    }
}

/// The supervisor cap's address, for calls made where the [`Component`] is not at hand
/// (inside a server's logic).
static SUPERVISOR: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// [`Component::give`] where the [`Component`] is not at hand (inside a server's logic).
pub fn give<T>(handle: &cellulos::runtime::handle::Handle<T>, to: &str, rights: u8) -> Result<Word, Error> {
    give_through(SUPERVISOR.load(core::sync::atomic::Ordering::Relaxed), handle, to, rights)
}

/// Which server serves the object behind `handle`, and its badge there (the server that
/// minted the capability answers): what a give names. With it, [`give_identified`] gives
/// later without asking that server again, when it may be busy (the give would wait for it).
pub fn identify<T>(handle: &cellulos::runtime::handle::Handle<T>) -> Result<(u32, cellulos::runtime::Badge), Error> {
    let cellulos::runtime::Cap::Endpoint { badge: slot, .. } = handle.cap else {
        return Err(Error::Give(cellulos::runtime::Status::BadHandle as Word));
    };
    transport::identify(Word::from(slot)).ok_or(Error::Give(cellulos::runtime::Status::BadHandle as Word))
}

/// [`give`] of the object [`identify`] named (server id, badge).
pub fn give_identified(object: (u32, cellulos::runtime::Badge), to: &str, rights: u8) -> Result<Word, Error> {
    let supervisor = SUPERVISOR.load(core::sync::atomic::Ordering::Relaxed);
    give_object(supervisor, || Ok(object), to, rights)
}

/// Gives through supervisor cap `supervisor` (see [`Component::give`]).
fn give_through<T>(
    supervisor: Word,
    handle: &cellulos::runtime::handle::Handle<T>,
    to: &str,
    rights: u8,
) -> Result<Word, Error> {
    give_object(supervisor, || identify(handle), to, rights)
}

/// Gives the object `object` names (once the recipient's name is known to fit) through
/// supervisor cap `supervisor`.
fn give_object(
    supervisor: Word,
    object: impl FnOnce() -> Result<(u32, cellulos::runtime::Badge), Error>,
    to: &str,
    rights: u8,
) -> Result<Word, Error> {
    let name = sel4_rt::start::name(to).ok_or(Error::Give(cellulos::runtime::Status::Oversize as Word))?;
    match transport::give(supervisor, object()?, &name, rights) {
        (0, given) => Ok(given),
        (status, _) => Err(Error::Give(status)),
    }
}

/// The handle another component gave this one, whose capability the root placed at `slot`
/// (what the giver's [`Component::give`] answered, told by any call), once the root confirms
/// the slot holds one given to this component: a call through a cap that is not what it was
/// said to be could end the caller. It is used through this component's own connection to
/// the object's server (a client names a cap by its slot).
pub fn given<T>(slot: Word) -> Result<cellulos::runtime::handle::Handle<T>, Error> {
    let supervisor = SUPERVISOR.load(core::sync::atomic::Ordering::Relaxed);
    let info = MessageInfo::new(sel4_rt::start::GIVEN_LABEL, 0, 0, 1);
    let status = sel4::syscall::call(supervisor, info, [slot, 0, 0, 0]).info.label();
    let badge = cellulos::runtime::Badge::try_from(slot).map_err(|_| Error::Give(status))?;
    match status {
        0 => Ok(cellulos::runtime::handle::Handle::new(cellulos::runtime::Cap::Endpoint { endpoint: 0, badge })),
        status => Err(Error::Give(status)),
    }
}

/// Names `caps` (addresses in this component's CSpace) as the next message's extra caps:
/// only for benchmarks and tests that speak raw seL4 (the stubs' transport does this itself).
pub fn with_caps(caps: &[Word]) {
    transport::set_caps(caps);
}

use sel4_rt::start::exit as exit_with;

/// Defines the component's entry point: `$main(&mut Component) -> Result<u64, Error>`.
/// An `Err` exits with the error's code and prints it.
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[global_allocator]
        static __HEAP: $crate::Heap = $crate::Heap::empty();
        fn __component_start(start: $crate::__sel4::Word) -> ! {
            let info = $crate::__start_info(start, &__HEAP);
            match $crate::Component::from_start(info) {
                Ok(mut c) => match $main(&mut c) {
                    Ok(code) => c.exit(code),
                    Err(e) => {
                        $crate::sel4_rt::println!("{}: {}", c.name(), e);
                        c.exit(e.code())
                    }
                },
                Err(e) => {
                    $crate::sel4_rt::println!("component: {}", e);
                    $crate::__abort()
                }
            }
        }
        $crate::sel4_rt::entry_on_given_stack!(__component_start);

        #[panic_handler]
        fn __panic(info: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::sel4_rt::println!("component PANIC: {}", info);
            $crate::__panic_exit()
        }
    };
}

#[doc(hidden)]
pub use sel4 as __sel4;

/// The heap type [`main!`] installs.
pub type Heap = linked_list_allocator::LockedHeap;

#[repr(C, align(4096))]
struct HeapSpace([u8; HEAP_BYTES]);
static mut HEAP_SPACE: HeapSpace = HeapSpace([0; HEAP_BYTES]);
static mut START: Option<&'static StartInfo> = None;

/// Start-up (called by [`main!`] once, first thing): the heap and the start page. The heap
/// is the one the root mapped when the process's configuration asked for one, else the
/// one in the image.
#[doc(hidden)]
pub fn __start_info(start: Word, heap: &'static Heap) -> &'static StartInfo {
    // SAFETY: the root task maps the start page read-only at this address before the
    // component runs, for its whole life, and passes the address in rdi.
    let info: &'static StartInfo = unsafe { &*(start as *const StartInfo) };
    let [heap_va, heap_bytes] = info.heap;
    if info.magic == START_MAGIC && heap_va != 0 && heap_bytes != 0 {
        // SAFETY: called once before anything allocates; the root mapped these bytes
        // read-write for this process alone, for its whole life.
        unsafe { heap.lock().init(heap_va as *mut u8, heap_bytes as usize) };
    } else {
        // SAFETY: called once before anything allocates; the space is this heap's alone.
        unsafe { heap.lock().init(core::ptr::addr_of_mut!(HEAP_SPACE).cast(), HEAP_BYTES) };
    }
    // SAFETY: single-threaded start-up, before anything reads START.
    unsafe { *core::ptr::addr_of_mut!(START) = Some(info) };
    info
}

/// The panic handler's way out: exit through the supervisor with code `u64::MAX`.
#[doc(hidden)]
pub fn __panic_exit() -> ! {
    // SAFETY: START is written once at start-up, before any code that could panic runs.
    let start = unsafe { *core::ptr::addr_of!(START) };
    match start {
        Some(info) => exit_with(info.supervisor, Word::MAX),
        None => __abort(),
    }
}

/// Ends a component that cannot tell its supervisor (no start page): an invalid-opcode
/// fault, which the kernel delivers to its fault endpoint, so the root reports it rather
/// than the component spinning unnoticed.
#[doc(hidden)]
pub fn __abort() -> ! {
    // SAFETY: `ud2` raises an invalid-opcode exception and never returns; it touches
    // nothing.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}
