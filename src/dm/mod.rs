//! The data model: the registry of objects, and the Device Management operations over it
//! (LwM2M 1.1 TS Core §6.3).
//!
//! The operations themselves are `anj_core::dm::ops`, written against the core's
//! [`Object`] trait. The registry still holds the application's `anj_dm_obj_t` tables
//! ([`ObjRef`]; the built-in Security, Server and Device objects are objects of the same
//! kind, see `crate::ffi::objects`), and the functions here run the operations on them
//! through the one C adapter, [`CObject`], which calls their handlers with the client's
//! `anj_t *`.

/// cbindgen:ignore
pub use anj_core::dm::attributes;
pub mod builtin;
/// cbindgen:ignore
#[cfg(feature = "default-fota-obj")]
pub use anj_core::objects::fw_update;

use crate::config::DM_MAX_OBJECTS_NUMBER;
use crate::ffi::core::anj_t;
pub use crate::ffi::dm::ObjRef;
pub use crate::ffi::dm_adapter::{
    read_resource, read_resource_raw, value_to_c, CObject, ExtHold, Hint,
};
use crate::io::format::AnyEncoder;
use crate::io::value::{DataType, Path, Value};

pub use anj_core::dm::object::{ResKind, Resource};
pub use anj_core::dm::ops::{
    self, default_depth, io_error, is_protected, valid_execute_args, DiscoverItem, WriteKind,
};
pub use anj_core::dm::{DmError, DmResult, Object, WriteValue};

/// The ID that names no instance (`ANJ_ID_INVALID`).
const ID_INVALID: u16 = u16::MAX;

/// The adapter of `obj` for lookups in its tables only: no handler is called through it
/// (it has no `anj_t *` to give them).
fn view(obj: ObjRef) -> CObject<'static> {
    CObject::new(obj, core::ptr::null_mut())
}

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

/// The target of an operation, resolved against the registry.
#[derive(Clone, Copy)]
pub struct Target {
    pub obj: ObjRef,
    pub path: Path,
}

impl Target {
    /// The target object, with the `anj_t *` its handlers get.
    pub fn object(&self, anj: *mut anj_t) -> CObject<'static> {
        CObject::new(self.obj, anj)
    }
}

/// Resolves the object of `path`, applying the access rule of LwM2M 1.1 TS Core §6.3:
/// the Security object (and OSCORE) is not reachable through Device Management (4.01);
/// a missing Object, Instance, Resource or Resource Instance is 4.04.
pub fn resolve(reg: &Registry, path: &Path) -> DmResult<Target> {
    resolve_full(reg, path).map(|r| r.target)
}

/// A [`Target`] resolved once for the request that names it: where its instance and
/// resource were found (a [`Hint`] for the adapters the request uses next, so they do
/// not search again), and, at the resource level and below, the resource's description
/// for the checks made before the request calls any handler (a handler may change the
/// tables; the hint is checked before use, the description is not).
#[derive(Clone, Copy)]
pub struct Resolved {
    pub target: Target,
    hint: Hint,
    // Only the kind and type of the resource: the checks need no more, and a smaller
    // `Resolved` is less code to build and copy.
    res: Option<(ResKind, DataType)>,
}

/// [`resolve`], keeping what the lookup found ([`Resolved`]).
pub fn resolve_full(reg: &Registry, path: &Path) -> DmResult<Resolved> {
    let ids = path.as_slice();
    let oid = *ids.first().ok_or(DmError::METHOD_NOT_ALLOWED)?;
    if is_protected(oid) {
        return Err(DmError::UNAUTHORIZED);
    }
    let obj = reg.find(oid).ok_or(DmError::NOT_FOUND)?;
    let v = view(obj);
    let res = ops::lookup(&v, path)?.map(|r| (r.kind, r.data_type));
    Ok(Resolved {
        target: Target { obj, path: *path },
        hint: v.hint(),
        res,
    })
}

impl Resolved {
    /// A target made elsewhere (its path exists), with its resource looked up.
    pub fn of(target: Target) -> Resolved {
        let v = view(target.obj);
        let res = ops::lookup(&v, &target.path)
            .ok()
            .flatten()
            .map(|r| (r.kind, r.data_type));
        Resolved {
            target,
            hint: v.hint(),
            res,
        }
    }

    /// The target object, with the `anj_t *` its handlers get, starting its lookups
    /// where the resolution found the instance and resource.
    #[inline]
    pub fn object(&self, anj: *mut anj_t) -> CObject<'static> {
        CObject::new(self.target.obj, anj).hinted(self.hint)
    }

    /// Where the resolution found the instance and resource.
    pub fn hint(&self) -> Hint {
        self.hint
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
    pub fn count_readable(&self) -> DmResult<usize> {
        ops::count_readable(&mut self.object(core::ptr::null_mut()), &self.target.path)
    }

    /// [`read_each_held`] of the target.
    pub fn read_each_held(
        &self,
        anj: *mut anj_t,
        enc: &mut AnyEncoder<'_>,
        hold: &mut ExtHold,
    ) -> DmResult<()> {
        ops::read_each(
            &mut CObject::with_hold(self.target.obj, anj, hold).hinted(self.hint),
            &self.target.path,
            enc,
        )
    }
}

