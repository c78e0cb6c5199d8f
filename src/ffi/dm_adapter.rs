//! The one C adapter of the data model: [`CObject`] implements the core's
//! [`Object`] trait over an application's `anj_dm_obj_t` and its handler table, so the
//! engine (`anj_core::dm::ops`) runs the same operations on C objects as on Rust ones.

use core::cell::Cell;
use core::ffi::c_int;

use anj_core::dm::object::{Object, ResKind, Resource, WriteValue};
use anj_core::dm::{DmError, DmResult, Objects};
use anj_core::io::value::{DataType, Value};

use crate::ffi::core::anj_t;
use crate::ffi::dm::*;

/// An application's object, with the `anj_t *` its handlers receive.
///
/// The adapter never dereferences `anj`: it only passes it on to the handlers (they get
/// the client they were registered with). An external value read through the adapter is
/// kept in `hold` (lent by [`CObjects`] for a block-wise Read, whose blocks go on with it)
/// or, without one, in the adapter itself.
///
/// The engine addresses instances and resources by ID, and mostly asks about the same
/// ones many times in a row (a Read lists an instance's resources, then reads each). The
/// adapter remembers where it last found an instance and a resource (`inst_at`,
/// `res_at`: the ID and its position in the table), and checks that the ID is still
/// there before it uses the position, so a handler that rewrites the tables never makes
/// it answer from stale memory; only a miss searches the tables.
pub struct CObject<'h> {
    obj: ObjRef,
    anj: *mut anj_t,
    // Positions as u16: the tables' lengths are u16 counts (`max_inst_count`,
    // `res_count`), so every position fits.
    inst_at: Cell<(u16, u16)>,
    res_at: Cell<(u16, u16)>,
    // Read by `read_external` only.
    #[cfg_attr(not(feature = "external-data"), allow(dead_code))]
    hold: Option<&'h mut ExtHold>,
    #[cfg(feature = "external-data")]
    own: ExtHold,
}

impl<'h> CObject<'h> {
    /// The adapter of registered object `obj`, whose handlers get `anj`.
    pub fn new(obj: ObjRef, anj: *mut anj_t) -> CObject<'static> {
        CObject {
            obj,
            anj,
            inst_at: Cell::new((ANJ_ID_INVALID, 0)),
            res_at: Cell::new((ANJ_ID_INVALID, 0)),
            hold: None,
            #[cfg(feature = "external-data")]
            own: ExtHold::default(),
        }
    }

    /// [`CObject::new`], keeping an external value read through it in `hold`.
    pub fn with_hold(obj: ObjRef, anj: *mut anj_t, hold: &'h mut ExtHold) -> CObject<'h> {
        let mut o = CObject::new(obj, anj);
        o.hold = Some(hold);
        o
    }

    /// This adapter, starting from the positions `hint` gives (an earlier adapter's of the
    /// same object, [`CObject::hint`]); they are checked before use, like its own.
    #[inline]
    pub fn hinted(self, hint: Hint) -> Self {
        self.inst_at.set(hint.inst);
        self.res_at.set(hint.res);
        self
    }

    /// Where this adapter last found an instance and a resource.
    #[inline]
    pub fn hint(&self) -> Hint {
        Hint {
            inst: self.inst_at.get(),
            res: self.res_at.get(),
        }
    }

    /// Instance `iid`: at the remembered position if it is still there, else searched
    /// for among the used slots.
    #[inline]
    fn inst(&self, iid: u16) -> Option<&anj_dm_obj_inst_t> {
        if iid == ANJ_ID_INVALID {
            return None;
        }
        let (last, at) = self.inst_at.get();
        if last == iid {
            if let Some(i) = self
                .obj
                .instance_slot(usize::from(at))
                .filter(|i| i.iid == iid)
            {
                return Some(i);
            }
        }
        let slots = self.obj.instance_slots();
        let at = slots
            .iter()
            .take_while(|i| i.iid != ANJ_ID_INVALID)
            .position(|i| i.iid == iid)?;
        self.inst_at.set((iid, at as u16));
        slots.get(at)
    }

    /// Resource `rid` of instance `iid`: at the remembered position if it is still
    /// there, else found by a binary search (the resources are sorted by RID; the
    /// registration checks it, and the application keeps it so). Not inlined: it is the
    /// lookup of four trait methods, and one copy of it is enough.
    #[inline(never)]
    fn res(&self, iid: u16, rid: u16) -> Option<&anj_dm_res_t> {
        let list = self.obj.resources(self.inst(iid)?);
        let (last, at) = self.res_at.get();
        if last == rid {
            if let Some(r) = list.get(usize::from(at)).filter(|r| r.rid == rid) {
                return Some(r);
            }
        }
        let at = find_rid(list, rid)?;
        self.res_at.set((rid, at as u16));
        list.get(at)
    }

    /// Calls the read handler: the raw value it reports.
    fn read_raw(&mut self, iid: u16, rid: u16, riid: Option<u16>) -> DmResult<anj_res_value_t> {
        let mut out = anj_res_value_t::zeroed();
        check(
            self.obj
                .read(self.anj, iid, rid, riid.unwrap_or(ANJ_ID_INVALID), &mut out),
        )?;
        Ok(out)
    }
}

