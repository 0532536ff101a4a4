//! A server's book: its objects, the handles it gave out, its MAP edges; kept by the
//! generated dispatch. Indexed (the handles to each object, the resources of each space,
//! the MAP edges at each object: [`super::links`]) so that each operation costs what it
//! touches, not what the server has: a file server with ten thousand open files closes one
//! as fast as with ten.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use super::links::{self, Link, NONE};
use crate::handle::{Badge, HandleEntry};
use crate::message::Cap;
use crate::status::Status;

/// An object of a server's model: one of its resources, spaces or PDs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

/// What kind of node an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A resource (it lives in a space).
    Resource,
    /// A resource space.
    Space,
    /// A protection domain.
    Pd,
}

/// One object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Resource, space or PD.
    pub class: Class,
    /// Its resource or space type (`VMR`, `ADS`), `PD` for PDs.
    pub type_name: String,
    /// The server's own key for it.
    pub key: u64,
    /// The space a resource lives in.
    pub space: Option<ObjectId>,
}

/// Where a MAP edge ends: an object of this server, or another server's (by capability).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapTarget {
    /// One of this server's objects.
    Local(ObjectId),
    /// An object of another server.
    Foreign(Cap),
}

/// How many handles one book may name: a server that serves several interfaces on one
/// endpoint (the root) gives each book its own range of badges.
pub const HANDLES_PER_BOOK: u32 = 1 << 24;

/// The server's part of the model.
#[derive(Clone, Debug, Default)]
pub struct Book {
    objects: Vec<Option<Object>>,
    /// Each object's lists, by id.
    heads: Vec<Heads>,
    /// Each object's place in its space's list of resources, by id.
    member_links: Vec<Link>,
    handles: Vec<Option<(HandleEntry, ObjectId)>>,
    /// Each handle's place in its object's list of handles, by slot.
    handle_links: Vec<Link>,
    /// Handle slots freed, the longest free first: a slot is used again as late as
    /// possible, so a stale copy of a revoked capability does not soon name a new object
    /// (while the table is small, new slots are taken instead).
    free_handles: VecDeque<u32>,
    /// MAP edges by slot, with each one's place in its source's and its (local) target's
    /// lists, and the free slots.
    maps: Vec<Option<(ObjectId, MapTarget)>>,
    map_out: Vec<Link>,
    map_in: Vec<Link>,
    free_maps: Vec<u32>,
    /// The badge of its first handle (0: [`FIRST_HANDLE_BADGE`]).
    ///
    /// [`FIRST_HANDLE_BADGE`]: crate::limits::FIRST_HANDLE_BADGE
    first_badge: Badge,
    /// Ids of objects gone, used again by the next objects added: a server that makes and
    /// ends objects for ever keeps ids (and the book the root decodes) as small as the most
    /// objects it had at once. (A space a cleanup deleted keeps its id: the server's logic
    /// may have kept it.)
    free_ids: Vec<ObjectId>,
    /// The objects with each key, kept when asked for ([`Book::index_keys`]), and each
    /// object's place in its key's list.
    keyed: Option<Keyed>,
    key_links: Vec<Link>,
}

/// The heads of the lists of objects by key: small keys (a table's slots, as the root's)
/// by index, any others in a map.
#[derive(Clone, Debug, Default)]
struct Keyed {
    small: Vec<u32>,
    large: BTreeMap<u64, u32>,
}

/// Keys below this are indexed by position (a list of them costs 4 bytes a key).
const SMALL_KEYS: u64 = 1 << 16;

impl Keyed {
    /// The head of `key`'s list, made empty if there is none.
    fn head(&mut self, key: u64) -> &mut u32 {
        match usize::try_from(key).ok().filter(|_| key < SMALL_KEYS) {
            Some(k) => {
                if self.small.len() <= k {
                    self.small.resize(k + 1, NONE);
                }
                &mut self.small[k]
            }
            None => self.large.entry(key).or_insert(NONE),
        }
    }

    fn get(&self, key: u64) -> u32 {
        match key < SMALL_KEYS {
            true => self.small.get(key as usize).copied().unwrap_or(NONE),
            false => self.large.get(&key).copied().unwrap_or(NONE),
        }
    }

