//! `anj/dm/defs.h` and `anj/dm/core.h`: the object definitions C code fills in, and the
//! one place where the data model engine reads them and calls their handlers.
//!
//! The engine (`crate::dm`) never sees a raw pointer: [`ObjRef`] wraps a registered
//! object and offers safe accessors; every dereference happens here.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::NonNull;

use crate::ffi::core::anj_t;
use crate::ffi::utils::anj_uri_path_t;
#[cfg(feature = "external-data")]
use crate::io::value::IoError;

pub type anj_oid_t = u16;
pub type anj_iid_t = u16;
pub type anj_rid_t = u16;
pub type anj_riid_t = u16;
pub type anj_data_type_t = u16;

/// An ID slot that holds no instance (`ANJ_ID_INVALID`).
pub const ANJ_ID_INVALID: u16 = u16::MAX;

pub const ANJ_DATA_TYPE_NULL: anj_data_type_t = 0;
pub const ANJ_DATA_TYPE_BYTES: anj_data_type_t = 1 << 0;
pub const ANJ_DATA_TYPE_STRING: anj_data_type_t = 1 << 1;
pub const ANJ_DATA_TYPE_INT: anj_data_type_t = 1 << 2;
pub const ANJ_DATA_TYPE_DOUBLE: anj_data_type_t = 1 << 3;
pub const ANJ_DATA_TYPE_BOOL: anj_data_type_t = 1 << 4;
pub const ANJ_DATA_TYPE_OBJLNK: anj_data_type_t = 1 << 5;
pub const ANJ_DATA_TYPE_UINT: anj_data_type_t = 1 << 6;
pub const ANJ_DATA_TYPE_TIME: anj_data_type_t = 1 << 7;
pub const ANJ_DATA_TYPE_ANY: anj_data_type_t = 0xFF;
#[cfg(feature = "external-data")]
pub const ANJ_DATA_TYPE_FLAG_EXTERNAL: anj_data_type_t = 1 << 15;
#[cfg(feature = "external-data")]
pub const ANJ_DATA_TYPE_EXTERNAL_BYTES: anj_data_type_t =
    ANJ_DATA_TYPE_BYTES | ANJ_DATA_TYPE_FLAG_EXTERNAL;
#[cfg(feature = "external-data")]
pub const ANJ_DATA_TYPE_EXTERNAL_STRING: anj_data_type_t =
    ANJ_DATA_TYPE_STRING | ANJ_DATA_TYPE_FLAG_EXTERNAL;

/// How a resource may be accessed, and whether it has instances.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_dm_res_kind_t {
    ANJ_DM_RES_R,
    ANJ_DM_RES_RM,
    ANJ_DM_RES_W,
    ANJ_DM_RES_WM,
    ANJ_DM_RES_RW,
    ANJ_DM_RES_RWM,
    ANJ_DM_RES_E,
}

impl anj_dm_res_kind_t {
    pub fn readable(self) -> bool {
        use anj_dm_res_kind_t::*;
        matches!(
            self,
            ANJ_DM_RES_R | ANJ_DM_RES_RM | ANJ_DM_RES_RW | ANJ_DM_RES_RWM
        )
    }
    pub fn writable(self) -> bool {
        use anj_dm_res_kind_t::*;
        matches!(
            self,
            ANJ_DM_RES_W | ANJ_DM_RES_WM | ANJ_DM_RES_RW | ANJ_DM_RES_RWM
        )
    }
    pub fn multiple(self) -> bool {
        use anj_dm_res_kind_t::*;
        matches!(self, ANJ_DM_RES_RM | ANJ_DM_RES_WM | ANJ_DM_RES_RWM)
    }
    pub fn executable(self) -> bool {
        self == anj_dm_res_kind_t::ANJ_DM_RES_E
    }
}

/// Outcome handed to `transaction_end`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_dm_transaction_result_t {
    ANJ_DM_TRANSACTION_SUCCESS = 0,
    ANJ_DM_TRANSACTION_FAILURE = -1,
}

/// One resource of an object instance.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_dm_res_t {
    pub rid: anj_rid_t,
    pub r#type: anj_data_type_t,
    pub kind: anj_dm_res_kind_t,
    /// Instance IDs of a multi-instance resource (`max_inst_count` slots, unused ones
    /// `ANJ_ID_INVALID`); NULL for single-instance resources.
    pub insts: *const anj_riid_t,
    pub max_inst_count: u16,
}

