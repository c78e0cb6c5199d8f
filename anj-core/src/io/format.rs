//! CoAP Content-Format numbers of the LwM2M payload formats (LwM2M TS Core §7.4, the IANA
//! CoAP Content-Formats registry) and run-time selection of an encoder or decoder without
//! allocation: [`AnyEncoder`] and [`AnyDecoder`] are plain enums over the concrete types.

#[cfg(feature = "cbor")]
use super::cbor::{PlainCborDecoder, PlainCborEncoder};
#[cfg(feature = "lwm2m-cbor")]
use super::lwm2m_cbor::{Lwm2mCborDecoder, Lwm2mCborEncoder};
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
use super::value::{CutValue, Decoder, Encoder, Entry, IoError, Path, SliceWriter, TypeOf};

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

/// The format of a Read, Observe or Read-Composite response (and so of the notifications)
/// when the request has no Accept option: LwM2M CBOR when built with it, else SenML CBOR,
/// whatever the target, as in Anjay Lite 3.0.0. The build requires one of the two.
#[cfg(feature = "lwm2m-cbor")]
pub const PREFERRED: u16 = LWM2M_CBOR;
#[cfg(not(feature = "lwm2m-cbor"))]
pub const PREFERRED: u16 = SENML_CBOR;

/// Whether this build can produce payloads of Content-Format `cf` (and read them): TLV
/// only with `tlv-encoder` (`ANJ_WITH_TLV_ENCODER`), as Anjay Lite decodes TLV but never
/// answers in it (a TLV Accept is 4.06 there).
pub fn can_encode(cf: u16) -> bool {
    #[cfg(all(feature = "tlv", not(feature = "tlv-encoder")))]
    if matches!(cf, TLV | LEGACY_TLV) {
        return false;
    }
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
    #[cfg(feature = "lwm2m-cbor")]
    Lwm2mCbor,
}

impl Format {
    /// The format for a Content-Format / Accept number, if it is enabled in this build
    /// (cargo features `plaintext`, `opaque`, `cbor`, `tlv`, `senml-json`, `senml-cbor`,
    /// `lwm2m-cbor`). The legacy text and TLV numbers map to the same formats, and
    /// SenML-ETCH (RFC 8790: SenML records, the FETCH/iPATCH media types) to SenML, in
    /// requests and responses alike, as Anjay Lite takes 322 for SenML CBOR; the JSON
    /// formats without an implementation give `None`.
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
            SENML_JSON | SENML_ETCH_JSON => Some(Format::SenmlJson),
            #[cfg(feature = "senml-cbor")]
            SENML_CBOR | SENML_ETCH_CBOR => Some(Format::SenmlCbor),
            #[cfg(feature = "lwm2m-cbor")]
            LWM2M_CBOR => Some(Format::Lwm2mCbor),
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
            #[cfg(feature = "lwm2m-cbor")]
            Format::Lwm2mCbor => LWM2M_CBOR,
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

