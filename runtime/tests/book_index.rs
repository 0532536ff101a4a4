//! The book's indexes against the plain meaning of its operations: random sequences of
//! adds, grants, gives, releases, ends, space deletions, maps and unmaps on the indexed
//! [`Book`] and on [`Plain`] (every operation a scan over everything, as the book was
//! first written) leave the same objects, handles and MAP edges, and end the same handles;
//! so does the book decoded from its wire form. Ids and badges may differ (each side uses
//! freed ones again in its own order): the test maps one side's onto the other's.

use std::collections::{BTreeMap, BTreeSet};

use cellulos_runtime::server::{Book, Class, MapTarget, Object, ObjectId};
use cellulos_runtime::wire::{Reader, Wire, Writer};
use cellulos_runtime::{Cap, Status};
use proptest::prelude::*;

/// The book's operations, each a scan.
#[derive(Default)]
struct Plain {
    objects: Vec<Option<Object>>,
    free_ids: Vec<u32>,
    /// (holder, object, rights) by badge (its index here).
    handles: Vec<Option<(u32, u32, u8)>>,
    maps: Vec<(u32, MapTarget)>,
}

impl Plain {
    fn add(&mut self, o: Object) -> u32 {
        match self.free_ids.pop() {
            Some(id) => {
                self.objects[id as usize] = Some(o);
                id
            }
            None => {
                self.objects.push(Some(o));
                self.objects.len() as u32 - 1
            }
        }
    }

    fn grant(&mut self, holder: u32, object: u32, rights: u8) -> u32 {
        self.handles.push(Some((holder, object, rights)));
        self.handles.len() as u32 - 1
    }

    fn give(&mut self, badge: u32, from: u32, to: u32, rights: u8) -> Result<u32, Status> {
        let (holder, object, r) = self.handles[badge as usize].ok_or(Status::BadHandle)?;
        if holder != from {
            return Err(Status::NotHolder);
        }
        Ok(self.grant(to, object, r & rights))
    }

    fn release(&mut self, badge: u32) -> Vec<u32> {
        let Some((_, object, _)) = self.handles[badge as usize].take() else { return Vec::new() };
        if self.handles.iter().flatten().any(|(_, o, _)| *o == object) {
            return Vec::new();
        }
        self.remove(object, true)
    }

    fn remove(&mut self, id: u32, reuse: bool) -> Vec<u32> {
        let (mut ended, mut gone) = (Vec::new(), vec![id]);
        while let Some(object) = gone.pop() {
            if self.objects[object as usize].take().is_none() {
                continue;
            }
            if reuse || object != id {
                self.free_ids.push(object);
            }
            self.maps.retain(|(f, t)| *f != object && *t != MapTarget::Local(ObjectId(object)));
            for (badge, h) in self.handles.iter_mut().enumerate() {
                if h.is_some_and(|(_, o, _)| o == object) {
                    *h = None;
                    ended.push(badge as u32);
                }
            }
            let contained = self
                .objects
                .iter()
                .enumerate()
                .filter_map(|(i, o)| o.as_ref().filter(|o| o.space == Some(ObjectId(object))).map(|_| i as u32));
            gone.extend(contained.collect::<Vec<_>>());
        }
        ended
    }

    fn map(&mut self, from: u32, to: MapTarget) {
        if !self.maps.contains(&(from, to)) {
            self.maps.push((from, to));
        }
    }
}

/// One operation; its numbers pick among what exists when it runs.
#[derive(Clone, Debug)]
enum Op {
    Space,
    Resource(usize),
    Grant(usize, u32, u8),
    Give(usize, u32, u32, u8),
    Release(usize),
    End(usize),
    DeleteSpace(usize),
    MapLocal(usize, usize),
    MapForeign(usize, u32),
    Unmap(usize),
    ReleaseHolder(u32),
}

fn op() -> impl Strategy<Value = Op> {
    let n = any::<usize>();
    prop_oneof![
        1 => Just(Op::Space),
        4 => n.prop_map(Op::Resource),
        4 => (n, 1..4u32, 0..16u8).prop_map(|(o, h, r)| Op::Grant(o, h, r)),
        2 => (n, 1..4u32, 1..4u32, 0..16u8).prop_map(|(b, f, t, r)| Op::Give(b, f, t, r)),
        3 => n.prop_map(Op::Release),
        1 => n.prop_map(Op::End),
        1 => n.prop_map(Op::DeleteSpace),
        2 => (n, n).prop_map(|(f, t)| Op::MapLocal(f, t)),
        1 => (n, 0..3u32).prop_map(|(f, b)| Op::MapForeign(f, b)),
        1 => n.prop_map(Op::Unmap),
        1 => (1..4u32).prop_map(Op::ReleaseHolder),
    ]
}

