//! The [`Object`] trait: what the data model engine needs from an LwM2M Object.
//!
//! An object describes itself (its ID, version, instances, and the resources of each
//! instance) and carries out the operations the server asks for (read, write, execute,
//! create, delete) inside transactions. The engine in [`crate::dm::ops`] does the rest:
//! it resolves paths, checks the access rules of LwM2M 1.1 TS Core §6.3, and encodes or
//! decodes the payloads.
//!
//! Everything is addressed by ID: instances by IID, resources by `(iid, rid)`, resource
//! instances by `(iid, rid, riid)`. The listing methods take an *index* so that an object
//! can describe its tables without allocating and without handing out references the
//! engine would have to keep: [`Object::instance_id`] gives the IID at a position of the
//! instance list, [`Object::resource`] the resource at a position of an instance's
//! resource list, and so on. The engine never holds a description across a call that may
//! change the object (a write, a create, a delete): it asks again.
//!
//! # Example
//!
//! ```
//! use anj_core::dm::object::{Object, ResKind, Resource, WriteValue};
//! use anj_core::dm::{DmError, DmResult};
//! use anj_core::io::value::{DataType, Value};
//!
//! /// A Temperature object (/3303) with one instance and its Sensor Value (5700).
//! struct Temperature {
//!     celsius: f64,
//! }
//!
//! const SENSOR_VALUE: Resource = Resource::new(5700, ResKind::R, DataType::Double);
//!
//! impl Object for Temperature {
//!     fn oid(&self) -> u16 {
//!         3303
//!     }
//!     fn instance_id(&self, index: usize) -> Option<u16> {
//!         (index == 0).then_some(0)
//!     }
//!     fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
//!         (iid == 0 && index == 0).then_some(SENSOR_VALUE)
//!     }
//!     fn read(&mut self, _iid: u16, _res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
//!         Ok(Value::Double(self.celsius))
//!     }
//! }
//! ```

use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Path, Value};

/// How a resource may be accessed, and whether it has resource instances (the `R`, `W`,
/// `E` and `M` of the LwM2M object definitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResKind {
    /// Readable, single-instance.
    R,
    /// Readable, multi-instance.
    RM,
    /// Writable, single-instance.
    W,
    /// Writable, multi-instance.
    WM,
    /// Readable and writable, single-instance.
    RW,
    /// Readable and writable, multi-instance.
    RWM,
    /// Executable.
    E,
}

impl ResKind {
    /// Whether Read (and Observe, Send) may return the resource.
    pub const fn readable(self) -> bool {
        matches!(self, ResKind::R | ResKind::RM | ResKind::RW | ResKind::RWM)
    }

    /// Whether the server may write the resource (a Bootstrap-Write may write any resource
    /// that is not executable).
    pub const fn writable(self) -> bool {
        matches!(self, ResKind::W | ResKind::WM | ResKind::RW | ResKind::RWM)
    }

    /// Whether the resource has resource instances.
    pub const fn multiple(self) -> bool {
        matches!(self, ResKind::RM | ResKind::WM | ResKind::RWM)
    }

    /// Whether the resource is executable.
    pub const fn executable(self) -> bool {
        matches!(self, ResKind::E)
    }
}

/// The description of one resource of an object instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// The resource ID.
    pub rid: u16,
    /// Its operations, and whether it is multi-instance.
    pub kind: ResKind,
    /// The type of its values ([`DataType::Null`] for an executable resource).
    pub data_type: DataType,
    /// Its value is streamed ([`Object::read_external`]) instead of read whole.
    pub external: bool,
    /// For a multi-instance resource: how many resource instances it can hold (a Write
    /// that would create one more fails with 5.00).
    pub max_instances: u16,
}

impl Resource {
    /// A resource with these ID, kind and type; not external, and with room for
    /// `u16::MAX` resource instances if it is multi-instance.
    pub const fn new(rid: u16, kind: ResKind, data_type: DataType) -> Resource {
        Resource {
            rid,
            kind,
            data_type,
            external: false,
            max_instances: u16::MAX,
        }
    }
}