    /// An encoder writing a response for `base` (the request path) into `out`; an entry
    /// that does not fit fails with [`IoError::BufferTooSmall`].
    pub fn encoder(self, base: Path, out: &mut [u8]) -> AnyEncoder<'_> {
        self.with_writer(base, SliceWriter::new(out), None)
    }

    /// Whether the encoder of this format wants the number of records up front
    /// ([`Format::counted_encoder`]): SenML CBOR, whose pack is then a definite-length
    /// array, byte for byte what Anjay Lite writes.
    pub fn counts_records(self) -> bool {
        #[cfg(feature = "senml-cbor")]
        if self == Format::SenmlCbor {
            return true;
        }
        false
    }

    /// [`Format::encoder`] (`skip` `None`) or [`Format::encoder_window`], for a payload of
    /// `count` records when [`Format::counts_records`] (exactly that many must be written;
    /// ignored by the other formats).
    pub fn counted_encoder(
        self,
        base: Path,
        out: &mut [u8],
        skip: Option<usize>,
        count: usize,
    ) -> AnyEncoder<'_> {
        let w = match skip {
            None => SliceWriter::new(out),
            Some(skip) => SliceWriter::window(out, skip),
        };
        self.with_writer(base, w, Some(count))
    }

    /// An encoder producing one window of the response for `base`, for block-wise
    /// transfers (RFC 7959 Block2: block `n` of size `s` is the window `skip = n * s`,
    /// `out.len() = s`). It is fed the same entries as a plain encoder would be; the bytes
    /// of the full encoding before `skip` and from `skip + out.len()` on are produced and
    /// dropped, so `out` receives exactly bytes `[skip, skip + out.len())` of the plain
    /// encoding, and `finish` returns the TOTAL length of the full encoding (the window
    /// holds `min(total, skip + out.len()) - skip` bytes; more blocks follow while
    /// `total > skip + out.len()`; `total` is the Size2 option). No encoder ever patches
    /// or moves bytes it has emitted (LwM2M CBOR uses indefinite-length maps, SenML CBOR
    /// an indefinite array or, from [`Format::counted_encoder`], a definite one whose count
    /// is known before the first byte, TLV fixed-size container headers), so every window
    /// is exact.
    pub fn encoder_window(self, base: Path, out: &mut [u8], skip: usize) -> AnyEncoder<'_> {
        self.with_writer(base, SliceWriter::window(out, skip), None)
    }

    fn with_writer(self, base: Path, w: SliceWriter<'_>, count: Option<usize>) -> AnyEncoder<'_> {
        let _ = count;
        match self {
            #[cfg(feature = "plaintext")]
            Format::Text => AnyEncoder::Text(TextEncoder::with_writer(base, w)),
            #[cfg(feature = "opaque")]
            Format::Opaque => AnyEncoder::Opaque(OpaqueEncoder::with_writer(base, w)),
            #[cfg(feature = "cbor")]
            Format::Cbor => AnyEncoder::Cbor(PlainCborEncoder::with_writer(base, w)),
            #[cfg(feature = "tlv")]
            Format::Tlv => AnyEncoder::Tlv(TlvEncoder::with_writer(base, w)),
            #[cfg(feature = "senml-json")]
            Format::SenmlJson => AnyEncoder::SenmlJson(SenmlJsonEncoder::with_writer(base, w)),
            #[cfg(feature = "senml-cbor")]
            Format::SenmlCbor => AnyEncoder::SenmlCbor(match count {
                Some(n) => SenmlCborEncoder::with_count(base, n, w),
                None => SenmlCborEncoder::with_writer(base, w),
            }),
            #[cfg(feature = "lwm2m-cbor")]
            Format::Lwm2mCbor => AnyEncoder::Lwm2mCbor(Lwm2mCborEncoder::with_writer(base, w)),
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
            #[cfg(feature = "lwm2m-cbor")]
            Format::Lwm2mCbor => AnyDecoder::Lwm2mCbor(Lwm2mCborDecoder::new(base, data, scratch)),
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
    #[cfg(feature = "lwm2m-cbor")]
    Lwm2mCbor(Lwm2mCborEncoder<'b>),
    /// Keeps the lifetime used in a build without any format; never constructed.
    #[cfg(not(any(
        feature = "plaintext",
        feature = "opaque",
        feature = "cbor",
        feature = "tlv",
        feature = "senml-json",
        feature = "senml-cbor",
        feature = "lwm2m-cbor"
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

    /// The windowed encoder of Content-Format `cf` (see [`Format::encoder_window`]):
    /// `out` receives bytes `[skip, skip + out.len())` of the full encoding and `finish`
    /// returns its total length.
    pub fn new_window(
        cf: u16,
        base: &Path,
        out: &'b mut [u8],
        skip: usize,
    ) -> Result<Self, IoError> {
        Ok(Format::from_content_format(cf)
            .ok_or(IoError::Unsupported)?
            .encoder_window(*base, out, skip))
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
            #[cfg(feature = "lwm2m-cbor")]
            AnyEncoder::Lwm2mCbor(x) => x.entry(e),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor",
                feature = "lwm2m-cbor"
            )))]
            AnyEncoder::Never(n, _) => match *n {},
        }
    }

    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &Path,
        ty: super::value::DataType,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        match self {
            #[cfg(feature = "plaintext")]
            AnyEncoder::Text(x) => x.streamed(path, ty, src),
            #[cfg(feature = "opaque")]
            AnyEncoder::Opaque(x) => x.streamed(path, ty, src),
            #[cfg(feature = "cbor")]
            AnyEncoder::Cbor(x) => x.streamed(path, ty, src),
            #[cfg(feature = "tlv")]
            AnyEncoder::Tlv(x) => x.streamed(path, ty, src),
            #[cfg(feature = "senml-json")]
            AnyEncoder::SenmlJson(x) => x.streamed(path, ty, src),
            #[cfg(feature = "senml-cbor")]
            AnyEncoder::SenmlCbor(x) => x.streamed(path, ty, src),
            #[cfg(feature = "lwm2m-cbor")]
            AnyEncoder::Lwm2mCbor(x) => x.streamed(path, ty, src),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor",
                feature = "lwm2m-cbor"
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
            #[cfg(feature = "lwm2m-cbor")]
            AnyEncoder::Lwm2mCbor(x) => x.finish(),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor",
                feature = "lwm2m-cbor"
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
    #[cfg(feature = "lwm2m-cbor")]
    Lwm2mCbor(Lwm2mCborDecoder<'a>),
    /// Keeps the lifetime used in a build without any format; never constructed.
    #[cfg(not(any(
        feature = "plaintext",
        feature = "opaque",
        feature = "cbor",
        feature = "tlv",
        feature = "senml-json",
        feature = "senml-cbor",
        feature = "lwm2m-cbor"
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
            #[cfg(feature = "lwm2m-cbor")]
            AnyDecoder::Lwm2mCbor(x) => x.next_entry(expected),
            #[cfg(not(any(
                feature = "plaintext",
                feature = "opaque",
                feature = "cbor",
                feature = "tlv",
                feature = "senml-json",
                feature = "senml-cbor",
                feature = "lwm2m-cbor"
            )))]
            AnyDecoder::Never(n, _) => match *n {},
        }
    }
}

