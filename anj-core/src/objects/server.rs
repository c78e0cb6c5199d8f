//! The built-in Server object (/1, LwM2M 1.1 TS Core Appendix E.2) with its one
//! instance: adding the instance, reads, writes, the executable resources, the
//! Bootstrap-Server's create / delete / reset, and transactions with rollback.
//!
//! [`ServerObject`] holds the object's whole state and implements [`Object`]; the C face's
//! Server object context keeps one inside its context and calls the same methods from
//! its C handlers. What an Execute or a transaction asks of the client (disable, send an
//! Update, request bootstrap) is returned to the caller, or, through [`Object`], kept for
//! the owner to take ([`ServerObject::take_action`], [`ServerObject::take_params_changed`]).

use super::builtin::{binding_valid, server_rid, InvalidValue, ServerInstance, BINDING_SIZE};
use crate::dm::object::{Object, ResKind, Resource, WriteValue};
use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Value};

/// The Object ID.
pub const OID: u16 = 1;
/// The object version the client reports.
pub const VERSION: &str = "1.2";
/// The Lifetime of an instance the Bootstrap-Server creates (before it writes one).
pub const NEW_INSTANCE_LIFETIME: u32 = 86400;

/// The resources of the instance, by ascending RID.
pub const RESOURCES: [Resource; 17] = {
    use server_rid::*;
    use DataType as T;
    use ResKind::*;
    [
        Resource::new(SSID, R, T::Int),
        Resource::new(LIFETIME, RW, T::Int),
        Resource::new(DEFAULT_PMIN, RW, T::Int),
        Resource::new(DEFAULT_PMAX, RW, T::Int),
        Resource::new(DISABLE, E, T::Null),
        Resource::new(DISABLE_TIMEOUT, RW, T::Int),
        Resource::new(NOTIFICATION_STORING, RW, T::Bool),
        Resource::new(BINDING, RW, T::String),
        Resource::new(UPDATE_TRIGGER, E, T::Null),
        Resource::new(BOOTSTRAP_TRIGGER, E, T::Null),
        Resource::new(BOOTSTRAP_ON_FAILURE, R, T::Bool),
        Resource::new(RETRY_COUNT, RW, T::Uint),
        Resource::new(RETRY_TIMER, RW, T::Uint),
        Resource::new(SEQ_DELAY_TIMER, RW, T::Uint),
        Resource::new(SEQ_RETRY_COUNT, RW, T::Uint),
        Resource::new(MUTE_SEND, RW, T::Bool),
        Resource::new(DEFAULT_NOTIFICATION_MODE, RW, T::Int),
    ]
};

/// What an Execute of a Server resource asks the client to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerAction {
    /// /1/x/4: deregister and stay away for the Disable Timeout (seconds).
    Disable { timeout: u32 },
    /// /1/x/8: send a Registration Update.
    RegistrationUpdate,
    /// /1/x/9: request bootstrap.
    BootstrapRequest,
}

/// Why [`ServerObject::add_instance`] refused an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The object already has its (single) instance.
    Exists,
    /// The binding, the IID (65535) or the Default Notification Mode (above 1) is invalid.
    Malformed,
    /// The SSID, the Lifetime or the periods are out of range ([`ServerInstance::valid`]).
    Invalid,
}

/// The resources of a new instance: the defaults (Lifetime 86400 s, Binding "U"), no
/// SSID yet (a transaction does not validate until one is written).
pub fn defaults(iid: u16) -> ServerInstance {
    let mut d = ServerInstance {
        iid,
        lifetime: NEW_INSTANCE_LIFETIME,
        ..ServerInstance::EMPTY
    };
    d.binding[0] = b'U';
    d
}

