//! The Device Management operations (LwM2M 1.1 TS Core §6.3) over one [`Object`]: Read,
//! Discover, Write, Execute, Create and Delete, with the access rules and error codes of
//! the specification.
//!
//! Each function works on one object and a path inside it; finding the object of a path,
//! the access rules between objects (the Security object is out of the server's reach)
//! and the transactions that span objects are the caller's. The functions are generic,
//! so they work on any [`Object`], and on `dyn Object`.

use crate::dm::object::{Object, Resource, WriteValue};
use crate::dm::{DmError, DmResult};
use crate::io::format::AnyEncoder;
use crate::io::value::{DataType, Encoder, Entry, IoError, Path, Value};

/// The ID that names no instance.
const ID_INVALID: u16 = u16::MAX;

/// Maps an encoder error of a response: a value the format cannot carry is 4.06, a
/// response larger than the payload buffer 4.13 (the caller goes block-wise), anything
/// else 5.00.
pub fn io_error(e: IoError) -> DmError {
    match e {
        IoError::Unsupported => DmError::NOT_ACCEPTABLE,
        IoError::BufferTooSmall => DmError::TOO_LARGE,
        _ => DmError::INTERNAL,
    }
}

/// Whether `oid` is out of the server's reach: the Security object and OSCORE are only
/// for the Bootstrap-Server (LwM2M 1.1 TS Core §6.3, "Device Management").
pub fn is_protected(oid: u16) -> bool {
    oid == 0 || oid == 21
}

/// Checks that the instance, resource and resource instance `path` names exist in `obj`
/// (4.04 if one does not). The object ID is not checked.
pub fn check_exists<O: Object + ?Sized>(obj: &O, path: &Path) -> DmResult<()> {
    lookup(obj, path).map(|_| ())
}

/// [`check_exists`], giving the description of the resource `path` names (`None` above
/// the resource level), so that the checks that follow need not look it up again.
#[inline]
pub fn lookup<O: Object + ?Sized>(obj: &O, path: &Path) -> DmResult<Option<Resource>> {
    let ids = path.as_slice();
    let Some(&iid) = ids.get(1) else {
        return Ok(None);
    };
    if !obj.has_instance(iid) {
        return Err(DmError::NOT_FOUND);
    }
    let Some(&rid) = ids.get(2) else {
        return Ok(None);
    };
    let res = obj.find_resource(iid, rid).ok_or(DmError::NOT_FOUND)?;
    if let Some(&riid) = ids.get(3) {
        if !res.kind.multiple() || !obj.has_resource_instance(iid, rid, riid) {
            return Err(DmError::NOT_FOUND);
        }
    }
    Ok(Some(res))
}

/* ---------------------------------------- read ---------------------------------------- */

/// Calls `f` with every readable value under `path` in `obj` (its resource, instance ID
/// and resource-instance ID), in path order; see [`read_each`].
pub fn walk_readable<O, F>(obj: &mut O, path: &Path, mut f: F) -> DmResult<()>
where
    O: Object + ?Sized,
    F: FnMut(&mut O, &Resource, u16, Option<u16>) -> DmResult<()>,
{
    let ids = path.as_slice();
    let (want_rid, want_riid) = (ids.get(2).copied(), ids.get(3).copied());
    // IDs are unique in their lists, so a named instance is looked up rather than
    // searched for in the listing (a missing one has no resources: nothing to walk).
    // Positions, not references: an object may change its tables while it is read.
    if let Some(&iid) = ids.get(1) {
        return walk_instance(obj, iid, want_rid, want_riid, &mut f);
    }
    let mut i = 0;
    while let Some(iid) = obj.instance_id(i) {
        i += 1;
        walk_instance(obj, iid, None, None, &mut f)?;
    }
    Ok(())
}

/// [`walk_readable`] in instance `iid`: resource `want_rid` only, when it is given.
#[inline(always)]
fn walk_instance<O, F>(
    obj: &mut O,
    iid: u16,
    want_rid: Option<u16>,
    want_riid: Option<u16>,
    f: &mut F,
) -> DmResult<()>
where
    O: Object + ?Sized,
    F: FnMut(&mut O, &Resource, u16, Option<u16>) -> DmResult<()>,
{
    if let Some(rid) = want_rid {
        return match obj.find_resource(iid, rid) {
            Some(res) if !res.kind.readable() => Err(DmError::METHOD_NOT_ALLOWED),
            Some(res) => walk_resource(obj, iid, &res, want_riid, f),
            None => Ok(()),
        };
    }
    let mut r = 0;
    while let Some(res) = obj.resource(iid, r) {
        r += 1;
        if res.kind.readable() {
            walk_resource(obj, iid, &res, None, f)?;
        }
    }
    Ok(())
}