/// Where a [`CObject`] found an instance and a resource (the ID and its position in the
/// table), so that another adapter of the same object, later in the same request, looks
/// there first instead of searching ([`CObject::hinted`]). Only a hint: the adapter checks
/// that the ID is still at that position before it uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    inst: (u16, u16),
    res: (u16, u16),
}

impl Hint {
    /// No position known.
    pub const NONE: Hint = Hint {
        inst: (ANJ_ID_INVALID, 0),
        res: (ANJ_ID_INVALID, 0),
    };
}

/// The position of resource `rid` in `list`, which is sorted by RID (the registration
/// checks it, and the application keeps it so): a scan that stops at the first larger
/// RID for short lists (cheaper there), a binary search for long ones.
#[inline]
fn find_rid(list: &[anj_dm_res_t], rid: u16) -> Option<usize> {
    if list.len() <= 32 {
        let at = list.iter().position(|r| r.rid >= rid)?;
        return (list[at].rid == rid).then_some(at);
    }
    list.binary_search_by_key(&rid, |r| r.rid).ok()
}

/// A handler's result: `None` when the object has no such handler (4.05).
fn check(ret: Option<c_int>) -> DmResult<()> {
    match ret {
        None => Err(DmError::METHOD_NOT_ALLOWED),
        Some(0) => Ok(()),
        Some(r) => Err(DmError::from_handler(r)),
    }
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

/// [`data_type`] the other way round.
fn c_data_type(t: DataType) -> anj_data_type_t {
    match t {
        DataType::Bytes => ANJ_DATA_TYPE_BYTES,
        DataType::String => ANJ_DATA_TYPE_STRING,
        DataType::Int => ANJ_DATA_TYPE_INT,
        DataType::Double => ANJ_DATA_TYPE_DOUBLE,
        DataType::Bool => ANJ_DATA_TYPE_BOOL,
        DataType::Objlnk => ANJ_DATA_TYPE_OBJLNK,
        DataType::Uint => ANJ_DATA_TYPE_UINT,
        DataType::Time => ANJ_DATA_TYPE_TIME,
        DataType::Null => ANJ_DATA_TYPE_NULL,
    }
}

fn kind(k: anj_dm_res_kind_t) -> ResKind {
    use anj_dm_res_kind_t::*;
    match k {
        ANJ_DM_RES_R => ResKind::R,
        ANJ_DM_RES_RM => ResKind::RM,
        ANJ_DM_RES_W => ResKind::W,
        ANJ_DM_RES_WM => ResKind::WM,
        ANJ_DM_RES_RW => ResKind::RW,
        ANJ_DM_RES_RWM => ResKind::RWM,
        ANJ_DM_RES_E => ResKind::E,
    }
}

#[inline]
fn describe(r: &anj_dm_res_t) -> Resource {
    Resource {
        rid: r.rid,
        kind: kind(r.kind),
        data_type: data_type(r.r#type),
        #[cfg(feature = "external-data")]
        external: r.r#type & ANJ_DATA_TYPE_FLAG_EXTERNAL != 0,
        #[cfg(not(feature = "external-data"))]
        external: false,
        max_instances: r.max_inst_count,
    }
}

/// Converts a decoded value into the `anj_res_value_t` handed to a write handler: it
/// points into `v`, and is valid as long as `v` is.
pub fn value_to_c(v: &Value<'_>) -> anj_res_value_t {
    let mut out = anj_res_value_t::zeroed();
    match *v {
        Value::Null => {}
        Value::Bytes(b) => out.bytes_or_string = bytes_value(b, 0, Some(b.len())),
        Value::String(s) => out.bytes_or_string = bytes_value(s.as_bytes(), 0, Some(s.len())),
        Value::Int(i) => out.int_value = i,
        Value::Time(t) => out.time_value = t,
        Value::Uint(u) => out.uint_value = u,
        Value::Double(d) => out.double_value = d,
        Value::Bool(b) => out.bool_value = b,
        Value::Objlnk { oid, iid } => out.objlnk = anj_objlnk_value_t { oid, iid },
    }
    out
}

/// A bytes/string member: `data` at `offset`; the full length 0 while it is not known
/// (dm/defs.h).
fn bytes_value(data: &[u8], offset: usize, full: Option<usize>) -> anj_bytes_or_string_value_t {
    anj_bytes_or_string_value_t {
        data: data.as_ptr().cast(),
        offset,
        chunk_length: data.len(),
        full_length_hint: full.unwrap_or(0),
    }
}

/// The `anj_res_value_t` a write handler gets for `v`.
pub fn write_value_to_c(v: &WriteValue<'_>) -> anj_res_value_t {
    match *v {
        WriteValue::Whole(ref w) => value_to_c(w),
        WriteValue::Chunk {
            data,
            offset,
            full_len,
            ..
        } => {
            let mut out = anj_res_value_t::zeroed();
            out.bytes_or_string = bytes_value(data, offset, full_len);
            out
        }
    }
}

impl Object for CObject<'_> {
    fn oid(&self) -> u16 {
        self.obj.oid()
    }

    fn version(&self) -> Option<&str> {
        self.obj.version()
    }

    fn instance_id(&self, index: usize) -> Option<u16> {
        let slots = self.obj.instance_slots();
        let iid = slots.get(index)?.iid;
        // The used slots come first: this one is used if it and the one before are
        // (the engine lists from position 0 and stops at the first `None`).
        let prev_used = index == 0 || slots[index - 1].iid != ANJ_ID_INVALID;
        if iid == ANJ_ID_INVALID || !prev_used {
            return None;
        }
        self.inst_at.set((iid, index as u16));
        Some(iid)
    }

    fn max_instances(&self) -> u16 {
        self.obj.max_inst_count()
    }

    #[inline]
    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        let res = self.obj.resources(self.inst(iid)?).get(index)?;
        self.res_at.set((res.rid, index as u16));
        Some(describe(res))
    }

    #[inline]
    fn resource_instance_id(&self, iid: u16, rid: u16, index: usize) -> Option<u16> {
        let slots = self.obj.res_instance_slots(self.res(iid, rid)?);
        let riid = *slots.get(index)?;
        // As in `instance_id`: the used slots come first.
        let prev_used = index == 0 || slots[index - 1] != ANJ_ID_INVALID;
        (riid != ANJ_ID_INVALID && prev_used).then_some(riid)
    }

    #[inline]
    fn read(&mut self, iid: u16, res: &Resource, riid: Option<u16>) -> DmResult<Value<'_>> {
        let out = self.read_raw(iid, res.rid, riid)?;
        #[cfg(feature = "external-data")]
        if res.external {
            // Streamed through `read_external`; read whole, it is empty.
            return Ok(match res.data_type {
                DataType::String => Value::String(""),
                _ => Value::Bytes(&[]),
            });
        }
        // The type the table gave (`describe`), back in the C encoding.
        let t = c_data_type(res.data_type);
        // SAFETY: `out` is what the read handler of a resource of type `t` reported
        // (its member for `t` is the one it set; bytes and strings point at memory the
        // handler's contract keeps valid until the next handler call). The value is
        // bounded by this borrow of the adapter, and every handler call goes through a
        // `&mut` borrow of it.
        Ok(unsafe { value_from_c(t, &out) })
    }

    fn read_path(&mut self, path: &anj_core::io::value::Path) -> DmResult<Value<'_>> {
        // The C tables directly (the instance, then the resource by ID), as the client's
        // own reads of /0 and /1 need nothing else.
        let ids = path.as_slice();
        let (iid, rid, riid) = match ids {
            [_, iid, rid] => (*iid, *rid, None),
            [_, iid, rid, riid] => (*iid, *rid, Some(*riid)),
            _ => return Err(DmError::BAD_REQUEST),
        };
        let inst = self.obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
        let list = self.obj.resources(inst);
        let res = list[find_rid(list, rid).ok_or(DmError::NOT_FOUND)?];
        if res.kind.executable() {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        match (res.kind.multiple(), riid) {
            (true, Some(r)) if self.obj.has_res_instance(&res, r) => {}
            (false, None) => {}
            _ => return Err(DmError::NOT_FOUND),
        }
        let out = self.read_raw(iid, rid, riid)?;
        #[cfg(feature = "external-data")]
        if res.r#type & ANJ_DATA_TYPE_FLAG_EXTERNAL != 0 {
            return Ok(match data_type(res.r#type) {
                DataType::String => Value::String(""),
                _ => Value::Bytes(&[]),
            });
        }
        // SAFETY: `out` is what the read handler of a resource of this type reported (its
        // member for the type is the one it set; bytes and strings point at memory the
        // handler's contract keeps valid until the next handler call). The value is
        // bounded by this borrow of the adapter, and every handler call goes through a
        // `&mut` borrow of it.
        Ok(unsafe { value_from_c(res.r#type, &out) })
    }

    #[cfg(feature = "external-data")]
    fn read_external(
        &mut self,
        iid: u16,
        rid: u16,
        riid: Option<u16>,
    ) -> DmResult<&mut anj_core::io::value::Source<'static>> {
        let out = self.read_raw(iid, rid, riid)?;
        let fresh = ExternalSource::new(&out).ok_or(DmError::INTERNAL)?;
        let oid = self.oid();
        let path = match riid {
            Some(riid) => anj_core::io::value::Path::new(&[oid, iid, rid, riid]),
            None => anj_core::io::value::Path::new(&[oid, iid, rid]),
        };
        let hold = match self.hold.as_deref_mut() {
            Some(h) => h,
            None => &mut self.own,
        };
        Ok(hold.source(path, fresh))
    }

    fn write(
        &mut self,
        iid: u16,
        rid: u16,
        riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        let c = write_value_to_c(value);
        check(
            self.obj
                .write(self.anj, iid, rid, riid.unwrap_or(ANJ_ID_INVALID), &c),
        )
    }

    fn execute(&mut self, iid: u16, rid: u16, arg: &[u8]) -> DmResult<()> {
        check(self.obj.execute(self.anj, iid, rid, arg))
    }

    fn can_create_instances(&self) -> bool {
        self.obj.has_inst_create()
    }

    fn create_instance(&mut self, iid: u16) -> DmResult<()> {
        check(self.obj.inst_create(self.anj, iid))
    }

    fn can_delete_instances(&self) -> bool {
        self.obj.has_inst_delete()
    }

    fn delete_instance(&mut self, iid: u16) -> DmResult<()> {
        check(self.obj.inst_delete(self.anj, iid))
    }

    fn reset_instance(&mut self, iid: u16) -> DmResult<()> {
        check(self.obj.inst_reset(self.anj, iid))
    }

    fn create_resource_instance(&mut self, iid: u16, rid: u16, riid: u16) -> DmResult<()> {
        check(self.obj.res_inst_create(self.anj, iid, rid, riid))
    }

    fn delete_resource_instance(&mut self, iid: u16, rid: u16, riid: u16) -> DmResult<()> {
        check(self.obj.res_inst_delete(self.anj, iid, rid, riid))
    }

    fn transaction_begin(&mut self) -> DmResult<()> {
        match self.obj.transaction_begin(self.anj) {
            0 => Ok(()),
            r => Err(DmError::from_handler(r)),
        }
    }

    fn transaction_validate(&mut self) -> DmResult<()> {
        match self.obj.transaction_validate(self.anj) {
            0 => Ok(()),
            r => Err(DmError::from_handler(r)),
        }
    }

    fn transaction_end(&mut self, success: bool) {
        self.obj.transaction_end(self.anj, success)
    }

    fn has_instance(&self, iid: u16) -> bool {
        self.inst(iid).is_some()
    }

    fn instance_count(&self) -> usize {
        self.obj.instances().len()
    }

    fn find_resource(&self, iid: u16, rid: u16) -> Option<Resource> {
        self.res(iid, rid).map(describe)
    }

    fn resource_instance_count(&self, iid: u16, rid: u16) -> usize {
        self.res(iid, rid)
            .map_or(0, |r| self.obj.res_instances(r).len())
    }

    fn has_resource_instance(&self, iid: u16, rid: u16, riid: u16) -> bool {
        self.res(iid, rid)
            .is_some_and(|r| self.obj.has_res_instance(r, riid))
    }
}

