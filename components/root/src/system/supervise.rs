//! Supervision: the supervisor thread passes every exit, fault and extraction request on
//! to the main thread, which answers each: an exit or fault ends the PD and runs the
//! cleanup plan ([`super::cleanup`]). Calls to a server that is gone arrive at the
//! supervisor thread too (badged [`GONE_BADGE`]), which answers them `ServerGone` itself.
//!
//! The supervisor thread never waits for the main thread: it queues each event in a ring
//! only it fills and signals a notification bound to the main thread, which empties the
//! ring whenever its receive returns for it. Requests answered later (an extraction, a
//! give) keep their caller's reply cap in a slot of their own. (What the threads share
//! is in [`super::events`].)
//!
//! The root's calls to servers (extraction, a client gone, a give, a cleanup's space
//! deletion) are made by caller threads ([`super::caller`]) while the main thread serves
//! servers' calls to the root ([`Running::call_server`]). A server that faults meanwhile
//! cannot answer: so the supervisor thread, below the others' priority (it runs only
//! while all are blocked), releases a caller thread from a call to a server
//! that ended with `ServerGone`, as the kernel would deliver a reply, once the end is
//! queued, and every client call waiting on that server too (a server that waited on it
//! answers the root then); a server whose end is queued is not called.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use cellulos_runtime::Status;
use sel4::{Endpoint, MessageInfo, Word};
use sel4_rt::println;
use sel4_rt::start::{EXTRACT_LABEL, GIVEN_LABEL, GIVE_LABEL, GIVE_WORDS};

use super::events::{
    self, answer_queued, answer_saved, end_queued, put, release_callers, reply_saved, save_caller, take, ENDED,
    EVENT_BADGE, EVENT_WORDS, EXTRACT, GIVE, GIVEN, GIVE_BAD,
};
use super::{caller, Running};
use crate::kernel::{Kernel, KernelError};
use crate::thread::{ended, Ended, Supervisor};
use crate::vspace::VSpace;

/// The badge of the caps that replace a gone server's in its clients' CSpaces: they reach
/// the supervisor endpoint, whose thread answers every call through them `ServerGone` at
/// once. (Not the main thread: it may be calling the client that calls through one, for
/// its part of the model, and each would wait for the other. No PD's supervisor badge is
/// this one: see `Supervisor::next_badge`.)
pub(super) const GONE_BADGE: Word = (1 << sel4::BADGE_BITS) - 1;

/// The supervisor thread's priority: below the main thread's 255, above every component's.
pub(super) const WATCHER_PRIORITY: u8 = 254;

