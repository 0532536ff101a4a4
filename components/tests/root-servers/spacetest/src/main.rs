//! A client of the root task's resource-space server (RESSPACE0001): it registers a BLOCK
//! space, a FILE space and a space of a type new to the model (SECTOR resources in a DISK
//! space), records resources, maps the FILE space onto the BLOCK space and a file onto a
//! block, asks for a snapshot of the model, and tries what it may not (a root type, a bad
//! name, a resource map before its spaces map, a cycle, deleting a space something maps
//! onto). Exit code: how many checks failed.
#![no_std]
#![no_main]

use cellulos::interfaces::resource_space::{ResourceSpaceClient, ResourceSpaceError as E};
use cellulos::runtime::heapless::String;
use cellulos::runtime::CallError;
use cellulos_component::sel4_rt::println;
use cellulos_component::{Checks, Component, Error};

fn name(s: &str) -> String<32> {
    String::try_from(s).unwrap_or_default()
}

fn app<T>(r: Result<T, CallError<E>>) -> Option<E> {
    match r {
        Err(CallError::App(e)) => Some(e),
        _ => None,
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut rs = ResourceSpaceClient::new(c.connect("spaces")?);
    let blocks = rs.register(name("BLOCK"), name("BLOCK"))?;
    let files = rs.register(name("FILE"), name("FILE"))?;
    let disks = rs.register(name("SECTOR"), name("DISK"))?;
    t.check(app(rs.register(name("VMR"), name("ADS"))) == Some(E::TypeMismatch), "the root's own types: TypeMismatch");
    t.check(app(rs.register(name("a block"), name("X"))) == Some(E::UnknownType), "a name the model cannot carry");
    let b0 = rs.create_resource(&blocks, 0)?;
    let b1 = rs.create_resource(&blocks, 1)?;
    let f = rs.create_resource(&files, 10)?;
    rs.create_resource(&disks, 0)?;
    t.check(app(rs.map_resource(&f, &b0)) == Some(E::TypeMismatch), "a file onto a block before FILE onto BLOCK");
    rs.map_space(&files, &blocks)?;
    t.check(app(rs.map_space(&blocks, &files)) == Some(E::Cycle), "BLOCK onto FILE would close a cycle");
    rs.map_resource(&f, &b0)?;
    let info = rs.info(&files)?;
    t.check(
        info.resource_type.as_str() == "FILE" && info.resources == 1 && info.maps_onto == 1,
        "the FILE space: one file, mapped onto one space",
    );
    t.check(app(rs.delete(blocks)) == Some(E::SpaceInUse), "a space another maps onto cannot be deleted");
    rs.delete_resource(b1)?;
    t.check(c.extract_model().is_ok(), "a snapshot with the registered spaces");
    println!("spacetest: {} check(s) failed", t.failed);
    Ok(t.failed)
}