/// A value the server writes.
///
/// A String or Opaque value that arrives in several blocks (RFC 7959 Block1) is written
/// chunk by chunk: each chunk with its offset, and the full length once it is known
/// (with the last chunk). A chunk of a String is raw bytes: it may end in the middle of
/// a UTF-8 sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteValue<'a> {
    /// A whole value, of the resource's type.
    Whole(Value<'a>),
    /// One chunk of a String (`text`) or Opaque value.
    Chunk {
        /// A String chunk (else Opaque).
        text: bool,
        /// The chunk's bytes.
        data: &'a [u8],
        /// Where the chunk starts in the value.
        offset: usize,
        /// The length of the whole value, when known (at the last chunk).
        full_len: Option<usize>,
    },
}

/// An LwM2M Object as the data model engine sees it.
///
/// Only [`Object::oid`], [`Object::instance_id`], [`Object::resource`] and
/// [`Object::read`] are required; every other operation has a default that reports it
/// as unsupported (4.05 Method Not Allowed), or, for the transaction hooks, succeeds
/// without doing anything.
///
/// Errors are [`DmError`]s: the CoAP code the server gets. An error from
/// [`Object::transaction_validate`] that is 5.00 is answered 4.00 (the values the
/// request gave are what is invalid).
///
/// Object methods are called only from within the client's processing; the engine
/// never calls two of them at the same time.
pub trait Object {
    /// The Object ID.
    fn oid(&self) -> u16;

    /// The object version, such as `"1.1"`, reported in the registration and in
    /// Discover; `None` for the version the object's specification gives by default.
    fn version(&self) -> Option<&str> {
        None
    }

    /// The IID of the instance at position `index` of the instance list (ascending
    /// IIDs, no gaps in positions), `None` past the end.
    fn instance_id(&self, index: usize) -> Option<u16>;

    /// How many instances the object can hold: a Create beyond it fails with 5.00.
    fn max_instances(&self) -> u16 {
        u16::MAX
    }

    /// The resource at position `index` of instance `iid`'s resource list (ascending
    /// RIDs), `None` past the end or for an unknown instance.
    fn resource(&self, iid: u16, index: usize) -> Option<Resource>;

    /// The RIID at position `index` of multi-instance resource `rid` of instance `iid`
    /// (ascending), `None` past the end. The default has no resource instances.
    fn resource_instance_id(&self, iid: u16, rid: u16, index: usize) -> Option<u16> {
        let _ = (iid, rid, index);
        None
    }

    /// Reads the value of resource `res` (of instance `riid` if it is multi-instance).
    ///
    /// The engine asks only for existing, readable resources, and passes the description
    /// the object gave it ([`Object::resource`], [`Object::find_resource`]) during the
    /// same operation, so the object need not look the resource up again. Bytes and
    /// strings may borrow from the object: the engine is done with them before its next
    /// call.
    fn read(&mut self, iid: u16, res: &Resource, riid: Option<u16>) -> DmResult<Value<'_>>;

