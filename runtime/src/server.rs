//! The server side of generated code: the server's part of the OSmosis model (its
//! objects, who holds them, what maps onto what), kept by the generated dispatch so that
//! no server author writes bookkeeping, and exported as a model fragment.

pub use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

use crate::handle::{Badge, HandleEntry};
use crate::message::Cap;
use crate::status::Status;

/// What a server may do while serving a message, besides replying. The transport (the
/// loopback, or seL4 IPC) builds it and carries out the revocations afterwards.
pub struct ServeCtx<'a> {
    /// The calling connection's shared buffer.
    pub shared: &'a mut [u8],
    endpoint: u32,
    revoked: Vec<Badge>,
}

impl<'a> ServeCtx<'a> {
    /// A context for a server at `endpoint` answering through `shared`.
    pub fn new(shared: &'a mut [u8], endpoint: u32) -> ServeCtx<'a> {
        ServeCtx { shared, endpoint, revoked: Vec::new() }
    }

    /// A capability to one of this server's objects, to return to the caller.
    pub fn mint(&self, badge: Badge) -> Cap {
        Cap::Endpoint { endpoint: self.endpoint, badge }
    }

    /// Revokes every capability with this badge (before its handle index is reused).
    /// Allocates only when something is revoked.
    pub fn revoke(&mut self, badge: Badge) {
        self.revoked.push(badge);
    }

    /// The revocations to carry out (for transports).
    pub fn take_revoked(&mut self) -> Vec<Badge> {
        core::mem::take(&mut self.revoked)
    }
}

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
    handles: Vec<Option<(HandleEntry, ObjectId)>>,
    /// Where the search for a free handle slot starts: slots are reused round-robin, as late
    /// as possible, so a stale copy of a revoked capability does not soon name a new object.
    next_handle: usize,
    maps: Vec<(ObjectId, MapTarget)>,
    /// The badge of its first handle (0: [`FIRST_HANDLE_BADGE`]).
    ///
    /// [`FIRST_HANDLE_BADGE`]: crate::limits::FIRST_HANDLE_BADGE
    first_badge: Badge,
    /// Ids of objects gone, used again by the next objects added: a server that makes and
    /// ends objects for ever keeps ids (and the book the root decodes) as small as the most
    /// objects it had at once. (A space a cleanup deleted keeps its id: the server's logic
    /// may have kept it.)
    free_ids: Vec<ObjectId>,
}

