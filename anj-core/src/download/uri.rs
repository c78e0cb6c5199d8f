//! The `coap://` / `coaps://` URIs the downloader accepts, and their mapping onto
//! request options (RFC 7252 §6.4).
//!
//! Nothing is copied: a parsed URI is a set of byte ranges into the caller's string,
//! which the C API requires to stay valid for the whole download. Byte-wise on purpose,
//! like `client::register::split_uri`: no `str` slicing, so no panic paths.

use crate::coap::{opt, MessageWriter, WriteError};

/// The transport a URI asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Coap,
    Coaps,
}

impl Scheme {
    /// The scheme name as `link::Link::connect` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Coap => "coap",
            Scheme::Coaps => "coaps",
        }
    }

    fn default_port(self) -> &'static str {
        match self {
            Scheme::Coap => "5683",
            Scheme::Coaps => "5684",
        }
    }
}

/// Why a URI is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    /// Not `coap://` or `coaps://`.
    Scheme,
    /// Empty or malformed host, user information, or a bad port.
    Authority,
    /// A fragment, a control character, or a malformed percent-encoding.
    Syntax,
    /// A path segment or query argument longer than an option may be (255 bytes).
    TooLong,
    /// More path segments than `ANJ_COAP_DOWNLOADER_MAX_PATHS_NUMBER`.
    TooManySegments,
}

/// A byte range `start..end` of the URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    fn of(self, uri: &[u8]) -> &[u8] {
        uri.get(usize::from(self.start)..usize::from(self.end))
            .unwrap_or_default()
    }
}

/// A validated URI, as ranges into the string it was parsed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uri {
    pub scheme: Scheme,
    host: Span,
    /// `None`: the scheme's default port.
    port: Option<Span>,
    /// The path including its leading `/` (empty when there is none).
    path: Span,
    /// The query after `?` (`None` when there is no `?`).
    query: Option<Span>,
}

/// The longest value of a Uri-Path or Uri-Query option (RFC 7252 §5.10).
const MAX_OPTION: usize = 255;

fn is_forbidden(c: u8) -> bool {
    // Controls, space, DEL, and the fragment delimiter (RFC 7252 §6.1: no fragments).
    c <= b' ' || c == 0x7f || c == b'#'
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `raw` into `out`; returns the decoded length. `Err(Syntax)` for a
/// malformed escape, `Err(TooLong)` when the result does not fit.
fn decode(raw: &[u8], out: &mut [u8]) -> Result<usize, UriError> {
    let mut n = 0;
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        let byte = if c == b'%' {
            let hi = raw.get(i + 1).copied().and_then(hex);
            let lo = raw.get(i + 2).copied().and_then(hex);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(UriError::Syntax);
            };
            i += 3;
            (hi << 4) | lo
        } else {
            i += 1;
            c
        };
        *out.get_mut(n).ok_or(UriError::TooLong)? = byte;
        n += 1;
    }
    Ok(n)
}

/// Splits `s` at each `sep`, like `split`, over bytes.
fn pieces(s: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    s.split(move |&c| c == sep)
}

