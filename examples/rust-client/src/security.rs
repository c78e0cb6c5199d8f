//! A minimal Security object (/0) for this example: one NoSec instance naming the LwM2M
//! Server (its URI, not a Bootstrap-Server, its Short Server ID).
//!
//! Interim: the core's Security object is being turned into an `anj_core::dm::Object`
//! (another part of this redesign stage); once it is, this file goes and `main` uses
//! that one.

use anj_core::dm::object::{Object, ResKind, Resource};
use anj_core::dm::{DmError, DmResult};
use anj_core::io::value::{DataType, Value};
use anj_core::objects::security::{rid, SecurityMode};

pub const OID: u16 = 0;

const RESOURCES: [Resource; 7] = [
    Resource::new(rid::SERVER_URI, ResKind::RW, DataType::String),
    Resource::new(rid::BOOTSTRAP_SERVER, ResKind::RW, DataType::Bool),
    Resource::new(rid::SECURITY_MODE, ResKind::RW, DataType::Int),
    Resource::new(rid::PUBLIC_KEY_OR_IDENTITY, ResKind::RW, DataType::Bytes),
    Resource::new(rid::SERVER_PUBLIC_KEY, ResKind::RW, DataType::Bytes),
    Resource::new(rid::SECRET_KEY, ResKind::RW, DataType::Bytes),
    Resource::new(rid::SSID, ResKind::RW, DataType::Int),
];

/// One NoSec instance, /0/0; nothing is writable (there is no Bootstrap-Server).
pub struct NoSecSecurity {
    server_uri: String,
    ssid: u16,
}

impl NoSecSecurity {
    pub fn new(server_uri: &str, ssid: u16) -> NoSecSecurity {
        NoSecSecurity {
            server_uri: server_uri.to_owned(),
            ssid,
        }
    }
}

impl Object for NoSecSecurity {
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
            rid::SERVER_URI => Value::String(&self.server_uri),
            rid::BOOTSTRAP_SERVER => Value::Bool(false),
            rid::SECURITY_MODE => Value::Int(SecurityMode::NoSec as i64),
            rid::PUBLIC_KEY_OR_IDENTITY | rid::SERVER_PUBLIC_KEY | rid::SECRET_KEY => {
                Value::Bytes(&[])
            }
            rid::SSID => Value::Int(self.ssid.into()),
            _ => return Err(DmError::NOT_FOUND),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anj_core::dm::ops;
    use anj_core::io::value::Path;

    #[test]
    fn one_nosec_instance_for_the_server() {
        let mut s = NoSecSecurity::new("coap://127.0.0.1:5683", 1);
        let read = |s: &mut NoSecSecurity, r| {
            ops::read_value(s, &Path::new(&[OID, 0, r])).map(|v| format!("{v:?}"))
        };
        assert_eq!(
            read(&mut s, rid::SERVER_URI).unwrap(),
            "String(\"coap://127.0.0.1:5683\")"
        );
        assert_eq!(read(&mut s, rid::BOOTSTRAP_SERVER).unwrap(), "Bool(false)");
        assert_eq!(read(&mut s, rid::SECURITY_MODE).unwrap(), "Int(3)");
        assert_eq!(read(&mut s, rid::SSID).unwrap(), "Int(1)");
        assert_eq!(read(&mut s, 11), Err(DmError::NOT_FOUND));
        assert!(!s.has_instance(1));
    }
}
