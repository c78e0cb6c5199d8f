//! The data model: the registry of objects, and the Device Management operations over it
//! (LwM2M 1.1 TS Core §6.3).
//!
//! The operations themselves are `anj_core::dm::ops`, written against the core's
//! [`Object`] trait; the functions here run them on the object set the client is handed
//! ([`Objects`]), naming objects by OID. The registry still holds the application's
//! `anj_dm_obj_t` tables ([`ObjRef`]; the built-in Security, Server and Device objects
//! are objects of the same kind, see `crate::ffi::objects`); the C face hands them to the
//! client as a [`CObjects`], whose adapter ([`CObject`]) calls their handlers with the
//! client's `anj_t *`.

/// cbindgen:ignore
pub use anj_core::dm::attributes;
pub mod builtin;
/// cbindgen:ignore
#[cfg(feature = "default-fota-obj")]
pub use anj_core::objects::fw_update;

use crate::config::DM_MAX_OBJECTS_NUMBER;
pub use crate::ffi::dm::ObjRef;
pub use crate::ffi::dm_adapter::{
    read_resource, read_resource_raw, value_to_c, CObject, CObjects, ExtHold,
};
use crate::io::format::AnyEncoder;
use crate::io::value::{DataType, Path, Value};

pub use anj_core::dm::object::{ResKind, Resource};
pub use anj_core::dm::ops::{
    self, default_depth, io_error, is_protected, valid_execute_args, DiscoverItem, WriteKind,
};
pub use anj_core::dm::{DmError, DmResult, Object, Objects, WriteValue};

/// The ID that names no instance (`ANJ_ID_INVALID`).
const ID_INVALID: u16 = u16::MAX;

/// The registered objects, sorted by OID.
pub struct Registry {
    objs: [Option<ObjRef>; DM_MAX_OBJECTS_NUMBER],
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            objs: [None; DM_MAX_OBJECTS_NUMBER],
        }
    }
}

/// Errors of [`Registry::add`] / [`Registry::remove`].
#[derive(Debug, PartialEq, Eq)]
pub enum RegistryError {
    Full,
    Duplicate,
    NotFound,
    Invalid,
}

impl Registry {
    pub fn add(&mut self, obj: ObjRef) -> Result<(), RegistryError> {
        validate_object(obj)?;
        let oid = obj.oid();
        if self.find(oid).is_some() {
            return Err(RegistryError::Duplicate);
        }
        let count = self.count();
        if count == self.objs.len() {
            return Err(RegistryError::Full);
        }
        let pos = self.iter().position(|o| o.oid() > oid).unwrap_or(count);
        self.objs.copy_within(pos..count, pos + 1);
        self.objs[pos] = Some(obj);
        Ok(())
    }

    pub fn remove(&mut self, oid: u16) -> Result<ObjRef, RegistryError> {
        let count = self.count();
        let pos = self
            .iter()
            .position(|o| o.oid() == oid)
            .ok_or(RegistryError::NotFound)?;
        let obj = self.objs[pos].take().ok_or(RegistryError::NotFound)?;
        self.objs.copy_within(pos + 1..count, pos);
        self.objs[count - 1] = None;
        Ok(obj)
    }

    pub fn count(&self) -> usize {
        self.objs.iter().take_while(|o| o.is_some()).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.objs.iter().map_while(|o| *o)
    }

    pub fn find(&self, oid: u16) -> Option<ObjRef> {
        self.iter().find(|o| o.oid() == oid)
    }
}

/// Structural checks of an object definition (Anjay Lite only does these in debug builds;
/// they are cheap, and a bad table must never reach the wire).
fn validate_object(obj: ObjRef) -> Result<(), RegistryError> {
    if obj.oid() == ID_INVALID {
        return Err(RegistryError::Invalid);
    }
    let mut last_iid: Option<u16> = None;
    for inst in obj.instances() {
        if last_iid.is_some_and(|l| l >= inst.iid) {
            return Err(RegistryError::Invalid);
        }
        last_iid = Some(inst.iid);
        let mut last_rid: Option<u16> = None;
        for res in obj.resources(inst) {
            if res.rid == ID_INVALID || last_rid.is_some_and(|l| l >= res.rid) {
                return Err(RegistryError::Invalid);
            }
            last_rid = Some(res.rid);
        }
    }
    Ok(())
}

