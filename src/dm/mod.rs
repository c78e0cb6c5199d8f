//! The data model: the registry of objects, and the Device Management operations over it
//! (LwM2M 1.1 TS Core §6.3).
//!
//! The operations themselves are `anj_core::dm::ops`, written against the core's
//! [`Object`] trait; the functions here run them on the object set the client is handed
//! ([`Objects`]), naming objects by OID. The registry still holds the application's
//! `anj_dm_obj_t` tables ([`ObjRef`]; the built-in Security, Server and Device objects
//! are objects of the same kind, see `crate::ffi::objects`); the C face hands them to the
//! client as a [`CObjects`], whose adapter ([`CObject`]) calls their handlers with the
//! client's `anj_t *`.

/// cbindgen:ignore
pub use anj_core::dm::attributes;
pub mod builtin;
/// cbindgen:ignore
#[cfg(feature = "default-fota-obj")]
pub use anj_core::objects::fw_update;

use crate::config::DM_MAX_OBJECTS_NUMBER;
pub use crate::ffi::dm::ObjRef;
pub use crate::ffi::dm_adapter::{
    read_resource, read_resource_raw, value_to_c, CObject, CObjects, ExtHold,
};

pub use anj_core::dm::model::*;
pub use anj_core::dm::object::{ResKind, Resource};
pub use anj_core::dm::ops::{
    self, default_depth, io_error, is_protected, valid_execute_args, DiscoverItem, WriteKind,
};
pub use anj_core::dm::{DmError, DmResult, Object, Objects, WriteValue};

/// The ID that names no instance (`ANJ_ID_INVALID`).
const ID_INVALID: u16 = u16::MAX;

/// The registered objects, sorted by OID.
pub struct Registry {
    objs: [Option<ObjRef>; DM_MAX_OBJECTS_NUMBER],
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            objs: [None; DM_MAX_OBJECTS_NUMBER],
        }
    }
}

/// Errors of [`Registry::add`] / [`Registry::remove`].
#[derive(Debug, PartialEq, Eq)]
pub enum RegistryError {
    Full,
    Duplicate,
    NotFound,
    Invalid,
}

impl Registry {
    pub fn add(&mut self, obj: ObjRef) -> Result<(), RegistryError> {
        validate_object(obj)?;
        let oid = obj.oid();
        if self.find(oid).is_some() {
            return Err(RegistryError::Duplicate);
        }
        let count = self.count();
        if count == self.objs.len() {
            return Err(RegistryError::Full);
        }
        let pos = self.iter().position(|o| o.oid() > oid).unwrap_or(count);
        // Carried along, not `copy_within`: the table is short, and a loop of swaps
        // keeps memmove (over 1.5 KB of compiler_builtins) out of small images.
        let mut carry = Some(obj);
        for slot in self.objs.iter_mut().skip(pos) {
            core::mem::swap(slot, &mut carry);
            if carry.is_none() {
                break;
            }
        }
        Ok(())
    }

    pub fn remove(&mut self, oid: u16) -> Result<ObjRef, RegistryError> {
        let count = self.count();
        let pos = self
            .iter()
            .position(|o| o.oid() == oid)
            .ok_or(RegistryError::NotFound)?;
        // The rest moves down one slot (swaps, as in `add`), so the removed one ends up
        // last, where it is taken out.
        let rest = self
            .objs
            .get_mut(pos..count)
            .ok_or(RegistryError::NotFound)?;
        for j in 1..rest.len() {
            rest.swap(j - 1, j);
        }
        rest.last_mut()
            .and_then(Option::take)
            .ok_or(RegistryError::NotFound)
    }

    pub fn count(&self) -> usize {
        self.objs.iter().take_while(|o| o.is_some()).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.objs.iter().map_while(|o| *o)
    }

    pub fn find(&self, oid: u16) -> Option<ObjRef> {
        self.iter().find(|o| o.oid() == oid)
    }
}

