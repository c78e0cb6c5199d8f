//! Notification attributes set with Write-Attributes (LwM2M 1.1 TS Core §5.1.2, §6.3.4;
//! `edge`, `con` and `hqmax` from LwM2M 1.2 TS Core §5.1.2) and the fixed table that keeps
//! them per server and path (`ANJ_OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER` entries).
//!
//! The table lives in the client; Discover reports it (`discover-attr`), and the
//! observation engine reads the attributes that apply to an observed path through
//! [`AttrTable::effective`].

use crate::config::OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER;
use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Path};

/// "No value" for the integer attributes (`ANJ_ATTR_UINT_NONE`).
pub const UINT_NONE: u32 = u32::MAX;

/// The notification attributes of one path; `None` means "not set".
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Attrs {
    /// Minimum Period, seconds (`pmin`).
    pub pmin: Option<u32>,
    /// Maximum Period, seconds (`pmax`).
    pub pmax: Option<u32>,
    /// Greater Than (`gt`).
    pub gt: Option<f64>,
    /// Less Than (`lt`).
    pub lt: Option<f64>,
    /// Step (`st`).
    pub st: Option<f64>,
    /// Minimum Evaluation Period, seconds (`epmin`).
    pub epmin: Option<u32>,
    /// Maximum Evaluation Period, seconds (`epmax`).
    pub epmax: Option<u32>,
    /// Edge, 0 or 1 (LwM2M 1.2).
    pub edge: Option<u32>,
    /// Confirmable Notification, 0 or 1 (LwM2M 1.2).
    pub con: Option<u32>,
    /// Maximum Historical Queue (LwM2M 1.2).
    pub hqmax: Option<u32>,
}

impl Attrs {
    pub fn is_empty(&self) -> bool {
        *self == Attrs::default()
    }

    /// Whether a value-change condition is set (`gt`, `lt`, `st`, `edge`): those only
    /// make sense on a Resource (§5.1.2).
    pub fn has_value_condition(&self) -> bool {
        self.gt.is_some() || self.lt.is_some() || self.st.is_some() || self.edge.is_some()
    }

    /// Applies `u` over these attributes: given values replace, empty ones remove.
    pub fn apply(&mut self, u: &AttrUpdate) {
        fn set<T: Copy>(slot: &mut Option<T>, u: Option<Option<T>>) {
            if let Some(v) = u {
                *slot = v;
            }
        }
        set(&mut self.pmin, u.pmin);
        set(&mut self.pmax, u.pmax);
        set(&mut self.gt, u.gt);
        set(&mut self.lt, u.lt);
        set(&mut self.st, u.st);
        set(&mut self.epmin, u.epmin);
        set(&mut self.epmax, u.epmax);
        set(&mut self.edge, u.edge);
        set(&mut self.con, u.con);
        set(&mut self.hqmax, u.hqmax);
    }

    /// Overlays the attributes set in `other` (a more specific level wins).
    pub fn overlay(&mut self, other: &Attrs) {
        fn ov<T: Copy>(slot: &mut Option<T>, v: Option<T>) {
            if v.is_some() {
                *slot = v;
            }
        }
        ov(&mut self.pmin, other.pmin);
        ov(&mut self.pmax, other.pmax);
        ov(&mut self.gt, other.gt);
        ov(&mut self.lt, other.lt);
        ov(&mut self.st, other.st);
        ov(&mut self.epmin, other.epmin);
        ov(&mut self.epmax, other.epmax);
        ov(&mut self.edge, other.edge);
        ov(&mut self.con, other.con);
        ov(&mut self.hqmax, other.hqmax);
    }

    /// The consistency rules of §5.1.2 that do not depend on the data model:
    /// `epmin < epmax`, `lt < gt`, `lt + 2*st < gt`, `st >= 0`, value-change
    /// conditions only at Resource level, `edge` and `con` 0 or 1.
    ///
    /// `pmax < pmin` is not an error: the spec says `pmax` is then ignored.
    pub fn validate(&self, path: &Path) -> DmResult<()> {
        let bad = Err(DmError::BAD_REQUEST);
        if let (Some(a), Some(b)) = (self.epmin, self.epmax) {
            if a >= b {
                return bad;
            }
        }
        if let (Some(lt), Some(gt)) = (self.lt, self.gt) {
            if lt >= gt {
                return bad;
            }
            if let Some(st) = self.st {
                if lt + 2.0 * st >= gt {
                    return bad;
                }
            }
        }
        if self.st.is_some_and(|s| s < 0.0) {
            return bad;
        }
        if self.has_value_condition() && path.len() < 3 {
            return bad;
        }
        if self.edge.is_some_and(|e| e > 1) || self.con.is_some_and(|c| c > 1) {
            return bad;
        }
        Ok(())
    }