    /// Takes object `id` out of `key`'s list.
    fn remove(&mut self, key: u64, links: &mut [Link], id: u32) {
        let head = self.head(key);
        links::unlink(head, links, id);
        if *head == NONE && key >= SMALL_KEYS {
            self.large.remove(&key);
        }
    }
}

/// The heads of an object's lists: the handles to it, its resources (a space's), the MAP
/// edges from it and onto it.
#[derive(Clone, Copy, Debug)]
struct Heads {
    handles: u32,
    members: u32,
    maps_out: u32,
    maps_in: u32,
}

impl Default for Heads {
    fn default() -> Heads {
        Heads { handles: NONE, members: NONE, maps_out: NONE, maps_in: NONE }
    }
}

/// The largest object id a decoded book may name: ids are used again, so a server's ids
/// stay below the most objects it had at once; a book naming more is refused rather than
/// costing the root the memory of that many.
pub const MAX_OBJECT_ID: u32 = (1 << 16) - 1;

/// The largest handle slot a decoded book may name (its badge less the book's first):
/// slots are used again too, so a server's stay below the most handles it had at once; a
/// book naming more is refused rather than costing the root the memory of that many (one
/// record naming slot 2^24 - 1 made it allocate some 400 MB).
pub const MAX_HANDLE_SLOT: usize = (1 << 18) - 1;

