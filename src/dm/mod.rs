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
        self.objs.copy_within(pos..count, pos + 1);
        self.objs[pos] = Some(obj);
        Ok(())
    }

    pub fn remove(&mut self, oid: u16) -> Result<ObjRef, RegistryError> {
        let count = self.count();
        let pos = self
            .iter()
            .position(|o| o.oid() == oid)
            .ok_or(RegistryError::NotFound)?;
        let obj = self.objs[pos].take().ok_or(RegistryError::NotFound)?;
        self.objs.copy_within(pos + 1..count, pos);
        self.objs[count - 1] = None;
        Ok(obj)
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