    /// The rules that depend on the Resource's type: `gt`/`lt`/`st` need a numeric
    /// Resource, `edge` a boolean one.
    pub fn check_type(&self, t: Option<DataType>) -> DmResult<()> {
        let numeric = matches!(t, Some(DataType::Int | DataType::Uint | DataType::Double));
        if (self.gt.is_some() || self.lt.is_some() || self.st.is_some()) && !numeric {
            return Err(DmError::BAD_REQUEST);
        }
        if self.edge.is_some() && t != Some(DataType::Bool) {
            return Err(DmError::BAD_REQUEST);
        }
        Ok(())
    }

    /// Visits the set attributes in the order Discover lists them (§6.3.6 examples).
    pub fn for_each(&self, mut f: impl FnMut(&str, AttrValue) -> DmResult<()>) -> DmResult<()> {
        let uints = [("pmin", self.pmin), ("pmax", self.pmax)];
        for (n, v) in uints {
            if let Some(v) = v {
                f(n, AttrValue::Uint(v))?;
            }
        }
        for (n, v) in [("gt", self.gt), ("lt", self.lt), ("st", self.st)] {
            if let Some(v) = v {
                f(n, AttrValue::Double(v))?;
            }
        }
        let more = [
            ("epmin", self.epmin),
            ("epmax", self.epmax),
            ("edge", self.edge),
            ("con", self.con),
            ("hqmax", self.hqmax),
        ];
        for (n, v) in more {
            if let Some(v) = v {
                f(n, AttrValue::Uint(v))?;
            }
        }
        Ok(())
    }
}

/// One attribute value, for printing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttrValue {
    Uint(u32),
    Double(f64),
}

/// What a Write-Attributes request asks: per attribute, `None` = not mentioned,
/// `Some(None)` = remove (`pmin` or `pmin=`), `Some(Some(v))` = set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AttrUpdate {
    pub pmin: Option<Option<u32>>,
    pub pmax: Option<Option<u32>>,
    pub gt: Option<Option<f64>>,
    pub lt: Option<Option<f64>>,
    pub st: Option<Option<f64>>,
    pub epmin: Option<Option<u32>>,
    pub epmax: Option<Option<u32>>,
    pub edge: Option<Option<u32>>,
    pub con: Option<Option<u32>>,
    pub hqmax: Option<Option<u32>>,
}

fn parse_uint(v: &[u8]) -> DmResult<Option<u32>> {
    if v.is_empty() || v.len() > 10 || !v.iter().all(u8::is_ascii_digit) {
        return Err(DmError::BAD_REQUEST);
    }
    let n = v
        .iter()
        .try_fold(0u32, |acc, d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
        .ok_or(DmError::BAD_REQUEST)?;
    Ok((n != UINT_NONE).then_some(n))
}

fn parse_double(v: &[u8]) -> DmResult<Option<f64>> {
    match crate::io::text::parse_f64(v) {
        Some(d) if d.is_finite() => Ok(Some(d)),
        _ => Err(DmError::BAD_REQUEST),
    }
}

impl AttrUpdate {
    /// Parses the Uri-Query options of a Write-Attributes request (§5.1.2, §6.3.4):
    /// `name=value` sets, `name` or `name=` removes. Unknown names are ignored (they may
    /// be other parameters); a malformed value is 4.00. With a repeated name the first
    /// occurrence counts.
    pub fn parse<'a>(queries: impl Iterator<Item = &'a [u8]>) -> DmResult<AttrUpdate> {
        let mut u = AttrUpdate::default();
        for q in queries {
            let (name, value) = match q.iter().position(|&c| c == b'=') {
                Some(i) => (&q[..i], q.get(i + 1..).unwrap_or(&[])),
                None => (q, &[][..]),
            };
            let uint = |slot: &mut Option<Option<u32>>| -> DmResult<()> {
                if slot.is_none() {
                    *slot = Some(if value.is_empty() {
                        None
                    } else {
                        parse_uint(value)?
                    });
                }
                Ok(())
            };
            let double = |slot: &mut Option<Option<f64>>| -> DmResult<()> {
                if slot.is_none() {
                    *slot = Some(if value.is_empty() {
                        None
                    } else {
                        parse_double(value)?
                    });
                }
                Ok(())
            };
            match name {
                b"pmin" => uint(&mut u.pmin)?,
                b"pmax" => uint(&mut u.pmax)?,
                b"gt" => double(&mut u.gt)?,
                b"lt" => double(&mut u.lt)?,
                b"st" => double(&mut u.st)?,
                b"epmin" => uint(&mut u.epmin)?,
                b"epmax" => uint(&mut u.epmax)?,
                #[cfg(feature = "lwm2m12")]
                b"edge" => uint(&mut u.edge)?,
                #[cfg(feature = "lwm2m12")]
                b"con" => uint(&mut u.con)?,
                #[cfg(feature = "lwm2m12")]
                b"hqmax" => uint(&mut u.hqmax)?,
                _ => {}
            }
        }
        Ok(u)
    }
}

