//! `anj/utils.h`: LwM2M paths and the number <-> text conversions the library uses for
//! Plain Text payloads, attributes and link formats.
//!
//! The safe functions here (`fmt_*`, `parse_*`, [`hexlify`], the `anj_uri_path_t` methods)
//! are what the rest of the crate calls; the `extern "C"` functions are thin wrappers that
//! check pointers once. The macros of `utils.h` (`ANJ_MAKE_*_PATH`, `ANJ_MIN`, ...) live in
//! the hand-written `include/anj/utils.h`.
//!
//! Text formats:
//! * integers: plain decimal, optional leading `+`/`-` for signed input only, no
//!   whitespace; inputs longer than the longest valid number are refused.
//! * doubles, output: text that reads back to the same value, the shortest such text
//!   whenever that has at most 15 significant digits (see `io::decimal`). Plain decimal
//!   (`1`, `-10.022`, `0.000000002`) while the magnitude is in `[1e-10, 2^64)` and the text
//!   fits in 24 characters, otherwise `d.ddde+N` / `d.ddde-N`; `nan`, `inf`, `-inf`.
//! * doubles, input: `[+-]digits[.digits][(e|E)[+-]digits]` (digits may be omitted on one
//!   side of the dot), at most 24 characters, correctly rounded; no `inf`/`nan`, no value
//!   beyond the double range.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::fmt;

use crate::ffi::dm::{anj_objlnk_value_t, ANJ_ID_INVALID};

/// Index of each component in `anj_uri_path_t::ids`; `ANJ_URI_PATH_MAX_LENGTH` is the
/// number of components.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum anj_id_type_t {
    ANJ_ID_OID,
    ANJ_ID_IID,
    ANJ_ID_RID,
    ANJ_ID_RIID,
    ANJ_URI_PATH_MAX_LENGTH,
}

/// Number of path components (the value of `ANJ_URI_PATH_MAX_LENGTH`).
const MAX_IDS: usize = anj_id_type_t::ANJ_URI_PATH_MAX_LENGTH as usize;

/// A data model path: `uri_len` leading entries of `ids` are in use (0 = root,
/// 1 = /Object, ... 4 = /Object/Instance/Resource/ResourceInstance).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_uri_path_t {
    /// Object, Instance, Resource and Resource Instance IDs, in that order.
    pub ids: [u16; 4],
    /// How many leading entries of `ids` are used.
    pub uri_len: usize,
}

// The array length above must be a literal for cbindgen; keep it tied to the enum.
const _: () = assert!(MAX_IDS == 4);

impl anj_uri_path_t {
    const fn make(ids: [u16; MAX_IDS], uri_len: usize) -> Self {
        Self { ids, uri_len }
    }
    pub const fn root() -> Self {
        Self::make([ANJ_ID_INVALID; MAX_IDS], 0)
    }
    pub const fn object(oid: u16) -> Self {
        Self::make([oid, ANJ_ID_INVALID, ANJ_ID_INVALID, ANJ_ID_INVALID], 1)
    }
    pub const fn instance(oid: u16, iid: u16) -> Self {
        Self::make([oid, iid, ANJ_ID_INVALID, ANJ_ID_INVALID], 2)
    }
    pub const fn resource(oid: u16, iid: u16, rid: u16) -> Self {
        Self::make([oid, iid, rid, ANJ_ID_INVALID], 3)
    }
    pub const fn resource_instance(oid: u16, iid: u16, rid: u16, riid: u16) -> Self {
        Self::make([oid, iid, rid, riid], 4)
    }
    /// A path from its used components; `None` if there are more than four.
    pub fn from_ids(ids: &[u16]) -> Option<Self> {
        let mut path = Self::root();
        path.ids.get_mut(..ids.len())?.copy_from_slice(ids);
        path.uri_len = ids.len();
        Some(path)
    }

    /// Number of used components. A corrupt `uri_len` from C is clamped to 4.
    pub const fn len(&self) -> usize {
        if self.uri_len < MAX_IDS {
            self.uri_len
        } else {
            MAX_IDS
        }
    }
    pub const fn is_empty(&self) -> bool {
        self.uri_len == 0
    }
    /// The used components.
    pub fn ids(&self) -> &[u16] {
        // len() <= MAX_IDS, so the range is always in bounds.
        self.ids.get(..self.len()).unwrap_or(&[])
    }
    /// The component at `level`, if the path is that long.
    pub fn id(&self, level: anj_id_type_t) -> Option<u16> {
        self.ids().get(level as usize).copied()
    }
    /// The path includes the component at `level` (e.g. /3/0 has OID and IID).
    pub const fn has(&self, level: anj_id_type_t) -> bool {
        self.uri_len > level as usize
    }
    /// The path ends exactly at `level` (e.g. /3/0 "is" an IID path).
    pub const fn is(&self, level: anj_id_type_t) -> bool {
        self.uri_len == level as usize + 1
    }
    /// `self` is `other` or one of its ancestors (the root is a prefix of everything).
    pub fn is_prefix_of(&self, other: &Self) -> bool {
        other.ids().starts_with(self.ids()) && self.uri_len <= other.uri_len
    }
    /// `self` comes strictly after `previous` in depth-first order (parents first).
    pub fn is_after(&self, previous: &Self) -> bool {
        for (cur, prev) in self.ids().iter().zip(previous.ids()) {
            if cur != prev {
                return cur > prev;
            }
        }
        previous.len() < self.len()
    }
    /// The parent path (the root is its own parent).
    pub fn parent(&self) -> Self {
        let mut p = *self;
        if let Some(last) = self.len().checked_sub(1) {
            if let Some(slot) = p.ids.get_mut(last) {
                *slot = ANJ_ID_INVALID;
            }
            p.uri_len = last;
        }
        p
    }
}

