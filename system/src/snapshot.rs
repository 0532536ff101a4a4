//! What the root says of each model it streams out: which of the run's snapshots it is, who
//! asked for it, and when. It travels in a frame of its own ([`crate::frame::KIND_SNAPSHOT`])
//! just before the model's, so a reader that knows only models skips it:
//!
//! ```text
//! seq u32 LE | cycles u64 LE (the root's TSC when it began) | who: the rest, 1..=32 bytes of [A-Za-z0-9_-]
//! ```
//!
//! `who` is an instance name ([`crate::instance_name_ok`]), or `root` for the snapshot the
//! root takes when every client is done; a reader may use it in a file name.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// One snapshot's label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Its place in the run: 1 for the first.
    pub seq: u32,
    /// The root's time-stamp counter when the extraction began.
    pub cycles: u64,
    /// Who asked: an instance name, or `root`.
    pub who: String,
}

/// Why a snapshot frame's payload was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// Fewer than the 12 bytes of its numbers.
    Short(usize),
    /// `who` is empty, too long, or has a character an instance name cannot.
    BadWho,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Short(n) => write!(f, "a snapshot label of {n} bytes (at least 13)"),
            SnapshotError::BadWho => write!(f, "a snapshot label whose asker is no instance name"),
        }
    }
}

impl Snapshot {
    /// The payload; `None` when `who` is no instance name.
    pub fn encode(&self) -> Option<Vec<u8>> {
        if !crate::instance_name_ok(&self.who) {
            return None;
        }
        let mut out = Vec::with_capacity(12 + self.who.len());
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.cycles.to_le_bytes());
        out.extend_from_slice(self.who.as_bytes());
        Some(out)
    }

    /// Reads a payload, trusting nothing.
    pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let (Some(seq), Some(cycles), Some(who)) = (bytes.get(..4), bytes.get(4..12), bytes.get(12..)) else {
            return Err(SnapshotError::Short(bytes.len()));
        };
        let who = core::str::from_utf8(who).ok().filter(|w| crate::instance_name_ok(w)).ok_or(SnapshotError::BadWho)?;
        let (Ok(seq), Ok(cycles)) = (<[u8; 4]>::try_from(seq), <[u8; 8]>::try_from(cycles)) else {
            return Err(SnapshotError::Short(bytes.len()));
        };
        Ok(Snapshot { seq: u32::from_le_bytes(seq), cycles: u64::from_le_bytes(cycles), who: String::from(who) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_round_trips_and_garbage_is_refused() {
        let s = Snapshot { seq: 3, cycles: 0x1122_3344_5566_7788, who: "block-double".into() };
        let bytes = s.encode().expect("encodes");
        assert_eq!(bytes.len(), 12 + 12);
        assert_eq!(Snapshot::decode(&bytes), Ok(s));
        assert_eq!(Snapshot::decode(&bytes[..11]), Err(SnapshotError::Short(11)));
        assert_eq!(Snapshot::decode(&bytes[..12]), Err(SnapshotError::BadWho));
        let mut slash = bytes.clone();
        slash[13] = b'/';
        assert_eq!(Snapshot::decode(&slash), Err(SnapshotError::BadWho));
        let long = Snapshot { seq: 1, cycles: 0, who: "x".repeat(crate::MAX_NAME + 1) };
        assert_eq!(long.encode(), None);
        assert_eq!(Snapshot { seq: 1, cycles: 0, who: "../up".into() }.encode(), None);
    }
}
