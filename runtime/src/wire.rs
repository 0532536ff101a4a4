//! The wire codec: fixed-width little-endian scalars, `u16` length prefixes for bounded
//! text and bytes, a tag byte for `Option` and enums. Nothing is trusted on decode: short
//! input, bad tags, oversize lengths, invalid UTF-8 and trailing bytes are errors.

use core::fmt;

/// Why bytes could not be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The input ended early.
    Short,
    /// Bytes were left after the last field.
    Trailing,
    /// A tag (bool, Option, enum) had no meaning.
    BadTag,
    /// A length exceeded its bound.
    Oversize,
    /// Text was not UTF-8.
    BadUtf8,
    /// The output buffer was too small.
    Overflow,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::Short => "message too short",
            WireError::Trailing => "trailing bytes after the message",
            WireError::BadTag => "invalid tag",
            WireError::Oversize => "length over its bound",
            WireError::BadUtf8 => "text is not UTF-8",
            WireError::Overflow => "message does not fit its buffer",
        })
    }
}

/// Writes into a fixed buffer.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Writer<'a> {
        Writer { buf, len: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends bytes.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let end = self.len.checked_add(bytes.len()).ok_or(WireError::Overflow)?;
        self.buf.get_mut(self.len..end).ok_or(WireError::Overflow)?.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// Reads from a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).ok_or(WireError::Short)?;
        let bytes = self.buf.get(self.pos..end).ok_or(WireError::Short)?;
        self.pos = end;
        Ok(bytes)
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Ends decoding: what is left must be at most `padding` zero bytes (inline messages
    /// are padded to whole words), never data.
    pub fn finish(&self, padding: usize) -> Result<(), WireError> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        if rest.len() > padding || rest.iter().any(|b| *b != 0) {
            return Err(WireError::Trailing);
        }
        Ok(())
    }
}

/// A type that travels in messages.
pub trait Wire: Sized {
    /// The largest encoding, in bytes: the generated code sizes buffers and decides
    /// register/IPC-buffer/shared-buffer placement from it.
    const MAX_SIZE: usize;
    /// Appends the encoding.
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError>;
    /// Reads one value.
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError>;
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            const MAX_SIZE: usize = core::mem::size_of::<$t>();
            fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
                w.put(&self.to_le_bytes())
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
                let mut bytes = [0u8; core::mem::size_of::<$t>()];
                bytes.copy_from_slice(r.take(core::mem::size_of::<$t>())?);
                Ok(<$t>::from_le_bytes(bytes))
            }
        }
    )*};
}
scalar!(u8, u16, u32, u64, i8, i16, i32, i64);

impl Wire for bool {
    const MAX_SIZE: usize = 1;
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.put(&[u8::from(*self)])
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError::BadTag),
        }
    }
}

impl Wire for () {
    const MAX_SIZE: usize = 0;
    fn encode(&self, _: &mut Writer<'_>) -> Result<(), WireError> {
        Ok(())
    }
    fn decode(_: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(())
    }
}

fn length(r: &mut Reader<'_>, max: usize) -> Result<usize, WireError> {
    let n = usize::from(u16::decode(r)?);
    if n > max {
        return Err(WireError::Oversize);
    }
    Ok(n)
}

fn put_length(w: &mut Writer<'_>, n: usize) -> Result<(), WireError> {
    u16::try_from(n).map_err(|_| WireError::Oversize)?.encode(w)
}

/// `String<N>` of the IDL.
impl<const N: usize> Wire for heapless::String<N> {
    const MAX_SIZE: usize = 2 + N;
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        put_length(w, self.len())?;
        w.put(self.as_bytes())
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = length(r, N)?;
        let text = core::str::from_utf8(r.take(n)?).map_err(|_| WireError::BadUtf8)?;
        let mut s = heapless::String::new();
        s.push_str(text).map_err(|_| WireError::Oversize)?;
        Ok(s)
    }
}

/// `Bytes<N>` of the IDL.
impl<const N: usize> Wire for heapless::Vec<u8, N> {
    const MAX_SIZE: usize = 2 + N;
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        put_length(w, self.len())?;
        w.put(self)
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = length(r, N)?;
        heapless::Vec::from_slice(r.take(n)?).map_err(|_| WireError::Oversize)
    }
}

impl<T: Wire> Wire for Option<T> {
    const MAX_SIZE: usize = 1 + T::MAX_SIZE;
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        match self {
            None => w.put(&[0]),
            Some(v) => {
                w.put(&[1])?;
                v.encode(w)
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.take(1)?[0] {
            0 => Ok(None),
            1 => Ok(Some(T::decode(r)?)),
            _ => Err(WireError::BadTag),
        }
    }
}

macro_rules! tuple {
    ($($name:ident)+) => {
        impl<$($name: Wire),+> Wire for ($($name,)+) {
            const MAX_SIZE: usize = 0 $(+ $name::MAX_SIZE)+;
            #[allow(non_snake_case)]
            fn encode(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
                let ($($name,)+) = self;
                $($name.encode(w)?;)+
                Ok(())
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
                Ok(($($name::decode(r)?,)+))
            }
        }
    };
}
tuple!(A);
tuple!(A B);
tuple!(A B C);
tuple!(A B C D);
tuple!(A B C D E);
tuple!(A B C D E F);
tuple!(A B C D E F G);
tuple!(A B C D E F G H);
tuple!(A B C D E F G H I);
tuple!(A B C D E F G H I J);
tuple!(A B C D E F G H I J K);
tuple!(A B C D E F G H I J K L);