/// Paths are equal when they have the same length and the same used components; unused
/// slots do not matter.
impl PartialEq for anj_uri_path_t {
    fn eq(&self, other: &Self) -> bool {
        self.uri_len == other.uri_len && self.ids() == other.ids()
    }
}
impl Eq for anj_uri_path_t {}

/// `/3/0/1` (the root prints as `/`).
impl fmt::Display for anj_uri_path_t {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ids().is_empty() {
            return f.write_str("/");
        }
        for id in self.ids() {
            write!(f, "/{id}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for anj_uri_path_t {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// ---------------------------------------------------------------------------------------
// Safe conversions used by the core
// ---------------------------------------------------------------------------------------

// Longest text of each kind, without a terminator (Anjay Lite's `ANJ_*_STR_MAX_LEN`, which
// C gets from `anj/defs.h`; hidden from cbindgen so the names do not clash).
/// cbindgen:ignore
pub const U16_STR_MAX_LEN: usize = 5;
/// cbindgen:ignore
pub const U32_STR_MAX_LEN: usize = 10;
/// cbindgen:ignore
pub const U64_STR_MAX_LEN: usize = 20;
/// cbindgen:ignore
pub const I64_STR_MAX_LEN: usize = 20;
/// cbindgen:ignore
pub const DOUBLE_STR_MAX_LEN: usize = 24;

/// Writes `value` in decimal at the start of `buf`; returns the length, or 0 (nothing
/// written) if `buf` is too short. 20 bytes always suffice.
pub fn fmt_u64(buf: &mut [u8], value: u64) -> usize {
    let mut w = crate::io::value::SliceWriter::new(buf);
    w.push_u64(value).map_or(0, |()| w.pos)
}

/// Like [`fmt_u64`] for signed values (20 bytes always suffice).
pub fn fmt_i64(buf: &mut [u8], value: i64) -> usize {
    let mut w = crate::io::value::SliceWriter::new(buf);
    w.push_i64(value).map_or(0, |()| w.pos)
}

/// Writes `value` as described in the module documentation; returns the length, or 0 if
/// `buf` is too short. [`DOUBLE_STR_MAX_LEN`] (24) bytes always suffice.
pub fn fmt_f64(buf: &mut [u8], value: f64) -> usize {
    use crate::io::decimal::{format, Notation};
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    // Also -0.0: LwM2M text has no negative zero.
    let value = if value == 0.0 { 0.0 } else { value };
    let plain = (value == 0.0 || (1e-10..TWO_POW_64).contains(&value.abs()))
        .then(|| format(value, Notation::Plain))
        .filter(|text| text.as_bytes().len() <= DOUBLE_STR_MAX_LEN);
    // C style: an explicit `+` on non-negative exponents.
    let text = plain.unwrap_or_else(|| format(value, Notation::Exponent { plus: true }));
    let text = text.as_bytes();
    match buf.get_mut(..text.len()) {
        Some(dst) => {
            dst.copy_from_slice(text);
            text.len()
        }
        None => 0,
    }
}

// The integer grammar is the core's (`io::text`, as text values are parsed): the C API
// takes digits only (no `+`) for its unsigned types, and limits the length of each
// number to its `ANJ_*_STR_MAX_LEN`.
use crate::io::text::{parse_digits, parse_i64 as parse_signed};

/// Decimal digits only, 1 to 10 of them, value within `u32`.
pub fn parse_u32(text: &[u8]) -> Option<u32> {
    if text.len() > U32_STR_MAX_LEN {
        return None;
    }
    u32::try_from(parse_digits(text)?).ok()
}

/// Decimal digits only, 1 to 20 of them, value within `u64`.
pub fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.len() > U64_STR_MAX_LEN {
        return None;
    }
    parse_digits(text)
}

/// Optional `+`/`-` then decimal digits, 20 characters at most, value within `i64`.
pub fn parse_i64(text: &[u8]) -> Option<i64> {
    if text.len() > I64_STR_MAX_LEN {
        return None;
    }
    parse_signed(text)
}

/// A decimal floating-point number, see the module documentation.
pub fn parse_f64(text: &[u8]) -> Option<f64> {
    if text.is_empty() || text.len() > DOUBLE_STR_MAX_LEN {
        return None;
    }
    // The grammar above, without "inf"/"nan" (correctly rounded, see `io::decimal`).
    let value = crate::io::decimal::parse(text)?;
    // Numbers beyond the double range have no faithful value.
    value.is_finite().then_some(value)
}

/// `"oid:iid"`, each part as for [`parse_u32`] and at most 65535: the core's object
/// link grammar (`io::text::parse_objlnk`) without signs, each part at most 10 digits.
pub fn parse_objlnk(text: &[u8]) -> Option<anj_objlnk_value_t> {
    let colon = text.iter().position(|&c| c == b':')?;
    if text.contains(&b'+') || colon > U32_STR_MAX_LEN || text.len() - colon - 1 > U32_STR_MAX_LEN {
        return None;
    }
    let (oid, iid) = crate::io::text::parse_objlnk(text)?;
    Some(anj_objlnk_value_t { oid, iid })
}

/// Upper-case hex of `data` followed by a NUL; `None` if `out` is shorter than
/// `2 * data.len() + 1`. Returns the text length (without the NUL).
pub fn hexlify(out: &mut [u8], data: &[u8]) -> Option<usize> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let text_len = data.len().checked_mul(2)?;
    if out.len() <= text_len {
        return None;
    }
    for (pair, byte) in out.chunks_exact_mut(2).zip(data) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0x0F)];
    }
    *out.get_mut(text_len)? = 0;
    Some(text_len)
}

