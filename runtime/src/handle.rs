//! Handles: what a client holds (a typed capability) and what a server keeps for it (an
//! entry of its handle table, indexed by the capability's badge).

use core::marker::PhantomData;

use crate::limits::MAX_BADGE;
use crate::message::Cap;
use crate::status::Status;

/// An endpoint badge: a non-zero index into the server's handle table, below 2^28.
pub type Badge = u32;

/// What a server knows of one handle it gave out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandleEntry {
    /// The PD holding it (the badge of the connection it was given through).
    pub holder: Badge,
    /// The server's own id of the resource.
    pub resource: u32,
    /// Rights (read 1, write 2, execute 4, terminate 8).
    pub rights: u8,
}

/// A server's handles: badge -> (holder, resource, rights), allocation-free.
#[derive(Clone, Debug)]
pub struct HandleTable<const N: usize> {
    entries: [Option<HandleEntry>; N],
    live: usize,
    next: usize,
}

impl<const N: usize> Default for HandleTable<N> {
    fn default() -> Self {
        HandleTable::new()
    }
}

impl<const N: usize> HandleTable<N> {
    const FITS_BADGES: () = assert!(N as u64 <= MAX_BADGE as u64, "a handle table has at most 2^28 - 1 entries");

    /// An empty table.
    pub const fn new() -> Self {
        let () = Self::FITS_BADGES;
        HandleTable { entries: [None; N], live: 0, next: 0 }
    }

    /// Adds a handle; its badge, or `None` when the table is full.
    pub fn insert(&mut self, entry: HandleEntry) -> Option<Badge> {
        if self.live == N {
            return None;
        }
        // Round-robin from the last slot used, so a freed badge is reused as late as
        // possible (seL4 revokes the old capability before reuse; this adds distance).
        for step in 0..N {
            let i = (self.next + step) % N;
            if self.entries[i].is_none() {
                self.entries[i] = Some(entry);
                self.live += 1;
                self.next = (i + 1) % N;
                return Badge::try_from(i + 1).ok();
            }
        }
        None
    }

    /// The entry of `badge`.
    pub fn get(&self, badge: Badge) -> Option<&HandleEntry> {
        let i = usize::try_from(badge).ok()?.checked_sub(1)?;
        self.entries.get(i)?.as_ref()
    }

    /// The entry of `badge`, if `holder` holds it.
    pub fn check(&self, badge: Badge, holder: Badge) -> Result<&HandleEntry, Status> {
        let entry = self.get(badge).ok_or(Status::BadHandle)?;
        if entry.holder != holder {
            return Err(Status::NotHolder);
        }
        Ok(entry)
    }

    /// Removes the handle of `badge`.
    pub fn remove(&mut self, badge: Badge) -> Option<HandleEntry> {
        let i = usize::try_from(badge).ok()?.checked_sub(1)?;
        let entry = self.entries.get_mut(i)?.take()?;
        self.live -= 1;
        Some(entry)
    }

    /// How many handles are live.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every live handle with its badge.
    pub fn iter(&self) -> impl Iterator<Item = (Badge, &HandleEntry)> + '_ {
        self.entries.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i as Badge + 1, e)))
    }
}

/// A handle a client holds: the capability to an object of type `T` (a resource type,
/// space type or PD marker generated from the IDL).
pub struct Handle<T> {
    /// The capability.
    pub cap: Cap,
    marker: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// Wraps a capability received for a `T`.
    pub const fn new(cap: Cap) -> Handle<T> {
        Handle { cap, marker: PhantomData }
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Handle<T> {}

// By hand: the marker types are uninhabited and implement nothing, which derives would require.
impl<T> core::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Handle({:?})", self.cap)
    }
}

impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cap == other.cap
    }
}

impl<T> Eq for Handle<T> {}
