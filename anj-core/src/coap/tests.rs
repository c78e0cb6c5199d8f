//! Codec tests: RFC examples, every malformation rule, the writer's refusals, a
//! differential comparison with `coap-lite`, and a no-panic property test.

use super::*;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet};

/// A message as plain data, to compare two implementations field by field.
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    ty: MsgType,
    code: u8,
    mid: u16,
    token: Vec<u8>,
    options: Vec<(u16, Vec<u8>)>,
    payload: Vec<u8>,
}

impl Spec {
    fn of(m: &Message<'_>) -> Spec {
        Spec {
            ty: m.msg_type(),
            code: m.code().0,
            mid: m.message_id(),
            token: m.token().to_vec(),
            options: m.options().map(|(n, v)| (n, v.to_vec())).collect(),
            payload: m.payload().to_vec(),
        }
    }

    fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = MessageWriter::new(buf, self.ty, Code(self.code), self.mid, &self.token)?;
        for (n, v) in &self.options {
            w.option(*n, v)?;
        }
        w.payload(&self.payload)?;
        Ok(w.finish())
    }

    fn to_coap_lite(&self) -> Packet {
        let mut p = Packet::new();
        p.header.set_type(match self.ty {
            MsgType::Con => MessageType::Confirmable,
            MsgType::Non => MessageType::NonConfirmable,
            MsgType::Ack => MessageType::Acknowledgement,
            MsgType::Rst => MessageType::Reset,
        });
        p.header.code = MessageClass::from(self.code);
        p.header.message_id = self.mid;
        p.set_token(self.token.clone());
        for (n, v) in &self.options {
            p.add_option(CoapOption::from(*n), v.clone());
        }
        p.payload = self.payload.clone();
        p
    }

    fn from_coap_lite(p: &Packet) -> Spec {
        Spec {
            ty: match p.header.get_type() {
                MessageType::Confirmable => MsgType::Con,
                MessageType::NonConfirmable => MsgType::Non,
                MessageType::Acknowledgement => MsgType::Ack,
                MessageType::Reset => MsgType::Rst,
            },
            code: u8::from(p.header.code),
            mid: p.header.message_id,
            token: p.get_token().to_vec(),
            options: p
                .options()
                .flat_map(|(n, values)| values.iter().map(move |v| (*n, v.clone())))
                .collect(),
            payload: p.payload.clone(),
        }
    }
}

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const NUMBERS: [u16; 19] = [
    opt::IF_MATCH,
    opt::URI_HOST,
    opt::ETAG,
    opt::IF_NONE_MATCH,
    opt::OBSERVE,
    opt::URI_PORT,
    opt::LOCATION_PATH,
    opt::URI_PATH,
    opt::CONTENT_FORMAT,
    opt::MAX_AGE,
    opt::URI_QUERY,
    opt::ACCEPT,
    opt::LOCATION_QUERY,
    opt::BLOCK2,
    opt::BLOCK1,
    opt::SIZE2,
    opt::PROXY_URI,
    opt::PROXY_SCHEME,
    opt::SIZE1,
];

/// A random message that the writer accepts: option numbers from the registry and from
/// all over the 16-bit range, value lengths across every nibble form.
fn random_spec(rng: &mut Rng) -> Spec {
    let ty = MsgType::from_bits(rng.next() as u8);
    if rng.below(20) == 0 {
        return Spec {
            ty,
            code: 0,
            mid: rng.next() as u16,
            token: vec![],
            options: vec![],
            payload: vec![],
        };
    }
    let code = loop {
        let c = rng.next() as u8;
        if c != 0 {
            break c;
        }
    };
    let token_len = rng.below(9);
    let token = rng.bytes(token_len);
    let mut options = Vec::new();
    for _ in 0..rng.below(8) {
        let number = match rng.below(4) {
            0 | 1 => NUMBERS[rng.below(NUMBERS.len())],
            2 => rng.below(300) as u16,
            _ => rng.next() as u16,
        };
        let mut len = match rng.below(6) {
            0 => 0,
            1 => rng.below(13),
            2 => 13 + rng.below(2),
            3 => 267 + rng.below(4),
            4 => rng.below(700),
            _ => rng.below(5),
        };
        if let Some((min, max)) = opt::length_range(number) {
            len = len.clamp(min, max);
        }
        options.push((number, rng.bytes(len)));
    }
    // Stable: repeated numbers keep their order, as on the wire.
    options.sort_by_key(|(n, _)| *n);
    let payload_len = if rng.below(3) == 0 {
        0
    } else {
        1 + rng.below(300)
    };
    let payload = rng.bytes(payload_len);
    Spec {
        ty,
        code,
        mid: rng.next() as u16,
        token,
        options,
        payload,
    }
}

