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
    /// Caps whose badge is none of the books' (none today): kept, and found by a scan.
    others: Vec<(Badge, Word)>,
}

/// The book and slot of a handle badge of the root's.
fn place(badge: Badge) -> Option<(usize, usize)> {
    let offset = badge.checked_sub(FIRST_HANDLE_BADGE)?;
    let book = (offset / HANDLES_PER_BOOK) as usize;
    (book < BOOKS).then_some((book, (offset % HANDLES_PER_BOOK) as usize))
}

impl HandleCaps {
    /// Records `cap`, minted with `badge`; the cap it replaces (one the badge named before,
    /// to delete).
    pub fn insert(&mut self, badge: Badge, cap: Word) -> Option<Word> {
        let Some((book, slot)) = place(badge) else {
            self.others.push((badge, cap));
            return None;
        };
        let caps = &mut self.books[book];
        if caps.len() <= slot {
            caps.resize(slot + 1, 0);
        }
        Some(core::mem::replace(&mut caps[slot], cap)).filter(|old| *old != 0)
    }

    /// A cap minted with `badge`, which is forgotten (until none is left).
    pub fn take(&mut self, badge: Badge) -> Option<Word> {
        let Some((book, slot)) = place(badge) else {
            let i = self.others.iter().position(|(b, _)| *b == badge)?;
            return Some(self.others.swap_remove(i).1);
        };
        let cap = self.books[book].get_mut(slot).map(core::mem::take)?;
        (cap != 0).then_some(cap)
    }

    /// The badge of every cap recorded.
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn badges(&self) -> impl Iterator<Item = Badge> + '_ {
        let books = self.books.iter().enumerate();
        books
            .flat_map(|(book, caps)| {
                let first = FIRST_HANDLE_BADGE + book as Badge * HANDLES_PER_BOOK;
                caps.iter().enumerate().filter(|(_, c)| **c != 0).map(move |(slot, _)| first + slot as Badge)
            })
            .chain(self.others.iter().map(|(b, _)| *b))
    }

    /// Every cap, all forgotten.
    pub fn drain(&mut self) -> Vec<Word> {
        let others = core::mem::take(&mut self.others).into_iter().map(|(_, c)| c);
        self.books.iter_mut().flat_map(core::mem::take).filter(|c| *c != 0).chain(others).collect()
    }
}
