//! What the supervisor thread, the main thread and the caller threads share, without
//! locks: the supervisor thread (below the others' priority) runs only while all are
//! blocked, but on its own stack, so every cell is an atomic, written by one side, read by
//! the other. The ring of events the supervisor thread queues, the reply caps of requests
//! the main thread answers later (the supervisor thread's, and clients' calls kept while
//! the root calls a server), and the clients' calls to servers, which the supervisor
//! thread releases when a server ends. (What the caller threads share: [`super::caller`].)

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use cellulos_runtime::Status;
use sel4::{MessageInfo, Word};
use sel4_rt::start::GIVE_WORDS;

use crate::kernel::Kernel;

/// The kinds of event in the ring.
pub(super) const ENDED: Word = 1;
pub(super) const EXTRACT: Word = 2;
pub(super) const GIVE: Word = 3;
/// A give whose request has the wrong length.
pub(super) const GIVE_BAD: Word = 4;
pub(super) const GIVEN: Word = 5;
/// The badge of the supervisor thread's cap to the main thread's notification: what the
/// main thread's receive returns with when the ring has news. Above every handle badge
/// (the root's four books end below 2^26 + 2^16).
pub(super) const EVENT_BADGE: Word = 1 << 27;
/// Events the ring holds at once (the supervisor thread waits, yielding, when it is full).
const RING: usize = 64;
/// An event: kind, badge, saved reply index, then its words (a give's are the most).
pub(super) const EVENT_WORDS: usize = 3 + GIVE_WORDS;
static EVENTS: [[AtomicU64; EVENT_WORDS]; RING] = [const { [const { AtomicU64::new(0) }; EVENT_WORDS] }; RING];
/// Events taken (by the main thread) and put (by the supervisor thread), counting up.
static TAKEN: AtomicUsize = AtomicUsize::new(0);
static PUT: AtomicUsize = AtomicUsize::new(0);

/// Queues `event` (supervisor thread).
pub(super) fn put(event: &[Word; EVENT_WORDS]) {
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
pub(super) fn take() -> Option<[Word; EVENT_WORDS]> {
    let (taken, put) = (TAKEN.load(Ordering::SeqCst), PUT.load(Ordering::SeqCst));
    if taken == put {
        return None;
    }
    let event = core::array::from_fn(|i| EVENTS[taken % RING][i].load(Ordering::SeqCst));
    TAKEN.store(taken + 1, Ordering::SeqCst);
    Some(event)
}

/// Whether an event is queued (main thread).
pub(super) fn queued() -> bool {
    TAKEN.load(Ordering::SeqCst) != PUT.load(Ordering::SeqCst)
}

/// The kind of a queued event the main thread answered before taking it.
pub(super) const ANSWERED: Word = 0;

/// Offers each queued event to `answer` (main thread): those it answers now are skipped
/// when taken. An event is claimed before it is offered (an answer may wait for a server,
/// and this be called again meanwhile), and given back if `answer` declines it.
pub(super) fn answer_queued(mut answer: impl FnMut(&[Word; EVENT_WORDS]) -> bool) {
    let (taken, put) = (TAKEN.load(Ordering::SeqCst), PUT.load(Ordering::SeqCst));
    for n in taken..put {
        // Only the main thread writes a queued event (the supervisor thread, past `put`).
        let cells = &EVENTS[n % RING];
        let e: [Word; EVENT_WORDS] = core::array::from_fn(|i| cells[i].load(Ordering::SeqCst));
        if e[0] == ANSWERED {
            continue;
        }
        cells[0].store(ANSWERED, Ordering::SeqCst);
        if !answer(&e) {
            cells[0].store(e[0], Ordering::SeqCst);
        }
    }
}

/// Whether the end of the PD behind `badge` is queued, not handled yet.
pub(super) fn end_queued(badge: Word) -> bool {
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

/// Slots of the root's CSpace for the reply caps of requests the main thread answers later
/// (an extraction, a give: the supervisor thread must stay free to take faults, so it
/// passes these on without waiting; a client's call kept while the root calls a server),
/// and which are in use.
pub(super) const SAVED_REPLIES: usize = 32;
static REPLY_SLOTS: [AtomicU64; SAVED_REPLIES] = [const { AtomicU64::new(0) }; SAVED_REPLIES];
static REPLY_BUSY: [AtomicBool; SAVED_REPLIES] = [const { AtomicBool::new(false) }; SAVED_REPLIES];

/// Gives the supervisor thread its reply slots (before it starts).
pub(super) fn set_reply_slots(slots: &[Word; SAVED_REPLIES]) {
    for (cell, slot) in REPLY_SLOTS.iter().zip(slots) {
        cell.store(*slot, Ordering::SeqCst);
    }
}

/// Saves the caller's reply cap in a free reply slot: its index.
pub(super) fn save_caller(ipc: &mut sel4::IpcBuffer) -> Option<usize> {
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
pub(super) fn answer_saved(k: &mut Kernel, i: Word, status: Word, word: Word) {
    reply_saved(k, i, MessageInfo::new(status, 0, 0, 1), [word, 0, 0, 0]);
}

/// Replies `info` and `mrs` (the rest as the IPC buffer holds it) through the reply cap
/// saved at index `i` (main thread), and frees it.
pub(super) fn reply_saved(k: &mut Kernel, i: Word, info: MessageInfo, mrs: [Word; 4]) {
    let Some(slot) = REPLY_SLOTS.get(i as usize).map(|s| s.load(Ordering::SeqCst)) else { return };
    sel4::syscall::send(slot, info, mrs);
    // A reply cap goes when used; one whose caller went first is deleted here.
    let _ = k.ipc.cnode_delete(sel4::init::CNODE, slot, 64);
    REPLY_BUSY[i as usize].store(false, Ordering::SeqCst);
}

/// Clients' calls to servers, for the supervisor thread to release when a server ends (so
/// that a server waiting on it answers the root, which may be waiting on that one):
/// each the client's TCB (a slot of the root's; 0: a free entry), the server's supervisor
/// badge and the client's slots to it. The main thread fills them when the system starts
/// and empties a client's before its TCB is deleted. Room for every (client, server) pair of
/// 16 servers with 16 clients each, and a client's every connection to one server.
const MAX_CALLERS: usize = 256;
const CALLER_SLOTS: usize = sel4_rt::start::MAX_USES;
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
pub(super) fn release_callers(ipc: &mut sel4::IpcBuffer, server: Word) {
    for e in CALLERS.iter().filter(|e| e[1].load(Ordering::SeqCst) == server) {
        let tcb = e[0].load(Ordering::SeqCst);
        let slots: [Word; CALLER_SLOTS] = core::array::from_fn(|i| e[2 + i].load(Ordering::SeqCst));
        if tcb != 0 {
            let _ =
                crate::thread::release_call(ipc, sel4::Cap::from_bits(tcb), Some(&slots), Status::ServerGone as Word);
        }
    }
}
