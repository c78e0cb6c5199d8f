//! CoAP Content-Format numbers of the LwM2M payload formats (LwM2M TS Core §7.4, the IANA
//! CoAP Content-Formats registry) and run-time selection of an encoder or decoder without
//! allocation: [`AnyEncoder`] and [`AnyDecoder`] are plain enums over the concrete types.

#[cfg(feature = "cbor")]
use super::cbor::{PlainCborDecoder, PlainCborEncoder};
#[cfg(feature = "opaque")]
use super::opaque::{OpaqueDecoder, OpaqueEncoder};
#[cfg(feature = "senml-cbor")]
use super::senml_cbor::{SenmlCborDecoder, SenmlCborEncoder};
#[cfg(feature = "senml-json")]
use super::senml_json::{SenmlJsonDecoder, SenmlJsonEncoder};
#[cfg(feature = "plaintext")]
use super::text::{TextDecoder, TextEncoder};
#[cfg(feature = "tlv")]
use super::tlv::{TlvDecoder, TlvEncoder};
use super::value::{Decoder, Encoder, Entry, IoError, Path, TypeOf};

pub const TEXT: u16 = 0;
pub const LINK_FORMAT: u16 = 40;
pub const OPAQUE: u16 = 42;
pub const CBOR: u16 = 60;
pub const SENML_JSON: u16 = 110;
pub const SENML_CBOR: u16 = 112;
pub const SENML_ETCH_JSON: u16 = 320;
pub const SENML_ETCH_CBOR: u16 = 322;
pub const TLV: u16 = 11542;
pub const LWM2M_JSON: u16 = 11543;
pub const LWM2M_CBOR: u16 = 11544;
/// Pre-registration numbers used by LwM2M 1.0 era implementations
/// (`application/vnd.oma.lwm2m+text`, `+tlv`, `+json`).
pub const LEGACY_TEXT: u16 = 1541;
pub const LEGACY_TLV: u16 = 1542;
pub const LEGACY_JSON: u16 = 1543;

/// The hierarchical format used for responses when the request has no Accept option and
/// the target is not a single value: SenML CBOR as in Anjay Lite, else whichever
/// hierarchical format this build has.
#[cfg(feature = "senml-cbor")]
pub const PREFERRED: u16 = SENML_CBOR;
#[cfg(all(not(feature = "senml-cbor"), feature = "senml-json"))]
pub const PREFERRED: u16 = SENML_JSON;
#[cfg(all(
    not(feature = "senml-cbor"),
    not(feature = "senml-json"),
    feature = "tlv"
))]
pub const PREFERRED: u16 = TLV;
#[cfg(not(any(feature = "senml-cbor", feature = "senml-json", feature = "tlv")))]
pub const PREFERRED: u16 = TEXT;

/// Whether this build can produce (and read) payloads of Content-Format `cf`.
pub fn can_encode(cf: u16) -> bool {
    Format::from_content_format(cf).is_some()
}

/// A payload format this build can encode and decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    #[cfg(feature = "plaintext")]
    Text,
    #[cfg(feature = "opaque")]
    Opaque,
    #[cfg(feature = "cbor")]
    Cbor,
    #[cfg(feature = "tlv")]
    Tlv,
    #[cfg(feature = "senml-json")]
    SenmlJson,
    #[cfg(feature = "senml-cbor")]
    SenmlCbor,
}

impl Format {
    /// The format for a Content-Format / Accept number, if it is enabled in this build
    /// (cargo features `plaintext`, `opaque`, `cbor`, `tlv`, `senml-json`, `senml-cbor`).
    /// The legacy text and TLV numbers map to the same formats; LwM2M CBOR (11544) and
    /// the JSON formats without an implementation give `None`.
    pub fn from_content_format(cf: u16) -> Option<Format> {
        match cf {
            #[cfg(feature = "plaintext")]
            TEXT | LEGACY_TEXT => Some(Format::Text),
            #[cfg(feature = "opaque")]
            OPAQUE => Some(Format::Opaque),
            #[cfg(feature = "cbor")]
            CBOR => Some(Format::Cbor),
            #[cfg(feature = "tlv")]
            TLV | LEGACY_TLV => Some(Format::Tlv),
            #[cfg(feature = "senml-json")]
            SENML_JSON => Some(Format::SenmlJson),
            #[cfg(feature = "senml-cbor")]
            SENML_CBOR => Some(Format::SenmlCbor),
            _ => None,
        }
    }

