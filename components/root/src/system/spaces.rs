//! The root's `resource_space` server (idl/resource_space.idl): a component registers
//! spaces of resource types named at run time (its BLOCK space, its FILE space), records
//! the resources it creates in them, and maps spaces onto spaces and resources onto
//! resources, so that the model (and the cleanup plans made on it) know what depends on
//! what. Every space and resource is a node of the root's part of the model; the type table
//! learns each registered type.
//!
//! Spaces are mapped within what one caller holds; another component's space is named once
//! that component gives it (`Component::give`: the root's part of a give is here).

use alloc::string::String;

use cellulos::interfaces::resource_space::{
    resources::RESOURCE, spaces::RESSPC, ResourceSpaceError as Error, ResourceSpaceServer, SpaceInfo,
};
use cellulos::runtime::heapless::String as HString;
use cellulos::runtime::server::{Held, New};
use cellulos::runtime::Badge;
use cellulos_keeper::{Keeper, PdId};
use osmosis::NodeIdx;

use super::serve::RootClient;
use super::table::Table;

/// A registered space.
struct Registered {
    node: NodeIdx,
    holder: usize,
    resource_type: String,
    space_type: String,
}

/// A resource recorded in one.
struct Recorded {
    node: NodeIdx,
    space: usize,
}

/// The server's state (the root keeps it between calls).
#[derive(Default)]
pub struct SpaceState {
    spaces: Table<Registered>,
    resources: Table<Recorded>,
}

/// What a call may touch, borrowed from the running system for one call.
pub struct SpaceCtx<'a> {
    pub keeper: &'a mut Keeper,
    pub pds: &'a [PdId],
    pub clients: &'a [RootClient],
    pub st: &'a mut SpaceState,
}

/// A type name the model can carry: `[A-Z][A-Z0-9_]*`, at most 32 bytes.
fn type_name(s: &str) -> Result<&str, Error> {
    let mut chars = s.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s)
    } else {
        Err(Error::UnknownType)
    }
}

impl SpaceCtx<'_> {
    fn caller(&self, badge: Badge) -> Result<usize, Error> {
        super::serve::instance_of(self.clients, badge).ok_or(Error::NotOwner)
    }

    fn space(&self, key: u64) -> Result<&Registered, Error> {
        self.st.spaces.get(key as usize).ok_or(Error::UnknownType)
    }

    fn resource(&self, key: u64) -> Result<&Recorded, Error> {
        self.st.resources.get(key as usize).ok_or(Error::UnknownType)
    }
}