/// Both sides, and which of the plain side's ids and badges each of the book's names.
#[derive(Default)]
struct Pair {
    book: Book,
    plain: Plain,
    ids: BTreeMap<u32, u32>,
    badges: BTreeMap<u32, u32>,
}

/// Keys repeat (several objects to a key, as the root's tables' keys across types); some
/// are large (indexed apart from small ones).
const KEYS: u64 = 7;

fn key_of(n: usize) -> u64 {
    match n % KEYS as usize {
        6 => u64::MAX - 1,
        5 => 1 << 40,
        k => k as u64,
    }
}

fn object(class: Class, key: u64, space: Option<ObjectId>) -> Object {
    Object { class, type_name: "FILE".into(), key, space }
}

impl Pair {
    fn live_ids(&self) -> Vec<ObjectId> {
        self.book.objects().map(|(id, _)| id).collect()
    }

    fn pick_id(&self, n: usize, class: Option<Class>) -> Option<ObjectId> {
        let ids: Vec<ObjectId> =
            self.book.objects().filter(|(_, o)| class.is_none_or(|c| o.class == c)).map(|(id, _)| id).collect();
        (!ids.is_empty()).then(|| ids[n % ids.len()])
    }

    fn pick_badge(&self, n: usize) -> Option<u32> {
        let badges: Vec<u32> = self.book.handles().map(|(b, ..)| b).collect();
        (!badges.is_empty()).then(|| badges[n % badges.len()])
    }

    fn ended(&self, book: Vec<u32>, plain: Vec<u32>) {
        let mapped: BTreeSet<u32> = book.iter().map(|b| self.badges[b]).collect();
        assert_eq!(mapped, plain.into_iter().collect(), "different handles ended");
        assert_eq!(mapped.len(), book.len(), "a handle ended twice");
    }

    fn apply(&mut self, op: &Op, key: u64) {
        match *op {
            Op::Space => {
                let id = self.book.add(object(Class::Space, key, None));
                let p = self.plain.add(object(Class::Space, key, None));
                self.ids.insert(id.0, p);
            }
            Op::Resource(n) => {
                let space = self.pick_id(n, Some(Class::Space));
                let id = self.book.add(object(Class::Resource, key, space));
                let p = self.plain.add(object(Class::Resource, key, space.map(|s| ObjectId(self.ids[&s.0]))));
                self.ids.insert(id.0, p);
            }
            Op::Grant(n, holder, rights) => {
                let Some(id) = self.pick_id(n, None) else { return };
                let badge = self.book.grant(holder, id, rights).expect("a handle");
                let p = self.plain.grant(holder, self.ids[&id.0], rights);
                self.badges.insert(badge, p);
            }
            Op::Give(n, from, to, rights) => {
                let Some(badge) = self.pick_badge(n) else { return };
                let given = self.book.give(badge, from, to, rights);
                let plain = self.plain.give(self.badges[&badge], from, to, rights);
                match (given, plain) {
                    (Ok((b, id)), Ok(p)) => {
                        assert_eq!(self.plain.handles[p as usize].map(|h| h.1), Some(self.ids[&id.0]));
                        self.badges.insert(b, p);
                    }
                    (Err(a), Err(b)) => assert_eq!(a, b),
                    (a, b) => panic!("give: {a:?} against {b:?}"),
                }
            }
            Op::Release(n) => {
                let Some(badge) = self.pick_badge(n) else { return };
                let p = self.badges[&badge];
                let (book, plain) = (self.book.release(badge), self.plain.release(p));
                self.ended(book, plain);
            }
            Op::End(n) => {
                let Some(id) = self.pick_id(n, None) else { return };
                let (book, plain) = (self.book.end_object(id), self.plain.remove(self.ids[&id.0], true));
                self.ended(book, plain);
            }
            Op::DeleteSpace(n) => {
                let Some(id) = self.pick_id(n, Some(Class::Space)) else { return };
                let (_, book) = self.book.delete_space(id).expect("a space");
                let plain = self.plain.remove(self.ids[&id.0], false);
                self.ended(book, plain);
            }
            Op::MapLocal(f, t) => {
                let (Some(from), Some(to)) = (self.pick_id(f, None), self.pick_id(t, None)) else { return };
                self.book.map(from, MapTarget::Local(to));
                self.plain.map(self.ids[&from.0], MapTarget::Local(ObjectId(self.ids[&to.0])));
            }
            Op::MapForeign(f, badge) => {
                let Some(from) = self.pick_id(f, None) else { return };
                let to = MapTarget::Foreign(Cap::Endpoint { endpoint: 1, badge });
                self.book.map(from, to);
                self.plain.map(self.ids[&from.0], to);
            }
            Op::Unmap(n) => {
                let Some(from) = self.pick_id(n, None) else { return };
                self.book.unmap(from);
                let p = self.ids[&from.0];
                self.plain.maps.retain(|(f, _)| *f != p);
            }
            Op::ReleaseHolder(holder) => {
                let book = self.book.release_holder(holder);
                // As the book does: each of the holder's handles, unless an earlier one
                // ended it.
                let held: Vec<u32> = (0..self.plain.handles.len() as u32)
                    .filter(|b| self.plain.handles[*b as usize].is_some_and(|h| h.0 == holder))
                    .collect();
                let mut plain = Vec::new();
                for b in held {
                    if self.plain.handles[b as usize].is_some() {
                        plain.push(b);
                        plain.extend(self.plain.release(b));
                    }
                }
                self.ended(book, plain);
            }
        }
    }

