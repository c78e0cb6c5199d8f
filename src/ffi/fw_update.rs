//! `anj/dm/fw_update.h`: the built-in Firmware Update object /5. The application
//! allocates its context (`anj_dm_fw_update_entity_ctx_t`, an opaque blob whose size comes
//! from `anj/anj_config.h`), provides the callbacks that store and apply a package, and
//! installs the object with `anj_dm_fw_update_object_install`. The state machine itself is
//! [`crate::dm::fw_update::FwUpdate`]; this module connects it to the data model (an
//! `anj_dm_obj_t` with Rust handlers) and to the application's callbacks.
//!
//! A block-wise Write of Package reaches the write handler as one chunk per block, inside
//! one transaction that stays open from the first block to the last, so the image streams
//! into `package_write_handler` and is never held in memory here. When that transaction
//! ends without the last block (the server gave up, or sent another request), the object
//! resets itself: `reset_handler` is called, State goes back to Idle and Update Result to
//! Connection Lost.
//!
//! The whole module exists only with `default-fota-obj` (`ANJ_WITH_DEFAULT_FOTA_OBJ`); its
//! C-facing items repeat the condition so that cbindgen guards them in the header.
#![cfg(feature = "default-fota-obj")]

use core::cell::Cell;
use core::ffi::{c_char, c_int, c_void};
use core::ptr::NonNull;

use crate::dm::fw_update::{self as fw, rid, FwEnv, FwUpdate};
use crate::dm::DmError;
use crate::ffi::core::{anj_core_change_type_t, anj_core_data_model_changed, anj_t};
use crate::ffi::dm::*;
use crate::ffi::utils::anj_uri_path_t;

/// Object ID of Firmware Update.
const OID: u16 = 5;

/// Values of State /5/0/3.
#[cfg(feature = "default-fota-obj")]
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_dm_fw_update_state_t {
    ANJ_DM_FW_UPDATE_STATE_IDLE = 0,
    ANJ_DM_FW_UPDATE_STATE_DOWNLOADING = 1,
    ANJ_DM_FW_UPDATE_STATE_DOWNLOADED = 2,
    ANJ_DM_FW_UPDATE_STATE_UPDATING = 3,
}

/// Values of Update Result /5/0/5; the callbacks also return them (SUCCESS: go on).
#[cfg(feature = "default-fota-obj")]
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_dm_fw_update_result_t {
    ANJ_DM_FW_UPDATE_RESULT_INITIAL = 0,
    ANJ_DM_FW_UPDATE_RESULT_SUCCESS = 1,
    ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE = 2,
    ANJ_DM_FW_UPDATE_RESULT_OUT_OF_MEMORY = 3,
    ANJ_DM_FW_UPDATE_RESULT_CONNECTION_LOST = 4,
    ANJ_DM_FW_UPDATE_RESULT_INTEGRITY_FAILURE = 5,
    ANJ_DM_FW_UPDATE_RESULT_UNSUPPORTED_PACKAGE_TYPE = 6,
    ANJ_DM_FW_UPDATE_RESULT_INVALID_URI = 7,
    ANJ_DM_FW_UPDATE_RESULT_FAILED = 8,
    ANJ_DM_FW_UPDATE_RESULT_UNSUPPORTED_PROTOCOL = 9,
}

/// The application's callbacks (`user_ptr` is the pointer given at install). Which ones
/// are required depends on the delivery methods built in: `update_start_handler` and
/// `reset_handler` always; the three `package_write*` ones with the push method;
/// `uri_write_handler` with the pull method. `get_name` and `get_version` are optional.
#[cfg(feature = "default-fota-obj")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_dm_fw_update_handlers_t {
    /// A Write of Package begins (push): prepare to receive a package.
    pub package_write_start_handler:
        Option<unsafe extern "C" fn(user_ptr: *mut c_void) -> anj_dm_fw_update_result_t>,
    /// The next chunk of the package, in order.
    pub package_write_handler: Option<
        unsafe extern "C" fn(
            user_ptr: *mut c_void,
            data: *const c_void,
            data_size: usize,
        ) -> anj_dm_fw_update_result_t,
    >,
    /// The last chunk was passed: check and close the package.
    pub package_write_finish_handler:
        Option<unsafe extern "C" fn(user_ptr: *mut c_void) -> anj_dm_fw_update_result_t>,
    /// A Package URI was written (pull): start downloading from it, then report the
    /// outcome with `anj_dm_fw_update_object_set_download_result`.
    pub uri_write_handler: Option<
        unsafe extern "C" fn(
            user_ptr: *mut c_void,
            uri: *const c_char,
        ) -> anj_dm_fw_update_result_t,
    >,
    /// Update was executed: start (or schedule) the upgrade; 0 on success. The outcome is
    /// reported with `anj_dm_fw_update_object_set_update_result`.
    pub update_start_handler: Option<unsafe extern "C" fn(user_ptr: *mut c_void) -> c_int>,
    /// PkgName of the downloaded package (asked only in Downloaded), or NULL.
    pub get_name: Option<unsafe extern "C" fn(user_ptr: *mut c_void) -> *const c_char>,
    /// PkgVersion of the downloaded package (asked only in Downloaded), or NULL.
    pub get_version: Option<unsafe extern "C" fn(user_ptr: *mut c_void) -> *const c_char>,
    /// Abort any download, drop any partial or downloaded package.
    pub reset_handler: Option<unsafe extern "C" fn(user_ptr: *mut c_void)>,
}

