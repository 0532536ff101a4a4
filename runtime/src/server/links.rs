//! Doubly linked lists threaded through parallel arrays by index: a book's indexes (the
//! handles to each object, the resources of each space, the MAP edges at each object)
//! without an allocation per list, each change O(1) and each walk as long as the list.

use alloc::vec::Vec;

/// No node: an empty list's head, the ends of a list.
pub const NONE: u32 = u32::MAX;

/// A node's neighbours in its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub prev: u32,
    pub next: u32,
}

impl Default for Link {
    fn default() -> Link {
        Link { prev: NONE, next: NONE }
    }
}

/// Makes `links[n]` a place for node `n` (arrays grow with their nodes).
pub fn ensure(links: &mut Vec<Link>, n: u32) {
    let n = n as usize;
    if links.len() <= n {
        links.resize(n + 1, Link::default());
    }
}

/// Puts node `n` (in no list) at the front of the list at `head`.
pub fn push(head: &mut u32, links: &mut Vec<Link>, n: u32) {
    ensure(links, n);
    if let Some(first) = links.get_mut(*head as usize) {
        first.prev = n;
    }
    links[n as usize] = Link { prev: NONE, next: *head };
    *head = n;
}

/// Takes node `n` out of the list at `head`; nothing if it is in no list (its list was
/// taken apart, or it never joined one).
pub fn unlink(head: &mut u32, links: &mut [Link], n: u32) {
    let Some(Link { prev, next }) = links.get(n as usize).copied() else { return };
    if prev == NONE && *head != n {
        return;
    }
    match links.get_mut(prev as usize) {
        Some(p) => p.next = next,
        None => *head = next,
    }
    if let Some(x) = links.get_mut(next as usize) {
        x.prev = prev;
    }
    links[n as usize] = Link::default();
}

/// The nodes of the list at `head`, front first.
pub fn walk(head: u32, links: &[Link]) -> impl Iterator<Item = u32> + '_ {
    core::iter::successors(Some(head).filter(|h| *h != NONE), move |n| {
        links.get(*n as usize).map(|l| l.next).filter(|x| *x != NONE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_unlink_walk() {
        let (mut head, mut links) = (NONE, Vec::new());
        for n in [3, 0, 7] {
            push(&mut head, &mut links, n);
        }
        assert_eq!(walk(head, &links).collect::<Vec<_>>(), [7, 0, 3]);
        unlink(&mut head, &mut links, 0);
        assert_eq!(walk(head, &links).collect::<Vec<_>>(), [7, 3]);
        unlink(&mut head, &mut links, 7);
        assert_eq!(walk(head, &links).collect::<Vec<_>>(), [3]);
        unlink(&mut head, &mut links, 3);
        assert_eq!(head, NONE);
        assert_eq!(walk(head, &links).count(), 0);
        push(&mut head, &mut links, 0);
        assert_eq!(walk(head, &links).collect::<Vec<_>>(), [0]);
        // A node in no list (or another list's first) leaves this one alone.
        let mut other = NONE;
        push(&mut other, &mut links, 5);
        unlink(&mut head, &mut links, 5);
        unlink(&mut head, &mut links, 9);
        assert_eq!((walk(head, &links).collect::<Vec<_>>(), other), (alloc::vec![0], 5));
    }
}
