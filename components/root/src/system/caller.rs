//! The caller thread: it makes the root's calls to servers (their parts of the model, a
//! give, a gone client's holds, a cleanup's space deletion), so that the main thread keeps
//! serving its endpoint meanwhile (docs/architecture.md, "Its threads, and why"). A
//! server the root calls may be about to call the root itself, or wait on one that is: if
//! the main thread made the call, each would wait for the other for ever (EXTRACT0003).
//!
//! The main thread writes the job, signals a caller thread's notification and serves
//! calls until that thread signals the main thread's (with the supervisor thread's
//! badge, [`super::events::EVENT_BADGE`]) that the answer is in. A give that a server asks
//! for meanwhile (the server called may be waiting for it) calls the owning server in
//! turn, whose own give may be waiting too, and so on: a caller thread for each depth of
//! such calls, made when a call first goes that deep (up to [`CALLERS`]; a server waits
//! in one call at a time, so calls nest at most one deeper than the servers that use
//! other servers). They run at the main thread's priority, above the supervisor thread,
//! so the supervisor thread runs only while all are blocked: when it finds a caller
//! thread calling a server that ended, that thread is blocked in the call, and it
//! releases it with `ServerGone` as it released the main thread before.

use alloc::string::String;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cellulos_runtime::Status;
use sel4::{MessageInfo, Notification, Word, MSG_MAX_WORDS};

use super::events::end_queued;
use super::Running;
use crate::kernel::Kernel;
use crate::thread::{Supervisor, Thread};
use crate::vspace::VSpace;

/// The caller threads' priority: the main thread's.
pub(super) const CALLER_PRIORITY: u8 = 255;
/// The most caller threads: calls to servers the root waits on at once (a server's give
/// while the root calls it is the second, a give the owning server waits on meanwhile the
/// third, ...).
pub(super) const CALLERS: usize = 8;
/// The most words a job sends (the reserved methods' requests are a few words).
pub(super) const JOB_WORDS: usize = 8;

/// Each caller thread's job: the cap to call, the server's supervisor badge, the message
/// info, the slot a capability in the reply goes to (0: none), the words.
static JOB: [[AtomicU64; 4 + JOB_WORDS]; CALLERS] = [const { [const { AtomicU64::new(0) }; 4 + JOB_WORDS] }; CALLERS];
/// Each one's answer: its info and every word of it.
static ANSWER: [[AtomicU64; 1 + MSG_MAX_WORDS]; CALLERS] =
    [const { [const { AtomicU64::new(0) }; 1 + MSG_MAX_WORDS] }; CALLERS];
/// Whether the answer to each one's last job is in.
static DONE: [AtomicBool; CALLERS] = [const { AtomicBool::new(false) }; CALLERS];
/// Each one's TCB (for the supervisor thread to release its call).
pub(super) static CALLER_TCB: [AtomicU64; CALLERS] = [const { AtomicU64::new(0) }; CALLERS];
/// The supervisor badge of the server each one is calling (0: none).
pub(super) static CALLING: [AtomicU64; CALLERS] = [const { AtomicU64::new(0) }; CALLERS];

/// A call for the caller thread to make.
pub(super) struct Job<'a> {
    /// The root's cap to the server's endpoint.
    pub cap: Word,
    /// The server's supervisor badge (what its end is queued with).
    pub badge: Word,
    pub info: MessageInfo,
    /// Where a capability in the reply goes (a slot of the root's CNode; 0: none).
    pub receive: Word,
    pub words: &'a [Word],
}

/// Hands `job` to caller thread `c` (main thread) through its notification `jobs`; false
/// when it has too many words.
pub(super) fn post(c: usize, job: &Job<'_>, jobs: Word) -> bool {
    if c >= CALLERS || job.words.len() > JOB_WORDS || job.info.length() != job.words.len() {
        return false;
    }
    DONE[c].store(false, Ordering::SeqCst);
    for (cell, w) in JOB[c].iter().zip([job.cap, job.badge, job.info.0, job.receive].iter().chain(job.words)) {
        cell.store(*w, Ordering::SeqCst);
    }
    sel4::syscall::signal(jobs);
    true
}