/// One object instance: its ID and its resources, sorted by RID.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_dm_obj_inst_t {
    pub iid: anj_iid_t,
    pub resources: *const anj_dm_res_t,
    pub res_count: u16,
}

/// An object as the application defines it. Registered by pointer: it must outlive
/// its registration.
#[repr(C)]
pub struct anj_dm_obj_t {
    pub oid: anj_oid_t,
    /// Object version ("1.1") or NULL for the default.
    pub version: *const c_char,
    pub handlers: *const anj_dm_handlers_t,
    /// `max_inst_count` instance slots; used ones first, in ascending IID order.
    pub insts: *const anj_dm_obj_inst_t,
    pub max_inst_count: u16,
}

/// A bytes or string value, possibly one chunk of a longer one.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_bytes_or_string_value_t {
    pub data: *const c_void,
    pub offset: usize,
    pub chunk_length: usize,
    pub full_length_hint: usize,
}

/// An object link `oid:iid`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct anj_objlnk_value_t {
    pub oid: anj_oid_t,
    pub iid: anj_iid_t,
}

#[cfg(feature = "external-data")]
pub type anj_get_external_data_t = unsafe extern "C" fn(
    buffer: *mut c_void,
    inout_size: *mut usize,
    offset: usize,
    user_args: *mut c_void,
) -> c_int;
#[cfg(feature = "external-data")]
pub type anj_open_external_data_t = unsafe extern "C" fn(user_args: *mut c_void) -> c_int;
#[cfg(feature = "external-data")]
pub type anj_close_external_data_t = unsafe extern "C" fn(user_args: *mut c_void);

/// Callbacks through which an external bytes/string value is streamed.
#[cfg(feature = "external-data")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_external_data_t {
    pub get_external_data: Option<
        unsafe extern "C" fn(
            buffer: *mut c_void,
            inout_size: *mut usize,
            offset: usize,
            user_args: *mut c_void,
        ) -> c_int,
    >,
    pub open_external_data: Option<unsafe extern "C" fn(user_args: *mut c_void) -> c_int>,
    pub close_external_data: Option<unsafe extern "C" fn(user_args: *mut c_void)>,
    pub user_args: *mut c_void,
}

/// The value of a resource; which member is valid follows from the resource's type.
#[repr(C)]
#[derive(Clone, Copy)]
pub union anj_res_value_t {
    pub bytes_or_string: anj_bytes_or_string_value_t,
    #[cfg(feature = "external-data")]
    pub external_data: anj_external_data_t,
    pub int_value: i64,
    pub uint_value: u64,
    pub double_value: f64,
    pub bool_value: bool,
    pub objlnk: anj_objlnk_value_t,
    pub time_value: i64,
}

impl anj_res_value_t {
    pub const fn zeroed() -> Self {
        anj_res_value_t {
            bytes_or_string: anj_bytes_or_string_value_t {
                data: core::ptr::null(),
                offset: 0,
                chunk_length: 0,
                full_length_hint: 0,
            },
        }
    }
}

/// One value at one path, as the application hands it to the library for an LwM2M Send
/// (`anj/defs.h`; also the record type of Anjay Lite's internal encoders).
///
/// `timestamp` is in seconds; NaN (the recommended default) means "no time". It is only
/// encoded in SenML CBOR payloads, as the SenML base time of the record (RFC 8428 §4.5.3:
/// values below 2^28 are relative to now, negative ones in the past).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_io_out_entry_t {
    pub r#type: anj_data_type_t,
    pub value: anj_res_value_t,
    pub path: anj_uri_path_t,
    pub timestamp: f64,
}

pub type anj_dm_res_read_t = unsafe extern "C" fn(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    riid: anj_riid_t,
    out_value: *mut anj_res_value_t,
) -> c_int;
pub type anj_dm_res_write_t = unsafe extern "C" fn(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    riid: anj_riid_t,
    value: *const anj_res_value_t,
) -> c_int;
pub type anj_dm_res_execute_t = unsafe extern "C" fn(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    execute_arg: *const c_char,
    execute_arg_len: usize,
) -> c_int;
pub type anj_dm_res_inst_create_t = unsafe extern "C" fn(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    riid: anj_riid_t,
) -> c_int;
pub type anj_dm_res_inst_delete_t = unsafe extern "C" fn(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    riid: anj_riid_t,
) -> c_int;
pub type anj_dm_inst_create_t =
    unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t, iid: anj_iid_t) -> c_int;
