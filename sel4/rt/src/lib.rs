//! What a `no_std`, `-nostdlib` program on seL4 needs before `main`: the `_start` symbol
//! with a stack ([`entry!`]), the C memory functions the compiler calls ([`mem`]), the
//! `rust_eh_personality` symbol the prebuilt `core` of `x86_64-unknown-linux-gnu` refers to
//! even with `panic = "abort"` (and `_Unwind_Resume`, which its liballoc refers to), and [`println!`] on the kernel's debug console.
#![no_std]

pub mod mem;
pub mod start;

pub use sel4;

/// Never called (panics abort), but the prebuilt libcore references it.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

/// The prebuilt liballoc has unwinding landing pads that call this; with `panic = "abort"`
/// nothing unwinds, so reaching it is a bug: stop the system loudly.
#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    println!("sel4-rt: _Unwind_Resume called, but nothing unwinds here; halting");
    sel4::syscall::debug_halt();
    loop {
        sel4::syscall::yield_now();
    }
}

/// Defines `_start`: the kernel enters with no stack and one argument in rdi (the root task
/// gets its BootInfo pointer); this sets up a 16-byte aligned stack of `$size` bytes (a
/// multiple of 4096) and calls `$main(rdi)`, which must not return. Below the stack lies one
/// page, [`stack_guard`]: a program that can unmap it (the root task) turns a stack overflow
/// into a fault instead of silent corruption.
#[macro_export]
macro_rules! entry {
    ($main:path, $size:expr) => {
        #[repr(C, align(4096))]
        struct __Stack {
            guard: [u8; 4096],
            stack: [u8; $size],
        }
        #[no_mangle]
        static mut __CELLULOS_STACK: __Stack = __Stack { guard: [0; 4096], stack: [0; $size] };
        /// The address of the page below the stack.
        pub fn stack_guard() -> u64 {
            (&raw const __CELLULOS_STACK) as u64
        }
        extern "C" fn __cellulos_main(arg: $crate::sel4::Word) -> ! {
            $main(arg)
        }
        ::core::arch::global_asm!(
            ".section .text._start,\"ax\",@progbits",
            ".global _start",
            "_start:",
            "    lea rsp, [rip + __CELLULOS_STACK + 4096 + {size}]",
            "    and rsp, -16",
            "    xor ebp, ebp",
            "    call {main}",
            "2:  ud2",
            "    jmp 2b",
            size = const $size,
            main = sym __cellulos_main,
        );
    };
}

/// Defines `_start` for a program whose creator gave it a stack (components: the root task
/// maps one below the start page, with an unmapped gap under it so an overflow faults
/// instead of overwriting data): aligns it and calls `$main(rdi)`, which must not return.
#[macro_export]
macro_rules! entry_on_given_stack {
    ($main:path) => {
        extern "C" fn __cellulos_main(arg: $crate::sel4::Word) -> ! {
            $main(arg)
        }
        ::core::arch::global_asm!(
            ".section .text._start,\"ax\",@progbits",
            ".global _start",
            "_start:",
            "    and rsp, -16",
            "    xor ebp, ebp",
            "    call {main}",
            "2:  ud2",
            "    jmp 2b",
            main = sym __cellulos_main,
        );
    };
}

/// `print!` on the kernel's debug console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        use ::core::fmt::Write as _;
        let _ = ::core::write!($crate::sel4::debug::Console, $($arg)*);
    }};
}

/// `println!` on the kernel's debug console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        use ::core::fmt::Write as _;
        let _ = ::core::writeln!($crate::sel4::debug::Console, $($arg)*);
    }};
}