    /// The registered Content-Format number of this format.
    pub fn content_format(self) -> u16 {
        match self {
            #[cfg(feature = "plaintext")]
            Format::Text => TEXT,
            #[cfg(feature = "opaque")]
            Format::Opaque => OPAQUE,
            #[cfg(feature = "cbor")]
            Format::Cbor => CBOR,
            #[cfg(feature = "tlv")]
            Format::Tlv => TLV,
            #[cfg(feature = "senml-json")]
            Format::SenmlJson => SENML_JSON,
            #[cfg(feature = "senml-cbor")]
            Format::SenmlCbor => SENML_CBOR,
        }
    }

    /// Whether the format carries exactly one value (no multi-entry responses).
    pub fn is_single_value(self) -> bool {
        match self {
            #[cfg(feature = "plaintext")]
            Format::Text => true,
            #[cfg(feature = "opaque")]
            Format::Opaque => true,
            #[cfg(feature = "cbor")]
            Format::Cbor => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// An encoder writing a response for `base` (the request path) into `out`.
    pub fn encoder(self, base: Path, out: &mut [u8]) -> AnyEncoder<'_> {
        match self {
            #[cfg(feature = "plaintext")]
            Format::Text => AnyEncoder::Text(TextEncoder::new(base, out)),
            #[cfg(feature = "opaque")]
            Format::Opaque => AnyEncoder::Opaque(OpaqueEncoder::new(base, out)),
            #[cfg(feature = "cbor")]
            Format::Cbor => AnyEncoder::Cbor(PlainCborEncoder::new(base, out)),
            #[cfg(feature = "tlv")]
            Format::Tlv => AnyEncoder::Tlv(TlvEncoder::new(base, out)),
            #[cfg(feature = "senml-json")]
            Format::SenmlJson => AnyEncoder::SenmlJson(SenmlJsonEncoder::new(base, out)),
            #[cfg(feature = "senml-cbor")]
            Format::SenmlCbor => AnyEncoder::SenmlCbor(SenmlCborEncoder::new(base, out)),
        }
    }

    /// A decoder of `data` sent to `base` (the request path). `scratch` receives values
    /// that cannot be borrowed from `data` (base64, JSON escapes, chunked CBOR strings);
    /// a buffer as large as the payload is always enough.
    pub fn decoder<'a>(self, base: Path, data: &'a [u8], scratch: &'a mut [u8]) -> AnyDecoder<'a> {
        match self {
            #[cfg(feature = "plaintext")]
            Format::Text => AnyDecoder::Text(TextDecoder::new(base, data, scratch)),
            #[cfg(feature = "opaque")]
            Format::Opaque => AnyDecoder::Opaque(OpaqueDecoder::new(base, data)),
            #[cfg(feature = "cbor")]
            Format::Cbor => AnyDecoder::Cbor(PlainCborDecoder::new(base, data, scratch)),
            #[cfg(feature = "tlv")]
            Format::Tlv => AnyDecoder::Tlv(TlvDecoder::new(base, data)),
            #[cfg(feature = "senml-json")]
            Format::SenmlJson => AnyDecoder::SenmlJson(SenmlJsonDecoder::new(base, data, scratch)),
            #[cfg(feature = "senml-cbor")]
            Format::SenmlCbor => AnyDecoder::SenmlCbor(SenmlCborDecoder::new(base, data, scratch)),
        }
    }
}

/// Any encoder, chosen at run time.
pub enum AnyEncoder<'b> {
    #[cfg(feature = "plaintext")]
    Text(TextEncoder<'b>),
    #[cfg(feature = "opaque")]
    Opaque(OpaqueEncoder<'b>),
    #[cfg(feature = "cbor")]
    Cbor(PlainCborEncoder<'b>),
    #[cfg(feature = "tlv")]
    Tlv(TlvEncoder<'b>),
    #[cfg(feature = "senml-json")]
    SenmlJson(SenmlJsonEncoder<'b>),
    #[cfg(feature = "senml-cbor")]
    SenmlCbor(SenmlCborEncoder<'b>),
    /// Keeps the lifetime used in a build without any format; never constructed.
    #[cfg(not(any(
        feature = "plaintext",
        feature = "opaque",
        feature = "cbor",
        feature = "tlv",
        feature = "senml-json",
        feature = "senml-cbor"
    )))]
    Never(
        core::convert::Infallible,
        core::marker::PhantomData<&'b mut [u8]>,
    ),
}

impl<'b> AnyEncoder<'b> {
    /// The encoder of Content-Format `cf` for a response to `base`;
    /// [`IoError::Unsupported`] if this build has no such format (CoAP 4.06).
    pub fn new(cf: u16, base: &Path, out: &'b mut [u8]) -> Result<Self, IoError> {
        Ok(Format::from_content_format(cf)
            .ok_or(IoError::Unsupported)?
            .encoder(*base, out))
    }
}

impl Encoder for AnyEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        match self {
            #[cfg(feature = "plaintext")]
            AnyEncoder::Text(x) => x.entry(e),
            #[cfg(feature = "opaque")]
            AnyEncoder::Opaque(x) => x.entry(e),
            #[cfg(feature = "cbor")]
            AnyEncoder::Cbor(x) => x.entry(e),
            #[cfg(feature = "tlv")]
            AnyEncoder::Tlv(x) => x.entry(e),
            #[cfg(feature = "senml-json")]
            AnyEncoder::SenmlJson(x) => x.entry(e),
            #[cfg(feature = "senml-cbor")]
            AnyEncoder::SenmlCbor(x) => x.entry(e),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor"
            )))]
            AnyEncoder::Never(n, _) => match *n {},
        }
    }

    fn finish(self) -> Result<usize, IoError> {
        match self {
            #[cfg(feature = "plaintext")]
            AnyEncoder::Text(x) => x.finish(),
            #[cfg(feature = "opaque")]
            AnyEncoder::Opaque(x) => x.finish(),
            #[cfg(feature = "cbor")]
            AnyEncoder::Cbor(x) => x.finish(),
            #[cfg(feature = "tlv")]
            AnyEncoder::Tlv(x) => x.finish(),
            #[cfg(feature = "senml-json")]
            AnyEncoder::SenmlJson(x) => x.finish(),
            #[cfg(feature = "senml-cbor")]
            AnyEncoder::SenmlCbor(x) => x.finish(),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor"
            )))]
            AnyEncoder::Never(n, _) => match n {},
        }
    }
}

