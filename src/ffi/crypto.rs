//! `anj/crypto.h`: how credentials are handed to the library (a buffer, or with
//! external crypto storage, a reference the storage resolves).
#![cfg(feature = "security")]

use core::ffi::c_void;

/// Where the bytes of a credential live.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_crypto_data_source_t {
    ANJ_CRYPTO_DATA_SOURCE_EMPTY = 0,
    ANJ_CRYPTO_DATA_SOURCE_BUFFER,
    #[cfg(feature = "external-crypto-storage")]
    ANJ_CRYPTO_DATA_SOURCE_EXTERNAL,
}

/// What a credential is used as.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_crypto_security_tag_t {
    ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
    ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
    ANJ_CRYPTO_SECURITY_TAG_CERT_REVOCATION_LIST,
    ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
    ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
}

/// A credential held in a caller's buffer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_crypto_security_info_buffer_t {
    pub data: *const c_void,
    pub data_size: usize,
}

/// A credential kept by the external crypto storage: an opaque name (file path, key
/// store alias...) only `anj_crypto_storage_resolve_security_info` turns into bytes.
#[cfg(feature = "external-crypto-storage")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_crypto_security_info_external_t {
    pub identity: *const core::ffi::c_char,
}

/// The source-specific part of [`anj_crypto_security_info_t`].
#[repr(C)]
#[derive(Clone, Copy)]
pub union anj_crypto_security_info_union_t {
    pub buffer: anj_crypto_security_info_buffer_t,
    #[cfg(feature = "external-crypto-storage")]
    pub external: anj_crypto_security_info_external_t,
}

/// Overwrites `size` bytes at `buf` with zeros; the writes are volatile, so the
/// compiler cannot drop them (`anj/compat/crypto/zeroize.h`).
///
/// # Safety
/// `buf` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_crypto_zeroize(buf: *mut c_void, size: usize) {
    if buf.is_null() {
        return;
    }
    let p = buf.cast::<u8>();
    for i in 0..size {
        // SAFETY: `i < size`, within the caller's writable buffer.
        unsafe { core::ptr::write_volatile(p.add(i), 0) };
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

#[cfg(feature = "external-crypto-storage")]
extern "C" {
    /// The integrator's hooks (`anj/compat/crypto/storage.h`).
    pub fn anj_crypto_storage_init(out_crypto_ctx: *mut *mut c_void) -> core::ffi::c_int;
    pub fn anj_crypto_storage_create_record(
        crypto_ctx: *mut c_void,
        out_info: *mut anj_crypto_security_info_t,
        data: *const c_void,
        data_size: usize,
    ) -> core::ffi::c_int;
    pub fn anj_crypto_storage_delete_record(
        crypto_ctx: *mut c_void,
        info: *const anj_crypto_security_info_t,
    ) -> core::ffi::c_int;
    pub fn anj_crypto_storage_deinit(crypto_ctx: *mut c_void);
}

#[cfg(all(feature = "external-crypto-storage", feature = "persistence"))]
extern "C" {
    /// The integrator's hooks for persisting references (`anj/compat/crypto/storage.h`).
    pub fn anj_crypto_storage_get_persistence_info(
        crypto_ctx: *mut c_void,
        info: *const anj_crypto_security_info_external_t,
        out_data: *mut c_void,
        out_data_size: *mut usize,
    ) -> core::ffi::c_int;
    pub fn anj_crypto_storage_resolve_persistence_info(
        crypto_ctx: *mut c_void,
        data: *const c_void,
        data_size: usize,
        out_info: *mut anj_crypto_security_info_external_t,
    ) -> core::ffi::c_int;
}

/// A credential: its role, where it is, and how to reach it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_crypto_security_info_t {
    pub tag: anj_crypto_security_tag_t,
    pub source: anj_crypto_data_source_t,
    pub info: anj_crypto_security_info_union_t,
}
