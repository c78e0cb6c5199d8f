#![no_main]
//! Decodes arbitrary input with the senml_json decoder; see anj::io::fuzz::senml_json.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::senml_json(data));
