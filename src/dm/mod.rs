//! The data model: the registry of objects and the Device Management operations over it
//! (LwM2M 1.1 TS Core §6.3). Objects are the application's `anj_dm_obj_t` tables, reached
//! through [`ObjRef`]; the built-in Security, Server and Device objects are objects of the
//! same kind (see `crate::ffi::objects`).

/// cbindgen:ignore
pub use anj_core::dm::attributes;
pub mod builtin;
/// cbindgen:ignore
#[cfg(feature = "default-fota-obj")]
pub mod fw_update;

use core::ffi::c_int;

use crate::config::DM_MAX_OBJECTS_NUMBER;
use crate::ffi::core::anj_t;
pub use crate::ffi::dm::ObjRef;
use crate::ffi::dm::*;
use crate::io::format::AnyEncoder;
use crate::io::value::{DataType, Encoder, Entry, IoError, Path, Value};

pub use anj_core::dm::{DmError, DmResult};

fn check(ret: Option<c_int>, missing: DmError) -> DmResult<()> {
    match ret {
        None => Err(missing),
        Some(0) => Ok(()),
        Some(r) => Err(DmError::from_handler(r)),
    }
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
    if obj.oid() == ANJ_ID_INVALID {
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
            if res.rid == ANJ_ID_INVALID || last_rid.is_some_and(|l| l >= res.rid) {
                return Err(RegistryError::Invalid);
            }
            last_rid = Some(res.rid);
        }
    }
    Ok(())
}

/// The data type of a resource, as the formats know it.
pub fn data_type(t: anj_data_type_t) -> DataType {
    match t & 0xFF {
        ANJ_DATA_TYPE_BYTES => DataType::Bytes,
        ANJ_DATA_TYPE_STRING => DataType::String,
        ANJ_DATA_TYPE_INT => DataType::Int,
        ANJ_DATA_TYPE_DOUBLE => DataType::Double,
        ANJ_DATA_TYPE_BOOL => DataType::Bool,
        ANJ_DATA_TYPE_OBJLNK => DataType::Objlnk,
        ANJ_DATA_TYPE_UINT => DataType::Uint,
        ANJ_DATA_TYPE_TIME => DataType::Time,
        _ => DataType::Null,
    }
}

/// Converts a decoded value into the `anj_res_value_t` handed to a write handler.
pub fn value_to_c(v: &Value<'_>) -> anj_res_value_t {
    let mut out = anj_res_value_t::zeroed();
    match *v {
        Value::Null => {}
        Value::Bytes(b) => {
            out.bytes_or_string = anj_bytes_or_string_value_t {
                data: b.as_ptr().cast(),
                offset: 0,
                chunk_length: b.len(),
                full_length_hint: b.len(),
            }
        }
        Value::String(s) => {
            out.bytes_or_string = anj_bytes_or_string_value_t {
                data: s.as_ptr().cast(),
                offset: 0,
                chunk_length: s.len(),
                full_length_hint: s.len(),
            }
        }
        Value::Int(i) => out.int_value = i,
        Value::Time(t) => out.time_value = t,
        Value::Uint(u) => out.uint_value = u,
        Value::Double(d) => out.double_value = d,
        Value::Bool(b) => out.bool_value = b,
        Value::Objlnk { oid, iid } => out.objlnk = anj_objlnk_value_t { oid, iid },
    }
    out
}

/// Reads one resource (instance) through its object's handler: the raw
/// `anj_res_value_t`, which may point into memory the handler owns (it is used before
/// the next handler call).
fn read_raw(
    anj: *mut anj_t,
    obj: ObjRef,
    res: &anj_dm_res_t,
    iid: u16,
    riid: u16,
) -> DmResult<anj_res_value_t> {
    let mut out = anj_res_value_t::zeroed();
    check(
        obj.read(anj, iid, res.rid, riid, &mut out),
        DmError::METHOD_NOT_ALLOWED,
    )?;
    Ok(out)
}

/// Maps an encoder error of a response: a value the format cannot carry is 4.06, a
/// response larger than the payload buffer 4.13 (the caller goes block-wise), anything
/// else 5.00.
pub fn io_error(e: IoError) -> DmError {
    match e {
        IoError::Unsupported => DmError::NOT_ACCEPTABLE,
        IoError::BufferTooSmall => DmError::TOO_LARGE,
        _ => DmError::INTERNAL,
    }
}