/// Handle slots taken new (none used again) while the table is smaller.
const FRESH_HANDLES: usize = 64;

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::default()
    }

    /// An empty book whose handles' badges start at `first` (at or above
    /// `FIRST_HANDLE_BADGE`; [`HANDLES_PER_BOOK`] of them): for a second interface served on
    /// the same endpoint, whose handles must not pass for the first one's.
    pub fn with_first_badge(first: Badge) -> Book {
        Book { first_badge: first.max(crate::limits::FIRST_HANDLE_BADGE), ..Book::default() }
    }

    /// Keeps an index of the objects by key from now on ([`Book::with_key`]): for a
    /// server that ends objects by key outside the calls that name them (the root's tables,
    /// after a PD exited), which would otherwise scan the book for each. Other books do
    /// without its cost on every object made.
    pub fn index_keys(&mut self) {
        let mut keyed = Keyed::default();
        for id in 0..self.objects.len() as u32 {
            if let Some(o) = &self.objects[id as usize] {
                links::push(keyed.head(o.key), &mut self.key_links, id);
            }
        }
        self.keyed = Some(keyed);
    }

    /// The objects whose key is `key` (of any type).
    pub fn with_key(&self, key: u64) -> Vec<ObjectId> {
        match &self.keyed {
            Some(keyed) => links::walk(keyed.get(key), &self.key_links).map(ObjectId).collect(),
            None => self.objects().filter(|(_, o)| o.key == key).map(|(id, _)| id).collect(),
        }
    }

    fn first(&self) -> Badge {
        if self.first_badge == 0 {
            crate::limits::FIRST_HANDLE_BADGE
        } else {
            self.first_badge
        }
    }

    /// The badge of handle slot `index`: from the book's first badge up, apart from
    /// connection badges (below `FIRST_HANDLE_BADGE`).
    fn badge_of(&self, index: usize) -> Option<Badge> {
        let index = Badge::try_from(index).ok().filter(|i| *i < HANDLES_PER_BOOK)?;
        index.checked_add(self.first()).filter(|b| *b <= crate::limits::MAX_BADGE)
    }

    /// The handle slot a badge names, if it names one of this book's.
    fn index_of(&self, badge: Badge) -> Option<usize> {
        let index = badge.checked_sub(self.first()).filter(|i| *i < HANDLES_PER_BOOK)?;
        usize::try_from(index).ok()
    }

    /// Whether `badge` is in this book's range of handle badges (in use or not).
    pub fn names(&self, badge: Badge) -> bool {
        self.index_of(badge).is_some()
    }

    /// Whether object `id` exists (its lists are kept).
    fn live(&self, id: ObjectId) -> bool {
        self.object(id).is_some()
    }

    /// Records a new object.
    pub fn add(&mut self, object: Object) -> ObjectId {
        let (space, key) = (object.space, object.key);
        let id = match self.free_ids.pop() {
            Some(id) => {
                self.objects[id.0 as usize] = Some(object);
                self.heads[id.0 as usize] = Heads::default();
                id
            }
            None => {
                let id = ObjectId(u32::try_from(self.objects.len()).unwrap_or(u32::MAX));
                self.objects.push(Some(object));
                self.heads.push(Heads::default());
                id
            }
        };
        self.join_space(id, space);
        if let Some(keyed) = &mut self.keyed {
            links::push(keyed.head(key), &mut self.key_links, id.0);
        }
        id
    }

    /// Puts resource `id` in space `space`'s list (if that is one of the book's objects).
    fn join_space(&mut self, id: ObjectId, space: Option<ObjectId>) {
        if let Some(s) = space.filter(|s| *s != id && self.live(*s)) {
            links::push(&mut self.heads[s.0 as usize].members, &mut self.member_links, id.0);
        }
    }

    /// Declares a space this server serves from the start (the ramdisk's BLOCK space),
    /// held by `owner` (the server's own PD, by its badge); later `new` resources name it.
    /// Returns the space and the owner's badge for it.
    pub fn add_space<S: super::Named>(&mut self, key: u64, owner: Badge) -> Result<(ObjectId, Badge), Status> {
        let id = self.add(Object { class: S::CLASS, type_name: String::from(S::TYPE_NAME), key, space: None });
        let badge = self.grant(owner, id, 3)?;
        Ok((id, badge))
    }

    /// An object by id.
    pub fn object(&self, id: ObjectId) -> Option<&Object> {
        self.objects.get(id.0 as usize)?.as_ref()
    }

    /// Every live object.
    pub fn objects(&self) -> impl Iterator<Item = (ObjectId, &Object)> + '_ {
        self.objects.iter().enumerate().filter_map(|(i, o)| o.as_ref().map(|o| (ObjectId(i as u32), o)))
    }

    /// Gives `holder` a handle to `object`: its badge (the capability carries it).
    pub fn grant(&mut self, holder: Badge, object: ObjectId, rights: u8) -> Result<Badge, Status> {
        let entry = (HandleEntry { holder, resource: object.0, rights }, object);
        let n = self.handles.len();
        let reused = if n < FRESH_HANDLES { None } else { self.free_handles.pop_front() };
        let index = match reused {
            Some(i) => {
                self.handles[i as usize] = Some(entry);
                i as usize
            }
            None => {
                self.handles.push(Some(entry));
                n
            }
        };
        match self.badge_of(index) {
            Some(badge) => {
                if self.live(object) {
                    links::push(&mut self.heads[object.0 as usize].handles, &mut self.handle_links, index as u32);
                }
                Ok(badge)
            }
            None => {
                self.handles[index] = None;
                Err(Status::NoHandles)
            }
        }
    }

    /// Ends the handle in slot `index`: the object it named.
    fn drop_handle(&mut self, index: usize) -> Option<ObjectId> {
        let (_, id) = self.handles.get_mut(index).and_then(Option::take)?;
        if let Some(h) = self.heads.get_mut(id.0 as usize) {
            links::unlink(&mut h.handles, &mut self.handle_links, index as u32);
        }
        self.free_handles.push_back(index as u32);
        Some(id)
    }

    /// Gives the object behind `badge`, which `from` holds, to `to` as well, with the
    /// rights of both `rights` and the giver's handle: the new handle's badge, and the
    /// object. Nothing changes when `from` does not hold it.
    pub fn give(&mut self, badge: Badge, from: Badge, to: Badge, rights: u8) -> Result<(Badge, ObjectId), Status> {
        let index = self.index_of(badge).ok_or(Status::BadHandle)?;
        let (entry, id) = self.handles.get(index).and_then(Option::as_ref).ok_or(Status::BadHandle)?;
        if entry.holder != from {
            return Err(Status::NotHolder);
        }
        let (id, rights) = (*id, entry.rights & rights);
        self.grant(to, id, rights).map(|given| (given, id))
    }

    /// The object behind `badge`, if `holder` holds it and it is a `type_name`.
    pub fn resolve(&self, badge: Badge, holder: Badge, type_name: &str) -> Result<(ObjectId, &Object), Status> {
        let index = self.index_of(badge).ok_or(Status::BadHandle)?;
        let (entry, id) = self.handles.get(index).and_then(Option::as_ref).ok_or(Status::BadHandle)?;
        if entry.holder != holder {
            return Err(Status::NotHolder);
        }
        let object = self.object(*id).ok_or(Status::BadHandle)?;
        if object.type_name != type_name {
            return Err(Status::BadHandle);
        }
        Ok((*id, object))
    }

    /// Ends the hold behind `badge`. An object nobody holds any longer is gone, with the
    /// MAP edges touching it (a consumed region is removed, a closed file is closed); a
    /// space that goes takes its resources with it, and their holders' handles. Returns the
    /// badges of every other handle that ended, whose capabilities must be revoked.
    pub fn release(&mut self, badge: Badge) -> Vec<Badge> {
        let Some(index) = self.index_of(badge) else { return Vec::new() };
        let Some(id) = self.drop_handle(index) else { return Vec::new() };
        if self.heads.get(id.0 as usize).is_some_and(|h| h.handles != NONE) || !self.live(id) {
            return Vec::new();
        }
        self.remove(id, true)
    }

    /// Ends object `id`, which ended on its own (a PD that exited): it, the MAP edges
    /// touching it and every handle to it go, and its id may name a new object. The
    /// badges of the handles that ended, whose capabilities must be revoked.
    pub fn end_object(&mut self, id: ObjectId) -> Vec<Badge> {
        match self.object(id) {
            Some(_) => self.remove(id, true),
            None => Vec::new(),
        }
    }

    /// Deletes space `id` whoever holds it (a cleanup plan's step, asked by the root): it,
    /// its resources and every handle to them end. Its key, and the badges of the handles
    /// that ended, whose capabilities must be revoked.
    pub fn delete_space(&mut self, id: ObjectId) -> Result<(u64, Vec<Badge>), Status> {
        match self.object(id) {
            Some(o) if o.class == Class::Space => {
                let key = o.key;
                Ok((key, self.remove(id, false)))
            }
            _ => Err(Status::BadHandle),
        }
    }

    /// Removes object `id` with the MAP edges touching it and every handle to it; a space
    /// takes its resources with it. The badges of the handles that ended. `reuse`: the id
    /// may name a new object (the objects of a space go in any case).
    fn remove(&mut self, id: ObjectId, reuse: bool) -> Vec<Badge> {
        let mut ended = Vec::new();
        let mut gone = alloc::vec![id];
        while let Some(object) = gone.pop() {
            let o = object.0 as usize;
            let Some(was) = self.objects.get_mut(o).and_then(Option::take) else { continue };
            if reuse || object != id {
                self.free_ids.push(object);
            }
            if let Some(h) = was.space.and_then(|s| self.heads.get_mut(s.0 as usize)) {
                links::unlink(&mut h.members, &mut self.member_links, object.0);
            }
            if let Some(keyed) = &mut self.keyed {
                keyed.remove(was.key, &mut self.key_links, object.0);
            }
            // Each list's first goes until none is left (taken out of the list first, so
            // each turn makes progress whatever the entry says).
            while let Some(m) = self.heads.get(o).map(|h| h.maps_out).filter(|m| *m != NONE) {
                links::unlink(&mut self.heads[o].maps_out, &mut self.map_out, m);
                self.drop_map(m);
            }
            while let Some(m) = self.heads.get(o).map(|h| h.maps_in).filter(|m| *m != NONE) {
                links::unlink(&mut self.heads[o].maps_in, &mut self.map_in, m);
                self.drop_map(m);
            }
            while let Some(i) = self.heads.get(o).map(|h| h.handles).filter(|i| *i != NONE) {
                links::unlink(&mut self.heads[o].handles, &mut self.handle_links, i);
                if self.drop_handle(i as usize).is_some() {
                    ended.extend(self.badge_of(i as usize));
                }
            }
            // A space's resources go with it.
            while let Some(m) = self.heads.get(o).map(|h| h.members).filter(|m| *m != NONE) {
                links::unlink(&mut self.heads[o].members, &mut self.member_links, m);
                gone.push(ObjectId(m));
            }
            self.heads[o] = Heads::default();
        }
        ended
    }

    /// Ends every hold of `holder` (a client that is gone): each handle as
    /// [`Book::release`] ends it. Returns the badges of every handle that ended, the
    /// holder's own and those that went with their objects, whose capabilities must be
    /// revoked.
    pub fn release_holder(&mut self, holder: Badge) -> Vec<Badge> {
        let held: Vec<Badge> = self.handles().filter(|(_, h, _, _)| *h == holder).map(|(b, ..)| b).collect();
        let mut ended = Vec::new();
        for badge in held {
            // An earlier release may have ended this handle already.
            let live = self.index_of(badge).and_then(|i| self.handles.get(i)).is_some_and(Option::is_some);
            if live {
                ended.push(badge);
                ended.extend(self.release(badge));
            }
        }
        ended
    }

    /// Records `from -MAP-> to`.
    pub fn map(&mut self, from: ObjectId, to: MapTarget) {
        let out = self.heads.get(from.0 as usize).map_or(NONE, |h| h.maps_out);
        if links::walk(out, &self.map_out).any(|m| self.maps[m as usize].is_some_and(|(_, t)| t == to)) {
            return;
        }
        let m = match self.free_maps.pop() {
            Some(m) => {
                self.maps[m as usize] = Some((from, to));
                m
            }
            None => {
                self.maps.push(Some((from, to)));
                (self.maps.len() - 1) as u32
            }
        };
        if self.live(from) {
            links::push(&mut self.heads[from.0 as usize].maps_out, &mut self.map_out, m);
        }
        if let MapTarget::Local(t) = to {
            if self.live(t) {
                links::push(&mut self.heads[t.0 as usize].maps_in, &mut self.map_in, m);
            }
        }
    }

    /// Ends MAP edge `m`.
    fn drop_map(&mut self, m: u32) {
        let Some((from, to)) = self.maps.get_mut(m as usize).and_then(Option::take) else { return };
        if let Some(h) = self.heads.get_mut(from.0 as usize) {
            links::unlink(&mut h.maps_out, &mut self.map_out, m);
        }
        if let MapTarget::Local(t) = to {
            if let Some(h) = self.heads.get_mut(t.0 as usize) {
                links::unlink(&mut h.maps_in, &mut self.map_in, m);
            }
        }
        self.free_maps.push(m);
    }

    /// Ends every MAP edge leaving `from`.
    pub fn unmap(&mut self, from: ObjectId) {
        let out = self.heads.get(from.0 as usize).map_or(NONE, |h| h.maps_out);
        let maps: Vec<u32> = links::walk(out, &self.map_out).collect();
        for m in maps {
            self.drop_map(m);
        }
    }

    /// Every live handle: badge, holder, object, rights.
    pub fn handles(&self) -> impl Iterator<Item = (Badge, Badge, ObjectId, u8)> + '_ {
        self.handles
            .iter()
            .enumerate()
            .filter_map(|(i, h)| Some((self.badge_of(i)?, h.as_ref()?)))
            .map(|(badge, (e, o))| (badge, e.holder, *o, e.rights))
    }

    /// The object behind handle `badge`, if it is live.
    pub(super) fn object_of(&self, badge: Badge) -> Option<ObjectId> {
        let (_, id) = self.handles.get(self.index_of(badge)?)?.as_ref()?;
        Some(*id)
    }

    /// Every MAP edge.
    pub fn maps(&self) -> impl Iterator<Item = &(ObjectId, MapTarget)> + '_ {
        self.maps.iter().flatten()
    }
}