const F_PMIN: u16 = 1 << 0;
const F_PMAX: u16 = 1 << 1;
const F_GT: u16 = 1 << 2;
const F_LT: u16 = 1 << 3;
const F_ST: u16 = 1 << 4;
const F_EPMIN: u16 = 1 << 5;
const F_EPMAX: u16 = 1 << 6;
const F_EDGE: u16 = 1 << 7;
const F_CON: u16 = 1 << 8;
const F_HQMAX: u16 = 1 << 9;

/// One stored record, packed so that its size is the same on every target (64 bytes):
/// build.rs sizes `anj_t` from it.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    gt: f64,
    lt: f64,
    st: f64,
    pmin: u32,
    pmax: u32,
    epmin: u32,
    epmax: u32,
    hqmax: u32,
    path: Path,
    /// Short Server ID of the server that wrote the attributes; 0 = free slot.
    ssid: u16,
    /// Which attributes are set (`F_*`).
    set: u16,
    edge: u8,
    con: u8,
}

const FREE: Slot = Slot {
    gt: 0.0,
    lt: 0.0,
    st: 0.0,
    pmin: 0,
    pmax: 0,
    epmin: 0,
    epmax: 0,
    hqmax: 0,
    path: Path::ROOT,
    ssid: 0,
    set: 0,
    edge: 0,
    con: 0,
};

impl Slot {
    /// `a` in the packed form (path and server unset).
    pub fn pack(a: &Attrs) -> Slot {
        let mut s = FREE;
        s.store(a);
        s
    }

    pub fn attrs(&self) -> Attrs {
        let has = |f: u16| self.set & f != 0;
        Attrs {
            pmin: has(F_PMIN).then_some(self.pmin),
            pmax: has(F_PMAX).then_some(self.pmax),
            gt: has(F_GT).then_some(self.gt),
            lt: has(F_LT).then_some(self.lt),
            st: has(F_ST).then_some(self.st),
            epmin: has(F_EPMIN).then_some(self.epmin),
            epmax: has(F_EPMAX).then_some(self.epmax),
            edge: has(F_EDGE).then_some(u32::from(self.edge)),
            con: has(F_CON).then_some(u32::from(self.con)),
            hqmax: has(F_HQMAX).then_some(self.hqmax),
        }
    }

    fn store(&mut self, a: &Attrs) {
        let mut set = 0;
        let mut flag = |f: u16, present: bool| {
            if present {
                set |= f;
            }
        };
        flag(F_PMIN, a.pmin.is_some());
        flag(F_PMAX, a.pmax.is_some());
        flag(F_GT, a.gt.is_some());
        flag(F_LT, a.lt.is_some());
        flag(F_ST, a.st.is_some());
        flag(F_EPMIN, a.epmin.is_some());
        flag(F_EPMAX, a.epmax.is_some());
        flag(F_EDGE, a.edge.is_some());
        flag(F_CON, a.con.is_some());
        flag(F_HQMAX, a.hqmax.is_some());
        self.set = set;
        self.pmin = a.pmin.unwrap_or(0);
        self.pmax = a.pmax.unwrap_or(0);
        self.gt = a.gt.unwrap_or(0.0);
        self.lt = a.lt.unwrap_or(0.0);
        self.st = a.st.unwrap_or(0.0);
        self.epmin = a.epmin.unwrap_or(0);
        self.epmax = a.epmax.unwrap_or(0);
        // Validated to 0 or 1 before they are stored.
        self.edge = a.edge.unwrap_or(0) as u8;
        self.con = a.con.unwrap_or(0) as u8;
        self.hqmax = a.hqmax.unwrap_or(0);
    }
}

/// Size of one table entry, for the `anj_t` size formula in build.rs.
pub const SLOT_SIZE: usize = core::mem::size_of::<Slot>();

