//! The generated stubs' transport over seL4 IPC, to docs/wire.md: the label carries
//! the method id (request) or status (reply), words 0-3 travel in registers (a message of at
//! most 4 words and no caps takes the kernel's fast path), words 4-119 in the IPC buffer,
//! and the badge of the caller's cap says who is calling. A call allocates nothing; a
//! server that mints a cap for a reply records it (to revoke it later).
//!
//! Payloads over 960 bytes go through the connection's shared buffer (frames the root task
//! maps into both ends), with the byte length in word 0.
//!
//! Capabilities: a client's `Cap::Endpoint` names the cap by its slot in the client's CSpace
//! (`badge` holds the slot there; the client never learns a badge). A cap to the server's
//! own endpoint arrives unwrapped, as its badge (`Cap::Unwrapped`); a server's reply cap
//! (`ServeCtx::mint`) is minted from its endpoint with that badge, Write+Grant, into a slot
//! it keeps (so a later revocation deletes the client's copy), and lands in the client's
//! receive slot. A cap to a third server's object lands in the server's receive slot; the
//! server loop asks its owner whose it is (the reserved `IDENTIFY` method, answered by every
//! server loop: the badge the call came with and the server id), passes it on as
//! `Cap::Endpoint { endpoint: server id, badge }` and deletes its copy.

use core::sync::atomic::{AtomicU64, Ordering};

use cellulos::runtime::limits::REGISTER_WORDS;
use cellulos::runtime::server::{Serve, ServeCtx};
use cellulos::runtime::status::Status;
use cellulos::runtime::transport::check;
use cellulos::runtime::{Badge, Cap, Message, Transport, TransportError};
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

/// The next message's extra caps, by address.
pub(crate) fn set_caps(caps: &[Word]) {
    with_ipc(|ipc| {
        for (slot, cap) in ipc.caps_or_badges.iter_mut().zip(caps) {
            *slot = *cap;
        }
    });
}

/// Message words 4.. into the IPC buffer; the first four go in registers.
fn send_words(msg: &Message) -> [Word; 4] {
    let len = msg.len.min(msg.words.len());
    if len > REGISTER_WORDS {
        with_ipc(|ipc| ipc.msg[REGISTER_WORDS..len].copy_from_slice(&msg.words[REGISTER_WORDS..len]));
    }
    [msg.words[0], msg.words[1], msg.words[2], msg.words[3]]
}

/// Where this component's CNode is for its own cap operations: (cptr, depth in bits).
static CNODE: AtomicU64 = AtomicU64::new(0);
static CNODE_BITS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn init_cnode(cnode: Word, bits: Word) {
    CNODE.store(cnode, Ordering::Relaxed);
    CNODE_BITS.store(bits, Ordering::Relaxed);
}

fn cnode() -> (sel4::Cap<sel4::CNode>, u8) {
    (sel4::Cap::from_bits(CNODE.load(Ordering::Relaxed)), CNODE_BITS.load(Ordering::Relaxed) as u8)
}

/// The receive slot the IPC buffer names now (0: none yet).
static RECEIVE_SLOT: AtomicU64 = AtomicU64::new(0);

/// Slots `[next, end)` of this component's CNode.
pub(crate) struct Slots {
    next: Word,
    end: Word,
    free: alloc::vec::Vec<Word>,
}

impl Slots {
    pub(crate) fn new(first: Word, end: Word) -> Slots {
        Slots { next: first, end, free: alloc::vec::Vec::new() }
    }

    fn alloc(&mut self) -> Option<Word> {
        self.free.pop().or_else(|| {
            (self.next < self.end).then(|| {
                self.next += 1;
                self.next - 1
            })
        })
    }