    /// `book` (this pair's, or one decoded from it) names what the plain side has.
    fn same(&self, book: &Book) {
        let objects: BTreeSet<(u32, u64, Option<u32>)> =
            book.objects().map(|(id, o)| (self.ids[&id.0], o.key, o.space.map(|s| self.ids[&s.0]))).collect();
        let plain: BTreeSet<(u32, u64, Option<u32>)> = (self.plain.objects.iter().enumerate())
            .filter_map(|(i, o)| o.as_ref().map(|o| (i as u32, o.key, o.space.map(|s| s.0))))
            .collect();
        assert_eq!(objects, plain, "objects");
        assert_eq!(book.objects().count(), objects.len());
        let handles: BTreeSet<(u32, u32, u32, u8)> =
            book.handles().map(|(b, h, o, r)| (self.badges[&b], h, self.ids[&o.0], r)).collect();
        let plain: BTreeSet<(u32, u32, u32, u8)> = (self.plain.handles.iter().enumerate())
            .filter_map(|(b, h)| h.map(|(h, o, r)| (b as u32, h, o, r)))
            .collect();
        assert_eq!(handles, plain, "handles");
        let local = |t: &MapTarget, ids: &dyn Fn(u32) -> u32| match t {
            MapTarget::Local(o) => (0, ids(o.0)),
            MapTarget::Foreign(Cap::Endpoint { badge, .. }) => (1, *badge),
            MapTarget::Foreign(Cap::Unwrapped(badge)) => (2, *badge),
        };
        let maps: Vec<(u32, (u8, u32))> =
            book.maps().map(|(f, t)| (self.ids[&f.0], local(t, &|i| self.ids[&i]))).collect();
        let set: BTreeSet<_> = maps.iter().copied().collect();
        assert_eq!(set.len(), maps.len(), "a MAP edge twice");
        let plain: BTreeSet<_> = self.plain.maps.iter().map(|(f, t)| (*f, local(t, &|i| i))).collect();
        assert_eq!(set, plain, "MAP edges");
        // By key (indexed or not): what a scan finds.
        for key in (0..KEYS as usize + 1).map(key_of).chain([KEYS, u64::MAX]) {
            let mut found: Vec<u32> = book.with_key(key).into_iter().map(|id| id.0).collect();
            let mut scan: Vec<u32> = book.objects().filter(|(_, o)| o.key == key).map(|(id, _)| id.0).collect();
            found.sort_unstable();
            scan.sort_unstable();
            assert_eq!(found, scan, "objects with key {key}");
        }
    }
}

fn round_trip(book: &Book) -> Book {
    let mut buf = vec![0u8; 1 << 20];
    let mut w = Writer::new(&mut buf);
    book.encode(&mut w).expect("encode");
    let n = w.len();
    Book::decode(&mut Reader::new(&buf[..n])).expect("decode")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_indexed_book_does_what_the_plain_one_does(
        ops in prop::collection::vec(op(), 1..160),
        index_keys_at in any::<usize>(),
    ) {
        let mut pair = Pair::default();
        // The key index is asked for at some point, or never (past the end).
        let index_keys_at = index_keys_at % (ops.len() * 2);
        for (n, op) in ops.iter().enumerate() {
            if n == index_keys_at {
                pair.book.index_keys();
            }
            pair.apply(op, key_of(n));
            pair.same(&pair.book);
        }
        // Its wire form decodes to the same book, whose indexes work as the original's.
        let mut decoded = round_trip(&pair.book);
        pair.same(&decoded);
        prop_assert!(pair.live_ids().len() == decoded.objects().count());
        for holder in 1..4 {
            let mut a = pair.book.release_holder(holder);
            let mut b = decoded.release_holder(holder);
            a.sort_unstable();
            b.sort_unstable();
            prop_assert_eq!(a, b);
        }
        let (mut a, mut b) = (pair.book.objects().count(), decoded.objects().count());
        prop_assert_eq!(a, b);
        for id in pair.live_ids() {
            a += pair.book.end_object(id).len();
            b += decoded.end_object(id).len();
        }
        prop_assert_eq!(a, b);
    }
}