/// Object `oid` of `objs` (4.04 when there is none).
#[inline]
pub fn object(objs: &mut dyn Objects, oid: u16) -> DmResult<&mut dyn Object> {
    objs.object(oid).ok_or(DmError::NOT_FOUND)
}

/// The target of an operation, resolved against the object set.
#[derive(Clone, Copy)]
pub struct Target {
    pub oid: u16,
    pub path: Path,
}

impl Target {
    /// The target object (4.04 when it is gone from `objs`).
    #[inline]
    pub fn object<'o>(&self, objs: &'o mut dyn Objects) -> DmResult<&'o mut dyn Object> {
        object(objs, self.oid)
    }
}

/// Resolves the object of `path`, applying the access rule of LwM2M 1.1 TS Core §6.3:
/// the Security object (and OSCORE) is not reachable through Device Management (4.01);
/// a missing Object, Instance, Resource or Resource Instance is 4.04.
pub fn resolve(objs: &mut dyn Objects, path: &Path) -> DmResult<Target> {
    resolve_full(objs, path).map(|r| r.target)
}

/// A [`Target`] resolved once for the request that names it, with, at the resource level
/// and below, the resource's description for the checks made before the request calls
/// any handler (a handler may change the tables; the description is not checked again).
#[derive(Clone, Copy)]
pub struct Resolved {
    pub target: Target,
    // Only the kind and type of the resource: the checks need no more, and a smaller
    // `Resolved` is less code to build and copy.
    res: Option<(ResKind, DataType)>,
}

/// [`resolve`], keeping what the lookup found ([`Resolved`]).
pub fn resolve_full(objs: &mut dyn Objects, path: &Path) -> DmResult<Resolved> {
    let ids = path.as_slice();
    let oid = *ids.first().ok_or(DmError::METHOD_NOT_ALLOWED)?;
    if is_protected(oid) {
        return Err(DmError::UNAUTHORIZED);
    }
    let obj = object(objs, oid)?;
    let res = ops::lookup(obj, path)?.map(|r| (r.kind, r.data_type));
    Ok(Resolved {
        target: Target { oid, path: *path },
        res,
    })
}

impl Resolved {
    /// A target made elsewhere (its path exists), with its resource looked up.
    pub fn of(objs: &mut dyn Objects, target: Target) -> Resolved {
        let res = target
            .object(objs)
            .ok()
            .and_then(|o| ops::lookup(o, &target.path).ok().flatten())
            .map(|r| (r.kind, r.data_type));
        Resolved { target, res }
    }

    /// [`is_multiple`] of the target.
    pub fn is_multiple(&self) -> bool {
        self.res.is_some_and(|(k, _)| k.multiple())
    }

    /// [`resource_type`] of the target.
    pub fn resource_type(&self) -> Option<DataType> {
        self.res.map(|(_, t)| t)
    }

    /// [`check_writable`] of the target (4.05 above the resource level).
    pub fn check_writable(&self) -> DmResult<()> {
        match self.res {
            Some((k, _)) if k.writable() => Ok(()),
            _ => Err(DmError::METHOD_NOT_ALLOWED),
        }
    }

    /// [`check_readable`] of a target at the resource level or below (4.05 above it).
    pub fn check_readable_resource(&self) -> DmResult<()> {
        match self.res {
            Some((k, _)) if k.readable() => Ok(()),
            _ => Err(DmError::METHOD_NOT_ALLOWED),
        }
    }

    /// [`count_readable`] of the target.
    pub fn count_readable(&self, objs: &mut dyn Objects) -> DmResult<usize> {
        count_readable(objs, &self.target)
    }

    /// [`read_each_held`] of the target.
    pub fn read_each_held(&self, objs: &mut dyn Objects, enc: &mut AnyEncoder<'_>) -> DmResult<()> {
        read_each_held(objs, &self.target, enc)
    }
}