pub type anj_dm_inst_delete_t =
    unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t, iid: anj_iid_t) -> c_int;
pub type anj_dm_inst_reset_t =
    unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t, iid: anj_iid_t) -> c_int;
pub type anj_dm_transaction_begin_t =
    unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int;
pub type anj_dm_transaction_validate_t =
    unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int;
pub type anj_dm_transaction_end_t = unsafe extern "C" fn(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    result: anj_dm_transaction_result_t,
);

/// The operations an object implements; any may be NULL (the operation then fails).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct anj_dm_handlers_t {
    pub inst_create: Option<
        unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t, iid: anj_iid_t) -> c_int,
    >,
    pub inst_delete: Option<
        unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t, iid: anj_iid_t) -> c_int,
    >,
    pub inst_reset: Option<
        unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t, iid: anj_iid_t) -> c_int,
    >,
    pub transaction_begin:
        Option<unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int>,
    pub transaction_validate:
        Option<unsafe extern "C" fn(anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int>,
    pub transaction_end: Option<
        unsafe extern "C" fn(
            anj: *mut anj_t,
            obj: *const anj_dm_obj_t,
            result: anj_dm_transaction_result_t,
        ),
    >,
    pub res_read: Option<
        unsafe extern "C" fn(
            anj: *mut anj_t,
            obj: *const anj_dm_obj_t,
            iid: anj_iid_t,
            rid: anj_rid_t,
            riid: anj_riid_t,
            out_value: *mut anj_res_value_t,
        ) -> c_int,
    >,
    pub res_write: Option<
        unsafe extern "C" fn(
            anj: *mut anj_t,
            obj: *const anj_dm_obj_t,
            iid: anj_iid_t,
            rid: anj_rid_t,
            riid: anj_riid_t,
            value: *const anj_res_value_t,
        ) -> c_int,
    >,
    pub res_execute: Option<
        unsafe extern "C" fn(
            anj: *mut anj_t,
            obj: *const anj_dm_obj_t,
            iid: anj_iid_t,
            rid: anj_rid_t,
            execute_arg: *const c_char,
            execute_arg_len: usize,
        ) -> c_int,
    >,
    pub res_inst_create: Option<
        unsafe extern "C" fn(
            anj: *mut anj_t,
            obj: *const anj_dm_obj_t,
            iid: anj_iid_t,
            rid: anj_rid_t,
            riid: anj_riid_t,
        ) -> c_int,
    >,
    pub res_inst_delete: Option<
        unsafe extern "C" fn(
            anj: *mut anj_t,
            obj: *const anj_dm_obj_t,
            iid: anj_iid_t,
            rid: anj_rid_t,
            riid: anj_riid_t,
        ) -> c_int,
    >,
}

/// A registered object. Holding one is the engine's permission to read the object's
/// tables and call its handlers (see [`ObjRef::new`]).
#[derive(Clone, Copy)]
pub struct ObjRef(NonNull<anj_dm_obj_t>);

