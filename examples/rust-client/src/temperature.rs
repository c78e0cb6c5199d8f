//! The custom object of this example, written in Rust: Temperature (/3303, IPSO) with one
//! instance: Sensor Value (5700, read, changes over time), Units (5701, read) and
//! Application Type (5750, read and write).

use anj_core::dm::object::{Object, ResKind, Resource, WriteValue};
use anj_core::dm::{DmError, DmResult};
use anj_core::io::value::{DataType, Value};

pub const OID: u16 = 3303;
pub const SENSOR_VALUE: u16 = 5700;
pub const UNITS: u16 = 5701;
pub const APPLICATION_TYPE: u16 = 5750;

const RESOURCES: [Resource; 3] = [
    Resource::new(SENSOR_VALUE, ResKind::R, DataType::Double),
    Resource::new(UNITS, ResKind::R, DataType::String),
    Resource::new(APPLICATION_TYPE, ResKind::RW, DataType::String),
];

/// Room for Application Type.
const APP_TYPE_MAX: usize = 64;

pub struct Temperature {
    celsius: f64,
    app_type: String,
    /// The value before the open transaction, restored if it fails.
    app_type_backup: Option<String>,
}

impl Temperature {
    pub fn new(celsius: f64) -> Temperature {
        Temperature {
            celsius,
            app_type: String::from("room"),
            app_type_backup: None,
        }
    }

    /// A new measurement; true when the value changed (the caller reports it to the client).
    pub fn set_celsius(&mut self, v: f64) -> bool {
        let changed = v != self.celsius;
        self.celsius = v;
        changed
    }

    #[cfg(test)]
    pub fn application_type(&self) -> &str {
        &self.app_type
    }
}

impl Object for Temperature {
    fn oid(&self) -> u16 {
        OID
    }

    fn instance_id(&self, index: usize) -> Option<u16> {
        (index == 0).then_some(0)
    }

    fn max_instances(&self) -> u16 {
        1
    }

    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        if iid != 0 {
            return None;
        }
        RESOURCES.get(index).copied()
    }

    fn read(&mut self, _iid: u16, res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
        Ok(match res.rid {
            SENSOR_VALUE => Value::Double(self.celsius),
            UNITS => Value::String("Cel"),
            APPLICATION_TYPE => Value::String(&self.app_type),
            _ => return Err(DmError::NOT_FOUND),
        })
    }

    fn write(
        &mut self,
        _iid: u16,
        rid: u16,
        _riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        if rid != APPLICATION_TYPE {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        match *value {
            WriteValue::Whole(Value::String(s)) if s.len() <= APP_TYPE_MAX => {
                self.app_type = s.to_owned();
                Ok(())
            }
            // Longer than the room for it, whole or in chunks.
            WriteValue::Whole(Value::String(_)) | WriteValue::Chunk { .. } => {
                Err(DmError::BAD_REQUEST)
            }
            WriteValue::Whole(_) => Err(DmError::BAD_REQUEST),
        }
    }

    fn reset_instance(&mut self, _iid: u16) -> DmResult<()> {
        self.app_type.clear();
        Ok(())
    }

    fn transaction_begin(&mut self) -> DmResult<()> {
        self.app_type_backup = Some(self.app_type.clone());
        Ok(())
    }

    fn transaction_end(&mut self, success: bool) {
        if let Some(old) = self.app_type_backup.take() {
            if !success {
                self.app_type = old;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anj_core::dm::ops::{self, WriteKind};
    use anj_core::io::value::Path;

    fn path(rid: u16) -> Path {
        Path::new(&[OID, 0, rid])
    }

    fn write(t: &mut Temperature, rid: u16, v: Value<'_>) -> DmResult<()> {
        let p = path(rid);
        t.transaction_begin()?;
        let r = ops::write_entry(t, &p, &p, &WriteValue::Whole(v), WriteKind::Replace);
        t.transaction_end(r.is_ok());
        r
    }

    #[test]
    fn reads_the_sensor_and_writes_the_application_type() {
        let mut t = Temperature::new(21.5);
        assert_eq!(
            ops::read_value(&mut t, &path(SENSOR_VALUE)),
            Ok(Value::Double(21.5))
        );
        assert_eq!(
            ops::read_value(&mut t, &path(UNITS)),
            Ok(Value::String("Cel"))
        );
        assert!(t.set_celsius(22.0));
        assert!(!t.set_celsius(22.0));
        assert_eq!(
            ops::read_value(&mut t, &path(SENSOR_VALUE)),
            Ok(Value::Double(22.0))
        );
        write(&mut t, APPLICATION_TYPE, Value::String("boiler")).unwrap();
        assert_eq!(t.application_type(), "boiler");
        assert_eq!(
            ops::read_value(&mut t, &path(APPLICATION_TYPE)),
            Ok(Value::String("boiler"))
        );
    }

    #[test]
    fn refuses_what_it_cannot_take_and_rolls_back() {
        let mut t = Temperature::new(20.0);
        // Read-only resources, a wrong type, an unknown instance.
        assert_eq!(
            write(&mut t, SENSOR_VALUE, Value::Double(1.0)),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            write(&mut t, APPLICATION_TYPE, Value::Int(3)),
            Err(DmError::BAD_REQUEST)
        );
        let long = "x".repeat(APP_TYPE_MAX + 1);
        assert_eq!(
            write(&mut t, APPLICATION_TYPE, Value::String(&long)),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(t.application_type(), "room");
        let p = Path::new(&[OID, 1, SENSOR_VALUE]);
        assert_eq!(ops::check_exists(&t, &p), Err(DmError::NOT_FOUND));
        // A transaction that fails after a write undoes it.
        t.transaction_begin().unwrap();
        let p = path(APPLICATION_TYPE);
        let v = WriteValue::Whole(Value::String("tmp"));
        ops::write_entry(&mut t, &p, &p, &v, WriteKind::Replace).unwrap();
        t.transaction_end(false);
        assert_eq!(t.application_type(), "room");
    }
}