/// Any decoder, chosen at run time.
pub enum AnyDecoder<'a> {
    #[cfg(feature = "plaintext")]
    Text(TextDecoder<'a>),
    #[cfg(feature = "opaque")]
    Opaque(OpaqueDecoder<'a>),
    #[cfg(feature = "cbor")]
    Cbor(PlainCborDecoder<'a>),
    #[cfg(feature = "tlv")]
    Tlv(TlvDecoder<'a>),
    #[cfg(feature = "senml-json")]
    SenmlJson(SenmlJsonDecoder<'a>),
    #[cfg(feature = "senml-cbor")]
    SenmlCbor(SenmlCborDecoder<'a>),
    /// Keeps the lifetime used in a build without any format; never constructed.
    #[cfg(not(any(
        feature = "plaintext",
        feature = "opaque",
        feature = "cbor",
        feature = "tlv",
        feature = "senml-json",
        feature = "senml-cbor"
    )))]
    Never(
        core::convert::Infallible,
        core::marker::PhantomData<&'a [u8]>,
    ),
}

impl<'a> AnyDecoder<'a> {
    /// The decoder of Content-Format `cf` for a request to `base`;
    /// [`IoError::Unsupported`] if this build has no such format (CoAP 4.15).
    pub fn new(
        cf: u16,
        base: &Path,
        data: &'a [u8],
        scratch: &'a mut [u8],
    ) -> Result<Self, IoError> {
        Ok(Format::from_content_format(cf)
            .ok_or(IoError::Unsupported)?
            .decoder(*base, data, scratch))
    }
}

impl<'a> Decoder<'a> for AnyDecoder<'a> {
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        match self {
            #[cfg(feature = "plaintext")]
            AnyDecoder::Text(x) => x.next_entry(expected),
            #[cfg(feature = "opaque")]
            AnyDecoder::Opaque(x) => x.next_entry(expected),
            #[cfg(feature = "cbor")]
            AnyDecoder::Cbor(x) => x.next_entry(expected),
            #[cfg(feature = "tlv")]
            AnyDecoder::Tlv(x) => x.next_entry(expected),
            #[cfg(feature = "senml-json")]
            AnyDecoder::SenmlJson(x) => x.next_entry(expected),
            #[cfg(feature = "senml-cbor")]
            AnyDecoder::SenmlCbor(x) => x.next_entry(expected),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor"
            )))]
            AnyDecoder::Never(n, _) => match *n {},
        }
    }
}

