//! The state and rules of the built-in Security (/0), Server (/1) and Device (/3)
//! objects, free of pointers. The C face (`anj`'s `ffi::objects`) wraps them into C object
//! tables and Anjay Lite's built-in object functions.

use crate::io::value::Value;

/// Server object resources (LwM2M 1.1 TS Core, Appendix E.2).
/// cbindgen:ignore
pub mod server_rid {
    pub const SSID: u16 = 0;
    pub const LIFETIME: u16 = 1;
    pub const DEFAULT_PMIN: u16 = 2;
    pub const DEFAULT_PMAX: u16 = 3;
    pub const DISABLE: u16 = 4;
    pub const DISABLE_TIMEOUT: u16 = 5;
    pub const NOTIFICATION_STORING: u16 = 6;
    pub const BINDING: u16 = 7;
    pub const UPDATE_TRIGGER: u16 = 8;
    pub const BOOTSTRAP_TRIGGER: u16 = 9;
    pub const BOOTSTRAP_ON_FAILURE: u16 = 16;
    pub const RETRY_COUNT: u16 = 17;
    pub const RETRY_TIMER: u16 = 18;
    pub const SEQ_DELAY_TIMER: u16 = 19;
    pub const SEQ_RETRY_COUNT: u16 = 20;
    pub const MUTE_SEND: u16 = 23;
    pub const DEFAULT_NOTIFICATION_MODE: u16 = 26;
}

/// Security object resources (Appendix E.1).
/// cbindgen:ignore
pub mod security_rid {
    pub const SERVER_URI: u16 = 0;
    pub const BOOTSTRAP_SERVER: u16 = 1;
    pub const SECURITY_MODE: u16 = 2;
    pub const PUBLIC_KEY_OR_IDENTITY: u16 = 3;
    pub const SERVER_PUBLIC_KEY: u16 = 4;
    pub const SECRET_KEY: u16 = 5;
    pub const SSID: u16 = 10;
    pub const CLIENT_HOLD_OFF_TIME: u16 = 11;
    pub const SNI: u16 = 14;
    pub const CERTIFICATE_USAGE: u16 = 15;
}

/// Device object resources (Appendix E.4).
/// cbindgen:ignore
pub mod device_rid {
    pub const MANUFACTURER: u16 = 0;
    pub const MODEL_NUMBER: u16 = 1;
    pub const SERIAL_NUMBER: u16 = 2;
    pub const FIRMWARE_VERSION: u16 = 3;
    pub const REBOOT: u16 = 4;
    pub const ERROR_CODE: u16 = 11;
    pub const SUPPORTED_BINDINGS: u16 = 16;
    pub const SOFTWARE_VERSION: u16 = 19;
}

/// The bindings a Server object instance may name: U, M, H, T, S, N (1.2) or U, T, S, N (1.1).
#[cfg(feature = "lwm2m12")]
pub const SERVER_BINDINGS: &str = "UMHTSN";
#[cfg(not(feature = "lwm2m12"))]
pub const SERVER_BINDINGS: &str = "UTSN";
/// Room for a binding string: each letter at most once, plus a NUL.
pub const BINDING_SIZE: usize = SERVER_BINDINGS.len() + 1;

/// A binding string is valid when non-empty, and each letter is known and appears once.
pub fn binding_valid(b: &[u8]) -> bool {
    // The letters seen, one bit each (a position in `SERVER_BINDINGS`): no `[u8]::contains`,
    // which is memchr for bytes (small images need not link it).
    let mut seen = 0u8;
    !b.is_empty()
        && b.len() < BINDING_SIZE
        && b.iter()
            .all(|c| match SERVER_BINDINGS.bytes().position(|s| s == *c) {
                Some(k) if seen & (1 << k) == 0 => {
                    seen |= 1 << k;
                    true
                }
                _ => false,
            })
}

/// Values of the Communication Retry resources (/1/x/17..20, LwM2M 1.1 TS Core §6.2.1.1).
///
/// `repr(C)`: the C face hands it to C as Anjay Lite's communication retry struct (and checks the
/// layout against its declaration for the header).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommRetry {
    pub retry_count: u16,
    pub retry_timer: u32,
    pub seq_delay_timer: u32,
    pub seq_retry_count: u16,
}

impl CommRetry {
    /// The spec's defaults: 5 tries, 60 s base timer, 24 h between sequences, 1 sequence.
    pub const DEFAULT: Self = CommRetry {
        retry_count: 5,
        retry_timer: 60,
        seq_delay_timer: 24 * 60 * 60,
        seq_retry_count: 1,
    };
}

/// Default Disable Timeout (/1/x/5): one day.
pub const DISABLE_TIMEOUT_DEFAULT: u32 = 86400;

/// A written value the resource cannot take.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidValue;

/// One Server object instance.
#[derive(Clone, Copy)]
pub struct ServerInstance {
    pub iid: u16,
    pub ssid: u16,
    pub lifetime: u32,
    pub default_pmin: u32,
    pub default_pmax: u32,
    pub disable_timeout: u32,
    pub retry: CommRetry,
    pub binding: [u8; BINDING_SIZE],
    pub notification_storing: bool,
    pub bootstrap_on_failure: bool,
    pub mute_send: bool,
    pub default_notification_mode: u8,
}