/// The largest CoAP block size (RFC 7959: a power of two from 16 to 1024) that fits in
/// `buff_size` bytes, or 0 if even 16 does not.
pub const fn block_size_for(buff_size: usize) -> u16 {
    if buff_size < 16 {
        return 0;
    }
    if buff_size >= 1024 {
        return 1024;
    }
    // 16 <= buff_size < 1024: keep only the highest set bit.
    (1usize << (usize::BITS - 1 - buff_size.leading_zeros())) as u16
}

// ---------------------------------------------------------------------------------------
// C ABI
// ---------------------------------------------------------------------------------------

/// Views a C path pointer; NULL gives `None`.
///
/// # Safety
/// `p` is NULL or points to a valid `anj_uri_path_t` that lives for `'a`.
unsafe fn path_ref<'a>(p: *const anj_uri_path_t) -> Option<&'a anj_uri_path_t> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_ref() }
}

/// Copies `text` to `out` (no terminator) and returns its length; NULL `out` writes
/// nothing and returns 0.
///
/// # Safety
/// `out` is NULL or valid for `text.len()` bytes of writing.
unsafe fn copy_out(out: *mut c_char, text: &[u8]) -> usize {
    if out.is_null() {
        return 0;
    }
    // SAFETY: out is non-NULL and, per the caller, writable for text.len() bytes; the
    // source is a distinct local buffer, so the ranges cannot overlap.
    unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), out.cast::<u8>(), text.len()) };
    text.len()
}

/// Views `len` bytes at `buff`; NULL is accepted only with `len == 0`.
///
/// # Safety
/// `buff` is NULL or valid for `len` bytes of reading for `'a`.
unsafe fn in_bytes<'a>(buff: *const c_char, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    // No real object is larger than isize::MAX bytes, so such a length is a caller bug.
    if buff.is_null() || len > isize::MAX as usize {
        return None;
    }
    // SAFETY: non-NULL and readable for len bytes, per the caller.
    Some(unsafe { core::slice::from_raw_parts(buff.cast::<u8>(), len) })
}

/// Stores `value` through `out` and returns 0, or returns -1 (leaving `*out` alone) if
/// there is no value or `out` is NULL.
///
/// # Safety
/// `out` is NULL or valid for writing a `T`.
unsafe fn store<T>(out: *mut T, value: Option<T>) -> c_int {
    match value {
        Some(v) if !out.is_null() => {
            // SAFETY: non-NULL and writable, per the caller.
            unsafe { out.write(v) };
            0
        }
        _ => -1,
    }
}

/// Both paths have the same length and the same components.
///
/// # Safety
/// Each pointer is NULL or points to a valid path. NULL is never equal to anything.
#[no_mangle]
pub unsafe extern "C" fn anj_uri_path_equal(
    left: *const anj_uri_path_t,
    right: *const anj_uri_path_t,
) -> bool {
    // SAFETY: the caller passes NULL or valid paths, which outlive this call (the
    // references are not kept).
    match unsafe { (path_ref(left), path_ref(right)) } {
        (Some(l), Some(r)) => l == r,
        _ => false,
    }
}

/// Number of components of `path` (0 for the root or NULL).
///
/// # Safety
/// `path` is NULL or points to a valid path.
#[no_mangle]
pub unsafe extern "C" fn anj_uri_path_length(path: *const anj_uri_path_t) -> usize {
    // SAFETY: the caller passes NULL or valid paths, which outlive this call (the
    // references are not kept).
    unsafe { path_ref(path) }.map_or(0, |p| p.uri_len)
}

