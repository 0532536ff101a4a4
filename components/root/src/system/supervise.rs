//! Supervision: the supervisor thread passes every exit, fault and extraction request on
//! to the main thread, which answers each: an exit or fault ends the PD and runs the
//! cleanup plan ([`super::cleanup`]). Calls to a server that is gone arrive here too
//! (badged [`GONE_BADGE`]) and are answered `ServerGone`.
//!
//! The supervisor thread never waits for the main thread: it queues each event in a ring
//! only it fills and signals a notification bound to the main thread, which empties the
//! ring whenever its receive returns for it. Requests answered later (an extraction, a
//! give) keep their caller's reply cap in a slot of their own.
//!
//! The main thread itself calls servers (extraction, a client gone, a give). A server that
//! faults meanwhile cannot answer, and the main thread could not take the fault's report:
//! so the supervisor thread, below the main thread's priority (it runs only while the main
//! thread is blocked), releases the main thread from a call to a server that ended with
//! `ServerGone`, as the kernel would deliver a reply, once the end is queued; and a server
//! whose end is queued is not called ([`Running::call_server`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use cellulos_runtime::Status;
use sel4::{Endpoint, MessageInfo, Word};
use sel4_rt::start::{EXTRACT_LABEL, GIVEN_LABEL, GIVE_LABEL, GIVE_WORDS};

use super::Running;
use crate::kernel::{Kernel, KernelError};
use crate::thread::{ended, Ended, Supervisor};
use crate::vspace::VSpace;

/// The kinds of event in the ring.
const ENDED: Word = 1;
const EXTRACT: Word = 2;
const GIVE: Word = 3;
/// A give whose request has the wrong length.
const GIVE_BAD: Word = 4;
const GIVEN: Word = 5;
/// The badge of the supervisor thread's cap to the main thread's notification: what the
/// main thread's receive returns with when the ring has news. Above every handle badge
/// (the root's four books end below 2^26 + 2^16) and below [`GONE_BADGE`].
const EVENT_BADGE: Word = 1 << 27;
/// Events the ring holds at once (the supervisor thread waits, yielding, when it is full).
const RING: usize = 64;
/// An event: kind, badge, saved reply index, then its words (a give's are the most).
const EVENT_WORDS: usize = 3 + GIVE_WORDS;
static EVENTS: [[AtomicU64; EVENT_WORDS]; RING] = [const { [const { AtomicU64::new(0) }; EVENT_WORDS] }; RING];
/// Events taken (by the main thread) and put (by the supervisor thread), counting up.
static TAKEN: AtomicUsize = AtomicUsize::new(0);
static PUT: AtomicUsize = AtomicUsize::new(0);

/// Queues `event` (supervisor thread).
fn put(event: &[Word; EVENT_WORDS]) {
    loop {
        let (taken, put) = (TAKEN.load(Ordering::SeqCst), PUT.load(Ordering::SeqCst));
        if put - taken < RING {
            for (cell, w) in EVENTS[put % RING].iter().zip(event) {
                cell.store(*w, Ordering::SeqCst);
            }
            PUT.store(put + 1, Ordering::SeqCst);
            return;
        }
        sel4::syscall::yield_now();
    }
}

/// The oldest queued event (main thread).
fn take() -> Option<[Word; EVENT_WORDS]> {
    let (taken, put) = (TAKEN.load(Ordering::SeqCst), PUT.load(Ordering::SeqCst));
    if taken == put {
        return None;
    }
    let event = core::array::from_fn(|i| EVENTS[taken % RING][i].load(Ordering::SeqCst));
    TAKEN.store(taken + 1, Ordering::SeqCst);
    Some(event)
}

/// Whether the end of the PD behind `badge` is queued, not handled yet.
fn end_queued(badge: Word) -> bool {
    let (taken, put) = (TAKEN.load(Ordering::SeqCst), PUT.load(Ordering::SeqCst));
    (taken..put).any(|n| {
        let e = &EVENTS[n % RING];
        e[0].load(Ordering::SeqCst) == ENDED && e[1].load(Ordering::SeqCst) == badge
    })
}

/// Empties the ring and frees every saved reply (a new system starts; the statics outlive
/// the last one).
pub(super) fn reset() {
    TAKEN.store(PUT.load(Ordering::SeqCst), Ordering::SeqCst);
    for e in &CALLERS {
        e[0].store(0, Ordering::SeqCst);
    }
    for busy in &REPLY_BUSY {
        busy.store(false, Ordering::SeqCst);
    }
}

/// The badge of the supervisor thread's notification cap.
pub(super) const fn event_badge() -> Word {
    EVENT_BADGE
}

/// The badge of the caps that replace a gone server's in its clients' CSpaces: they reach
/// the root's endpoint, whose main thread answers every call through them `ServerGone`.
pub(super) const GONE_BADGE: Word = (1 << sel4::BADGE_BITS) - 1;

