//! Persistence: how objects save their state into a byte stream and load it back.
//!
//! A [`Store`] is one direction of a byte stream the application provides (it writes the
//! bytes somewhere, or reads them back in the same order). On top of it this module
//! frames *records*: a magic tag that names the record kind and its format version, the
//! payload (little-endian fields), and the CRC-32 of the payload. A restore reads and
//! checks a whole record into a scratch copy before anything uses it, so corrupt,
//! truncated or foreign data changes nothing.
//!
//! - [`Store::record`]: a record with a fixed-size payload (built with [`Cursor`]);
//! - [`Stream`]: a record of variable length, moved field by field;
//! - [`server`], [`security`], [`ntp`]: the record codecs of the built-in objects.
//!
//! [`SliceWriter`] and [`SliceReader`] are stores over a byte slice.

pub mod ntp;
pub mod security;
pub mod server;

/// Longest magic tag a record (or `anj_persistence_magic`) may have.
pub const MAGIC_MAX_SIZE: usize = 16;

/// Failure of a persistence operation: the stream failed, or the data did not match.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct PersistError;

/// One direction of a persistence stream.
///
/// A store stream ([`Store::is_store`]) takes bytes through [`Store::put`]; a restore
/// stream gives them back through [`Store::get`]. Using the other method is an error.
pub trait Store {
    /// Whether this stream stores (else it restores).
    fn is_store(&self) -> bool;

    /// Writes all of `buf` (store streams only).
    fn put(&mut self, buf: &[u8]) -> Result<(), PersistError>;

    /// Fills all of `buf` (restore streams only).
    fn get(&mut self, buf: &mut [u8]) -> Result<(), PersistError>;

    /// Stores `buf`, or fills it, depending on the direction.
    fn bytes(&mut self, buf: &mut [u8]) -> Result<(), PersistError> {
        if self.is_store() {
            self.put(buf)
        } else {
            self.get(buf)
        }
    }

    /// Writes a framed record (store), or reads one into `payload` and checks it
    /// (restore): `magic`, the payload, then the payload's CRC-32, little-endian. On a
    /// failed restore `payload` may hold partial data; callers decode from a scratch copy.
    fn record(&mut self, magic: &[u8], payload: &mut [u8]) -> Result<(), PersistError> {
        if self.is_store() {
            self.put(magic)?;
            self.put(payload)?;
            self.put(&crc32(payload).to_le_bytes())
        } else {
            check_magic(self, magic)?;
            self.get(payload)?;
            let mut crc = [0u8; 4];
            self.get(&mut crc)?;
            if u32::from_le_bytes(crc) != crc32(payload) {
                crate::log_error!("persistence: record checksum mismatch");
                return Err(PersistError);
            }
            Ok(())
        }
    }
}

/// Reads `magic.len()` bytes (at most [`MAGIC_MAX_SIZE`]) and checks they are `magic`.
fn check_magic<S: Store + ?Sized>(s: &mut S, magic: &[u8]) -> Result<(), PersistError> {
    let mut tag = [0u8; MAGIC_MAX_SIZE];
    let tag = tag.get_mut(..magic.len()).ok_or(PersistError)?;
    s.get(tag)?;
    if tag != magic {
        crate::log_error!("persistence: unexpected record tag");
        return Err(PersistError);
    }
    Ok(())
}

/// Stores `magic`, or reads as many bytes and checks they equal it (the application's
/// own tags). `magic` is 1 to [`MAGIC_MAX_SIZE`] bytes.
pub fn magic<S: Store + ?Sized>(s: &mut S, magic: &[u8]) -> Result<(), PersistError> {
    if magic.is_empty() || magic.len() > MAGIC_MAX_SIZE {
        return Err(PersistError);
    }
    if s.is_store() {
        return s.put(magic);
    }
    let mut got = [0u8; MAGIC_MAX_SIZE];
    s.get(&mut got[..magic.len()])?;
    if &got[..magic.len()] != magic {
        crate::log_error!("persistence: magic mismatch");
        return Err(PersistError);
    }
    Ok(())
}

/// Stores a string as its 64-bit length (native byte order, as the C API's
/// `anj_persistence_string` does) and its bytes.
pub fn store_string<S: Store + ?Sized>(s: &mut S, value: &[u8]) -> Result<(), PersistError> {
    s.put(&(value.len() as u64).to_ne_bytes())?;
    s.put(value)
}

/// Restores a string stored by [`store_string`] into `out`, followed by a NUL: the
/// stored length must be below `out.len()`. Returns the length (without the NUL).
pub fn restore_string<S: Store + ?Sized>(s: &mut S, out: &mut [u8]) -> Result<usize, PersistError> {
    let mut len = [0u8; 8];
    s.get(&mut len)?;
    let len = u64::from_ne_bytes(len);
    if len >= out.len() as u64 {
        crate::log_error!("persistence: stored string does not fit");
        return Err(PersistError);
    }
    let len = len as usize;
    s.get(&mut out[..len])?;
    out[len] = 0;
    Ok(len)
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

/// Feeds `data` into a running CRC-32 register (start with `!0`, finish with `!`).
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    crc
}