/// Where a resumable decoder stands between two pieces of a payload (RFC 7959 Block1: a
/// request body decoded block by block without being stored whole). Small and `Copy`:
/// the open containers (TLV), the base name, base time and array position (SenML CBOR,
/// SenML JSON), the open maps with their path prefixes (LwM2M CBOR), or the start of the
/// one value (CBOR, carried whole until the last piece).
// The variants do not depend on the features, so that the client's size does not either
// (build.rs computes it for C).
#[derive(Clone, Copy)]
pub enum DecState {
    Tlv(super::tlv::TlvState),
    SenmlCbor(super::senml_cbor::SenmlCborState),
    SenmlJson(super::senml_json::SenmlJsonState),
    Lwm2mCbor(super::lwm2m_cbor::Lwm2mCborState),
    Cbor(super::cbor::PlainCborState),
}

impl Format {
    /// The state at the start of a payload sent to `base`, if this format's decoder can
    /// be resumed piece by piece.
    pub fn initial_state(self, base: Path) -> Option<DecState> {
        match self {
            #[cfg(feature = "tlv")]
            Format::Tlv if !base.is_empty() => {
                Some(DecState::Tlv(super::tlv::TlvDecoder::initial(base)))
            }
            #[cfg(feature = "senml-cbor")]
            Format::SenmlCbor => Some(DecState::SenmlCbor(
                super::senml_cbor::SenmlCborDecoder::initial(base),
            )),
            #[cfg(feature = "senml-json")]
            Format::SenmlJson => Some(DecState::SenmlJson(
                super::senml_json::SenmlJsonDecoder::initial(base),
            )),
            #[cfg(feature = "lwm2m-cbor")]
            Format::Lwm2mCbor => Some(DecState::Lwm2mCbor(
                super::lwm2m_cbor::Lwm2mCborDecoder::initial(base),
            )),
            #[cfg(feature = "cbor")]
            Format::Cbor => Some(DecState::Cbor(super::cbor::PlainCborDecoder::initial(base))),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = base;
                None
            }
        }
    }
}

