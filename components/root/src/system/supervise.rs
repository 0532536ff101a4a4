//! Supervision: the supervisor thread passes every exit, fault and extraction request on
//! to the main thread, which answers each: an exit or fault ends the PD and runs the
//! cleanup plan ([`super::cleanup`]). Calls to a server that is gone arrive here too
//! (badged [`GONE_BADGE`]) and are answered `ServerGone`.
//!
//! The main thread itself calls servers (extraction, a client gone, a give). A server that
//! faults meanwhile cannot answer, and the main thread could not take the fault's report:
//! so the supervisor thread, below the main thread's priority (it runs only while the main
//! thread is blocked), releases the main thread from a call to a server that ended with
//! `ServerGone`, as the kernel would deliver a reply, before it passes the end on; and a
//! server whose end is on its way is not called ([`Running::call_server`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cellulos_runtime::Status;
use sel4::{Endpoint, MessageInfo, Word};
use sel4_rt::start::{EXTRACT_LABEL, GIVEN_LABEL, GIVE_LABEL, GIVE_WORDS};

use super::Running;
use crate::kernel::{Kernel, KernelError};
use crate::thread::{ended, Ended, Supervisor};
use crate::vspace::VSpace;

/// The label of "a PD ended" on the root's endpoint.
const ENDED: Word = 1;
/// The label of "a PD asks for an extraction" on the root's endpoint.
const EXTRACT: Word = 2;
/// The label of "a PD gives a resource to another" on the root's endpoint.
const GIVE: Word = 3;
/// The label of "is this slot a handle given to me?" on the root's endpoint.
const GIVEN: Word = 4;
/// The badge of the caps that replace a gone server's in its clients' CSpaces: they reach
/// the root's endpoint, whose main thread answers every call through them `ServerGone`.
pub(super) const GONE_BADGE: Word = (1 << sel4::BADGE_BITS) - 1;

/// The supervisor badge of the server the main thread is calling (0: none).
static CALLING: AtomicU64 = AtomicU64::new(0);
/// The supervisor badge of the PD whose end the supervisor thread is passing on (0: none).
static ENDING: AtomicU64 = AtomicU64::new(0);
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

/// The supervisor thread's priority: below the main thread's 255, above every component's.
pub(super) const WATCHER_PRIORITY: u8 = 254;

/// Makes the main thread's pending `seL4_Call` return `ServerGone`, as a reply would
/// (called while it is blocked in it: the supervisor thread runs only then).
fn release_main(ipc: &mut sel4::IpcBuffer) {
    let tcb = sel4::init::TCB;
    let words = sel4::UserContext::WORDS as Word;
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

/// The supervisor thread: each exit or fault on the supervisor endpoint goes to the main
/// thread as a call to the root's endpoint (`arg`: supervisor endpoint | root endpoint << 32);
/// a request to extract the model too, answered when the main thread answers.
pub(super) extern "C" fn watch(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (sup_ep, root_ep) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        let r = sel4::syscall::recv(sup_ep);
        let label = r.info.label();
        if label == EXTRACT_LABEL || label == GIVE_LABEL {
            // The request's words, read before saving the caller uses the IPC buffer.
            let mut words = [0; GIVE_WORDS + 2];
            words[0] = r.badge;
            let (event, n) = match label == GIVE_LABEL && r.info.length() == GIVE_WORDS {
                true => {
                    for (i, w) in words[2..].iter_mut().enumerate() {
                        *w = if i < 4 { r.mrs[i] } else { ipc.msg[i] };
                    }
                    (GIVE, GIVE_WORDS + 2)
                }
                false => (if label == GIVE_LABEL { GIVE } else { EXTRACT }, 2),
            };
            let Some(i) = save_caller(ipc) else {
                sel4::syscall::reply(MessageInfo::new(Status::NoHandles as Word, 0, 0, 0), [0; 4]);
                continue;
            };
            words[1] = i as Word;
            for (j, w) in words.iter().enumerate().take(n).skip(4) {
                ipc.msg[j] = *w;
            }
            let mrs = [words[0], words[1], words[2], words[3]];
            sel4::syscall::send(root_ep, MessageInfo::new(event, 0, 0, n as Word), mrs);
            continue;
        }
        if r.info.label() == GIVEN_LABEL {
            let (info, _) = ipc.call(root_ep, MessageInfo::new(GIVEN, 0, 0, 2), &[r.badge, r.mrs[0]]);
            sel4::syscall::reply(MessageInfo::new(info.label(), 0, 0, 0), [0; 4]);
            continue;
        }
        let w = ended(&r, ipc).to_words();
        ENDING.store(r.badge, Ordering::SeqCst);
        if CALLING.load(Ordering::SeqCst) == r.badge {
            release_main(ipc);
        }
        ipc.call(root_ep, MessageInfo::new(ENDED, 0, 0, 6), &[r.badge, w[0], w[1], w[2], w[3], w[4]]);
        ENDING.store(0, Ordering::SeqCst);
    }
}

/// What the supervisor thread passes on; each is answered with [`answer`].
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
    /// The next event the supervisor thread reports.
    fn next_event(&self, k: &mut Kernel) -> Event {
        let ep = self.root_ep.as_ref().map_or(0, |e| e.cap.bits());
        loop {
            let r = sel4::syscall::recv(ep);
            if r.badge == GONE_BADGE {
                answer(Status::ServerGone as Word);
                continue;
            }
            if self.is_root_call(r.badge) {
                return Event::Call(r);
            }
            let word = |i: usize| k.ipc.reply_word(&r.mrs, i);
            match (r.info.label(), r.info.length()) {
                (EXTRACT, 2) => return Event::Extract(word(0), word(1)),
                (GIVE, 2) => return Event::Give(word(0), word(1), None),
                (GIVEN, 2) => {
                    let given = self.index_of(word(0)).and_then(|i| self.processes[i].1.as_ref());
                    let ok = given.is_some_and(|p| p.holds_given(word(1)));
                    answer(if ok { 0 } else { Status::NotAllowed as Word });
                }
                (GIVE, n) if n == GIVE_WORDS + 2 => {
                    let mut w = [0; GIVE_WORDS];
                    for (i, v) in w.iter_mut().enumerate() {
                        *v = word(i + 2);
                    }
                    return Event::Give(word(0), word(1), super::give::Request::from_words(&w));
                }
                (ENDED, 6) => {
                    let how = Ended::from_words([word(1), word(2), word(3), word(4), word(5)]);
                    return Event::Ended(word(0), how);
                }
                _ => answer(0),
            }
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
                answer(0);
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
            answer(0);
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
        if ENDING.load(Ordering::SeqCst) == p.badge {
            return gone;
        }
        CALLING.store(p.badge, Ordering::SeqCst);
        let reply = k.ipc.call(cap.bits(), info, words);
        CALLING.store(0, Ordering::SeqCst);
        reply
    }

    /// The instance whose process has this supervisor badge.
    pub(super) fn index_of(&self, badge: Word) -> Option<usize> {
        self.processes.iter().position(|(_, p, _)| p.as_ref().is_some_and(|p| p.badge == badge))
    }
}
