//! The data of the built-in LwM2M objects, as pointer-free types.

pub mod builtin;
pub mod device;
#[cfg(feature = "default-fota-obj")]
pub mod fw_update;
pub mod security;
pub mod server;