impl ResourceSpaceServer for SpaceCtx<'_> {
    fn register(
        &mut self,
        caller: Badge,
        resource_type: HString<32>,
        space_type: HString<32>,
    ) -> Result<New<RESSPC>, Error> {
        let i = self.caller(caller)?;
        let (r, s) = (type_name(resource_type.as_str())?, type_name(space_type.as_str())?);
        let node = self.keeper.register_space(self.pds[i], r, s).map_err(|_| Error::TypeMismatch)?;
        let entry = Registered { node, holder: i, resource_type: String::from(r), space_type: String::from(s) };
        Ok(New::object(self.st.spaces.add(entry)))
    }

    fn delete(&mut self, _caller: Badge, space: Held<RESSPC>) -> Result<(), Error> {
        let node = self.space(space.key)?.node;
        if self.keeper.map_degree(node).0 > 0 {
            return Err(Error::SpaceInUse);
        }
        remove_space(self.keeper, self.st, space.key as usize);
        Ok(())
    }

    fn map_space(&mut self, _caller: Badge, space: Held<RESSPC>, onto: Held<RESSPC>) -> Result<(), Error> {
        let (from, to) = (self.space(space.key)?.node, self.space(onto.key)?.node);
        if from == to || self.keeper.reaches(to, from) {
            return Err(Error::Cycle);
        }
        self.keeper.map(from, to).map_err(|_| Error::TypeMismatch)
    }

    fn create_resource(&mut self, caller: Badge, space: Held<RESSPC>, local_id: u64) -> Result<New<RESOURCE>, Error> {
        let i = self.caller(caller)?;
        let (node, ty) = {
            let s = self.space(space.key)?;
            (s.node, s.resource_type.clone())
        };
        let r = self.keeper.add_resource(self.pds[i], node, &ty, local_id).map_err(|_| Error::TypeMismatch)?;
        Ok(New::resource(self.st.resources.add(Recorded { node: r, space: space.key as usize }), space.id))
    }

    fn delete_resource(&mut self, _caller: Badge, resource: Held<RESOURCE>) -> Result<(), Error> {
        let r = self.st.resources.take(resource.key as usize).ok_or(Error::UnknownType)?;
        self.keeper.remove_node(r.node);
        Ok(())
    }

    fn map_resource(&mut self, _caller: Badge, resource: Held<RESOURCE>, onto: Held<RESOURCE>) -> Result<(), Error> {
        let (from, to) = (self.resource(resource.key)?, self.resource(onto.key)?);
        let (from_space, to_space) = (self.space(from.space as u64)?.node, self.space(to.space as u64)?.node);
        let (from, to) = (from.node, to.node);
        if from == to || self.keeper.reaches(to, from) {
            return Err(Error::Cycle);
        }
        // A resource maps onto another only where its space maps onto the other's.
        if !self.keeper.has_map(from_space, to_space) {
            return Err(Error::TypeMismatch);
        }
        self.keeper.map(from, to).map_err(|_| Error::TypeMismatch)
    }

    fn info(&mut self, _caller: Badge, space: Held<RESSPC>) -> Result<SpaceInfo, Error> {
        let s = self.space(space.key)?;
        let key = space.key as usize;
        let resources = self.st.resources.values().filter(|r| r.space == key).count() as u32;
        Ok(SpaceInfo {
            resource_type: HString::try_from(s.resource_type.as_str()).unwrap_or_default(),
            space_type: HString::try_from(s.space_type.as_str()).unwrap_or_default(),
            resources,
            maps_onto: self.keeper.map_degree(s.node).1 as u32,
        })
    }
}

/// Removes registered space `key` with its resources.
fn remove_space(keeper: &mut Keeper, st: &mut SpaceState, key: usize) {
    for r in st.resources.keys_where(|r| r.space == key) {
        if let Some(r) = st.resources.take(r) {
            keeper.remove_node(r.node);
        }
    }
    if let Some(s) = st.spaces.take(key) {
        keeper.remove_node(s.node);
    }
}

impl SpaceState {
    /// Ends the handles to spaces and resources that ended and frees their keys
    /// ([`Table::settle`]).
    pub fn settle(
        &mut self,
        book: &mut cellulos::runtime::Book,
        revoked: &mut alloc::vec::Vec<cellulos::runtime::Badge>,
    ) {
        use cellulos::interfaces::resource_space::{resources, spaces};
        self.spaces.settle::<spaces::RESSPC>(book, revoked);
        self.resources.settle::<resources::RESOURCE>(book, revoked);
    }

    /// The model node of object `key` of the service's book: a space (`space`) or a resource.
    pub fn node_of(&self, space: bool, key: u64) -> Option<NodeIdx> {
        match space {
            true => self.spaces.get(key as usize).map(|s| s.node),
            false => self.resources.get(key as usize).map(|r| r.node),
        }
    }

    /// Deletes the registered space whose model node is `id` (a step of a cleanup plan,
    /// made on an extracted model), with its resources: whether there was one.
    pub fn delete_by_id(&mut self, keeper: &mut Keeper, id: &str) -> bool {
        let key =
            self.spaces.iter().find(|(_, s)| keeper.model().get(s.node).is_some_and(|n| n.id == id)).map(|(k, _)| k);
        if let Some(key) = key {
            remove_space(keeper, self, key);
        }
        key.is_some()
    }

    /// Instance `i` is gone: the spaces it registered go, with their resources.
    pub fn release_instance(&mut self, keeper: &mut Keeper, i: usize) {
        let mine = self.spaces.keys_where(|s| s.holder == i);
        for key in mine {
            remove_space(keeper, self, key);
        }
    }
}
