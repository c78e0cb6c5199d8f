//! The Device Management operations over an object set ([`Objects`]): resolving a path
//! to its object, reads, writes, create, delete, execute and discover, and the
//! transactions of the objects one request touches (LwM2M 1.1 TS Core §6.3). Objects are
//! named by OID; each call looks its object up again in the set.

use crate::config::DM_MAX_OBJECTS_NUMBER;
use crate::dm::object::{ResKind, WriteValue};
use crate::dm::ops::{self, is_protected, DiscoverItem, WriteKind};
use crate::dm::{DmError, DmResult, Object, Objects};
use crate::io::format::AnyEncoder;
use crate::io::value::{DataType, Path, Value};

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
    target.object(objs)?.read_each_at(&target.path, enc)
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
    obj.read_each_at(&target.path, enc)
}

/// How many values [`read_each`] would encode for `target`: [`ops::count_readable`].
pub fn count_readable(objs: &mut dyn Objects, target: &Target) -> DmResult<usize> {
    target.object(objs)?.count_readable_at(&target.path)
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
    object(objs, oid)?.read_path(path).map(f)
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
    object(objs, oid)?.write_entry_at(base, path, value, kind)
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
    target.object(objs)?.discover_at(&target.path, depth, f)
}