/// The supervisor badge of the server the main thread is calling (0: none).
static CALLING: AtomicU64 = AtomicU64::new(0);
/// Slots of the root's CSpace for the reply caps of requests the main thread answers later
/// (an extraction, a give: it calls servers meanwhile, and the supervisor thread must stay
/// free to take their faults, so it passes these on without waiting), and which are in use.
pub(super) const SAVED_REPLIES: usize = 8;
static REPLY_SLOTS: [AtomicU64; SAVED_REPLIES] = [const { AtomicU64::new(0) }; SAVED_REPLIES];
static REPLY_BUSY: [AtomicBool; SAVED_REPLIES] = [const { AtomicBool::new(false) }; SAVED_REPLIES];

/// Gives the supervisor thread its reply slots (before it starts).
pub(super) fn set_reply_slots(slots: &[Word; SAVED_REPLIES]) {
    for (cell, slot) in REPLY_SLOTS.iter().zip(slots) {
        cell.store(*slot, Ordering::SeqCst);
    }
}

/// Saves the caller's reply cap in a free reply slot: its index.
fn save_caller(ipc: &mut sel4::IpcBuffer) -> Option<usize> {
    let i =
        REPLY_BUSY.iter().position(|b| b.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok())?;
    let slot = REPLY_SLOTS[i].load(Ordering::SeqCst);
    if slot == 0 || ipc.cnode_save_caller(sel4::init::CNODE, slot, 64).is_err() {
        REPLY_BUSY[i].store(false, Ordering::SeqCst);
        return None;
    }
    Some(i)
}

/// Answers the request whose reply cap is saved at index `i` (main thread), and frees it.
fn answer_saved(k: &mut Kernel, i: Word, status: Word, word: Word) {
    let Some(slot) = REPLY_SLOTS.get(i as usize).map(|s| s.load(Ordering::SeqCst)) else { return };
    sel4::syscall::send(slot, MessageInfo::new(status, 0, 0, 1), [word, 0, 0, 0]);
    // A reply cap goes when used; one whose caller went first is deleted here.
    let _ = k.ipc.cnode_delete(sel4::init::CNODE, slot, 64);
    REPLY_BUSY[i as usize].store(false, Ordering::SeqCst);
}

/// Clients' calls to servers, for the supervisor thread to release when a server ends (so
/// that a server waiting on it answers the main thread, which may be waiting on that one):
/// each the client's TCB (a slot of the root's; 0: a free entry), the server's supervisor
/// badge and the client's slots to it. The main thread fills them when the system starts
/// and empties a client's before its TCB is deleted.
const MAX_CALLERS: usize = 64;
const CALLER_SLOTS: usize = 4;
static CALLERS: [[AtomicU64; 2 + CALLER_SLOTS]; MAX_CALLERS] =
    [const { [const { AtomicU64::new(0) }; 2 + CALLER_SLOTS] }; MAX_CALLERS];

/// Records that the client with TCB `tcb` calls the server behind `server` through `slots`
/// (main thread); false when the table is full.
pub(super) fn watch_calls(tcb: Word, server: Word, slots: &[Word]) -> bool {
    let free = CALLERS.iter().find(|e| e[0].load(Ordering::SeqCst) == 0);
    let Some(e) = free.filter(|_| tcb != 0 && slots.len() <= CALLER_SLOTS) else { return false };
    for (cell, slot) in e[2..].iter().zip(slots.iter().chain(core::iter::repeat(&0))) {
        cell.store(*slot, Ordering::SeqCst);
    }
    e[1].store(server, Ordering::SeqCst);
    e[0].store(tcb, Ordering::SeqCst);
    true
}

/// Forgets every call of the client with TCB `tcb` (main thread, before deleting it).
pub(super) fn forget_calls(tcb: Word) {
    for e in CALLERS.iter().filter(|e| e[0].load(Ordering::SeqCst) == tcb) {
        e[0].store(0, Ordering::SeqCst);
    }
}

/// Makes every client call waiting on the server behind `server` return `ServerGone`
/// (supervisor thread, when that server ended).
fn release_callers(ipc: &mut sel4::IpcBuffer, server: Word) {
    for e in CALLERS.iter().filter(|e| e[1].load(Ordering::SeqCst) == server) {
        let tcb = e[0].load(Ordering::SeqCst);
        let slots: [Word; CALLER_SLOTS] = core::array::from_fn(|i| e[2 + i].load(Ordering::SeqCst));
        if tcb != 0 {
            fail_call(ipc, sel4::Cap::from_bits(tcb), Some(&slots));
        }
    }
}

/// The supervisor thread's priority: below the main thread's 255, above every component's.
pub(super) const WATCHER_PRIORITY: u8 = 254;