fn parse_ok(bytes: &[u8]) -> Message<'_> {
    match Message::parse(bytes) {
        Ok(m) => m,
        Err(e) => panic!("{e:?} parsing {bytes:02x?}"),
    }
}

// --- parsing -----------------------------------------------------------------------

#[test]
fn parses_rfc7252_appendix_a_get_and_piggybacked_response() {
    // CON GET /temperature, MID 0x7d34 (RFC 7252 Appendix A, Figure 16).
    let mut req = vec![0x40, 0x01, 0x7d, 0x34, 0xbb];
    req.extend_from_slice(b"temperature");
    let m = parse_ok(&req);
    assert_eq!(m.msg_type(), MsgType::Con);
    assert_eq!(m.code(), Code::GET);
    assert_eq!(m.message_id(), 0x7d34);
    assert!(m.token().is_empty());
    assert_eq!(m.uri_path().collect::<Vec<_>>(), [b"temperature"]);
    assert!(m.payload().is_empty());

    // ACK 2.05 "22.3 C".
    let mut resp = vec![0x60, 0x45, 0x7d, 0x34, 0xff];
    resp.extend_from_slice(b"22.3 C");
    let m = parse_ok(&resp);
    assert_eq!(m.msg_type(), MsgType::Ack);
    assert_eq!(m.code(), Code::CONTENT);
    assert_eq!(m.options().count(), 0);
    assert_eq!(m.payload(), b"22.3 C");
}

#[test]
fn parses_lwm2m_register_request() {
    let mut buf = [0u8; 128];
    let mut w =
        MessageWriter::new(&mut buf, MsgType::Con, Code::POST, 0x1234, &[1, 2, 3, 4]).unwrap();
    w.option(opt::URI_PATH, b"rd").unwrap();
    w.uint_option(opt::CONTENT_FORMAT, u32::from(content_format::LINK_FORMAT))
        .unwrap();
    for q in [
        "ep=urn:dev:os:0023C7-000001",
        "lt=86400",
        "lwm2m=1.1",
        "b=U",
    ] {
        w.option(opt::URI_QUERY, q.as_bytes()).unwrap();
    }
    w.payload(b"</1>;ver=1.1,</1/0>,</3/0>").unwrap();
    let n = w.finish();
    let m = parse_ok(&buf[..n]);
    assert_eq!(m.code(), Code::POST);
    assert_eq!(m.token(), [1, 2, 3, 4]);
    assert_eq!(m.uri_path().collect::<Vec<_>>(), [b"rd"]);
    assert_eq!(m.content_format(), Some(40));
    let q: Vec<&[u8]> = m.uri_query().collect();
    assert_eq!(
        q,
        [
            &b"ep=urn:dev:os:0023C7-000001"[..],
            b"lt=86400",
            b"lwm2m=1.1",
            b"b=U"
        ]
    );
    assert_eq!(m.payload(), b"</1>;ver=1.1,</1/0>,</3/0>");
    assert_eq!(
        m.first_unknown_critical(&[opt::URI_PATH, opt::URI_QUERY]),
        None
    );
}

#[test]
fn empty_con_is_a_valid_ping() {
    let m = parse_ok(&[0x40, 0x00, 0xab, 0xcd]);
    assert!(m.code().is_empty());
    assert_eq!(m.message_id(), 0xabcd);
    assert!(m.token().is_empty() && m.payload().is_empty());
}

#[test]
fn rejects_short_datagrams() {
    for bytes in [&[][..], &[0x40], &[0x40, 0x01, 0x00]] {
        assert_eq!(Message::parse(bytes), Err(ParseError::TooShort));
    }
    // TKL 2 but only one token byte.
    assert_eq!(
        Message::parse(&[0x42, 0x01, 0, 0, 0xaa]),
        Err(ParseError::TooShort)
    );
}

