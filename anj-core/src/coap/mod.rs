//! Zero-copy CoAP codec: RFC 7252 messages over UDP, with the options of RFC 7641
//! (Observe) and RFC 7959 (block-wise transfer).
//!
//! Reading: [`Message::parse`] validates a received datagram once and hands out a view
//! whose accessors borrow from the receive buffer. Writing: [`MessageWriter`] builds a
//! datagram in place in the send buffer and refuses anything the parser would reject.
//! Nothing here owns a buffer, allocates, or panics on any input.
//!
//! What to *do* about a message (acknowledge, reset, answer 4.02, match a token) is the
//! exchange layer's business; this module only says what is on the wire.
#![forbid(unsafe_code)]

mod block;
mod header;
mod msg;
mod option;
mod writer;

pub use block::Block;
pub use header::{Code, MsgType};
pub use msg::{Message, OptionValues, Options, ParseError, Summary};
pub use option::{content_format, opt};
pub use writer::{empty_ack, reset, MessageWriter, WriteError};

#[cfg(test)]
mod tests;
