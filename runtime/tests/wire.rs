//! The codec and message placement: round trips, every rejection, and the seL4 boundaries
//! (4 words in registers, 5 spill to the IPC buffer, 960 bytes inline, 961 shared).

use cellulos_runtime::limits::{MAX_INLINE_BYTES, MAX_WORDS, REGISTER_WORDS};
use cellulos_runtime::wire::{Reader, Wire, WireError, Writer};
use cellulos_runtime::Message;
use heapless::{String as HString, Vec as HVec};
use proptest::prelude::*;

fn round_trip<T: Wire + PartialEq + core::fmt::Debug>(value: T) {
    let mut shared = vec![0u8; 64 * 1024];
    let mut msg = Message::new(7);
    msg.encode(&value, &mut shared).expect("encode");
    assert_eq!(msg.decode::<T>(&shared).expect("decode"), value);
}

fn raw<T: Wire>(bytes: &[u8]) -> Result<T, WireError> {
    let mut r = Reader::new(bytes);
    let v = T::decode(&mut r)?;
    r.finish(0)?;
    Ok(v)
}

#[test]
fn four_words_use_registers_only_and_five_spill() {
    let mut shared = vec![0u8; 1024];
    let mut msg = Message::new(1);
    msg.encode(&(1u64, 2u64, 3u64, 4u64), &mut shared).expect("4 words");
    assert_eq!(msg.len, REGISTER_WORDS);
    assert!(msg.in_registers());
    assert_eq!(msg.words[..4], [1, 2, 3, 4]);
    msg.encode(&(1u64, 2u64, 3u64, 4u64, 5u64), &mut shared).expect("5 words");
    assert_eq!(msg.len, 5);
    assert!(!msg.in_registers(), "the fifth word is in the IPC buffer");
    // No arguments: an empty message, still the fast path.
    msg.encode(&(), &mut shared).expect("nothing");
    assert_eq!(msg.len, 0);
    assert!(msg.in_registers());
}

#[test]
fn nine_hundred_sixty_bytes_fit_the_buffer_and_961_go_shared() {
    let mut shared = vec![0u8; 4096];
    let fits: HVec<u8, 2048> = HVec::from_slice(&[0xab; MAX_INLINE_BYTES - 2]).expect("958 bytes");
    let mut msg = Message::new(1);
    msg.encode(&fits, &mut shared).expect("960 bytes");
    assert_eq!((msg.len, msg.is_shared()), (MAX_WORDS, false));
    assert_eq!(msg.decode::<HVec<u8, 2048>>(&shared).expect("back"), fits);
    let over: HVec<u8, 2048> = HVec::from_slice(&[0xcd; MAX_INLINE_BYTES - 1]).expect("959 bytes");
    msg.encode(&over, &mut shared).expect("961 bytes");
    assert_eq!((msg.len, msg.is_shared(), msg.words[0]), (1, true, 961));
    assert_eq!(msg.decode::<HVec<u8, 2048>>(&shared).expect("back"), over);
    // Too big even for the shared buffer: an error, not a panic.
    let mut small = vec![0u8; 100];
    assert_eq!(msg.encode(&over, &mut small), Err(WireError::Overflow));
}

