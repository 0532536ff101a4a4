//! The system description `cargo xtask compose` writes from `composition.toml` and the root
//! task embeds (encoded with postcard): every instance with its program, priority and memory
//! budget, what it provides and uses, and what compose allocated for it (badges, slots).
//! `no_std` + alloc: xtask and the root task share this one type, and the [`frame`]ing of
//! what the root streams out on the second serial port.
#![no_std]

extern crate alloc;

pub mod frame;
pub mod snapshot;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Connections one instance may use (the start page's room).
pub const MAX_USES: usize = 16;
/// Clients one server may have (the start page's room).
pub const MAX_CLIENTS: usize = 16;
/// The CSpace slot of an instance's first connection cap (the root task's process layout:
/// 1 supervisor, 2 own endpoint, 3 own CNode).
pub const FIRST_USE_SLOT: u32 = 4;

/// The `server` of a connection to the root task (`to = "root"`), which serves
/// [`ROOT_INTERFACES`] on its own endpoint.
pub const ROOT_SERVER: u32 = u32::MAX - 1;
/// The interfaces the root task serves.
pub const ROOT_INTERFACES: [&str; 4] = ["memory", "pd", "cpu", "resource_space"];

/// The longest instance name (the start page's `Name`, 32 bytes).
pub const MAX_NAME: usize = 32;

/// Whether `name` may name an instance: 1 to [`MAX_NAME`] ASCII letters, digits, `_` or
/// `-` (so it is also safe in a file name, where xtask writes what an instance asked for).
pub fn instance_name_ok(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Bumped whenever the layout changes: the root refuses a description of another version.
pub const VERSION: u32 = 4;

/// A composed system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// [`VERSION`].
    pub version: u32,
    /// Instances in start order (servers before their clients).
    pub instances: Vec<Instance>,
    /// The cleanup policy (`recursive-pd`, or `PD/SPACE` depths).
    pub cleanup: String,
}

/// One component instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// Its name.
    pub name: String,
    /// The program (an image the root task embeds under this name).
    pub program: String,
    /// Its priority (below the root's 255).
    pub priority: u8,
    /// Its memory budget in 4 KiB pages.
    pub memory_pages: u32,
    /// Stack pages.
    pub stack_pages: u32,
    /// The interface it serves, if any.
    pub provides: Option<Provided>,
    /// The connections it uses.
    pub uses: Vec<Used>,
}

/// An interface an instance serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provided {
    /// Interface name.
    pub interface: String,
    /// Its id (FNV-1a-64 of the canonical signature).
    pub interface_id: u64,
    /// The badge the root calls it with.
    pub root_badge: u32,
    /// The resource types it serves, each with its space type (a client's connection is a
    /// REQUEST edge for each; the model's type table learns the spaces).
    pub serves: Vec<(String, String)>,
}

/// A connection an instance uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    /// The name the component asks for (`Component::connect(name)`).
    pub name: String,
    /// Interface name.
    pub interface: String,
    /// Its id, checked equal at both ends.
    pub interface_id: u64,
    /// The serving instance (index into `instances`), or [`ROOT_SERVER`].
    pub server: u32,
    /// The badge this client's calls carry.
    pub badge: u32,
    /// The slot of the cap in the client's CSpace.
    pub slot: u32,
}