/// `path` contains the component `id_type` (e.g. /3/0 has `ANJ_ID_OID` and `ANJ_ID_IID`).
///
/// # Safety
/// `path` is NULL (gives false) or points to a valid path.
#[no_mangle]
pub unsafe extern "C" fn anj_uri_path_has(
    path: *const anj_uri_path_t,
    id_type: anj_id_type_t,
) -> bool {
    // SAFETY: the caller passes NULL or valid paths, which outlive this call (the
    // references are not kept).
    unsafe { path_ref(path) }.is_some_and(|p| p.has(id_type))
}

/// `path` ends exactly at `id_type` (e.g. /3/0 "is" `ANJ_ID_IID`).
///
/// # Safety
/// `path` is NULL (gives false) or points to a valid path.
#[no_mangle]
pub unsafe extern "C" fn anj_uri_path_is(
    path: *const anj_uri_path_t,
    id_type: anj_id_type_t,
) -> bool {
    // SAFETY: the caller passes NULL or valid paths, which outlive this call (the
    // references are not kept).
    unsafe { path_ref(path) }.is_some_and(|p| p.is(id_type))
}

/// `path` is not `base` nor below it (shorter, or differs in a component of `base`).
///
/// # Safety
/// Each pointer is NULL (gives true) or points to a valid path.
#[no_mangle]
pub unsafe extern "C" fn anj_uri_path_outside_base(
    path: *const anj_uri_path_t,
    base: *const anj_uri_path_t,
) -> bool {
    // SAFETY: the caller passes NULL or valid paths, which outlive this call (the
    // references are not kept).
    match unsafe { (path_ref(path), path_ref(base)) } {
        (Some(p), Some(b)) => !b.is_prefix_of(p),
        _ => true,
    }
}

/// `current_path` sorts strictly after `previous_path` (component-wise, a parent before
/// its children).
///
/// # Safety
/// Each pointer is NULL (gives false) or points to a valid path.
#[no_mangle]
pub unsafe extern "C" fn anj_uri_path_increasing(
    previous_path: *const anj_uri_path_t,
    current_path: *const anj_uri_path_t,
) -> bool {
    // SAFETY: the caller passes NULL or valid paths, which outlive this call (the
    // references are not kept).
    match unsafe { (path_ref(previous_path), path_ref(current_path)) } {
        (Some(prev), Some(cur)) => cur.is_after(prev),
        _ => false,
    }
}

/// The largest RFC 7959 block size (16..1024, a power of two) not above `buff_size`, or 0
/// if `buff_size < 16`.
#[no_mangle]
pub extern "C" fn anj_determine_block_buffer_size(buff_size: usize) -> u16 {
    block_size_for(buff_size)
}

/// Writes `value` in decimal (no NUL) and returns the length.
///
/// # Safety
/// `out_buff` is NULL (nothing written, returns 0) or has room for 5 bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_uint16_to_string_value(out_buff: *mut c_char, value: u16) -> usize {
    let mut tmp = [0u8; U16_STR_MAX_LEN];
    let len = fmt_u64(&mut tmp, u64::from(value));
    // SAFETY: the caller passes NULL or an `out_buff` writable for the longest text of
    // the type (5 bytes), and `len <= 5`.
    unsafe { copy_out(out_buff, tmp.get(..len).unwrap_or(&[])) }
}

/// Writes `value` in decimal (no NUL) and returns the length.
///
/// # Safety
/// `out_buff` is NULL (nothing written, returns 0) or has room for 10 bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_uint32_to_string_value(out_buff: *mut c_char, value: u32) -> usize {
    let mut tmp = [0u8; U32_STR_MAX_LEN];
    let len = fmt_u64(&mut tmp, u64::from(value));
    // SAFETY: the caller passes NULL or an `out_buff` writable for the longest text of
    // the type (10 bytes), and `len <= 10`.
    unsafe { copy_out(out_buff, tmp.get(..len).unwrap_or(&[])) }
}

/// Writes `value` in decimal (no NUL) and returns the length.
///
/// # Safety
/// `out_buff` is NULL (nothing written, returns 0) or has room for 20 bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_uint64_to_string_value(out_buff: *mut c_char, value: u64) -> usize {
    let mut tmp = [0u8; U64_STR_MAX_LEN];
    let len = fmt_u64(&mut tmp, value);
    // SAFETY: the caller passes NULL or an `out_buff` writable for the longest text of
    // the type (20 bytes), and `len <= 20`.
    unsafe { copy_out(out_buff, tmp.get(..len).unwrap_or(&[])) }
}

/// Writes `value` in decimal (no NUL) and returns the length.
///
/// # Safety
/// `out_buff` is NULL (nothing written, returns 0) or has room for 20 bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_int64_to_string_value(out_buff: *mut c_char, value: i64) -> usize {
    let mut tmp = [0u8; I64_STR_MAX_LEN];
    let len = fmt_i64(&mut tmp, value);
    // SAFETY: the caller passes NULL or an `out_buff` writable for the longest text of
    // the type (20 bytes), and `len <= 20`.
    unsafe { copy_out(out_buff, tmp.get(..len).unwrap_or(&[])) }
}