/// The application's objects as the core's object set ([`Objects`]): the registry of
/// `anj_dm_obj_t`s and the `anj_t *` their handlers get, plus the external value a
/// block-wise Read keeps open between its blocks (the C face's, kept in the `anj_t`).
///
/// One adapter ([`CObject`]) at a time: asked for the same object again, the set hands
/// out the same adapter, so where it last found an instance and a resource is still
/// known (a request asks for its object several times: to resolve the path, to check it,
/// to run the operation).
pub struct CObjects<'a> {
    reg: &'a crate::dm::Registry,
    anj: *mut anj_t,
    scratch: Option<CObject<'a>>,
    /// The hold of a block-wise Read, while not lent to `scratch`.
    hold: Option<&'a mut ExtHold>,
}

impl<'a> CObjects<'a> {
    /// The registry the objects come from.
    pub fn registry(&self) -> &'a crate::dm::Registry {
        self.reg
    }

    /// The objects of `reg`, whose handlers get `anj`; `hold` keeps the external value
    /// of a block-wise Read between requests (`None`: nothing is kept).
    pub fn new(
        reg: &'a crate::dm::Registry,
        anj: *mut anj_t,
        hold: Option<&'a mut ExtHold>,
    ) -> CObjects<'a> {
        CObjects {
            reg,
            anj,
            scratch: None,
            hold,
        }
    }

    /// The adapter of `oid`: the one handed out last if it is of the same object (its
    /// own external value closed, the lent hold taken back), else a new one.
    #[inline]
    fn adapter(&mut self, oid: u16) -> Option<&mut CObject<'a>> {
        if let Some(s) = self.scratch.as_mut() {
            if let Some(h) = s.hold.take() {
                self.hold = Some(h);
            }
            if s.obj.oid() == oid {
                #[cfg(feature = "external-data")]
                s.own.clear();
                return self.scratch.as_mut();
            }
        }
        let obj = self.reg.find(oid)?;
        Some(self.scratch.insert(CObject::new(obj, self.anj)))
    }
}