// The handler calls below take the client's `anj_t *` and never dereference it: they
// hand it to the application's handlers, which receive it as their `anj_t *` argument.
// They are the C face's own (the rest of the crate goes through `CObject`).
impl ObjRef {
    /// # Safety
    /// `obj` must point to a valid `anj_dm_obj_t` whose tables stay valid and consistent
    /// for as long as it is registered (the contract of `anj_dm_add_obj`).
    pub unsafe fn new(obj: NonNull<anj_dm_obj_t>) -> Self {
        ObjRef(obj)
    }
    pub fn ptr(self) -> *const anj_dm_obj_t {
        self.0.as_ptr()
    }
    fn obj(&self) -> &anj_dm_obj_t {
        // SAFETY: ObjRef::new's contract: the object is valid while registered.
        unsafe { self.0.as_ref() }
    }
    pub fn oid(self) -> u16 {
        self.obj().oid
    }
    /// The version string, if set and valid UTF-8.
    pub fn version(&self) -> Option<&str> {
        let v = self.obj().version;
        if v.is_null() {
            return None;
        }
        // SAFETY: a non-NULL version is a NUL-terminated string owned by the object.
        let c = unsafe { core::ffi::CStr::from_ptr(v) };
        c.to_str().ok()
    }
    /// The used instance slots (packed first, `ANJ_ID_INVALID` ends them).
    pub fn instances(&self) -> &[anj_dm_obj_inst_t] {
        let o = self.obj();
        if o.insts.is_null() || o.max_inst_count == 0 {
            return &[];
        }
        // SAFETY: the object has `max_inst_count` instance slots at `insts`.
        let all = unsafe { core::slice::from_raw_parts(o.insts, o.max_inst_count as usize) };
        let used = all.iter().take_while(|i| i.iid != ANJ_ID_INVALID).count();
        &all[..used]
    }
    /// Every instance slot, used or not (the used ones first, in ascending IID order,
    /// then `ANJ_ID_INVALID` ones): [`ObjRef::instances`] without looking for the end.
    pub fn instance_slots(&self) -> &[anj_dm_obj_inst_t] {
        let o = self.obj();
        if o.insts.is_null() || o.max_inst_count == 0 {
            return &[];
        }
        // SAFETY: the object has `max_inst_count` instance slots at `insts`.
        unsafe { core::slice::from_raw_parts(o.insts, o.max_inst_count as usize) }
    }
    /// The instance slot at position `index` (used or not), without building the slot
    /// list.
    #[inline]
    pub fn instance_slot(&self, index: usize) -> Option<&anj_dm_obj_inst_t> {
        let o = self.obj();
        if o.insts.is_null() || index >= usize::from(o.max_inst_count) {
            return None;
        }
        // SAFETY: the object has `max_inst_count` instance slots at `insts`, and `index`
        // is below it.
        Some(unsafe { &*o.insts.add(index) })
    }
    /// Instance `iid`: one pass over the used slots (they come first).
    pub fn instance(&self, iid: u16) -> Option<&anj_dm_obj_inst_t> {
        self.instance_slots()
            .iter()
            .take_while(|i| i.iid != ANJ_ID_INVALID)
            .find(|i| i.iid == iid)
    }
    pub fn resources<'a>(&'a self, inst: &'a anj_dm_obj_inst_t) -> &'a [anj_dm_res_t] {
        if inst.resources.is_null() || inst.res_count == 0 {
            return &[];
        }
        // SAFETY: an instance has `res_count` resources at `resources`.
        unsafe { core::slice::from_raw_parts(inst.resources, inst.res_count as usize) }
    }
    /// Every resource-instance slot of a multi-instance resource, used or not (the used
    /// ones first, ascending, then `ANJ_ID_INVALID` ones).
    pub fn res_instance_slots<'a>(&'a self, res: &'a anj_dm_res_t) -> &'a [u16] {
        if res.insts.is_null() || res.max_inst_count == 0 {
            return &[];
        }
        // SAFETY: a multi-instance resource has `max_inst_count` RIID slots at `insts`.
        unsafe { core::slice::from_raw_parts(res.insts, res.max_inst_count as usize) }
    }
    /// Whether `riid` is a used resource-instance ID of `res`: one pass over the used
    /// slots (they come first).
    pub fn has_res_instance(&self, res: &anj_dm_res_t, riid: u16) -> bool {
        self.res_instance_slots(res)
            .iter()
            .take_while(|r| **r != ANJ_ID_INVALID)
            .any(|r| *r == riid)
    }
    /// The used resource-instance IDs of a multi-instance resource.
    pub fn res_instances<'a>(&'a self, res: &'a anj_dm_res_t) -> &'a [u16] {
        if res.insts.is_null() || res.max_inst_count == 0 {
            return &[];
        }
        // SAFETY: a multi-instance resource has `max_inst_count` RIID slots at `insts`.
        let all = unsafe { core::slice::from_raw_parts(res.insts, res.max_inst_count as usize) };
        let used = all.iter().take_while(|r| **r != ANJ_ID_INVALID).count();
        &all[..used]
    }
    fn handlers(&self) -> anj_dm_handlers_t {
        let h = self.obj().handlers;
        if h.is_null() {
            return anj_dm_handlers_t::default();
        }
        // SAFETY: a non-NULL handlers pointer refers to the object's handler table.
        unsafe { *h }
    }