/// Writes `value` as LwM2M attribute/Plain Text (no NUL): the shortest text that reads
/// back to the same double, e.g. `1`, `-10.022`, `2.111e+21`, `nan`, `inf`. Returns the
/// length.
///
/// # Safety
/// `out_buff` is NULL (nothing written, returns 0) or has room for 24 bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_double_to_string_value(out_buff: *mut c_char, value: f64) -> usize {
    let mut tmp = [0u8; DOUBLE_STR_MAX_LEN];
    let len = fmt_f64(&mut tmp, value);
    // SAFETY: the caller passes NULL or an `out_buff` writable for the longest text of
    // the type (24 bytes), and `len <= 24`.
    unsafe { copy_out(out_buff, tmp.get(..len).unwrap_or(&[])) }
}

/// Parses `buff_len` bytes (no NUL needed) of decimal digits into `*out_val`.
/// Returns 0, or -1 for empty input, a non-digit, overflow or more than 10 characters.
///
/// # Safety
/// `out_val` is NULL (gives -1) or writable; `buff` is readable for `buff_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_string_to_uint32_value(
    out_val: *mut u32,
    buff: *const c_char,
    buff_len: usize,
) -> c_int {
    // SAFETY: the caller passes NULL or a writable `out_val`, and NULL or a `buff`
    // readable for `buff_len` bytes during the call.
    unsafe { store(out_val, in_bytes(buff, buff_len).and_then(parse_u32)) }
}

/// Like `anj_string_to_uint32_value` for `uint64_t` (up to 20 digits).
///
/// # Safety
/// `out_val` is NULL (gives -1) or writable; `buff` is readable for `buff_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_string_to_uint64_value(
    out_val: *mut u64,
    buff: *const c_char,
    buff_len: usize,
) -> c_int {
    // SAFETY: the caller passes NULL or a writable `out_val`, and NULL or a `buff`
    // readable for `buff_len` bytes during the call.
    unsafe { store(out_val, in_bytes(buff, buff_len).and_then(parse_u64)) }
}

/// Like `anj_string_to_uint32_value` for `int64_t`, with an optional leading `+` or `-`.
///
/// # Safety
/// `out_val` is NULL (gives -1) or writable; `buff` is readable for `buff_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_string_to_int64_value(
    out_val: *mut i64,
    buff: *const c_char,
    buff_len: usize,
) -> c_int {
    // SAFETY: the caller passes NULL or a writable `out_val`, and NULL or a `buff`
    // readable for `buff_len` bytes during the call.
    unsafe { store(out_val, in_bytes(buff, buff_len).and_then(parse_i64)) }
}

/// Parses the NUL-terminated `"oid:iid"` into `*out`. Returns 0, or -1 if the text is not
/// an object link (or a pointer is NULL).
///
/// # Safety
/// `out` is NULL or writable; `objlnk` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn anj_string_to_objlnk_value(
    out: *mut anj_objlnk_value_t,
    objlnk: *const c_char,
) -> c_int {
    if objlnk.is_null() {
        return -1;
    }
    // SAFETY: non-NULL and NUL-terminated, per the caller.
    let text = unsafe { CStr::from_ptr(objlnk) }.to_bytes();
    // SAFETY: the caller passes NULL or an `out` writable for an object link.
    unsafe { store(out, parse_objlnk(text)) }
}

/// Parses `buff_len` bytes (no NUL needed) of a decimal number into `*out_val`. Returns 0,
/// or -1 for empty/overlong (over 24 characters) input, invalid characters, `inf`/`nan`,
/// or a value beyond the range of double.
///
/// # Safety
/// `out_val` is NULL (gives -1) or writable; `buff` is readable for `buff_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_string_to_double_value(
    out_val: *mut f64,
    buff: *const c_char,
    buff_len: usize,
) -> c_int {
    // SAFETY: the caller passes NULL or a writable `out_val`, and NULL or a `buff`
    // readable for `buff_len` bytes during the call.
    unsafe { store(out_val, in_bytes(buff, buff_len).and_then(parse_f64)) }
}

