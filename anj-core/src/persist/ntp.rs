//! The record of the NTP object (/3415/0).
//!
//! Payload, little-endian: NTP period u32, the address buffer size u16 (a record of a
//! build with another `ANJ_NTP_SERVER_ADDR_MAX_LEN` is refused), then the server and the
//! backup address, each in a buffer of that size, NUL-padded.

use super::{PersistError, Store};
use crate::ntp::object::{NtpResources, ADDR_LEN};

/// Record tag: "anj-rs NTP object", format version 1.
pub const MAGIC: &[u8] = b"ANJRS/NTP\x01";
/// Size of the payload.
pub const LEN: usize = 4 + 2 + 2 * ADDR_LEN;

/// The payload of `r`.
pub fn encode(r: &NtpResources) -> [u8; LEN] {
    let mut p = [0u8; LEN];
    p[..4].copy_from_slice(&r.period_hours.to_le_bytes());
    p[4..6].copy_from_slice(&(ADDR_LEN as u16).to_le_bytes());
    // Bytes after the terminator are not part of the value: store zeros.
    for (i, s) in [r.server(), r.backup()].into_iter().enumerate() {
        p[6 + i * ADDR_LEN..][..s.len()].copy_from_slice(s.as_bytes());
    }
    p
}

/// The resources a payload describes, if the buffer size matches, both addresses are
/// NUL-padded and they pass [`NtpResources::addresses_valid`].
pub fn decode(p: &[u8; LEN]) -> Option<NtpResources> {
    if u16::from_le_bytes([p[4], p[5]]) as usize != ADDR_LEN {
        return None;
    }
    let mut r = NtpResources {
        server: [0; ADDR_LEN],
        backup: [0; ADDR_LEN],
        period_hours: u32::from_le_bytes([p[0], p[1], p[2], p[3]]),
    };
    r.server.copy_from_slice(&p[6..6 + ADDR_LEN]);
    r.backup.copy_from_slice(&p[6 + ADDR_LEN..]);
    let padded = |b: &[u8]| {
        b.iter()
            .position(|&c| c == 0)
            .is_some_and(|n| b[n..].iter().all(|&c| c == 0))
    };
    (padded(&r.server) && padded(&r.backup) && r.addresses_valid()).then_some(r)
}

/// Writes `r` as a framed record.
pub fn store<S: Store + ?Sized>(s: &mut S, r: &NtpResources) -> Result<(), PersistError> {
    s.record(MAGIC, &mut encode(r))
}

/// Reads a record written by [`store`]; the resources if everything checks out.
pub fn restore<S: Store + ?Sized>(s: &mut S) -> Result<NtpResources, PersistError> {
    let mut p = [0u8; LEN];
    s.record(MAGIC, &mut p)?;
    decode(&p).ok_or(PersistError)
}