/// The supervisor thread: each exit or fault on the supervisor endpoint, each extraction,
/// give and gift check goes to the main thread through the ring (`arg`: supervisor endpoint
/// | its notification cap << 32); requests are answered by the main thread through their
/// saved reply caps.
pub(super) extern "C" fn watch(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (sup_ep, events) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        let r = sel4::syscall::recv(sup_ep);
        if r.badge == GONE_BADGE {
            sel4::syscall::reply(MessageInfo::new(Status::ServerGone as Word, 0, 0, 0), [0; 4]);
            continue;
        }
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
            for (calling, tcb) in caller::CALLING.iter().zip(&caller::CALLER_TCB) {
                if calling.load(Ordering::SeqCst) == r.badge {
                    // That caller thread is blocked in this very call (this thread runs
                    // only then).
                    let tcb = sel4::Cap::from_bits(tcb.load(Ordering::SeqCst));
                    let _ = crate::thread::release_call(ipc, tcb, None, Status::ServerGone as Word);
                }
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
    /// A call to the root's own servers, through a connection (its client) or a handle's
    /// cap (answered by [`Running::serve_root_call`]; through saved reply `i` if deferred).
    Call(sel4::syscall::Received, Option<super::serve::RootClient>, Option<Word>),
}

/// A client's call that came while the root called a server, kept until that call is done.
pub(super) struct Deferred {
    r: sel4::syscall::Received,
    client: Option<super::serve::RootClient>,
    /// Its words past the registers, and the badges of the caps it carried.
    words: Vec<Word>,
    badges: [Word; sel4::MAX_EXTRA_CAPS],
    /// Its saved reply cap.
    reply: usize,
}

/// Answers the pending event with `status`.
fn answer(status: Word) {
    sel4::syscall::reply(MessageInfo::new(status, 0, 0, 0), [0; 4]);
}

impl Running {
    /// The next event: the oldest queued, else the next call on the root's endpoint.
    fn next_event(&mut self, k: &mut Kernel) -> Event {
        let ep = self.root_ep.as_ref().map_or(0, |e| e.cap.bits());
        loop {
            if events::queued() || !self.deferred.is_empty() {
                // Their answers use the kernel before the receive.
                self.flush_reply();
            }
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
                    GIVEN => {
                        self.answer_given(k, &e);
                        continue;
                    }
                    // Answered already.
                    _ => continue,
                }
            }
            if let Some(d) = self.deferred.pop_front() {
                let live = |i: usize| self.processes.get(i).is_some_and(|p| p.1.is_some());
                if d.client.is_some_and(|c| !live(c.instance)) {
                    // Its caller ended meanwhile (a cleanup's plan): nobody waits for it.
                    reply_saved(k, d.reply as Word, MessageInfo::new(Status::ServerGone as Word, 0, 0, 0), [0; 4]);
                    continue;
                }
                // As the call left the IPC buffer.
                k.ipc.msg[4..4 + d.words.len()].copy_from_slice(&d.words);
                k.ipc.caps_or_badges = d.badges;
                return Event::Call(d.r, d.client, Some(d.reply as Word));
            }
            let r = match self.pending.take() {
                Some((info, mrs)) => sel4::syscall::reply_recv(ep, info, mrs),
                None => sel4::syscall::recv(ep),
            };
            if r.badge == EVENT_BADGE {
                continue;
            }
            if let Some(client) = self.root_call(r.badge) {
                return Event::Call(r, client, None);
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
                Event::Call(r, client, saved) => {
                    self.serve_root_call(k, vs, sup, &r, client, saved)?;
                    continue;
                }
                Event::Give(badge, i, req) => {
                    self.answer_give(k, vs, sup, badge, i, req);
                    continue;
                }
                Event::Extract(badge, i) => {
                    // A server waiting here could not answer for its own part.
                    let status = match self.index_of(badge) {
                        Some(j) if !self.processes[j].2 => {
                            let who = self.processes[j].0.clone();
                            self.extract_and_send(k, vs, sup, &who)
                        }
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
                        self.settle_tables(k)?;
                        ends.push((name, how, false));
                    }
                    // A CPU made by the CPU server: it stays stopped, marked faulted (or
                    // stopped, when it ended through its supervisor cap).
                    None => match self.cpu_state.by_badge(badge) {
                        Some(key) => {
                            sel4_rt::println!("cellulos root: a CPU made at run time ended: {how:?}");
                            self.cpu_state.ended(key, !matches!(how, Ended::Exited(_)));
                        }
                        None => sel4_rt::println!("cellulos root: a message from unknown badge {badge}: {how:?}"),
                    },
                }
                continue;
            };
            self.end(k, vs, sup, i, how, &mut ends)?;
        }
        self.flush_reply();
        if !self.extracted {
            self.extract_and_send(k, vs, sup, "root");
        }
        Ok(ends)
    }

    /// Calls server `s` through the root's connection to it: the reply's info and
    /// registers (its other words in `k.ipc`, as a reply would leave them), or `ServerGone`
    /// when it ended (before the call, or during it: the supervisor thread then releases
    /// the caller thread). A caller thread makes the call; meanwhile this thread serves
    /// the calls of servers to the root's services (the server called may be making one,
    /// or wait on one that is) and their gives, and keeps clients' calls for later
    /// ([`Deferred`]). A
    /// capability in the reply goes to slot `receive` (0: none).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_server(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        s: usize,
        info: MessageInfo,
        words: &[Word],
        receive: Word,
    ) -> (MessageInfo, [Word; 4]) {
        let gone = (MessageInfo::new(Status::ServerGone as Word, 0, 0, 0), [0; 4]);
        let (Some(Some((cap, _))), Some((_, Some(p), true))) = (self.root_conns.get(s), self.processes.get(s)) else {
            return gone;
        };
        let job = caller::Job { cap: cap.bits(), badge: p.badge, info, receive, words };
        // A caller thread for each depth: a server's give served meanwhile calls the owning
        // server (`dump_model` from a server is refused, clients' calls wait).
        let c = self.calling;
        let refused = (MessageInfo::new(Status::NotAllowed as Word, 0, 0, 0), [0; 4]);
        match self.caller(k, vs, sup, c) {
            Ok(jobs) if caller::post(c, &job, jobs) => {}
            Ok(_) => return refused,
            Err(e) => {
                println!("cellulos root: a call to {} refused: {e}", self.processes[s].0);
                return refused;
            }
        }
        self.calling += 1;
        let ep = self.root_ep.as_ref().map_or(0, |e| e.cap.bits());
        let answer = loop {
            // First: a deeper wait may have taken the signal that it is in.
            if let Some(answer) = caller::take_answer(c, k.ipc) {
                break answer;
            }
            let r = sel4::syscall::recv(ep);
            if r.badge == EVENT_BADGE {
                // The answer (taken above), or the supervisor thread's news.
                self.answer_now(k, vs, sup);
                continue;
            }
            match self.root_call(r.badge) {
                // A server's call, or one through a handle's cap (it changes nothing).
                Some(client) if client.is_none_or(|c| self.processes.get(c.instance).is_some_and(|p| p.2)) => {
                    if let Err(e) = self.serve_root_call(k, vs, sup, &r, client, None) {
                        println!("cellulos root: serving a call while calling a server: {e}");
                    }
                }
                Some(client) => self.defer(k, r, client),
                None => answer(Status::NotAllowed as Word),
            }
        };
        self.calling = c;
        answer
    }

    /// While a caller thread calls a server: answers the queued requests of servers (the
    /// server called may be waiting for one): an extraction (refused, as always) and a give
    /// (which calls the owning server in turn), and every gift check. The rest wait.
    fn answer_now(&mut self, k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor) {
        answer_queued(|e| {
            let server = self.index_of(e[1]).is_some_and(|i| self.processes[i].2);
            match e[0] {
                EXTRACT if server => answer_saved(k, e[2], 1, 0),
                GIVE | GIVE_BAD if server => {
                    let words: [Word; GIVE_WORDS] = core::array::from_fn(|i| e[3 + i]);
                    let req = (e[0] == GIVE).then(|| super::give::Request::from_words(&words)).flatten();
                    self.answer_give(k, vs, sup, e[1], e[2], req);
                }
                GIVEN => self.answer_given(k, e),
                _ => return false,
            }
            true
        });
    }

    /// Gives what `req` names for the PD behind `badge` (`None`: a request it could not
    /// read) and answers it through saved reply `i`.
    fn answer_give(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        badge: Word,
        i: Word,
        req: Option<super::give::Request>,
    ) {
        match req.ok_or(Status::BadHandle).and_then(|req| self.give(k, vs, sup, badge, &req)) {
            Ok(slot) => answer_saved(k, i, 0, slot),
            Err(status) => answer_saved(k, i, status as Word, 0),
        }
    }

    /// Answers a gift check (`GIVEN`): whether the slot holds a gift to the asker.
    fn answer_given(&self, k: &mut Kernel, e: &[Word; EVENT_WORDS]) {
        let given = self.index_of(e[1]).and_then(|i| self.processes[i].1.as_ref());
        let ok = given.is_some_and(|p| p.holds_given(e[3]));
        answer_saved(k, e[2], if ok { 0 } else { Status::NotAllowed as Word }, 0);
    }

    /// Keeps a client's call for when the root's call to a server is done: its reply cap
    /// and words (answered `NoHandles` when no reply slot is free).
    fn defer(&mut self, k: &mut Kernel, r: sel4::syscall::Received, client: Option<super::serve::RootClient>) {
        let words: Vec<Word> = (4..r.info.length()).map(|i| k.ipc.reply_word(&r.mrs, i)).collect();
        let badges = k.ipc.caps_or_badges;
        match save_caller(k.ipc) {
            Some(reply) => self.deferred.push_back(Deferred { r, client, words, badges, reply }),
            None => answer(Status::NoHandles as Word),
        }
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
