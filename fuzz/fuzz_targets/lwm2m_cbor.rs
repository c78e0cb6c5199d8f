#![no_main]
//! Decodes arbitrary input with the lwm2m_cbor decoder; see anj::io::fuzz::lwm2m_cbor.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| anj::io::fuzz::lwm2m_cbor(data));
