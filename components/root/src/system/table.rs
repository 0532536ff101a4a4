//! A root service's objects by key (the key its book's handles carry), whose keys are used
//! again: a server that makes and ends objects for ever keeps its tables as big as the most
//! objects it had at once. A key is used again only once no handle names it: an object
//! that ends outside the call that consumed its handle (a PD that exited, one linked to a
//! terminated one, what went with its maker) leaves handles behind, which
//! [`Table::settle`] ends first (before, a stale handle would have named the new object),
//! finding them by key in the book's index ([`Book::index_keys`]).

use alloc::vec::Vec;

use cellulos::runtime::server::{Named, ObjectId};
use cellulos::runtime::{Badge, Book};

/// Objects by key.
pub struct Table<T> {
    slots: Vec<Option<T>>,
    /// Keys whose objects ended, not settled yet.
    ended: Vec<usize>,
    /// Keys free for new objects.
    free: Vec<usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { slots: Vec::new(), ended: Vec::new(), free: Vec::new() }
    }
}

impl<T> Table<T> {
    /// Adds `object`: its key.
    pub fn add(&mut self, object: T) -> u64 {
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(object);
                key as u64
            }
            None => {
                self.slots.push(Some(object));
                self.slots.len() as u64 - 1
            }
        }
    }

    pub fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key)?.as_ref()
    }

    pub fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key)?.as_mut()
    }

    /// Ends object `key`; its key is used again once [`Table::settle`]d.
    pub fn take(&mut self, key: usize) -> Option<T> {
        let object = self.slots.get_mut(key)?.take()?;
        self.ended.push(key);
        Some(object)
    }

    /// Every object with its key.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> + '_ {
        self.slots.iter().enumerate().filter_map(|(k, o)| Some((k, o.as_ref()?)))
    }

    /// Every object.
    pub fn values(&self) -> impl Iterator<Item = &T> + '_ {
        self.slots.iter().flatten()
    }

    /// Every object's key.
    pub fn keys(&self) -> Vec<usize> {
        self.iter().map(|(k, _)| k).collect()
    }

    /// The keys of the objects for which `f` holds.
    pub fn keys_where(&self, f: impl Fn(&T) -> bool) -> Vec<usize> {
        self.iter().filter(|(_, o)| f(o)).map(|(k, _)| k).collect()
    }

    /// How many places there are (the most objects it had at once).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn places(&self) -> usize {
        self.slots.len()
    }

    /// Ends every handle in `book` to an object of type `N` that ended, and frees their
    /// keys: the badges of the handles that ended, whose capabilities must be revoked, go
    /// to `revoked`. (Called after every call: nothing to do costs a comparison.)
    #[inline]
    pub fn settle<N: Named>(&mut self, book: &mut Book, revoked: &mut Vec<Badge>) {
        if !self.ended.is_empty() {
            self.settle_ended::<N>(book, revoked);
        }
    }

    fn settle_ended<N: Named>(&mut self, book: &mut Book, revoked: &mut Vec<Badge>) {
        for key in core::mem::take(&mut self.ended) {
            let named =
                |id: &ObjectId| book.object(*id).is_some_and(|o| o.class == N::CLASS && o.type_name == N::TYPE_NAME);
            let ids: Vec<ObjectId> = book.with_key(key as u64).into_iter().filter(named).collect();
            for id in ids {
                revoked.extend(book.end_object(id));
            }
            if self.slots.get(key).is_some_and(Option::is_none) {
                self.free.push(key);
            }
        }
    }
}
