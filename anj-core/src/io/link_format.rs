//! CoRE Link Format writer (RFC 6690) for the payloads LwM2M carries in it: Register and
//! Update (LwM2M 1.1 TS Core §6.2.1), and the answers to Discover and Bootstrap-Discover.
//!
//! A payload is a comma-separated list of links, each `<target>` followed by
//! `;name=value` attributes:
//! `</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3>;ver=1.0,</3/0>`.
//! [`LinkWriter`] appends to a caller's buffer, checks everything that comes from outside
//! (versions, attribute names and values), and on any error leaves what was written
//! before intact, so a payload never holds half a link.
#![forbid(unsafe_code)]

use core::fmt;

use super::{decimal_u64, DECIMAL_MAX_LEN};

/// Why a link or attribute was not written. The writer is unchanged after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkError {
    /// The buffer cannot hold the link or attribute.
    BufferTooSmall,
    /// An object version that is not `digits.digits` (the `ver=` of LwM2M 1.1 TS Core §6.2.1).
    BadVersion,
    /// ID 65535, which LwM2M reserves, or a path deeper than `/oid/iid/rid/riid`.
    BadPath,
    /// An attribute name or unquoted value with characters RFC 6690 §2 does not allow
    /// there, or a quoted value with control characters.
    BadAttribute,
    /// A raw link that does not start with `<` or holds control characters.
    BadRaw,
    /// An attribute with no link before it to belong to.
    NoLink,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkError::BufferTooSmall => "buffer too small",
            LinkError::BadVersion => "object version is not digits.digits",
            LinkError::BadPath => "reserved ID 65535 or path too deep",
            LinkError::BadAttribute => "invalid attribute name or value",
            LinkError::BadRaw => "raw link must start with '<' and hold no control characters",
            LinkError::NoLink => "attribute before any link",
        })
    }
}

/// IDs 0..=65534 are usable; LwM2M reserves 65535 (Anjay Lite's `ANJ_ID_INVALID`).
const RESERVED_ID: u16 = u16::MAX;
/// `/oid/iid/rid/riid` is the deepest LwM2M path.
const MAX_PATH_DEPTH: usize = 4;

/// Whether `version` has the `ver=` form: one or more digits, a dot, one or more digits
/// (LwM2M 1.1 TS Core §6.2.1, e.g. `1.0`, `1.1`, `2.12`).
pub fn is_valid_version(version: &str) -> bool {
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let v = version.as_bytes();
    // A byte search rather than `str::split_once` (memchr, which small images need not
    // link).
    match v.iter().position(|&c| c == b'.') {
        Some(dot) => {
            let (major, minor) = v.split_at(dot);
            digits(major) && digits(minor.get(1..).unwrap_or(&[]))
        }
        None => false,
    }
}