/// The largest object id a decoded book may name: ids are used again, so a server's ids
/// stay below the most objects it had at once; a book naming more is refused rather than
/// costing the root the memory of that many.
pub const MAX_OBJECT_ID: u32 = (1 << 16) - 1;

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

    /// Records a new object.
    pub fn add(&mut self, object: Object) -> ObjectId {
        if let Some(id) = self.free_ids.pop() {
            self.objects[id.0 as usize] = Some(object);
            return id;
        }
        let id = ObjectId(u32::try_from(self.objects.len()).unwrap_or(u32::MAX));
        self.objects.push(Some(object));
        id
    }

    /// Declares a space this server serves from the start (the ramdisk's BLOCK space),
    /// held by `owner` (the server's own PD, by its badge); later `new` resources name it.
    /// Returns the space and the owner's badge for it.
    pub fn add_space<S: Named>(&mut self, key: u64, owner: Badge) -> Result<(ObjectId, Badge), Status> {
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
        // New slots first while the table is small; then the oldest free slot after the last used.
        let n = self.handles.len();
        let free =
            if n < 64 { None } else { (0..n).map(|k| (self.next_handle + k) % n).find(|i| self.handles[*i].is_none()) };
        let index = match free {
            Some(i) => {
                self.handles[i] = Some(entry);
                i
            }
            None => {
                self.handles.push(Some(entry));
                n
            }
        };
        self.next_handle = index + 1;
        match self.badge_of(index) {
            Some(badge) => Ok(badge),
            None => {
                self.handles[index] = None;
                Err(Status::NoHandles)
            }
        }
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
        let Some((_, id)) = self.handles.get_mut(index).and_then(Option::take) else { return Vec::new() };
        if self.handles.iter().flatten().any(|(_, o)| *o == id) {
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
            let was = self.objects[object.0 as usize].take();
            if was.is_some() && (reuse || object != id) {
                self.free_ids.push(object);
            }
            self.maps.retain(|(from, to)| *from != object && *to != MapTarget::Local(object));
            let held: Vec<usize> = (0..self.handles.len())
                .filter(|i| self.handles[*i].as_ref().is_some_and(|(_, o)| *o == object))
                .collect();
            for i in held {
                self.handles[i] = None;
                ended.extend(self.badge_of(i));
            }
            let contained = self.objects().filter(|(_, o)| o.space == Some(object)).map(|(i, _)| i);
            gone.extend(contained.collect::<Vec<_>>());
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
            if self.handles().any(|(b, ..)| b == badge) {
                ended.push(badge);
                ended.extend(self.release(badge));
            }
        }
        ended
    }

    /// Records `from -MAP-> to`.
    pub fn map(&mut self, from: ObjectId, to: MapTarget) {
        if !self.maps.contains(&(from, to)) {
            self.maps.push((from, to));
        }
    }

    /// Ends every MAP edge leaving `from`.
    pub fn unmap(&mut self, from: ObjectId) {
        self.maps.retain(|(f, _)| *f != from);
    }

    /// Every live handle: badge, holder, object, rights.
    pub fn handles(&self) -> impl Iterator<Item = (Badge, Badge, ObjectId, u8)> + '_ {
        self.handles
            .iter()
            .enumerate()
            .filter_map(|(i, h)| Some((self.badge_of(i)?, h.as_ref()?)))
            .map(|(badge, (e, o))| (badge, e.holder, *o, e.rights))
    }

    /// Every MAP edge.
    pub fn maps(&self) -> &[(ObjectId, MapTarget)] {
        &self.maps
    }

    /// The server's part as an OSmosis model fragment: its objects (named
    /// `<TYPE>_<server>_<id>`, spaces `<TYPE>_SPACE_<server>_<id>`) with SUBSET, HOLD and
    /// MAP edges. `holder` names the PD behind a connection badge (PDs are added as
    /// needed). A MAP onto another server's object cannot be named here: it is returned
    /// apart, with the capability, for [`merge`] to resolve.
    ///
    /// `types` is the IDL's resource-type -> space-type table (the generated `TYPES`), so
    /// the fragment is checked against the types its interface declares.
    pub fn export(
        &self,
        server: &str,
        types: &[(&str, &str)],
        holder: impl Fn(Badge) -> String,
    ) -> Result<Fragment, osmosis::ModelError> {
        self.export_with(server, types, |badge| {
            let id = holder(badge);
            Ok(osmosis::Node::pd(id.clone(), id))
        })
    }

    /// [`Book::export`] with the holders' whole PD nodes (as the root task keeps them, so
    /// that merging finds the very same node), or an error for a badge that names no PD:
    /// a hold that cannot be named would silently vanish from the model.
    pub fn export_with(
        &self,
        server: &str,
        types: &[(&str, &str)],
        holder: impl Fn(Badge) -> Result<osmosis::Node, osmosis::ModelError>,
    ) -> Result<Fragment, osmosis::ModelError> {
        use osmosis::{Edge, EdgeKind, Node, Perms};
        let mut m = osmosis::Model::new();
        for (resource, space) in types {
            m.types.insert(resource, space);
        }
        let mut index = alloc::collections::BTreeMap::new();
        let mut names = alloc::collections::BTreeMap::new();
        for (id, o) in self.objects() {
            let name = exported_name(o, server, id);
            let node = match o.class {
                Class::Resource => Node::resource(name.clone(), o.type_name.as_str()),
                Class::Space => Node::space(name.clone(), o.type_name.as_str()),
                Class::Pd => Node::pd(name.clone(), ""),
            };
            index.insert(id, m.add_node(node.with("key", o.key))?);
            names.insert(id, name);
        }
        for (id, o) in self.objects() {
            if let Some(space) = o.space.and_then(|s| index.get(&s)) {
                m.add_edge(Edge::new(EdgeKind::Subset, index[&id], *space))?;
            }
        }
        for (_, holder_badge, object, rights) in self.handles() {
            let pd = holder(holder_badge)?;
            let pd = match m.find(&pd.id) {
                Some(i) => i,
                None => m.add_node(pd)?,
            };
            if let Some(to) = index.get(&object) {
                let perms = Perms::from_bits(rights & 0xf).unwrap_or_default();
                m.add_edge(Edge::new(EdgeKind::Hold, pd, *to).with_perms(perms))?;
            }
        }
        let mut foreign = Vec::new();
        for (from, to) in &self.maps {
            match (index.get(from), to) {
                (Some(f), MapTarget::Local(o)) => {
                    if let Some(t) = index.get(o) {
                        m.add_edge(Edge::new(EdgeKind::Map, *f, *t))?;
                    }
                }
                (Some(_), MapTarget::Foreign(cap)) => foreign.push((names[from].clone(), *cap)),
                (None, _) => {}
            }
        }
        Ok(Fragment { model: m, foreign_maps: foreign })
    }

    /// The object a space's exported node id names (`<TYPE>_SPACE_<server>_<id>`): the
    /// server's name and the object, for the root to ask that server to delete it.
    pub fn exported_space(name: &str) -> Option<(&str, ObjectId)> {
        let (rest, id) = name.rsplit_once('_')?;
        let (rest, server) = rest.rsplit_once('_')?;
        rest.strip_suffix("_SPACE").filter(|ty| !ty.is_empty())?;
        Some((server, ObjectId(id.parse().ok()?)))
    }

    /// The name the export gives the object behind `badge` (to resolve other servers'
    /// MAP edges onto this one).
    pub fn exported_name(&self, server: &str, badge: Badge) -> Option<String> {
        let index = self.index_of(badge)?;
        let (_, id) = self.handles.get(index)?.as_ref()?;
        Some(exported_name(self.object(*id)?, server, *id))
    }
}

