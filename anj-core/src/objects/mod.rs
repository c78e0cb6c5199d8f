//! The data of the built-in LwM2M objects, as pointer-free types.

pub mod security;
