//! The debug kernel's console (`seL4_DebugPutChar`), as a `core::fmt::Write`.

use core::fmt;

use crate::syscall;

/// Writes to the kernel's serial console, one syscall per byte.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            syscall::debug_put_char(b);
        }
        Ok(())
    }
}

/// The time-stamp counter (under QEMU's `-icount` it counts executed instructions, which is
/// what makes in-system benchmarks repeat).
#[inline(always)]
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc reads a counter; it touches no memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}
