//! Ending the system: QEMU's `isa-debug-exit` device at I/O port 0xf4 makes QEMU exit with
//! status `(value << 1) | 1`; the root task writes it through the global I/O port cap.
//! The invocation fits in registers, so it needs no IPC buffer and works from the panic
//! handler whatever the panicking code was holding.

use sel4::{init, label, syscall, MessageInfo, Word};

/// The value written for success: QEMU exits with 33.
pub const SUCCESS: Word = 0x10;
/// For a failed test run: QEMU exits with 35.
pub const FAILURE: Word = 0x11;
/// For a panic of the root task: QEMU exits with 37.
pub const PANIC: Word = 0x12;

/// Ends QEMU with `value`; halts the kernel if that did not work (no debug-exit device).
pub fn exit(value: Word) -> ! {
    // `seL4_X86_IOPort_Out8(port, data)`: two words, no caps.
    syscall::call(init::IO_PORT.bits(), MessageInfo::new(label::X86_IO_PORT_OUT8, 0, 0, 2), [0xf4, value, 0, 0]);
    sel4_rt::println!("cellulos: the isa-debug-exit device is missing; halting");
    syscall::debug_halt();
    loop {
        syscall::yield_now();
    }
}
