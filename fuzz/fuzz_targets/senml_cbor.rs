#![no_main]
//! Decodes arbitrary input with the senml_cbor decoder; see anj::io::fuzz::senml_cbor.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::senml_cbor(data));
