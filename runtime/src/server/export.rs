//! A book as an OSmosis model fragment, and the merge of every server's fragment.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Book, Class, MapTarget, Object, ObjectId};
use crate::handle::Badge;
use crate::message::Cap;

impl Book {
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
                Class::Resource => Node::resource(name.clone(), o.type_name.clone()),
                Class::Space => Node::space(name.clone(), o.type_name.clone()),
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
        for (from, to) in self.maps() {
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
        let id = self.object_of(badge)?;
        Some(exported_name(self.object(id)?, server, id))
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
///
/// The first fragment's model becomes the merged one, the others are copied into it: put
/// the largest first (the root's part: copying it again cost a third of an extraction).
pub fn merge(
    fragments: Vec<Fragment>,
    name: impl Fn(Cap) -> Option<String>,
) -> Result<osmosis::Model, osmosis::ModelError> {
    let mut fragments = fragments.into_iter();
    let Some(first) = fragments.next() else { return Ok(osmosis::Model::new()) };
    let (mut model, mut maps) = (first.model, first.foreign_maps);
    for f in fragments {
        model.merge(&f.model)?;
        maps.extend(f.foreign_maps);
    }
    for (from, cap) in maps {
        let to = name(cap).ok_or_else(|| osmosis::ModelError::UnknownNode(alloc::format!("{cap:?}")))?;
        model.link(osmosis::EdgeKind::Map, &from, &to, osmosis::Perms::NONE, "")?;
    }
    Ok(model)
}
