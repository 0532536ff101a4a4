//! Framing for data the root task streams out of the system on the second serial port
//! (docs/wire.md: the model goes out on COM2, never mixed with console text). A
//! serial line may drop, add or flip bytes and the host may start reading mid-stream, so
//! every frame carries a magic, its kind, its length and a CRC-32 of all of them:
//!
//! ```text
//! "CMF1" | kind: u8 | length: u32 LE | payload (length bytes) | CRC-32 (IEEE) of all before, LE
//! ```
//!
//! [`encode`] writes one frame (no allocation: the caller's sink gets the bytes);
//! [`decode`] reads every intact frame of a byte stream, skipping and reporting what is not.

use alloc::vec::Vec;
use core::fmt;

/// The four bytes every frame starts with.
pub const MAGIC: [u8; 4] = *b"CMF1";
/// The largest payload a frame may carry (16 MiB): a longer length is corruption.
pub const MAX_PAYLOAD: usize = 16 << 20;
/// Bytes around the payload: magic, kind, length, CRC.
pub const OVERHEAD: usize = 4 + 1 + 4 + 4;
/// Frame kind: an extracted model, in `osmosis::wire` form.
pub const KIND_MODEL: u8 = 1;
/// Frame kind: the label of the model frame that follows ([`crate::snapshot::Snapshot`]:
/// its number in the run, who asked, when).
pub const KIND_SNAPSHOT: u8 = 2;

/// CRC-32 (IEEE 802.3, reflected, as zlib and Ethernet compute it), continued from `crc`
/// (start with 0).
pub fn crc32(crc: u32, bytes: &[u8]) -> u32 {
    let mut c = !crc;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    !c
}

/// Writes one frame of `kind` around `payload` into `sink`, piece by piece.
pub fn encode(kind: u8, payload: &[u8], mut sink: impl FnMut(&[u8])) -> Result<(), FrameError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(FrameError::TooLong(payload.len()));
    }
    let head = [MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], kind];
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32(crc32(crc32(0, &head), &len), payload);
    sink(&head);
    sink(&len);
    sink(payload);
    sink(&crc.to_le_bytes());
    Ok(())
}

/// One intact frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Its kind.
    pub kind: u8,
    /// Its payload.
    pub payload: Vec<u8>,
    /// Where it started in the stream.
    pub offset: usize,
}

/// What was wrong with part of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A payload over [`MAX_PAYLOAD`] bytes (encoding), or a length field over it (decoding).
    TooLong(usize),
    /// Bytes that are not a frame, at this offset, this many.
    Garbage {
        /// Where they start.
        offset: usize,
        /// How many.
        len: usize,
    },
    /// A frame whose CRC does not match, at this offset.
    BadChecksum(usize),
    /// The stream ends inside a frame that started at this offset.
    Truncated(usize),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong(n) => write!(f, "a frame of {n} bytes (at most {MAX_PAYLOAD})"),
            FrameError::Garbage { offset, len } => write!(f, "{len} bytes that are no frame at offset {offset}"),
            FrameError::BadChecksum(at) => write!(f, "a frame with a bad checksum at offset {at}"),
            FrameError::Truncated(at) => write!(f, "the stream ends inside the frame at offset {at}"),
        }
    }
}