/// Makes the pending `seL4_Call` of thread `tcb` return `ServerGone`, as a reply would: the
/// main thread's (called while it is blocked in it: the supervisor thread runs only then),
/// or a client's, if it is calling through one of `slots`.
fn fail_call(ipc: &mut sel4::IpcBuffer, tcb: sel4::Cap<sel4::Tcb>, slots: Option<&[Word]>) {
    let words = sel4::UserContext::WORDS as Word;
    if let Some(slots) = slots {
        let calling = ipc.tcb_read_registers(tcb, false, 0, words).is_ok_and(|r| r.rdi != 0 && slots.contains(&r.rdi));
        if !calling {
            return;
        }
    }
    if ipc.tcb_suspend(tcb).is_err() {
        return;
    }
    if let Ok(mut regs) = ipc.tcb_read_registers(tcb, false, 0, words) {
        // 5.0 x86_64 leaves FaultIP at the 2-byte `syscall` instruction: past it.
        regs.rip += 2;
        regs.rsi = MessageInfo::new(Status::ServerGone as Word, 0, 0, 0).0;
        regs.rdi = 0;
        let _ = ipc.tcb_write_registers(tcb, true, 0, words, &regs);
    }
}

/// The supervisor thread: each exit or fault on the supervisor endpoint, each extraction,
/// give and gift check goes to the main thread through the ring (`arg`: supervisor endpoint
/// | its notification cap << 32); requests are answered by the main thread through their
/// saved reply caps.
pub(super) extern "C" fn watch(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (sup_ep, events) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        let r = sel4::syscall::recv(sup_ep);
        let label = r.info.label();
        let mut e = [0; EVENT_WORDS];
        e[1] = r.badge;
        if label == EXTRACT_LABEL || label == GIVE_LABEL || label == GIVEN_LABEL {
            // The request's words, read before saving the caller uses the IPC buffer.
            e[0] = match label {
                EXTRACT_LABEL => EXTRACT,
                GIVEN_LABEL => GIVEN,
                _ if r.info.length() == GIVE_WORDS => GIVE,
                _ => GIVE_BAD,
            };
            for (i, w) in e[3..].iter_mut().enumerate() {
                *w = if i < 4 { r.mrs[i] } else { ipc.msg[i] };
            }
            let Some(i) = save_caller(ipc) else {
                sel4::syscall::reply(MessageInfo::new(Status::NoHandles as Word, 0, 0, 0), [0; 4]);
                continue;
            };
            e[2] = i as Word;
            put(&e);
        } else {
            e[0] = ENDED;
            e[3..8].copy_from_slice(&ended(&r, ipc).to_words());
            put(&e);
            release_callers(ipc, r.badge);
            if CALLING.load(Ordering::SeqCst) == r.badge {
                fail_call(ipc, sel4::init::TCB, None);
            }
        }
        sel4::syscall::signal(events);
    }
}

/// What the main thread handles next.
enum Event {
    /// A PD ended or faulted (its badge, how).
    Ended(Word, Ended),
    /// A PD (its badge) asks for an extraction (answered through saved reply `i`).
    Extract(Word, Word),
    /// A PD (its badge) gives a resource to another (answered through saved reply `i`).
    Give(Word, Word, Option<super::give::Request>),
    /// A call to the root's own servers (answered by [`Running::serve_root_call`]).
    Call(sel4::syscall::Received),
}

/// Answers the pending event with `status`.
fn answer(status: Word) {
    sel4::syscall::reply(MessageInfo::new(status, 0, 0, 0), [0; 4]);
}

impl Running {
    /// The next event: the oldest queued, else the next call on the root's endpoint.
    fn next_event(&self, k: &mut Kernel) -> Event {
        let ep = self.root_ep.as_ref().map_or(0, |e| e.cap.bits());
        loop {
            if let Some(e) = take() {
                let words = |from: usize| -> [Word; GIVE_WORDS] { core::array::from_fn(|i| e[from + i]) };
                match e[0] {
                    ENDED => {
                        let w = words(3);
                        return Event::Ended(e[1], Ended::from_words([w[0], w[1], w[2], w[3], w[4]]));
                    }
                    EXTRACT => return Event::Extract(e[1], e[2]),
                    GIVE => return Event::Give(e[1], e[2], super::give::Request::from_words(&words(3))),
                    GIVE_BAD => return Event::Give(e[1], e[2], None),
                    _ => {
                        // GIVEN: whether the slot holds a gift to the asker.
                        let given = self.index_of(e[1]).and_then(|i| self.processes[i].1.as_ref());
                        let ok = given.is_some_and(|p| p.holds_given(e[3]));
                        answer_saved(k, e[2], if ok { 0 } else { Status::NotAllowed as Word }, 0);
                        continue;
                    }
                }
            }
            let r = sel4::syscall::recv(ep);
            if r.badge == EVENT_BADGE {
                continue;
            }
            if r.badge == GONE_BADGE {
                answer(Status::ServerGone as Word);
                continue;
            }
            if self.is_root_call(r.badge) {
                return Event::Call(r);
            }
            answer(Status::NotAllowed as Word);
        }
    }