    /// The value at `path` (a resource or resource instance of this object) as the client
    /// itself reads it ([`crate::dm::ops::read_value`]: 4.00 above the resource level,
    /// 4.04 for what does not exist, 4.05 for an executable resource; an external value
    /// reads empty). Objects with a faster way to find the resource may override it.
    fn read_path(&mut self, path: &Path) -> DmResult<Value<'_>> {
        crate::dm::ops::read_value(self, path)
    }

    /// [`crate::dm::ops::read_each`] on this object. Provided, and not meant to be
    /// overridden: a default method is compiled for each object type, so the walk calls
    /// this object's methods directly even when the client holds it as `dyn Object`.
    fn read_each_at(
        &mut self,
        path: &Path,
        enc: &mut crate::io::format::AnyEncoder<'_>,
    ) -> DmResult<()> {
        crate::dm::ops::read_each(self, path, enc)
    }

    /// [`crate::dm::ops::count_readable`] on this object (provided, as
    /// [`Object::read_each_at`]).
    fn count_readable_at(&mut self, path: &Path) -> DmResult<usize> {
        crate::dm::ops::count_readable(self, path)
    }

    /// [`crate::dm::ops::write_entry`] on this object (provided, as
    /// [`Object::read_each_at`]).
    fn write_entry_at(
        &mut self,
        base: &Path,
        path: &Path,
        value: &WriteValue<'_>,
        kind: crate::dm::ops::WriteKind,
    ) -> DmResult<()> {
        crate::dm::ops::write_entry(self, base, path, value, kind)
    }

    /// [`crate::dm::ops::discover_each`] on this object (provided, as
    /// [`Object::read_each_at`]).
    fn discover_at(
        &self,
        path: &Path,
        depth: Option<u8>,
        f: &mut dyn FnMut(crate::dm::ops::DiscoverItem<'_>) -> DmResult<()>,
    ) -> DmResult<()> {
        crate::dm::ops::discover_each(self, path, depth, f)
    }

    /// The source of an external resource's value (one whose [`Resource::external`] is
    /// set), read in pieces while it is encoded.
    #[cfg(feature = "external-data")]
    fn read_external(
        &mut self,
        iid: u16,
        rid: u16,
        riid: Option<u16>,
    ) -> DmResult<&mut crate::io::value::Source<'static>> {
        let _ = (iid, rid, riid);
        Err(DmError::INTERNAL)
    }

    /// Writes resource `rid` (resource instance `riid` of a multi-instance one). The
    /// engine has checked that the resource exists, may be written, and that a whole
    /// value has its type; it has created a missing resource instance first.
    fn write(
        &mut self,
        iid: u16,
        rid: u16,
        riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        let _ = (iid, rid, riid, value);
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Executes resource `rid` with the Execute payload `arg` (already checked against
    /// the argument syntax of LwM2M 1.1 TS Core §5.4.1; empty when there is none).
    fn execute(&mut self, iid: u16, rid: u16, arg: &[u8]) -> DmResult<()> {
        let _ = (iid, rid, arg);
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Whether [`Object::create_instance`] is implemented: when it is not, a Create is
    /// answered 4.05 before any transaction begins.
    fn can_create_instances(&self) -> bool {
        false
    }

    /// Creates instance `iid` (unused, below 65535) with its default values; it must be
    /// listed afterwards.
    fn create_instance(&mut self, iid: u16) -> DmResult<()> {
        let _ = iid;
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Whether [`Object::delete_instance`] is implemented.
    fn can_delete_instances(&self) -> bool {
        false
    }

    /// Deletes instance `iid`.
    fn delete_instance(&mut self, iid: u16) -> DmResult<()> {
        let _ = iid;
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Puts instance `iid` back to its defaults: the first step of a Write-Replace of it
    /// (the values the request gives follow).
    fn reset_instance(&mut self, iid: u16) -> DmResult<()> {
        let _ = iid;
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Creates resource instance `riid` of multi-instance resource `rid` (a Write names
    /// it and it does not exist yet).
    fn create_resource_instance(&mut self, iid: u16, rid: u16, riid: u16) -> DmResult<()> {
        let _ = (iid, rid, riid);
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Deletes resource instance `riid` of multi-instance resource `rid`.
    fn delete_resource_instance(&mut self, iid: u16, rid: u16, riid: u16) -> DmResult<()> {
        let _ = (iid, rid, riid);
        Err(DmError::METHOD_NOT_ALLOWED)
    }

    /// Begins a transaction: the operations that follow, until
    /// [`Object::transaction_end`], are one change of the object.
    fn transaction_begin(&mut self) -> DmResult<()> {
        Ok(())
    }

    /// Checks, before the end of a transaction that has succeeded so far, that the
    /// object is consistent.
    fn transaction_validate(&mut self) -> DmResult<()> {
        Ok(())
    }

    /// Ends the transaction: `success` false means that the changes made since
    /// [`Object::transaction_begin`] are to be undone.
    fn transaction_end(&mut self, success: bool) {
        let _ = success;
    }

    /* ------------------------------ provided lookups ------------------------------ */

    /// Whether instance `iid` exists.
    fn has_instance(&self, iid: u16) -> bool {
        (0..).map_while(|i| self.instance_id(i)).any(|x| x == iid)
    }

    /// How many instances the object has.
    fn instance_count(&self) -> usize {
        (0..).map_while(|i| self.instance_id(i)).count()
    }

    /// The description of resource `rid` of instance `iid`.
    fn find_resource(&self, iid: u16, rid: u16) -> Option<Resource> {
        (0..)
            .map_while(|i| self.resource(iid, i))
            .find(|r| r.rid == rid)
    }

    /// How many resource instances resource `rid` of instance `iid` has.
    fn resource_instance_count(&self, iid: u16, rid: u16) -> usize {
        (0..)
            .map_while(|i| self.resource_instance_id(iid, rid, i))
            .count()
    }

    /// Whether resource instance `riid` of resource `rid` of instance `iid` exists.
    fn has_resource_instance(&self, iid: u16, rid: u16, riid: u16) -> bool {
        (0..)
            .map_while(|i| self.resource_instance_id(iid, rid, i))
            .any(|x| x == riid)
    }
}
