//! CLEANUP0006's client: it makes a volume, mounts a directory tree on it, asks for a
//! snapshot, then crashes the volume server (its call ends `ServerGone`). What the tree
//! server still has mounted afterwards is the cleanup policy's: its exit code is that count
//! (0 once recursive-space deleted the tree, 1 under direct-space), plus 10 for each check
//! that failed.
#![no_std]
#![no_main]

use cellulos::runtime::{CallError, Status};
use cellulos_component::{Checks, Component, Error};

mod volume {
    cellulos::idl!("../../../../../idl/volume.idl");
}
mod dir {
    cellulos::idl!("../../../../../idl/dir.idl");
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut volumes = volume::VolumeClient::new(c.connect("volumes")?);
    let mut dirs = dir::DirClient::new(c.connect("dirs")?);
    let on = volumes.create_volume()?;
    let _tree = dirs.mount(&on)?;
    t.check(dirs.mounts()? == 1, "one tree mounted");
    t.check(c.extract_model().is_ok(), "a snapshot with the tree mounted on the volume");
    t.check(volumes.crash() == Err(CallError::Status(Status::ServerGone)), "the volume server's end releases the call");
    // The root takes the volume server's end before this request (in the order they came),
    // so the cleanup is done once it is answered: asking the tree server before would race it.
    t.check(c.extract_model().is_ok(), "a snapshot after the cleanup");
    let mounted = u64::from(dirs.mounts()?);
    Ok(mounted + 10 * t.failed)
}