impl<'a> AnyDecoder<'a> {
    /// A decoder of one piece of a payload, resuming from `state` (see
    /// [`Format::initial_state`], [`AnyDecoder::checkpoint`]). Unless `last`, an entry cut
    /// by the end of `data` gives [`IoError::Truncated`]; the caller then keeps the bytes
    /// from the checkpoint on and puts them before the next piece.
    /// `None` for a state of a format this build does not have (never made).
    pub fn resume(
        state: DecState,
        data: &'a [u8],
        scratch: &'a mut [u8],
        last: bool,
    ) -> Option<Self> {
        match state {
            DecState::Tlv(s) => {
                let _ = (s, &scratch, data, last);
                #[cfg(feature = "tlv")]
                return Some(AnyDecoder::Tlv(TlvDecoder::resume(s, data, last)));
                #[cfg(not(feature = "tlv"))]
                None
            }
            DecState::SenmlCbor(s) => {
                let _ = (s, &scratch, data, last);
                #[cfg(feature = "senml-cbor")]
                return Some(AnyDecoder::SenmlCbor(SenmlCborDecoder::resume(
                    s, data, scratch, last,
                )));
                #[cfg(not(feature = "senml-cbor"))]
                None
            }
            DecState::SenmlJson(s) => {
                let _ = (s, &scratch, data, last);
                #[cfg(feature = "senml-json")]
                return Some(AnyDecoder::SenmlJson(SenmlJsonDecoder::resume(
                    s, data, scratch, last,
                )));
                #[cfg(not(feature = "senml-json"))]
                None
            }
            DecState::Lwm2mCbor(s) => {
                let _ = (s, &scratch, data, last);
                #[cfg(feature = "lwm2m-cbor")]
                return Some(AnyDecoder::Lwm2mCbor(Lwm2mCborDecoder::resume(
                    s, data, scratch, last,
                )));
                #[cfg(not(feature = "lwm2m-cbor"))]
                None
            }
            DecState::Cbor(s) => {
                let _ = (s, &scratch, data, last);
                #[cfg(feature = "cbor")]
                return Some(AnyDecoder::Cbor(PlainCborDecoder::resume(
                    s, data, scratch, last,
                )));
                #[cfg(not(feature = "cbor"))]
                None
            }
        }
    }

