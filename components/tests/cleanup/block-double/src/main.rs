//! CLEANUP0005's block device: it registers a BLOCK space with the root's resource-space
//! server, records a block in it, gives both to the file system and has it mount them (a
//! FILE space mapped onto this BLOCK space, a file onto the block), asks for a snapshot of
//! the model and exits. What its end does to the file system is the cleanup policy's:
//! under recursive-space the FILE space goes, under the PD policies the file system.
#![no_std]
#![no_main]

use cellulos::interfaces::resource_space::ResourceSpaceClient;
use cellulos::runtime::heapless::String;
use cellulos_component::{Checks, Component, Error};

mod recipient {
    cellulos::idl!("../../../../../idl/recipient.idl");
}

/// Read and write.
const RW: u8 = 3;

fn name(s: &str) -> String<32> {
    String::try_from(s).unwrap_or_default()
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut spaces = ResourceSpaceClient::new(c.connect("spaces")?);
    let mut fs = recipient::RecipientClient::new(c.connect("fs")?);
    let blocks = spaces.register(name("BLOCK"), name("BLOCK"))?;
    let block = spaces.create_resource(&blocks, 0)?;
    let (space_slot, block_slot) = (c.give(&blocks, "file-double", RW)?, c.give(&block, "file-double", RW)?);
    fs.mount(space_slot, block_slot)?;
    t.check(c.extract_model().is_ok(), "a snapshot with the file system mounted on its blocks");
    Ok(t.failed)
}
