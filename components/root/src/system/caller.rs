//! The caller thread: it makes the root's calls to servers (their parts of the model, a
//! give, a gone client's holds, a cleanup's space deletion), so that the main thread keeps
//! serving its endpoint meanwhile (DESIGN.md section 4). A server the root calls may be
//! about to call the root itself, or wait on one that is: if the main thread made the call,
//! each would wait for the other for ever (EXTRACT0003).
//!
//! One call at a time: the main thread writes the job, signals the caller thread's
//! notification and serves calls until the caller thread signals the main thread's (with
//! the supervisor thread's badge, [`super::events::EVENT_BADGE`]) that the answer is in.
//! The caller thread runs at the main thread's priority, above the supervisor thread, so
//! the supervisor thread runs only while both are blocked: when it finds the caller thread
//! calling a server that ended, that thread is blocked in the call, and it releases it
//! with `ServerGone` as it released the main thread before.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cellulos_runtime::Status;
use sel4::{MessageInfo, Word, MSG_MAX_WORDS};

use super::events::{end_queued, CALLING};

/// The caller thread's priority: the main thread's.
pub(super) const CALLER_PRIORITY: u8 = 255;
/// The most words a job sends (the reserved methods' requests are a few words).
pub(super) const JOB_WORDS: usize = 8;

/// The job: the cap to call, the server's supervisor badge, the message info, the slot a
/// capability in the reply goes to (0: none), the words.
static JOB: [AtomicU64; 4 + JOB_WORDS] = [const { AtomicU64::new(0) }; 4 + JOB_WORDS];
/// The answer: its info and every word of it.
static ANSWER: [AtomicU64; 1 + MSG_MAX_WORDS] = [const { AtomicU64::new(0) }; 1 + MSG_MAX_WORDS];
/// Whether the answer to the last job is in.
static DONE: AtomicBool = AtomicBool::new(false);
/// The caller thread's TCB (for the supervisor thread to release its call).
pub(super) static CALLER_TCB: AtomicU64 = AtomicU64::new(0);

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

/// Hands `job` to the caller thread (main thread) through its notification `jobs`; false
/// when it has too many words.
pub(super) fn post(job: &Job<'_>, jobs: Word) -> bool {
    if job.words.len() > JOB_WORDS || job.info.length() != job.words.len() {
        return false;
    }
    DONE.store(false, Ordering::SeqCst);
    for (cell, w) in JOB.iter().zip([job.cap, job.badge, job.info.0, job.receive].iter().chain(job.words)) {
        cell.store(*w, Ordering::SeqCst);
    }
    sel4::syscall::signal(jobs);
    true
}

/// Takes the answer, if it is in (main thread): its info and registers; the words past
/// the registers go into `ipc`, where a reply to the main thread would have left them.
pub(super) fn take_answer(ipc: &mut sel4::IpcBuffer) -> Option<(MessageInfo, [Word; 4])> {
    if !DONE.swap(false, Ordering::SeqCst) {
        return None;
    }
    let info = MessageInfo(ANSWER[0].load(Ordering::SeqCst));
    let word = |i: usize| ANSWER[1 + i].load(Ordering::SeqCst);
    for i in 4..(info.length()).min(MSG_MAX_WORDS) {
        ipc.msg[i] = word(i);
    }
    Some((info, [word(0), word(1), word(2), word(3)]))
}

/// The caller thread (`arg`: its notification | the main thread's notification cap << 32):
/// each job's call, its answer, a signal.
pub(super) extern "C" fn run(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<sel4::Endpoint>) -> ! {
    let (jobs, done) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        sel4::syscall::wait(jobs);
        let job = |i: usize| JOB[i].load(Ordering::SeqCst);
        let (cap, badge, info, receive) = (job(0), job(1), MessageInfo(job(2)), job(3));
        let words: [Word; JOB_WORDS] = core::array::from_fn(|i| job(4 + i));
        let len = (info.length()).min(JOB_WORDS);
        // A server whose end is queued is not called (the supervisor thread could release
        // this call only once it is made).
        let (info, mrs) = if end_queued(badge) {
            (MessageInfo::new(Status::ServerGone as Word, 0, 0, 0), [0; 4])
        } else {
            ipc.set_receive_slot(sel4::init::CNODE.bits(), receive, if receive == 0 { 0 } else { 64 });
            CALLING.store(badge, Ordering::SeqCst);
            let answer = ipc.call(cap, info, &words[..len]);
            CALLING.store(0, Ordering::SeqCst);
            ipc.set_receive_slot(0, 0, 0);
            answer
        };
        ANSWER[0].store(info.0, Ordering::SeqCst);
        for i in 0..(info.length()).min(MSG_MAX_WORDS) {
            ANSWER[1 + i].store(ipc.reply_word(&mrs, i), Ordering::SeqCst);
        }
        DONE.store(true, Ordering::SeqCst);
        sel4::syscall::signal(done);
    }
}
