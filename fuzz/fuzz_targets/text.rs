#![no_main]
//! Decodes arbitrary input with the text decoder; see anj::io::fuzz::text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::text(data));
