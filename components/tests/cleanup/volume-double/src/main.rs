//! CLEANUP0006's volume server: it makes VOLUME spaces, and faults when asked to crash
//! (with the caller waiting), so that a directory tree mounted on one of its volumes by
//! another server outlives its volume.
#![no_std]
#![no_main]

use cellulos::runtime::server::New;
use cellulos::runtime::Badge;
use cellulos_component::{Component, Error};

mod volume {
    cellulos::idl!("../../../../../idl/volume.idl");
}

use volume::{VolumeError, VolumeServer, VolumeService};

/// Where the fault happens: nothing is mapped there in a component.
const NOWHERE: usize = 0x10;

struct Volumes {
    made: u64,
}

impl VolumeServer for Volumes {
    fn create_volume(&mut self, _caller: Badge) -> Result<New<volume::spaces::VOLUME>, VolumeError> {
        self.made += 1;
        Ok(New::object(self.made))
    }

    fn crash(&mut self, _caller: Badge) -> Result<(), VolumeError> {
        // SAFETY: none; this is the point: the store faults with the caller waiting.
        unsafe { (NOWHERE as *mut u64).write_volatile(1) };
        Err(VolumeError::Full)
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    c.serve(VolumeService::new(Volumes { made: 0 }, c.root_badge()))
}