/// Writes `data` as upper-case hex followed by a NUL. Returns 0, or -1 if `out_buff` is
/// smaller than `2 * data_len + 1` bytes or a pointer is NULL.
///
/// # Safety
/// `out_buff` is NULL or writable for `out_buff_size` bytes; `data` is NULL or readable
/// for `data_len` bytes; the two do not overlap.
#[no_mangle]
pub unsafe extern "C" fn anj_hexlify(
    out_buff: *mut c_char,
    out_buff_size: usize,
    data: *const c_void,
    data_len: usize,
) -> c_int {
    if out_buff.is_null() {
        return -1;
    }
    // Only the bytes actually written are borrowed, so an oversized out_buff_size
    // (e.g. SIZE_MAX for "large enough") is harmless.
    let needed = match data_len.checked_mul(2).and_then(|n| n.checked_add(1)) {
        Some(n) if n <= out_buff_size && n <= isize::MAX as usize => n,
        _ => return -1,
    };
    // SAFETY: the caller passes NULL or a `data` readable for `data_len` bytes during
    // the call.
    let Some(input) = (unsafe { in_bytes(data.cast::<c_char>(), data_len) }) else {
        return -1;
    };
    // SAFETY: non-NULL, writable for out_buff_size >= needed bytes, and not overlapping
    // data (caller guarantee).
    let out = unsafe { core::slice::from_raw_parts_mut(out_buff.cast::<u8>(), needed) };
    match hexlify(out, input) {
        Some(_) => 0,
        None => -1,
    }
}