    fn release(&mut self, slot: Word) {
        self.free.push(slot);
    }
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
    /// Where received caps go; one slot is always ready for the next.
    slots: Slots,
    receive: Option<Word>,
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
    pub(crate) fn new(cptr: Word, interface_id: u64, shared_va: Word, mut slots: Slots) -> Connection {
        let receive = slots.alloc();
        Connection { cptr, interface_id, shared: shared_buffer(shared_va), slots, receive }
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
        if msg.is_shared() && self.shared.is_empty() {
            return Err(TransportError::Unsupported("payloads over 960 bytes without a shared buffer"));
        }
        // Caps to send (by slot), and the slot a returned cap lands in.
        let mut caps = [0 as Word; 3];
        let mut n = 0;
        for cap in msg.caps.iter().flatten() {
            match *cap {
                Cap::Endpoint { badge: slot, .. } => {
                    caps[n] = Word::from(slot);
                    n += 1;
                }
                Cap::Unwrapped(_) => return Err(TransportError::DeadCapability),
            }
        }
        let receive = self.receive.ok_or(TransportError::Unsupported("no free slot for a returned capability"))?;
        let (cnode, bits) = cnode();
        // The receive slot stays in the IPC buffer between calls: write it only when another
        // connection (or a received cap) changed it.
        if n > 0 || RECEIVE_SLOT.load(Ordering::Relaxed) != receive {
            with_ipc(|ipc| {
                if n > 0 {
                    ipc.caps_or_badges = caps;
                }
                ipc.set_receive_slot(cnode.bits(), receive, Word::from(bits));
            });
            RECEIVE_SLOT.store(receive, Ordering::Relaxed);
        }
        let info = MessageInfo::new(Word::from(msg.label), 0, n as Word, msg.len as Word);
        let r = syscall::call(self.cptr, info, send_words(msg));
        receive_words(msg, &r);
        msg.badge = 0;
        if r.info.extra_caps() > 0 {
            if r.info.caps_unwrapped() & 1 != 0 {
                // Only a server's own objects come back, and never unwrapped to a client.
                return Err(TransportError::DeadCapability);
            }
            let slot = Badge::try_from(receive).map_err(|_| TransportError::BadBadge)?;
            msg.caps[0] = Some(Cap::Endpoint { endpoint: self.cptr as u32, badge: slot });
            self.receive = self.slots.alloc();
        }
        Ok(())
    }

    fn shared(&mut self) -> &mut [u8] {
        self.shared
    }

    /// A consumed handle's capability was revoked by the server: its slot is empty again
    /// (deleted to be sure) and goes back to this connection's free slots.
    fn forget(&mut self, cap: Cap) {
        if let Cap::Endpoint { badge: slot, .. } = cap {
            let slot = Word::from(slot);
            let (cnode, bits) = cnode();
            if with_ipc(|ipc| ipc.cnode_delete(cnode, slot, bits)).is_ok() {
                self.slots.release(slot);
            }
        }
    }

    /// Straight to `seL4_Call` with the words in registers: no `Message`, no IPC buffer.
    fn call_registers(
        &mut self,
        _scratch: &mut Message,
        label: u32,
        words: [u64; 4],
        len: usize,
    ) -> Result<cellulos::runtime::transport::RegisterReply, TransportError> {
        if label >> cellulos::runtime::limits::LABEL_BITS != 0 || len > REGISTER_WORDS {
            return Err(TransportError::BadLabel);
        }
        let r = syscall::call(self.cptr, MessageInfo::new(Word::from(label), 0, 0, len as Word), words);
        // A reply with capabilities or past the registers is not a register reply: its true
        // length makes the stub refuse it.
        let len = if r.info.extra_caps() > 0 { usize::MAX } else { r.info.length() };
        Ok((r.info.label() as u32, r.mrs, len))
    }
}

