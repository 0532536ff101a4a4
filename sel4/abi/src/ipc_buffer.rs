//! The IPC buffer (`seL4_IPCBuffer`): message words beyond the four registers, extra caps
//! or their badges, and where a received cap goes.

use crate::syscall::{self, Received};
use crate::{MessageInfo, Word, MAX_EXTRA_CAPS, MSG_MAX_WORDS, REGISTER_WORDS};

/// One thread's IPC buffer, laid out as the kernel expects.
#[repr(C)]
pub struct IpcBuffer {
    /// The last message tag.
    pub tag: Word,
    /// Message words (0..3 are only used when a message does not go in registers).
    pub msg: [Word; MSG_MAX_WORDS],
    /// Free for the user.
    pub user_data: Word,
    /// Caps to send, or the badges of caps received unwrapped.
    pub caps_or_badges: [Word; MAX_EXTRA_CAPS],
    /// CNode of the slot a received cap goes to.
    pub receive_cnode: Word,
    /// Index of that slot.
    pub receive_index: Word,
    /// Depth of that index.
    pub receive_depth: Word,
}

impl IpcBuffer {
    /// Sends `words` (the first four in registers, the rest here) with `info` on `dest` by
    /// `seL4_Call`; returns the reply tag and its first four words.
    #[inline(always)]
    pub fn call(&mut self, dest: Word, info: MessageInfo, words: &[Word]) -> (MessageInfo, [Word; 4]) {
        let mut mrs = [0; REGISTER_WORDS];
        for (i, w) in words.iter().enumerate().take(MSG_MAX_WORDS) {
            if i < REGISTER_WORDS {
                mrs[i] = *w;
            } else {
                self.msg[i] = *w;
            }
        }
        let Received { info, mrs, .. } = syscall::call(dest, info, mrs);
        (info, mrs)
    }

    /// Reply word `i`: from the registers for the first four, from here after.
    #[inline(always)]
    pub fn reply_word(&self, mrs: &[Word; 4], i: usize) -> Word {
        match mrs.get(i) {
            Some(w) => *w,
            None => self.msg.get(i).copied().unwrap_or(0),
        }
    }

    /// Where the next received cap goes: slot `index` of the CNode `cnode` (depth in bits).
    pub fn set_receive_slot(&mut self, cnode: Word, index: Word, depth: Word) {
        self.receive_cnode = cnode;
        self.receive_index = index;
        self.receive_depth = depth;
    }
}
