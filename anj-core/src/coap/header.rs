//! The fixed 4-byte header fields: message type and code (RFC 7252 §3).

use core::fmt;

/// The message type, two bits of the first header byte (RFC 7252 §3, §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MsgType {
    /// Confirmable: the peer acknowledges it, the sender retransmits until it does (§4.2).
    Con = 0,
    /// Non-confirmable: sent once, never acknowledged (§4.3).
    Non = 1,
    /// Acknowledgement of a Confirmable message, maybe carrying a piggybacked response (§5.2.1).
    Ack = 2,
    /// Reset: the receiver could not process a message (§4.2, §4.3).
    Rst = 3,
}

impl MsgType {
    /// The type encoded in the two low bits of `bits`; every 2-bit value is a type.
    pub const fn from_bits(bits: u8) -> MsgType {
        match bits & 0b11 {
            0 => MsgType::Con,
            1 => MsgType::Non,
            2 => MsgType::Ack,
            _ => MsgType::Rst,
        }
    }
}

/// A message code: a 3-bit class and a 5-bit detail, written `c.dd` (RFC 7252 §3, §12.1).
///
/// Any byte is a code; the named constants cover what an LwM2M client sends or understands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub u8);

impl Code {
    /// Builds `class.detail`; bits beyond 3 (class) and 5 (detail) are dropped.
    pub const fn new(class: u8, detail: u8) -> Code {
        Code(((class & 0x07) << 5) | (detail & 0x1f))
    }

    /// 0.00: the code of an Empty message (ACK, RST, CoAP ping) (§4.1).
    pub const EMPTY: Code = Code::new(0, 0);

    // Request methods (RFC 7252 §12.1.1, RFC 8132 for FETCH/PATCH/iPATCH).
    pub const GET: Code = Code::new(0, 1);
    pub const POST: Code = Code::new(0, 2);
    pub const PUT: Code = Code::new(0, 3);
    pub const DELETE: Code = Code::new(0, 4);
    pub const FETCH: Code = Code::new(0, 5);
    pub const PATCH: Code = Code::new(0, 6);
    pub const IPATCH: Code = Code::new(0, 7);

    // Success responses (RFC 7252 §5.9.1, RFC 7959 §2.9.1 for 2.31).
    pub const CREATED: Code = Code::new(2, 1);
    pub const DELETED: Code = Code::new(2, 2);
    pub const VALID: Code = Code::new(2, 3);
    pub const CHANGED: Code = Code::new(2, 4);
    pub const CONTENT: Code = Code::new(2, 5);
    pub const CONTINUE: Code = Code::new(2, 31);

    // Client errors (RFC 7252 §5.9.2, RFC 7959 §2.9.2-3, RFC 8132 §3.4 for 4.09/4.22).
    pub const BAD_REQUEST: Code = Code::new(4, 0);
    pub const UNAUTHORIZED: Code = Code::new(4, 1);
    pub const BAD_OPTION: Code = Code::new(4, 2);
    pub const FORBIDDEN: Code = Code::new(4, 3);
    pub const NOT_FOUND: Code = Code::new(4, 4);
    pub const METHOD_NOT_ALLOWED: Code = Code::new(4, 5);
    pub const NOT_ACCEPTABLE: Code = Code::new(4, 6);
    pub const REQUEST_ENTITY_INCOMPLETE: Code = Code::new(4, 8);
    pub const CONFLICT: Code = Code::new(4, 9);
    pub const PRECONDITION_FAILED: Code = Code::new(4, 12);
    pub const REQUEST_ENTITY_TOO_LARGE: Code = Code::new(4, 13);
    pub const UNSUPPORTED_CONTENT_FORMAT: Code = Code::new(4, 15);
    pub const UNPROCESSABLE_ENTITY: Code = Code::new(4, 22);