    /// Calls `res_read`. Returns the handler's code, or NOT_FOUND/METHOD_NOT_ALLOWED semantics
    /// through `None` when it has no such handler.
    pub(in crate::ffi) fn read(
        self,
        anj: *mut anj_t,
        iid: u16,
        rid: u16,
        riid: u16,
        out: &mut anj_res_value_t,
    ) -> Option<c_int> {
        let f = self.handlers().res_read?;
        // SAFETY: calling the application's handler with the arguments its contract names;
        // `out` is a valid, exclusive value slot.
        Some(unsafe { f(anj, self.ptr(), iid, rid, riid, out) })
    }
    pub(in crate::ffi) fn write(
        self,
        anj: *mut anj_t,
        iid: u16,
        rid: u16,
        riid: u16,
        value: &anj_res_value_t,
    ) -> Option<c_int> {
        let f = self.handlers().res_write?;
        // SAFETY: the object's own handler, with the object and IDs its contract names;
        // `value` (and any bytes it points to) stays valid for the duration of the call.
        Some(unsafe { f(anj, self.ptr(), iid, rid, riid, value) })
    }
    pub(in crate::ffi) fn execute(
        self,
        anj: *mut anj_t,
        iid: u16,
        rid: u16,
        arg: &[u8],
    ) -> Option<c_int> {
        let f = self.handlers().res_execute?;
        let p = if arg.is_empty() {
            core::ptr::null()
        } else {
            arg.as_ptr() as *const c_char
        };
        // SAFETY: `arg` is valid for `arg.len()` bytes during the call (not NUL-terminated,
        // as documented: the length is passed).
        Some(unsafe { f(anj, self.ptr(), iid, rid, p, arg.len()) })
    }
    pub fn max_inst_count(&self) -> u16 {
        self.obj().max_inst_count
    }
    pub fn has_inst_create(&self) -> bool {
        self.handlers().inst_create.is_some()
    }
    pub fn has_inst_delete(&self) -> bool {
        self.handlers().inst_delete.is_some()
    }
    pub fn has_res_inst_delete(&self) -> bool {
        self.handlers().res_inst_delete.is_some()
    }
    /// Calls `inst_create`; `None` when the object has no such handler.
    pub(in crate::ffi) fn inst_create(self, anj: *mut anj_t, iid: u16) -> Option<c_int> {
        let f = self.handlers().inst_create?;
        // SAFETY: application handler called per its contract.
        Some(unsafe { f(anj, self.ptr(), iid) })
    }
    pub(in crate::ffi) fn inst_delete(self, anj: *mut anj_t, iid: u16) -> Option<c_int> {
        let f = self.handlers().inst_delete?;
        // SAFETY: application handler called per its contract.
        Some(unsafe { f(anj, self.ptr(), iid) })
    }
    pub(in crate::ffi) fn inst_reset(self, anj: *mut anj_t, iid: u16) -> Option<c_int> {
        let f = self.handlers().inst_reset?;
        // SAFETY: application handler called per its contract.
        Some(unsafe { f(anj, self.ptr(), iid) })
    }
    pub(in crate::ffi) fn res_inst_create(
        self,
        anj: *mut anj_t,
        iid: u16,
        rid: u16,
        riid: u16,
    ) -> Option<c_int> {
        let f = self.handlers().res_inst_create?;
        // SAFETY: application handler called per its contract.
        Some(unsafe { f(anj, self.ptr(), iid, rid, riid) })
    }
    pub(in crate::ffi) fn res_inst_delete(
        self,
        anj: *mut anj_t,
        iid: u16,
        rid: u16,
        riid: u16,
    ) -> Option<c_int> {
        let f = self.handlers().res_inst_delete?;
        // SAFETY: application handler called per its contract.
        Some(unsafe { f(anj, self.ptr(), iid, rid, riid) })
    }
    pub(in crate::ffi) fn transaction_begin(self, anj: *mut anj_t) -> c_int {
        match self.handlers().transaction_begin {
            // SAFETY: application handler called per its contract.
            Some(f) => unsafe { f(anj, self.ptr()) },
            None => 0,
        }
    }
    pub(in crate::ffi) fn transaction_validate(self, anj: *mut anj_t) -> c_int {
        match self.handlers().transaction_validate {
            // SAFETY: application handler called per its contract.
            Some(f) => unsafe { f(anj, self.ptr()) },
            None => 0,
        }
    }
    pub(in crate::ffi) fn transaction_end(self, anj: *mut anj_t, ok: bool) {
        if let Some(f) = self.handlers().transaction_end {
            let r = if ok {
                anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS
            } else {
                anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_FAILURE
            };
            // SAFETY: application handler called per its contract.
            unsafe { f(anj, self.ptr(), r) }
        }
    }
}

