//! The system calls. Message registers 0..3 travel in r10 r8 r9 r15, the rest in the IPC
//! buffer. The fast path returns with `sysret` without restoring rsp, so rbx must hold rsp
//! across `syscall`; `asm!` will not take rbx as an operand, so it is saved in a scratch
//! register around the instruction. rcx and r11 are clobbered by `syscall`/`sysret`.

use core::arch::asm;

use crate::{syscall_id, MessageInfo, Word};

/// What comes back from a syscall that receives: the sender's badge, the tag, MR0..MR3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The badge of the cap the message came through (0 for unbadged).
    pub badge: Word,
    /// The message tag.
    pub info: MessageInfo,
    /// Message registers 0..3.
    pub mrs: [Word; 4],
}

#[inline(always)]
fn raw(sys: isize, dest: Word, info: Word, mrs: [Word; 4]) -> Received {
    let (badge, out_info);
    let [mut m0, mut m1, mut m2, mut m3] = mrs;
    // SAFETY: the seL4 syscall ABI: the kernel reads and writes only the registers named
    // here and this thread's IPC buffer (not Rust-visible memory other than through the
    // `&mut IpcBuffer` callers hold, hence no `nomem`); rsp is preserved through rbx.
    unsafe {
        asm!(
            "mov {saved}, rbx",
            "mov rbx, rsp",
            "syscall",
            "mov rsp, rbx",
            "mov rbx, {saved}",
            saved = out(reg) _,
            in("rdx") sys,
            inlateout("rdi") dest => badge,
            inlateout("rsi") info => out_info,
            inlateout("r10") m0,
            inlateout("r8") m1,
            inlateout("r9") m2,
            inlateout("r15") m3,
            out("rcx") _,
            out("r11") _,
        );
    }
    Received { badge, info: MessageInfo(out_info), mrs: [m0, m1, m2, m3] }
}

/// `seL4_Call`: send on `dest` and wait for the reply.
#[inline(always)]
pub fn call(dest: Word, info: MessageInfo, mrs: [Word; 4]) -> Received {
    raw(syscall_id::CALL, dest, info.0, mrs)
}

/// `seL4_ReplyRecv`: reply to the last caller, then wait on `src`.
#[inline(always)]
pub fn reply_recv(src: Word, info: MessageInfo, mrs: [Word; 4]) -> Received {
    raw(syscall_id::REPLY_RECV, src, info.0, mrs)
}

/// `seL4_Recv`: wait on an endpoint or notification.
#[inline(always)]
pub fn recv(src: Word) -> Received {
    raw(syscall_id::RECV, src, 0, [0; 4])
}

/// `seL4_NBRecv`: poll an endpoint or notification.
#[inline(always)]
pub fn nb_recv(src: Word) -> Received {
    raw(syscall_id::NB_RECV, src, 0, [0; 4])
}

/// `seL4_Send`: send on an endpoint (blocks until received) or signal a notification.
#[inline(always)]
pub fn send(dest: Word, info: MessageInfo, mrs: [Word; 4]) {
    raw(syscall_id::SEND, dest, info.0, mrs);
}

/// `seL4_Reply`: reply to the last caller.
#[inline(always)]
pub fn reply(info: MessageInfo, mrs: [Word; 4]) {
    raw(syscall_id::REPLY, 0, info.0, mrs);
}

/// `seL4_Signal` on a notification (a send of an empty message).
#[inline(always)]
pub fn signal(notification: Word) {
    send(notification, MessageInfo::new(0, 0, 0, 0), [0; 4]);
}

/// `seL4_Wait` on a notification: returns the accumulated badge bits.
#[inline(always)]
pub fn wait(notification: Word) -> Word {
    recv(notification).badge
}

/// `seL4_Yield`.
#[inline(always)]
pub fn yield_now() {
    raw(syscall_id::YIELD, 0, 0, [0; 4]);
}

/// `seL4_DebugPutChar` (debug kernels only).
#[inline(always)]
pub fn debug_put_char(c: u8) {
    raw(syscall_id::DEBUG_PUT_CHAR, Word::from(c), 0, [0; 4]);
}

/// `seL4_DebugHalt` (debug kernels only): stops the whole system.
#[inline(always)]
pub fn debug_halt() {
    raw(syscall_id::DEBUG_HALT, 0, 0, [0; 4]);
}