/// A table of static resource definitions (pointers only to other statics).
struct ResTable<const N: usize>([anj_dm_res_t; N]);
// SAFETY: the table is immutable and its only pointer refers to an immutable constant.
unsafe impl<const N: usize> Sync for ResTable<N> {}

const fn res(rid: u16, t: anj_data_type_t, kind: anj_dm_res_kind_t) -> anj_dm_res_t {
    anj_dm_res_t {
        rid,
        r#type: t,
        kind,
        insts: core::ptr::null(),
        max_inst_count: 0,
    }
}

#[cfg(feature = "fota-pull-method")]
const RES_COUNT: usize = 9;
#[cfg(not(feature = "fota-pull-method"))]
const RES_COUNT: usize = 8;

/// The protocols of /5/0/8: each instance ID is the protocol's own value.
#[cfg(feature = "fota-pull-method")]
const PROTOCOL_RIIDS: &[anj_riid_t] = fw::PROTOCOLS;

static FW_RES: ResTable<RES_COUNT> = {
    use anj_dm_res_kind_t::*;
    ResTable([
        res(rid::PACKAGE, ANJ_DATA_TYPE_BYTES, ANJ_DM_RES_W),
        res(rid::PACKAGE_URI, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_RW),
        res(rid::UPDATE, ANJ_DATA_TYPE_NULL, ANJ_DM_RES_E),
        res(rid::STATE, ANJ_DATA_TYPE_INT, ANJ_DM_RES_R),
        res(rid::UPDATE_RESULT, ANJ_DATA_TYPE_INT, ANJ_DM_RES_R),
        res(rid::PKG_NAME, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_R),
        res(rid::PKG_VERSION, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_R),
        #[cfg(feature = "fota-pull-method")]
        anj_dm_res_t {
            rid: rid::PROTOCOL_SUPPORT,
            r#type: ANJ_DATA_TYPE_INT,
            kind: ANJ_DM_RES_RM,
            insts: PROTOCOL_RIIDS.as_ptr(),
            max_inst_count: PROTOCOL_RIIDS.len() as u16,
        },
        res(rid::DELIVERY_METHOD, ANJ_DATA_TYPE_INT, ANJ_DM_RES_R),
    ])
};

static FW_HANDLERS: anj_dm_handlers_t = anj_dm_handlers_t {
    inst_create: None,
    inst_delete: None,
    inst_reset: None,
    transaction_begin: Some(fw_transaction_begin),
    transaction_validate: None,
    transaction_end: Some(fw_transaction_end),
    res_read: Some(fw_res_read),
    res_write: Some(fw_res_write),
    res_execute: Some(fw_res_execute),
    res_inst_create: None,
    res_inst_delete: None,
};

/// The Firmware Update object context (`anj_dm_fw_update_entity_ctx_t` in C; one
/// instance, /5/0). Starts with its `anj_dm_obj_t`, so a handler gets back to it from the
/// object pointer. Handlers and the `anj_dm_fw_update_object_set_*` functions only ever
/// take shared references to it: everything that changes is in `Cell`s, because the
/// application's callbacks may re-enter the object.
#[repr(C)]
pub struct FwUpdateObj {
    obj: anj_dm_obj_t,
    inst: [anj_dm_obj_inst_t; 1],
    handlers: *const anj_dm_fw_update_handlers_t,
    user_ptr: *mut c_void,
    fsm: FwUpdate,
}