#[cfg(test)]
// The float literals are copied from Anjay Lite's tests on purpose, digits and all.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::anj_id_type_t::*;
    use super::*;

    fn f2s(v: f64) -> String {
        let mut buf = [0u8; DOUBLE_STR_MAX_LEN];
        let len = fmt_f64(&mut buf, v);
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    #[test]
    fn double_to_string() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (65535.0, "65535"),
            (u32::MAX as f64 - 0.02, "4294967294.98"),
            (u32::MAX as f64, "4294967295"),
            (u32::MAX as f64 + 1.0, "4294967296"),
            // Anjay Lite's own formatter prints "0.0005999999999999999" for this literal;
            // it is the same double as 0.0006, and the shortest text is preferred.
            (0.0005999999999999999, "0.0006"),
            (0.00000122, "0.00000122"),
            (0.000000002, "0.000000002"),
            (777.000760, "777.00076"),
            (10.022, "10.022"),
            (100.022, "100.022"),
            (1000.033, "1000.033"),
            (99999.03, "99999.03"),
            (999999999.4440002, "999999999.4440002"),
            (1234e15, "1234000000000000000"),
            (1e16, "10000000000000000"),
            (1000000000000001.0, "1000000000000001"),
            (2111e18, "2.111e+21"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-(u32::MAX as f64), "-4294967295"),
            (-10.022, "-10.022"),
            (-1234e15, "-1234000000000000000"),
            (-2111e18, "-2.111e+21"),
            (-124e-15, "-1.24e-13"),
            (-4568e-22, "-4.568e-19"),
            (1.0, "1"),
            (78e120, "7.8e+121"),
            (1e20, "1e+20"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-f64::MIN_POSITIVE, "-2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (1.2345678901234568e-10, "1.2345678901234568e-10"),
            (1.2345678901234568e-5, "0.000012345678901234568"),
            (1.2345678901234568e-9, "1.2345678901234568e-9"),
        ];
        for &(v, s) in cases {
            assert_eq!(f2s(v), s, "{v:e}");
        }
    }

    #[test]
    fn double_roundtrip() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..20000 {
            // xorshift over raw bit patterns: covers every magnitude.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            let s = f2s(v);
            assert!(
                !s.is_empty() && s.len() <= DOUBLE_STR_MAX_LEN,
                "{v:e} -> {s}"
            );
            if v.is_finite() {
                assert_eq!(
                    parse_f64(s.as_bytes()),
                    Some(if v == 0.0 { 0.0 } else { v }),
                    "{s}"
                );
            }
        }
        // Too small a buffer writes nothing.
        assert_eq!(fmt_f64(&mut [0u8; 3], 1234.5), 0);
    }

    #[test]
    fn string_to_double() {
        let ok: &[(&str, f64)] = &[
            ("0", 0.0),
            ("1", 1.0),
            ("-1", -1.0),
            ("+1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("0.0005999999999999999", 0.0005999999999999999),
            ("-0.000000002", -0.000000002),
            ("777.000760", 777.00076),
            ("999999999.4440002", 999999999.4440002),
            ("-1234000000000000000", -1234e15),
            ("1234e10", 1234e10),
            ("1234E10", 1234e10),
            ("1234e+10", 1234e10),
            ("-1234e-10", -1234e-10),
            ("-2.2250738585072014E-307", -2.2250738585072014E-307),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_f64(s.as_bytes()), Some(v), "{s}");
        }
        for s in [
            "",
            "-",
            "+",
            ".",
            "-.",
            "e10",
            "e+10",
            "-e10",
            "2e",
            "2e+",
            "2e-",
            "-2e",
            "2xe10",
            "2ex10",
            "1234ee10",
            "e",
            "20dd.4",
            " 1",
            "1 ",
            "inf",
            "nan",
            "-inf",
            "1e400",
            "0x10",
            "1.2.3",
            "1e5.5",
            "-2.22507385850720145E-308",
        ] {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn string_to_integers() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        for s in [
            "",
            "18446744073709551616",
            "99999999999999999999",
            "184467440737095516160",
            "b",
            "-1",
            "+1",
            "255b",
        ] {
            assert_eq!(parse_u64(s.as_bytes()), None, "{s}");
        }
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"0"), Some(0));
        for s in [
            "",
            "4294967296",
            "42949672951",
            "b",
            "-1",
            "123b5",
            "00000000001",
        ] {
            assert_eq!(parse_u32(s.as_bytes()), None, "{s}");
        }
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("+1", 1),
            ("-1", -1),
            ("-4294967296", -4294967296),
            ("9223372036854775807", i64::MAX),
            ("+9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_i64(s.as_bytes()), Some(v), "{s}");
        }
        for s in [
            "",
            "-",
            "+",
            "9223372036854775808",
            "92233720368547758070",
            "18446744073709551615",
            "-b",
            "-255b",
            "1-",
        ] {
            assert_eq!(parse_i64(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn integers_to_string() {
        let mut out = [0 as c_char; 20];
        let text = |out: &[c_char], len: usize| {
            out[..len]
                .iter()
                .map(|&c| c as u8 as char)
                .collect::<String>()
        };
        // SAFETY: out is a live local buffer of 20 bytes, enough for every call below.
        unsafe {
            let n = anj_uint16_to_string_value(out.as_mut_ptr(), u16::MAX);
            assert_eq!(text(&out, n), "65535");
            let n = anj_uint32_to_string_value(out.as_mut_ptr(), 0);
            assert_eq!(text(&out, n), "0");
            let n = anj_uint64_to_string_value(out.as_mut_ptr(), u64::MAX);
            assert_eq!(text(&out, n), "18446744073709551615");
            let n = anj_int64_to_string_value(out.as_mut_ptr(), i64::MIN);
            assert_eq!(text(&out, n), "-9223372036854775808");
            let n = anj_double_to_string_value(out.as_mut_ptr(), -10.022);
            assert_eq!(text(&out, n), "-10.022");
            assert_eq!(anj_int64_to_string_value(core::ptr::null_mut(), 5), 0);
        }
    }

    #[test]
    fn c_parsers() {
        let mut v32 = 7u32;
        let mut v64 = 7u64;
        let mut i64v = 7i64;
        let mut d = 7.0f64;
        let mut link = anj_objlnk_value_t { oid: 1, iid: 1 };
        // SAFETY: every pointer is a live local or a literal, lengths match.
        unsafe {
            assert_eq!(anj_string_to_uint32_value(&mut v32, c"123x".as_ptr(), 3), 0);
            assert_eq!(v32, 123);
            assert_eq!(
                anj_string_to_uint32_value(&mut v32, c"123x".as_ptr(), 4),
                -1
            );
            assert_eq!(v32, 123);
            assert_eq!(
                anj_string_to_uint32_value(&mut v32, core::ptr::null(), 0),
                -1
            );
            assert_eq!(
                anj_string_to_uint32_value(core::ptr::null_mut(), c"1".as_ptr(), 1),
                -1
            );
            assert_eq!(anj_string_to_uint64_value(&mut v64, c"42".as_ptr(), 2), 0);
            assert_eq!(v64, 42);
            assert_eq!(anj_string_to_int64_value(&mut i64v, c"-42".as_ptr(), 3), 0);
            assert_eq!(i64v, -42);
            assert_eq!(anj_string_to_double_value(&mut d, c"2.5e1".as_ptr(), 5), 0);
            assert_eq!(d, 25.0);
            assert_eq!(anj_string_to_objlnk_value(&mut link, c"3:0".as_ptr()), 0);
            assert_eq!(link, anj_objlnk_value_t { oid: 3, iid: 0 });
            assert_eq!(
                anj_string_to_objlnk_value(&mut link, c"65535:65535".as_ptr()),
                0
            );
            assert_eq!(
                link,
                anj_objlnk_value_t {
                    oid: 65535,
                    iid: 65535
                }
            );
            for bad in [
                c"65536:0",
                c"1:65536",
                c"1",
                c":1",
                c"1:",
                c"a:1",
                c"1:1:1",
                c"-1:1",
                c"",
                c"+3:0",
                c"3:+0",
                c"00000000003:0",
                c"3:00000000000",
            ] {
                assert_eq!(
                    anj_string_to_objlnk_value(&mut link, bad.as_ptr()),
                    -1,
                    "{bad:?}"
                );
            }
            assert_eq!(anj_string_to_objlnk_value(&mut link, core::ptr::null()), -1);
            // Ten digits per part (leading zeros included) are the most there may be.
            assert_eq!(
                anj_string_to_objlnk_value(&mut link, c"0000000003:0000000007".as_ptr()),
                0
            );
            assert_eq!(link, anj_objlnk_value_t { oid: 3, iid: 7 });
        }
    }

    #[test]
    fn hex() {
        let mut out = [0x55 as c_char; 7];
        let data = [0x00u8, 0xAB, 0x7f];
        // SAFETY: live local buffers with the sizes passed.
        unsafe {
            assert_eq!(anj_hexlify(out.as_mut_ptr(), 7, data.as_ptr().cast(), 3), 0);
            assert_eq!(CStr::from_ptr(out.as_ptr()).to_str().unwrap(), "00AB7F");
            assert_eq!(
                anj_hexlify(out.as_mut_ptr(), 6, data.as_ptr().cast(), 3),
                -1
            );
            assert_eq!(anj_hexlify(out.as_mut_ptr(), 1, core::ptr::null(), 0), 0);
            assert_eq!(out[0], 0);
            assert_eq!(anj_hexlify(out.as_mut_ptr(), 0, core::ptr::null(), 0), -1);
            assert_eq!(anj_hexlify(out.as_mut_ptr(), 7, core::ptr::null(), 3), -1);
            assert_eq!(
                anj_hexlify(core::ptr::null_mut(), 7, data.as_ptr().cast(), 3),
                -1
            );
            assert_eq!(
                anj_hexlify(
                    out.as_mut_ptr(),
                    usize::MAX,
                    data.as_ptr().cast(),
                    usize::MAX
                ),
                -1
            );
            assert_eq!(
                anj_hexlify(out.as_mut_ptr(), usize::MAX, data.as_ptr().cast(), 3),
                0
            );
            let mut v = 0u64;
            assert_eq!(
                anj_string_to_uint64_value(&mut v, c"1".as_ptr(), usize::MAX),
                -1
            );
        }
    }

    #[test]
    fn block_size() {
        for (input, want) in [
            (0, 0),
            (15, 0),
            (16, 16),
            (31, 16),
            (32, 32),
            (1000, 512),
            (1023, 512),
            (1024, 1024),
            (5000, 1024),
            (usize::MAX, 1024),
        ] {
            assert_eq!(anj_determine_block_buffer_size(input), want, "{input}");
        }
    }

    #[test]
    fn paths() {
        let root = anj_uri_path_t::root();
        let obj = anj_uri_path_t::object(3);
        let inst = anj_uri_path_t::instance(3, 0);
        let res = anj_uri_path_t::resource(3, 0, 1);
        let ri = anj_uri_path_t::resource_instance(3, 0, 1, 2);
        assert_eq!(res.ids(), &[3, 0, 1]);
        assert_eq!(anj_uri_path_t::from_ids(&[3, 0, 1]), Some(res));
        assert_eq!(anj_uri_path_t::from_ids(&[1, 2, 3, 4, 5]), None);
        assert_eq!(res.len(), 3);
        assert_eq!(res.id(ANJ_ID_RID), Some(1));
        assert_eq!(res.id(ANJ_ID_RIID), None);
        assert_eq!(ri.parent(), res);
        assert_eq!(root.parent(), root);
        assert!(root.is_prefix_of(&ri) && inst.is_prefix_of(&res) && res.is_prefix_of(&res));
        assert!(!res.is_prefix_of(&inst) && !anj_uri_path_t::object(4).is_prefix_of(&res));
        let mut garbage = res;
        garbage.ids[3] = 77;
        assert_eq!(garbage, res);
        garbage.uri_len = 99;
        assert_eq!(garbage.len(), 4);
        assert_eq!(ri.to_string(), "/3/0/1/2");
        assert_eq!(root.to_string(), "/");

        // SAFETY: every pointer is to a live local path (or NULL, which is allowed).
        unsafe {
            assert!(anj_uri_path_equal(&res, &res));
            assert!(!anj_uri_path_equal(&res, &inst));
            assert!(!anj_uri_path_equal(&res, core::ptr::null()));
            assert_eq!(anj_uri_path_length(&ri), 4);
            assert_eq!(anj_uri_path_length(&root), 0);
            assert!(anj_uri_path_has(&inst, ANJ_ID_OID) && anj_uri_path_has(&inst, ANJ_ID_IID));
            assert!(!anj_uri_path_has(&inst, ANJ_ID_RID));
            assert!(anj_uri_path_is(&inst, ANJ_ID_IID) && !anj_uri_path_is(&inst, ANJ_ID_OID));
            assert!(anj_uri_path_is(&ri, ANJ_ID_RIID));
            assert!(!anj_uri_path_outside_base(&res, &inst));
            assert!(!anj_uri_path_outside_base(&res, &res));
            assert!(!anj_uri_path_outside_base(&res, &root));
            assert!(anj_uri_path_outside_base(&inst, &res));
            assert!(anj_uri_path_outside_base(
                &anj_uri_path_t::resource(3, 1, 1),
                &inst
            ));
            assert!(anj_uri_path_increasing(&inst, &res));
            assert!(anj_uri_path_increasing(
                &res,
                &anj_uri_path_t::resource(3, 0, 2)
            ));
            assert!(anj_uri_path_increasing(&ri, &anj_uri_path_t::object(4)));
            assert!(!anj_uri_path_increasing(&res, &res));
            assert!(!anj_uri_path_increasing(&res, &inst));
            assert!(!anj_uri_path_increasing(&anj_uri_path_t::object(4), &ri));
            assert!(anj_uri_path_increasing(&root, &obj));
        }
    }
}
