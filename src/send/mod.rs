//! The LwM2M Send queue, now the core's ([`anj_core::send`]), re-exported under its old
//! path. The C face ([`crate::ffi::send`]) keeps the application's requests beside it.

pub use anj_core::send::*;

// The tests of the queue through the C face; they use both Send formats.
#[cfg(all(test, feature = "senml-cbor", feature = "lwm2m-cbor"))]
mod tests;