impl ServerInstance {
    /// No instance yet: the defaults of every optional resource (no IID, SSID,
    /// Lifetime or Binding).
    pub const EMPTY: ServerInstance = ServerInstance {
        iid: u16::MAX,
        ssid: 0,
        lifetime: 0,
        default_pmin: 0,
        default_pmax: 0,
        disable_timeout: DISABLE_TIMEOUT_DEFAULT,
        retry: CommRetry::DEFAULT,
        binding: [0; BINDING_SIZE],
        notification_storing: false,
        bootstrap_on_failure: true,
        mute_send: false,
        default_notification_mode: 0,
    };

    pub fn binding(&self) -> &str {
        let len = self
            .binding
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.binding.len());
        core::str::from_utf8(&self.binding[..len]).unwrap_or("")
    }

    pub fn read(&self, rid: u16) -> Option<Value<'_>> {
        use server_rid::*;
        Some(match rid {
            SSID => Value::Int(self.ssid.into()),
            LIFETIME => Value::Int(self.lifetime.into()),
            DEFAULT_PMIN => Value::Int(self.default_pmin.into()),
            DEFAULT_PMAX => Value::Int(self.default_pmax.into()),
            DISABLE_TIMEOUT => Value::Int(self.disable_timeout.into()),
            NOTIFICATION_STORING => Value::Bool(self.notification_storing),
            BINDING => Value::String(self.binding()),
            BOOTSTRAP_ON_FAILURE => Value::Bool(self.bootstrap_on_failure),
            RETRY_COUNT => Value::Uint(self.retry.retry_count.into()),
            RETRY_TIMER => Value::Uint(self.retry.retry_timer.into()),
            SEQ_DELAY_TIMER => Value::Uint(self.retry.seq_delay_timer.into()),
            SEQ_RETRY_COUNT => Value::Uint(self.retry.seq_retry_count.into()),
            MUTE_SEND => Value::Bool(self.mute_send),
            DEFAULT_NOTIFICATION_MODE => Value::Int(self.default_notification_mode.into()),
            _ => return None,
        })
    }

    /// Applies a write; an error means the value is out of range for the resource or
    /// the resource is not writable (the server gets 4.00).
    pub fn write(&mut self, rid: u16, v: &Value<'_>) -> Result<(), InvalidValue> {
        use server_rid::*;
        let u32_of = |v: &Value<'_>| -> Result<u32, InvalidValue> {
            match *v {
                Value::Int(i) => u32::try_from(i).map_err(|_| InvalidValue),
                Value::Uint(u) => u32::try_from(u).map_err(|_| InvalidValue),
                _ => Err(InvalidValue),
            }
        };
        let u16_of = |v: &Value<'_>| u16::try_from(u32_of(v)?).map_err(|_| InvalidValue);
        let bool_of = |v: &Value<'_>| match *v {
            Value::Bool(b) => Ok(b),
            _ => Err(InvalidValue),
        };
        match rid {
            // Read-only to LwM2M Servers; the data model lets only the Bootstrap-Server
            // write it.
            SSID => {
                self.ssid = u16_of(v)?;
            }
            BOOTSTRAP_ON_FAILURE => self.bootstrap_on_failure = bool_of(v)?,
            LIFETIME => self.lifetime = u32_of(v)?,
            DEFAULT_PMIN => self.default_pmin = u32_of(v)?,
            DEFAULT_PMAX => self.default_pmax = u32_of(v)?,
            DISABLE_TIMEOUT => self.disable_timeout = u32_of(v)?,
            NOTIFICATION_STORING => self.notification_storing = bool_of(v)?,
            BINDING => match v {
                Value::String(s) if binding_valid(s.as_bytes()) => {
                    self.binding = [0; BINDING_SIZE];
                    self.binding[..s.len()].copy_from_slice(s.as_bytes());
                }
                _ => return Err(InvalidValue),
            },
            RETRY_COUNT => self.retry.retry_count = u16_of(v)?,
            RETRY_TIMER => self.retry.retry_timer = u32_of(v)?,
            SEQ_DELAY_TIMER => self.retry.seq_delay_timer = u32_of(v)?,
            SEQ_RETRY_COUNT => self.retry.seq_retry_count = u16_of(v)?,
            MUTE_SEND => self.mute_send = bool_of(v)?,
            DEFAULT_NOTIFICATION_MODE => {
                let m = u32_of(v)?;
                // 0 = NON, 1 = CON (LwM2M 1.2 TS Core, Appendix E.2).
                if m > 1 {
                    return Err(InvalidValue);
                }
                self.default_notification_mode = m as u8;
            }
            _ => return Err(InvalidValue),
        }
        Ok(())
    }

    /// Consistency a transaction must leave behind (LwM2M 1.1 TS Core, E.2 ranges).
    pub fn valid(&self) -> bool {
        self.ssid != 0
            && self.ssid != u16::MAX
            && self.lifetime > 0
            && binding_valid(self.binding().as_bytes())
            && (self.default_pmax == 0 || self.default_pmax >= self.default_pmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_known_letters_each_once() {
        for good in ["U", "T", "S", "N", "UT", "UN", "TU", "UTSN", "NSTU"] {
            assert!(binding_valid(good.as_bytes()), "{good}");
        }
        for bad in ["", "UU", "UTU", "X", "u", "U ", "UTSNU", "UTSNX", "UTSNT"] {
            assert!(!binding_valid(bad.as_bytes()), "{bad:?}");
        }
        // Every letter of the set, once each, in either order.
        let all = SERVER_BINDINGS.as_bytes();
        assert!(binding_valid(all));
        let mut rev = all.to_vec();
        rev.reverse();
        assert!(binding_valid(&rev));
        assert!(!binding_valid(&[all, &all[..1]].concat()));
    }
}