#[test]
fn rejects_versions_other_than_1() {
    for first in [0x00, 0x80, 0xc0] {
        assert_eq!(
            Message::parse(&[first, 0x01, 0, 0]),
            Err(ParseError::BadVersion)
        );
    }
}

#[test]
fn rejects_reserved_token_lengths() {
    for tkl in 9..=15u8 {
        let mut buf = vec![0x40 | tkl, 0x01, 0, 0];
        buf.extend_from_slice(&[0; 15]);
        assert_eq!(
            Message::parse(&buf),
            Err(ParseError::BadTokenLength),
            "tkl {tkl}"
        );
    }
    let mut buf = vec![0x48, 0x01, 0, 0];
    buf.extend_from_slice(&[7; 8]);
    assert_eq!(parse_ok(&buf).token(), [7; 8]);
}

#[test]
fn rejects_option_nibble_15_outside_the_marker() {
    assert_eq!(
        Message::parse(&[0x40, 0x01, 0, 0, 0xf1, 0x00]),
        Err(ParseError::BadOption)
    );
    assert_eq!(
        Message::parse(&[0x40, 0x01, 0, 0, 0x1f, 0x00]),
        Err(ParseError::BadOption)
    );
    // After a valid option, too.
    assert_eq!(
        Message::parse(&[0x40, 0x01, 0, 0, 0xb1, b'a', 0x2f]),
        Err(ParseError::BadOption)
    );
}