impl Objects for CObjects<'_> {
    fn len(&self) -> usize {
        self.reg.count()
    }

    fn oid_at(&self, index: usize) -> Option<u16> {
        self.reg.iter().nth(index).map(|o| o.oid())
    }

    #[inline]
    fn object(&mut self, oid: u16) -> Option<&mut dyn Object> {
        match self.adapter(oid) {
            Some(o) => Some(o),
            None => None,
        }
    }

    fn object_keeping_sources(&mut self, oid: u16) -> Option<&mut dyn Object> {
        // Not found: the hold stays with the set.
        self.adapter(oid)?;
        let hold = self.hold.take();
        let o = self.scratch.as_mut()?;
        o.hold = hold;
        Some(o)
    }

    fn close_kept_sources(&mut self) {
        if let Some(h) = self.scratch.as_mut().and_then(|s| s.hold.take()) {
            self.hold = Some(h);
        }
        if let Some(h) = self.hold.as_deref_mut() {
            h.clear();
        }
    }
}

/// An external value kept between the requests of a block-wise Read (RFC 7959 Block2):
/// the source stays open where the last block stopped, and remembers the value's length,
/// so that the next block goes on reading where that one stopped (see
/// [`ExternalSource`]). Empty without `external-data`. Dropping or clearing it closes the
/// value.
#[derive(Default)]
pub struct ExtHold {
    #[cfg(feature = "external-data")]
    held: Option<(anj_core::io::value::Path, ExternalSource)>,
}

