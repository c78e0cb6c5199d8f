//! The LwM2M NTP object (/3415, one instance) as a pointer-free type:
//!
//! | RID | resource                  | type   | access |
//! |-----|---------------------------|--------|--------|
//! | 1   | NTP server address        | string | RW     |
//! | 2   | Backup NTP server address | string | RW     |
//! | 3   | NTP period (hours)        | int    | RW     |
//! | 4   | Last time sync (hours ago)| int    | R      |
//! | 5   | Time sync error           | bool   | R      |
//!
//! [`NtpObject`] holds the resources, the copy a transaction rolls back to, and the
//! [`Sntp`] state machine. Server addresses may name a port (`host:port`,
//! `[v6]:port`); without one, port 123 is used.

use super::{split_host_port, Event, NtpIo, Sntp};
use crate::config::NTP_SERVER_ADDR_MAX_LEN;
use crate::dm::{DmError, DmResult};
use crate::io::value::Value;
use crate::time::{Duration, Instant, SEC};

/// The object ID.
pub const OID: u16 = 3415;

/// Resource IDs of /3415/0.
pub mod rid {
    pub const SERVER: u16 = 1;
    pub const BACKUP: u16 = 2;
    pub const PERIOD: u16 = 3;
    pub const LAST_SYNC: u16 = 4;
    pub const SYNC_ERROR: u16 = 5;
}

/// Size of an address buffer (`ANJ_NTP_SERVER_ADDR_MAX_LEN`, with the NUL).
pub const ADDR_LEN: usize = NTP_SERVER_ADDR_MAX_LEN;

/// The text of a NUL-terminated buffer (empty if it is not UTF-8).
fn text_of(b: &[u8]) -> &str {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(&b[..n]).unwrap_or("")
}

/// The writable resources of /3415/0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NtpResources {
    /// /3415/0/1, NUL-terminated.
    pub server: [u8; ADDR_LEN],
    /// /3415/0/2, NUL-terminated (empty: none).
    pub backup: [u8; ADDR_LEN],
    /// /3415/0/3 (0: no periodic synchronization).
    pub period_hours: u32,
}

impl NtpResources {
    /// Resources with the given addresses (`backup` empty: none); `None` if an address
    /// does not fit its buffer with its NUL. (Whether they are valid is
    /// [`Self::addresses_valid`].)
    pub fn new(server: &[u8], backup: &[u8], period_hours: u32) -> Option<Self> {
        let mut r = Self {
            server: [0; ADDR_LEN],
            backup: [0; ADDR_LEN],
            period_hours,
        };
        for (src, dst) in [(server, &mut r.server), (backup, &mut r.backup)] {
            if src.len() >= ADDR_LEN {
                return None;
            }
            dst[..src.len()].copy_from_slice(src);
        }
        Some(r)
    }

    pub fn server(&self) -> &str {
        text_of(&self.server)
    }

    pub fn backup(&self) -> &str {
        text_of(&self.backup)
    }

    /// The primary address must be a usable, non-empty address; the backup empty or
    /// usable. Both are NUL-terminated UTF-8.
    pub fn addresses_valid(&self) -> bool {
        let ok = |b: &[u8]| {
            b.contains(&0) && {
                let s = text_of(b);
                s.len() == b.iter().position(|&c| c == 0).unwrap_or(0)
                    && (s.is_empty() || split_host_port(s).is_some())
            }
        };
        ok(&self.server) && ok(&self.backup) && self.server[0] != 0
    }
}

/// The NTP object: its resources, the copy a failed transaction goes back to, and the
/// synchronization state machine.
#[derive(Clone, Copy, Debug)]
pub struct NtpObject {
    res: NtpResources,
    cache: NtpResources,
    sntp: Sntp,
}

impl NtpObject {
    /// An object with `res` (which must pass [`NtpResources::addresses_valid`]), whose
    /// period starts at `now`; `attempts` per server (0: 1), `timeout` for each answer
    /// (0 or less: the default).
    pub fn new(res: NtpResources, now: Instant, attempts: u16, timeout: Duration) -> Option<Self> {
        res.addresses_valid().then_some(Self {
            res,
            cache: res,
            sntp: Sntp::new(now, attempts, timeout),
        })
    }

    pub fn resources(&self) -> &NtpResources {
        &self.res
    }

    pub fn sntp(&self) -> &Sntp {
        &self.sntp
    }

    /// Replaces the resources (a restore from persistence): `res` must pass
    /// [`NtpResources::addresses_valid`], else nothing changes.
    pub fn set_resources(&mut self, res: NtpResources) -> bool {
        if !res.addresses_valid() {
            return false;
        }
        self.res = res;
        self.cache = res;
        true
    }

