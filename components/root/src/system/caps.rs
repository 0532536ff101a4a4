//! The caps the root minted for its services' handles, by badge. Each of its four books
//! gives badges from its own first badge up, one per handle slot, so a handle's cap is found
//! by position: a handle that ends has its cap revoked without a look at the others.

use alloc::vec::Vec;

use cellulos::runtime::limits::FIRST_HANDLE_BADGE;
use cellulos::runtime::server::HANDLES_PER_BOOK;
use cellulos::runtime::Badge;
use sel4::Word;

/// The root's books (memory, PD, CPU, resource spaces), each `HANDLES_PER_BOOK` badges on.
const BOOKS: usize = 4;

/// Cap slots by badge (0: none).
#[derive(Default)]
pub struct HandleCaps {
    books: [Vec<Word>; BOOKS],
}

/// The book and slot of a handle badge of the root's.
fn place(badge: Badge) -> Option<(usize, usize)> {
    let offset = badge.checked_sub(FIRST_HANDLE_BADGE)?;
    let book = (offset / HANDLES_PER_BOOK) as usize;
    (book < BOOKS).then_some((book, (offset % HANDLES_PER_BOOK) as usize))
}

impl HandleCaps {
    /// Records `cap`, minted with `badge`; the cap it replaces (one the badge named before,
    /// to delete), or `cap` itself if the badge is none of the root's books'.
    pub fn insert(&mut self, badge: Badge, cap: Word) -> Option<Word> {
        let Some((book, slot)) = place(badge) else { return Some(cap) };
        let caps = &mut self.books[book];
        if caps.len() <= slot {
            caps.resize(slot + 1, 0);
        }
        Some(core::mem::replace(&mut caps[slot], cap)).filter(|old| *old != 0)
    }

    /// The cap minted with `badge`, which is forgotten.
    pub fn take(&mut self, badge: Badge) -> Option<Word> {
        let (book, slot) = place(badge)?;
        let cap = self.books[book].get_mut(slot).map(core::mem::take)?;
        (cap != 0).then_some(cap)
    }

    /// The badge of every cap recorded.
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn badges(&self) -> impl Iterator<Item = Badge> + '_ {
        let books = self.books.iter().enumerate();
        books.flat_map(|(book, caps)| {
            let first = FIRST_HANDLE_BADGE + book as Badge * HANDLES_PER_BOOK;
            caps.iter().enumerate().filter(|(_, c)| **c != 0).map(move |(slot, _)| first + slot as Badge)
        })
    }

    /// Every cap, all forgotten.
    pub fn drain(&mut self) -> Vec<Word> {
        self.books.iter_mut().flat_map(core::mem::take).filter(|c| *c != 0).collect()
    }
}