/// Every intact frame of `stream`, in order, and what was skipped and why. A bad frame (bad
/// checksum, or a length running past the end) is skipped one byte at a time from its magic
/// on, so the next intact frame is still found.
pub fn decode(stream: &[u8]) -> (Vec<Frame>, Vec<FrameError>) {
    let (mut frames, mut errors) = (Vec::new(), Vec::new());
    let mut at = 0;
    let mut garbage_from: Option<usize> = None;
    let flush = |errors: &mut Vec<FrameError>, from: &mut Option<usize>, to: usize| {
        if let Some(start) = from.take() {
            errors.push(FrameError::Garbage { offset: start, len: to - start });
        }
    };
    while at < stream.len() {
        if !stream[at..].starts_with(&MAGIC) {
            // A partial magic at the very end is a truncated frame, not garbage.
            if stream.len() - at < MAGIC.len() && MAGIC.starts_with(&stream[at..]) {
                flush(&mut errors, &mut garbage_from, at);
                errors.push(FrameError::Truncated(at));
                return (frames, errors);
            }
            garbage_from.get_or_insert(at);
            at += 1;
            continue;
        }
        flush(&mut errors, &mut garbage_from, at);
        let Some(header) = stream.get(at..at + 9) else {
            errors.push(FrameError::Truncated(at));
            return (frames, errors);
        };
        let len = u32::from_le_bytes([header[5], header[6], header[7], header[8]]) as usize;
        if len > MAX_PAYLOAD {
            errors.push(FrameError::TooLong(len));
            at += 1;
            continue;
        }
        let end = at + OVERHEAD + len;
        let Some(frame) = stream.get(at..end) else {
            // Cut short, or a corrupt length: keep looking for later frames either way.
            errors.push(FrameError::Truncated(at));
            at += 1;
            continue;
        };
        let body = &frame[..frame.len() - 4];
        let crc = u32::from_le_bytes([
            frame[frame.len() - 4],
            frame[frame.len() - 3],
            frame[frame.len() - 2],
            frame[frame.len() - 1],
        ]);
        if crc32(0, body) != crc {
            errors.push(FrameError::BadChecksum(at));
            at += 1;
            continue;
        }
        frames.push(Frame { kind: header[4], payload: body[9..].to_vec(), offset: at });
        at = end;
    }
    flush(&mut errors, &mut garbage_from, at);
    (frames, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(kind, payload, |b| out.extend_from_slice(b)).expect("encode");
        out
    }

    #[test]
    fn crc32_is_the_standard_one() {
        assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(crc32(0, b"12345"), b"6789"), 0xCBF4_3926);
        assert_eq!(crc32(0, b""), 0);
    }

    #[test]
    fn frames_round_trip_in_order() {
        let mut s = frame(1, b"model part one");
        s.extend(frame(1, &[0u8; 3000]));
        s.extend(frame(2, b""));
        let (frames, errors) = decode(&s);
        assert!(errors.is_empty(), "{errors:?}");
        let kinds: Vec<(u8, usize)> = frames.iter().map(|f| (f.kind, f.payload.len())).collect();
        assert_eq!(kinds, vec![(1, 14), (1, 3000), (2, 0)]);
        assert_eq!(frames[0].payload, b"model part one");
    }

    #[test]
    fn garbage_around_frames_is_skipped_and_reported() {
        let mut s = b"console noise\r\n".to_vec();
        s.extend(frame(1, b"a"));
        s.extend(b"CM");
        s.extend(frame(1, b"b"));
        let (frames, errors) = decode(&s);
        assert_eq!(frames.iter().map(|f| f.payload.clone()).collect::<Vec<_>>(), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(
            errors,
            vec![FrameError::Garbage { offset: 0, len: 15 }, FrameError::Garbage { offset: 29, len: 2 }]
        );
    }

    #[test]
    fn a_flipped_bit_anywhere_is_caught_and_the_next_frame_still_found() {
        let first = frame(1, b"payload with some length");
        let second = frame(1, b"next");
        for i in 0..first.len() {
            for bit in [0x01u8, 0x80] {
                let mut s = first.clone();
                s[i] ^= bit;
                s.extend(&second);
                let (frames, errors) = decode(&s);
                assert!(!errors.is_empty(), "flip at {i} went unnoticed");
                assert_eq!(frames.last().map(|f| f.payload.as_slice()), Some(&b"next"[..]), "flip at {i}");
                assert!(frames.iter().all(|f| f.payload != b"payload with some length"), "flip at {i}");
            }
        }
    }

    #[test]
    fn a_cut_stream_reports_the_truncated_frame() {
        let s = frame(1, b"0123456789");
        for cut in 1..s.len() {
            let (frames, errors) = decode(&s[..cut]);
            assert!(frames.is_empty(), "cut {cut}");
            assert!(errors.contains(&FrameError::Truncated(0)), "cut {cut}: {errors:?}");
        }
    }

    #[test]
    fn an_absurd_length_is_refused() {
        let mut s = MAGIC.to_vec();
        s.push(1);
        s.extend(((MAX_PAYLOAD + 1) as u32).to_le_bytes());
        let (frames, errors) = decode(&s);
        assert!(frames.is_empty());
        assert!(errors.contains(&FrameError::TooLong(MAX_PAYLOAD + 1)), "{errors:?}");
        assert_eq!(encode(1, &vec![0; MAX_PAYLOAD + 1], |_| {}), Err(FrameError::TooLong(MAX_PAYLOAD + 1)));
    }
}