/// Encodes every readable value under `target` into `enc`: [`ops::read_each`].
pub fn read_each(
    objs: &mut dyn Objects,
    target: &Target,
    enc: &mut AnyEncoder<'_>,
) -> DmResult<()> {
    ops::read_each(target.object(objs)?, &target.path, enc)
}

/// [`read_each`] for one block of a block-wise Read: an external value may stay open for
/// the next block ([`Objects::object_keeping_sources`]).
pub fn read_each_held(
    objs: &mut dyn Objects,
    target: &Target,
    enc: &mut AnyEncoder<'_>,
) -> DmResult<()> {
    let obj = objs
        .object_keeping_sources(target.oid)
        .ok_or(DmError::NOT_FOUND)?;
    ops::read_each(obj, &target.path, enc)
}

/// How many values [`read_each`] would encode for `target`: [`ops::count_readable`].
pub fn count_readable(objs: &mut dyn Objects, target: &Target) -> DmResult<usize> {
    ops::count_readable(target.object(objs)?, &target.path)
}

/// Whether the resource at `path` (resource or resource instance level) may be written:
/// 4.04 when it does not exist, 4.05 when it is not writable.
pub fn check_writable(objs: &mut dyn Objects, path: &Path) -> DmResult<()> {
    resolve_full(objs, path)?.check_writable()
}

