//! `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`: with `-nostdlib` nothing else provides
//! them, and the compiler emits calls to them. Written with `rep movsq`/`rep stosq` for the
//! whole words and `rep movsb`/`rep stosb` for the rest (8 times fewer iterations than bytes
//! alone: under QEMU's `-icount` every iteration counts), and plain loops the optimiser
//! cannot turn back into calls to themselves.

use core::arch::asm;

/// C `memcpy`.
///
/// # Safety
/// `dst` and `src` valid for `n` bytes and not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract; `rep movsq` then `rep movsb` copy n / 8 words and
    // n % 8 bytes from rsi to rdi, forwards (the direction flag is clear by the ABI).
    unsafe {
        asm!("rep movsq", "mov rcx, {rest}", "rep movsb",
             rest = in(reg) n % 8,
             inout("rcx") n / 8 => _, inout("rdi") dst => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
    dst
}

/// C `memmove`.
///
/// # Safety
/// `dst` and `src` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize).wrapping_add(n) {
        // SAFETY: a forward copy is correct when dst is below src or past its end.
        return unsafe { memcpy(dst, src, n) };
    }
    // SAFETY: the caller's contract; std (direction flag set) copies backwards.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
             options(nostack));
    }
    dst
}

/// C `memset`.
///
/// # Safety
/// `dst` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let byte = u64::from(c as u8);
    // SAFETY: the caller's contract; `rep stosq` then `rep stosb` fill n / 8 words and n % 8
    // bytes at rdi with the byte repeated.
    unsafe {
        asm!("rep stosq", "mov rcx, {rest}", "rep stosb",
             rest = in(reg) n % 8,
             inout("rcx") n / 8 => _, inout("rdi") dst => _, in("rax") byte * 0x0101_0101_0101_0101,
             options(nostack, preserves_flags));
    }
    dst
}

/// C `memcmp`.
///
/// # Safety
/// `a` and `b` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, within the caller's ranges; volatile keeps this a loop, not a call.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// C `bcmp`.
///
/// # Safety
/// `a` and `b` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract.
    unsafe { memcmp(a, b, n) }
}