/// The application's callbacks and the client, as the state machine sees them.
struct CEnv {
    anj: *mut anj_t,
    h: anj_dm_fw_update_handlers_t,
    user_ptr: *mut c_void,
}

impl CEnv {
    /// # Safety
    /// `ctx` was installed (its handler table is valid); `anj` is the client or NULL.
    unsafe fn new(anj: *mut anj_t, ctx: &FwUpdateObj) -> CEnv {
        CEnv {
            anj,
            // SAFETY: install checked the table, which the application keeps alive (and
            // a copy protects against it changing while a callback runs).
            h: unsafe { *ctx.handlers },
            user_ptr: ctx.user_ptr,
        }
    }
}

/// A result code as the state machine stores it.
fn code(r: anj_dm_fw_update_result_t) -> i8 {
    r as i8
}

impl FwEnv for CEnv {
    fn write_start(&mut self) -> i8 {
        match self.h.package_write_start_handler {
            // SAFETY: the application's callback with its own pointer.
            Some(f) => code(unsafe { f(self.user_ptr) }),
            None => fw::result::FAILED,
        }
    }
    fn write(&mut self, data: &[u8]) -> i8 {
        match self.h.package_write_handler {
            // SAFETY: `data` is valid for `data.len()` bytes during the call.
            Some(f) => code(unsafe { f(self.user_ptr, data.as_ptr().cast(), data.len()) }),
            None => fw::result::FAILED,
        }
    }
    fn write_finish(&mut self) -> i8 {
        match self.h.package_write_finish_handler {
            // SAFETY: the application's callback with its own pointer.
            Some(f) => code(unsafe { f(self.user_ptr) }),
            None => fw::result::FAILED,
        }
    }
    fn uri_write(&mut self, uri: &[Cell<u8>]) -> i8 {
        match self.h.uri_write_handler {
            // SAFETY: `uri` is NUL-terminated (the state machine passes the terminator);
            // `Cell<u8>` has the layout of `u8`, and nothing writes the buffer during the
            // call unless the application itself re-enters the object.
            Some(f) => code(unsafe { f(self.user_ptr, uri.as_ptr().cast()) }),
            None => fw::result::FAILED,
        }
    }
    fn update_start(&mut self) -> i32 {
        match self.h.update_start_handler {
            // SAFETY: the application's callback with its own pointer.
            Some(f) => unsafe { f(self.user_ptr) },
            None => -1,
        }
    }
    fn reset(&mut self) {
        if let Some(f) = self.h.reset_handler {
            // SAFETY: the application's callback with its own pointer.
            unsafe { f(self.user_ptr) }
        }
    }
    fn changed(&mut self, rid: u16) {
        let path = anj_uri_path_t {
            ids: [OID, 0, rid, ANJ_ID_INVALID],
            uri_len: 3,
        };
        // SAFETY: `anj` is the client (NULL is ignored); the function is re-entrant.
        unsafe {
            anj_core_data_model_changed(
                self.anj,
                &path,
                anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED,
            )
        };
    }
}

/// The context of the object a handler is called for.
///
/// # Safety
/// `obj` is the `obj` field (first, `repr(C)`) of an installed, live [`FwUpdateObj`].
unsafe fn ctx_of<'a>(obj: *const anj_dm_obj_t) -> &'a FwUpdateObj {
    // SAFETY: guaranteed by the caller; only shared references are ever made.
    unsafe { &*(obj as *const FwUpdateObj) }
}