/// Structural checks of an object definition (Anjay Lite only does these in debug builds;
/// they are cheap, and a bad table must never reach the wire).
fn validate_object(obj: ObjRef) -> Result<(), RegistryError> {
    if obj.oid() == ID_INVALID {
        return Err(RegistryError::Invalid);
    }
    let mut last_iid: Option<u16> = None;
    for inst in obj.instances() {
        if last_iid.is_some_and(|l| l >= inst.iid) {
            return Err(RegistryError::Invalid);
        }
        last_iid = Some(inst.iid);
        let mut last_rid: Option<u16> = None;
        for res in obj.resources(inst) {
            if res.rid == ID_INVALID || last_rid.is_some_and(|l| l >= res.rid) {
                return Err(RegistryError::Invalid);
            }
            last_rid = Some(res.rid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object without instances or handlers (leaked: the registry keeps a pointer).
    fn bare(oid: u16) -> ObjRef {
        use crate::ffi::dm::{anj_dm_handlers_t, anj_dm_obj_t};
        let handlers: &'static anj_dm_handlers_t = Box::leak(Box::default());
        let obj = Box::leak(Box::new(anj_dm_obj_t {
            oid,
            version: core::ptr::null(),
            handlers,
            insts: core::ptr::null(),
            max_inst_count: 0,
        }));
        // SAFETY (test): a valid definition that is never freed.
        unsafe { ObjRef::new(core::ptr::NonNull::from(obj)) }
    }

    fn oids(reg: &Registry) -> Vec<u16> {
        reg.iter().map(|o| o.oid()).collect()
    }

    #[test]
    fn registry_keeps_objects_sorted_through_adds_and_removes() {
        let mut reg = Registry::default();
        for oid in [5, 1, 3, 9, 0] {
            reg.add(bare(oid)).unwrap();
        }
        assert_eq!(oids(&reg), [0, 1, 3, 5, 9]);
        assert_eq!(reg.count(), 5);
        assert_eq!(reg.add(bare(3)), Err(RegistryError::Duplicate));
        assert_eq!(reg.add(bare(ID_INVALID)), Err(RegistryError::Invalid));
        // From the middle, the end and the start.
        assert_eq!(reg.remove(3).map(|o| o.oid()), Ok(3));
        assert_eq!(oids(&reg), [0, 1, 5, 9]);
        assert_eq!(reg.remove(9).map(|o| o.oid()), Ok(9));
        assert_eq!(oids(&reg), [0, 1, 5]);
        assert_eq!(reg.remove(0).map(|o| o.oid()), Ok(0));
        assert_eq!(oids(&reg), [1, 5]);
        assert!(reg.remove(0).is_err());
        assert_eq!(reg.count(), 2);
        assert!(reg.find(5).is_some() && reg.find(3).is_none());
        // Filled up in descending order (each add shifts all the others), then full.
        let room = DM_MAX_OBJECTS_NUMBER - reg.count();
        for k in 0..room {
            reg.add(bare(1000 - k as u16)).unwrap();
        }
        let all = oids(&reg);
        assert_eq!(all.len(), DM_MAX_OBJECTS_NUMBER);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
        assert_eq!(reg.add(bare(7)), Err(RegistryError::Full));
        assert_eq!(oids(&reg), all);
        // The last slot empties again.
        assert_eq!(reg.remove(1).map(|o| o.oid()), Ok(1));
        assert_eq!(oids(&reg), all[1..]);
    }

    #[test]
    fn execute_argument_syntax() {
        for ok in [
            &b""[..],
            b"5",
            b"0,1",
            b"2='coap://x.y:5683'",
            b"1='',2",
            b"0='a!#$%&()*+-./:;<=>?@[]^_`{|}~'",
        ] {
            assert!(valid_execute_args(ok), "{:?}", core::str::from_utf8(ok));
        }
        for bad in [
            &b","[..],
            b"1,",
            b"12",
            b"a",
            b"1=",
            b"1='x",
            b"1='a b'",
            b"1='a\"b'",
            b"1='a\\b'",
            b"1=x",
            b"1='x'2",
        ] {
            assert!(!valid_execute_args(bad), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn handler_codes() {
        assert_eq!(DmError::from_handler(-132), DmError::NOT_FOUND);
        assert_eq!(DmError::from_handler(-161), DmError::NOT_IMPLEMENTED);
        assert_eq!(DmError::from_handler(-163), DmError::SERVICE_UNAVAILABLE);
        // Not an ANJ_DM_ERR_* value: 5.00.
        assert_eq!(DmError::from_handler(-134), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(-1), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(i32::MIN), DmError::INTERNAL);
        assert_eq!(DmError::from_handler(5), DmError::INTERNAL);
    }
}
