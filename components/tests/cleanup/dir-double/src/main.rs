//! CLEANUP0006's directory server: trees mounted on another server's volumes. It keeps a
//! count of its trees that the root's deletion of one (a cleanup step, while this server
//! lives on) brings down through `space_deleted`.
#![no_std]
#![no_main]

use cellulos::runtime::server::{Foreign, New};
use cellulos::runtime::Badge;
use cellulos_component::{Component, Error};

mod volume {
    cellulos::idl!("../../../../../idl/volume.idl");
}
mod dir {
    cellulos::idl!("../../../../../idl/dir.idl");
}

use dir::{DirError, DirServer, DirService};

struct Dirs {
    /// Each tree's key, while it is mounted.
    trees: cellulos::runtime::heapless::Vec<u64, 16>,
    next: u64,
}

impl DirServer for Dirs {
    fn mount(
        &mut self,
        _caller: Badge,
        _on: Foreign<volume::spaces::VOLUME>,
    ) -> Result<New<dir::spaces::DIR>, DirError> {
        self.next += 1;
        self.trees.push(self.next).map_err(|_| DirError::Full)?;
        Ok(New::object(self.next))
    }

    fn mounts(&mut self, _caller: Badge) -> Result<u32, DirError> {
        Ok(self.trees.len() as u32)
    }

    fn space_deleted(&mut self, key: u64) {
        self.trees.retain(|t| *t != key);
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    c.serve(DirService::new(Dirs { trees: cellulos::runtime::heapless::Vec::new(), next: 0 }, c.root_badge()))
}
