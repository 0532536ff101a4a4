//! `seL4_BootInfo`, packed as the kernel writes it (a `u8` is followed directly by a word).

use crate::{config, IpcBuffer, Word};

/// A range of CNode slots `[start, end)`.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
pub struct SlotRegion {
    /// First slot.
    pub start: Word,
    /// First slot after.
    pub end: Word,
}

/// One untyped cap the kernel hands over.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
pub struct UntypedDesc {
    /// Physical address.
    pub paddr: Word,
    padding1: u8,
    padding2: u8,
    /// Size as a power of two.
    pub size_bits: u8,
    /// Device memory (not for kernel objects).
    pub is_device: u8,
}

const MAX_UNTYPED: usize = config::MAX_NUM_BOOTINFO_UNTYPED_CAPS as usize;

/// What the kernel tells the root task.
#[repr(C, packed)]
pub struct BootInfo {
    extra_len: Word,
    node_id: Word,
    num_nodes: Word,
    num_io_pt_levels: Word,
    ipc_buffer: *mut IpcBuffer,
    empty: SlotRegion,
    shared_frames: SlotRegion,
    user_image_frames: SlotRegion,
    user_image_paging: SlotRegion,
    io_space_caps: SlotRegion,
    extra_bi_pages: SlotRegion,
    init_thread_cnode_size_bits: u8,
    init_thread_domain: Word,
    arch_info: Word,
    untyped: SlotRegion,
    untyped_list: [UntypedDesc; MAX_UNTYPED],
}

impl BootInfo {
    /// The root task's IPC buffer.
    pub fn ipc_buffer(&self) -> *mut IpcBuffer {
        self.ipc_buffer
    }
    /// Empty slots of the root CNode.
    pub fn empty(&self) -> SlotRegion {
        self.empty
    }
    /// Frame caps of the root task's own image.
    pub fn user_image_frames(&self) -> SlotRegion {
        self.user_image_frames
    }
    /// Untyped caps.
    pub fn untyped(&self) -> SlotRegion {
        self.untyped
    }
    /// The root CNode's size in bits.
    pub fn cnode_size_bits(&self) -> u8 {
        self.init_thread_cnode_size_bits
    }
    /// The TSC frequency in MHz (x86: `archInfo`).
    pub fn tsc_mhz(&self) -> Word {
        self.arch_info
    }
    /// Each untyped cap with its description.
    pub fn untypeds(&self) -> impl Iterator<Item = (Word, UntypedDesc)> + '_ {
        let region = self.untyped;
        let n = (region.end.saturating_sub(region.start) as usize).min(MAX_UNTYPED);
        let list = self.untyped_list;
        (0..n).map(move |i| (region.start + i as Word, list[i]))
    }
}
