//! The state and rules of the built-in Security (/0), Server (/1) and Device (/3) objects
//! live in the core (`anj_core::objects::builtin`); this module re-exports them at their
//! old path and names the C types among them for the C face.

// `cfg(cbindgen)` marks the declarations only cbindgen reads (rustc never sets it).
#![allow(unexpected_cfgs)]

pub use anj_core::objects::builtin::*;

/// The Communication Retry resources' values as C sees them: the core's [`CommRetry`]
/// (`repr(C)`; the declaration below, for the header only, states its layout and the
/// checks under it hold the two together).
/// cbindgen:ignore
#[allow(non_camel_case_types)]
pub type anj_communication_retry_res_t = CommRetry;

// cbindgen reads only this crate: it gets the C declaration of `CommRetry` from this
// copy, which rustc never compiles.
#[cfg(cbindgen)]
#[allow(non_camel_case_types)]
/// Values of the Communication Retry resources (/1/x/17..20, LwM2M 1.1 TS Core §6.2.1.1).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct anj_communication_retry_res_t {
    pub retry_count: u16,
    pub retry_timer: u32,
    pub seq_delay_timer: u32,
    pub seq_retry_count: u16,
}

#[cfg(cbindgen)]
impl anj_communication_retry_res_t {
    /// The spec's defaults: 5 tries, 60 s base timer, 24 h between sequences, 1 sequence.
    pub const DEFAULT: Self = anj_communication_retry_res_t {
        retry_count: 5,
        retry_timer: 60,
        seq_delay_timer: 24 * 60 * 60,
        seq_retry_count: 1,
    };
}

// The layout of the declaration above (C: uint16_t, uint32_t, uint32_t, uint16_t).
const _: () = {
    use core::mem::{align_of, offset_of, size_of};
    assert!(offset_of!(CommRetry, retry_count) == 0);
    assert!(offset_of!(CommRetry, retry_timer) == 4);
    assert!(offset_of!(CommRetry, seq_delay_timer) == 8);
    assert!(offset_of!(CommRetry, seq_retry_count) == 12);
    assert!(size_of::<CommRetry>() == 16 && align_of::<CommRetry>() == 4);
    assert!(CommRetry::DEFAULT.retry_count == 5 && CommRetry::DEFAULT.retry_timer == 60);
    assert!(CommRetry::DEFAULT.seq_delay_timer == 86400 && CommRetry::DEFAULT.seq_retry_count == 1);
};

/// Default Disable Timeout (/1/x/5): one day.
pub const DISABLE_TIMEOUT_DEFAULT: u32 = 86400;
// (Declared here, where cbindgen sees it, as it has been in the header: the core's value.)
const _: () =
    assert!(DISABLE_TIMEOUT_DEFAULT == anj_core::objects::builtin::DISABLE_TIMEOUT_DEFAULT);