/// A record of variable length, moved field by field: `magic`, the fields, then the
/// CRC-32 of the fields (little-endian). Unlike [`Store::record`] it needs no buffer for
/// the whole payload; a restore still decodes into a scratch copy and uses it only once
/// [`Stream::finish`] has checked the checksum.
pub struct Stream<'a, S: Store + ?Sized> {
    store: &'a mut S,
    crc: u32,
}

impl<'a, S: Store + ?Sized> Stream<'a, S> {
    /// Writes (store) or reads and checks (restore) `magic`, and starts the checksum.
    pub fn begin(store: &'a mut S, magic: &[u8]) -> Result<Self, PersistError> {
        if store.is_store() {
            store.put(magic)?;
        } else {
            check_magic(store, magic)?;
        }
        Ok(Self { store, crc: !0 })
    }

    /// Whether the record is being stored (else restored).
    pub fn is_store(&self) -> bool {
        self.store.is_store()
    }

    /// Stores `buf`, or fills it, and adds it to the checksum.
    pub fn bytes(&mut self, buf: &mut [u8]) -> Result<(), PersistError> {
        self.store.bytes(buf)?;
        self.crc = crc32_update(self.crc, buf);
        Ok(())
    }

    pub fn u8(&mut self, v: &mut u8) -> Result<(), PersistError> {
        let mut b = [*v];
        self.bytes(&mut b)?;
        *v = b[0];
        Ok(())
    }

    pub fn u16(&mut self, v: &mut u16) -> Result<(), PersistError> {
        let mut b = v.to_le_bytes();
        self.bytes(&mut b)?;
        *v = u16::from_le_bytes(b);
        Ok(())
    }

    pub fn u32(&mut self, v: &mut u32) -> Result<(), PersistError> {
        let mut b = v.to_le_bytes();
        self.bytes(&mut b)?;
        *v = u32::from_le_bytes(b);
        Ok(())
    }

    /// A boolean as one byte, 0 or 1 (any other stored byte is an error).
    pub fn bool(&mut self, v: &mut bool) -> Result<(), PersistError> {
        let mut b = *v as u8;
        self.u8(&mut b)?;
        *v = match b {
            0 => false,
            1 => true,
            _ => return Err(PersistError),
        };
        Ok(())
    }

    /// A length (u16) and that many bytes of `buf`; a stored length over `buf.len()` is
    /// an error (nothing more is read).
    pub fn sized(&mut self, buf: &mut [u8], len: &mut u16) -> Result<(), PersistError> {
        self.u16(len)?;
        let n = *len as usize;
        let Some(b) = buf.get_mut(..n) else {
            crate::log_error!("persistence: stored field longer than its buffer");
            return Err(PersistError);
        };
        self.bytes(b)
    }

    /// Writes (store) or reads and compares (restore) the checksum.
    pub fn finish(self) -> Result<(), PersistError> {
        let mut crc = (!self.crc).to_le_bytes();
        if self.store.is_store() {
            return self.store.put(&crc);
        }
        let expected = crc;
        self.store.get(&mut crc)?;
        if crc != expected {
            crate::log_error!("persistence: record checksum mismatch");
            return Err(PersistError);
        }
        Ok(())
    }
}

/// A writer of a fixed-size payload (of [`Store::record`]); read it back with
/// [`Reader`]. Callers size the buffer for what they put: going past its end panics, as
/// slice indexing does.
pub struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    pub fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
}

/// A little-endian reader over a payload (the payloads of [`Store::record`]). Callers
/// size the payload for what they take: reading past its end panics, as slice indexing
/// does.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    pub fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        out
    }
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    /// A stored boolean: exactly 0 or 1.
    pub fn bool(&mut self) -> Option<bool> {
        match self.u8() {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
}

/// A store stream that writes into a byte slice.
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }
    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Store for SliceWriter<'_> {
    fn is_store(&self) -> bool {
        true
    }
    fn put(&mut self, b: &[u8]) -> Result<(), PersistError> {
        let dst = self
            .buf
            .get_mut(self.len..self.len + b.len())
            .ok_or(PersistError)?;
        dst.copy_from_slice(b);
        self.len += b.len();
        Ok(())
    }
    fn get(&mut self, _: &mut [u8]) -> Result<(), PersistError> {
        Err(PersistError)
    }
}

/// A restore stream that reads a byte slice from its start.
pub struct SliceReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl Store for SliceReader<'_> {
    fn is_store(&self) -> bool {
        false
    }
    fn put(&mut self, _: &[u8]) -> Result<(), PersistError> {
        Err(PersistError)
    }
    fn get(&mut self, b: &mut [u8]) -> Result<(), PersistError> {
        let src = self
            .data
            .get(self.pos..self.pos + b.len())
            .ok_or(PersistError)?;
        b.copy_from_slice(src);
        self.pos += b.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