/// Converts what a read handler (or the application, for a Send record) stored in `v`
/// for a resource of type `t`.
///
/// # Safety
/// For bytes and strings, `v.bytes_or_string` must be the member that was set, and its
/// `data` must be NULL or point to `chunk_length` readable bytes (a NUL-terminated string
/// when `chunk_length` and `full_length_hint` are both 0) that stay valid and unchanged
/// for `'a`. For the other types any bit pattern is accepted.
pub unsafe fn value_from_c<'a>(
    t: anj_data_type_t,
    v: &anj_res_value_t,
) -> crate::io::value::Value<'a> {
    use crate::io::value::Value;
    let p = v as *const anj_res_value_t;
    match t & 0xFF {
        ANJ_DATA_TYPE_BYTES | ANJ_DATA_TYPE_STRING => {
            // SAFETY: bytes/strings are reported through `bytes_or_string`, plain data.
            let b = unsafe { v.bytes_or_string };
            if b.data.is_null() {
                return if t & 0xFF == ANJ_DATA_TYPE_BYTES {
                    Value::Bytes(&[])
                } else {
                    Value::String("")
                };
            }
            // Anjay Lite's read contract: `chunk_length` bytes at `data`, except that with
            // both `chunk_length` and `full_length_hint` 0 the data is a NUL-terminated
            // string (dm/defs.h, anj_bytes_or_string_value_t).
            let bytes: &'a [u8] = if b.chunk_length == 0 && b.full_length_hint == 0 {
                // SAFETY: the caller guarantees a NUL-terminated string at `data`, valid
                // for 'a, when both lengths are 0.
                unsafe { core::ffi::CStr::from_ptr(b.data as *const c_char) }.to_bytes()
            } else {
                // SAFETY: the caller guarantees `chunk_length` readable bytes at `data`,
                // valid for 'a.
                unsafe { core::slice::from_raw_parts(b.data as *const u8, b.chunk_length) }
            };
            if t & 0xFF == ANJ_DATA_TYPE_BYTES {
                Value::Bytes(bytes)
            } else {
                if bytes.is_ascii() {
                    // SAFETY: ASCII is valid UTF-8 (the common case, checked a word at a
                    // time; the full validation below is slower on short strings).
                    return Value::String(unsafe { core::str::from_utf8_unchecked(bytes) });
                }
                match core::str::from_utf8(bytes) {
                    Ok(s) => Value::String(s),
                    Err(_) => Value::Null,
                }
            }
        }
        // SAFETY (all arms below): the union is at least 8 bytes of plain integers; reading
        // them as the member the type names is defined for any bit pattern, and `bool` is
        // read as a byte so that a handler storing e.g. 2 cannot produce an invalid bool.
        ANJ_DATA_TYPE_INT => Value::Int(unsafe { v.int_value }),
        ANJ_DATA_TYPE_TIME => Value::Time(unsafe { v.time_value }),
        ANJ_DATA_TYPE_UINT => Value::Uint(unsafe { v.uint_value }),
        ANJ_DATA_TYPE_DOUBLE => Value::Double(unsafe { v.double_value }),
        ANJ_DATA_TYPE_BOOL => Value::Bool(unsafe { *(p as *const u8) } != 0),
        ANJ_DATA_TYPE_OBJLNK => {
            let l = unsafe { v.objlnk };
            Value::Objlnk {
                oid: l.oid,
                iid: l.iid,
            }
        }
        _ => Value::Null,
    }
}

/// `ANJ_IO_NEED_NEXT_CALL` (`anj/defs.h`): the external-data callback has more to give.
#[cfg(feature = "external-data")]
const ANJ_IO_NEED_NEXT_CALL: c_int = 4;

/// An `ANJ_DATA_TYPE_EXTERNAL_*` value reported by a read handler, read through its
/// callbacks as `anj/dm/defs.h` and `anj/defs.h` describe them: `open_external_data`
/// (optional) before the first `get_external_data`, `get_external_data` with sequential
/// offsets from 0 until it returns 0, `close_external_data` (optional) after the last one,
/// after a failed `get_external_data`, or when the reading stops early, but never after a
/// failed `open_external_data`.
///
/// It is a [`crate::io::value::StreamSource`] that keeps its place: a read at the offset
/// where the last one stopped goes on with the open value, a read further on reads and
/// drops the bytes in between, and a read before it closes the value and opens it again
/// (reading from 0 up to there), so the application always sees offsets from 0, in order,
/// without gaps. Kept between the blocks of a block-wise Read
/// ([`crate::dm::ExtHold`]), consecutive blocks read each byte once. Once a pass reached
/// the end, the source remembers the length (no second measuring pass), and the value is
/// closed as soon as its last byte is read. Dropping the source closes it if it is open.
#[cfg(feature = "external-data")]
pub struct ExternalSource {
    ext: anj_external_data_t,
    /// `open_external_data` succeeded and `close_external_data` is still due.
    opened: bool,
    /// The offset of the next byte of the current pass.
    next: usize,
    /// The current pass reached the end of the value.
    ended: bool,
    /// The value's length, once a pass reached its end.
    len: Option<usize>,
    /// A callback failed: the read is over (5.00).
    failed: bool,
}

