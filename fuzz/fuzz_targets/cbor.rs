#![no_main]
//! Decodes arbitrary input with the cbor decoder; see anj::io::fuzz::cbor.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::cbor(data));