    /// Reads resource `rid` at `now`.
    pub fn read(&self, rid: u16, now: Instant) -> DmResult<Value<'_>> {
        Ok(match rid {
            rid::SERVER => Value::String(self.res.server()),
            rid::BACKUP => Value::String(self.res.backup()),
            rid::PERIOD => Value::Int(self.res.period_hours.into()),
            rid::LAST_SYNC => Value::Int((now - self.sntp.last_success) / (3600 * SEC)),
            rid::SYNC_ERROR => Value::Bool(self.sntp.sync_error),
            _ => return Err(DmError::NOT_FOUND),
        })
    }

    /// Writes the NTP period (/3415/0/3): 0 to 2^32-1 hours.
    pub fn write_period(&mut self, hours: i64) -> DmResult<()> {
        self.res.period_hours = u32::try_from(hours).map_err(|_| DmError::BAD_REQUEST)?;
        Ok(())
    }

    /// The buffer of a string resource (/3415/0/1 or /3415/0/2), for a write that may
    /// come in chunks; [`Self::transaction_validate`] checks what was written.
    pub fn address_buf(&mut self, rid: u16) -> DmResult<&mut [u8; ADDR_LEN]> {
        match rid {
            rid::SERVER => Ok(&mut self.res.server),
            rid::BACKUP => Ok(&mut self.res.backup),
            rid::PERIOD => Err(DmError::BAD_REQUEST),
            _ => Err(DmError::NOT_FOUND),
        }
    }

    /// Writes a whole value to resource `rid`.
    pub fn write(&mut self, rid: u16, v: &Value<'_>) -> DmResult<()> {
        match (rid, v) {
            (rid::PERIOD, Value::Int(h)) => self.write_period(*h),
            (rid::SERVER | rid::BACKUP, Value::String(s)) => {
                let buf = self.address_buf(rid)?;
                if s.len() >= ADDR_LEN {
                    return Err(DmError::BAD_REQUEST);
                }
                *buf = [0; ADDR_LEN];
                buf[..s.len()].copy_from_slice(s.as_bytes());
                Ok(())
            }
            (rid::SERVER | rid::BACKUP | rid::PERIOD, _) => Err(DmError::BAD_REQUEST),
            _ => Err(DmError::NOT_FOUND),
        }
    }

    /// Starts a transaction: remembers the resources.
    pub fn transaction_begin(&mut self) {
        self.cache = self.res;
    }

    /// Whether the resources written in the transaction are valid.
    pub fn transaction_validate(&self) -> DmResult<()> {
        if self.res.addresses_valid() {
            Ok(())
        } else {
            Err(DmError::BAD_REQUEST)
        }
    }

    /// Ends a transaction; a failed one puts the resources back. Returns whether the
    /// object was updated (the application may store it).
    pub fn transaction_end(&mut self, success: bool) -> bool {
        if !success {
            self.res = self.cache;
        }
        success
    }

    /// Moves the synchronization forward at `now`; the event to report, if any.
    pub fn step(&mut self, now: Instant, io: &mut impl NtpIo) -> Option<Event> {
        let res = &self.res;
        self.sntp
            .step(now, res.period_hours, res.server(), res.backup(), io)
    }

    /// Starts a synchronization; `None` if one is under way.
    pub fn start(&mut self) -> Option<Event> {
        self.sntp.start()
    }

    /// Abandons the synchronization under way (the next steps report the failure).
    pub fn terminate(&mut self) {
        self.sntp.terminate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(server: &str, backup: &str) -> Option<NtpResources> {
        NtpResources::new(server.as_bytes(), backup.as_bytes(), 24)
    }

    #[test]
    fn addresses_are_checked() {
        assert!(res("127.0.0.1:9", "time.example")
            .unwrap()
            .addresses_valid());
        assert!(res("[::1]:123", "").unwrap().addresses_valid());
        assert!(!res("", "time.example").unwrap().addresses_valid());
        assert!(res(&"a".repeat(ADDR_LEN), "").is_none());
        let mut r = res("host", "").unwrap();
        r.server = [b'x'; ADDR_LEN];
        assert!(!r.addresses_valid(), "no NUL");
        let mut r = res("host", "").unwrap();
        r.backup[0] = 0xff;
        assert!(!r.addresses_valid(), "not UTF-8");
    }

    #[test]
    fn reads_writes_and_rollback() {
        let mut o = NtpObject::new(res("a.example", "").unwrap(), 0, 0, 0).unwrap();
        assert!(NtpObject::new(res("", "").unwrap(), 0, 0, 0).is_none());
        assert_eq!(o.read(rid::SERVER, 0), Ok(Value::String("a.example")));
        assert_eq!(o.read(rid::PERIOD, 0), Ok(Value::Int(24)));
        assert_eq!(o.read(rid::LAST_SYNC, 7200 * SEC), Ok(Value::Int(2)));
        assert_eq!(o.read(rid::SYNC_ERROR, 0), Ok(Value::Bool(false)));
        assert_eq!(o.read(9, 0), Err(DmError::NOT_FOUND));

        o.transaction_begin();
        assert_eq!(o.write_period(-1), Err(DmError::BAD_REQUEST));
        assert_eq!(o.write_period(1 << 32), Err(DmError::BAD_REQUEST));
        o.write(rid::PERIOD, &Value::Int(5)).unwrap();
        o.write(rid::SERVER, &Value::String("")).unwrap();
        assert_eq!(o.transaction_validate(), Err(DmError::BAD_REQUEST));
        assert!(!o.transaction_end(false));
        assert_eq!(o.resources().server(), "a.example");
        assert_eq!(o.resources().period_hours, 24);

        o.transaction_begin();
        o.write(rid::BACKUP, &Value::String("b.example:1234"))
            .unwrap();
        assert_eq!(
            o.write(rid::SERVER, &Value::String(&"x".repeat(ADDR_LEN))),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(
            o.write(rid::LAST_SYNC, &Value::Int(1)),
            Err(DmError::NOT_FOUND)
        );
        assert_eq!(o.transaction_validate(), Ok(()));
        assert!(o.transaction_end(true));
        assert_eq!(o.resources().backup(), "b.example:1234");

        assert!(o.start().is_some());
        assert!(o.start().is_none(), "already under way");
        o.terminate();
    }
}
