//! Permissions carried by `HOLD` and `MAP` edges.

use core::fmt;
use core::str::FromStr;

/// A set of permissions: read, write, execute, terminate.
///
/// Written as the letters present, in the order `rwxt` (`"rw"`, `"t"`, `""`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Perms(u8);

impl Perms {
    /// No permission recorded.
    pub const NONE: Perms = Perms(0);
    /// May read.
    pub const READ: Perms = Perms(1);
    /// May write.
    pub const WRITE: Perms = Perms(2);
    /// May execute.
    pub const EXECUTE: Perms = Perms(4);
    /// May terminate (on a PD held by a PD).
    pub const TERMINATE: Perms = Perms(8);
    const LETTERS: [(char, Perms); 4] =
        [('r', Perms::READ), ('w', Perms::WRITE), ('x', Perms::EXECUTE), ('t', Perms::TERMINATE)];

    /// The raw bits (read = 1, write = 2, execute = 4, terminate = 8).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Permissions from raw bits; `None` if an unknown bit is set.
    pub const fn from_bits(bits: u8) -> Option<Perms> {
        if bits & !0xf == 0 {
            Some(Perms(bits))
        } else {
            None
        }
    }

    /// Whether every permission of `other` is in `self`.
    pub const fn contains(self, other: Perms) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no permission is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for Perms {
    type Output = Perms;
    fn bitor(self, rhs: Perms) -> Perms {
        Perms(self.0 | rhs.0)
    }
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (letter, p) in Perms::LETTERS {
            if self.contains(p) {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

/// A permission string had a letter other than `r`, `w`, `x`, `t`, or one twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPerms(pub char);

impl fmt::Display for BadPerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad permission letter {:?} (expected r, w, x, t, each at most once)", self.0)
    }
}

impl FromStr for Perms {
    type Err = BadPerms;
    fn from_str(s: &str) -> Result<Perms, BadPerms> {
        let mut perms = Perms::NONE;
        for c in s.chars() {
            let p = Perms::LETTERS
                .iter()
                .find(|(l, _)| *l == c.to_ascii_lowercase())
                .map(|(_, p)| *p)
                .ok_or(BadPerms(c))?;
            if perms.contains(p) {
                return Err(BadPerms(c));
            }
            perms = perms | p;
        }
        Ok(perms)
    }
}