#[cfg(feature = "external-data")]
impl ExternalSource {
    /// The source of the external value `v`; `None` without `get_external_data`.
    pub fn new(v: &anj_res_value_t) -> Option<ExternalSource> {
        // SAFETY: a read handler of an external-type resource fills `external_data`
        // (plain pointers; any bit pattern of the union is a valid value of them).
        let ext = unsafe { v.external_data };
        ext.get_external_data?;
        Some(ExternalSource {
            ext,
            opened: false,
            next: 0,
            ended: false,
            len: None,
            failed: false,
        })
    }

    /// Whether `other` reads the same value through the same callbacks (a read handler
    /// called again for the next block reports the same value).
    pub fn same_value(&self, other: &ExternalSource) -> bool {
        let key = |e: &anj_external_data_t| {
            (
                e.get_external_data.map(|f| f as usize),
                e.open_external_data.map(|f| f as usize),
                e.close_external_data.map(|f| f as usize),
                e.user_args as usize,
            )
        };
        key(&self.ext) == key(&other.ext)
    }

    /// Whether a callback failed (or was misused by the application).
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn close(&mut self) {
        if core::mem::take(&mut self.opened) {
            if let Some(close) = self.ext.close_external_data {
                // SAFETY: the application's callback with its own argument, once per
                // successful open.
                unsafe { close(self.ext.user_args) };
            }
        }
    }

    fn fail(&mut self) -> Result<(usize, bool), IoError> {
        self.failed = true;
        self.close();
        Err(IoError::Logic)
    }

    /// Reads the value's bytes from `offset` into `buf`: see [`ExternalSource`].
    pub fn read(&mut self, buf: &mut [u8], offset: usize) -> Result<(usize, bool), IoError> {
        if self.failed {
            return Err(IoError::Logic);
        }
        if offset < self.next {
            // Back to the start: a new pass.
            self.close();
            self.next = 0;
            self.ended = false;
        }
        // Forward to `offset`: the bytes in between are read and dropped.
        while self.next < offset && !self.ended {
            let gap = (offset - self.next).min(buf.len());
            if gap == 0 {
                return self.fail();
            }
            self.get(buf.get_mut(..gap).unwrap_or_default())?;
        }
        if self.ended {
            return Ok((0, true));
        }
        self.get(buf)
    }

    /// One `get_external_data` call at `next` (opening the value first if needed).
    fn get(&mut self, buf: &mut [u8]) -> Result<(usize, bool), IoError> {
        let Some(get) = self.ext.get_external_data else {
            return self.fail();
        };
        if !self.opened {
            if let Some(open) = self.ext.open_external_data {
                // SAFETY: the application's callback with its own argument.
                if unsafe { open(self.ext.user_args) } != 0 {
                    // A failed open is not closed (`anj_open_external_data_t`).
                    self.failed = true;
                    return Err(IoError::Logic);
                }
            }
            self.opened = true;
        }
        let room = buf.len();
        let mut size = room;
        // SAFETY: `buf` is `room` writable bytes; the callback writes at most `size`.
        let r = unsafe {
            get(
                buf.as_mut_ptr().cast(),
                &mut size,
                self.next,
                self.ext.user_args,
            )
        };
        match r {
            0 if size <= room => {
                self.ended = true;
                self.next = self.next.saturating_add(size);
                self.len = Some(self.next);
                // Released as soon as it is read through.
                self.close();
                Ok((size, true))
            }
            // More to come: the callback must have made progress.
            ANJ_IO_NEED_NEXT_CALL if size <= room && size > 0 => {
                self.next = self.next.saturating_add(size);
                if self.len.is_some_and(|l| self.next >= l) {
                    // The last byte of a value whose length is known: nothing more
                    // will be asked for.
                    self.ended = true;
                    self.close();
                }
                Ok((size, false))
            }
            _ => self.fail(),
        }
    }
}

#[cfg(feature = "external-data")]
impl crate::io::value::StreamSource for ExternalSource {
    fn read(&mut self, buf: &mut [u8], offset: usize) -> Result<(usize, bool), IoError> {
        ExternalSource::read(self, buf, offset)
    }

