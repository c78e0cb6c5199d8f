#![no_main]
//! Decodes arbitrary input with the tlv decoder; see anj::io::fuzz::tlv.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::tlv(data));