impl Uri {
    /// Parses `coap[s]://host[:port][/path][?query]`. IPv6 literals are bracketed.
    /// A path of `/` alone means no Uri-Path option (RFC 7252 §6.4 step 8); every other
    /// segment, empty ones included, becomes one; so does each `&`-separated query
    /// argument. Both are percent-decoded when the request is built.
    pub fn parse(uri: &[u8], max_segments: usize) -> Result<Uri, UriError> {
        if uri.len() > usize::from(u16::MAX) {
            return Err(UriError::TooLong);
        }
        let (scheme, start) = if uri.starts_with(b"coap://") {
            (Scheme::Coap, 7)
        } else if uri.starts_with(b"coaps://") {
            (Scheme::Coaps, 8)
        } else {
            return Err(UriError::Scheme);
        };
        if uri.iter().any(|&c| is_forbidden(c)) {
            return Err(UriError::Syntax);
        }
        let rest = uri.get(start..).unwrap_or_default();
        let auth_end = start
            + rest
                .iter()
                .position(|&c| c == b'/' || c == b'?')
                .unwrap_or(rest.len());
        let authority = uri.get(start..auth_end).unwrap_or_default();
        if authority.contains(&b'@') || authority.contains(&b'%') {
            return Err(UriError::Authority);
        }
        // (host start, host end, port start); the port runs to `auth_end`.
        let (h0, h1, p0) = if authority.first() == Some(&b'[') {
            let close = start
                + authority
                    .iter()
                    .position(|&c| c == b']')
                    .ok_or(UriError::Authority)?;
            match uri.get(close + 1) {
                _ if close + 1 == auth_end => (start + 1, close, None),
                Some(b':') => (start + 1, close, Some(close + 2)),
                _ => return Err(UriError::Authority),
            }
        } else {
            match authority.iter().position(|&c| c == b':') {
                Some(i) => (start, start + i, Some(start + i + 1)),
                None => (start, auth_end, None),
            }
        };
        let host = uri.get(h0..h1).unwrap_or_default();
        if host.is_empty() || !host.is_ascii() {
            return Err(UriError::Authority);
        }
        let port = match p0 {
            Some(p0) => {
                let digits = uri.get(p0..auth_end).unwrap_or_default();
                let value = digits.iter().try_fold(0u32, |acc, &c| {
                    c.is_ascii_digit()
                        .then(|| acc * 10 + u32::from(c - b'0'))
                        .filter(|&v| v <= 65535)
                });
                if digits.is_empty() || digits.len() > 5 || !matches!(value, Some(1..)) {
                    return Err(UriError::Authority);
                }
                Some(span(p0, auth_end))
            }
            None => None,
        };
        let q = uri
            .get(auth_end..)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b'?')
            .map(|i| auth_end + i);
        let path = span(auth_end, q.unwrap_or(uri.len()));
        let query = q.map(|q| span(q + 1, uri.len()));
        let parsed = Uri {
            scheme,
            host: span(h0, h1),
            port,
            path,
            query,
        };
        // Every option must decode and fit, and the segments must be few enough.
        let mut scratch = [0u8; MAX_OPTION];
        let mut segments = 0;
        for seg in parsed.segments(uri) {
            decode(seg, &mut scratch)?;
            segments += 1;
        }
        if segments > max_segments {
            return Err(UriError::TooManySegments);
        }
        for arg in parsed.query_args(uri) {
            decode(arg, &mut scratch)?;
        }
        Ok(parsed)
    }

    /// The host, as `Link::connect` takes it (brackets of an IPv6 literal removed).
    pub fn host<'u>(&self, uri: &'u [u8]) -> Option<&'u str> {
        core::str::from_utf8(self.host.of(uri)).ok()
    }

    /// The port, or the scheme's default.
    pub fn port<'u>(&self, uri: &'u [u8]) -> Option<&'u str> {
        match self.port {
            Some(p) => core::str::from_utf8(p.of(uri)).ok(),
            None => Some(self.scheme.default_port()),
        }
    }

    fn segments<'u>(&self, uri: &'u [u8]) -> impl Iterator<Item = &'u [u8]> {
        let path = self.path.of(uri);
        // "" and "/" carry no segment; otherwise skip the leading '/'.
        let body = match path {
            [] | [b'/'] => None,
            [b'/', rest @ ..] => Some(rest),
            other => Some(other),
        };
        body.into_iter().flat_map(|b| pieces(b, b'/'))
    }

    fn query_args<'u>(&self, uri: &'u [u8]) -> impl Iterator<Item = &'u [u8]> {
        self.query
            .map(|q| q.of(uri))
            .into_iter()
            .flat_map(|q| pieces(q, b'&'))
    }

    /// Writes the Uri-Path and Uri-Query options of this URI.
    pub fn write_options(&self, uri: &[u8], w: &mut MessageWriter<'_>) -> Result<(), WriteError> {
        let mut scratch = [0u8; MAX_OPTION];
        for seg in self.segments(uri) {
            let n = decode(seg, &mut scratch).map_err(|_| WriteError::BadOptionLength)?;
            w.option(opt::URI_PATH, &scratch[..n])?;
        }
        for arg in self.query_args(uri) {
            let n = decode(arg, &mut scratch).map_err(|_| WriteError::BadOptionLength)?;
            w.option(opt::URI_QUERY, &scratch[..n])?;
        }
        Ok(())
    }
}