/// The wire form of a book, as `export_model` sends it: objects, handles, MAP edges,
/// each list with a `u32` count. Decoding bounds every count by the bytes left, so a
/// hostile length cannot make the root allocate.
impl crate::wire::Wire for Book {
    const MAX_SIZE: usize = usize::MAX / 4;

    fn encode(&self, w: &mut crate::wire::Writer<'_>) -> Result<(), crate::wire::WireError> {
        use crate::wire::WireError;
        let count = |n: usize| u32::try_from(n).map_err(|_| WireError::Oversize);
        count(self.objects().count())?.encode(w)?;
        for (id, o) in self.objects() {
            id.0.encode(w)?;
            let class: u8 = match o.class {
                Class::Resource => 0,
                Class::Space => 1,
                Class::Pd => 2,
            };
            class.encode(w)?;
            let name: heapless::String<64> =
                heapless::String::try_from(o.type_name.as_str()).map_err(|_| WireError::Oversize)?;
            name.encode(w)?;
            o.key.encode(w)?;
            o.space.map(|s| s.0).encode(w)?;
        }
        count(self.handles().count())?.encode(w)?;
        for (badge, holder, object, rights) in self.handles() {
            (badge, holder, object.0, rights).encode(w)?;
        }
        count(self.maps().count())?.encode(w)?;
        for (from, to) in self.maps() {
            from.0.encode(w)?;
            match to {
                MapTarget::Local(o) => (0u8, o.0).encode(w)?,
                MapTarget::Foreign(Cap::Endpoint { endpoint, badge }) => (1u8, *endpoint, *badge).encode(w)?,
                MapTarget::Foreign(Cap::Unwrapped(badge)) => (2u8, *badge).encode(w)?,
            }
        }
        Ok(())
    }