/// An external value kept between the requests of a block-wise Read (RFC 7959 Block2):
/// the source stays open where the last block stopped, and remembers the value's length,
/// so that the next block goes on reading where that one stopped (see
/// [`crate::ffi::dm::ExternalSource`]). Empty without `external-data`. Dropping or
/// clearing it closes the value.
#[derive(Default)]
pub struct ExtHold {
    #[cfg(feature = "external-data")]
    held: Option<(Path, crate::ffi::dm::ExternalSource)>,
}

impl ExtHold {
    /// Closes the held value, if any.
    pub fn clear(&mut self) {
        #[cfg(feature = "external-data")]
        {
            self.held = None;
        }
    }

    /// Whether a value is held.
    pub fn is_held(&self) -> bool {
        #[cfg(feature = "external-data")]
        {
            self.held.is_some()
        }
        #[cfg(not(feature = "external-data"))]
        false
    }
}

/// Reads the resource (instance) at `path` and hands its value to `enc`. A value of the
/// external types is streamed from its callbacks straight into the encoder, through a
/// small stack buffer (see [`crate::ffi::dm::ExternalSource`]); the source `hold` keeps
/// from an earlier block of the same value is used instead of a fresh one, and the one
/// used is kept there afterwards. A failing callback is 5.00, and the value is closed.
fn encode_value(
    anj: *mut anj_t,
    obj: ObjRef,
    res: &anj_dm_res_t,
    path: &Path,
    enc: &mut AnyEncoder<'_>,
    hold: &mut ExtHold,
) -> DmResult<()> {
    let ids = path.as_slice();
    let iid = ids.get(1).copied().unwrap_or(ANJ_ID_INVALID);
    let riid = ids.get(3).copied().unwrap_or(ANJ_ID_INVALID);
    let out = read_raw(anj, obj, res, iid, riid)?;
    #[cfg(feature = "external-data")]
    if res.r#type & ANJ_DATA_TYPE_FLAG_EXTERNAL != 0 {
        let fresh = crate::ffi::dm::ExternalSource::new(&out).ok_or(DmError::INTERNAL)?;
        let mut src = match hold.held.take() {
            Some((p, held)) if p == *path && held.same_value(&fresh) => held,
            // Another value: the held one is closed.
            _ => fresh,
        };
        let r = enc.streamed(path, data_type(res.r#type), &mut src);
        if src.failed() {
            // `src` is dropped: closed.
            return Err(DmError::INTERNAL);
        }
        // Kept open (if a pass stopped early) with what it learnt, for the next block.
        hold.held = Some((*path, src));
        return r.map_err(io_error);
    }
    let _ = &hold;
    let v = crate::ffi::dm::value_from_c(res.r#type, &out);
    enc.entry(&Entry::new(*path, v)).map_err(io_error)
}

/// The target of an operation, resolved against the registry.
#[derive(Clone, Copy)]
pub struct Target {
    pub obj: ObjRef,
    pub path: Path,
}

/// Whether `oid` is out of the server's reach: the Security object and OSCORE are only
/// for the Bootstrap-Server (LwM2M 1.1 TS Core §6.3, "Device Management").
pub fn is_protected(oid: u16) -> bool {
    oid == 0 || oid == 21
}

/// Resolves the object of `path`, applying the access rule of LwM2M 1.1 TS Core §6.3:
/// the Security object (and OSCORE) is not reachable through Device Management (4.01);
/// a missing Object, Instance, Resource or Resource Instance is 4.04.
pub fn resolve(reg: &Registry, path: &Path) -> DmResult<Target> {
    let ids = path.as_slice();
    let oid = *ids.first().ok_or(DmError::METHOD_NOT_ALLOWED)?;
    if is_protected(oid) {
        return Err(DmError::UNAUTHORIZED);
    }
    let obj = reg.find(oid).ok_or(DmError::NOT_FOUND)?;
    if let Some(&iid) = ids.get(1) {
        let inst = obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
        if let Some(&rid) = ids.get(2) {
            let res = obj
                .resources(inst)
                .iter()
                .find(|r| r.rid == rid)
                .ok_or(DmError::NOT_FOUND)?;
            if let Some(&riid) = ids.get(3) {
                if !res.kind.multiple() || !obj.res_instances(res).contains(&riid) {
                    return Err(DmError::NOT_FOUND);
                }
            }
        }
    }
    Ok(Target { obj, path: *path })
}

/// The resource definition at `path` (resource level or below), copied out of the
/// object's tables.
fn find_res(obj: ObjRef, iid: u16, rid: u16) -> Option<anj_dm_res_t> {
    let inst = obj.instance(iid)?;
    obj.resources(inst).iter().find(|r| r.rid == rid).copied()
}

fn riid_exists(obj: ObjRef, res: &anj_dm_res_t, riid: u16) -> bool {
    obj.res_instances(res).contains(&riid)
}

/// Encodes every readable value under `target` into `enc`, in path order. A single
/// resource that is not readable is 4.05; unreadable ones are skipped at higher levels
/// (LwM2M 1.1 TS Core §6.3.1). Encoder errors map as [`io_error`] says.
pub fn read_each(anj: *mut anj_t, target: &Target, enc: &mut AnyEncoder<'_>) -> DmResult<()> {
    read_each_held(anj, target, enc, &mut ExtHold::default())
}

/// [`read_each`] for one block of a block-wise Read: an external value is read through
/// the source `hold` keeps from the previous block (see [`ExtHold`]).
pub fn read_each_held(
    anj: *mut anj_t,
    target: &Target,
    enc: &mut AnyEncoder<'_>,
    hold: &mut ExtHold,
) -> DmResult<()> {
    let obj = target.obj;
    walk_readable(target, &mut |res, p| {
        encode_value(anj, obj, res, p, enc, hold)
    })
}

/// How many values [`read_each`] would encode for `target` (the same walk, with the same
/// errors, without reading a value): the record count of a definite-length SenML CBOR
/// pack.
pub fn count_readable(target: &Target) -> DmResult<usize> {
    let mut n = 0;
    walk_readable(target, &mut |_, _| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// Calls `f` with every readable value under `target` (its resource and path), in path
/// order; see [`read_each`].
fn walk_readable(
    target: &Target,
    f: &mut dyn FnMut(&anj_dm_res_t, &Path) -> DmResult<()>,
) -> DmResult<()> {
    let obj = target.obj;
    let ids = target.path.as_slice();
    let oid = obj.oid();
    let want_iid = ids.get(1).copied();
    let want_rid = ids.get(2).copied();
    let want_riid = ids.get(3).copied();
    // Indexes, not references: handlers may rewrite the application's tables.
    let mut i = 0;
    while let Some(inst) = obj.instances().get(i).copied() {
        i += 1;
        if want_iid.is_some_and(|w| w != inst.iid) {
            continue;
        }
        let mut r = 0;
        while let Some(res) = obj.resources(&inst).get(r).copied() {
            r += 1;
            if want_rid.is_some_and(|w| w != res.rid) {
                continue;
            }
            if !res.kind.readable() {
                if want_rid.is_some() {
                    return Err(DmError::METHOD_NOT_ALLOWED);
                }
                continue;
            }
            if res.kind.multiple() {
                let mut k = 0;
                while let Some(riid) = obj.res_instances(&res).get(k).copied() {
                    k += 1;
                    if want_riid.is_some_and(|w| w != riid) {
                        continue;
                    }
                    f(&res, &Path::new(&[oid, inst.iid, res.rid, riid]))?;
                }
            } else {
                f(&res, &Path::new(&[oid, inst.iid, res.rid]))?;
            }
        }
    }
    Ok(())
}

/// Whether the resource at `path` (resource or resource instance level) may be written:
/// 4.04 when it does not exist, 4.05 when it is not writable.
pub fn check_writable(reg: &Registry, path: &Path) -> DmResult<()> {
    let ids = path.as_slice();
    let t = resolve(reg, path)?;
    let (Some(&iid), Some(&rid)) = (ids.get(1), ids.get(2)) else {
        return Err(DmError::METHOD_NOT_ALLOWED);
    };
    let inst = t.obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
    let res = t
        .obj
        .resources(inst)
        .iter()
        .find(|r| r.rid == rid)
        .ok_or(DmError::NOT_FOUND)?;
    if res.kind.writable() {
        Ok(())
    } else {
        Err(DmError::METHOD_NOT_ALLOWED)
    }
}

/// Whether `path` has anything a Read would return (LwM2M 1.1 TS Core §6.3.1): 4.04 when
/// it does not exist (or is protected), 4.05 when nothing under it is readable. The root
/// stands for every object the server may read (Read-Composite on `/`).
pub fn check_readable(reg: &Registry, path: &Path) -> DmResult<()> {
    fn res_ok(obj: ObjRef, res: &anj_dm_res_t) -> bool {
        res.kind.readable() && (!res.kind.multiple() || !obj.res_instances(res).is_empty())
    }
    fn inst_ok(obj: ObjRef, inst: &anj_dm_obj_inst_t) -> bool {
        obj.resources(inst).iter().any(|r| res_ok(obj, r))
    }
    fn obj_ok(obj: ObjRef) -> bool {
        obj.instances().iter().any(|i| inst_ok(obj, i))
    }
    let ids = path.as_slice();
    let ok = match ids {
        [] => reg.iter().any(|o| !is_protected(o.oid()) && obj_ok(o)),
        _ => {
            let t = resolve(reg, path).map_err(|_| DmError::NOT_FOUND)?;
            match ids {
                [_] => obj_ok(t.obj),
                [_, iid] => t.obj.instance(*iid).is_some_and(|i| inst_ok(t.obj, i)),
                [_, iid, rid, ..] => find_res(t.obj, *iid, *rid).is_some_and(|r| r.kind.readable()),
                [] => false,
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(DmError::METHOD_NOT_ALLOWED)
    }
}

/// Reads one resource value by absolute path, bypassing the Security access rule: this is
/// the client's own view (`anj_dm_res_read`, and the registration logic reading /0 and /1).
/// External values are not streamed here (they are read as empty).
pub fn read_resource<'a>(anj: *mut anj_t, reg: &Registry, path: &Path) -> DmResult<Value<'a>> {
    let ids = path.as_slice();
    if ids.len() < 3 {
        return Err(DmError::BAD_REQUEST);
    }
    let obj = reg.find(ids[0]).ok_or(DmError::NOT_FOUND)?;
    let res = find_res(obj, ids[1], ids[2]).ok_or(DmError::NOT_FOUND)?;
    if res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) if riid_exists(obj, &res, riid) => riid,
        (false, None) => ANJ_ID_INVALID,
        _ => return Err(DmError::NOT_FOUND),
    };
    let mut out = anj_res_value_t::zeroed();
    check(
        obj.read(anj, ids[1], res.rid, riid, &mut out),
        DmError::METHOD_NOT_ALLOWED,
    )?;
    Ok(crate::ffi::dm::value_from_c(res.r#type, &out))
}

/// `anj_dm_res_read`: the raw value the handler reports for `path` (a resource or
/// resource instance).
pub fn read_resource_raw(
    anj: *mut anj_t,
    reg: &Registry,
    path: &Path,
    out: &mut anj_res_value_t,
) -> DmResult<()> {
    let ids = path.as_slice();
    if ids.len() < 3 {
        return Err(DmError::BAD_REQUEST);
    }
    let obj = reg.find(ids[0]).ok_or(DmError::NOT_FOUND)?;
    let res = find_res(obj, ids[1], ids[2]).ok_or(DmError::NOT_FOUND)?;
    if !res.kind.readable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) if riid_exists(obj, &res, riid) => riid,
        (false, None) => ANJ_ID_INVALID,
        (true, None) => return Err(DmError::BAD_REQUEST),
        _ => return Err(DmError::NOT_FOUND),
    };
    check(
        obj.read(anj, ids[1], res.rid, riid, out),
        DmError::METHOD_NOT_ALLOWED,
    )
}

/// The type of the resource at `path` (resource or resource-instance level), for decoders
/// of formats that do not carry types. The resource instance need not exist yet.
pub fn resource_type(reg: &Registry, path: &Path) -> Option<DataType> {
    let ids = path.as_slice();
    let obj = reg.find(*ids.first()?)?;
    let res = find_res(obj, *ids.get(1)?, *ids.get(2)?)?;
    Some(data_type(res.r#type))
}

/// Whether the resource at `path` (resource level) is a multi-instance one.
pub fn is_multiple(reg: &Registry, path: &Path) -> bool {
    let ids = path.as_slice();
    match (ids.first(), ids.get(1), ids.get(2)) {
        (Some(&oid), Some(&iid), Some(&rid)) => reg
            .find(oid)
            .and_then(|o| find_res(o, iid, rid))
            .is_some_and(|r| r.kind.multiple()),
        _ => false,
    }
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
        match obj.transaction_begin(anj) {
            0 => {
                *slot = Some(obj);
                Ok(())
            }
            r => Err(DmError::from_handler(r)),
        }
    }

    /// Takes object `oid` out of the set (it is being removed from the data model),
    /// ending its transaction with failure.
    pub fn leave(&mut self, anj: *mut anj_t, oid: u16) {
        for slot in self.objs.iter_mut() {
            if slot.is_some_and(|o| o.oid() == oid) {
                if let Some(obj) = slot.take() {
                    obj.transaction_end(anj, false);
                }
            }
        }
    }

    /// Validates every object (if `result` is a success so far), then ends every
    /// transaction with the overall result, so a failure anywhere rolls back all.
    /// A validation failure is the request's fault: a handler's plain error becomes 4.00
    /// (LwM2M 1.1 TS Core §6.3.3: "4.00 Bad Request ... invalid value").
    pub fn finish(self, anj: *mut anj_t, result: DmResult<()>) -> DmResult<()> {
        let mut result = result;
        if result.is_ok() {
            for obj in self.objs.iter().flatten() {
                match obj.transaction_validate(anj) {
                    0 => {}
                    r => {
                        result = Err(match DmError::from_handler(r) {
                            DmError::INTERNAL => DmError::BAD_REQUEST,
                            e => e,
                        });
                        break;
                    }
                }
            }
        }
        for obj in self.objs.iter().flatten() {
            obj.transaction_end(anj, result.is_ok());
        }
        result
    }
}

/* --------------------------------------- writes --------------------------------------- */

/// Which operation a written entry belongs to; the rules differ slightly.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WriteKind {
    /// Write-Replace (PUT, §6.3.3).
    Replace,
    /// Write-Partial-Update (POST on an Instance or a Multiple-Instance Resource).
    Partial,
    /// The values of a Create (§6.3.7).
    Create,
    /// Write-Composite (iPATCH, §6.3.8): a null value deletes a Resource Instance.
    Composite,
    /// Bootstrap-Write (§6.1.7.4): every resource but the executable ones is writable.
    Bootstrap,
}

/// Writes one decoded entry of a request whose path is `base`, creating the resource
/// instance it names if needed (`res_inst_create`). Unknown resources in a write to an
/// Object or Object Instance are skipped, as LwM2M 1.1 TS Core §6.3.3 requires ("any
/// optional Resources that are not supported ... MUST NOT be interpreted as an error").
pub fn write_entry(
    anj: *mut anj_t,
    obj: ObjRef,
    base: &Path,
    path: &Path,
    value: &Value<'_>,
    kind: WriteKind,
) -> DmResult<()> {
    write_entry_as(anj, obj, base, path, value, kind, None)
}

/// [`write_entry`] of one chunk of a String or Opaque value: `value` is an empty value
/// of the type (checked as a whole value would be), `chunk` what the handler gets.
/// Every chunk is checked the same way, so each gives the same answer.
pub fn write_entry_as(
    anj: *mut anj_t,
    obj: ObjRef,
    base: &Path,
    path: &Path,
    value: &Value<'_>,
    kind: WriteKind,
    chunk: Option<&anj_res_value_t>,
) -> DmResult<()> {
    let ids = path.as_slice();
    let (iid, rid) = match ids {
        [_, iid, rid] | [_, iid, rid, _] => (*iid, *rid),
        _ => return Err(DmError::BAD_REQUEST),
    };
    if !base.is_prefix_of(path) || ids[0] != obj.oid() {
        return Err(DmError::BAD_REQUEST);
    }
    let ignore_unknown = base.len() < 3 && kind != WriteKind::Composite;
    if obj.instance(iid).is_none() {
        return Err(DmError::NOT_FOUND);
    }
    let Some(res) = find_res(obj, iid, rid) else {
        // Write-Composite (no such clause in §6.3.8), as in Anjay Lite: an unknown
        // resource of an existing instance is skipped, unless its value is a number,
        // whose type (Integer, Unsigned, Float, Time) only the resource could tell.
        // A null value (deletion) names a Resource Instance, whatever the resource.
        if kind == WriteKind::Composite && matches!(value, Value::Null) && ids.len() == 3 {
            return Err(DmError::BAD_REQUEST);
        }
        let skip_in_composite = kind == WriteKind::Composite
            && !matches!(value, Value::Int(_) | Value::Uint(_) | Value::Double(_));
        return if ignore_unknown || skip_in_composite {
            Ok(())
        } else {
            Err(DmError::NOT_FOUND)
        };
    };
    let riid = ids.get(3).copied();
    if matches!(value, Value::Null) {
        // Write-Composite: a record without a value removes a Resource Instance
        // (LwM2M 1.2 TS Core §6.3.8; Anjay Lite does the same on 1.1).
        return match (kind, riid) {
            (WriteKind::Composite, Some(riid)) if res.kind.multiple() => {
                if riid_exists(obj, &res, riid) {
                    check(
                        obj.res_inst_delete(anj, iid, rid, riid),
                        DmError::METHOD_NOT_ALLOWED,
                    )
                } else {
                    Ok(())
                }
            }
            _ => Err(DmError::BAD_REQUEST),
        };
    }
    let writable = match kind {
        WriteKind::Bootstrap => !res.kind.executable(),
        _ => res.kind.writable(),
    };
    if !writable {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    if !type_matches(data_type(res.r#type), value) {
        return Err(DmError::BAD_REQUEST);
    }
    if res.kind.multiple() != riid.is_some() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    if let Some(riid) = riid {
        if !riid_exists(obj, &res, riid) {
            if obj.res_instances(&res).len() >= usize::from(res.max_inst_count) {
                // No slot for another instance (Anjay Lite answers 5.00 too).
                return Err(DmError::INTERNAL);
            }
            check(
                obj.res_inst_create(anj, iid, rid, riid),
                DmError::METHOD_NOT_ALLOWED,
            )?;
        }
    }
    let c = match chunk {
        Some(c) => *c,
        None => value_to_c(value),
    };
    match check(
        obj.write(anj, iid, rid, riid.unwrap_or(ANJ_ID_INVALID), &c),
        DmError::METHOD_NOT_ALLOWED,
    ) {
        Err(DmError::NOT_FOUND | DmError::NOT_IMPLEMENTED) if ignore_unknown => Ok(()),
        r => r,
    }
}

/// Writes one value at `path` (resource or resource instance), outside any request:
/// used by the built-in objects' tests and by callers that run their own transaction.
pub fn write_value(anj: *mut anj_t, obj: ObjRef, path: &Path, value: &Value<'_>) -> DmResult<()> {
    write_entry(anj, obj, path, path, value, WriteKind::Partial)
}

fn type_matches(t: DataType, v: &Value<'_>) -> bool {
    matches!(
        (t, v),
        (DataType::Bytes, Value::Bytes(_))
            | (DataType::String, Value::String(_))
            | (DataType::Int, Value::Int(_))
            | (DataType::Uint, Value::Uint(_))
            | (DataType::Double, Value::Double(_))
            | (DataType::Bool, Value::Bool(_))
            | (DataType::Objlnk, Value::Objlnk { .. })
            | (DataType::Time, Value::Time(_))
    )
}

/// The first step of a Write-Replace (§6.3.3): an Object Instance is reset with
/// `inst_reset` (4.05 without it); a Multiple-Instance Resource loses all its instances
/// (`res_inst_delete`) before the payload recreates the ones it names.
pub fn replace_prepare(anj: *mut anj_t, target: &Target) -> DmResult<()> {
    let obj = target.obj;
    match *target.path.as_slice() {
        [_, iid] => check(obj.inst_reset(anj, iid), DmError::METHOD_NOT_ALLOWED),
        [_, iid, rid] => {
            let Some(res) = find_res(obj, iid, rid) else {
                return Err(DmError::NOT_FOUND);
            };
            if !res.kind.multiple() {
                return Ok(());
            }
            if !res.kind.writable() {
                return Err(DmError::METHOD_NOT_ALLOWED);
            }
            clear_res_instances(anj, obj, iid, rid)
        }
        _ => Ok(()),
    }
}

/// Deletes every instance of Multiple-Instance Resource /obj/iid/rid (`res_inst_delete`;
/// 4.05 without it): a Replace of the resource, or a Bootstrap-Write that names it,
/// recreates the ones its payload gives.
pub fn clear_res_instances(anj: *mut anj_t, obj: ObjRef, iid: u16, rid: u16) -> DmResult<()> {
    let Some(res) = find_res(obj, iid, rid) else {
        return Err(DmError::NOT_FOUND);
    };
    let count = obj.res_instances(&res).len();
    for _ in 0..count {
        let Some(first) =
            find_res(obj, iid, rid).and_then(|r| obj.res_instances(&r).first().copied())
        else {
            break;
        };
        check(
            obj.res_inst_delete(anj, iid, rid, first),
            DmError::METHOD_NOT_ALLOWED,
        )?;
    }
    Ok(())
}

/* ----------------------------------- create / delete ----------------------------------- */

/// The lowest IID not in use (Anjay Lite picks the same one).
fn free_iid(obj: ObjRef) -> Option<u16> {
    (0..ANJ_ID_INVALID).find(|i| obj.instance(*i).is_none())
}

/// Creates an Object Instance (§6.3.7) with `iid`, or the lowest free IID when `None`:
/// 4.00 if the IID exists, 4.05 without `inst_create`, 5.00 when the object is full.
/// Returns the new IID.
pub fn create_instance(
    anj: *mut anj_t,
    txn: &mut TxnSet,
    obj: ObjRef,
    iid: Option<u16>,
) -> DmResult<u16> {
    if obj.instances().len() >= usize::from(obj.max_inst_count()) {
        return Err(DmError::INTERNAL);
    }
    let iid = match iid {
        Some(ANJ_ID_INVALID) => return Err(DmError::BAD_REQUEST),
        Some(i) if obj.instance(i).is_some() => return Err(DmError::BAD_REQUEST),
        Some(i) => i,
        None => free_iid(obj).ok_or(DmError::INTERNAL)?,
    };
    if !obj.has_inst_create() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    txn.join(anj, obj)?;
    check(obj.inst_create(anj, iid), DmError::METHOD_NOT_ALLOWED)?;
    // The handler must have added the instance to the table.
    if obj.instance(iid).is_none() {
        return Err(DmError::INTERNAL);
    }
    Ok(iid)
}

/// Delete (§6.3.9 in 1.1, §6.3.10 in 1.2) of an Object Instance (`inst_delete`) or a
/// Resource Instance (`res_inst_delete`); other levels are 4.05. `target.obj` must exist;
/// the rest of the path is looked up inside the object's transaction, as Anjay Lite does:
/// a missing instance, resource or resource instance, or a resource that is not
/// multi-instance, is 4.04 (and the transaction ends in failure); an object without the
/// handler is 4.05; whether the resource is writable is left to the handler.
pub fn delete(anj: *mut anj_t, txn: &mut TxnSet, target: &Target) -> DmResult<()> {
    let obj = target.obj;
    match *target.path.as_slice() {
        [_, iid] => {
            txn.join(anj, obj)?;
            obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
            check(obj.inst_delete(anj, iid), DmError::METHOD_NOT_ALLOWED)
        }
        [_, iid, rid, riid] => {
            txn.join(anj, obj)?;
            let res = find_res(obj, iid, rid).ok_or(DmError::NOT_FOUND)?;
            if !res.kind.multiple() || !riid_exists(obj, &res, riid) {
                return Err(DmError::NOT_FOUND);
            }
            check(
                obj.res_inst_delete(anj, iid, rid, riid),
                DmError::METHOD_NOT_ALLOWED,
            )
        }
        _ => Err(DmError::METHOD_NOT_ALLOWED),
    }
}

/* -------------------------------------- execute -------------------------------------- */

/// Checks Execute arguments against LwM2M 1.1 TS Core §5.4.1 ("Execute Operation"):
/// `arglist = arg *("," arg)`, `arg = DIGIT / DIGIT "=" "'" *CHAR "'"`, with
/// `CHAR = "!" / %x23-26 / %x28-5B / %x5D-7E`. An empty payload is no argument.
pub fn valid_execute_args(arg: &[u8]) -> bool {
    if arg.is_empty() {
        return true;
    }
    let is_char = |c: u8| matches!(c, 0x21 | 0x23..=0x26 | 0x28..=0x5B | 0x5D..=0x7E);
    let mut i = 0;
    loop {
        match arg.get(i) {
            Some(d) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        if arg.get(i) == Some(&b'=') {
            if arg.get(i + 1) != Some(&b'\'') {
                return false;
            }
            i += 2;
            while arg.get(i).is_some_and(|&c| is_char(c)) {
                i += 1;
            }
            if arg.get(i) != Some(&b'\'') {
                return false;
            }
            i += 1;
        }
        match arg.get(i) {
            None => return true,
            Some(b',') => i += 1,
            Some(_) => return false,
        }
    }
}

/// Execute on a resource (LwM2M 1.1 TS Core §6.3.5): 4.05 unless the target is an
/// executable resource, 4.00 for arguments that break the §5.4.1 syntax.
pub fn execute(anj: *mut anj_t, target: &Target, arg: &[u8]) -> DmResult<()> {
    let (iid, rid) = match *target.path.as_slice() {
        [_, iid, rid] => (iid, rid),
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    };
    let obj = target.obj;
    let res = find_res(obj, iid, rid).ok_or(DmError::NOT_FOUND)?;
    if !res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    if !valid_execute_args(arg) {
        return Err(DmError::BAD_REQUEST);
    }
    check(obj.execute(anj, iid, rid, arg), DmError::METHOD_NOT_ALLOWED)
}

/* -------------------------------------- discover -------------------------------------- */

/// One record of a Discover response: the path, the Object version (Object records) and
/// `dim` (Multiple-Instance Resources).
pub struct DiscoverItem<'a> {
    pub path: Path,
    pub version: Option<&'a str>,
    pub dim: Option<u16>,
}

/// The default `depth` of a Discover (LwM2M 1.1 TS Core §6.3.6): an Object lists its
/// Instances and their Resources (2), an Instance its Resources (1), a Resource its
/// Resource Instances (1).
pub fn default_depth(path: &Path) -> u8 {
    if path.len() == 1 {
        2
    } else {
        1
    }
}

/// Visits the link-format records of a Discover on `target` down to `depth` levels below
/// it (0..=3; `None` is the default).
pub fn discover_each(
    target: &Target,
    depth: Option<u8>,
    f: &mut dyn FnMut(DiscoverItem<'_>) -> DmResult<()>,
) -> DmResult<()> {
    let obj = target.obj;
    let base = target.path;
    let ids = base.as_slice();
    let depth = depth.unwrap_or_else(|| default_depth(&base));
    let within = |level: usize| level >= ids.len() && level - ids.len() <= usize::from(depth);
    let oid = obj.oid();
    if ids.len() == 1 {
        f(DiscoverItem {
            path: base,
            version: obj.version(),
            dim: None,
        })?;
    }
    for inst in obj.instances() {
        if ids.get(1).is_some_and(|&i| i != inst.iid) {
            continue;
        }
        if within(2) {
            f(DiscoverItem {
                path: Path::new(&[oid, inst.iid]),
                version: None,
                dim: None,
            })?;
        }
        for res in obj.resources(inst) {
            if ids.get(2).is_some_and(|&r| r != res.rid) {
                continue;
            }
            let insts = obj.res_instances(res);
            if within(3) {
                f(DiscoverItem {
                    path: Path::new(&[oid, inst.iid, res.rid]),
                    version: None,
                    dim: res.kind.multiple().then_some(insts.len() as u16),
                })?;
            }
            if res.kind.multiple() && within(4) {
                for &riid in insts {
                    f(DiscoverItem {
                        path: Path::new(&[oid, inst.iid, res.rid, riid]),
                        version: None,
                        dim: None,
                    })?;
                }
            }
        }
    }
    Ok(())
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
        assert_eq!(DmError::from_handler(c_int::MIN), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(5), DmError::INTERNAL);
    }
}