fn span(start: usize, end: usize) -> Span {
    // `parse` refused URIs longer than u16::MAX, so both fit.
    Span {
        start: start as u16,
        end: end as u16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coap::{Code, Message, MsgType};
    use std::vec::Vec;

    fn options(uri: &str) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let u = Uri::parse(uri.as_bytes(), 8).unwrap();
        let mut buf = [0u8; 1024];
        let mut w = MessageWriter::new(&mut buf, MsgType::Con, Code::GET, 1, &[]).unwrap();
        u.write_options(uri.as_bytes(), &mut w).unwrap();
        let n = w.finish();
        let m = Message::parse(&buf[..n]).unwrap();
        (
            m.uri_path().map(<[u8]>::to_vec).collect(),
            m.uri_query().map(<[u8]>::to_vec).collect(),
        )
    }

    #[test]
    fn host_port_and_defaults() {
        let s = b"coap://example.com:1234/fw.bin";
        let u = Uri::parse(s, 3).unwrap();
        assert_eq!(u.scheme, Scheme::Coap);
        assert_eq!(u.host(s), Some("example.com"));
        assert_eq!(u.port(s), Some("1234"));
        let s = b"coaps://10.0.0.1";
        let u = Uri::parse(s, 3).unwrap();
        assert_eq!((u.scheme, u.port(s)), (Scheme::Coaps, Some("5684")));
        let s = b"coap://[::1]:5700/a";
        let u = Uri::parse(s, 3).unwrap();
        assert_eq!((u.host(s), u.port(s)), (Some("::1"), Some("5700")));
        let s = b"coap://[fe80::1]?x";
        let u = Uri::parse(s, 3).unwrap();
        assert_eq!((u.host(s), u.port(s)), (Some("fe80::1"), Some("5683")));
    }

    #[test]
    fn path_segments_and_query_become_options() {
        let o = |p: &[&str], q: &[&str]| {
            (
                p.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>(),
                q.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(options("coap://h"), o(&[], &[]));
        assert_eq!(options("coap://h/"), o(&[], &[]));
        assert_eq!(options("coap://h/a/bc/def"), o(&["a", "bc", "def"], &[]));
        assert_eq!(options("coap://h/a/"), o(&["a", ""], &[]));
        assert_eq!(options("coap://h:9/fw?v=2&x"), o(&["fw"], &["v=2", "x"]));
        assert_eq!(options("coap://h?only"), o(&[], &["only"]));
        // Percent-decoding (RFC 7252 §6.4 steps 8 and 9).
        assert_eq!(
            options("coap://h/a%2Fb/%41?q%3D=%26"),
            o(&["a/b", "A"], &["q==&"])
        );
    }

    #[test]
    fn malformed_uris_are_refused() {
        for (uri, e) in [
            ("", UriError::Scheme),
            ("coapss://h/a", UriError::Scheme),
            ("http://h/a", UriError::Scheme),
            ("coap:/h/a", UriError::Scheme),
            ("coap://", UriError::Authority),
            ("coap://:5683/a", UriError::Authority),
            ("coap://h:abcd/a", UriError::Authority),
            ("coap://h:/a", UriError::Authority),
            ("coap://h:0/a", UriError::Authority),
            ("coap://h:65536/a", UriError::Authority),
            ("coap://h:123456/a", UriError::Authority),
            ("coap://u@h/a", UriError::Authority),
            ("coap://[::1/a", UriError::Authority),
            ("coap://[::1]x/a", UriError::Authority),
            ("coap://[]/a", UriError::Authority),
            ("coap://h/a#frag", UriError::Syntax),
            ("coap://h/a b", UriError::Syntax),
            ("coap://h/a%4", UriError::Syntax),
            ("coap://h/a%zz", UriError::Syntax),
            ("coap://h/a/b/c/d", UriError::TooManySegments),
        ] {
            assert_eq!(Uri::parse(uri.as_bytes(), 3), Err(e), "{uri}");
        }
        let long = std::format!("coap://h/{}", "x".repeat(256));
        assert_eq!(Uri::parse(long.as_bytes(), 3), Err(UriError::TooLong));
        let ok = std::format!("coap://h/{}", "x".repeat(255));
        assert!(Uri::parse(ok.as_bytes(), 3).is_ok());
    }
}
