#![no_main]
//! Decodes arbitrary input with the opaque decoder; see anj::io::fuzz::opaque.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::opaque(data));
