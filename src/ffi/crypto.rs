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

/// The source-specific part of [`anj_crypto_security_info_t`].
#[repr(C)]
#[derive(Clone, Copy)]
pub union anj_crypto_security_info_union_t {
    pub buffer: anj_crypto_security_info_buffer_t,
}

/// A credential: its role, where it is, and how to reach it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_crypto_security_info_t {
    pub tag: anj_crypto_security_tag_t,
    pub source: anj_crypto_data_source_t,
    pub info: anj_crypto_security_info_union_t,
}
