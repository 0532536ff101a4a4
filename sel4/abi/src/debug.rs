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