/// Takes caller thread `c`'s answer, if it is in (main thread): its info and registers;
/// the words past the registers go into `ipc`, where a reply to the main thread would have
/// left them.
pub(super) fn take_answer(c: usize, ipc: &mut sel4::IpcBuffer) -> Option<(MessageInfo, [Word; 4])> {
    if !DONE.get(c)?.swap(false, Ordering::SeqCst) {
        return None;
    }
    let answer = &ANSWER[c];
    let info = MessageInfo(answer[0].load(Ordering::SeqCst));
    let word = |i: usize| answer[1 + i].load(Ordering::SeqCst);
    for i in 4..(info.length()).min(MSG_MAX_WORDS) {
        ipc.msg[i] = word(i);
    }
    Some((info, [word(0), word(1), word(2), word(3)]))
}

impl Running {
    /// The notification of caller thread `c`, made now if `c` is the next one (the main
    /// thread's calls to servers are nested `c` deep).
    pub(super) fn caller(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        c: usize,
    ) -> Result<Word, String> {
        if let Some((_, jobs)) = self.callers.get(c) {
            return Ok(jobs.cap.bits());
        }
        if c != self.callers.len() || c >= CALLERS {
            return Err(alloc::format!("calls to servers nested {} deep", c + 1));
        }
        let jobs = k.create::<Notification>().map_err(|e| alloc::format!("{e}"))?;
        let arg = arg(c, jobs.cap.bits(), self.event_signal);
        let thread = match Thread::spawn(k, vs, sup, run, arg, CALLER_PRIORITY, 4) {
            Ok(t) => t,
            Err(e) => {
                let _ = k.destroy(jobs);
                return Err(alloc::format!("{e}"));
            }
        };
        CALLER_TCB[c].store(thread.tcb.cap.bits(), Ordering::SeqCst);
        let bits = jobs.cap.bits();
        self.callers.push((thread, jobs));
        Ok(bits)
    }

    /// How many caller threads there are: the deepest the root's calls to servers nested.
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn callers(&self) -> usize {
        self.callers.len()
    }
}

/// The argument of caller thread `c`: its notification, the main thread's notification
/// cap (slots of the root's CNode, below 2^20).
pub(super) fn arg(c: usize, jobs: Word, done: Word) -> Word {
    jobs | done << 20 | (c as Word) << 40
}

/// A caller thread (`arg`: see [`arg`]): each job's call, its answer, a signal.
pub(super) extern "C" fn run(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<sel4::Endpoint>) -> ! {
    let (jobs, done, c) = (arg & 0xf_ffff, (arg >> 20) & 0xf_ffff, ((arg >> 40) as usize).min(CALLERS - 1));
    let (job, answer, calling) = (&JOB[c], &ANSWER[c], &CALLING[c]);
    loop {
        sel4::syscall::wait(jobs);
        let job = |i: usize| job[i].load(Ordering::SeqCst);
        let (cap, badge, info, receive) = (job(0), job(1), MessageInfo(job(2)), job(3));
        let words: [Word; JOB_WORDS] = core::array::from_fn(|i| job(4 + i));
        let len = (info.length()).min(JOB_WORDS);
        // A server whose end is queued is not called (the supervisor thread could release
        // this call only once it is made).
        let (info, mrs) = if end_queued(badge) {
            (MessageInfo::new(Status::ServerGone as Word, 0, 0, 0), [0; 4])
        } else {
            ipc.set_receive_slot(sel4::init::CNODE.bits(), receive, if receive == 0 { 0 } else { 64 });
            calling.store(badge, Ordering::SeqCst);
            let reply = ipc.call(cap, info, &words[..len]);
            calling.store(0, Ordering::SeqCst);
            ipc.set_receive_slot(0, 0, 0);
            reply
        };
        answer[0].store(info.0, Ordering::SeqCst);
        for i in 0..(info.length()).min(MSG_MAX_WORDS) {
            answer[1 + i].store(ipc.reply_word(&mrs, i), Ordering::SeqCst);
        }
        DONE[c].store(true, Ordering::SeqCst);
        sel4::syscall::signal(done);
    }
}