#[test]
fn every_rejection() {
    assert_eq!(raw::<u32>(&[1, 2, 3]), Err(WireError::Short));
    assert_eq!(raw::<u8>(&[1, 2]), Err(WireError::Trailing));
    assert_eq!(raw::<bool>(&[2]), Err(WireError::BadTag));
    assert_eq!(raw::<Option<u8>>(&[7, 0]), Err(WireError::BadTag));
    assert_eq!(raw::<HString<4>>(&[5, 0, b'a', b'b', b'c', b'd', b'e']), Err(WireError::Oversize));
    assert_eq!(raw::<HString<4>>(&[2, 0, 0xff, 0xfe]), Err(WireError::BadUtf8));
    assert_eq!(raw::<HVec<u8, 4>>(&[3, 0, 1]), Err(WireError::Short));
    // Inline messages are padded to whole words with zeros: other padding is trailing data.
    let mut msg = Message::new(1);
    msg.len = 1;
    msg.words[0] = 0x0000_0000_0000_0107; // a u8 (7), then a stray byte
    assert_eq!(msg.decode::<u8>(&[]), Err(WireError::Trailing));
    msg.words[0] = 7;
    assert_eq!(msg.decode::<u8>(&[]), Ok(7));
    msg.len = 2;
    assert_eq!(msg.decode::<u8>(&[]), Err(WireError::Trailing), "a whole extra word");
    msg.len = 121;
    assert_eq!(msg.decode::<u8>(&[]), Err(WireError::Oversize));
    // A shared payload whose length points past the buffer.
    let mut msg = Message::new(cellulos_runtime::limits::SHARED_FLAG | 1);
    msg.len = 1;
    msg.words[0] = 10_000;
    assert_eq!(msg.decode::<u8>(&[0; 16]), Err(WireError::Oversize));
    // Encoding into a full buffer.
    let mut buf = [0u8; 3];
    assert_eq!(7u32.encode(&mut Writer::new(&mut buf)), Err(WireError::Overflow));
}

#[test]
fn max_sizes_are_what_the_codegen_relies_on() {
    assert_eq!(<(u64, u64, u64, u64)>::MAX_SIZE, 32);
    assert_eq!(<HString<64>>::MAX_SIZE, 66);
    assert_eq!(<Option<u32>>::MAX_SIZE, 5);
    assert_eq!(<()>::MAX_SIZE, 0);
}

proptest! {
    #[test]
    fn values_round_trip(a in any::<u64>(), b in any::<i16>(), c in any::<bool>(), s in "\\PC{0,20}", bytes in proptest::collection::vec(any::<u8>(), 0..1500), o in any::<Option<u32>>()) {
        let mut text: HString<128> = HString::new();
        let _ = text.push_str(&s.chars().take(20).collect::<String>());
        round_trip((a, b, c, text.clone(), o));
        let v: HVec<u8, 1500> = HVec::from_slice(&bytes).expect("fits");
        round_trip(v);
    }

    #[test]
    fn random_bytes_never_panic_the_decoder(words in proptest::collection::vec(any::<u64>(), 0..130), label in any::<u32>()) {
        let mut msg = Message::new(label & 0xfffff);
        msg.len = words.len().min(MAX_WORDS + 10);
        for (w, v) in msg.words.iter_mut().zip(&words) {
            *w = *v;
        }
        let shared = vec![0u8; 256];
        let _ = msg.decode::<(u8, HString<16>, Option<HVec<u8, 32>>, bool)>(&shared);
        let _ = msg.decode::<(u64, u64, u64, u64)>(&shared);
    }
}

#[test]
fn a_reused_message_carries_nothing_of_its_last_use() {
    let mut shared = vec![0u8; 4096];
    let mut msg = Message::new(1);
    let long: HVec<u8, 900> = HVec::from_slice(&[0xee; 900]).expect("900");
    msg.encode(&long, &mut shared).expect("long");
    msg.caps[0] = Some(cellulos_runtime::Cap::Unwrapped(5));
    msg.reset(2);
    assert_eq!((msg.code(), msg.len, msg.cap_count(), msg.is_shared()), (2, 0, 0, false));
    msg.encode(&7u32, &mut shared).expect("short");
    assert_eq!(msg.len, 1);
    assert!(msg.in_registers(), "stale words beyond len do not make it long");
    assert_eq!(msg.decode::<u32>(&shared), Ok(7));
    // A message reset after a shared payload is inline again.
    let big: HVec<u8, 2048> = HVec::from_slice(&[1; 1500]).expect("1500");
    msg.encode(&big, &mut shared).expect("shared");
    msg.reset(3);
    msg.encode(&(), &mut shared).expect("nothing");
    assert!(!msg.is_shared() && msg.len == 0);
}
