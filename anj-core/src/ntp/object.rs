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
//!
//! It implements [`Object`], so a Rust application lends it to the client's step with
//! its other objects, and calls [`NtpObject::step`] with the same clock. Through
//! [`Object`], resource 4 is read against the time of the last [`NtpObject::step`] (or
//! [`NtpObject::set_time`]); a transaction that succeeds leaves a flag for the owner to
//! take ([`NtpObject::take_updated`]) and store the object.

use super::{split_host_port, Event, NtpIo, Sntp};
use crate::config::NTP_SERVER_ADDR_MAX_LEN;
use crate::dm::object::{Object, ResKind, Resource, WriteValue};
use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Value};
use crate::time::{Duration, Instant, SEC};

/// The object ID.
pub const OID: u16 = 3415;
/// The object version the client reports.
pub const VERSION: &str = "2.0";
/// The IID of the object's only instance.
pub const IID: u16 = 0;

/// Resource IDs of /3415/0.
pub mod rid {
    pub const SERVER: u16 = 1;
    pub const BACKUP: u16 = 2;
    pub const PERIOD: u16 = 3;
    pub const LAST_SYNC: u16 = 4;
    pub const SYNC_ERROR: u16 = 5;
}

/// The resources of /3415/0, by ascending RID.
pub const RESOURCES: [Resource; 5] = [
    Resource::new(rid::SERVER, ResKind::RW, DataType::String),
    Resource::new(rid::BACKUP, ResKind::RW, DataType::String),
    Resource::new(rid::PERIOD, ResKind::RW, DataType::Int),
    Resource::new(rid::LAST_SYNC, ResKind::R, DataType::Int),
    Resource::new(rid::SYNC_ERROR, ResKind::R, DataType::Bool),
];

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
    /// The time reads through [`Object`] use: the last `now` the object was given.
    now: Instant,
    /// A transaction through [`Object`] succeeded since the last
    /// [`NtpObject::take_updated`].
    updated: bool,
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
            now,
            updated: false,
        })
    }

    /// Sets the time reads through [`Object`] use (resource 4, hours since the last
    /// synchronization); [`NtpObject::step`] sets it too.
    pub fn set_time(&mut self, now: Instant) {
        self.now = now;
    }

    /// Whether a transaction through [`Object`] succeeded (the server changed the
    /// object: time to store it) since the last call.
    pub fn take_updated(&mut self) -> bool {
        core::mem::take(&mut self.updated)
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

    /// Writes one chunk of a string resource (/3415/0/1 or /3415/0/2) at `offset`: the
    /// chunk must fit the buffer with a terminator after it, which is put there when the
    /// chunk ends at `full_len`. [`Self::transaction_validate`] checks what was written.
    pub fn write_address_chunk(
        &mut self,
        rid: u16,
        data: &[u8],
        offset: usize,
        full_len: Option<usize>,
    ) -> DmResult<()> {
        let buf = self.address_buf(rid)?;
        let end = offset
            .checked_add(data.len())
            .filter(|&end| end < ADDR_LEN)
            .ok_or(DmError::BAD_REQUEST)?;
        buf[offset..end].copy_from_slice(data);
        if end == full_len.unwrap_or(0) {
            buf[end] = 0;
        }
        Ok(())
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
        self.now = now;
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

impl Object for NtpObject {
    fn oid(&self) -> u16 {
        OID
    }

    fn version(&self) -> Option<&str> {
        Some(VERSION)
    }

    fn instance_id(&self, index: usize) -> Option<u16> {
        (index == 0).then_some(IID)
    }

    fn max_instances(&self) -> u16 {
        1
    }

    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        if iid != IID {
            return None;
        }
        RESOURCES.get(index).copied()
    }

    fn read(&mut self, _iid: u16, res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
        NtpObject::read(self, res.rid, self.now)
    }

    fn write(
        &mut self,
        _iid: u16,
        rid: u16,
        _riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        match *value {
            WriteValue::Whole(ref v) => NtpObject::write(self, rid, v),
            WriteValue::Chunk {
                text: true,
                data,
                offset,
                full_len,
            } => self.write_address_chunk(rid, data, offset, full_len),
            WriteValue::Chunk { text: false, .. } => Err(DmError::BAD_REQUEST),
        }
    }

    fn transaction_begin(&mut self) -> DmResult<()> {
        NtpObject::transaction_begin(self);
        Ok(())
    }

    fn transaction_validate(&mut self) -> DmResult<()> {
        NtpObject::transaction_validate(self)
    }

    fn transaction_end(&mut self, success: bool) {
        if NtpObject::transaction_end(self, success) {
            self.updated = true;
        }
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

    /* ----------------------------- through the Object trait ----------------------------- */

    use crate::dm::model::{self, TxnSet};
    use crate::dm::ops::{self, WriteKind};
    use crate::io::format::{AnyEncoder, SENML_JSON};
    use crate::io::value::{Encoder, Path};
    use crate::link::{NetStatus, Recv};

    const HOUR: Instant = 3600 * SEC;

    fn object() -> NtpObject {
        NtpObject::new(res("a.example", "").unwrap(), 0, 0, 0).unwrap()
    }

    fn path(rid: u16) -> Path {
        Path::new(&[OID, IID, rid])
    }

    /// A Write-Partial-Update of one resource, outside a transaction.
    fn write(o: &mut NtpObject, rid: u16, v: Value<'_>) -> DmResult<()> {
        let p = path(rid);
        ops::write_entry(o, &p, &p, &WriteValue::Whole(v), WriteKind::Partial)
    }

    fn chunk(
        o: &mut NtpObject,
        rid: u16,
        data: &[u8],
        offset: usize,
        full_len: Option<usize>,
    ) -> DmResult<()> {
        let p = path(rid);
        let v = WriteValue::Chunk {
            text: true,
            data,
            offset,
            full_len,
        };
        ops::write_entry(o, &p, &p, &v, WriteKind::Replace)
    }

    fn read_json(o: &mut NtpObject, p: &Path) -> DmResult<serde_json::Value> {
        let mut buf = [0u8; 512];
        let mut enc = AnyEncoder::new(SENML_JSON, p, &mut buf).map_err(ops::io_error)?;
        ops::read_each(o, p, &mut enc)?;
        let n = enc.finish().map_err(ops::io_error)?;
        Ok(serde_json::from_slice(&buf[..n]).unwrap())
    }

    /// Steps without a network: only the first step (the initial event) is taken.
    struct NoNet;

    impl NtpIo for NoNet {
        fn connect(&mut self, _: &str, _: &str) -> NetStatus {
            NetStatus::Failed(-1)
        }
        fn send(&mut self, _: &[u8]) -> NetStatus {
            NetStatus::Failed(-1)
        }
        fn recv(&mut self, _: &mut [u8]) -> Recv {
            Recv::Nothing
        }
        fn close(&mut self) -> NetStatus {
            NetStatus::Done
        }
        fn random(&mut self, _: &mut [u8]) -> bool {
            false
        }
    }

    #[test]
    fn describes_one_instance_with_five_resources() {
        let o = object();
        assert_eq!((o.oid(), o.version()), (OID, Some("2.0")));
        assert_eq!((o.instance_count(), o.max_instances()), (1, 1));
        assert!(o.has_instance(0) && !o.has_instance(1));
        assert!(!o.can_create_instances() && !o.can_delete_instances());
        let table: std::vec::Vec<(u16, ResKind, DataType)> = (0..)
            .map_while(|i| o.resource(IID, i))
            .map(|r| (r.rid, r.kind, r.data_type))
            .collect();
        assert_eq!(
            table,
            [
                (1, ResKind::RW, DataType::String),
                (2, ResKind::RW, DataType::String),
                (3, ResKind::RW, DataType::Int),
                (4, ResKind::R, DataType::Int),
                (5, ResKind::R, DataType::Bool),
            ]
        );
        assert_eq!(o.resource(1, 0), None);
    }

    #[test]
    fn read_each_encodes_every_resource_at_the_objects_time() {
        let mut o = object();
        o.set_time(3 * HOUR + 59 * 60 * SEC);
        let v = read_json(&mut o, &Path::new(&[OID, IID])).unwrap();
        let recs = v.as_array().unwrap();
        assert_eq!(recs.len(), 5, "{v}");
        assert_eq!(recs[0]["bn"], "/3415/0");
        let names: std::vec::Vec<&str> = recs.iter().map(|r| r["n"].as_str().unwrap()).collect();
        assert_eq!(names, ["/1", "/2", "/3", "/4", "/5"]);
        assert_eq!(recs[0]["vs"], "a.example");
        assert_eq!(recs[1]["vs"], "");
        assert_eq!(recs[2]["v"], 24);
        assert_eq!(
            recs[3]["v"], 3,
            "whole hours since the last synchronization"
        );
        assert_eq!(recs[4]["vb"], false);
        assert_eq!(ops::count_readable(&mut o, &Path::new(&[OID])), Ok(5));

        // A step moves the clock the reads use.
        assert_eq!(o.step(7 * HOUR, &mut NoNet), Some(Event::Initial));
        assert_eq!(
            ops::read_value(&mut o, &path(rid::LAST_SYNC)),
            Ok(Value::Int(7))
        );
        let one = read_json(&mut o, &path(rid::SERVER)).unwrap();
        assert_eq!(one[0]["vs"], "a.example");
        // What the engine checks before a Read: no instance 1, no resource 6.
        assert_eq!(
            ops::check_exists(&o, &Path::new(&[OID, 1])),
            Err(DmError::NOT_FOUND)
        );
        assert_eq!(ops::check_exists(&o, &path(6)), Err(DmError::NOT_FOUND));
        assert_eq!(ops::read_value(&mut o, &path(6)), Err(DmError::NOT_FOUND));
    }

    #[test]
    fn writes_check_ranges_types_and_access() {
        let mut o = object();
        write(&mut o, rid::PERIOD, Value::Int(0)).unwrap();
        write(&mut o, rid::PERIOD, Value::Int(u32::MAX.into())).unwrap();
        assert_eq!(o.resources().period_hours, u32::MAX);
        assert_eq!(
            write(&mut o, rid::PERIOD, Value::Int(-1)),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(
            write(&mut o, rid::PERIOD, Value::Int(1 << 32)),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(o.resources().period_hours, u32::MAX);
        assert_eq!(
            write(&mut o, rid::PERIOD, Value::String("1")),
            Err(DmError::BAD_REQUEST)
        );
        write(&mut o, rid::SERVER, Value::String("[::1]:1234")).unwrap();
        write(&mut o, rid::BACKUP, Value::String("b.example")).unwrap();
        assert_eq!(
            (o.resources().server(), o.resources().backup()),
            ("[::1]:1234", "b.example")
        );
        let longest = "x".repeat(ADDR_LEN - 1);
        write(&mut o, rid::BACKUP, Value::String(&longest)).unwrap();
        assert_eq!(o.resources().backup(), longest);
        assert_eq!(
            write(&mut o, rid::SERVER, Value::String(&"x".repeat(ADDR_LEN))),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(o.resources().server(), "[::1]:1234");
        for r in [rid::LAST_SYNC, rid::SYNC_ERROR] {
            assert_eq!(
                write(&mut o, r, Value::Int(1)),
                Err(DmError::METHOD_NOT_ALLOWED)
            );
        }
        assert_eq!(write(&mut o, 9, Value::Int(1)), Err(DmError::NOT_FOUND));
        let other = Path::new(&[OID, 1, rid::PERIOD]);
        let one = WriteValue::Whole(Value::Int(1));
        assert_eq!(
            ops::write_entry(&mut o, &other, &other, &one, WriteKind::Partial),
            Err(DmError::NOT_FOUND)
        );
    }

    #[test]
    fn a_string_arrives_in_chunks_as_the_c_face_takes_it() {
        let mut o = object();
        chunk(&mut o, rid::SERVER, b"time.", 0, None).unwrap();
        chunk(&mut o, rid::SERVER, b"example:1", 5, Some(14)).unwrap();
        assert_eq!(o.resources().server(), "time.example:1");
        // One byte of the buffer is kept for the terminator.
        let big = [b'y'; ADDR_LEN];
        assert_eq!(
            chunk(&mut o, rid::BACKUP, &big[..ADDR_LEN - 4], 4, None),
            Err(DmError::BAD_REQUEST)
        );
        chunk(&mut o, rid::BACKUP, &big[..ADDR_LEN - 5], 4, None).unwrap();
        assert_eq!(
            chunk(&mut o, rid::BACKUP, b"x", usize::MAX, None),
            Err(DmError::BAD_REQUEST)
        );
        // A chunk that is not UTF-8 is taken; the transaction does not validate.
        chunk(&mut o, rid::SERVER, &[0xc3], 0, Some(1)).unwrap();
        assert_eq!(model::validate(&mut o), Err(DmError::BAD_REQUEST));
    }

    #[test]
    fn transactions_validate_and_roll_back() {
        let mut o = object();
        let base = Path::new(&[OID, IID]);
        let run = |o: &mut NtpObject, writes: &[(u16, Value<'_>)]| -> DmResult<()> {
            let mut arr: [&mut dyn Object; 1] = [o];
            let mut objs: &mut [&mut dyn Object] = &mut arr;
            let mut txn = TxnSet::default();
            txn.join(&mut objs, OID)?;
            let mut r = Ok(());
            for (rid, v) in writes {
                r = model::write_entry(&mut objs, OID, &base, &path(*rid), v, WriteKind::Partial);
                if r.is_err() {
                    break;
                }
            }
            txn.finish(&mut objs, r)
        };

        // An empty primary address does not validate: everything goes back.
        let bad = [
            (rid::PERIOD, Value::Int(5)),
            (rid::SERVER, Value::String("")),
        ];
        assert_eq!(run(&mut o, &bad), Err(DmError::BAD_REQUEST));
        assert_eq!(
            (o.resources().server(), o.resources().period_hours),
            ("a.example", 24)
        );
        assert!(!o.take_updated());

        // A failed write fails the whole request, and rolls back the writes before it.
        let failing = [
            (rid::BACKUP, Value::String("b.example")),
            (rid::PERIOD, Value::Int(-3)),
        ];
        assert_eq!(run(&mut o, &failing), Err(DmError::BAD_REQUEST));
        assert_eq!(o.resources().backup(), "");
        assert!(!o.take_updated());

        // A bad port is not a usable address either.
        let bad_port = [(rid::BACKUP, Value::String("b.example:"))];
        assert_eq!(run(&mut o, &bad_port), Err(DmError::BAD_REQUEST));
        assert_eq!(o.resources().backup(), "");

        let good = [
            (rid::SERVER, Value::String("time.example:123")),
            (rid::BACKUP, Value::String("[::1]")),
            (rid::PERIOD, Value::Int(1)),
        ];
        assert_eq!(run(&mut o, &good), Ok(()));
        assert_eq!(
            *o.resources(),
            NtpResources::new(b"time.example:123", b"[::1]", 1).unwrap()
        );
        assert!(o.take_updated(), "the owner is told to store the object");
        assert!(!o.take_updated(), "once");
    }
}