/// The Server object: at most one instance, and the copy a transaction rolls back to.
#[derive(Clone, Copy)]
pub struct ServerObject {
    data: ServerInstance,
    backup: ServerInstance,
    has_instance: bool,
    /// `has_instance` when the transaction began.
    backup_has_instance: bool,
    /// Whether the instance may be created and deleted through [`Object`] (a client with
    /// Bootstrap: only the Bootstrap-Server does).
    create_delete: bool,
    /// What the last Execute through [`Object`] asked for.
    action: Option<ServerAction>,
    /// A transaction through [`Object`] changed the Lifetime or the Binding.
    params_changed: bool,
}

impl Default for ServerObject {
    fn default() -> Self {
        Self::new(false)
    }
}

impl ServerObject {
    /// An object without an instance; `create_delete`: whether [`Object`] users (the
    /// Bootstrap-Server) may create and delete the instance.
    pub const fn new(create_delete: bool) -> Self {
        ServerObject {
            data: ServerInstance::EMPTY,
            backup: ServerInstance::EMPTY,
            has_instance: false,
            backup_has_instance: false,
            create_delete,
            action: None,
            params_changed: false,
        }
    }

    /// The instance, if the object has one.
    pub fn instance(&self) -> Option<&ServerInstance> {
        self.has_instance.then_some(&self.data)
    }

    /// Sets the instance without checks (a restore of what was stored).
    pub fn set_instance(&mut self, d: ServerInstance) {
        self.data = d;
        self.has_instance = true;
    }

    /// Adds the instance the application describes: `d` with its binding `binding`
    /// (bytes, without NUL), after checking it.
    pub fn add_instance(&mut self, mut d: ServerInstance, binding: &[u8]) -> Result<(), AddError> {
        if self.has_instance {
            return Err(AddError::Exists);
        }
        if !binding_valid(binding) || d.iid == u16::MAX || d.default_notification_mode > 1 {
            return Err(AddError::Malformed);
        }
        d.binding = [0; BINDING_SIZE];
        d.binding[..binding.len()].copy_from_slice(binding);
        if !d.valid() {
            return Err(AddError::Invalid);
        }
        self.set_instance(d);
        Ok(())
    }

    /// The value of resource `rid` of the instance; `None` for a resource that has none.
    pub fn read_resource(&self, rid: u16) -> Option<Value<'_>> {
        self.data.read(rid)
    }

    /// Writes resource `rid` of the instance (see [`ServerInstance::write`]).
    pub fn write_resource(&mut self, rid: u16, v: &Value<'_>) -> Result<(), InvalidValue> {
        self.data.write(rid, v)
    }

    /// What an Execute of resource `rid` asks for; `None`: not executable.
    pub fn execute_resource(&self, rid: u16) -> Option<ServerAction> {
        match rid {
            server_rid::DISABLE => Some(ServerAction::Disable {
                timeout: self.data.disable_timeout,
            }),
            server_rid::UPDATE_TRIGGER => Some(ServerAction::RegistrationUpdate),
            server_rid::BOOTSTRAP_TRIGGER => Some(ServerAction::BootstrapRequest),
            _ => None,
        }
    }

    /// Creates instance `iid` with the [`defaults`]; `false` when the object has its
    /// instance already or `iid` is 65535.
    pub fn create(&mut self, iid: u16) -> bool {
        if self.has_instance || iid == u16::MAX {
            return false;
        }
        self.set_instance(defaults(iid));
        true
    }

    /// Puts instance `iid` back to the [`defaults`] (the start of a Write-Replace or a
    /// Bootstrap-Write); `false` when there is no such instance.
    pub fn reset(&mut self, iid: u16) -> bool {
        if !self.has(iid) {
            return false;
        }
        self.data = defaults(iid);
        true
    }

    /// Deletes instance `iid`; `false` when there is no such instance.
    pub fn delete(&mut self, iid: u16) -> bool {
        if !self.has(iid) {
            return false;
        }
        self.has_instance = false;
        true
    }

    fn has(&self, iid: u16) -> bool {
        self.has_instance && self.data.iid == iid
    }

    /// Begins a transaction: remembers the state to roll back to.
    pub fn begin(&mut self) {
        self.backup = self.data;
        self.backup_has_instance = self.has_instance;
    }

    /// Whether the state a transaction leaves behind is consistent.
    pub fn validate(&self) -> bool {
        !self.has_instance || self.data.valid()
    }

    /// Ends a transaction: on failure back to the state at [`ServerObject::begin`]. On
    /// success, `true` when the client must tell the server of new parameters with an
    /// Update (LwM2M 1.1 TS Core §6.2.2): the Lifetime of an instance that was kept
    /// changed, or the Binding changed.
    pub fn end(&mut self, success: bool) -> bool {
        if !success {
            self.data = self.backup;
            self.has_instance = self.backup_has_instance;
            return false;
        }
        let (old, new) = (&self.backup, &self.data);
        self.has_instance && self.backup_has_instance && old.lifetime != new.lifetime
            || old.binding != new.binding
    }

    /// What the last Execute through [`Object`] asked for, once.
    pub fn take_action(&mut self) -> Option<ServerAction> {
        self.action.take()
    }

    /// Whether a transaction through [`Object`] ended with new Lifetime or Binding (see
    /// [`ServerObject::end`]), once.
    pub fn take_params_changed(&mut self) -> bool {
        core::mem::take(&mut self.params_changed)
    }
}