    fn decode(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        use crate::wire::WireError;
        // Each record takes at least this many bytes: a count above bytes-left / size lies.
        let count = |r: &mut crate::wire::Reader<'_>, min_record: usize, left: usize| -> Result<usize, WireError> {
            let n = u32::decode(r)? as usize;
            if n > left / min_record {
                return Err(WireError::Oversize);
            }
            Ok(n)
        };
        let mut book = Book::new();
        let total = usize::MAX;
        let n = count(r, 4 + 1 + 2 + 8 + 1, total)?;
        for _ in 0..n {
            let id = u32::decode(r)? as usize;
            let class = match u8::decode(r)? {
                0 => Class::Resource,
                1 => Class::Space,
                2 => Class::Pd,
                _ => return Err(WireError::BadTag),
            };
            let name = heapless::String::<64>::decode(r)?;
            let key = u64::decode(r)?;
            let space = Option::<u32>::decode(r)?.map(ObjectId);
            if id > MAX_OBJECT_ID as usize {
                return Err(WireError::Oversize);
            }
            if book.objects.len() <= id {
                book.objects.try_reserve(id + 1 - book.objects.len()).map_err(|_| WireError::Oversize)?;
                book.objects.resize(id + 1, None);
            }
            if book.objects[id].is_some() {
                return Err(WireError::BadTag);
            }
            book.objects[id] = Some(Object { class, type_name: String::from(name.as_str()), key, space });
        }
        book.heads.resize(book.objects.len(), Heads::default());
        for id in 0..book.objects.len() as u32 {
            let space = book.objects[id as usize].as_ref().and_then(|o| o.space);
            book.join_space(ObjectId(id), space);
        }
        let n = count(r, 13, total)?;
        for _ in 0..n {
            let (badge, holder, object, rights) = <(u32, u32, u32, u8)>::decode(r)?;
            let index = book.index_of(badge).ok_or(WireError::BadTag)?;
            if index > MAX_HANDLE_SLOT {
                return Err(WireError::Oversize);
            }
            if book.handles.len() <= index {
                book.handles.resize(index + 1, None);
            }
            if book.handles[index].is_some() {
                return Err(WireError::BadTag);
            }
            book.handles[index] = Some((HandleEntry { holder, resource: object, rights }, ObjectId(object)));
            if book.live(ObjectId(object)) {
                links::push(&mut book.heads[object as usize].handles, &mut book.handle_links, index as u32);
            }
        }
        let n = count(r, 9, total)?;
        for _ in 0..n {
            let from = ObjectId(u32::decode(r)?);
            let to = match u8::decode(r)? {
                0 => MapTarget::Local(ObjectId(u32::decode(r)?)),
                1 => {
                    let (endpoint, badge) = <(u32, u32)>::decode(r)?;
                    MapTarget::Foreign(Cap::Endpoint { endpoint, badge })
                }
                2 => MapTarget::Foreign(Cap::Unwrapped(u32::decode(r)?)),
                _ => return Err(WireError::BadTag),
            };
            book.map(from, to);
        }
        Ok(book)
    }
}