/// Encodes every readable value under `target` into `enc`: [`ops::read_each`].
pub fn read_each(anj: *mut anj_t, target: &Target, enc: &mut AnyEncoder<'_>) -> DmResult<()> {
    ops::read_each(&mut target.object(anj), &target.path, enc)
}

/// [`read_each`] for one block of a block-wise Read: an external value is read through
/// the source `hold` keeps from the previous block (see [`ExtHold`]).
pub fn read_each_held(
    anj: *mut anj_t,
    target: &Target,
    enc: &mut AnyEncoder<'_>,
    hold: &mut ExtHold,
) -> DmResult<()> {
    ops::read_each(
        &mut CObject::with_hold(target.obj, anj, hold),
        &target.path,
        enc,
    )
}

/// How many values [`read_each`] would encode for `target`: [`ops::count_readable`].
pub fn count_readable(target: &Target) -> DmResult<usize> {
    ops::count_readable(&mut view(target.obj), &target.path)
}

/// Whether the resource at `path` (resource or resource instance level) may be written:
/// 4.04 when it does not exist, 4.05 when it is not writable.
pub fn check_writable(reg: &Registry, path: &Path) -> DmResult<()> {
    resolve_full(reg, path)?.check_writable()
}

/// Whether `path` has anything a Read would return (LwM2M 1.1 TS Core §6.3.1): 4.04 when
/// it does not exist (or is protected), 4.05 when nothing under it is readable. The root
/// stands for every object the server may read (Read-Composite on `/`).
pub fn check_readable(reg: &Registry, path: &Path) -> DmResult<()> {
    if path.is_empty() {
        return if reg
            .iter()
            .any(|o| !is_protected(o.oid()) && ops::object_readable(&view(o)))
        {
            Ok(())
        } else {
            Err(DmError::METHOD_NOT_ALLOWED)
        };
    }
    let r = resolve_full(reg, path).map_err(|_| DmError::NOT_FOUND)?;
    match path.len() {
        1 | 2 => ops::check_readable(&r.object(core::ptr::null_mut()), path),
        _ => r.check_readable_resource(),
    }
}