#[cfg(all(
    test,
    all(
        feature = "plaintext",
        feature = "opaque",
        feature = "cbor",
        feature = "tlv",
        feature = "senml-json",
        feature = "senml-cbor"
    )
))]
mod tests {
    use super::*;
    use crate::io::value::Value;

    #[test]
    fn content_formats() {
        assert_eq!(Format::from_content_format(TEXT), Some(Format::Text));
        assert_eq!(Format::from_content_format(LEGACY_TLV), Some(Format::Tlv));
        assert_eq!(
            Format::from_content_format(SENML_CBOR),
            Some(Format::SenmlCbor)
        );
        assert_eq!(Format::from_content_format(LINK_FORMAT), None);
        assert_eq!(Format::from_content_format(LWM2M_CBOR), None);
        assert_eq!(Format::from_content_format(9999), None);
        assert!(can_encode(PREFERRED) && can_encode(TLV) && !can_encode(LINK_FORMAT));
        let mut out = [0u8; 8];
        assert!(AnyEncoder::new(TLV, &Path::new(&[3]), &mut out).is_ok());
        assert!(matches!(
            AnyEncoder::new(LWM2M_CBOR, &Path::new(&[3]), &mut out),
            Err(IoError::Unsupported)
        ));
        assert!(matches!(
            AnyDecoder::new(7, &Path::new(&[3]), b"", &mut []),
            Err(IoError::Unsupported)
        ));
        for f in [
            Format::Text,
            Format::Opaque,
            Format::Cbor,
            Format::Tlv,
            Format::SenmlJson,
            Format::SenmlCbor,
        ] {
            assert_eq!(f.content_format() == TEXT, f == Format::Text);
        }
    }

    /// Every format through the run-time enums, for every value type it can carry.
    #[test]
    fn round_trip_via_any() {
        let p = Path::new(&[3, 0, 5]);
        let vals = [
            Value::Bytes(b"\x00\x01\x02"),
            Value::String("hello"),
            Value::Int(-123_456),
            Value::Uint(u64::MAX),
            Value::Double(2.25),
            Value::Bool(true),
            Value::Objlnk { oid: 3, iid: 0 },
            Value::Time(1_700_000_000),
        ];
        for f in [
            Format::Text,
            Format::Opaque,
            Format::Cbor,
            Format::Tlv,
            Format::SenmlJson,
            Format::SenmlCbor,
        ] {
            for v in vals {
                if f == Format::Opaque && !matches!(v, Value::Bytes(_)) {
                    continue;
                }
                let mut out = [0u8; 128];
                let mut e = f.encoder(p, &mut out);
                e.entry(&Entry::new(p, v)).unwrap();
                let n = e.finish().unwrap();
                let mut scratch = [0u8; 64];
                let t = v.data_type();
                let mut d = f.decoder(p, &out[..n], &mut scratch);
                let got = d.next_entry(&|_| Some(t)).unwrap().unwrap();
                assert_eq!(got.path, p, "{f:?}");
                assert_eq!(got.value, v, "{f:?}");
                assert_eq!(d.next_entry(&|_| Some(t)), Ok(None), "{f:?}");
            }
        }
    }
}