/// The characters of an attribute name: RFC 6690 §2 takes `parmname` from RFC 5988 §5,
/// which is one or more RFC 5987 `attr-char`.
fn is_name_char(b: u8) -> bool {
    // A pattern rather than `[u8]::contains` (which is memchr for bytes): smaller and
    // quicker for a few characters, and it keeps memchr out of small images.
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// RFC 6690 §2 `ptokenchar`: the characters of an unquoted attribute value.
fn is_ptoken_char(b: u8) -> bool {
    // A pattern, as in `is_name_char`.
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'..=b'+' | b'-'..=b'/' | b':' | b'<'..=b'@' | b'[' | b']' | b'^'..=b'`'
                | b'{'..=b'~'
        )
}

/// Appends at a position without committing; `LinkWriter` keeps the new end only if the
/// whole link or attribute fits.
struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
    /// In window mode, the logical offset of `buf[0]`.
    window: Option<usize>,
}

impl Cursor<'_> {
    fn push(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(LinkError::BufferTooSmall)?;
        match self.window {
            None => {
                let dst = self
                    .buf
                    .get_mut(self.pos..end)
                    .ok_or(LinkError::BufferTooSmall)?;
                dst.copy_from_slice(bytes);
            }
            Some(skip) => {
                // Keep only the part of [pos, end) that falls in [skip, skip + buf.len()).
                let from = self.pos.max(skip);
                let to = end.min(skip.saturating_add(self.buf.len()));
                if from < to {
                    let src = bytes
                        .get(from - self.pos..to - self.pos)
                        .unwrap_or_default();
                    if let Some(dst) = self.buf.get_mut(from - skip..to - skip) {
                        dst.copy_from_slice(src);
                    }
                }
            }
        }
        self.pos = end;
        Ok(())
    }

    fn push_uint(&mut self, value: u64) -> Result<(), LinkError> {
        let mut digits = [0u8; DECIMAL_MAX_LEN];
        self.push(decimal_u64(value, &mut digits))
    }
}

/// Writes a link-format payload into a caller's buffer. Links are separated by commas;
/// attributes attach to the link written last.
pub struct LinkWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    window: Option<usize>,
}

impl<'a> LinkWriter<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        LinkWriter {
            buf,
            len: 0,
            window: None,
        }
    }

    /// A writer that keeps only bytes `[skip, skip + buf.len())` of the whole payload and
    /// never runs out of room; [`LinkWriter::len`] is then the length of the whole payload.
    /// For block-wise responses (RFC 7959 Block2): each block re-runs the writer.
    pub fn new_window(buf: &'a mut [u8], skip: usize) -> Self {
        LinkWriter {
            buf,
            len: 0,
            window: Some(skip),
        }
    }

    /// Runs `f` on a cursor at the end, then keeps its output only if `f` succeeded.
    fn append(
        &mut self,
        f: impl FnOnce(&mut Cursor<'_>) -> Result<(), LinkError>,
    ) -> Result<(), LinkError> {
        let mut cursor = Cursor {
            buf: &mut *self.buf,
            pos: self.len,
            window: self.window,
        };
        f(&mut cursor)?;
        self.len = cursor.pos;
        Ok(())
    }

    fn check_ids(ids: &[u16]) -> Result<(), LinkError> {
        if ids.len() > MAX_PATH_DEPTH || ids.contains(&RESERVED_ID) {
            return Err(LinkError::BadPath);
        }
        Ok(())
    }

    /// A new link to an LwM2M path: `</>` for the root, `</3>`, `</3/0>`, `</3/0/1>`,
    /// `</3/0/1/2>`.
    pub fn path(&mut self, ids: &[u16]) -> Result<(), LinkError> {
        Self::check_ids(ids)?;
        let first = self.len == 0;
        self.append(|c| {
            c.push(if first { b"<" } else { b",<" })?;
            if ids.is_empty() {
                c.push(b"/")?;
            }
            for id in ids {
                c.push(b"/")?;
                c.push_uint(u64::from(*id))?;
            }
            c.push(b">")
        })
    }

    /// An Object link, `</3>`, with `;ver=1.1` when the Object's version is given
    /// (LwM2M 1.1 TS Core §6.2.1: the default, 1.0, may be left out).
    pub fn object(&mut self, oid: u16, version: Option<&str>) -> Result<(), LinkError> {
        if version.is_some_and(|v| !is_valid_version(v)) {
            return Err(LinkError::BadVersion);
        }
        Self::check_ids(&[oid])?;
        let len = self.len;
        self.path(&[oid])?;
        if let Some(v) = version {
            // Validated above, so it is a legal unquoted value; only space can fail.
            if let Err(e) = self.attr("ver", v) {
                self.len = len;
                return Err(e);
            }
        }
        Ok(())
    }

    /// An Object Instance link, `</3/0>`.
    pub fn instance(&mut self, oid: u16, iid: u16) -> Result<(), LinkError> {
        self.path(&[oid, iid])
    }

    /// A link written verbatim, e.g. `</>;rt="oma.lwm2m";ct=112`. It must start with `<`
    /// and hold no control characters; the caller vouches for the rest.
    pub fn raw(&mut self, link: &str) -> Result<(), LinkError> {
        if !link.starts_with('<') || link.bytes().any(|b| b.is_ascii_control()) {
            return Err(LinkError::BadRaw);
        }
        let first = self.len == 0;
        self.append(|c| {
            if !first {
                c.push(b",")?;
            }
            c.push(link.as_bytes())
        })
    }

    fn check_name(&self, name: &str) -> Result<(), LinkError> {
        if self.len == 0 {
            return Err(LinkError::NoLink);
        }
        if name.is_empty() || !name.bytes().all(is_name_char) {
            return Err(LinkError::BadAttribute);
        }
        Ok(())
    }

    /// `;name=value` on the last link, with an unquoted value (a `ptoken`, RFC 6690 §2),
    /// e.g. `ver=1.1`, `pmin=10`, `gt=20.5`, `lwm2m=1.1`.
    pub fn attr(&mut self, name: &str, value: &str) -> Result<(), LinkError> {
        self.check_name(name)?;
        if value.is_empty() || !value.bytes().all(is_ptoken_char) {
            return Err(LinkError::BadAttribute);
        }
        self.append(|c| {
            c.push(b";")?;
            c.push(name.as_bytes())?;
            c.push(b"=")?;
            c.push(value.as_bytes())
        })
    }

    /// `;name=value` with a decimal value, e.g. `ssid=101`, `dim=2`, `ct=11543`.
    pub fn attr_uint(&mut self, name: &str, value: u64) -> Result<(), LinkError> {
        self.check_name(name)?;
        self.append(|c| {
            c.push(b";")?;
            c.push(name.as_bytes())?;
            c.push(b"=")?;
            c.push_uint(value)
        })
    }

    /// `;name="value"` with a quoted string, e.g. `rt="oma.lwm2m"` or the `uri` of
    /// Bootstrap-Discover; `"` and `\` are escaped with `\` (RFC 6690 §2 `quoted-string`).
    pub fn attr_quoted(&mut self, name: &str, value: &str) -> Result<(), LinkError> {
        self.check_name(name)?;
        if value.bytes().any(|b| b.is_ascii_control()) {
            return Err(LinkError::BadAttribute);
        }
        self.append(|c| {
            c.push(b";")?;
            c.push(name.as_bytes())?;
            c.push(b"=\"")?;
            for part in value.split_inclusive(['"', '\\']) {
                let (text, special) = match part.as_bytes().split_last() {
                    Some((last, text)) if *last == b'"' || *last == b'\\' => (text, Some(*last)),
                    _ => (part.as_bytes(), None),
                };
                c.push(text)?;
                if let Some(s) = special {
                    c.push(&[b'\\', s])?;
                }
            }
            c.push(b"\"")
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The payload written so far (in window mode: the part inside the window).
    pub fn as_bytes(&self) -> &[u8] {
        let n = match self.window {
            None => self.len,
            Some(skip) => self.len.saturating_sub(skip).min(self.buf.len()),
        };
        self.buf.get(..n).unwrap_or_default()
    }

    /// The payload length; it is `buf[..len]`.
    pub fn finish(self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_put_end_to_end_equal_the_whole_payload() {
        let write = |w: &mut LinkWriter<'_>| {
            w.object(3, Some("1.0")).unwrap();
            for iid in 0..20 {
                w.instance(3, iid).unwrap();
                w.path(&[3, iid, 11]).unwrap();
                w.attr_uint("dim", iid.into()).unwrap();
            }
        };
        let mut full = [0u8; 1024];
        let mut w = LinkWriter::new(&mut full);
        write(&mut w);
        let total = w.len();
        for block in [16usize, 32, 64, 100, 256] {
            let mut joined = std::vec::Vec::new();
            let mut skip = 0;
            while skip < total {
                let mut buf = std::vec![0u8; block];
                let mut w = LinkWriter::new_window(&mut buf, skip);
                write(&mut w);
                assert_eq!(w.len(), total);
                joined.extend_from_slice(w.as_bytes());
                skip += block;
            }
            assert_eq!(joined, full[..total], "block {block}");
        }
    }

    fn text<'w>(w: &'w LinkWriter<'_>) -> &'w str {
        core::str::from_utf8(w.as_bytes()).unwrap()
    }

    #[test]
    fn register_payload_with_versions_and_root_link() {
        // The shape given in LwM2M 1.1 TS Core §6.2.1 for a client using SenML JSON.
        let mut buf = [0u8; 128];
        let mut w = LinkWriter::new(&mut buf);
        w.raw(r#"</>;rt="oma.lwm2m";ct=110"#).unwrap();
        w.object(1, Some("1.1")).unwrap();
        w.instance(1, 0).unwrap();
        w.object(3, Some("1.0")).unwrap();
        w.instance(3, 0).unwrap();
        assert_eq!(
            text(&w),
            r#"</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3>;ver=1.0,</3/0>"#
        );
        assert_eq!(w.finish(), 65);
    }

    #[test]
    fn register_payload_built_from_parts() {
        let mut buf = [0u8; 256];
        let mut w = LinkWriter::new(&mut buf);
        w.path(&[]).unwrap();
        w.attr_quoted("rt", "oma.lwm2m").unwrap();
        w.attr_uint("ct", 11543).unwrap();
        for (oid, iid) in [(1, 101), (1, 102), (2, 0), (2, 1), (2, 2), (3, 0), (4, 0)] {
            w.instance(oid, iid).unwrap();
        }
        w.object(5, None).unwrap();
        w.object(65534, Some("12.345")).unwrap();
        assert_eq!(
            text(&w),
            r#"</>;rt="oma.lwm2m";ct=11543,</1/101>,</1/102>,</2/0>,</2/1>,</2/2>,</3/0>,</4/0>,</5>,</65534>;ver=12.345"#
        );
    }

    #[test]
    fn bootstrap_discover_payload() {
        // The root link carries the enabler version, Security and Server instances carry
        // the Short Server ID and the server URI.
        let mut buf = [0u8; 256];
        let mut w = LinkWriter::new(&mut buf);
        w.path(&[]).unwrap();
        w.attr("lwm2m", "1.1").unwrap();
        w.instance(0, 0).unwrap();
        w.attr_uint("ssid", 101).unwrap();
        w.attr_quoted("uri", "coaps://server_1.example.com")
            .unwrap();
        w.instance(0, 1).unwrap();
        w.instance(1, 0).unwrap();
        w.attr_uint("ssid", 101).unwrap();
        assert_eq!(
            text(&w),
            r#"</>;lwm2m=1.1,</0/0>;ssid=101;uri="coaps://server_1.example.com",</0/1>,</1/0>;ssid=101"#
        );
    }

    #[test]
    fn discover_payload_with_resource_paths_and_attributes() {
        // Resources, a multi-instance dimension and notification attributes.
        let mut buf = [0u8; 128];
        let mut w = LinkWriter::new(&mut buf);
        w.instance(3, 0).unwrap();
        w.attr_uint("pmin", 10).unwrap();
        w.attr_uint("pmax", 60).unwrap();
        w.path(&[3, 0, 1]).unwrap();
        w.path(&[3, 0, 6]).unwrap();
        w.attr_uint("dim", 2).unwrap();
        w.path(&[3, 0, 6, 1]).unwrap();
        w.attr("gt", "20.5").unwrap();
        assert_eq!(
            text(&w),
            "</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/6>;dim=2,</3/0/6/1>;gt=20.5"
        );
    }

    #[test]
    fn attribute_character_sets() {
        // The sets of RFC 5987 attr-char and RFC 6690 ptokenchar, besides ALPHA / DIGIT.
        let name = b"!#$&+-.^_`|~";
        let ptoken = b"!#$%&'()*+-./:<=>?@[]^_`{|}~";
        for b in 0..=u8::MAX {
            let alnum = b.is_ascii_alphanumeric();
            assert_eq!(is_name_char(b), alnum || name.contains(&b), "{b}");
            assert_eq!(is_ptoken_char(b), alnum || ptoken.contains(&b), "{b}");
        }
    }

    #[test]
    fn versions_must_be_digits_dot_digits() {
        for good in ["1.0", "1.1", "2.12", "10.0", "0.0"] {
            assert!(is_valid_version(good), "{good}");
        }
        for bad in [
            "", "1", "1.", ".1", "1.1.1", "a.b", "1.x", " 1.1", "1.1 ", "1,1", "+1.1", "1.1\"",
            "１.１",
        ] {
            assert!(!is_valid_version(bad), "{bad:?}");
            let mut buf = [0u8; 32];
            let mut w = LinkWriter::new(&mut buf);
            assert_eq!(w.object(3, Some(bad)), Err(LinkError::BadVersion));
            assert!(w.is_empty());
        }
    }

    #[test]
    fn reserved_ids_and_deep_paths_are_refused() {
        let mut buf = [0u8; 64];
        let mut w = LinkWriter::new(&mut buf);
        assert_eq!(w.object(65535, None), Err(LinkError::BadPath));
        assert_eq!(w.instance(3, 65535), Err(LinkError::BadPath));
        assert_eq!(w.path(&[1, 2, 3, 4, 5]), Err(LinkError::BadPath));
        w.path(&[0, 0, 0, 0]).unwrap();
        w.path(&[65534, 65534]).unwrap();
        assert_eq!(text(&w), "</0/0/0/0>,</65534/65534>");
    }

    #[test]
    fn attributes_are_checked() {
        let mut buf = [0u8; 128];
        let mut w = LinkWriter::new(&mut buf);
        assert_eq!(w.attr_uint("pmin", 1), Err(LinkError::NoLink));
        assert_eq!(w.attr("ver", "1.0"), Err(LinkError::NoLink));
        assert_eq!(w.attr_quoted("rt", "x"), Err(LinkError::NoLink));
        w.object(3, None).unwrap();
        assert_eq!(w.attr("", "1"), Err(LinkError::BadAttribute));
        assert_eq!(w.attr("a b", "1"), Err(LinkError::BadAttribute));
        assert_eq!(w.attr("a=", "1"), Err(LinkError::BadAttribute));
        assert_eq!(w.attr("x", ""), Err(LinkError::BadAttribute));
        assert_eq!(w.attr("x", "a,b"), Err(LinkError::BadAttribute));
        assert_eq!(w.attr("x", "a;b"), Err(LinkError::BadAttribute));
        assert_eq!(w.attr("x", "\"q\""), Err(LinkError::BadAttribute));
        assert_eq!(
            w.attr_quoted("x", "line\nbreak"),
            Err(LinkError::BadAttribute)
        );
        assert_eq!(text(&w), "</3>");
        w.attr_quoted("title", r#"say "hi" \o/, ok"#).unwrap();
        w.attr_quoted("empty", "").unwrap();
        w.attr_uint("big", u64::MAX).unwrap();
        assert_eq!(
            text(&w),
            r#"</3>;title="say \"hi\" \\o/, ok";empty="";big=18446744073709551615"#
        );
    }

    #[test]
    fn raw_links_are_checked() {
        let mut buf = [0u8; 64];
        let mut w = LinkWriter::new(&mut buf);
        assert_eq!(w.raw(""), Err(LinkError::BadRaw));
        assert_eq!(w.raw("/3"), Err(LinkError::BadRaw));
        assert_eq!(w.raw("</3>\r\n"), Err(LinkError::BadRaw));
        w.raw("</3>").unwrap();
        w.raw(r#"</>;rt="oma.lwm2m""#).unwrap();
        assert_eq!(text(&w), r#"</3>,</>;rt="oma.lwm2m""#);
    }

    type Step<'s> = &'s dyn Fn(&mut LinkWriter<'_>) -> Result<(), LinkError>;

    #[test]
    fn a_full_buffer_keeps_every_complete_link_and_nothing_more() {
        let expected = r#"</>;rt="oma.lwm2m";ct=112,</1>;ver=1.1,</1/0>,</3>;ver=1.0,</3/0>;dim=3"#;
        for size in 0..=expected.len() {
            let mut buf = vec![0u8; size];
            let mut w = LinkWriter::new(&mut buf);
            let steps: [Step; 6] = [
                &|w| w.raw(r#"</>;rt="oma.lwm2m";ct=112"#),
                &|w| w.object(1, Some("1.1")),
                &|w| w.instance(1, 0),
                &|w| w.object(3, Some("1.0")),
                &|w| w.instance(3, 0),
                &|w| w.attr_uint("dim", 3),
            ];
            for step in steps {
                let before = w.len();
                if let Err(e) = step(&mut w) {
                    assert_eq!(e, LinkError::BufferTooSmall);
                    assert_eq!(w.len(), before, "size {size}");
                    break;
                }
            }
            let out = text(&w);
            assert!(expected.starts_with(out), "size {size}: {out}");
            let complete = out.is_empty()
                || out.len() == expected.len()
                || expected[out.len()..].starts_with(',')
                || expected[out.len()..].starts_with(';');
            assert!(complete, "size {size}: {out}");
            // A version never appears without its link, or a link without its version.
            assert!(
                !out.ends_with("</1>") && !out.ends_with("</3>"),
                "size {size}: {out}"
            );
        }
    }
}