/// The node id an object of server `server` is exported under: `<TYPE>_<server>_<id>`,
/// `<TYPE>_SPACE_<server>_<id>` for a space (read back by [`Book::exported_space`]),
/// `PD_<server>_<id>` for a PD.
fn exported_name(o: &Object, server: &str, id: ObjectId) -> String {
    match o.class {
        Class::Resource => alloc::format!("{}_{server}_{}", o.type_name, id.0),
        Class::Space => alloc::format!("{}_SPACE_{server}_{}", o.type_name, id.0),
        Class::Pd => alloc::format!("PD_{server}_{}", id.0),
    }
}

/// One server's part of the model, as exported.
#[derive(Clone, Debug)]
pub struct Fragment {
    /// Its nodes and edges.
    pub model: osmosis::Model,
    /// MAP edges onto other servers' objects: the source's node id and the capability.
    pub foreign_maps: Vec<(String, Cap)>,
}

/// Merges fragments into one model, resolving MAP edges onto other servers' objects with
/// `name` (capability -> node id, from the owner's [`Book::exported_name`]). A MAP whose
/// target cannot be named is an error: the model would silently lose a dependency.
pub fn merge(
    fragments: &[Fragment],
    name: impl Fn(Cap) -> Option<String>,
) -> Result<osmosis::Model, osmosis::ModelError> {
    let mut model = osmosis::Model::new();
    for f in fragments {
        model.merge(&f.model)?;
    }
    for f in fragments {
        for (from, cap) in &f.foreign_maps {
            let to = name(*cap).ok_or_else(|| osmosis::ModelError::UnknownNode(alloc::format!("{cap:?}")))?;
            model.link(osmosis::EdgeKind::Map, from, &to, osmosis::Perms::NONE, "")?;
        }
    }
    Ok(model)
}

