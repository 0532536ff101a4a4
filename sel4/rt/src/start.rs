//! What the root task tells a component it starts: a read-only page at [`START_INFO_VA`]
//! whose address also arrives in rdi. Plain `repr(C)` data, so the root task writes it and
//! a component reads it without a decoder.

/// Where the start page is mapped in every component.
pub const START_INFO_VA: u64 = 0x7000_0000;
/// "CellStrt": a start page, not garbage.
pub const START_MAGIC: u64 = 0x7472_5374_6c6c_6543;
pub use cellulos_system::{MAX_CLIENTS, MAX_USES};

use sel4::{syscall, MessageInfo, Word};

/// The label of "this program is done" on its supervisor cap (above every fault label).
pub const EXIT_LABEL: Word = 0x100;
/// The label of "extract the model now" on the supervisor cap: the root asks every server
/// for its part, streams the whole model out, and answers 0 (or an error status).
pub const EXTRACT_LABEL: Word = 0x101;
/// The label of "give the object behind my handle to another PD" on the supervisor cap:
/// words (owning server id, handle badge, rights, recipient's name in 4 words); the answer
/// is a status and the slot of the recipient's CSpace its capability was placed in.
pub const GIVE_LABEL: Word = 0x102;
/// Words of a give request.
pub const GIVE_WORDS: usize = 7;
/// The label of "is this slot a handle given to me?" on the supervisor cap (one word: the
/// slot): the recipient checks a slot another component told it before calling through it
/// (a call through a cap that is not what it was said to be could end the caller).
pub const GIVEN_LABEL: Word = 0x103;
/// Bytes of a name.
pub const NAME_BYTES: usize = 32;
/// Pages of each connection's shared buffer (64 KiB, as the host loopback's).
pub const SHARED_PAGES: u64 = 16;
/// Where a client's shared buffer for its use `i` is: `USES_SHARED_VA + i * SHARED_STRIDE`.
pub const USES_SHARED_VA: u64 = 0x7100_0000;
/// Where a server's shared buffer with its client `j` is.
pub const CLIENTS_SHARED_VA: u64 = 0x7200_0000;
/// Distance between two shared buffers (a guard gap after each).
pub const SHARED_STRIDE: u64 = 0x10_0000;

/// A name, zero-padded.
pub type Name = [u8; NAME_BYTES];

/// Tells the supervisor (through the cap at `supervisor`) that the caller is done with
/// `code`; never returns: the supervisor deletes it.
pub fn exit(supervisor: Word, code: Word) -> ! {
    loop {
        syscall::call(supervisor, MessageInfo::new(EXIT_LABEL, 0, 0, 1), [code, 0, 0, 0]);
    }
}

/// Asks the supervisor (through the cap at `supervisor`) to extract the model while the
/// caller waits; the root's answer: 0 when the model went out.
pub fn extract_model(supervisor: Word) -> Word {
    syscall::call(supervisor, MessageInfo::new(EXTRACT_LABEL, 0, 0, 0), [0; 4]).info.label()
}

/// `s` as a [`Name`]; `None` when it is too long.
pub fn name(s: &str) -> Option<Name> {
    let mut n = [0u8; NAME_BYTES];
    n.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
    Some(n)
}

/// The text of a [`Name`].
pub fn name_str(n: &Name) -> &str {
    let len = n.iter().position(|b| *b == 0).unwrap_or(NAME_BYTES);
    core::str::from_utf8(&n[..len]).unwrap_or("?")
}

/// One connection a component uses.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Use {
    /// The name the component asks for it by (`composition.toml`'s `uses` entry).
    pub name: Name,
    /// The interface id both ends were checked against.
    pub interface_id: u64,
    /// The badged endpoint cap (Write+Grant) in the component's CSpace.
    pub cptr: u64,
    /// The connection's shared buffer ([`SHARED_PAGES`] pages, read-write).
    pub shared_va: u64,
}

/// One client of a server.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// The badge its calls carry.
    pub badge: u64,
    /// The shared buffer of that connection in the server.
    pub shared_va: u64,
}

/// The start page.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StartInfo {
    /// [`START_MAGIC`].
    pub magic: u64,
    /// This component's instance name.
    pub name: Name,
    /// Its IPC buffer.
    pub ipc_buffer: u64,
    /// The cap it exits through (its fault endpoint too: Send+Grant, badged by the root).
    pub supervisor: u64,
    /// Its endpoint, if it provides an interface (0 otherwise).
    pub endpoint: u64,
    /// The interface id it provides (0 if none).
    pub provides: u64,
    /// The badge the root calls it with (`export_model` is the root's alone).
    pub root_badge: u64,
    /// Its server id (the root's numbering, from 1; 0 if it serves nothing): how others
    /// name it when they identify a capability to one of its objects.
    pub server_id: u64,
    /// A cap to its own CNode (guard 0: slot indexes go with depth `cnode_bits`), for the
    /// caps it mints and receives.
    pub cnode: u64,
    /// Its CNode's size in bits.
    pub cnode_bits: u64,
    /// Free slots `[first, end)` of its CNode, for received and minted caps.
    pub free_slots: [u64; 2],
    /// How many of `uses` are set.
    pub use_count: u64,
    /// The connections it uses.
    pub uses: [Use; MAX_USES],
    /// How many of `clients` are set.
    pub client_count: u64,
    /// Its clients, if it is a server.
    pub clients: [Client; MAX_CLIENTS],
    /// The heap the root mapped for it (address, bytes), when its configuration asked for
    /// one (`ProcessConfig.heap_pages`); `[0, 0]`: the heap in its image serves.
    pub heap: [u64; 2],
}