    // Server errors (RFC 7252 §5.9.3).
    pub const INTERNAL_SERVER_ERROR: Code = Code::new(5, 0);
    pub const NOT_IMPLEMENTED: Code = Code::new(5, 1);
    pub const BAD_GATEWAY: Code = Code::new(5, 2);
    pub const SERVICE_UNAVAILABLE: Code = Code::new(5, 3);
    pub const GATEWAY_TIMEOUT: Code = Code::new(5, 4);
    pub const PROXYING_NOT_SUPPORTED: Code = Code::new(5, 5);

    /// The class, 0..=7 (the `c` of `c.dd`).
    pub const fn class(self) -> u8 {
        self.0 >> 5
    }

    /// The detail, 0..=31 (the `dd` of `c.dd`).
    pub const fn detail(self) -> u8 {
        self.0 & 0x1f
    }

    /// 0.00, the code of an Empty message.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Class 0 other than 0.00: a request method (§5.8).
    pub const fn is_request(self) -> bool {
        self.class() == 0 && self.detail() != 0
    }

    /// Classes 2, 4 and 5 (§5.9).
    pub const fn is_response(self) -> bool {
        matches!(self.class(), 2 | 4 | 5)
    }

    /// 2.xx.
    pub const fn is_success(self) -> bool {
        self.class() == 2
    }

    /// 4.xx or 5.xx.
    pub const fn is_error(self) -> bool {
        matches!(self.class(), 4 | 5)
    }

    /// A class with no meaning: RFC 7252 §4.2 names 1, 6 and 7 as reserved, and §12.1
    /// assigns nothing to 3 either. A Confirmable message using one is rejected with a
    /// Reset, a Non-confirmable one is ignored (§4.2, §4.3).
    pub const fn is_reserved_class(self) -> bool {
        matches!(self.class(), 1 | 3 | 6 | 7)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.class(), self.detail())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_splits_into_class_and_detail() {
        assert_eq!(Code::CONTENT.0, 0x45);
        assert_eq!(Code::CONTENT.class(), 2);
        assert_eq!(Code::CONTENT.detail(), 5);
        assert_eq!(Code::CONTINUE.0, 0x5f);
        assert_eq!(Code::REQUEST_ENTITY_INCOMPLETE.0, 0x88);
        assert_eq!(Code::UNSUPPORTED_CONTENT_FORMAT.0, 0x8f);
        assert_eq!(Code::SERVICE_UNAVAILABLE.0, 0xa3);
        assert_eq!(Code::new(9, 40), Code::new(1, 8));
    }

    #[test]
    fn code_kinds_are_disjoint() {
        for byte in 0..=255u8 {
            let c = Code(byte);
            let kinds = [
                c.is_empty(),
                c.is_request(),
                c.is_response(),
                c.is_reserved_class(),
            ];
            assert_eq!(kinds.iter().filter(|k| **k).count(), 1, "{c}");
        }
        assert!(Code::GET.is_request() && !Code::GET.is_response());
        assert!(Code::BAD_OPTION.is_error() && !Code::BAD_OPTION.is_success());
        assert!(Code::CHANGED.is_success());
    }

    #[test]
    fn code_displays_as_dotted_class_detail() {
        assert_eq!(format!("{}", Code::NOT_FOUND), "4.04");
        assert_eq!(format!("{}", Code::CONTINUE), "2.31");
        assert_eq!(format!("{:?}", Code::EMPTY), "Code(0.00)");
    }

    #[test]
    fn msg_type_uses_two_low_bits() {
        assert_eq!(MsgType::from_bits(0), MsgType::Con);
        assert_eq!(MsgType::from_bits(1), MsgType::Non);
        assert_eq!(MsgType::from_bits(2), MsgType::Ack);
        assert_eq!(MsgType::from_bits(3), MsgType::Rst);
        assert_eq!(MsgType::from_bits(0xfe), MsgType::Ack);
        assert_eq!(MsgType::Rst as u8, 3);
    }
}