impl ExtHold {
    /// Closes the held value, if any.
    pub fn clear(&mut self) {
        #[cfg(feature = "external-data")]
        {
            self.held = None;
        }
    }

    /// Whether a value is held (open, or with its length known, and no callback failed).
    pub fn is_held(&self) -> bool {
        #[cfg(feature = "external-data")]
        {
            self.held.as_ref().is_some_and(|(_, s)| !s.failed())
        }
        #[cfg(not(feature = "external-data"))]
        false
    }

    /// The source to read the value at `path` from: the held one if it reads the same
    /// value as `fresh` (and has not failed), else `fresh` (the held one is closed).
    #[cfg(feature = "external-data")]
    fn source(
        &mut self,
        path: anj_core::io::value::Path,
        fresh: ExternalSource,
    ) -> &mut ExternalSource {
        let src = match self.held.take() {
            Some((p, held)) if p == path && !held.failed() && held.same_value(&fresh) => held,
            // Another value: the held one is closed (dropped).
            _ => fresh,
        };
        &mut self.held.insert((path, src)).1
    }
}

/// The registered object and resource of `path` (a resource or resource instance) for
/// the client's own reads.
fn own_read_target(
    reg: &crate::dm::Registry,
    path: &anj_core::io::value::Path,
) -> DmResult<(ObjRef, anj_dm_res_t)> {
    let ids = path.as_slice();
    let (oid, iid, rid) = match ids {
        [oid, iid, rid, ..] => (*oid, *iid, *rid),
        _ => return Err(DmError::BAD_REQUEST),
    };
    let obj = reg.find(oid).ok_or(DmError::NOT_FOUND)?;
    let inst = obj.instance(iid).ok_or(DmError::NOT_FOUND)?;
    let list = obj.resources(inst);
    let at = find_rid(list, rid).ok_or(DmError::NOT_FOUND)?;
    Ok((obj, list[at]))
}

