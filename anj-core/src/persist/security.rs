//! The record of the Security object (/0): every instance, credentials included, in one
//! field-by-field [`Stream`] record.
//!
//! Layout: the tag ([`magic`]), the instance count u8, the instances, the CRC-32. Each
//! instance, little-endian: IID u16, SSID u16, Client Hold Off Time u32,
//! Bootstrap-Server u8 (0/1), Security Mode u8, Server URI (u16 length, bytes); in builds
//! with credentials: Public Key or Identity, Server Public Key, Secret Key and SNI (each
//! u16 length, bytes); in builds with certificates: Certificate Usage u8 (0 to 3). The
//! object may add fields of its own after these (the C face adds the references of
//! credentials kept in an external crypto storage).

use super::{PersistError, Store, Stream};

/// The tag without its last byte: "anj-rs Security object", format version 1.
pub const MAGIC_PREFIX: &[u8; 10] = b"ANJRS/SEC\x01";

/// Bits of the tag's last byte: which optional parts the build that wrote the record
/// has (a record of a build with other parts is refused).
pub mod parts {
    pub const CREDENTIALS: u8 = 1;
    pub const CERTIFICATES: u8 = 1 << 1;
    pub const BOOTSTRAP: u8 = 1 << 2;
    pub const EXTERNAL_CRYPTO_STORAGE: u8 = 1 << 3;
}

/// The tag of a record written by a build with `parts` ([`parts`] bits).
pub const fn magic(parts: u8) -> [u8; 11] {
    let mut m = [0u8; 11];
    let mut i = 0;
    while i < MAGIC_PREFIX.len() {
        m[i] = MAGIC_PREFIX[i];
        i += 1;
    }
    m[10] = parts;
    m
}

/// The credential resources of an instance: each buffer with its length, and the SNI
/// (/0/x/14) as a NUL-terminated buffer.
pub struct Credentials<'a> {
    /// /0/x/3.
    pub identity: (&'a mut [u8], &'a mut u16),
    /// /0/x/4.
    pub server_key: (&'a mut [u8], &'a mut u16),
    /// /0/x/5.
    pub secret: (&'a mut [u8], &'a mut u16),
    /// /0/x/14: its bytes, a NUL, then only NULs (the last byte is always a NUL).
    pub sni: &'a mut [u8],
}

/// The stored fields of one instance, where the object keeps them.
pub struct InstanceFields<'a> {
    pub iid: &'a mut u16,
    pub ssid: &'a mut u16,
    pub hold_off: &'a mut u32,
    pub bootstrap_server: &'a mut bool,
    /// The Security Mode number (the object checks it is one it supports).
    pub mode: &'a mut u8,
    /// The Server URI buffer; its last byte stays a NUL.
    pub uri: &'a mut [u8],
    pub uri_len: &'a mut u16,
    /// `Some` in builds with credentials.
    pub credentials: Option<Credentials<'a>>,
    /// The Certificate Usage number, `Some` in builds with certificates.
    pub certificate_usage: Option<&'a mut u8>,
}

/// Moves one instance through the record. A restore fills the fields (of a scratch
/// instance) and checks their form: a boolean of 0 or 1, lengths within their buffers,
/// a Certificate Usage of 0 to 3.
pub fn instance<S: Store + ?Sized>(
    s: &mut Stream<'_, S>,
    f: InstanceFields<'_>,
) -> Result<(), PersistError> {
    s.u16(f.iid)?;
    s.u16(f.ssid)?;
    s.u32(f.hold_off)?;
    s.bool(f.bootstrap_server)?;
    s.u8(f.mode)?;
    let uri_cap = f.uri.len().checked_sub(1).ok_or(PersistError)?;
    s.sized(&mut f.uri[..uri_cap], f.uri_len)?;
    if let Some(c) = f.credentials {
        for (buf, len) in [c.identity, c.server_key, c.secret] {
            s.sized(buf, len)?;
        }
        let cap = c.sni.len().checked_sub(1).ok_or(PersistError)?;
        let mut sni_len = c.sni.iter().position(|&b| b == 0).unwrap_or(cap) as u16;
        s.sized(&mut c.sni[..cap], &mut sni_len)?;
    }
    if let Some(usage) = f.certificate_usage {
        s.u8(usage)?;
        if *usage > 3 {
            return Err(PersistError);
        }
    }
    Ok(())
}
