//! Supervision: the supervisor thread passes every exit, fault and extraction request on
//! to the main thread, which answers each: an exit or fault ends the PD and runs the
//! cleanup plan ([`super::cleanup`]). Calls to a server that is gone arrive here too
//! (badged [`GONE_BADGE`]) and are answered `ServerGone`.

use alloc::string::String;
use alloc::vec::Vec;

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

/// The supervisor thread: each exit or fault on the supervisor endpoint goes to the main
/// thread as a call to the root's endpoint (`arg`: supervisor endpoint | root endpoint << 32);
/// a request to extract the model too, answered when the main thread answers.
pub(super) extern "C" fn watch(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (sup_ep, root_ep) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        let r = sel4::syscall::recv(sup_ep);
        // Calling does not touch this thread's reply cap: the sender gets the answer.
        if r.info.label() == EXTRACT_LABEL {
            let (info, _) = ipc.call(root_ep, MessageInfo::new(EXTRACT, 0, 0, 1), &[r.badge]);
            sel4::syscall::reply(MessageInfo::new(info.label(), 0, 0, 0), [0; 4]);
            continue;
        }
        if r.info.label() == GIVE_LABEL {
            let mut words = [0; GIVE_WORDS + 1];
            words[0] = r.badge;
            if r.info.length() == GIVE_WORDS {
                for (i, w) in words[1..].iter_mut().enumerate() {
                    *w = if i < 4 { r.mrs[i] } else { ipc.msg[i] };
                }
            }
            let (info, mrs) = ipc.call(root_ep, MessageInfo::new(GIVE, 0, 0, words.len() as Word), &words);
            sel4::syscall::reply(MessageInfo::new(info.label(), 0, 0, 1), [mrs[0], 0, 0, 0]);
            continue;
        }
        if r.info.label() == GIVEN_LABEL {
            let (info, _) = ipc.call(root_ep, MessageInfo::new(GIVEN, 0, 0, 2), &[r.badge, r.mrs[0]]);
            sel4::syscall::reply(MessageInfo::new(info.label(), 0, 0, 0), [0; 4]);
            continue;
        }
        let w = ended(&r, ipc).to_words();
        ipc.call(root_ep, MessageInfo::new(ENDED, 0, 0, 6), &[r.badge, w[0], w[1], w[2], w[3], w[4]]);
    }
}

/// What the supervisor thread passes on; each is answered with [`answer`].
enum Event {
    /// A PD ended or faulted (its badge, how).
    Ended(Word, Ended),
    /// A PD (its badge) asks for an extraction.
    Extract(Word),
    /// A PD (its badge) gives a resource to another.
    Give(Word, super::give::Request),
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
                (EXTRACT, 1) => return Event::Extract(word(0)),
                (GIVEN, 2) => {
                    let given = self.index_of(word(0)).and_then(|i| self.processes[i].1.as_ref());
                    let ok = given.is_some_and(|p| p.holds_given(word(1)));
                    answer(if ok { 0 } else { Status::NotAllowed as Word });
                }
                (GIVE, n) if n == GIVE_WORDS + 1 => {
                    let mut w = [0; GIVE_WORDS];
                    for (i, v) in w.iter_mut().enumerate() {
                        *v = word(i + 1);
                    }
                    match super::give::Request::from_words(&w) {
                        Some(req) => return Event::Give(word(0), req),
                        None => answer(Status::BadHandle as Word),
                    }
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
    /// once at the end if none did); returns how each instance that ended did, in order:
    /// (name, how, whether it was a server).
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
                Event::Give(badge, req) => {
                    match self.give(k, badge, &req) {
                        Ok(slot) => sel4::syscall::reply(MessageInfo::new(0, 0, 0, 1), [slot, 0, 0, 0]),
                        Err(status) => answer(status as Word),
                    }
                    continue;
                }
                Event::Extract(badge) => {
                    // A server waiting here could not answer for its own part.
                    let status = match self.index_of(badge) {
                        Some(i) if !self.processes[i].2 => self.extract_and_send(k),
                        _ => 1,
                    };
                    answer(status);
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

    /// The instance whose process has this supervisor badge.
    pub(super) fn index_of(&self, badge: Word) -> Option<usize> {
        self.processes.iter().position(|(_, p, _)| p.as_ref().is_some_and(|p| p.badge == badge))
    }
}