#[test]
fn rejects_truncated_options() {
    let cases: [&[u8]; 6] = [
        &[0x40, 0x01, 0, 0, 0xd0],             // delta 13 without its extra byte
        &[0x40, 0x01, 0, 0, 0xe0, 0x00],       // delta 14 with one of two bytes
        &[0x40, 0x01, 0, 0, 0x0d],             // length 13 without its extra byte
        &[0x40, 0x01, 0, 0, 0x0e, 0x01],       // length 14 with one of two bytes
        &[0x40, 0x01, 0, 0, 0xb3, b'a', b'b'], // value one byte short
        &[0x40, 0x01, 0, 0, 0x0d, 0x00, 1, 2], // 13-byte value, 2 present
    ];
    for bytes in cases {
        assert_eq!(
            Message::parse(bytes),
            Err(ParseError::OptionTruncated),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn accepts_extended_delta_and_length_forms() {
    // Delta 13+0 = 13, length 13+0 = 13.
    let mut buf = vec![0x40, 0x01, 0, 0, 0xdd, 0x00, 0x00];
    buf.extend_from_slice(&[b'x'; 13]);
    // Delta 269+1 = 270 -> number 283, length 269+2 = 271.
    buf.extend_from_slice(&[0xee, 0x00, 0x01, 0x00, 0x02]);
    buf.extend_from_slice(&[b'y'; 271]);
    // Delta 12, length 12 in the nibbles themselves -> number 295.
    buf.push(0xcc);
    buf.extend_from_slice(&[b'z'; 12]);
    buf.extend_from_slice(&[0xff, 0x42]);
    let m = parse_ok(&buf);
    let opts: Vec<(u16, usize)> = m.options().map(|(n, v)| (n, v.len())).collect();
    assert_eq!(opts, [(13, 13), (283, 271), (295, 12)]);
    assert_eq!(m.payload(), [0x42]);
}

#[test]
fn option_numbers_stop_at_65535() {
    // One delta of 65535 = 269 + 0xfef2 is the largest number.
    let ok = [0x40, 0x01, 0, 0, 0xe0, 0xfe, 0xf2];
    assert_eq!(
        parse_ok(&ok).options().collect::<Vec<_>>(),
        [(65535, &[][..])]
    );
    let too_big = [0x40, 0x01, 0, 0, 0xe0, 0xff, 0xff];
    assert_eq!(
        Message::parse(&too_big),
        Err(ParseError::OptionNumberTooLarge)
    );
    let sum_too_big = [0x40, 0x01, 0, 0, 0xe0, 0xfe, 0xf2, 0x10];
    assert_eq!(
        Message::parse(&sum_too_big),
        Err(ParseError::OptionNumberTooLarge)
    );
}

#[test]
fn payload_marker_needs_a_payload() {
    assert_eq!(
        Message::parse(&[0x40, 0x01, 0, 0, 0xff]),
        Err(ParseError::EmptyPayload)
    );
    assert_eq!(
        Message::parse(&[0x41, 0x01, 0, 0, 0x07, 0xb1, b'a', 0xff]),
        Err(ParseError::EmptyPayload)
    );
    assert_eq!(parse_ok(&[0x40, 0x01, 0, 0, 0xff, 0xff]).payload(), [0xff]);
}

#[test]
fn empty_message_must_be_bare() {
    let cases: [&[u8]; 4] = [
        &[0x41, 0x00, 0, 0, 0xaa],    // token
        &[0x40, 0x00, 0, 0, 0x10],    // option
        &[0x70, 0x00, 0, 0, 0xff, 1], // payload
        &[0x60, 0x00, 0, 0, 0xff],    // bare marker
    ];
    for bytes in cases {
        assert_eq!(
            Message::parse(bytes),
            Err(ParseError::EmptyMessageNotEmpty),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn peek_reads_type_and_id_of_malformed_datagrams() {
    assert_eq!(
        Message::peek_type_and_id(&[0x4f, 0x01, 0x12, 0x34]),
        Some((MsgType::Con, 0x1234))
    );
    assert_eq!(
        Message::peek_type_and_id(&[0x50, 0x01, 0, 1, 0xff]),
        Some((MsgType::Non, 1))
    );
    assert_eq!(Message::peek_type_and_id(&[0x80, 0x01, 0, 1]), None);
    assert_eq!(Message::peek_type_and_id(&[0x40, 0x01, 0]), None);
}

// --- accessors ----------------------------------------------------------------------

fn build(f: impl FnOnce(&mut MessageWriter<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let mut w = MessageWriter::new(&mut buf, MsgType::Con, Code::GET, 7, &[0xaa]).unwrap();
    f(&mut w);
    let n = w.finish();
    buf.truncate(n);
    buf
}

#[test]
fn typed_accessors_read_known_options() {
    let bytes = build(|w| {
        w.uint_option(opt::OBSERVE, 0).unwrap();
        w.option(opt::URI_PATH, b"3").unwrap();
        w.option(opt::URI_PATH, b"0").unwrap();
        w.option(opt::URI_PATH, b"").unwrap();
        w.uint_option(opt::CONTENT_FORMAT, 11543).unwrap();
        w.uint_option(opt::MAX_AGE, 3600).unwrap();
        w.uint_option(opt::ACCEPT, 112).unwrap();
        w.block_option(opt::BLOCK2, Block::new(2, false, 6).unwrap())
            .unwrap();
        w.block_option(opt::BLOCK1, Block::new(5, true, 4).unwrap())
            .unwrap();
        w.uint_option(opt::SIZE2, 5000).unwrap();
        w.uint_option(opt::SIZE1, 70000).unwrap();
    });
    let m = parse_ok(&bytes);
    assert_eq!(m.observe(), Some(0));
    assert_eq!(m.uri_path().collect::<Vec<_>>(), [&b"3"[..], b"0", b""]);
    assert_eq!(m.content_format(), Some(11543));
    assert_eq!(m.max_age(), Some(3600));
    assert_eq!(m.accept(), Some(112));
    assert_eq!(m.block2(), Block::new(2, false, 6));
    assert_eq!(m.block1(), Block::new(5, true, 4));
    assert_eq!(m.size2(), Some(5000));
    assert_eq!(m.size1(), Some(70000));
    assert_eq!(m.option(opt::URI_PATH), Some(&b"3"[..]));
    assert_eq!(m.option(opt::ETAG), None);
    assert_eq!(m.uri_query().count(), 0);
    assert_eq!(m.location_path().count(), 0);
    assert_eq!(m.location_query().count(), 0);
    assert_eq!(m.options().count(), 11);
    assert!(format!("{m:?}").contains("Code(0.01)"));
}

#[test]
fn out_of_range_values_read_as_absent_but_present() {
    // Hand-built: the writer refuses these lengths.
    let bytes = [
        0x40, 0x01, 0, 0, //
        0x64, 1, 2, 3, 4, // Observe (6), 4 bytes
        0x63, 0, 0, 40, // Content-Format (12), 3 bytes (leading zero: still too long)
        0xb1, 0x07, // Block2 (23), SZX 7
        0x44, 0, 0, 0, 5, // Block1 (27), 4 bytes
        0x15, 1, 2, 3, 4, 5, // Size2 (28), 5 bytes
    ];
    let m = parse_ok(&bytes);
    assert_eq!(m.observe(), None);
    assert_eq!(m.content_format(), None);
    assert_eq!(m.block2(), None);
    assert!(m.has_option(opt::BLOCK2));
    assert_eq!(m.block1(), None);
    assert_eq!(m.size2(), None);
    assert_eq!(m.uint_option(opt::OBSERVE), Some(0x0102_0304));
    assert_eq!(m.uint_option(opt::CONTENT_FORMAT), Some(40));
}

#[test]
fn unknown_critical_options_are_found_and_elective_ones_ignored() {
    let known = [opt::URI_PATH, opt::URI_QUERY, opt::ACCEPT, opt::BLOCK1];
    let m = |f: fn(&mut MessageWriter<'_>)| build(f);
    // Elective unknown options (even numbers) never count.
    assert_eq!(
        parse_ok(&m(|w| w.option(2000, b"x").unwrap())).first_unknown_critical(&known),
        None
    );
    // A critical unknown one does, and the first one wins.
    let b = m(|w| {
        w.option(opt::URI_HOST, b"h").unwrap();
        w.option(opt::URI_PATH, b"a").unwrap();
        w.option(2001, b"").unwrap();
    });
    assert_eq!(
        parse_ok(&b).first_unknown_critical(&known),
        Some(opt::URI_HOST)
    );
    // Repeatable options may repeat; others are treated as unknown from the second on.
    let b = m(|w| {
        w.option(opt::URI_PATH, b"a").unwrap();
        w.option(opt::URI_PATH, b"b").unwrap();
    });
    assert_eq!(parse_ok(&b).first_unknown_critical(&known), None);
    let b = m(|w| {
        w.uint_option(opt::ACCEPT, 0).unwrap();
        w.uint_option(opt::ACCEPT, 40).unwrap();
    });
    assert_eq!(
        parse_ok(&b).first_unknown_critical(&known),
        Some(opt::ACCEPT)
    );
    // A known critical option with an out-of-range length is treated as unknown (§5.4.3).
    let bad_len = [0x40, 0x01, 0, 0, 0xd4, 27 - 13, 0, 0, 0, 1];
    assert_eq!(
        parse_ok(&bad_len).first_unknown_critical(&known),
        Some(opt::BLOCK1)
    );
}

#[test]
fn option_values_stop_at_the_first_higher_number() {
    let bytes = build(|w| {
        w.option(opt::URI_PATH, b"a").unwrap();
        w.option(opt::URI_QUERY, b"q").unwrap();
    });
    let m = parse_ok(&bytes);
    let mut it = m.option_values(opt::URI_PATH);
    assert_eq!(it.next(), Some(&b"a"[..]));
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
}

// --- writing ------------------------------------------------------------------------

#[test]
fn writes_rfc7252_appendix_a_messages_byte_for_byte() {
    let mut buf = [0u8; 32];
    let mut w = MessageWriter::new(&mut buf, MsgType::Con, Code::GET, 0x7d34, &[]).unwrap();
    w.option(opt::URI_PATH, b"temperature").unwrap();
    let n = w.finish();
    assert_eq!(&buf[..n], b"\x40\x01\x7d\x34\xbbtemperature");

    let mut w = MessageWriter::new(&mut buf, MsgType::Ack, Code::CONTENT, 0x7d34, &[]).unwrap();
    w.payload(b"22.3 C").unwrap();
    let n = w.finish();
    assert_eq!(&buf[..n], b"\x60\x45\x7d\x34\xff22.3 C");
}

#[test]
fn uint_options_use_the_shortest_form() {
    let bytes = build(|w| {
        w.uint_option(opt::OBSERVE, 0).unwrap();
        w.uint_option(opt::CONTENT_FORMAT, 0).unwrap();
        w.uint_option(opt::MAX_AGE, 256).unwrap();
        w.uint_option(opt::SIZE1, 0x0100_0000).unwrap();
    });
    assert_eq!(
        &bytes[5..],
        [
            0x60,
            0x60,
            0x22,
            0x01,
            0x00,
            0xd4,
            60 - 14 - 13,
            0x01,
            0,
            0,
            0
        ]
    );
}

#[test]
fn writer_refuses_what_the_parser_rejects() {
    let mut buf = [0u8; 64];
    assert!(matches!(
        MessageWriter::new(&mut buf, MsgType::Con, Code::GET, 0, &[0; 9]),
        Err(WriteError::TokenTooLong)
    ));
    assert!(matches!(
        MessageWriter::new(&mut buf, MsgType::Ack, Code::EMPTY, 0, &[1]),
        Err(WriteError::EmptyMessageNotEmpty)
    ));
    let mut w = MessageWriter::new(&mut buf, MsgType::Ack, Code::EMPTY, 0, &[]).unwrap();
    assert_eq!(
        w.option(opt::ETAG, b"e"),
        Err(WriteError::EmptyMessageNotEmpty)
    );
    assert_eq!(w.payload(b"p"), Err(WriteError::EmptyMessageNotEmpty));
    assert!(w.payload_space().is_empty());
    assert_eq!(w.payload(b""), Ok(()));
    assert_eq!(w.finish(), 4);

    let mut w = MessageWriter::new(&mut buf, MsgType::Con, Code::GET, 0, &[]).unwrap();
    w.option(opt::URI_PATH, b"a").unwrap();
    assert_eq!(w.option(opt::ETAG, b"e"), Err(WriteError::OptionOutOfOrder));
    assert_eq!(
        w.option(opt::URI_HOST, b""),
        Err(WriteError::OptionOutOfOrder)
    );
    assert_eq!(
        w.uint_option(opt::CONTENT_FORMAT, 70000),
        Err(WriteError::BadOptionLength)
    );
    assert_eq!(
        w.uint_option(opt::OBSERVE, 1),
        Err(WriteError::OptionOutOfOrder)
    );
    assert_eq!(
        w.block_option(
            opt::BLOCK2,
            Block {
                num: 0,
                more: false,
                szx: 7
            }
        ),
        Err(WriteError::BadBlock)
    );
    assert_eq!(
        w.option(opt::URI_PATH, &[0; 256]),
        Err(WriteError::BadOptionLength)
    );
    assert_eq!(w.option(opt::ETAG + 100, &[0; 9]), Ok(()));
    w.payload(b"x").unwrap();
    assert_eq!(w.payload(b"y"), Err(WriteError::AfterPayload));
    assert_eq!(w.option(200, b""), Err(WriteError::AfterPayload));
    assert_eq!(w.commit_payload(1), Err(WriteError::AfterPayload));
    assert!(w.payload_space().is_empty());
    let n = w.finish();
    let m = parse_ok(&buf[..n]);
    assert_eq!(
        m.options().collect::<Vec<_>>(),
        [(11, &b"a"[..]), (104, &[0; 9][..])]
    );
    assert_eq!(m.payload(), b"x");
}

#[test]
fn a_failed_write_leaves_the_message_unchanged() {
    let mut buf = [0u8; 12];
    assert!(matches!(
        MessageWriter::new(&mut buf[..5], MsgType::Con, Code::GET, 0, &[1, 2]),
        Err(WriteError::BufferTooSmall)
    ));
    let mut w = MessageWriter::new(&mut buf, MsgType::Con, Code::GET, 0, &[1, 2]).unwrap();
    assert_eq!(
        w.option(opt::URI_PATH, b"toolong"),
        Err(WriteError::BufferTooSmall)
    );
    assert_eq!(w.len(), 6);
    w.option(opt::URI_PATH, b"rd").unwrap(); // 3 bytes -> 9
    assert_eq!(w.payload(b"abc"), Err(WriteError::BufferTooSmall));
    assert_eq!(w.len(), 9);
    w.payload(b"ab").unwrap();
    assert_eq!(w.finish(), 12);
    let m = parse_ok(&buf);
    assert_eq!(m.uri_path().collect::<Vec<_>>(), [b"rd"]);
    assert_eq!(m.payload(), b"ab");
}

#[test]
fn payload_can_be_encoded_in_place() {
    let mut buf = [0u8; 16];
    let mut w = MessageWriter::new(&mut buf, MsgType::Non, Code::CONTENT, 9, &[]).unwrap();
    w.uint_option(opt::CONTENT_FORMAT, 0).unwrap();
    let space = w.payload_space();
    assert_eq!(space.len(), 16 - 5 - 1);
    space[..4].copy_from_slice(b"42.5");
    assert_eq!(w.commit_payload(11), Err(WriteError::BufferTooSmall));
    w.commit_payload(4).unwrap();
    let n = w.finish();
    let m = parse_ok(&buf[..n]);
    assert_eq!(m.content_format(), Some(0));
    assert_eq!(m.payload(), b"42.5");

    // Zero-length commit writes no marker; a full buffer offers no space.
    let mut buf = [0u8; 4];
    let mut w = MessageWriter::new(&mut buf, MsgType::Non, Code::CONTENT, 9, &[]).unwrap();
    assert!(w.payload_space().is_empty());
    assert_eq!(w.commit_payload(0), Ok(()));
    assert_eq!(w.commit_payload(1), Err(WriteError::BufferTooSmall));
    assert_eq!(w.finish(), 4);
}

#[test]
fn empty_ack_and_reset_are_four_bytes() {
    let mut buf = [0u8; 8];
    assert_eq!(empty_ack(&mut buf, 0xbeef), 4);
    assert_eq!(&buf[..4], [0x60, 0x00, 0xbe, 0xef]);
    assert_eq!(reset(&mut buf, 0x0102), 4);
    assert_eq!(&buf[..4], [0x70, 0x00, 0x01, 0x02]);
    let m = parse_ok(&buf[..4]);
    assert_eq!(
        (m.msg_type(), m.code(), m.message_id()),
        (MsgType::Rst, Code::EMPTY, 0x0102)
    );
    assert_eq!(empty_ack(&mut buf[..3], 1), 0);
    assert_eq!(reset(&mut [], 1), 0);
}

// --- against coap-lite --------------------------------------------------------------

#[test]
fn coap_lite_and_we_agree_both_ways() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ours = vec![0u8; 8192];
    for i in 0..3000 {
        let spec = random_spec(&mut rng);

        // Theirs -> ours: identical bytes (the option encoding is canonical) and fields.
        let theirs = spec.to_coap_lite().to_bytes_unlimited().unwrap();
        let m = parse_ok(&theirs);
        assert_eq!(Spec::of(&m), spec, "case {i}");

        // Ours -> theirs.
        let n = spec.write(&mut ours).unwrap();
        assert_eq!(&ours[..n], &theirs[..], "case {i}");
        let back = Packet::from_bytes(&ours[..n]).unwrap();
        assert_eq!(Spec::from_coap_lite(&back), spec, "case {i}");
    }
}

#[test]
fn coap_lite_typed_options_read_back() {
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::from(Code::CONTENT.0);
    p.header.message_id = 77;
    p.set_token(vec![9, 8, 7]);
    p.set_observe_value(0x00ab_cdef);
    p.set_content_format(coap_lite::ContentFormat::ApplicationLinkFormat);
    p.add_option(CoapOption::Block2, vec![0x3d]);
    p.add_option(CoapOption::Size2, vec![0x04, 0x00]);
    p.payload = b"</3/0>".to_vec();
    let bytes = p.to_bytes().unwrap();
    let m = parse_ok(&bytes);
    assert_eq!(m.msg_type(), MsgType::Non);
    assert_eq!(m.token(), [9, 8, 7]);
    assert_eq!(m.observe(), Some(0x00ab_cdef));
    assert_eq!(m.content_format(), Some(content_format::LINK_FORMAT));
    assert_eq!(
        m.block2(),
        Some(Block {
            num: 3,
            more: true,
            szx: 5
        })
    );
    assert_eq!(m.size2(), Some(1024));
    assert_eq!(m.payload(), b"</3/0>");
}

// --- robustness ---------------------------------------------------------------------

/// Reads everything a caller could read, so that any panic would surface.
fn exercise(m: &Message<'_>) {
    let _ = (
        m.msg_type(),
        m.code(),
        m.message_id(),
        m.token(),
        m.payload(),
        m.as_bytes(),
    );
    let _ = (
        m.content_format(),
        m.accept(),
        m.observe(),
        m.max_age(),
        m.size1(),
        m.size2(),
    );
    let _ = (
        m.block1(),
        m.block2(),
        m.first_unknown_critical(&[opt::URI_PATH]),
    );
    let _ = (
        m.uri_path().count(),
        m.uri_query().count(),
        m.location_path().count(),
    );
    let _ = format!("{m:?}");
    for n in [0, 1, 11, 60, 65535] {
        let _ = (m.option(n), m.uint_option(n));
    }
}

/// Anything we accept, coap-lite (more lenient) accepts with the same fields, and our
/// writer reproduces byte for byte whenever the option lengths are ones it allows.
fn check_accepted(bytes: &[u8], m: &Message<'_>, scratch: &mut [u8]) {
    exercise(m);
    // The summary kept by the parse answers as the option-by-option scan does.
    for known in [
        &[][..],
        &[opt::URI_PATH, opt::ACCEPT, opt::BLOCK2][..],
        &[
            1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 35, 39, 59, 61,
        ][..],
    ] {
        assert_eq!(
            m.first_unknown_critical(known),
            m.first_unknown_critical_scan(known),
            "{bytes:02x?}"
        );
    }
    assert_eq!(
        m.content_format(),
        m.option(opt::CONTENT_FORMAT).and_then(
            |v| (v.len() <= 2).then(|| v.iter().fold(0u16, |a, b| a << 8 | u16::from(*b)))
        )
    );
    for n in [1u16, 6, 11, 12, 17, 23, 27, 60, 62, 63, 258] {
        assert_eq!(
            m.option(n),
            m.options().find(|o| o.0 == n).map(|o| o.1),
            "{n}"
        );
    }
    let spec = Spec::of(m);
    let theirs =
        Packet::from_bytes(bytes).unwrap_or_else(|e| panic!("coap-lite: {e:?} on {bytes:02x?}"));
    assert_eq!(Spec::from_coap_lite(&theirs), spec);
    let header_len = 4 + spec.token.len();
    let options_len: usize = m.options().map(|(_, v)| v.len()).sum();
    assert!(header_len + options_len + spec.payload.len() <= bytes.len());
    match spec.write(scratch) {
        Ok(n) => assert_eq!(&scratch[..n], bytes),
        Err(e) => assert_eq!(e, WriteError::BadOptionLength),
    }
}

#[test]
fn parse_never_panics_on_random_or_mutated_input() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut scratch = vec![0u8; 70_000];
    let mut accepted = 0;
    for _ in 0..20_000 {
        // Pure noise, biased to look like version 1 half of the time.
        let noise_len = rng.below(40);
        let mut noise = rng.bytes(noise_len);
        if let Some(first) = noise.first_mut() {
            if rng.below(2) == 0 {
                *first = (*first & 0x3f) | 0x40;
            }
        }
        if let Ok(m) = Message::parse(&noise) {
            accepted += 1;
            check_accepted(&noise, &m, &mut scratch);
        }
    }
    for _ in 0..20_000 {
        // A valid message with a few bytes flipped, inserted, removed or cut off.
        let spec = random_spec(&mut rng);
        let n = spec.write(&mut scratch).unwrap();
        let mut bytes = scratch[..n].to_vec();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
                1 => bytes.insert(at, rng.next() as u8),
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        if let Ok(m) = Message::parse(&bytes) {
            accepted += 1;
            check_accepted(&bytes, &m, &mut scratch);
        }
    }
    // The generator must reach the interesting paths, not only early rejections.
    assert!(accepted > 2_000, "only {accepted} inputs accepted");
}

#[test]
fn lookups_use_the_parse_summary_consistently() {
    // Hand-built: Content-Format twice (the first counts), Accept, then options above 63
    // (No-Response 258, and 2048) that share the summary's last bit.
    let bytes = [
        0x40, 0x01, 0, 0, //
        0xc1, 60, // Content-Format (12) = 60
        0x01, 50, // Content-Format again = 50
        0x51, 0x70, // Accept (17) = 112
        0xd1, 0xe4, 26, // No-Response (258) = 26
        0xe1, 0x05, 0xf1, 1, // option 2048 = 1
    ];
    let m = parse_ok(&bytes);
    assert_eq!(m.content_format(), Some(60));
    assert_eq!(m.option_values(opt::CONTENT_FORMAT).count(), 2);
    assert_eq!(m.accept(), Some(112));
    assert_eq!(m.option(258), Some(&[26u8][..]));
    assert_eq!(m.option(2048), Some(&[1u8][..]));
    // Absent options, below and above 63.
    assert_eq!(m.option(opt::URI_PATH), None);
    assert_eq!(m.option(259), None);
    assert_eq!(m.observe(), None);
    // And with none of them: a bare message.
    let m = parse_ok(&[0x40, 0x01, 0, 0]);
    assert_eq!((m.content_format(), m.accept()), (None, None));
}
