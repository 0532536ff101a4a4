//! CLEANUP0005's file system: a server of the `recipient` interface and a client of the
//! root's resource-space server. Given a block device's BLOCK space and a block, it
//! registers its FILE space, maps it onto the BLOCK space, and records a file on the block.
#![no_std]
#![no_main]

use cellulos::interfaces::resource_space::resources::RESOURCE;
use cellulos::interfaces::resource_space::spaces::RESSPC;
use cellulos::interfaces::resource_space::ResourceSpaceClient;
use cellulos::runtime::heapless::String;
use cellulos::runtime::Badge;
use cellulos_component::sel4_rt::println;
use cellulos_component::{given, Component, Connection, Error};

mod recipient {
    cellulos::idl!("../../../../../idl/recipient.idl");
}

use recipient::{RecipientError, RecipientServer, RecipientService};

struct FileSystem {
    spaces: ResourceSpaceClient<Connection>,
}

impl FileSystem {
    fn mount_on(&mut self, space: u64, block: u64) -> Result<(), Error> {
        let (blocks, block) = (given::<RESSPC>(space)?, given::<RESOURCE>(block)?);
        let files = self
            .spaces
            .register(String::try_from("FILE").unwrap_or_default(), String::try_from("FILE").unwrap_or_default())?;
        self.spaces.map_space(&files, &blocks)?;
        let file = self.spaces.create_resource(&files, 1)?;
        self.spaces.map_resource(&file, &block)?;
        Ok(())
    }
}

impl RecipientServer for FileSystem {
    fn bump_given(&mut self, _caller: Badge, _slot: u64) -> Result<u64, RecipientError> {
        Err(RecipientError::NotUsable)
    }

    fn mount(&mut self, _caller: Badge, space: u64, block: u64) -> Result<(), RecipientError> {
        self.mount_on(space, block).map_err(|e| {
            println!("file-double: mounting failed: {e}");
            RecipientError::NotUsable
        })
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let spaces = ResourceSpaceClient::new(c.connect("spaces")?);
    let mut service = RecipientService::new(FileSystem { spaces }, c.root_badge());
    service.book.add_space::<recipient::spaces::GIFTS>(0, 0).map_err(|_| Error::NotAServer)?;
    c.serve(service)
}