/// Whether `path` has anything a Read would return (LwM2M 1.1 TS Core §6.3.1): 4.04 when
/// it does not exist (or is protected), 4.05 when nothing under it is readable. The root
/// stands for every object the server may read (Read-Composite on `/`).
pub fn check_readable(objs: &mut dyn Objects, path: &Path) -> DmResult<()> {
    if path.is_empty() {
        let mut i = 0;
        while let Some(oid) = objs.oid_at(i) {
            i += 1;
            if !is_protected(oid) && objs.object(oid).is_some_and(|o| ops::object_readable(o)) {
                return Ok(());
            }
        }
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let r = resolve_full(objs, path).map_err(|_| DmError::NOT_FOUND)?;
    match path.len() {
        1 | 2 => ops::check_readable(r.target.object(objs)?, path),
        _ => r.check_readable_resource(),
    }
}

/// Reads one resource value by absolute path, bypassing the Security access rule (the
/// client's own view), and hands it to `f`: [`ops::read_value`].
pub fn read_resource_with<R>(
    objs: &mut dyn Objects,
    path: &Path,
    f: impl FnOnce(Value<'_>) -> R,
) -> DmResult<R> {
    let oid = *path.as_slice().first().ok_or(DmError::BAD_REQUEST)?;
    if path.len() < 3 {
        return Err(DmError::BAD_REQUEST);
    }
    ops::read_value(object(objs, oid)?, path).map(f)
}

/// The type of the resource at `path` (resource or resource-instance level), for decoders
/// of formats that do not carry types. The resource instance need not exist yet.
pub fn resource_type(objs: &mut dyn Objects, path: &Path) -> Option<DataType> {
    let obj = objs.object(*path.as_slice().first()?)?;
    ops::resource_type(obj, path)
}

/// Whether the resource at `path` (resource level) is a multi-instance one.
pub fn is_multiple(objs: &mut dyn Objects, path: &Path) -> bool {
    path.oid()
        .and_then(|oid| objs.object(oid))
        .is_some_and(|o| ops::is_multiple(o, path))
}

/// The Instance ID at `index` (in ascending order) of object `oid`, if any.
pub fn instance_at(objs: &mut dyn Objects, oid: u16, index: usize) -> Option<u16> {
    objs.object(oid)?.instance_id(index)
}

/// Whether object `oid` has instance `iid`.
pub fn has_instance(objs: &mut dyn Objects, oid: u16, iid: u16) -> bool {
    objs.object(oid).is_some_and(|o| o.has_instance(iid))
}

/// The integer at `ids` (a resource or resource instance path), if it reads as one.
pub fn read_int(objs: &mut dyn Objects, ids: &[u16]) -> Option<i64> {
    read_resource_with(objs, &Path::new(ids), |v| match v {
        Value::Int(i) => Some(i),
        Value::Uint(u) => i64::try_from(u).ok(),
        _ => None,
    })
    .ok()
    .flatten()
}

/// The boolean at `ids`, if it reads as one.
pub fn read_bool(objs: &mut dyn Objects, ids: &[u16]) -> Option<bool> {
    read_resource_with(objs, &Path::new(ids), |v| match v {
        Value::Bool(b) => Some(b),
        _ => None,
    })
    .ok()
    .flatten()
}

/* ------------------------------------ transactions ------------------------------------ */

/// The objects taking part in one operation's transaction, by OID. Each object's
/// `transaction_begin` runs when the operation first touches it; at the end every object
/// is validated and then ended with the same result, so an operation spanning several
/// objects (Write-Composite) is atomic (LwM2M 1.1 TS Core §6.3.3, §6.3.8).
pub struct TxnSet {
    oids: [Option<u16>; DM_MAX_OBJECTS_NUMBER],
}

impl Default for TxnSet {
    fn default() -> Self {
        TxnSet {
            oids: [None; DM_MAX_OBJECTS_NUMBER],
        }
    }
}

impl TxnSet {
    /// Begins the transaction of object `oid` unless it already runs.
    pub fn join(&mut self, objs: &mut dyn Objects, oid: u16) -> DmResult<()> {
        if self.oids.iter().flatten().any(|&o| o == oid) {
            return Ok(());
        }
        let slot = self
            .oids
            .iter_mut()
            .find(|o| o.is_none())
            .ok_or(DmError::INTERNAL)?;
        object(objs, oid)?.transaction_begin()?;
        *slot = Some(oid);
        Ok(())
    }

    /// Takes object `oid` out of the set (it is being removed from the data model),
    /// ending its transaction with failure.
    pub fn leave(&mut self, objs: &mut dyn Objects, oid: u16) {
        for slot in self.oids.iter_mut() {
            if *slot == Some(oid) {
                *slot = None;
                if let Some(obj) = objs.object(oid) {
                    obj.transaction_end(false);
                }
            }
        }
    }

    /// Validates every object (if `result` is a success so far), then ends every
    /// transaction with the overall result, so a failure anywhere rolls back all.
    pub fn finish(self, objs: &mut dyn Objects, result: DmResult<()>) -> DmResult<()> {
        let mut result = result;
        if result.is_ok() {
            for &oid in self.oids.iter().flatten() {
                if let Some(Err(e)) = objs.object(oid).map(validate) {
                    result = Err(e);
                    break;
                }
            }
        }
        for &oid in self.oids.iter().flatten() {
            if let Some(obj) = objs.object(oid) {
                obj.transaction_end(result.is_ok());
            }
        }
        result
    }
}

/// [`Object::transaction_validate`]: a validation failure is the request's fault, so a
/// plain error (5.00) becomes 4.00 (LwM2M 1.1 TS Core §6.3.3: "4.00 Bad Request ...
/// invalid value").
pub fn validate<O: Object + ?Sized>(obj: &mut O) -> DmResult<()> {
    obj.transaction_validate().map_err(|e| match e {
        DmError::INTERNAL => DmError::BAD_REQUEST,
        e => e,
    })
}

/* --------------------------------------- writes --------------------------------------- */

/// Writes one decoded entry of a request whose path is `base`: [`ops::write_entry`].
pub fn write_entry(
    objs: &mut dyn Objects,
    oid: u16,
    base: &Path,
    path: &Path,
    value: &Value<'_>,
    kind: WriteKind,
) -> DmResult<()> {
    write_entry_as(objs, oid, base, path, &WriteValue::Whole(*value), kind)
}

/// [`write_entry`] of a whole value or of one chunk of a String or Opaque value.
pub fn write_entry_as(
    objs: &mut dyn Objects,
    oid: u16,
    base: &Path,
    path: &Path,
    value: &WriteValue<'_>,
    kind: WriteKind,
) -> DmResult<()> {
    ops::write_entry(object(objs, oid)?, base, path, value, kind)
}

/// Writes one value at `path` (resource or resource instance), outside any request:
/// used by the built-in objects' tests and by callers that run their own transaction.
pub fn write_value(
    objs: &mut dyn Objects,
    oid: u16,
    path: &Path,
    value: &Value<'_>,
) -> DmResult<()> {
    write_entry(objs, oid, path, path, value, WriteKind::Partial)
}

/// The first step of a Write-Replace (§6.3.3): [`ops::replace_prepare`].
pub fn replace_prepare(objs: &mut dyn Objects, target: &Target) -> DmResult<()> {
    ops::replace_prepare(target.object(objs)?, &target.path)
}

/// Deletes every instance of Multiple-Instance Resource /oid/iid/rid:
/// [`ops::clear_res_instances`].
pub fn clear_res_instances(objs: &mut dyn Objects, oid: u16, iid: u16, rid: u16) -> DmResult<()> {
    ops::clear_res_instances(object(objs, oid)?, iid, rid)
}

/* ----------------------------------- create / delete ----------------------------------- */

/// Creates an Object Instance (§6.3.7) with `iid`, or the lowest free IID when `None`
/// ([`ops::create_check`], then object `oid` joins `txn`, then [`ops::create_instance`]).
/// Returns the new IID.
pub fn create_instance(
    objs: &mut dyn Objects,
    txn: &mut TxnSet,
    oid: u16,
    iid: Option<u16>,
) -> DmResult<u16> {
    let iid = ops::create_check(object(objs, oid)?, iid)?;
    txn.join(objs, oid)?;
    ops::create_instance(object(objs, oid)?, iid)?;
    Ok(iid)
}

/// Delete of an Object Instance or a Resource Instance ([`ops::delete`]). The target's
/// object must exist; the rest of the path is looked up inside the object's transaction,
/// as Anjay Lite does (a failure ends the transaction in failure).
pub fn delete(objs: &mut dyn Objects, txn: &mut TxnSet, target: &Target) -> DmResult<()> {
    match target.path.len() {
        2 | 4 => txn.join(objs, target.oid)?,
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    }
    ops::delete(target.object(objs)?, &target.path)
}

/// Execute on a resource (LwM2M 1.1 TS Core §6.3.5): [`ops::execute`].
pub fn execute(objs: &mut dyn Objects, target: &Target, arg: &[u8]) -> DmResult<()> {
    ops::execute(target.object(objs)?, &target.path, arg)
}

/// Visits the link-format records of a Discover on `target`: [`ops::discover_each`].
pub fn discover_each(
    objs: &mut dyn Objects,
    target: &Target,
    depth: Option<u8>,
    f: &mut dyn FnMut(DiscoverItem<'_>) -> DmResult<()>,
) -> DmResult<()> {
    ops::discover_each(target.object(objs)?, &target.path, depth, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_argument_syntax() {
        for ok in [
            &b""[..],
            b"5",
            b"0,1",
            b"2='coap://x.y:5683'",
            b"1='',2",
            b"0='a!#$%&()*+-./:;<=>?@[]^_`{|}~'",
        ] {
            assert!(valid_execute_args(ok), "{:?}", core::str::from_utf8(ok));
        }
        for bad in [
            &b","[..],
            b"1,",
            b"12",
            b"a",
            b"1=",
            b"1='x",
            b"1='a b'",
            b"1='a\"b'",
            b"1='a\\b'",
            b"1=x",
            b"1='x'2",
        ] {
            assert!(!valid_execute_args(bad), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn handler_codes() {
        assert_eq!(DmError::from_handler(-132), DmError::NOT_FOUND);
        assert_eq!(DmError::from_handler(-161), DmError::NOT_IMPLEMENTED);
        assert_eq!(DmError::from_handler(-163), DmError::SERVICE_UNAVAILABLE);
        // Not an ANJ_DM_ERR_* value: 5.00.
        assert_eq!(DmError::from_handler(-134), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(-1), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(i32::MIN), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(5), DmError::INTERNAL);
    }
}
