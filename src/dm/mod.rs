//! The data model: the registry of objects and the Device Management operations over it
//! (LwM2M 1.1 TS Core §6.3). Objects are the application's `anj_dm_obj_t` tables, reached
//! through [`ObjRef`]; the built-in Security, Server and Device objects are objects of the
//! same kind (see `crate::ffi::objects`).

pub mod builtin;

use core::ffi::c_int;

use crate::coap::Code;
use crate::config::DM_MAX_OBJECTS_NUMBER;
use crate::ffi::core::anj_t;
use crate::ffi::dm::*;
use crate::io::value::{DataType, Path, Value};

/// Why a data model operation failed: carries the CoAP response code the server gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmError(pub Code);

impl DmError {
    pub const BAD_REQUEST: DmError = DmError(Code::BAD_REQUEST);
    pub const UNAUTHORIZED: DmError = DmError(Code::UNAUTHORIZED);
    pub const NOT_FOUND: DmError = DmError(Code::NOT_FOUND);
    pub const METHOD_NOT_ALLOWED: DmError = DmError(Code::METHOD_NOT_ALLOWED);
    pub const INTERNAL: DmError = DmError(Code::INTERNAL_SERVER_ERROR);

    /// Maps a handler's return code: `-(CoAP code)` of a 4.xx/5.xx passes through,
    /// anything else negative is 5.00 (Anjay Lite's `ANJ_DM_ERR_*` convention).
    pub fn from_handler(ret: c_int) -> DmError {
        if let Some(code) = ret.checked_neg().and_then(|c| u8::try_from(c).ok()) {
            let code = Code(code);
            if code.class() == 4 || code.class() == 5 {
                return DmError(code);
            }
        }
        DmError::INTERNAL
    }
}

impl DmError {
    /// The `ANJ_DM_ERR_*`-style code of this error (minus the CoAP code).
    pub fn handler_code(self) -> c_int {
        -(self.0 .0 as c_int)
    }
}

pub type DmResult<T> = Result<T, DmError>;

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