/// Reads one resource value by absolute path, bypassing the Security access rule: this is
/// the client's own view (the registration logic reading /0 and /1). External values are
/// read as empty.
///
/// Bytes and strings point into the application's memory, which the read handler's
/// contract keeps valid until the next handler call: the value is bounded by the borrow of
/// `reg`, and callers use it before they call into the data model again. Code that can
/// take a closure uses [`crate::dm::read_resource_with`], which the compiler checks.
pub fn read_resource<'r>(
    anj: *mut anj_t,
    reg: &'r crate::dm::Registry,
    path: &anj_core::io::value::Path,
) -> DmResult<Value<'r>> {
    let (obj, res) = own_read_target(reg, path)?;
    let ids = path.as_slice();
    let (iid, riid) = (ids[1], ids.get(3).copied());
    if res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let exists = |r: u16| obj.has_res_instance(&res, r);
    match (res.kind.multiple(), riid) {
        (true, Some(r)) if exists(r) => {}
        (false, None) => {}
        _ => return Err(DmError::NOT_FOUND),
    }
    let mut out = anj_res_value_t::zeroed();
    check(obj.read(anj, iid, res.rid, riid.unwrap_or(ANJ_ID_INVALID), &mut out))?;
    #[cfg(feature = "external-data")]
    if res.r#type & ANJ_DATA_TYPE_FLAG_EXTERNAL != 0 {
        return Ok(match data_type(res.r#type) {
            DataType::String => Value::String(""),
            _ => Value::Bytes(&[]),
        });
    }
    // SAFETY: `out` is what the read handler of a resource of this type reported; its
    // bytes or string stay valid until the next handler call (the handler's contract),
    // which the callers of this function do not make while they use the value (see the
    // function's documentation).
    Ok(unsafe { value_from_c(res.r#type, &out) })
}

/// `anj_dm_res_read`: the raw value the handler reports for `path` (a resource or
/// resource instance).
pub fn read_resource_raw(
    anj: *mut anj_t,
    reg: &crate::dm::Registry,
    path: &anj_core::io::value::Path,
    out: &mut anj_res_value_t,
) -> DmResult<()> {
    let (obj, res) = own_read_target(reg, path)?;
    if !res.kind.readable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let ids = path.as_slice();
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) if obj.has_res_instance(&res, riid) => riid,
        (false, None) => ANJ_ID_INVALID,
        (true, None) => return Err(DmError::BAD_REQUEST),
        _ => return Err(DmError::NOT_FOUND),
    };
    check(obj.read(anj, ids[1], res.rid, riid, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object without instances or handlers (leaked: the registry keeps a pointer).
    fn bare(oid: u16) -> ObjRef {
        let handlers: &'static anj_dm_handlers_t = Box::leak(Box::default());
        let obj = Box::leak(Box::new(anj_dm_obj_t {
            oid,
            version: core::ptr::null(),
            handlers,
            insts: core::ptr::null(),
            max_inst_count: 0,
        }));
        // SAFETY (test): a valid definition that is never freed.
        unsafe { ObjRef::new(core::ptr::NonNull::from(obj)) }
    }

    #[test]
    fn c_objects_are_the_registry_by_oid_and_reuse_one_adapter() {
        let mut reg = crate::dm::Registry::default();
        for oid in [3303, 1, 3] {
            reg.add(bare(oid)).unwrap();
        }
        let mut hold = ExtHold::default();
        let mut objs = CObjects::new(&reg, core::ptr::null_mut(), Some(&mut hold));
        assert_eq!(Objects::len(&objs), 3);
        let listed: Vec<_> = (0..4).map(|i| objs.oid_at(i)).collect();
        assert_eq!(listed, [Some(1), Some(3), Some(3303), None]);
        assert_eq!(objs.object(3).map(|o| o.oid()), Some(3));
        // The same object again: the same adapter, its memo kept.
        if let Some(s) = objs.scratch.as_ref() {
            s.inst_at.set((7, 1));
        }
        assert_eq!(objs.object(3).map(|o| o.oid()), Some(3));
        assert_eq!(objs.scratch.as_ref().map(|s| s.inst_at.get()), Some((7, 1)));
        // Another object: a fresh adapter.
        assert_eq!(objs.object(1).map(|o| o.oid()), Some(1));
        assert_eq!(
            objs.scratch.as_ref().map(|s| s.inst_at.get()),
            Some((ANJ_ID_INVALID, 0))
        );
        assert!(objs.object(4).is_none());
        // The hold is lent for a held read and taken back by the next lookup.
        assert!(objs.object_keeping_sources(3303).is_some());
        assert!(objs.hold.is_none());
        assert!(objs.scratch.as_ref().is_some_and(|s| s.hold.is_some()));
        assert!(objs.object(3303).is_some());
        assert!(objs.hold.is_some());
        assert!(objs.object_keeping_sources(9).is_none());
        assert!(objs.hold.is_some());
        objs.object_keeping_sources(1);
        objs.close_kept_sources();
        assert!(objs.hold.is_some());
        assert!(!hold.is_held());
    }

    #[test]
    fn data_types_map_both_ways() {
        let all = [
            (ANJ_DATA_TYPE_BYTES, DataType::Bytes),
            (ANJ_DATA_TYPE_STRING, DataType::String),
            (ANJ_DATA_TYPE_INT, DataType::Int),
            (ANJ_DATA_TYPE_DOUBLE, DataType::Double),
            (ANJ_DATA_TYPE_BOOL, DataType::Bool),
            (ANJ_DATA_TYPE_OBJLNK, DataType::Objlnk),
            (ANJ_DATA_TYPE_UINT, DataType::Uint),
            (ANJ_DATA_TYPE_TIME, DataType::Time),
        ];
        for (c, t) in all {
            assert_eq!(data_type(c), t);
            assert_eq!(data_type(c | 1 << 15), t); // the external flag
            assert_eq!(c_data_type(t), c);
        }
        // No type, several types (ANJ_DATA_TYPE_ANY): Null.
        assert_eq!(data_type(ANJ_DATA_TYPE_NULL), DataType::Null);
        assert_eq!(data_type(ANJ_DATA_TYPE_ANY), DataType::Null);
        assert_eq!(
            data_type(ANJ_DATA_TYPE_INT | ANJ_DATA_TYPE_UINT),
            DataType::Null
        );
        assert_eq!(c_data_type(DataType::Null), ANJ_DATA_TYPE_NULL);
    }
}
