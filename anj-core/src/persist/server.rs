//! The record of a Server object (/1) instance.
//!
//! Payload, little-endian: IID u16, SSID u16, Lifetime, Default Minimum Period, Default
//! Maximum Period and Disable Timeout (u32 each), the Communication Retry Count u16,
//! Retry Timer u32, Sequence Delay Timer u32 and Sequence Retry Count u16, the Binding
//! (`B` bytes, NUL-padded), then Notification Storing, Bootstrap on Registration
//! Failure, Mute Send (u8 0/1 each) and the Default Notification Mode u8.

use super::{Cursor, PersistError, Reader, Store};

/// Record tag: "anj-rs Server object", format version 1.
pub const MAGIC: &[u8] = b"ANJRS/SRV\x01";

/// The stored values of one Server object instance; `B` is the size of the Binding
/// buffer (the longest binding string and its NUL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerRecord<const B: usize> {
    pub iid: u16,
    pub ssid: u16,
    pub lifetime: u32,
    pub default_pmin: u32,
    pub default_pmax: u32,
    pub disable_timeout: u32,
    pub retry_count: u16,
    pub retry_timer: u32,
    pub seq_delay_timer: u32,
    pub seq_retry_count: u16,
    /// The Binding, NUL-padded.
    pub binding: [u8; B],
    pub notification_storing: bool,
    pub bootstrap_on_failure: bool,
    pub mute_send: bool,
    pub default_notification_mode: u8,
}

impl<const B: usize> ServerRecord<B> {
    /// Size of the payload.
    pub const LEN: usize = 2 + 2 + 4 * 4 + 2 + 4 + 4 + 2 + B + 4;

    /// The binding string: the bytes before the first NUL.
    pub fn binding(&self) -> &[u8] {
        let n = self.binding.iter().position(|&b| b == 0).unwrap_or(B);
        &self.binding[..n]
    }

    /// Writes the payload into `out` ([`Self::LEN`] bytes).
    pub fn encode(&self, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        c.put(&self.iid.to_le_bytes());
        c.put(&self.ssid.to_le_bytes());
        for v in [
            self.lifetime,
            self.default_pmin,
            self.default_pmax,
            self.disable_timeout,
        ] {
            c.put(&v.to_le_bytes());
        }
        c.put(&self.retry_count.to_le_bytes());
        c.put(&self.retry_timer.to_le_bytes());
        c.put(&self.seq_delay_timer.to_le_bytes());
        c.put(&self.seq_retry_count.to_le_bytes());
        c.put(&self.binding);
        c.put(&[
            self.notification_storing as u8,
            self.bootstrap_on_failure as u8,
            self.mute_send as u8,
            self.default_notification_mode,
        ]);
        debug_assert_eq!(c.pos(), Self::LEN);
    }

    /// The record a payload of [`Self::LEN`] bytes describes, if its form is right: an
    /// instance ID other than 65535, booleans 0 or 1, a Binding with a NUL and only NULs
    /// after it, a Default Notification Mode of 0 or 1. (Whether the values make a valid
    /// instance is the object's check.)
    pub fn decode(p: &[u8]) -> Option<Self> {
        if p.len() != Self::LEN {
            return None;
        }
        let mut c = Reader::new(p);
        let iid = c.u16();
        let ssid = c.u16();
        let (lifetime, default_pmin, default_pmax, disable_timeout) =
            (c.u32(), c.u32(), c.u32(), c.u32());
        let (retry_count, retry_timer, seq_delay_timer, seq_retry_count) =
            (c.u16(), c.u32(), c.u32(), c.u16());
        let binding: [u8; B] = c.take();
        let d = Self {
            iid,
            ssid,
            lifetime,
            default_pmin,
            default_pmax,
            disable_timeout,
            retry_count,
            retry_timer,
            seq_delay_timer,
            seq_retry_count,
            binding,
            notification_storing: c.bool()?,
            bootstrap_on_failure: c.bool()?,
            mute_send: c.bool()?,
            default_notification_mode: c.u8(),
        };
        let blen = binding.iter().position(|&b| b == 0)?;
        let ok = iid != u16::MAX
            && binding[blen..].iter().all(|&b| b == 0)
            && d.default_notification_mode <= 1;
        ok.then_some(d)
    }
}

/// Writes `rec` as a framed record.
pub fn store<S: Store + ?Sized, const B: usize>(
    s: &mut S,
    rec: &ServerRecord<B>,
) -> Result<(), PersistError> {
    let mut p = [0u8; 256];
    let p = p.get_mut(..ServerRecord::<B>::LEN).ok_or(PersistError)?;
    rec.encode(p);
    s.record(MAGIC, p)
}

/// Reads a record written by [`store`]; the stored values if the tag, the checksum and
/// the form of every field are right.
pub fn restore<S: Store + ?Sized, const B: usize>(
    s: &mut S,
) -> Result<ServerRecord<B>, PersistError> {
    let mut p = [0u8; 256];
    let p = p.get_mut(..ServerRecord::<B>::LEN).ok_or(PersistError)?;
    s.record(MAGIC, p)?;
    ServerRecord::decode(p).ok_or(PersistError)
}
