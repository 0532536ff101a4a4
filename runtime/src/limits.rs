//! The seL4 5.0 (x86_64) limits every message obeys, read off the kernel source.

/// Bits of the message label the runtime uses (the portable seL4 label width).
pub const LABEL_BITS: u32 = 20;
/// Label bit saying the payload is in the connection's shared buffer.
pub const SHARED_FLAG: u32 = 1 << (LABEL_BITS - 1);
/// The largest method id (ids are 1, 2, 3 ... in IDL order).
pub const MAX_METHOD_ID: u32 = SHARED_FLAG - 1;
/// Reserved method: the root asks a server for its part of the model.
pub const EXPORT_MODEL: u32 = MAX_METHOD_ID;
/// Reserved method: a dynamic connection checks the interface id.
pub const HANDSHAKE: u32 = MAX_METHOD_ID - 1;
/// Reserved method, answered by the seL4 server loop itself: "whose object is this cap?"
/// The reply is the badge the call came with and the server's id. A server that receives a
/// capability to another server's object asks its owner this (on seL4 a receiver cannot
/// read a received cap's badge), so that its model names the object, not a slot.
pub const IDENTIFY: u32 = MAX_METHOD_ID - 2;
/// Reserved method, for the root only: the PD behind a connection badge (the argument, a
/// `u32`) is gone; every handle it held ends, as if it had given each back.
pub const RELEASE_HOLDER: u32 = MAX_METHOD_ID - 3;
/// Reserved method, for the root only: give the object behind a handle one PD holds (the
/// arguments: the handle's badge, the giver's and the recipient's connection badges, the
/// rights given) to another, which then holds it too. The reply: the new handle's badge
/// and its capability, for the root to place in the recipient's CSpace.
pub const GIVE: u32 = MAX_METHOD_ID - 4;
/// Reserved method, for the root only: a cleanup plan deletes a space of this server's (the
/// argument: its object id, as the exported node's name ends) while the server lives on,
/// for it was mapped onto a dead PD's. The space, its resources and every handle to them
/// end; the server's logic learns the space's key (`space_deleted`).
pub const DELETE_SPACE: u32 = MAX_METHOD_ID - 5;
/// Message registers passed in CPU registers (MR0-MR3): the fast path.
pub const REGISTER_WORDS: usize = 4;
/// `seL4_MsgMaxLength`: message words, registers included.
pub const MAX_WORDS: usize = 120;
/// The largest payload carried in the message itself.
pub const MAX_INLINE_BYTES: usize = MAX_WORDS * 8;
/// `seL4_MsgMaxExtraCaps`.
pub const MAX_CAPS: usize = 3;
/// Capabilities to another server's objects a message may carry (one receive slot).
pub const MAX_FOREIGN_CAPS: usize = 1;
/// Endpoint badges are 28 bits (`capEPBadge`); 0 means unbadged.
pub const BADGE_BITS: u32 = 28;
/// The largest badge.
pub const MAX_BADGE: u32 = (1 << BADGE_BITS) - 1;
/// The first badge of a handle (a capability to one of a server's objects). Connection
/// badges (who calls) stay below it: both kinds of capability name the server's one
/// endpoint, so a call through a handle's capability must never pass for a connection's.
pub const FIRST_HANDLE_BADGE: u32 = 1 << 16;
