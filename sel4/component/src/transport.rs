//! The generated stubs' transport over seL4 IPC, to DESIGN.md section 4: the label carries
//! the method id (request) or status (reply), words 0-3 travel in registers (a message of at
//! most 4 words and no caps takes the kernel's fast path), words 4-119 in the IPC buffer,
//! and the badge of the caller's cap says who is calling. Nothing here allocates.
//!
//! Payloads over 960 bytes go through the connection's shared buffer (frames the root task
//! maps into both ends), with the byte length in word 0. Not carried yet (refused with a
//! named [`TransportError::Unsupported`], never garbled): capabilities in messages.

use core::sync::atomic::{AtomicU64, Ordering};

use cellulos::runtime::limits::REGISTER_WORDS;
use cellulos::runtime::server::{Serve, ServeCtx};
use cellulos::runtime::status::Status;
use cellulos::runtime::transport::check;
use cellulos::runtime::{Message, Transport, TransportError};
use sel4::syscall::{self, Received};
use sel4::{IpcBuffer, MessageInfo, Word};

/// This thread's IPC buffer (components are single-threaded).
static IPC_BUFFER: AtomicU64 = AtomicU64::new(0);

pub(crate) fn init(ipc_buffer: Word) {
    IPC_BUFFER.store(ipc_buffer, Ordering::Relaxed);
}

/// Runs `f` on this thread's IPC buffer.
fn with_ipc<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> R {
    let p = IPC_BUFFER.load(Ordering::Relaxed) as *mut IpcBuffer;
    // SAFETY: the root task maps this thread's IPC buffer there before it runs; the
    // component has one thread, and no reference to the buffer outlives this call, so this
    // is the only one alive.
    f(unsafe { &mut *p })
}

/// Message words 4.. into the IPC buffer; the first four go in registers.
fn send_words(msg: &Message) -> [Word; 4] {
    let len = msg.len.min(msg.words.len());
    if len > REGISTER_WORDS {
        with_ipc(|ipc| ipc.msg[REGISTER_WORDS..len].copy_from_slice(&msg.words[REGISTER_WORDS..len]));
    }
    [msg.words[0], msg.words[1], msg.words[2], msg.words[3]]
}

/// A received message into `msg`.
fn receive_words(msg: &mut Message, r: &Received) {
    msg.label = r.info.label() as u32;
    msg.len = r.info.length().min(msg.words.len());
    msg.words[..REGISTER_WORDS].copy_from_slice(&r.mrs);
    if msg.len > REGISTER_WORDS {
        let len = msg.len;
        with_ipc(|ipc| msg.words[REGISTER_WORDS..len].copy_from_slice(&ipc.msg[REGISTER_WORDS..len]));
    }
    msg.caps = [None; 3];
}

/// A connection to a server: a badged endpoint cap in this component's CSpace, and the
/// shared buffer of the connection.
pub struct Connection {
    cptr: Word,
    interface_id: u64,
    shared: &'static mut [u8],
}

/// The shared buffer at `va`, or an empty one when there is none.
fn shared_buffer(va: Word) -> &'static mut [u8] {
    if va == 0 {
        return &mut [];
    }
    // SAFETY: the root task maps SHARED_PAGES read-write pages at every shared-buffer
    // address it names in the start page, for the component's whole life; `Component`
    // hands each one out once (a connection, or the server loop's table), so this is the
    // only reference to it.
    unsafe { core::slice::from_raw_parts_mut(va as *mut u8, (sel4_rt::start::SHARED_PAGES * 4096) as usize) }
}

impl Connection {
    pub(crate) fn new(cptr: Word, interface_id: u64, shared_va: Word) -> Connection {
        Connection { cptr, interface_id, shared: shared_buffer(shared_va) }
    }

    /// The capability's address in this component's CSpace: only for tests that speak raw
    /// seL4 to a server (malformed messages must get error replies).
    pub fn raw_cptr(&self) -> Word {
        self.cptr
    }

    /// The interface id compose checked this connection against.
    pub fn interface_id(&self) -> u64 {
        self.interface_id
    }
}

impl Transport for Connection {
    fn call(&mut self, msg: &mut Message) -> Result<(), TransportError> {
        check(msg)?;
        if msg.cap_count() > 0 {
            return Err(TransportError::Unsupported("capabilities in messages on seL4"));
        }
        if msg.is_shared() && self.shared.is_empty() {
            return Err(TransportError::Unsupported("payloads over 960 bytes without a shared buffer"));
        }
        let info = MessageInfo::new(Word::from(msg.label), 0, 0, msg.len as Word);
        let r = syscall::call(self.cptr, info, send_words(msg));
        receive_words(msg, &r);
        msg.badge = 0;
        Ok(())
    }

    fn shared(&mut self) -> &mut [u8] {
        self.shared
    }
}

/// Serves `service` on the endpoint `endpoint` forever: receive, dispatch through the
/// generated code, reply and wait for the next call in one `seL4_ReplyRecv`.
///
/// `clients` are (badge, shared buffer address) pairs: a call's payload or reply over 960
/// bytes goes through the buffer of the connection it came on.
pub fn serve<S: Serve>(endpoint: Word, clients: &[(Word, Word)], mut service: S) -> ! {
    let mut msg = Message::new(0);
    let mut buffers: alloc::vec::Vec<(Word, &'static mut [u8])> =
        clients.iter().map(|(badge, va)| (*badge, shared_buffer(*va))).collect();
    let mut none = [0u8; 0];
    let mut r = syscall::recv(endpoint);
    loop {
        receive_words(&mut msg, &r);
        msg.badge = r.badge as cellulos::runtime::Badge;
        let reply = if r.info.extra_caps() > 0 {
            // Decoding trusts nothing: a capability this transport cannot take is an error
            // reply, and the server keeps serving.
            MessageInfo::new(Status::CapCount as Word, 0, 0, 0)
        } else {
            let shared: &mut [u8] = match buffers.iter_mut().find(|(b, _)| *b == r.badge) {
                Some((_, buf)) => buf,
                None => &mut none,
            };
            let mut ctx = ServeCtx::new(shared, 0);
            service.serve(&mut ctx, &mut msg);
            if msg.cap_count() > 0 {
                MessageInfo::new(Status::Overflow as Word, 0, 0, 0)
            } else {
                MessageInfo::new(Word::from(msg.label), 0, 0, msg.len as Word)
            }
        };
        let mrs = if reply.length() > 0 { send_words(&msg) } else { [0; 4] };
        r = syscall::reply_recv(endpoint, reply, mrs);
    }
}