    /// Waits until every client has ended; returns how many ended badly (a fault, a non-zero
    /// exit, a termination, or a server that ended while serving), and failed extractions
    /// and cleanups.
    #[cfg_attr(feature = "tests", allow(dead_code))]
    pub fn supervise(&mut self, k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor) -> Result<usize, KernelError> {
        let ends = self.supervise_ends(k, vs, sup)?;
        let bad = ends.iter().filter(|(_, end, server)| *server || *end != Ended::Exited(0)).count();
        Ok(bad + self.failures)
    }

    /// Waits until every client has ended, extracting the model when a client asks (and
    /// once at the end if none did); returns how each instance (and each PD made at run
    /// time) that ended on its own did, in order: (name, how, whether it was a server).
    pub fn supervise_ends(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
    ) -> Result<Vec<(String, Ended, bool)>, KernelError> {
        let mut ends = Vec::new();
        while self.processes.iter().any(|(_, p, server)| p.is_some() && !server) {
            let (badge, how) = match self.next_event(k) {
                Event::Ended(badge, how) => (badge, how),
                Event::Call(r) => {
                    self.serve_root_call(k, vs, sup, &r)?;
                    continue;
                }
                Event::Give(badge, i, req) => {
                    let given = req.ok_or(Status::BadHandle).and_then(|req| self.give(k, badge, &req));
                    match given {
                        Ok(slot) => answer_saved(k, i, 0, slot),
                        Err(status) => answer_saved(k, i, status as Word, 0),
                    }
                    continue;
                }
                Event::Extract(badge, i) => {
                    // A server waiting here could not answer for its own part.
                    let status = match self.index_of(badge) {
                        Some(j) if !self.processes[j].2 => self.extract_and_send(k),
                        _ => 1,
                    };
                    answer_saved(k, i, status, 0);
                    continue;
                }
            };
            let Some(i) = self.index_of(badge) else {
                // A PD made at run time (the pd server's): it ends, with its part of the model.
                match self.pd_state.by_badge(badge) {
                    Some(key) => {
                        let name = String::from(self.pd_state.name(key));
                        sel4_rt::println!("cellulos root: {name} (made at run time) ended: {how:?}");
                        super::pds::end(k, &mut self.processes, &mut self.keeper, &mut self.pd_state, key)?;
                        ends.push((name, how, false));
                    }
                    // A CPU made by the CPU server: it stays stopped, marked faulted.
                    None => match self.cpu_state.by_badge(badge) {
                        Some(key) => {
                            sel4_rt::println!("cellulos root: a CPU made at run time ended: {how:?}");
                            self.cpu_state.faulted(key);
                        }
                        None => sel4_rt::println!("cellulos root: a message from unknown badge {badge}: {how:?}"),
                    },
                }
                continue;
            };
            self.end(k, vs, i, how, &mut ends)?;
        }
        if !self.extracted {
            self.extract_and_send(k);
        }
        Ok(ends)
    }

    /// Calls server `s` through the root's connection to it: the reply's info and
    /// registers, or `ServerGone` when it ended (before the call, or during it: the
    /// supervisor thread then releases this thread).
    pub(super) fn call_server(
        &self,
        k: &mut Kernel,
        s: usize,
        info: MessageInfo,
        words: &[Word],
    ) -> (MessageInfo, [Word; 4]) {
        let gone = (MessageInfo::new(Status::ServerGone as Word, 0, 0, 0), [0; 4]);
        let (Some(Some((cap, _))), Some((_, Some(p), true))) = (self.root_conns.get(s), self.processes.get(s)) else {
            return gone;
        };
        if end_queued(p.badge) {
            return gone;
        }
        CALLING.store(p.badge, Ordering::SeqCst);
        let reply = k.ipc.call(cap.bits(), info, words);
        CALLING.store(0, Ordering::SeqCst);
        reply
    }

    /// Whether instance `i`'s end is queued, not handled yet (it cannot be asked anything).
    pub(super) fn end_pending(&self, i: usize) -> bool {
        self.processes.get(i).and_then(|(_, p, _)| p.as_ref()).is_some_and(|p| end_queued(p.badge))
    }

    /// The instance whose process has this supervisor badge.
    pub(super) fn index_of(&self, badge: Word) -> Option<usize> {
        self.processes.iter().position(|(_, p, _)| p.as_ref().is_some_and(|p| p.badge == badge))
    }
}
