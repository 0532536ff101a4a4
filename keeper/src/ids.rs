//! Node ids in CellulOS's form (`VMR_4_1`, `ADS_SPACE_4`, `PD_12`), written without
//! `core::fmt`: the root names several nodes on every request it serves, and formatting
//! machinery costs more than the rest of naming them.

use alloc::string::String;

/// The parts of `prefix`, then each number in lower-case hex after an underscore.
pub fn hex(prefix: &[&str], numbers: &[u32]) -> String {
    let mut id = String::with_capacity(prefix.iter().map(|p| p.len()).sum::<usize>() + numbers.len() * 9);
    for p in prefix {
        id.push_str(p);
    }
    for n in numbers {
        id.push('_');
        digits(&mut id, *n, 16);
    }
    id
}

/// `PD_<n>`, `n` in decimal (as CellulOS numbers PDs).
pub fn pd(n: u32) -> String {
    let mut id = String::with_capacity(3 + 10);
    id.push_str("PD_");
    digits(&mut id, n, 10);
    id
}

fn digits(out: &mut String, mut n: u32, base: u32) {
    let mut buf = [0u8; 10];
    let mut at = buf.len();
    loop {
        at -= 1;
        // A digit of `base` <= 16 is one of these.
        buf[at] = b"0123456789abcdef"[(n % base) as usize];
        n /= base;
        if n == 0 {
            break;
        }
    }
    for b in &buf[at..] {
        out.push(char::from(*b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn ids_match_the_formatted_ones() {
        for n in [0u32, 1, 9, 10, 15, 16, 255, 4096, 0xdead_beef, u32::MAX] {
            assert_eq!(hex(&["VMR"], &[n, n / 3]), format!("VMR_{n:x}_{:x}", n / 3));
            assert_eq!(hex(&["ADS", "_SPACE"], &[n]), format!("ADS_SPACE_{n:x}"));
            assert_eq!(pd(n), format!("PD_{n}"));
        }
        assert_eq!(hex(&["X"], &[]), "X");
    }
}
