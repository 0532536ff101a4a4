//! CellulOS in Rust: an OS personality on seL4 that implements the OSmosis model.
//!
//! This facade re-exports the pieces users build on: the model library ([`osmosis`]), the
//! runtime generated stubs run on ([`runtime`]), the [`idl!`] macro that generates them,
//! and the CellulOS [`interfaces`] generated from `idl/*.idl`. The seL4 crates join it as
//! they land.
//!
//! ```
//! // The OSmosis model of the original CellulOS's KV-store test: 5 PDs, 2814 edges.
//! let model = cellulos::osmosis::format::read_path("osmosis/tests/data/GPIKV001.output".as_ref()).unwrap();
//! assert_eq!((model.node_count(), model.edge_count()), (1108, 2814));
//! ```
#![no_std]

// Generated code names the runtime `::cellulos::runtime`, also inside this crate.
extern crate self as cellulos;

pub use cellulos_macros::idl;
pub use cellulos_runtime as runtime;
pub use osmosis;

/// The CellulOS interfaces, generated from `idl/*.idl` (each module is one file; imports
/// resolve to the sibling modules).
pub mod interfaces {
    /// `idl/memory.idl`: address spaces, regions, memory objects.
    pub mod memory {
        crate::idl!("../idl/memory.idl");
    }
    /// `idl/cpu.idl`: virtual CPUs and physical cores.
    pub mod cpu {
        crate::idl!("../idl/cpu.idl");
    }
    /// `idl/pd.idl`: protection domains.
    pub mod pd {
        crate::idl!("../idl/pd.idl");
    }
    /// `idl/resource_space.idl`: spaces of resource types named at run time.
    pub mod resource_space {
        crate::idl!("../idl/resource_space.idl");
    }
    /// `idl/block.idl`: block devices.
    pub mod block {
        crate::idl!("../idl/block.idl");
    }
    /// `idl/file.idl`: files in namespaces.
    pub mod file {
        crate::idl!("../idl/file.idl");
    }
    /// `idl/kvstore.idl`: key-value stores.
    pub mod kvstore {
        crate::idl!("../idl/kvstore.idl");
    }
    /// `idl/vm.idl`: virtual machines.
    pub mod vm {
        crate::idl!("../idl/vm.idl");
    }
    /// `idl/test.idl`: in-system test reports.
    pub mod test {
        crate::idl!("../idl/test.idl");
    }
}
