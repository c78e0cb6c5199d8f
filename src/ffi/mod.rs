//! The C ABI: `#[repr(C)]` mirrors of Anjay Lite's public types and `extern "C"` functions,
//! one module per Anjay Lite header. Converts raw pointers to references once, then calls
//! the safe core. cbindgen generates `include/anj_internal/bindings.h` from this tree.
#![allow(non_camel_case_types)]

#[cfg(feature = "coap-downloader")]
pub mod coap_downloader;
pub mod core;
pub mod crypto;
pub mod dm;
pub mod dm_adapter;
pub mod fw_update;
pub(crate) mod host;
pub mod log;
pub mod net;
#[cfg(feature = "ntp")]
pub mod ntp;
pub mod objects;
#[cfg(feature = "persistence")]
pub mod persistence;
#[cfg(feature = "security")]
pub mod security;
#[cfg(feature = "lwm2m-send")]
pub mod send;
pub mod time;
pub mod utils;