/// Serves `service` on the endpoint `endpoint` forever: receive, dispatch through the
/// generated code, reply and wait for the next call in one `seL4_ReplyRecv`.
///
/// `clients` are (badge, shared buffer address) pairs: a call's payload or reply over 960
/// bytes goes through the buffer of the connection it came on.
pub(crate) fn serve<S: Serve>(
    endpoint: Word,
    server_id: Word,
    clients: &[(Word, Word)],
    slots: Slots,
    mut service: S,
) -> ! {
    let mut slots = slots;
    let (cnode, bits) = cnode();
    // The slot a capability to another server's object arrives in.
    let receive = slots.alloc().unwrap_or(0);
    // Caps minted for clients, by badge: kept so that revoking a badge deletes every copy.
    let mut minted: alloc::vec::Vec<(Badge, Word)> = alloc::vec::Vec::new();
    let mut msg = Message::new(0);
    let mut buffers: alloc::vec::Vec<(Word, &'static mut [u8])> =
        clients.iter().map(|(badge, va)| (*badge, shared_buffer(*va))).collect();
    let mut none = [0u8; 0];
    let ready = |receive: Word| {
        if receive != 0 && RECEIVE_SLOT.load(Ordering::Relaxed) != receive {
            with_ipc(|ipc| ipc.set_receive_slot(cnode.bits(), receive, Word::from(bits)));
            RECEIVE_SLOT.store(receive, Ordering::Relaxed);
        }
    };
    ready(receive);
    let mut r = syscall::recv(endpoint);
    loop {
        // Whose object is the cap this call came through: answered here, for every server.
        if r.info.label() == Word::from(cellulos::runtime::limits::IDENTIFY)
            && r.info.length() == 0
            && r.info.extra_caps() == 0
        {
            r = syscall::reply_recv(endpoint, MessageInfo::new(0, 0, 0, 2), [r.badge, server_id, 0, 0]);
            continue;
        }
        // Only connections call: a handle's capability names this endpoint too (so that
        // it can be borrowed back and identified), but its badge is no caller's.
        if r.badge >= Word::from(cellulos::runtime::limits::FIRST_HANDLE_BADGE) {
            r = syscall::reply_recv(endpoint, MessageInfo::new(Status::NotAllowed as Word, 0, 0, 0), [0; 4]);
            continue;
        }
        // The register path: a request of at most 4 words and no caps to a method that is all
        // words is answered without a `Message` (and takes the kernel's fast path).
        if r.info.extra_caps() == 0 && r.info.length() <= REGISTER_WORDS {
            let (mut words, mut len) = (r.mrs, r.info.length());
            if let Some(label) = service.serve_registers(r.info.label() as u32, r.badge as Badge, &mut words, &mut len)
            {
                r = syscall::reply_recv(endpoint, MessageInfo::new(Word::from(label), 0, 0, len as Word), words);
                continue;
            }
        }
        receive_words(&mut msg, &r);
        msg.badge = r.badge as cellulos::runtime::Badge;
        let caps = r.info.extra_caps();
        let unwrapped = r.info.caps_unwrapped();
        let badges = with_ipc(|ipc| ipc.caps_or_badges);
        let mut caps_ok = true;
        for (i, (cap, badge)) in msg.caps.iter_mut().zip(badges).take(caps).enumerate() {
            *cap = if unwrapped & (1 << i) != 0 {
                Some(Cap::Unwrapped(badge as Badge))
            } else {
                // Another server's object, in the receive slot: ask its owner, then let go.
                let who = identify(receive);
                let _ = with_ipc(|ipc| ipc.cnode_delete(cnode, receive, bits));
                RECEIVE_SLOT.store(0, Ordering::Relaxed);
                caps_ok &= who.is_some();
                who.map(|(server, badge)| Cap::Endpoint { endpoint: server, badge })
            };
        }
        let reply = if !caps_ok {
            // Decoding trusts nothing: a capability whose owner does not answer is an error
            // reply, and the server keeps serving.
            MessageInfo::new(Status::CapCount as Word, 0, 0, 0)
        } else {
            let shared: &mut [u8] = match buffers.iter_mut().find(|(b, _)| *b == r.badge) {
                Some((_, buf)) => buf,
                None => &mut none,
            };
            let mut ctx = ServeCtx::new(shared, 0);
            service.serve(&mut ctx, &mut msg);
            let revoked = ctx.take_revoked();
            if !revoked.is_empty() {
                for badge in revoked {
                    revoke(&mut minted, &mut slots, badge);
                }
            }
            match mint_reply_caps(&msg, &mut minted, &mut slots, endpoint) {
                Ok(n) => MessageInfo::new(Word::from(msg.label), 0, n, msg.len as Word),
                Err(status) => MessageInfo::new(status as Word, 0, 0, 0),
            }
        };
        let mrs = if reply.length() > 0 { send_words(&msg) } else { [0; 4] };
        ready(receive);
        r = syscall::reply_recv(endpoint, reply, mrs);
        msg.caps = [None; 3];
    }
}

/// Asks the supervisor (through the cap at `supervisor`) to give the object that server
/// `server` serves as `badge` to the instance named `to`: the root's status, and the slot
/// of the recipient's CSpace the new handle's capability went to.
pub(crate) fn give(
    supervisor: Word,
    (server, badge): (u32, Badge),
    to: &sel4_rt::start::Name,
    rights: u8,
) -> (Word, Word) {
    let mut words = [Word::from(server), Word::from(badge), Word::from(rights), 0, 0, 0, 0];
    for (w, chunk) in words[3..].iter_mut().zip(to.chunks(8)) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        *w = Word::from_le_bytes(b);
    }
    give_words(supervisor, &words)
}