/// Installs the Firmware Update object /5 in the data model. `entity_ctx` (any storage,
/// initialised here) and `handlers` must outlive the object. Returns 0, or -1 when an
/// argument is NULL, a callback the built-in delivery methods need is missing, or the data
/// model refuses the object (no room, /5 already there).
///
/// # Safety
/// `anj` was initialised by `anj_core_init`; `entity_ctx` points to writable storage of
/// `sizeof(anj_dm_fw_update_entity_ctx_t)` bytes that is not in use by an installed
/// object; `handlers` is valid for as long as the object is installed.
#[cfg(feature = "default-fota-obj")]
#[no_mangle]
pub unsafe extern "C" fn anj_dm_fw_update_object_install(
    anj: *mut anj_t,
    entity_ctx: *mut FwUpdateObj,
    handlers: *mut anj_dm_fw_update_handlers_t,
    user_ptr: *mut c_void,
) -> c_int {
    let Some(ctx_ptr) = NonNull::new(entity_ctx) else {
        return -1;
    };
    // SAFETY: NULL-checked; valid per the caller's contract.
    let Some(h) = (unsafe { handlers.as_ref() }) else {
        return -1;
    };
    let push_ok = cfg!(not(feature = "fota-push-method"))
        || (h.package_write_start_handler.is_some()
            && h.package_write_handler.is_some()
            && h.package_write_finish_handler.is_some());
    let pull_ok = cfg!(not(feature = "fota-pull-method")) || h.uri_write_handler.is_some();
    if anj.is_null()
        || h.update_start_handler.is_none()
        || h.reset_handler.is_none()
        || !push_ok
        || !pull_ok
    {
        crate::log_error!("fw update: a required handler (or argument) is missing");
        return -1;
    }
    // SAFETY: the caller provides writable storage for the whole context; it is written
    // in one go without reading the old (uninitialised) contents.
    unsafe {
        ctx_ptr.as_ptr().write(FwUpdateObj {
            obj: anj_dm_obj_t {
                oid: OID,
                version: c"1.0".as_ptr(),
                handlers: &FW_HANDLERS,
                insts: core::ptr::null(),
                max_inst_count: 1,
            },
            inst: [anj_dm_obj_inst_t {
                iid: 0,
                resources: FW_RES.0.as_ptr(),
                res_count: RES_COUNT as u16,
            }],
            handlers,
            user_ptr,
            fsm: FwUpdate::new(),
        });
        (*ctx_ptr.as_ptr()).obj.insts = core::ptr::addr_of!((*ctx_ptr.as_ptr()).inst).cast();
    }
    // SAFETY: the object lives inside the caller's context, which outlives the registration.
    let r = unsafe { crate::ffi::core::add_obj(anj, ctx_ptr.cast::<anj_dm_obj_t>()) };
    if r == 0 {
        crate::log_info!("fw update: object /5 installed");
    }
    r
}

/// Reports the outcome of an update (`ANJ_DM_FW_UPDATE_RESULT_SUCCESS` when it worked):
/// State becomes Idle and Update Result `result`. Call it in Updating, or in Idle right
/// after installing the object when the device restarted into the new firmware. (In
/// Downloading or Downloaded, where Anjay Lite leaves the behaviour undefined, the
/// download is reset first.)
///
/// # Safety
/// `anj` is the client the object is installed in; `entity_ctx` an installed context.
#[cfg(feature = "default-fota-obj")]
#[no_mangle]
pub unsafe extern "C" fn anj_dm_fw_update_object_set_update_result(
    anj: *mut anj_t,
    entity_ctx: *mut FwUpdateObj,
    result: anj_dm_fw_update_result_t,
) {
    // SAFETY: NULL-checked; an installed context per the caller's contract.
    let Some(ctx) = (unsafe { entity_ctx.as_ref() }) else {
        return;
    };
    // SAFETY: `ctx` is an installed context and `anj` its client (the caller's contract).
    let mut env = unsafe { CEnv::new(anj, ctx) };
    ctx.fsm.set_update_result(&mut env, code(result));
}

/// Reports the outcome of a pull download started by `uri_write_handler`:
/// `ANJ_DM_FW_UPDATE_RESULT_SUCCESS` moves State to Downloaded; any other value resets
/// the object (`reset_handler` is called) and becomes the Update Result. Returns 0, or -1
/// when no pull download is under way.
///
/// # Safety
/// As for `anj_dm_fw_update_object_set_update_result`.
#[cfg(feature = "default-fota-obj")]
#[no_mangle]
pub unsafe extern "C" fn anj_dm_fw_update_object_set_download_result(
    anj: *mut anj_t,
    entity_ctx: *mut FwUpdateObj,
    result: anj_dm_fw_update_result_t,
) -> c_int {
    // SAFETY: NULL-checked; an installed context per the caller's contract.
    let Some(ctx) = (unsafe { entity_ctx.as_ref() }) else {
        return -1;
    };
    // SAFETY: `ctx` is an installed context and `anj` its client (the caller's contract).
    let mut env = unsafe { CEnv::new(anj, ctx) };
    if ctx.fsm.set_download_result(&mut env, code(result)) {
        0
    } else {
        -1
    }
}

