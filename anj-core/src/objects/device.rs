//! The built-in Device object (/3, LwM2M 1.1 TS Core Appendix E.4) with its one
//! instance, /3/0: the application's identification strings, Supported Binding and
//! Modes, an Error Code that is always 0 ("no error"), and Reboot.
//!
//! [`resource_value`] and [`RESOURCES`] are the rules both faces share: [`Device`]
//! implements [`Object`] over Rust strings; the C face's Device object context keeps the
//! application's C strings and answers from the same mapping.

use super::builtin::device_rid;
use crate::dm::object::{Object, ResKind, Resource};
use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Value};

/// The Object ID.
pub const OID: u16 = 3;
/// The object version the client reports.
pub const VERSION: &str = "1.0";
/// The only instance.
pub const IID: u16 = 0;
/// Supported Binding and Modes (/3/0/16): this client speaks UDP.
pub const SUPPORTED_BINDINGS: &str = "U";
/// The only resource instance of Error Code (/3/0/11).
pub const ERROR_CODE_RIID: u16 = 0;
/// Its value: no error.
pub const NO_ERROR: i64 = 0;

/// The resources of /3/0, by ascending RID.
pub const RESOURCES: [Resource; 8] = {
    use device_rid::*;
    use DataType as T;
    use ResKind::*;
    [
        Resource::new(MANUFACTURER, R, T::String),
        Resource::new(MODEL_NUMBER, R, T::String),
        Resource::new(SERIAL_NUMBER, R, T::String),
        Resource::new(FIRMWARE_VERSION, R, T::String),
        Resource::new(REBOOT, E, T::Null),
        Resource {
            max_instances: 1,
            ..Resource::new(ERROR_CODE, RM, T::Int)
        },
        Resource::new(SUPPORTED_BINDINGS, R, T::String),
        Resource::new(SOFTWARE_VERSION, R, T::String),
    ]
};

/// The identification strings the application gives (index into
/// [`DeviceInfo::strings`] and the C face's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceText {
    Manufacturer = 0,
    ModelNumber = 1,
    SerialNumber = 2,
    FirmwareVersion = 3,
    SoftwareVersion = 4,
}

/// What a read of a Device resource returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceValue {
    /// One of the application's strings (empty when it gave none).
    Text(DeviceText),
    /// [`SUPPORTED_BINDINGS`].
    SupportedBindings,
    /// Error Code: [`NO_ERROR`].
    ErrorCode,
}

/// The value resource `rid` reads as; `None` for a resource without one (Reboot, an
/// unknown RID).
pub const fn resource_value(rid: u16) -> Option<DeviceValue> {
    use device_rid::*;
    use DeviceText::*;
    Some(match rid {
        MANUFACTURER => DeviceValue::Text(Manufacturer),
        MODEL_NUMBER => DeviceValue::Text(ModelNumber),
        SERIAL_NUMBER => DeviceValue::Text(SerialNumber),
        FIRMWARE_VERSION => DeviceValue::Text(FirmwareVersion),
        SOFTWARE_VERSION => DeviceValue::Text(SoftwareVersion),
        SUPPORTED_BINDINGS => DeviceValue::SupportedBindings,
        ERROR_CODE => DeviceValue::ErrorCode,
        _ => return None,
    })
}

/// The application's identification strings (each may be empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo<'a> {
    /// Indexed by [`DeviceText`].
    pub strings: [&'a str; 5],
}

/// The Device object for Rust users: the strings, and what Reboot (/3/0/4) calls.
pub struct Device<'a> {
    pub info: DeviceInfo<'a>,
    /// Called by an Execute of Reboot (the application decides when to reboot); without
    /// one, the Execute fails with 5.00.
    pub reboot: Option<&'a mut dyn FnMut()>,
}

impl Object for Device<'_> {
    fn oid(&self) -> u16 {
        OID
    }

    fn version(&self) -> Option<&str> {
        Some(VERSION)
    }

    fn instance_id(&self, index: usize) -> Option<u16> {
        (index == 0).then_some(IID)
    }

    fn max_instances(&self) -> u16 {
        1
    }

    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        if iid != IID {
            return None;
        }
        RESOURCES.get(index).copied()
    }

    fn resource_instance_id(&self, iid: u16, rid: u16, index: usize) -> Option<u16> {
        (iid == IID && rid == device_rid::ERROR_CODE && index == 0).then_some(ERROR_CODE_RIID)
    }

    fn read(&mut self, _iid: u16, res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
        match resource_value(res.rid) {
            Some(DeviceValue::Text(t)) => Ok(Value::String(self.info.strings[t as usize])),
            Some(DeviceValue::SupportedBindings) => Ok(Value::String(SUPPORTED_BINDINGS)),
            Some(DeviceValue::ErrorCode) => Ok(Value::Int(NO_ERROR)),
            None => Err(DmError::NOT_FOUND),
        }
    }

    fn execute(&mut self, _iid: u16, rid: u16, _arg: &[u8]) -> DmResult<()> {
        if rid != device_rid::REBOOT {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        match self.reboot.as_mut() {
            Some(cb) => {
                cb();
                Ok(())
            }
            None => Err(DmError::INTERNAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dm::ops;
    use crate::io::value::Path;

    #[test]
    fn reads_and_reboots_through_the_dm_operations() {
        let mut reboots = 0;
        let mut cb = || reboots += 1;
        let mut d = Device {
            info: DeviceInfo {
                strings: ["ACME", "M1", "", "1.0.2", "sw"],
            },
            reboot: Some(&mut cb),
        };
        let p = |rid| Path::new(&[OID, 0, rid]);
        let read = |d: &mut Device<'_>, path: &Path| {
            ops::read_value(d, path).map(|v| match v {
                Value::String(s) => std::string::String::from(s),
                Value::Int(i) => std::format!("{i}"),
                _ => std::string::String::from("?"),
            })
        };
        assert_eq!(read(&mut d, &p(device_rid::MANUFACTURER)).unwrap(), "ACME");
        assert_eq!(read(&mut d, &p(device_rid::SERIAL_NUMBER)).unwrap(), "");
        assert_eq!(
            read(&mut d, &p(device_rid::SOFTWARE_VERSION)).unwrap(),
            "sw"
        );
        assert_eq!(
            read(&mut d, &p(device_rid::SUPPORTED_BINDINGS)).unwrap(),
            "U"
        );
        let err0 = Path::new(&[OID, 0, device_rid::ERROR_CODE, 0]);
        assert_eq!(read(&mut d, &err0).unwrap(), "0");
        let err1 = Path::new(&[OID, 0, device_rid::ERROR_CODE, 1]);
        assert_eq!(read(&mut d, &err1), Err(DmError::NOT_FOUND));
        assert_eq!(read(&mut d, &p(9)), Err(DmError::NOT_FOUND));
        assert_eq!(
            ops::execute(&mut d, &p(device_rid::MANUFACTURER), b""),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        ops::execute(&mut d, &p(device_rid::REBOOT), b"").unwrap();
        d.reboot = None;
        assert_eq!(
            ops::execute(&mut d, &p(device_rid::REBOOT), b""),
            Err(DmError::INTERNAL)
        );
        assert_eq!(reboots, 1);
    }

    #[test]
    fn every_listed_resource_but_reboot_has_a_value() {
        for r in RESOURCES {
            assert_eq!(resource_value(r.rid).is_some(), r.rid != device_rid::REBOOT);
        }
        assert!(RESOURCES.windows(2).all(|w| w[0].rid < w[1].rid));
    }
}