/// Reads one resource value by absolute path, bypassing the Security access rule (the
/// client's own view), and hands it to `f`: [`ops::read_value`].
pub fn read_resource_with<R>(
    anj: *mut anj_t,
    reg: &Registry,
    path: &Path,
    f: impl FnOnce(Value<'_>) -> R,
) -> DmResult<R> {
    let oid = *path.as_slice().first().ok_or(DmError::BAD_REQUEST)?;
    if path.len() < 3 {
        return Err(DmError::BAD_REQUEST);
    }
    let obj = reg.find(oid).ok_or(DmError::NOT_FOUND)?;
    let mut o = CObject::new(obj, anj);
    ops::read_value(&mut o, path).map(f)
}

/// The type of the resource at `path` (resource or resource-instance level), for decoders
/// of formats that do not carry types. The resource instance need not exist yet.
pub fn resource_type(reg: &Registry, path: &Path) -> Option<DataType> {
    let obj = reg.find(*path.as_slice().first()?)?;
    ops::resource_type(&view(obj), path)
}

/// Whether the resource at `path` (resource level) is a multi-instance one.
pub fn is_multiple(reg: &Registry, path: &Path) -> bool {
    path.oid()
        .and_then(|oid| reg.find(oid))
        .is_some_and(|o| ops::is_multiple(&view(o), path))
}

/* ------------------------------------ transactions ------------------------------------ */

/// The objects taking part in one operation's transaction. Each object's
/// `transaction_begin` runs when the operation first touches it; at the end every object
/// is validated and then ended with the same result, so an operation spanning several
/// objects (Write-Composite) is atomic (LwM2M 1.1 TS Core §6.3.3, §6.3.8).
pub struct TxnSet {
    objs: [Option<ObjRef>; DM_MAX_OBJECTS_NUMBER],
}

impl Default for TxnSet {
    fn default() -> Self {
        TxnSet {
            objs: [None; DM_MAX_OBJECTS_NUMBER],
        }
    }
}

impl TxnSet {
    /// Begins `obj`'s transaction unless it already runs.
    pub fn join(&mut self, anj: *mut anj_t, obj: ObjRef) -> DmResult<()> {
        if self.objs.iter().flatten().any(|o| o.ptr() == obj.ptr()) {
            return Ok(());
        }
        let slot = self
            .objs
            .iter_mut()
            .find(|o| o.is_none())
            .ok_or(DmError::INTERNAL)?;
        CObject::new(obj, anj).transaction_begin()?;
        *slot = Some(obj);
        Ok(())
    }

    /// Takes object `oid` out of the set (it is being removed from the data model),
    /// ending its transaction with failure.
    pub fn leave(&mut self, anj: *mut anj_t, oid: u16) {
        for slot in self.objs.iter_mut() {
            if slot.is_some_and(|o| o.oid() == oid) {
                if let Some(obj) = slot.take() {
                    CObject::new(obj, anj).transaction_end(false);
                }
            }
        }
    }

    /// Validates every object (if `result` is a success so far), then ends every
    /// transaction with the overall result, so a failure anywhere rolls back all.
    pub fn finish(self, anj: *mut anj_t, result: DmResult<()>) -> DmResult<()> {
        let mut result = result;
        if result.is_ok() {
            for obj in self.objs.iter().flatten() {
                if let Err(e) = validate(&mut CObject::new(*obj, anj)) {
                    result = Err(e);
                    break;
                }
            }
        }
        for obj in self.objs.iter().flatten() {
            CObject::new(*obj, anj).transaction_end(result.is_ok());
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
    anj: *mut anj_t,
    obj: ObjRef,
    base: &Path,
    path: &Path,
    value: &Value<'_>,
    kind: WriteKind,
) -> DmResult<()> {
    write_entry_as(anj, obj, base, path, &WriteValue::Whole(*value), kind)
}

/// [`write_entry`] of a whole value or of one chunk of a String or Opaque value.
pub fn write_entry_as(
    anj: *mut anj_t,
    obj: ObjRef,
    base: &Path,
    path: &Path,
    value: &WriteValue<'_>,
    kind: WriteKind,
) -> DmResult<()> {
    ops::write_entry(&mut CObject::new(obj, anj), base, path, value, kind)
}

/// Writes one value at `path` (resource or resource instance), outside any request:
/// used by the built-in objects' tests and by callers that run their own transaction.
pub fn write_value(anj: *mut anj_t, obj: ObjRef, path: &Path, value: &Value<'_>) -> DmResult<()> {
    write_entry(anj, obj, path, path, value, WriteKind::Partial)
}

/// The first step of a Write-Replace (§6.3.3): [`ops::replace_prepare`].
pub fn replace_prepare(anj: *mut anj_t, target: &Target) -> DmResult<()> {
    replace_prepare_at(anj, target, Hint::NONE)
}

/// [`replace_prepare`] through an adapter that starts at `hint`.
pub fn replace_prepare_at(anj: *mut anj_t, target: &Target, hint: Hint) -> DmResult<()> {
    ops::replace_prepare(&mut target.object(anj).hinted(hint), &target.path)
}

/// Deletes every instance of Multiple-Instance Resource /obj/iid/rid:
/// [`ops::clear_res_instances`].
pub fn clear_res_instances(anj: *mut anj_t, obj: ObjRef, iid: u16, rid: u16) -> DmResult<()> {
    ops::clear_res_instances(&mut CObject::new(obj, anj), iid, rid)
}

/* ----------------------------------- create / delete ----------------------------------- */

/// Creates an Object Instance (§6.3.7) with `iid`, or the lowest free IID when `None`
/// ([`ops::create_check`], then `obj` joins `txn`, then [`ops::create_instance`]).
/// Returns the new IID.
pub fn create_instance(
    anj: *mut anj_t,
    txn: &mut TxnSet,
    obj: ObjRef,
    iid: Option<u16>,
) -> DmResult<u16> {
    let iid = ops::create_check(&view(obj), iid)?;
    txn.join(anj, obj)?;
    ops::create_instance(&mut CObject::new(obj, anj), iid)?;
    Ok(iid)
}

/// Delete of an Object Instance or a Resource Instance ([`ops::delete`]). `target.obj`
/// must exist; the rest of the path is looked up inside the object's transaction, as
/// Anjay Lite does (a failure ends the transaction in failure).
pub fn delete(anj: *mut anj_t, txn: &mut TxnSet, target: &Target) -> DmResult<()> {
    match target.path.len() {
        2 | 4 => txn.join(anj, target.obj)?,
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    }
    ops::delete(&mut target.object(anj), &target.path)
}

/// Execute on a resource (LwM2M 1.1 TS Core §6.3.5): [`ops::execute`].
pub fn execute(anj: *mut anj_t, target: &Target, arg: &[u8]) -> DmResult<()> {
    ops::execute(&mut target.object(anj), &target.path, arg)
}

/// Visits the link-format records of a Discover on `target`: [`ops::discover_each`].
pub fn discover_each(
    target: &Target,
    depth: Option<u8>,
    f: &mut dyn FnMut(DiscoverItem<'_>) -> DmResult<()>,
) -> DmResult<()> {
    ops::discover_each(&view(target.obj), &target.path, depth, f)
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