unsafe extern "C" fn fw_transaction_begin(_anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int {
    // SAFETY: the engine calls this handler only for the object it was registered with.
    unsafe { ctx_of(obj) }.fsm.transaction_begin();
    0
}

unsafe extern "C" fn fw_transaction_end(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    result: anj_dm_transaction_result_t,
) {
    // SAFETY: as in fw_transaction_begin.
    let ctx = unsafe { ctx_of(obj) };
    // SAFETY: an installed context; `anj` is the client the engine called us for.
    let mut env = unsafe { CEnv::new(anj, ctx) };
    let ok = result == anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS;
    ctx.fsm.transaction_end(&mut env, ok);
}

unsafe extern "C" fn fw_res_read(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    riid: anj_riid_t,
    out: *mut anj_res_value_t,
) -> c_int {
    // SAFETY: as in fw_transaction_begin; the engine passes a valid out slot.
    let (ctx, out) = unsafe { (ctx_of(obj), &mut *out) };
    let fsm = &ctx.fsm;
    let int = match rid {
        rid::STATE => fsm.state() as i64,
        rid::UPDATE_RESULT => fsm.result().into(),
        rid::DELIVERY_METHOD => fw::DELIVERY_METHOD,
        #[cfg(feature = "fota-pull-method")]
        rid::PROTOCOL_SUPPORT => riid.into(),
        rid::PACKAGE_URI => {
            #[cfg(feature = "fota-pull-method")]
            let (p, len) = (fsm.uri().as_ptr().cast::<c_void>(), fsm.uri().len());
            #[cfg(not(feature = "fota-pull-method"))]
            let (p, len) = (c"".as_ptr().cast::<c_void>(), 0);
            out.bytes_or_string = anj_bytes_or_string_value_t {
                data: p,
                offset: 0,
                chunk_length: len,
                full_length_hint: len,
            };
            return 0;
        }
        rid::PKG_NAME | rid::PKG_VERSION => {
            // SAFETY: an installed context's handler table is valid.
            let h = unsafe { *ctx.handlers };
            let getter = if rid == rid::PKG_NAME {
                h.get_name
            } else {
                h.get_version
            };
            let s = match getter {
                // SAFETY: the application's callback with its own pointer; it returns a
                // NUL-terminated string that stays valid until its next call, or NULL.
                Some(f) if fsm.package_info_available() => unsafe { f(ctx.user_ptr) },
                _ => core::ptr::null(),
            };
            // NUL-terminated (both lengths 0); NULL reads as an empty string.
            out.bytes_or_string = anj_bytes_or_string_value_t {
                data: s.cast(),
                offset: 0,
                chunk_length: 0,
                full_length_hint: 0,
            };
            return 0;
        }
        _ => return DmError::NOT_FOUND.handler_code(),
    };
    #[cfg(not(feature = "fota-pull-method"))]
    let _ = riid;
    out.int_value = int;
    0
}

unsafe extern "C" fn fw_res_write(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    value: *const anj_res_value_t,
) -> c_int {
    // SAFETY: as in fw_transaction_begin; `value` is valid during the call and, for the
    // Opaque and String resources written here, carried in `bytes_or_string`.
    let (ctx, b) = unsafe { (ctx_of(obj), (*value).bytes_or_string) };
    let data: &[u8] = if b.data.is_null() || b.chunk_length == 0 {
        &[]
    } else {
        // SAFETY: the engine points `data` at `chunk_length` bytes valid for this call.
        unsafe { core::slice::from_raw_parts(b.data.cast::<u8>(), b.chunk_length) }
    };
    let chunk = fw::Chunk {
        data,
        offset: b.offset,
        full_length_hint: b.full_length_hint,
    };
    // SAFETY: an installed context; `anj` is the client the engine called us for.
    let mut env = unsafe { CEnv::new(anj, ctx) };
    let r = match rid {
        rid::PACKAGE => ctx.fsm.write_package(&mut env, chunk),
        rid::PACKAGE_URI => ctx.fsm.write_uri(&mut env, chunk),
        _ => return DmError::METHOD_NOT_ALLOWED.handler_code(),
    };
    match r {
        Ok(()) => 0,
        Err(e) => e.handler_code(),
    }
}

unsafe extern "C" fn fw_res_execute(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _arg: *const c_char,
    _arg_len: usize,
) -> c_int {
    // SAFETY: as in fw_transaction_begin.
    let ctx = unsafe { ctx_of(obj) };
    if rid != rid::UPDATE {
        return DmError::METHOD_NOT_ALLOWED.handler_code();
    }
    // SAFETY: an installed context; `anj` is the client the engine called us for.
    let mut env = unsafe { CEnv::new(anj, ctx) };
    match ctx.fsm.execute_update(&mut env) {
        Ok(()) => 0,
        Err(e) => e.handler_code(),
    }
}