/// [`walk_readable`] on readable resource `res` of instance `iid`: resource instance
/// `want_riid` only, when it is given (and the resource is a multi-instance one).
#[inline(always)]
fn walk_resource<O, F>(
    obj: &mut O,
    iid: u16,
    res: &Resource,
    want_riid: Option<u16>,
    f: &mut F,
) -> DmResult<()>
where
    O: Object + ?Sized,
    F: FnMut(&mut O, &Resource, u16, Option<u16>) -> DmResult<()>,
{
    if !res.kind.multiple() {
        return f(obj, res, iid, None);
    }
    if let Some(riid) = want_riid {
        if obj.has_resource_instance(iid, res.rid, riid) {
            f(obj, res, iid, Some(riid))?;
        }
        return Ok(());
    }
    let mut k = 0;
    while let Some(riid) = obj.resource_instance_id(iid, res.rid, k) {
        k += 1;
        f(obj, res, iid, Some(riid))?;
    }
    Ok(())
}

/// Reads the resource (instance) at `path` and hands its value to `enc`; the value of
/// an external resource is streamed from [`Object::read_external`] into the encoder.
pub fn encode_value<O: Object + ?Sized>(
    obj: &mut O,
    res: &Resource,
    path: &Path,
    enc: &mut AnyEncoder<'_>,
) -> DmResult<()> {
    let ids = path.as_slice();
    let iid = ids.get(1).copied().unwrap_or(ID_INVALID);
    encode_at(obj, res, iid, ids.get(3).copied(), path, enc)
}

/// [`encode_value`] with the instance and resource-instance IDs of `path` at hand.
#[inline(always)]
fn encode_at<O: Object + ?Sized>(
    obj: &mut O,
    res: &Resource,
    iid: u16,
    riid: Option<u16>,
    path: &Path,
    enc: &mut AnyEncoder<'_>,
) -> DmResult<()> {
    #[cfg(feature = "external-data")]
    if res.external {
        let src = obj.read_external(iid, res.rid, riid)?;
        return enc.streamed(path, res.data_type, src).map_err(io_error);
    }
    let v = obj.read(iid, res, riid)?;
    enc.entry(&Entry::new(*path, v)).map_err(io_error)
}

/// Encodes every readable value under `path` (an object, instance, resource or resource
/// instance of `obj`) into `enc`, in path order. A single resource that is not readable
/// is 4.05; unreadable ones are skipped at higher levels (LwM2M 1.1 TS Core §6.3.1).
/// Encoder errors map as [`io_error`] says.
pub fn read_each<O: Object + ?Sized>(
    obj: &mut O,
    path: &Path,
    enc: &mut AnyEncoder<'_>,
) -> DmResult<()> {
    let oid = obj.oid();
    walk_readable(obj, path, |obj, res, iid, riid| {
        let p = match riid {
            Some(riid) => Path::new(&[oid, iid, res.rid, riid]),
            None => Path::new(&[oid, iid, res.rid]),
        };
        encode_at(obj, res, iid, riid, &p, enc)
    })
}

/// How many values [`read_each`] would encode for `path` (the same walk, with the same
/// errors, without reading a value): the record count of a definite-length SenML CBOR
/// pack.
pub fn count_readable<O: Object + ?Sized>(obj: &mut O, path: &Path) -> DmResult<usize> {
    let ids = path.as_slice();
    let (want_rid, want_riid) = (ids.get(2).copied(), ids.get(3).copied());
    // The walk of `walk_readable`, except that the instances of a multi-instance
    // resource are counted at once ([`Object::resource_instance_count`]).
    let count_res = |obj: &O, iid: u16, res: &Resource| match (res.kind.multiple(), want_riid) {
        (false, _) => 1,
        (true, Some(riid)) => usize::from(obj.has_resource_instance(iid, res.rid, riid)),
        (true, None) => obj.resource_instance_count(iid, res.rid),
    };
    let count_inst = |obj: &O, iid: u16| -> DmResult<usize> {
        if let Some(rid) = want_rid {
            return match obj.find_resource(iid, rid) {
                Some(res) if !res.kind.readable() => Err(DmError::METHOD_NOT_ALLOWED),
                Some(res) => Ok(count_res(obj, iid, &res)),
                None => Ok(0),
            };
        }
        let mut n = 0;
        let mut r = 0;
        while let Some(res) = obj.resource(iid, r) {
            r += 1;
            if res.kind.readable() {
                n += count_res(obj, iid, &res);
            }
        }
        Ok(n)
    };
    if let Some(&iid) = ids.get(1) {
        // A missing instance has no resources: 0.
        return count_inst(obj, iid);
    }
    let mut n = 0;
    let mut i = 0;
    while let Some(iid) = obj.instance_id(i) {
        i += 1;
        n += count_inst(obj, iid)?;
    }
    Ok(n)
}