/// A give request's words to the supervisor: the root's status and slot.
pub(crate) fn give_words(supervisor: Word, words: &[Word]) -> (Word, Word) {
    let info = MessageInfo::new(sel4_rt::start::GIVE_LABEL, 0, 0, words.len() as Word);
    let (reply, mrs) = with_ipc(|ipc| ipc.call(supervisor, info, words));
    (reply.label(), mrs[0])
}

/// Asks the owner of the capability in `slot` whose it is: (server id, badge).
pub(crate) fn identify(slot: Word) -> Option<(u32, Badge)> {
    if slot == 0 {
        return None;
    }
    let r = syscall::call(slot, MessageInfo::new(Word::from(cellulos::runtime::limits::IDENTIFY), 0, 0, 0), [0; 4]);
    if r.info.label() != 0 || r.info.length() != 2 || r.info.extra_caps() != 0 {
        return None;
    }
    Some((u32::try_from(r.mrs[1]).ok()?, Badge::try_from(r.mrs[0]).ok()?))
}

/// Mints the reply's caps (badges of this server's objects) into kept slots and names them
/// in the IPC buffer; returns how many. Runs before the reply's words go into the IPC
/// buffer: the mint invocation itself uses it.
fn mint_reply_caps(
    msg: &Message,
    minted: &mut alloc::vec::Vec<(Badge, Word)>,
    slots: &mut Slots,
    endpoint: Word,
) -> Result<Word, Status> {
    let (cnode, bits) = cnode();
    let mut out = [0 as Word; 3];
    let mut n = 0;
    for cap in msg.caps.iter().flatten() {
        let Cap::Endpoint { badge, .. } = *cap else { return Err(Status::CapCount) };
        let slot = slots.alloc().ok_or(Status::NoHandles)?;
        let rights = sel4::CapRights::WRITE_GRANT;
        let r = with_ipc(|ipc| ipc.cnode_mint(cnode, slot, bits, cnode, endpoint, bits, rights, Word::from(badge)));
        if r.is_err() {
            slots.release(slot);
            return Err(Status::NoHandles);
        }
        minted.push((badge, slot));
        out[n] = slot;
        n += 1;
    }
    if n > 0 {
        with_ipc(|ipc| ipc.caps_or_badges = out);
    }
    Ok(n as Word)
}

/// Revokes and deletes every cap minted with `badge` (the clients' copies go with them).
fn revoke(minted: &mut alloc::vec::Vec<(Badge, Word)>, slots: &mut Slots, badge: Badge) {
    let (cnode, bits) = cnode();
    minted.retain(|(b, slot)| {
        if *b != badge {
            return true;
        }
        with_ipc(|ipc| {
            let _ = ipc.cnode_revoke(cnode, *slot, bits);
            let _ = ipc.cnode_delete(cnode, *slot, bits);
        });
        slots.release(*slot);
        false
    });
}