/// A borrowed (or consumed) object of this server, as a server method receives it.
#[derive(Debug, PartialEq, Eq)]
pub struct Held<T> {
    /// The object in the server's book.
    pub id: ObjectId,
    /// The server's own key for it.
    pub key: u64,
    marker: PhantomData<fn() -> T>,
}

impl<T> Held<T> {
    /// Wraps a resolved object (generated code only).
    pub fn new(id: ObjectId, key: u64) -> Held<T> {
        Held { id, key, marker: PhantomData }
    }
}

/// A capability to another server's object, as a server method receives it.
#[derive(Debug, PartialEq, Eq)]
pub struct Foreign<T> {
    /// The capability (in the receive slot on seL4).
    pub cap: Cap,
    marker: PhantomData<fn() -> T>,
}

impl<T> Foreign<T> {
    /// Wraps a received capability (generated code only).
    pub fn new(cap: Cap) -> Foreign<T> {
        Foreign { cap, marker: PhantomData }
    }
}

/// What a server method returns for a `new` object: its own key, and for a resource the
/// space it lives in.
#[derive(Debug, PartialEq, Eq)]
pub struct New<T> {
    /// The server's own key for the object.
    pub key: u64,
    /// The space a new resource lives in.
    pub space: Option<ObjectId>,
    marker: PhantomData<fn() -> T>,
}

impl<T> New<T> {
    /// A new resource `key` in `space`.
    pub fn resource(key: u64, space: ObjectId) -> New<T> {
        New { key, space: Some(space), marker: PhantomData }
    }

    /// A new space or PD `key`.
    pub fn object(key: u64) -> New<T> {
        New { key, space: None, marker: PhantomData }
    }
}

/// What a transport hands a server: generated services implement it over their dispatch.
pub trait Serve {
    /// Serves a request of at most 4 words without capabilities in place, when the method
    /// is one whose request and reply are plain 64-bit words (the fast path): returns the
    /// reply label, with the reply in `words[..*len]`. `None`: not such a method, serve the
    /// message through [`Serve::serve`]. Same answers either way.
    fn serve_registers(
        &mut self,
        label: u32,
        caller: crate::handle::Badge,
        words: &mut [u64; 4],
        len: &mut usize,
    ) -> Option<u32> {
        let _ = (label, caller, words, len);
        None
    }
    /// Handles `msg` (a request) and leaves the reply in it.
    fn serve(&mut self, ctx: &mut ServeCtx<'_>, msg: &mut crate::message::Message);
}

/// Generated marker types say what a handle names.
pub trait Named {
    /// The resource or space type (`VMR`, `ADS`), or `PD`.
    const TYPE_NAME: &'static str;
    /// Resource, space or PD.
    const CLASS: Class;
}

/// The PD marker: `&pd`, `new pd` in the IDL.
#[derive(Debug)]
pub enum Pd {}

impl Named for Pd {
    const TYPE_NAME: &'static str = "PD";
    const CLASS: Class = Class::Pd;
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
        count(self.maps.len())?.encode(w)?;
        for (from, to) in &self.maps {
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
            book.objects[id] = Some(Object { class, type_name: String::from(name.as_str()), key, space });
        }
        let n = count(r, 13, total)?;
        for _ in 0..n {
            let (badge, holder, object, rights) = <(u32, u32, u32, u8)>::decode(r)?;
            let index = book.index_of(badge).ok_or(WireError::BadTag)?;
            if index >= 1 << 24 {
                return Err(WireError::Oversize);
            }
            if book.handles.len() <= index {
                book.handles.resize(index + 1, None);
            }
            book.handles[index] = Some((HandleEntry { holder, resource: object, rights }, ObjectId(object)));
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
            book.maps.push((from, to));
        }
        Ok(book)
    }
}