/// Whether a resource has a value a Read returns.
fn res_readable<O: Object + ?Sized>(obj: &O, iid: u16, res: &Resource) -> bool {
    res.kind.readable()
        && (!res.kind.multiple() || obj.resource_instance_id(iid, res.rid, 0).is_some())
}

/// Whether instance `iid` has a value a Read returns.
pub fn instance_readable<O: Object + ?Sized>(obj: &O, iid: u16) -> bool {
    (0..)
        .map_while(|i| obj.resource(iid, i))
        .any(|r| res_readable(obj, iid, &r))
}

/// Whether the object has a value a Read returns.
pub fn object_readable<O: Object + ?Sized>(obj: &O) -> bool {
    (0..)
        .map_while(|i| obj.instance_id(i))
        .any(|iid| instance_readable(obj, iid))
}

/// Whether `path` (existing, in `obj`) has anything a Read would return: 4.05 when not.
pub fn check_readable<O: Object + ?Sized>(obj: &O, path: &Path) -> DmResult<()> {
    let ok = match *path.as_slice() {
        [] | [_] => object_readable(obj),
        [_, iid] => obj.has_instance(iid) && instance_readable(obj, iid),
        [_, iid, rid, ..] => obj
            .find_resource(iid, rid)
            .is_some_and(|r| r.kind.readable()),
    };
    if ok {
        Ok(())
    } else {
        Err(DmError::METHOD_NOT_ALLOWED)
    }
}

/// Reads the value of the resource (instance) at `path` in `obj`, as the client itself
/// sees it: 4.00 above the resource level, 4.04 for what does not exist, 4.05 for an
/// executable resource. The value borrows from `obj`.
pub fn read_value<'o, O: Object + ?Sized>(obj: &'o mut O, path: &Path) -> DmResult<Value<'o>> {
    let ids = path.as_slice();
    let (iid, rid) = match ids {
        [_, iid, rid, ..] => (*iid, *rid),
        _ => return Err(DmError::BAD_REQUEST),
    };
    let res = obj.find_resource(iid, rid).ok_or(DmError::NOT_FOUND)?;
    if res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let riid = match (res.kind.multiple(), ids.get(3)) {
        (true, Some(&riid)) if obj.has_resource_instance(iid, rid, riid) => Some(riid),
        (false, None) => None,
        _ => return Err(DmError::NOT_FOUND),
    };
    #[cfg(feature = "external-data")]
    if res.external {
        // Not streamed here: read as an empty value of its type.
        return Ok(match res.data_type {
            DataType::String => Value::String(""),
            _ => Value::Bytes(&[]),
        });
    }
    obj.read(iid, &res, riid)
}

/// The type of the resource at `path` (resource or resource-instance level), for decoders
/// of formats that do not carry types. The resource instance need not exist yet.
pub fn resource_type<O: Object + ?Sized>(obj: &O, path: &Path) -> Option<DataType> {
    let ids = path.as_slice();
    let res = obj.find_resource(*ids.get(1)?, *ids.get(2)?)?;
    Some(res.data_type)
}

/// Whether the resource at `path` (resource level) is a multi-instance one.
pub fn is_multiple<O: Object + ?Sized>(obj: &O, path: &Path) -> bool {
    let ids = path.as_slice();
    match (ids.get(1), ids.get(2)) {
        (Some(&iid), Some(&rid)) => obj
            .find_resource(iid, rid)
            .is_some_and(|r| r.kind.multiple()),
        _ => false,
    }
}

/* --------------------------------------- writes --------------------------------------- */

/// Which operation a written entry belongs to; the rules differ slightly.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WriteKind {
    /// Write-Replace (PUT, §6.3.3).
    Replace,
    /// Write-Partial-Update (POST on an Instance or a Multiple-Instance Resource).
    Partial,
    /// The values of a Create (§6.3.7).
    Create,
    /// Write-Composite (iPATCH, §6.3.8): a null value deletes a Resource Instance.
    Composite,
    /// Bootstrap-Write (§6.1.7.4): every resource but the executable ones is writable.
    Bootstrap,
}

/// Whether the resource at `path` (resource or resource instance level, existing in
/// `obj`) may be written: 4.04 when it does not exist, 4.05 when it is not writable.
pub fn check_writable<O: Object + ?Sized>(obj: &O, path: &Path) -> DmResult<()> {
    let ids = path.as_slice();
    let (Some(&iid), Some(&rid)) = (ids.get(1), ids.get(2)) else {
        return Err(DmError::METHOD_NOT_ALLOWED);
    };
    let res = obj.find_resource(iid, rid).ok_or(DmError::NOT_FOUND)?;
    if res.kind.writable() {
        Ok(())
    } else {
        Err(DmError::METHOD_NOT_ALLOWED)
    }
}