/// Reads one resource (instance) through its object's handler and converts the result.
/// The returned value may borrow memory the handler owns; it is used before the next call.
pub fn read_value<'a>(
    anj: *mut anj_t,
    obj: ObjRef,
    res: &anj_dm_res_t,
    iid: u16,
    riid: u16,
) -> DmResult<Value<'a>> {
    let mut out = anj_res_value_t::zeroed();
    check(
        obj.read(anj, iid, res.rid, riid, &mut out),
        DmError::METHOD_NOT_ALLOWED,
    )?;
    Ok(crate::ffi::dm::value_from_c(res.r#type, &out))
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

/// The target of an operation, resolved against the registry.
pub struct Target {
    pub obj: ObjRef,
    pub path: Path,
}

/// Resolves the object of `path`, applying the access rule of LwM2M 1.1 TS Core §6.3:
/// the Security object (and OSCORE) is not reachable through Device Management.
pub fn resolve(reg: &Registry, path: &Path) -> DmResult<Target> {
    let ids = path.as_slice();
    let oid = *ids.first().ok_or(DmError::METHOD_NOT_ALLOWED)?;
    if oid == 0 || oid == 21 {
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

/// Visits every readable value under `target` in path order, calling `f(path, value)`.
/// A single resource that is not readable is 4.05; unreadable ones are skipped at
/// higher levels (LwM2M 1.1 TS Core §6.3.1).
pub fn read_each(
    anj: *mut anj_t,
    target: &Target,
    f: &mut dyn FnMut(&Path, &Value<'_>) -> DmResult<()>,
) -> DmResult<()> {
    let obj = target.obj;
    let ids = target.path.as_slice();
    let oid = obj.oid();
    let want_iid = ids.get(1).copied();
    let want_rid = ids.get(2).copied();
    let want_riid = ids.get(3).copied();
    for inst in obj.instances() {
        if want_iid.is_some_and(|i| i != inst.iid) {
            continue;
        }
        for res in obj.resources(inst) {
            if want_rid.is_some_and(|r| r != res.rid) {
                continue;
            }
            if !res.kind.readable() {
                if want_rid.is_some() {
                    return Err(DmError::METHOD_NOT_ALLOWED);
                }
                continue;
            }
            if res.kind.multiple() {
                for &riid in obj.res_instances(res) {
                    if want_riid.is_some_and(|r| r != riid) {
                        continue;
                    }
                    let v = read_value(anj, obj, res, inst.iid, riid)?;
                    f(&Path::new(&[oid, inst.iid, res.rid, riid]), &v)?;
                }
            } else {
                let v = read_value(anj, obj, res, inst.iid, ANJ_ID_INVALID)?;
                f(&Path::new(&[oid, inst.iid, res.rid]), &v)?;
            }
        }
    }
    Ok(())
}

/// Reads one resource value by absolute path, bypassing the Security access rule: this is
/// the client's own view (`anj_dm_res_read`, and the registration logic reading /0 and /1).
pub fn read_resource<'a>(anj: *mut anj_t, reg: &Registry, path: &Path) -> DmResult<Value<'a>> {
    let ids = path.as_slice();
    if ids.len() < 3 {
        return Err(DmError::BAD_REQUEST);
    }
    let obj = reg.find(ids[0]).ok_or(DmError::NOT_FOUND)?;
    let inst = obj.instance(ids[1]).ok_or(DmError::NOT_FOUND)?;
    let res = *obj
        .resources(inst)
        .iter()
        .find(|r| r.rid == ids[2])
        .ok_or(DmError::NOT_FOUND)?;
    if res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) if obj.res_instances(&res).contains(&riid) => riid,
        (false, None) => ANJ_ID_INVALID,
        _ => return Err(DmError::NOT_FOUND),
    };
    read_value(anj, obj, &res, inst.iid, riid)
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
    let inst = obj.instance(ids[1]).ok_or(DmError::NOT_FOUND)?;
    let res = *obj
        .resources(inst)
        .iter()
        .find(|r| r.rid == ids[2])
        .ok_or(DmError::NOT_FOUND)?;
    if !res.kind.readable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) if obj.res_instances(&res).contains(&riid) => riid,
        (false, None) => ANJ_ID_INVALID,
        _ => return Err(DmError::NOT_FOUND),
    };
    check(
        obj.read(anj, inst.iid, res.rid, riid, out),
        DmError::METHOD_NOT_ALLOWED,
    )
}

/// The type of the resource at `path` (resource or resource-instance level), for decoders
/// of formats that do not carry types.
pub fn resource_type(reg: &Registry, path: &Path) -> Option<DataType> {
    let ids = path.as_slice();
    let obj = reg.find(*ids.first()?)?;
    let inst = obj.instance(*ids.get(1)?)?;
    let res = obj
        .resources(inst)
        .iter()
        .find(|r| Some(&r.rid) == ids.get(2))?;
    Some(data_type(res.r#type))
}

/// Whether the resource at `path` (resource level) is a multi-instance one.
pub fn is_multiple(reg: &Registry, path: &Path) -> bool {
    let ids = path.as_slice();
    let found = (|| {
        let obj = reg.find(*ids.first()?)?;
        let inst = obj.instance(*ids.get(1)?)?;
        let res = obj
            .resources(inst)
            .iter()
            .find(|r| Some(&r.rid) == ids.get(2))?;
        Some(res.kind.multiple())
    })();
    found.unwrap_or(false)
}

/// One transaction over one object: begin, then the caller's writes, then validate and end.
pub struct Transaction {
    obj: ObjRef,
}

impl Transaction {
    pub fn begin(anj: *mut anj_t, obj: ObjRef) -> DmResult<Transaction> {
        match obj.transaction_begin(anj) {
            0 => Ok(Transaction { obj }),
            r => Err(DmError::from_handler(r)),
        }
    }

    /// Validates and ends the transaction; a failed write or validation ends it as failed
    /// so the object rolls back (LwM2M writes are atomic per request).
    pub fn finish(self, anj: *mut anj_t, result: DmResult<()>) -> DmResult<()> {
        let result = result.and_then(|()| match self.obj.transaction_validate(anj) {
            0 => Ok(()),
            // Validation failure is the server's fault: 4.00 (LwM2M 1.1 TS Core §6.3.3).
            r => Err(match DmError::from_handler(r) {
                DmError::INTERNAL => DmError::BAD_REQUEST,
                e => e,
            }),
        });
        self.obj.transaction_end(anj, result.is_ok());
        result
    }
}

/// Writes one value at `path` (resource or resource instance) inside a transaction.
pub fn write_value(anj: *mut anj_t, obj: ObjRef, path: &Path, value: &Value<'_>) -> DmResult<()> {
    let ids = path.as_slice();
    let (iid, rid) = match ids {
        [_, iid, rid] | [_, iid, rid, _] => (*iid, *rid),
        _ => return Err(DmError::BAD_REQUEST),
    };
    let inst = obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
    let res = *obj
        .resources(inst)
        .iter()
        .find(|r| r.rid == rid)
        .ok_or(DmError::NOT_FOUND)?;
    if !res.kind.writable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) => riid,
        (false, None) => ANJ_ID_INVALID,
        _ => return Err(DmError::BAD_REQUEST),
    };
    if !type_matches(data_type(res.r#type), value) {
        return Err(DmError::BAD_REQUEST);
    }
    let c = value_to_c(value);
    check(
        obj.write(anj, iid, rid, riid, &c),
        DmError::METHOD_NOT_ALLOWED,
    )
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

/// Execute on a resource (LwM2M 1.1 TS Core §6.3.5).
pub fn execute(anj: *mut anj_t, target: &Target, arg: &[u8]) -> DmResult<()> {
    let ids = target.path.as_slice();
    let (iid, rid) = match ids {
        [_, iid, rid] => (*iid, *rid),
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    };
    let obj = target.obj;
    let inst = obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
    let res = obj
        .resources(inst)
        .iter()
        .find(|r| r.rid == rid)
        .ok_or(DmError::NOT_FOUND)?;
    if !res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    check(obj.execute(anj, iid, rid, arg), DmError::METHOD_NOT_ALLOWED)
}

/// Visits the link-format records of a Discover (LwM2M 1.1 TS Core §6.3.6): with the
/// default depth, an object lists its instances and their resources, an instance its
/// resources, and a resource itself, with `dim` for multi-instance resources.
pub fn discover_each(
    target: &Target,
    f: &mut dyn FnMut(DiscoverItem<'_>) -> DmResult<()>,
) -> DmResult<()> {
    let obj = target.obj;
    let ids = target.path.as_slice();
    let oid = obj.oid();
    if ids.len() == 1 {
        f(DiscoverItem::Object {
            oid,
            version: obj.version(),
        })?;
    }
    for inst in obj.instances() {
        if ids.get(1).is_some_and(|&i| i != inst.iid) {
            continue;
        }
        if ids.len() <= 2 {
            f(DiscoverItem::Instance { oid, iid: inst.iid })?;
        }
        for res in obj.resources(inst) {
            if ids.get(2).is_some_and(|&r| r != res.rid) {
                continue;
            }
            let dim = res
                .kind
                .multiple()
                .then(|| obj.res_instances(res).len() as u16);
            f(DiscoverItem::Resource {
                path: Path::new(&[oid, inst.iid, res.rid]),
                dim,
            })?;
            if ids.len() >= 3 && res.kind.multiple() {
                for &riid in obj.res_instances(res) {
                    if ids.get(3).is_some_and(|&r| r != riid) {
                        continue;
                    }
                    f(DiscoverItem::ResourceInstance {
                        path: Path::new(&[oid, inst.iid, res.rid, riid]),
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// One record of a Discover response.
pub enum DiscoverItem<'a> {
    Object { oid: u16, version: Option<&'a str> },
    Instance { oid: u16, iid: u16 },
    Resource { path: Path, dim: Option<u16> },
    ResourceInstance { path: Path },
}