    fn known_len(&self) -> Option<usize> {
        self.len
    }
}

#[cfg(feature = "external-data")]
impl Drop for ExternalSource {
    fn drop(&mut self) {
        self.close();
    }
}

/// `anj_dm_write_bytes_chunked` (`anj/dm/core.h`): copies one chunk of a bytes value
/// written by the server to `buffer` at the chunk's offset; on the last chunk sets
/// `*out_bytes_len` to the full length and `*out_is_last_chunk` (optional) to true.
///
/// Returns 0, or `ANJ_DM_ERR_INTERNAL` when the chunk does not fit `buffer_len` (or an
/// argument is NULL).
///
/// # Safety
/// `value` is a value handed to a write handler; `buffer` holds `buffer_len` bytes;
/// the out pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_write_bytes_chunked(
    value: *const anj_res_value_t,
    buffer: *mut u8,
    buffer_len: usize,
    out_bytes_len: *mut usize,
    out_is_last_chunk: *mut bool,
) -> c_int {
    const ERR: c_int = -(crate::coap::Code::INTERNAL_SERVER_ERROR.0 as c_int);
    // SAFETY: NULL-checked; valid per the caller's contract.
    let Some(v) = (unsafe { value.as_ref() }) else {
        return ERR;
    };
    // SAFETY: a written bytes value is reported through `bytes_or_string`.
    let b = unsafe { v.bytes_or_string };
    let Some(end) = b.offset.checked_add(b.chunk_length) else {
        return ERR;
    };
    if end > buffer_len || (b.chunk_length > 0 && (buffer.is_null() || b.data.is_null())) {
        return ERR;
    }
    if b.chunk_length > 0 {
        // SAFETY: `data` holds `chunk_length` bytes; `buffer[offset..end]` is in bounds.
        unsafe {
            core::ptr::copy(b.data.cast::<u8>(), buffer.add(b.offset), b.chunk_length);
        }
    }
    let last = end == b.full_length_hint;
    if last && !out_bytes_len.is_null() {
        // SAFETY: non-NULL out pointers are valid (caller's contract).
        unsafe { *out_bytes_len = b.full_length_hint };
    }
    if !out_is_last_chunk.is_null() {
        // Anjay Lite reports "last" only together with the length.
        // SAFETY: checked non-NULL just above; a non-NULL out pointer is valid and
        // writable (the caller's contract).
        unsafe { *out_is_last_chunk = last && !out_bytes_len.is_null() };
    }
    0
}

/// `anj_dm_write_string_chunked` (`anj/dm/core.h`): like
/// [`anj_dm_write_bytes_chunked`] for strings, adding a NUL after the last chunk;
/// `buffer_len` includes room for it.
///
/// # Safety
/// As for [`anj_dm_write_bytes_chunked`].
#[no_mangle]
pub unsafe extern "C" fn anj_dm_write_string_chunked(
    value: *const anj_res_value_t,
    buffer: *mut c_char,
    buffer_len: usize,
    out_is_last_chunk: *mut bool,
) -> c_int {
    const ERR: c_int = -(crate::coap::Code::INTERNAL_SERVER_ERROR.0 as c_int);
    // SAFETY: NULL-checked; valid per the caller's contract.
    let Some(v) = (unsafe { value.as_ref() }) else {
        return ERR;
    };
    // SAFETY: a written string value is reported through `bytes_or_string`.
    let b = unsafe { v.bytes_or_string };
    let Some(end) = b.offset.checked_add(b.chunk_length) else {
        return ERR;
    };
    // The last byte of the buffer is kept for the terminator.
    if buffer.is_null() || buffer_len == 0 || end > buffer_len - 1 {
        return ERR;
    }
    if b.chunk_length > 0 {
        if b.data.is_null() {
            return ERR;
        }
        // SAFETY: `data` holds `chunk_length` bytes; `buffer[offset..end]` is in bounds.
        unsafe {
            core::ptr::copy(
                b.data.cast::<c_char>(),
                buffer.add(b.offset),
                b.chunk_length,
            );
        }
    }
    let last = end == b.full_length_hint;
    if last {
        // SAFETY: `end < buffer_len`.
        unsafe { *buffer.add(end) = 0 };
    }
    if !out_is_last_chunk.is_null() {
        // SAFETY: a non-NULL out pointer is valid (caller's contract).
        unsafe { *out_is_last_chunk = last };
    }
    0
}