    /// After [`IoError::Truncated`]: the String or Opaque value whose content the end of
    /// the piece cut, when this format can hand it over in chunks, and the state to
    /// resume from after its content (the caller passes the content on as the pieces
    /// come, then resumes at the first byte after it).
    pub fn cut_value(&self) -> Option<(CutValue, DecState)> {
        match self {
            #[cfg(feature = "tlv")]
            AnyDecoder::Tlv(d) => d.cut_value().map(|(c, s)| (c, DecState::Tlv(s))),
            #[cfg(feature = "senml-cbor")]
            AnyDecoder::SenmlCbor(d) => d.cut_value().map(|(c, s)| (c, DecState::SenmlCbor(s))),
            #[cfg(feature = "senml-json")]
            AnyDecoder::SenmlJson(d) => d.cut_value().map(|(c, s)| (c, DecState::SenmlJson(s))),
            #[cfg(feature = "lwm2m-cbor")]
            AnyDecoder::Lwm2mCbor(d) => d.cut_value().map(|(c, s)| (c, DecState::Lwm2mCbor(s))),
            #[cfg(feature = "cbor")]
            AnyDecoder::Cbor(d) => d.cut_value().map(|(c, s)| (c, DecState::Cbor(s))),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// For a resumable decoder: the offset in its input of the first byte not consumed
    /// (after the last entry returned, `Ok(None)`, or at an [`IoError::Truncated`]) and
    /// the state to resume from there.
    pub fn checkpoint(&self) -> Option<(usize, DecState)> {
        match self {
            #[cfg(feature = "tlv")]
            AnyDecoder::Tlv(d) => {
                let (pos, s) = d.checkpoint();
                Some((pos, DecState::Tlv(s)))
            }
            #[cfg(feature = "senml-cbor")]
            AnyDecoder::SenmlCbor(d) => {
                let (pos, s) = d.checkpoint();
                Some((pos, DecState::SenmlCbor(s)))
            }
            #[cfg(feature = "senml-json")]
            AnyDecoder::SenmlJson(d) => {
                let (pos, s) = d.checkpoint();
                Some((pos, DecState::SenmlJson(s)))
            }
            #[cfg(feature = "lwm2m-cbor")]
            AnyDecoder::Lwm2mCbor(d) => {
                let (pos, s) = d.checkpoint();
                Some((pos, DecState::Lwm2mCbor(s)))
            }
            #[cfg(feature = "cbor")]
            AnyDecoder::Cbor(d) => {
                let (pos, s) = d.checkpoint();
                Some((pos, DecState::Cbor(s)))
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// Test support: checks that decoding `data` piece by piece, resuming from each
/// checkpoint with the unconsumed tail carried over, gives the same entries as decoding it
/// whole, for every split into 2 pieces and (bounded for long payloads) 3 pieces.
#[cfg(test)]
#[cfg_attr(
    not(any(
        feature = "tlv",
        feature = "cbor",
        feature = "senml-json",
        feature = "lwm2m-cbor"
    )),
    allow(dead_code)
)]
pub fn check_resumable(fmt: Format, base: Path, data: &[u8], t: TypeOf<'_>) {
    use std::format;
    use std::string::String;
    use std::vec::Vec;
    let Some(init) = fmt.initial_state(base) else {
        return;
    };
    let whole = {
        let mut scratch = std::vec![0u8; 8192];
        let mut dec = fmt.decoder(base, data, &mut scratch);
        let mut out: Vec<String> = Vec::new();
        loop {
            match dec.next_entry(t) {
                Ok(Some(e)) => out.push(format!("{e:?}")),
                Ok(None) => break Ok(out),
                Err(e) => break Err(e),
            }
        }
    };
    let pieces = |cuts: &[usize]| -> Result<Vec<String>, IoError> {
        let mut bounds = std::vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(data.len());
        let mut out = Vec::new();
        let mut carry: Vec<u8> = Vec::new();
        let mut state = init;
        for k in 0..bounds.len() - 1 {
            let last = k == bounds.len() - 2;
            let mut input = carry.clone();
            input.extend_from_slice(&data[bounds[k]..bounds[k + 1]]);
            let mut scratch = std::vec![0u8; 8192];
            let mut dec = AnyDecoder::resume(state, &input, &mut scratch, last).unwrap();
            loop {
                match dec.next_entry(t) {
                    Ok(Some(e)) => out.push(format!("{e:?}")),
                    Ok(None) => break,
                    Err(IoError::Truncated) if !last => break,
                    Err(e) => return Err(e),
                }
            }
            let (used, st) = dec.checkpoint().expect("a resumable decoder");
            assert!(!last || used == input.len(), "{cuts:?}");
            carry = input[used..].to_vec();
            state = st;
        }
        Ok(out)
    };
    let check = |cuts: &[usize]| match (&whole, pieces(cuts)) {
        (Ok(a), Ok(b)) => assert_eq!(*a, b, "{fmt:?} split at {cuts:?} of {data:x?}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{fmt:?} split at {cuts:?} of {data:x?}: {a:?} vs {b:?}"),
    };
    let n = data.len();
    for i in 0..=n {
        check(&[i]);
        // Every pair for short payloads; some nearby pairs for long ones.
        let far = match n {
            0..=160 => n,
            _ if i % 16 == 0 => (i + 24).min(n),
            _ => i,
        };
        for j in i..=far {
            check(&[i, j]);
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
        feature = "senml-cbor",
        feature = "lwm2m-cbor"
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
        assert_eq!(
            Format::from_content_format(LWM2M_CBOR),
            Some(Format::Lwm2mCbor)
        );
        assert_eq!(Format::from_content_format(9999), None);
        assert!(can_encode(PREFERRED) && !can_encode(LINK_FORMAT));
        // TLV is always decoded, written only with `tlv-encoder` (Anjay Lite: never).
        assert_eq!(can_encode(TLV), cfg!(feature = "tlv-encoder"));
        assert_eq!(can_encode(LEGACY_TLV), cfg!(feature = "tlv-encoder"));
        // SenML-ETCH is SenML (RFC 8790), as Anjay Lite takes 322 for SenML CBOR.
        assert_eq!(
            Format::from_content_format(SENML_ETCH_CBOR),
            Some(Format::SenmlCbor)
        );
        assert_eq!(
            Format::from_content_format(SENML_ETCH_JSON),
            Some(Format::SenmlJson)
        );
        assert!(can_encode(SENML_ETCH_CBOR));
        let mut out = [0u8; 8];
        assert!(AnyEncoder::new(TLV, &Path::new(&[3]), &mut out).is_ok());
        assert!(matches!(
            AnyEncoder::new(LWM2M_JSON, &Path::new(&[3]), &mut out),
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
            Format::Lwm2mCbor,
        ] {
            assert_eq!(Format::from_content_format(f.content_format()), Some(f));
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
            Format::Lwm2mCbor,
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

    const ALL: [Format; 7] = [
        Format::Text,
        Format::Opaque,
        Format::Cbor,
        Format::Tlv,
        Format::SenmlJson,
        Format::SenmlCbor,
        Format::Lwm2mCbor,
    ];

    /// A response of 1.5-3 KB for the hierarchical formats (every value type, multiple
    /// resources, long strings that need 16-bit TLV lengths, timestamps), one large value
    /// for the single-value ones.
    fn big_response(f: Format) -> (Path, std::vec::Vec<Entry<'static>>) {
        static LONG: [u8; 700] = [b'x'; 700];
        let long = core::str::from_utf8(&LONG).unwrap();
        if f.is_single_value() {
            let p = Path::new(&[3, 0, 0]);
            let v = if f == Format::Opaque {
                Value::Bytes(&LONG)
            } else {
                Value::String(long)
            };
            return (p, vec![Entry::new(p, v)]);
        }
        let mut out = std::vec::Vec::new();
        for iid in [0u16, 1, 300] {
            let e = |rid: u16, v| Entry::new(Path::new(&[3, iid, rid]), v);
            out.push(e(0, Value::String("Open Mobile Alliance")));
            out.push(e(1, Value::String(&long[..usize::from(iid % 290) + 250])));
            out.push(e(2, Value::Bytes(b"\x00\x01\xfe\xff")));
            out.push(e(3, Value::Int(-123_456_789)));
            out.push(e(4, Value::Uint(u64::MAX)));
            for riid in 0..5u16 {
                out.push(Entry::new(
                    Path::new(&[3, iid, 6, riid]),
                    Value::Double(f64::from(riid) / 3.0),
                ));
            }
            out.push(e(7, Value::Bool(iid == 1)));
            out.push(e(8, Value::Objlnk { oid: 3, iid }));
            let mut t = e(9, Value::Time(1_700_000_000));
            t.timestamp = Some(1.7e9 + f64::from(iid));
            out.push(t);
            out.push(e(300, Value::Int(7)));
        }
        (Path::new(&[3]), out)
    }

    fn encode(
        f: Format,
        base: Path,
        entries: &[Entry<'_>],
        out: &mut [u8],
        skip: Option<usize>,
    ) -> usize {
        let mut enc = match skip {
            None => f.encoder(base, out),
            Some(s) => f.encoder_window(base, out, s),
        };
        for e in entries {
            enc.entry(e).unwrap();
        }
        enc.finish().unwrap()
    }

    /// RFC 7959 Block2 by re-encoding: for every format and every block size 16..=1024,
    /// the windows put end to end are the plain encoding, byte for byte, and every
    /// window's `finish` reports the full length.
    #[test]
    fn windows_reproduce_the_plain_encoding() {
        for f in ALL {
            let (base, entries) = big_response(f);
            let mut plain = vec![0u8; 8192];
            let total = encode(f, base, &entries, &mut plain, None);
            plain.truncate(total);
            assert!(total >= 700, "{f:?} {total}");
            for size in 16..=1024usize {
                let mut joined = std::vec::Vec::with_capacity(total);
                let mut block = vec![0u8; size];
                let mut skip = 0;
                loop {
                    block.fill(0xAA);
                    let n = encode(f, base, &entries, &mut block, Some(skip));
                    assert_eq!(n, total, "{f:?} size {size} skip {skip}");
                    let got = (n - skip).min(size);
                    joined.extend_from_slice(&block[..got]);
                    // Nothing past the end of the encoding is touched.
                    assert!(
                        block[got..].iter().all(|&b| b == 0xAA),
                        "{f:?} {size} {skip}"
                    );
                    skip += size;
                    if skip >= n {
                        break;
                    }
                }
                assert_eq!(joined, plain, "{f:?} size {size}");
            }
            // A window past the end receives nothing but still learns the length.
            let mut block = [0xAAu8; 16];
            assert_eq!(
                encode(f, base, &entries, &mut block, Some(total + 5)),
                total
            );
            assert_eq!(block, [0xAA; 16]);
            // A zero-size window only measures.
            assert_eq!(encode(f, base, &entries, &mut [], Some(0)), total);
        }
    }

    /// `AnyEncoder::new_window` is the same machinery, by content format number; a plain
    /// encoder into a too small buffer still fails instead of truncating.
    #[test]
    fn new_window_by_content_format() {
        let (base, entries) = big_response(Format::SenmlCbor);
        let mut plain = vec![0u8; 8192];
        let total = encode(Format::SenmlCbor, base, &entries, &mut plain, None);
        let mut block = [0u8; 64];
        let mut enc = AnyEncoder::new_window(SENML_CBOR, &base, &mut block, 128).unwrap();
        for e in &entries {
            enc.entry(e).unwrap();
        }
        assert_eq!(enc.finish(), Ok(total));
        assert_eq!(&block[..], &plain[128..192]);
        assert!(matches!(
            AnyEncoder::new_window(LINK_FORMAT, &base, &mut block, 0),
            Err(IoError::Unsupported)
        ));
        for f in ALL {
            let (base, entries) = big_response(f);
            let mut small = [0u8; 100];
            let mut enc = f.encoder(base, &mut small);
            let r = entries.iter().try_for_each(|e| enc.entry(e));
            let r = r.and_then(|_| enc.finish().map(|_| ()));
            assert_eq!(r, Err(IoError::BufferTooSmall), "{f:?}");
        }
    }

    /// A source serving `data` at most `step` bytes a call, checking that every pass
    /// reads with sequential offsets (a pass may start anywhere: a window starts at its
    /// first byte); `lazy_end` reports the end only on an empty read after the last byte
    /// (as a `pread`-based callback does). Counts passes.
    #[cfg(feature = "external-data")]
    fn source<'a>(
        data: &'a [u8],
        step: usize,
        lazy_end: bool,
        passes: &'a core::cell::Cell<usize>,
    ) -> impl FnMut(&mut [u8], usize) -> Result<(usize, bool), IoError> + 'a {
        let mut next = 0usize;
        let mut started = false;
        move |buf, off| {
            if off == 0 || !started || off != next {
                passes.set(passes.get() + 1);
                started = true;
                next = off;
            }
            let n = buf.len().min(step).min(data.len() - off);
            buf[..n].copy_from_slice(&data[off..off + n]);
            next += n;
            let end = off + n == data.len();
            Ok((n, if lazy_end { n == 0 } else { end }))
        }
    }

    /// Every format: an entry whose value is streamed encodes exactly as the same value
    /// given whole, alone and between other entries, through plain writers and through
    /// windows of every size 1..=160 (and some larger), with sources of various chunk
    /// sizes (base64 groups and JSON escapes across chunk boundaries).
    #[cfg(feature = "external-data")]
    #[test]
    fn streamed_values_encode_like_whole_ones() {
        use crate::io::value::DataType;
        let bin: std::vec::Vec<u8> = (0..700u32).map(|i| (i * 37 + i / 7) as u8).collect();
        let text = "quote \" backslash \\ tab\t nl\n ctl\u{1} zażółć €𝄞 ".repeat(12);
        let cases: [(DataType, &[u8]); 7] = [
            (DataType::Bytes, b""),
            (DataType::Bytes, b"\x00"),
            (DataType::Bytes, b"\xff\x01"),
            (DataType::Bytes, &bin[..3]),
            (DataType::Bytes, &bin[..301]),
            (DataType::Bytes, &bin),
            (DataType::String, text.as_bytes()),
        ];
        let p = Path::new(&[3, 0, 5, 1]);
        for f in ALL {
            for (ty, data) in cases {
                if f == Format::Opaque && ty == DataType::String {
                    continue;
                }
                let whole = match ty {
                    DataType::String => Value::String(core::str::from_utf8(data).unwrap()),
                    _ => Value::Bytes(data),
                };
                let (base, before, after) = if f.is_single_value() {
                    (p, None, None)
                } else {
                    (
                        Path::new(&[3]),
                        Some(Entry::new(Path::new(&[3, 0, 1]), Value::Int(-5))),
                        Some(Entry::new(Path::new(&[3, 0, 7]), Value::String("end"))),
                    )
                };
                let run = |out: &mut [u8], skip: Option<usize>, step: usize, lazy: bool| {
                    let passes = core::cell::Cell::new(0);
                    let mut enc = match skip {
                        None => f.encoder(base, out),
                        Some(s) => f.encoder_window(base, out, s),
                    };
                    before.iter().for_each(|e| enc.entry(e).unwrap());
                    let mut src = source(data, step, lazy, &passes);
                    enc.streamed(&p, ty, &mut src).unwrap();
                    after.iter().for_each(|e| enc.entry(e).unwrap());
                    let n = enc.finish().unwrap();
                    assert!(passes.get() <= 2, "{f:?}: {} passes", passes.get());
                    n
                };
                let mut expected = vec![0u8; 4096];
                let total = {
                    let mut enc = f.encoder(base, &mut expected);
                    before.iter().for_each(|e| enc.entry(e).unwrap());
                    enc.entry(&Entry::new(p, whole)).unwrap();
                    after.iter().for_each(|e| enc.entry(e).unwrap());
                    enc.finish().unwrap()
                };
                expected.truncate(total);
                for (step, lazy) in [
                    (1, false),
                    (2, true),
                    (5, false),
                    (128, true),
                    (1000, false),
                ] {
                    let mut out = vec![0u8; 4096];
                    let n = run(&mut out, None, step, lazy);
                    assert_eq!(
                        &out[..n],
                        &expected[..],
                        "{f:?} {ty:?} {} step {step}",
                        data.len()
                    );
                }
                // A plain writer that is too small fails as with the whole value.
                if total > 1 {
                    let passes = core::cell::Cell::new(0);
                    let mut small = vec![0u8; total - 1];
                    let mut enc = f.encoder(base, &mut small);
                    let mut src = source(data, 7, false, &passes);
                    let r = before
                        .iter()
                        .try_for_each(|e| enc.entry(e))
                        .and_then(|_| enc.streamed(&p, ty, &mut src))
                        .and_then(|_| after.iter().try_for_each(|e| enc.entry(e)))
                        .and_then(|_| enc.finish().map(|_| ()));
                    assert_eq!(r, Err(IoError::BufferTooSmall), "{f:?} {ty:?}");
                }
                let sizes = (1..=160usize).chain([255, 256, 512, 1000, 1024]);
                for size in sizes {
                    let mut joined = std::vec::Vec::new();
                    let mut block = vec![0u8; size];
                    let mut skip = 0;
                    while skip < total {
                        block.fill(0xAA);
                        let n = run(&mut block, Some(skip), 64, skip % 2 == 0);
                        assert_eq!(n, total, "{f:?} size {size} skip {skip}");
                        let got = (n - skip).min(size);
                        assert!(block[got..].iter().all(|&b| b == 0xAA));
                        joined.extend_from_slice(&block[..got]);
                        skip += size;
                    }
                    assert_eq!(joined, expected, "{f:?} {ty:?} {} size {size}", data.len());
                }
                // Measuring only (the count pass of a block-wise response).
                assert_eq!(run(&mut [], Some(0), 64, false), total);
            }
        }
    }

    /// A failing source fails the entry and leaves nothing of it; a source whose length
    /// changes between the measuring pass and the writing pass is an error.
    #[cfg(feature = "external-data")]
    #[test]
    fn streamed_source_errors() {
        use crate::io::value::DataType;
        let p = Path::new(&[3, 0, 5]);
        for f in ALL {
            let mut out = [0u8; 256];
            let mut enc = f.encoder(p, &mut out);
            let mut bad = |_: &mut [u8], _: usize| Err(IoError::Logic);
            assert_eq!(
                enc.streamed(&p, DataType::Bytes, &mut bad),
                Err(IoError::Logic)
            );
            let mut fresh = [0u8; 256];
            let mut plain = f.encoder(p, &mut fresh);
            let v = Entry::new(p, Value::Bytes(b"abc"));
            enc.entry(&v).unwrap();
            plain.entry(&v).unwrap();
            let (n, m) = (enc.finish().unwrap(), plain.finish().unwrap());
            assert_eq!(out[..n], fresh[..m], "{f:?}");
            // Not a streamable type.
            let mut out = [0u8; 64];
            let mut enc = f.encoder(p, &mut out);
            let mut src = |_: &mut [u8], _: usize| Ok((0, true));
            assert_eq!(
                enc.streamed(&p, DataType::Int, &mut src),
                Err(IoError::Unsupported),
                "{f:?}"
            );
        }
        // Longer on the second pass than measured on the first: cut at the measured
        // length (the one in the head; the window reads no further). Shorter: an error.
        for f in [
            Format::Tlv,
            Format::Cbor,
            Format::SenmlCbor,
            Format::Lwm2mCbor,
        ] {
            for grow in [true, false] {
                let mut pass = 0;
                let mut changing = |b: &mut [u8], off: usize| {
                    if off == 0 {
                        pass += 1;
                    }
                    let len = if grow { 10 + pass } else { 12 - pass };
                    let n = b.len().min(len - off);
                    b[..n].fill(b'x');
                    Ok((n, off + n == len))
                };
                let mut out = [0u8; 64];
                let mut enc = f.encoder(p, &mut out);
                let r = enc.streamed(&p, DataType::Bytes, &mut changing);
                if !grow {
                    assert_eq!(r, Err(IoError::Logic), "{f:?}");
                    continue;
                }
                r.unwrap();
                let n = enc.finish().unwrap();
                let mut fresh = [0u8; 64];
                let mut plain = f.encoder(p, &mut fresh);
                plain
                    .entry(&Entry::new(p, Value::Bytes(&[b'x'; 11])))
                    .unwrap();
                let m = plain.finish().unwrap();
                assert_eq!(out[..n], fresh[..m], "{f:?}");
            }
        }
    }
}
