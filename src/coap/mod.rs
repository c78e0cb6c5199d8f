//! Zero-copy CoAP (RFC 7252) codec.