/// The whole value a write carries for a resource of a built-in object: they take whole
/// values only, so a chunk that is not the whole value (an oversized value) is
/// [`Value::Null`], as is a String that is not UTF-8.
pub fn whole_value<'a>(v: &WriteValue<'a>) -> Value<'a> {
    match *v {
        WriteValue::Whole(w) => w,
        WriteValue::Chunk {
            text,
            data,
            offset: 0,
            full_len: Some(n),
        } if n == data.len() => {
            if text {
                core::str::from_utf8(data)
                    .map(Value::String)
                    .unwrap_or(Value::Null)
            } else {
                Value::Bytes(data)
            }
        }
        WriteValue::Chunk { .. } => Value::Null,
    }
}

impl Object for ServerObject {
    fn oid(&self) -> u16 {
        OID
    }

    fn version(&self) -> Option<&str> {
        Some(VERSION)
    }

    fn instance_id(&self, index: usize) -> Option<u16> {
        (index == 0 && self.has_instance).then_some(self.data.iid)
    }

    fn max_instances(&self) -> u16 {
        1
    }

    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        if !self.has(iid) {
            return None;
        }
        RESOURCES.get(index).copied()
    }

    fn read(&mut self, _iid: u16, res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
        self.read_resource(res.rid).ok_or(DmError::NOT_FOUND)
    }

    fn write(
        &mut self,
        _iid: u16,
        rid: u16,
        _riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        self.write_resource(rid, &whole_value(value))
            .map_err(|_| DmError::BAD_REQUEST)
    }

    fn execute(&mut self, _iid: u16, rid: u16, _arg: &[u8]) -> DmResult<()> {
        let a = self
            .execute_resource(rid)
            .ok_or(DmError::METHOD_NOT_ALLOWED)?;
        self.action = Some(a);
        Ok(())
    }

    fn can_create_instances(&self) -> bool {
        self.create_delete
    }

    fn create_instance(&mut self, iid: u16) -> DmResult<()> {
        if self.create(iid) {
            Ok(())
        } else {
            Err(DmError::INTERNAL)
        }
    }

    fn can_delete_instances(&self) -> bool {
        self.create_delete
    }

    fn delete_instance(&mut self, iid: u16) -> DmResult<()> {
        if self.delete(iid) {
            Ok(())
        } else {
            Err(DmError::NOT_FOUND)
        }
    }

    fn reset_instance(&mut self, iid: u16) -> DmResult<()> {
        if self.reset(iid) {
            Ok(())
        } else {
            Err(DmError::NOT_FOUND)
        }
    }

    fn transaction_begin(&mut self) -> DmResult<()> {
        self.begin();
        Ok(())
    }

    fn transaction_validate(&mut self) -> DmResult<()> {
        if self.validate() {
            Ok(())
        } else {
            Err(DmError::BAD_REQUEST)
        }
    }

    fn transaction_end(&mut self, success: bool) {
        if self.end(success) {
            self.params_changed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dm::ops::{self, WriteKind};
    use crate::io::value::Path;

    fn with_instance() -> ServerObject {
        let mut s = ServerObject::new(true);
        let d = ServerInstance {
            iid: 0,
            ssid: 7,
            lifetime: 300,
            ..ServerInstance::EMPTY
        };
        s.add_instance(d, b"U").unwrap();
        s
    }

    fn write(s: &mut ServerObject, rid: u16, v: Value<'_>, kind: WriteKind) -> DmResult<()> {
        let base = Path::new(&[OID, 0]);
        let path = Path::new(&[OID, 0, rid]);
        ops::write_entry(s, &base, &path, &WriteValue::Whole(v), kind)
    }

    #[test]
    fn add_instance_checks_what_the_application_gives() {
        let mut s = ServerObject::new(false);
        let ok = ServerInstance {
            iid: 3,
            ssid: 1,
            lifetime: 60,
            ..ServerInstance::EMPTY
        };
        let mut bad_mode = ok;
        bad_mode.default_notification_mode = 2;
        assert_eq!(s.add_instance(ok, b"UU"), Err(AddError::Malformed));
        assert_eq!(s.add_instance(ok, b""), Err(AddError::Malformed));
        assert_eq!(s.add_instance(bad_mode, b"U"), Err(AddError::Malformed));
        let no_ssid = ServerInstance { ssid: 0, ..ok };
        assert_eq!(s.add_instance(no_ssid, b"U"), Err(AddError::Invalid));
        assert!(s.instance().is_none());
        assert_eq!(s.add_instance(ok, b"UT"), Ok(()));
        assert_eq!(s.instance().map(|d| (d.iid, d.binding())), Some((3, "UT")));
        assert_eq!(s.add_instance(ok, b"U"), Err(AddError::Exists));
    }

    #[test]
    fn reads_and_writes_through_the_dm_operations() {
        let mut s = with_instance();
        let p = |rid| Path::new(&[OID, 0, rid]);
        assert_eq!(
            ops::read_value(&mut s, &p(server_rid::SSID)),
            Ok(Value::Int(7))
        );
        assert_eq!(
            ops::read_value(&mut s, &p(server_rid::BINDING)),
            Ok(Value::String("U"))
        );
        assert_eq!(
            ops::read_value(&mut s, &p(server_rid::RETRY_TIMER)),
            Ok(Value::Uint(60))
        );
        assert_eq!(
            ops::read_value(&mut s, &p(server_rid::DISABLE)),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        s.begin();
        write(
            &mut s,
            server_rid::LIFETIME,
            Value::Int(120),
            WriteKind::Partial,
        )
        .unwrap();
        write(
            &mut s,
            server_rid::BINDING,
            Value::String("UT"),
            WriteKind::Partial,
        )
        .unwrap();
        // SSID is read-only to a Server, writable by the Bootstrap-Server.
        assert_eq!(
            write(&mut s, server_rid::SSID, Value::Int(9), WriteKind::Partial),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            write(
                &mut s,
                server_rid::BINDING,
                Value::String("UX"),
                WriteKind::Partial
            ),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(
            write(
                &mut s,
                server_rid::LIFETIME,
                Value::Int(-1),
                WriteKind::Partial
            ),
            Err(DmError::BAD_REQUEST)
        );
        assert!(s.validate());
        s.transaction_end(true);
        assert!(s.take_params_changed());
        assert!(!s.take_params_changed());
        assert_eq!(
            ops::read_value(&mut s, &p(server_rid::LIFETIME)),
            Ok(Value::Int(120))
        );
        write(
            &mut s,
            server_rid::SSID,
            Value::Int(9),
            WriteKind::Bootstrap,
        )
        .unwrap();
        assert_eq!(s.instance().map(|d| d.ssid), Some(9));
    }

    #[test]
    fn a_failed_transaction_rolls_back() {
        let mut s = with_instance();
        s.transaction_begin().unwrap();
        write(
            &mut s,
            server_rid::LIFETIME,
            Value::Int(0),
            WriteKind::Partial,
        )
        .unwrap();
        // Lifetime 0 is not a valid instance.
        assert_eq!(s.transaction_validate(), Err(DmError::BAD_REQUEST));
        ops::delete(&mut s, &Path::new(&[OID, 0])).unwrap();
        assert!(s.instance().is_none());
        s.transaction_end(false);
        assert_eq!(s.instance().map(|d| d.lifetime), Some(300));
        assert!(!s.take_params_changed());
    }

    #[test]
    fn create_reset_and_delete_follow_the_single_instance() {
        let mut s = ServerObject::new(true);
        assert_eq!(ops::create_instance(&mut s, 4), Ok(()));
        let d = *s.instance().unwrap();
        assert_eq!((d.iid, d.ssid, d.lifetime, d.binding()), (4, 0, 86400, "U"));
        // No SSID yet: the transaction does not validate.
        assert!(!s.validate());
        assert_eq!(s.create_instance(5), Err(DmError::INTERNAL));
        let (base, path) = (
            Path::new(&[OID, 4]),
            Path::new(&[OID, 4, server_rid::LIFETIME]),
        );
        let five = WriteValue::Whole(Value::Int(5));
        ops::write_entry(&mut s, &base, &path, &five, WriteKind::Partial).unwrap();
        assert_eq!(s.instance().map(|d| d.lifetime), Some(5));
        assert_eq!(s.reset_instance(4), Ok(()));
        assert_eq!(s.instance().map(|d| d.lifetime), Some(86400));
        assert_eq!(s.reset_instance(3), Err(DmError::NOT_FOUND));
        assert_eq!(s.delete_instance(3), Err(DmError::NOT_FOUND));
        assert_eq!(s.delete_instance(4), Ok(()));
        assert!(s.instance().is_none());
        assert!(!ServerObject::new(false).can_create_instances());
    }

    #[test]
    fn executes_ask_the_client_for_actions() {
        let mut s = with_instance();
        let p = |rid| Path::new(&[OID, 0, rid]);
        ops::execute(&mut s, &p(server_rid::DISABLE), b"").unwrap();
        assert_eq!(
            s.take_action(),
            Some(ServerAction::Disable {
                timeout: super::super::builtin::DISABLE_TIMEOUT_DEFAULT
            })
        );
        ops::execute(&mut s, &p(server_rid::UPDATE_TRIGGER), b"").unwrap();
        assert_eq!(s.take_action(), Some(ServerAction::RegistrationUpdate));
        ops::execute(&mut s, &p(server_rid::BOOTSTRAP_TRIGGER), b"").unwrap();
        assert_eq!(s.take_action(), Some(ServerAction::BootstrapRequest));
        assert_eq!(s.take_action(), None);
        assert_eq!(
            ops::execute(&mut s, &p(server_rid::LIFETIME), b""),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
    }

    #[test]
    fn a_whole_value_in_one_chunk_is_written_and_a_partial_one_refused() {
        let whole = WriteValue::Chunk {
            text: true,
            data: b"UT",
            offset: 0,
            full_len: Some(2),
        };
        assert_eq!(whole_value(&whole), Value::String("UT"));
        let part = WriteValue::Chunk {
            text: true,
            data: b"UT",
            offset: 0,
            full_len: None,
        };
        assert_eq!(whole_value(&part), Value::Null);
        let not_utf8 = WriteValue::Chunk {
            text: true,
            data: &[0xff],
            offset: 0,
            full_len: Some(1),
        };
        assert_eq!(whole_value(&not_utf8), Value::Null);
    }
}