/// The attributes written by the servers, one entry per (server, path).
#[derive(Clone, Copy)]
pub struct AttrTable {
    slots: [Slot; OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER],
}

impl Default for AttrTable {
    fn default() -> Self {
        AttrTable {
            slots: [FREE; OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER],
        }
    }
}

impl AttrTable {
    /// The attributes set exactly at `path` by server `ssid`.
    pub fn get(&self, ssid: u16, path: &Path) -> Option<Attrs> {
        self.find(ssid, path).map(|i| self.slots[i].attrs())
    }

    /// Whether server `ssid` has attributes anywhere (a caller that looks up many paths
    /// skips them all when it has none).
    pub fn any_for(&self, ssid: u16) -> bool {
        self.slots.iter().any(|s| s.ssid != 0 && s.ssid == ssid)
    }

    fn find(&self, ssid: u16, path: &Path) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.ssid != 0 && s.ssid == ssid && s.path == *path)
    }

    /// The attributes in force at `path` for server `ssid`: those of the Object, then the
    /// Instance, the Resource and the Resource Instance, the more specific level winning
    /// (§5.1.2 "attributes ... inherited"). `None` when no level has any.
    pub fn effective(&self, ssid: u16, path: &Path) -> Option<Attrs> {
        let mut out = Attrs::default();
        let mut found = false;
        for len in 1..=path.len() {
            if let Some(a) = self.get(ssid, &path.truncated(len)) {
                out.overlay(&a);
                found = true;
            }
        }
        found.then_some(out)
    }

    /// Merges `update` into the attributes of (`ssid`, `path`), checks the result with
    /// [`Attrs::validate`] and `check` (the data-model-dependent rules), and stores it;
    /// an empty result removes the entry. Nothing changes when a check fails (4.00) or
    /// the table is full (5.00, as in Anjay Lite).
    pub fn write(
        &mut self,
        ssid: u16,
        path: &Path,
        update: &AttrUpdate,
        check: impl FnOnce(&Attrs) -> DmResult<()>,
    ) -> DmResult<()> {
        let ssid = ssid.max(1);
        let existing = self.find(ssid, path);
        let mut attrs = existing.map(|i| self.slots[i].attrs()).unwrap_or_default();
        attrs.apply(update);
        attrs.validate(path)?;
        check(&attrs)?;
        if attrs.is_empty() {
            if let Some(i) = existing {
                self.slots[i] = FREE;
            }
            return Ok(());
        }
        let i = match existing {
            Some(i) => i,
            None => self
                .slots
                .iter()
                .position(|s| s.ssid == 0)
                .ok_or(DmError::INTERNAL)?,
        };
        let slot = &mut self.slots[i];
        slot.ssid = ssid;
        slot.path = *path;
        slot.store(&attrs);
        Ok(())
    }

    /// Forgets the attributes of `path` and everything below it (the target was
    /// deleted), for every server.
    pub fn remove_under(&mut self, path: &Path) {
        for s in self.slots.iter_mut() {
            if s.ssid != 0 && path.is_prefix_of(&s.path) {
                *s = FREE;
            }
        }
    }

    /// Forgets everything (e.g. the server account changed).
    pub fn clear(&mut self) {
        self.slots = [FREE; OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER];
    }

    /// Every stored entry: (ssid, path, attributes).
    pub fn iter(&self) -> impl Iterator<Item = (u16, Path, Attrs)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.ssid != 0)
            .map(|s| (s.ssid, s.path, s.attrs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upd(qs: &[&str]) -> DmResult<AttrUpdate> {
        AttrUpdate::parse(qs.iter().map(|q| q.as_bytes()))
    }

    #[test]
    fn slot_size_is_target_independent() {
        assert_eq!(SLOT_SIZE, 64);
    }

    #[test]
    fn parse_values_and_removals() {
        let u = upd(&["pmin=10", "pmax", "gt=2.5", "lt=", "other=x", "pmin=20"]).unwrap();
        assert_eq!(u.pmin, Some(Some(10)));
        assert_eq!(u.pmax, Some(None));
        assert_eq!(u.gt, Some(Some(2.5)));
        assert_eq!(u.lt, Some(None));
        assert_eq!(u.st, None);
        for bad in [
            "pmin=-1",
            "pmin=1.5",
            "pmax=4294967296",
            "gt=abc",
            "st=nan",
            "gt=inf",
        ] {
            assert_eq!(upd(&[bad]), Err(DmError::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn validation_rules() {
        let res = Path::new(&[3, 0, 9]);
        let inst = Path::new(&[3, 0]);
        let a = |f: fn(&mut Attrs)| {
            let mut a = Attrs::default();
            f(&mut a);
            a
        };
        assert!(a(|a| a.pmin = Some(10)).validate(&inst).is_ok());
        // pmax < pmin is allowed (pmax is then ignored).
        assert!(a(|a| {
            a.pmin = Some(10);
            a.pmax = Some(5)
        })
        .validate(&inst)
        .is_ok());
        assert!(a(|a| {
            a.epmin = Some(10);
            a.epmax = Some(10)
        })
        .validate(&inst)
        .is_err());
        assert!(a(|a| a.gt = Some(1.0)).validate(&inst).is_err());
        assert!(a(|a| a.gt = Some(1.0)).validate(&res).is_ok());
        assert!(a(|a| {
            a.lt = Some(5.0);
            a.gt = Some(5.0)
        })
        .validate(&res)
        .is_err());
        assert!(a(|a| {
            a.lt = Some(1.0);
            a.gt = Some(5.0);
            a.st = Some(2.0)
        })
        .validate(&res)
        .is_err());
        assert!(a(|a| {
            a.lt = Some(1.0);
            a.gt = Some(5.0);
            a.st = Some(1.5)
        })
        .validate(&res)
        .is_ok());
        assert!(a(|a| a.con = Some(2)).validate(&res).is_err());
        assert!(a(|a| a.gt = Some(1.0))
            .check_type(Some(DataType::String))
            .is_err());
        assert!(a(|a| a.edge = Some(1))
            .check_type(Some(DataType::Int))
            .is_err());
        assert!(a(|a| a.edge = Some(1))
            .check_type(Some(DataType::Bool))
            .is_ok());
    }

    #[test]
    fn any_for_tells_which_servers_have_attributes() {
        let mut t = AttrTable::default();
        let ok = |_: &Attrs| Ok(());
        assert!(!t.any_for(1));
        t.write(2, &Path::new(&[3, 0, 9]), &upd(&["pmin=5"]).unwrap(), ok)
            .unwrap();
        assert!(t.any_for(2));
        assert!(!t.any_for(1));
        assert!(!t.any_for(0));
        // Removing the last attribute frees the entry.
        t.write(2, &Path::new(&[3, 0, 9]), &upd(&["pmin"]).unwrap(), ok)
            .unwrap();
        assert!(!t.any_for(2));
    }

    #[test]
    fn table_merge_remove_and_capacity() {
        let mut t = AttrTable::default();
        let p = Path::new(&[3, 0]);
        let ok = |_: &Attrs| Ok(());
        t.write(1, &p, &upd(&["pmin=5"]).unwrap(), ok).unwrap();
        t.write(1, &p, &upd(&["pmax=50"]).unwrap(), ok).unwrap();
        let a = t.get(1, &p).unwrap();
        assert_eq!((a.pmin, a.pmax), (Some(5), Some(50)));
        // A failed check leaves the entry as it was.
        assert!(t
            .write(1, &p, &upd(&["pmin=1"]).unwrap(), |_| Err(
                DmError::BAD_REQUEST
            ))
            .is_err());
        assert_eq!(t.get(1, &p).unwrap().pmin, Some(5));
        // Removing every attribute frees the entry.
        t.write(1, &p, &upd(&["pmin", "pmax="]).unwrap(), ok)
            .unwrap();
        assert_eq!(t.get(1, &p), None);
        for i in 0..OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER as u16 {
            t.write(1, &Path::new(&[3, i]), &upd(&["pmin=1"]).unwrap(), ok)
                .unwrap();
        }
        assert_eq!(
            t.write(1, &Path::new(&[4]), &upd(&["pmin=1"]).unwrap(), ok),
            Err(DmError::INTERNAL)
        );
        // Inheritance: object, then instance.
        let mut t = AttrTable::default();
        t.write(
            1,
            &Path::new(&[3]),
            &upd(&["pmin=1", "pmax=9"]).unwrap(),
            ok,
        )
        .unwrap();
        t.write(1, &Path::new(&[3, 0]), &upd(&["pmin=2"]).unwrap(), ok)
            .unwrap();
        let e = t.effective(1, &Path::new(&[3, 0, 1])).unwrap();
        assert_eq!((e.pmin, e.pmax), (Some(2), Some(9)));
        assert_eq!(t.effective(2, &Path::new(&[3, 0, 1])), None);
        t.remove_under(&Path::new(&[3, 0]));
        assert_eq!(t.get(1, &Path::new(&[3, 0])), None);
        assert!(t.get(1, &Path::new(&[3])).is_some());
    }
}