fn type_matches(t: DataType, v: &Value<'_>) -> bool {
    matches!(
        (t, v),
        (DataType::Bytes, Value::Bytes(_))
            | (DataType::String, Value::String(_))
            | (DataType::Int, Value::Int(_))
            | (DataType::Uint, Value::Uint(_))
            | (DataType::Double, Value::Double(_))
            | (DataType::Bool, Value::Bool(_))
            | (DataType::Objlnk, Value::Objlnk { .. })
            | (DataType::Time, Value::Time(_))
    )
}

/// Writes one decoded entry of a request whose path is `base`, creating the resource
/// instance it names if needed. Unknown resources in a write to an Object or Object
/// Instance are skipped, as LwM2M 1.1 TS Core §6.3.3 requires ("any optional Resources
/// that are not supported ... MUST NOT be interpreted as an error"). A chunk
/// ([`WriteValue::Chunk`]) is checked as an empty value of its type, so every chunk of a
/// value gets the same answer.
pub fn write_entry<O: Object + ?Sized>(
    obj: &mut O,
    base: &Path,
    path: &Path,
    value: &WriteValue<'_>,
    kind: WriteKind,
) -> DmResult<()> {
    let ids = path.as_slice();
    let (iid, rid) = match ids {
        [_, iid, rid] | [_, iid, rid, _] => (*iid, *rid),
        _ => return Err(DmError::BAD_REQUEST),
    };
    if !base.is_prefix_of(path) || ids[0] != obj.oid() {
        return Err(DmError::BAD_REQUEST);
    }
    let typed = match *value {
        WriteValue::Whole(v) => v,
        WriteValue::Chunk { text: true, .. } => Value::String(""),
        WriteValue::Chunk { text: false, .. } => Value::Bytes(&[]),
    };
    let ignore_unknown = base.len() < 3 && kind != WriteKind::Composite;
    if !obj.has_instance(iid) {
        return Err(DmError::NOT_FOUND);
    }
    let Some(res) = obj.find_resource(iid, rid) else {
        // Write-Composite (no such clause in §6.3.8), as in Anjay Lite: an unknown
        // resource of an existing instance is skipped, unless its value is a number,
        // whose type (Integer, Unsigned, Float, Time) only the resource could tell.
        // A null value (deletion) names a Resource Instance, whatever the resource.
        if kind == WriteKind::Composite && matches!(typed, Value::Null) && ids.len() == 3 {
            return Err(DmError::BAD_REQUEST);
        }
        let skip_in_composite = kind == WriteKind::Composite
            && !matches!(typed, Value::Int(_) | Value::Uint(_) | Value::Double(_));
        return if ignore_unknown || skip_in_composite {
            Ok(())
        } else {
            Err(DmError::NOT_FOUND)
        };
    };
    let riid = ids.get(3).copied();
    if matches!(typed, Value::Null) {
        // Write-Composite: a record without a value removes a Resource Instance
        // (LwM2M 1.2 TS Core §6.3.8; Anjay Lite does the same on 1.1).
        return match (kind, riid) {
            (WriteKind::Composite, Some(riid)) if res.kind.multiple() => {
                if obj.has_resource_instance(iid, rid, riid) {
                    obj.delete_resource_instance(iid, rid, riid)
                } else {
                    Ok(())
                }
            }
            _ => Err(DmError::BAD_REQUEST),
        };
    }
    let writable = match kind {
        WriteKind::Bootstrap => !res.kind.executable(),
        _ => res.kind.writable(),
    };
    if !writable {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    if !type_matches(res.data_type, &typed) {
        return Err(DmError::BAD_REQUEST);
    }
    if res.kind.multiple() != riid.is_some() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    if let Some(riid) = riid {
        if !obj.has_resource_instance(iid, rid, riid) {
            if obj.resource_instance_count(iid, rid) >= usize::from(res.max_instances) {
                // No slot for another instance (Anjay Lite answers 5.00 too).
                return Err(DmError::INTERNAL);
            }
            obj.create_resource_instance(iid, rid, riid)?;
        }
    }
    match obj.write(iid, rid, riid, value) {
        Err(DmError::NOT_FOUND | DmError::NOT_IMPLEMENTED) if ignore_unknown => Ok(()),
        r => r,
    }
}

/// The first step of a Write-Replace (§6.3.3) of `path`: an Object Instance is reset
/// ([`Object::reset_instance`]); a Multiple-Instance Resource loses all its instances
/// before the payload recreates the ones it names.
pub fn replace_prepare<O: Object + ?Sized>(obj: &mut O, path: &Path) -> DmResult<()> {
    match *path.as_slice() {
        [_, iid] => obj.reset_instance(iid),
        [_, iid, rid] => {
            let Some(res) = obj.find_resource(iid, rid) else {
                return Err(DmError::NOT_FOUND);
            };
            if !res.kind.multiple() {
                return Ok(());
            }
            if !res.kind.writable() {
                return Err(DmError::METHOD_NOT_ALLOWED);
            }
            clear_res_instances(obj, iid, rid)
        }
        _ => Ok(()),
    }
}

/// Deletes every instance of Multiple-Instance Resource /obj/iid/rid: a Replace of the
/// resource, or a Bootstrap-Write that names it, recreates the ones its payload gives.
pub fn clear_res_instances<O: Object + ?Sized>(obj: &mut O, iid: u16, rid: u16) -> DmResult<()> {
    if obj.find_resource(iid, rid).is_none() {
        return Err(DmError::NOT_FOUND);
    }
    let count = obj.resource_instance_count(iid, rid);
    for _ in 0..count {
        let Some(first) = obj.resource_instance_id(iid, rid, 0) else {
            break;
        };
        obj.delete_resource_instance(iid, rid, first)?;
    }
    Ok(())
}

/* ----------------------------------- create / delete ----------------------------------- */

/// The checks of a Create (§6.3.7) with `iid`, or the lowest free IID when `None`, done
/// before the object's transaction begins: 5.00 when the object is full, 4.00 if the
/// IID exists (or is 65535), 4.05 when the object cannot create instances. Returns the
/// IID to create ([`create_instance`]).
pub fn create_check<O: Object + ?Sized>(obj: &O, iid: Option<u16>) -> DmResult<u16> {
    if obj.instance_count() >= usize::from(obj.max_instances()) {
        return Err(DmError::INTERNAL);
    }
    let iid = match iid {
        Some(ID_INVALID) => return Err(DmError::BAD_REQUEST),
        Some(i) if obj.has_instance(i) => return Err(DmError::BAD_REQUEST),
        Some(i) => i,
        // The lowest IID not in use (Anjay Lite picks the same one).
        None => (0..ID_INVALID)
            .find(|i| !obj.has_instance(*i))
            .ok_or(DmError::INTERNAL)?,
    };
    if !obj.can_create_instances() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    Ok(iid)
}

/// Creates instance `iid` (checked by [`create_check`]): 5.00 if the object does not
/// list it afterwards.
pub fn create_instance<O: Object + ?Sized>(obj: &mut O, iid: u16) -> DmResult<()> {
    obj.create_instance(iid)?;
    if !obj.has_instance(iid) {
        return Err(DmError::INTERNAL);
    }
    Ok(())
}

/// Delete (§6.3.9 in 1.1, §6.3.10 in 1.2) of an Object Instance or a Resource Instance;
/// other levels are 4.05. A missing instance, resource or resource instance, or a
/// resource that is not multi-instance, is 4.04; whether the resource is writable is
/// left to the object.
pub fn delete<O: Object + ?Sized>(obj: &mut O, path: &Path) -> DmResult<()> {
    match *path.as_slice() {
        [_, iid] => {
            if !obj.has_instance(iid) {
                return Err(DmError::NOT_FOUND);
            }
            obj.delete_instance(iid)
        }
        [_, iid, rid, riid] => {
            let res = obj.find_resource(iid, rid).ok_or(DmError::NOT_FOUND)?;
            if !res.kind.multiple() || !obj.has_resource_instance(iid, rid, riid) {
                return Err(DmError::NOT_FOUND);
            }
            obj.delete_resource_instance(iid, rid, riid)
        }
        _ => Err(DmError::METHOD_NOT_ALLOWED),
    }
}

/* -------------------------------------- execute -------------------------------------- */

/// Checks Execute arguments against LwM2M 1.1 TS Core §5.4.1 ("Execute Operation"):
/// `arglist = arg *("," arg)`, `arg = DIGIT / DIGIT "=" "'" *CHAR "'"`, with
/// `CHAR = "!" / %x23-26 / %x28-5B / %x5D-7E`. An empty payload is no argument.
pub fn valid_execute_args(arg: &[u8]) -> bool {
    if arg.is_empty() {
        return true;
    }
    let is_char = |c: u8| matches!(c, 0x21 | 0x23..=0x26 | 0x28..=0x5B | 0x5D..=0x7E);
    let mut i = 0;
    loop {
        match arg.get(i) {
            Some(d) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        if arg.get(i) == Some(&b'=') {
            if arg.get(i + 1) != Some(&b'\'') {
                return false;
            }
            i += 2;
            while arg.get(i).is_some_and(|&c| is_char(c)) {
                i += 1;
            }
            if arg.get(i) != Some(&b'\'') {
                return false;
            }
            i += 1;
        }
        match arg.get(i) {
            None => return true,
            Some(b',') => i += 1,
            Some(_) => return false,
        }
    }
}

/// Execute on a resource (LwM2M 1.1 TS Core §6.3.5): 4.05 unless `path` is an
/// executable resource, 4.00 for arguments that break the §5.4.1 syntax.
pub fn execute<O: Object + ?Sized>(obj: &mut O, path: &Path, arg: &[u8]) -> DmResult<()> {
    let (iid, rid) = match *path.as_slice() {
        [_, iid, rid] => (iid, rid),
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    };
    let res = obj.find_resource(iid, rid).ok_or(DmError::NOT_FOUND)?;
    if !res.kind.executable() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    if !valid_execute_args(arg) {
        return Err(DmError::BAD_REQUEST);
    }
    obj.execute(iid, rid, arg)
}

/* -------------------------------------- discover -------------------------------------- */

/// One record of a Discover response: the path, the Object version (Object records) and
/// `dim` (Multiple-Instance Resources).
pub struct DiscoverItem<'a> {
    pub path: Path,
    pub version: Option<&'a str>,
    pub dim: Option<u16>,
}

/// The default `depth` of a Discover (LwM2M 1.1 TS Core §6.3.6): an Object lists its
/// Instances and their Resources (2), an Instance its Resources (1), a Resource its
/// Resource Instances (1).
pub fn default_depth(path: &Path) -> u8 {
    if path.len() == 1 {
        2
    } else {
        1
    }
}

/// Visits the link-format records of a Discover on `path` in `obj` down to `depth`
/// levels below it (0..=3; `None` is the default).
pub fn discover_each<O, F>(obj: &O, path: &Path, depth: Option<u8>, mut f: F) -> DmResult<()>
where
    O: Object + ?Sized,
    F: FnMut(DiscoverItem<'_>) -> DmResult<()>,
{
    let base = *path;
    let ids = base.as_slice();
    let depth = depth.unwrap_or_else(|| default_depth(&base));
    let within = |level: usize| level >= ids.len() && level - ids.len() <= usize::from(depth);
    let oid = obj.oid();
    if ids.len() == 1 {
        f(DiscoverItem {
            path: base,
            version: obj.version(),
            dim: None,
        })?;
    }
    for iid in (0..).map_while(|i| obj.instance_id(i)) {
        if ids.get(1).is_some_and(|&i| i != iid) {
            continue;
        }
        if within(2) {
            f(DiscoverItem {
                path: Path::new(&[oid, iid]),
                version: None,
                dim: None,
            })?;
        }
        for res in (0..).map_while(|r| obj.resource(iid, r)) {
            if ids.get(2).is_some_and(|&r| r != res.rid) {
                continue;
            }
            let multiple = res.kind.multiple();
            if within(3) {
                f(DiscoverItem {
                    path: Path::new(&[oid, iid, res.rid]),
                    version: None,
                    dim: multiple.then(|| obj.resource_instance_count(iid, res.rid) as u16),
                })?;
            }
            if multiple && within(4) {
                for riid in (0..).map_while(|k| obj.resource_instance_id(iid, res.rid, k)) {
                    f(DiscoverItem {
                        path: Path::new(&[oid, iid, res.rid, riid]),
                        version: None,
                        dim: None,
                    })?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "senml-json", feature = "plaintext"))]
mod tests {
    use super::*;
    use crate::dm::object::ResKind;
    use crate::io::format::{SENML_JSON, TEXT};

    /// A plain Rust object: /3303 with instances 0 and 2, each with a readable Double
    /// (5700), a writable String (5701, "unit"), a read-write multi-instance Int (5702)
    /// and an executable (5605, "reset").
    struct Sensor {
        insts: [(u16, f64, [u8; 8], usize); 2],
        multi: [Option<i64>; 3],
        executed: Option<(u16, [u8; 16], usize)>,
        txn: i32,
    }

    const RES: [Resource; 4] = [
        Resource::new(5605, ResKind::E, DataType::Null),
        Resource::new(5700, ResKind::R, DataType::Double),
        Resource::new(5701, ResKind::RW, DataType::String),
        Resource {
            max_instances: 3,
            ..Resource::new(5702, ResKind::RWM, DataType::Int)
        },
    ];

    impl Sensor {
        fn new() -> Sensor {
            Sensor {
                insts: [
                    (0, 21.5, *b"Cel\0\0\0\0\0", 3),
                    (2, -4.0, *b"K\0\0\0\0\0\0\0", 1),
                ],
                multi: [Some(7), None, Some(9)],
                executed: None,
                txn: 0,
            }
        }
        fn inst(&mut self, iid: u16) -> DmResult<&mut (u16, f64, [u8; 8], usize)> {
            self.insts
                .iter_mut()
                .find(|i| i.0 == iid)
                .ok_or(DmError::NOT_FOUND)
        }
    }

    impl Object for Sensor {
        fn oid(&self) -> u16 {
            3303
        }
        fn version(&self) -> Option<&str> {
            Some("1.1")
        }
        fn instance_id(&self, index: usize) -> Option<u16> {
            self.insts.get(index).map(|i| i.0)
        }
        fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
            self.insts.iter().find(|i| i.0 == iid)?;
            RES.get(index).copied()
        }
        fn resource_instance_id(&self, _iid: u16, rid: u16, index: usize) -> Option<u16> {
            if rid != 5702 {
                return None;
            }
            (0u16..3)
                .filter(|&k| self.multi[usize::from(k)].is_some())
                .nth(index)
        }
        fn read(&mut self, iid: u16, res: &Resource, riid: Option<u16>) -> DmResult<Value<'_>> {
            let multi = self.multi;
            let i = self.inst(iid)?;
            match (res.rid, riid) {
                (5700, None) => Ok(Value::Double(i.1)),
                (5701, None) => Ok(Value::String(
                    core::str::from_utf8(&i.2[..i.3]).map_err(|_| DmError::INTERNAL)?,
                )),
                (5702, Some(k)) => multi
                    .get(usize::from(k))
                    .copied()
                    .flatten()
                    .map(Value::Int)
                    .ok_or(DmError::NOT_FOUND),
                _ => Err(DmError::NOT_FOUND),
            }
        }
        fn write(
            &mut self,
            iid: u16,
            rid: u16,
            riid: Option<u16>,
            value: &WriteValue<'_>,
        ) -> DmResult<()> {
            match (rid, riid, *value) {
                (5701, None, WriteValue::Whole(Value::String(s))) => {
                    let i = self.inst(iid)?;
                    let dst = i.2.get_mut(..s.len()).ok_or(DmError::BAD_REQUEST)?;
                    dst.copy_from_slice(s.as_bytes());
                    i.3 = s.len();
                    Ok(())
                }
                (5702, Some(k), WriteValue::Whole(Value::Int(v))) => {
                    *self
                        .multi
                        .get_mut(usize::from(k))
                        .ok_or(DmError::NOT_FOUND)? = Some(v);
                    Ok(())
                }
                _ => Err(DmError::BAD_REQUEST),
            }
        }
        fn create_resource_instance(&mut self, _iid: u16, _rid: u16, riid: u16) -> DmResult<()> {
            let slot = self
                .multi
                .get_mut(usize::from(riid))
                .ok_or(DmError::INTERNAL)?;
            *slot = Some(0);
            Ok(())
        }
        fn execute(&mut self, iid: u16, rid: u16, arg: &[u8]) -> DmResult<()> {
            let mut a = [0u8; 16];
            a.get_mut(..arg.len())
                .ok_or(DmError::BAD_REQUEST)?
                .copy_from_slice(arg);
            self.executed = Some((iid * 10000 + rid, a, arg.len()));
            Ok(())
        }
        fn transaction_begin(&mut self) -> DmResult<()> {
            self.txn += 1;
            Ok(())
        }
    }

    fn read_json(obj: &mut dyn Object, path: &Path) -> DmResult<std::string::String> {
        let mut buf = [0u8; 512];
        let mut enc = AnyEncoder::new(SENML_JSON, path, &mut buf).map_err(io_error)?;
        read_each(obj, path, &mut enc)?;
        let n = enc.finish().map_err(io_error)?;
        Ok(std::string::String::from_utf8(buf[..n].to_vec()).unwrap())
    }

    #[test]
    fn read_of_an_instance_encodes_every_readable_value() {
        let mut s = Sensor::new();
        let json = read_json(&mut s, &Path::new(&[3303, 0])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let recs = v.as_array().unwrap();
        // The executable resource is skipped; 5702 gives its two instances.
        assert_eq!(recs.len(), 4, "{json}");
        assert_eq!(recs[0]["bn"], "/3303/0");
        assert_eq!(recs[0]["n"], "/5700");
        assert_eq!(recs[0]["v"], 21.5);
        assert_eq!(recs[1]["n"], "/5701");
        assert_eq!(recs[1]["vs"], "Cel");
        assert_eq!(recs[2]["n"], "/5702/0");
        assert_eq!(recs[2]["v"], 7);
        assert_eq!(recs[3]["n"], "/5702/2");
        assert_eq!(recs[3]["v"], 9);
        assert_eq!(count_readable(&mut s, &Path::new(&[3303, 0])), Ok(4));
        // The count walks like the read: the whole object, one multi-instance resource,
        // one of its instances (present or not), a missing instance, an executable.
        let count = |s: &mut Sensor, ids: &[u16]| count_readable(s, &Path::new(ids));
        assert_eq!(count(&mut s, &[3303]), Ok(8));
        assert_eq!(count(&mut s, &[3303, 0, 5702]), Ok(2));
        assert_eq!(count(&mut s, &[3303, 0, 5702, 2]), Ok(1));
        assert_eq!(count(&mut s, &[3303, 0, 5702, 1]), Ok(0));
        assert_eq!(count(&mut s, &[3303, 1]), Ok(0));
        assert_eq!(
            count(&mut s, &[3303, 0, 5605]),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        // A single resource that is not readable, and one that does not exist.
        assert_eq!(
            read_json(&mut s, &Path::new(&[3303, 0, 5605])),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            check_exists(&s, &Path::new(&[3303, 1])),
            Err(DmError::NOT_FOUND)
        );
        // Plain text of one value.
        let mut buf = [0u8; 16];
        let p = Path::new(&[3303, 2, 5700]);
        let mut enc = AnyEncoder::new(TEXT, &p, &mut buf).unwrap();
        read_each(&mut s, &p, &mut enc).unwrap();
        let n = enc.finish().unwrap();
        assert_eq!(&buf[..n], b"-4");
    }

    #[test]
    fn writes_check_the_resource_then_reach_the_object() {
        let mut s = Sensor::new();
        let base = Path::new(&[3303, 2]);
        let unit = WriteValue::Whole(Value::String("degF"));
        write_entry(
            &mut s,
            &base,
            &Path::new(&[3303, 2, 5701]),
            &unit,
            WriteKind::Partial,
        )
        .unwrap();
        assert_eq!(
            read_value(&mut s, &Path::new(&[3303, 2, 5701])),
            Ok(Value::String("degF"))
        );
        // Wrong type, read-only resource, unknown resource of a Replace of the resource.
        let int = WriteValue::Whole(Value::Int(1));
        let p = Path::new(&[3303, 2, 5701]);
        assert_eq!(
            write_entry(&mut s, &p, &p, &int, WriteKind::Replace),
            Err(DmError::BAD_REQUEST)
        );
        let p = Path::new(&[3303, 2, 5700]);
        assert_eq!(
            write_entry(
                &mut s,
                &p,
                &p,
                &WriteValue::Whole(Value::Double(1.0)),
                WriteKind::Replace
            ),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        // An unknown resource in a write to the instance is skipped.
        assert_eq!(
            write_entry(
                &mut s,
                &base,
                &Path::new(&[3303, 2, 9999]),
                &int,
                WriteKind::Partial
            ),
            Ok(())
        );
        // A missing resource instance is created, then written.
        let p = Path::new(&[3303, 2, 5702, 1]);
        write_entry(
            &mut s,
            &base,
            &p,
            &WriteValue::Whole(Value::Int(-3)),
            WriteKind::Partial,
        )
        .unwrap();
        assert_eq!(s.multi, [Some(7), Some(-3), Some(9)]);
        assert_eq!(read_value(&mut s, &p), Ok(Value::Int(-3)));
        // The resource is full now: another instance is 5.00.
        assert_eq!(
            write_entry(
                &mut s,
                &base,
                &Path::new(&[3303, 2, 5702, 5]),
                &int,
                WriteKind::Partial
            ),
            Err(DmError::INTERNAL)
        );
    }

    #[test]
    fn execute_checks_the_arguments_and_passes_them_on() {
        let mut s = Sensor::new();
        let obj: &mut dyn Object = &mut s;
        execute(obj, &Path::new(&[3303, 2, 5605]), b"1='x',2").unwrap();
        assert_eq!(
            execute(obj, &Path::new(&[3303, 2, 5605]), b"1=x"),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(
            execute(obj, &Path::new(&[3303, 2, 5700]), b""),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            execute(obj, &Path::new(&[3303, 2]), b""),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        let (who, arg, len) = s.executed.unwrap();
        assert_eq!(who, 2 * 10000 + 5605);
        assert_eq!(&arg[..len], b"1='x',2");
    }

    #[test]
    fn discover_lists_instances_resources_and_dim() {
        let s = Sensor::new();
        let mut out = std::vec::Vec::new();
        discover_each(&s, &Path::new(&[3303]), None, |item: DiscoverItem<'_>| {
            out.push((
                item.path,
                item.version.map(std::string::String::from),
                item.dim,
            ));
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len(), 1 + 2 * (1 + 4));
        assert_eq!(out[0].1.as_deref(), Some("1.1"));
        assert_eq!(out[1].0, Path::new(&[3303, 0]));
        assert_eq!(out[5].0, Path::new(&[3303, 0, 5702]));
        assert_eq!(out[5].2, Some(2));
        // Creating instances is not supported by this object: 4.05 before anything.
        assert_eq!(create_check(&s, Some(1)), Err(DmError::METHOD_NOT_ALLOWED));
        assert_eq!(create_check(&s, Some(0)), Err(DmError::BAD_REQUEST));
        assert_eq!(s.txn, 0);
    }
}
