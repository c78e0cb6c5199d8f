//! The Firmware Update object /5 (LwM2M 1.1 TS Core, Appendix E.6): its state machine,
//! free of pointers and of the C ABI. The C face (`anj`'s `ffi::fw_update`) turns it into a C
//! object table and reaches the application's firmware update callbacks through
//! [`FwEnv`].
//!
//! State (/5/0/3) and Update Result (/5/0/5) follow the specification's state machine:
//!
//! ```text
//! Idle --Write Package, first of several blocks--> Downloading --last block--> Downloaded
//! Idle --Write Package, the whole image in one message--------------------->  Downloaded
//! Idle --Write Package URI, accepted--> Downloading --download result SUCCESS--> Downloaded
//! Downloaded --Execute Update, accepted--> Updating --update result--> Idle
//! any state but Updating --empty Package or Package URI--> Idle, result Initial
//! ```
//!
//! Every failure on the way (a callback error, a rejected URI, a failed download, a
//! block-wise push that is abandoned or times out, a failed start of the update) ends in
//! Idle with the application's reset callback called and the Update Result telling why,
//! so that the next download can start at once. A download that starts resets the Update
//! Result to Initial (§E.6, Update Result). Each value that changes is reported through
//! [`FwEnv::changed`] (observers of /5/0/3, /5/0/5, /5/0/1, /5/0/6, /5/0/7).
//!
//! The state lives in [`Cell`]s: the application's callbacks may call back into the object
//! (e.g. report the update result from inside `update_start`), so no exclusive borrow is
//! held while one of them runs.
//!
//! [`FwUpdateObject`] is the object for Rust users: the state machine and an [`FwEnv`]
//! behind the data model's [`Object`] trait.

use core::cell::Cell;

use crate::dm::object::{Object, ResKind, Resource, WriteValue};
use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Value};

/// Resource IDs of /5 (Appendix E.6).
pub mod rid {
    pub const PACKAGE: u16 = 0;
    pub const PACKAGE_URI: u16 = 1;
    pub const UPDATE: u16 = 2;
    pub const STATE: u16 = 3;
    pub const UPDATE_RESULT: u16 = 5;
    pub const PKG_NAME: u16 = 6;
    pub const PKG_VERSION: u16 = 7;
    pub const PROTOCOL_SUPPORT: u16 = 8;
    pub const DELIVERY_METHOD: u16 = 9;
}

/// Values of State /5/0/3.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum FwState {
    Idle = 0,
    Downloading = 1,
    Downloaded = 2,
    Updating = 3,
}

/// Values of Update Result /5/0/5 (also what the application's callbacks return).
pub mod result {
    pub const INITIAL: i8 = 0;
    pub const SUCCESS: i8 = 1;
    pub const NOT_ENOUGH_SPACE: i8 = 2;
    pub const OUT_OF_MEMORY: i8 = 3;
    pub const CONNECTION_LOST: i8 = 4;
    pub const INTEGRITY_FAILURE: i8 = 5;
    pub const UNSUPPORTED_PACKAGE_TYPE: i8 = 6;
    pub const INVALID_URI: i8 = 7;
    pub const FAILED: i8 = 8;
    pub const UNSUPPORTED_PROTOCOL: i8 = 9;
}

/// Values of Firmware Update Protocol Support /5/0/8.
pub mod protocol {
    pub const COAP: u16 = 0;
    pub const COAPS: u16 = 1;
    pub const HTTP: u16 = 2;
    pub const HTTPS: u16 = 3;
    pub const COAP_TCP: u16 = 4;
    pub const COAPS_TCP: u16 = 5;
}

/// The protocols enabled by the `fota-*` features (`ANJ_FOTA_WITH_*`), ascending. With the
/// pull method they are the instances of /5/0/8, each with its own value as its ID.
pub static PROTOCOLS: &[u16] = &[
    #[cfg(feature = "fota-coap")]
    protocol::COAP,
    #[cfg(feature = "fota-coaps")]
    protocol::COAPS,
    #[cfg(feature = "fota-http")]
    protocol::HTTP,
    #[cfg(feature = "fota-https")]
    protocol::HTTPS,
    #[cfg(feature = "fota-coap-tcp")]
    protocol::COAP_TCP,
    #[cfg(feature = "fota-coaps-tcp")]
    protocol::COAPS_TCP,
];

/// Firmware Update Delivery Method /5/0/9: 0 pull, 1 push, 2 both.
pub const DELIVERY_METHOD: i64 = if cfg!(all(
    feature = "fota-pull-method",
    feature = "fota-push-method"
)) {
    2
} else if cfg!(feature = "fota-push-method") {
    1
} else {
    0
};

/// Room for a Package URI, terminating NUL included (as Anjay Lite: 255 characters).
pub const URI_BUF_SIZE: usize = 256;

/// What the state machine needs from its surroundings: the application's callbacks and
/// the report of changed values.
pub trait FwEnv {
    /// `package_write_start_handler`: a result code ([`result::SUCCESS`] to go on).
    fn write_start(&mut self) -> i8;
    /// `package_write_handler` with the next chunk of the package.
    fn write(&mut self, data: &[u8]) -> i8;
    /// `package_write_finish_handler`.
    fn write_finish(&mut self) -> i8;
    /// `uri_write_handler` with the NUL-terminated URI held in `uri`.
    fn uri_write(&mut self, uri: &[Cell<u8>]) -> i8;
    /// `update_start_handler`: 0 when the update was started (or scheduled).
    fn update_start(&mut self) -> i32;
    /// `reset_handler`: abort what is under way, release temporary resources.
    fn reset(&mut self);
    /// The value of /5/0/`rid` changed.
    fn changed(&mut self, rid: u16);
    /// PkgName /5/0/6 of the downloaded package, read through [`FwUpdateObject`] (asked
    /// only in Downloaded; empty otherwise). The default has none.
    fn package_name(&self) -> &str {
        ""
    }
    /// PkgVersion /5/0/7, as [`FwEnv::package_name`].
    fn package_version(&self) -> &str {
        ""
    }
}

/// One chunk of a value written to Package or Package URI, as a write handler gets it
/// (Anjay Lite's chunked bytes value): `full_length_hint` is 0 until the last chunk.
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    pub data: &'a [u8],
    pub offset: usize,
    pub full_length_hint: usize,
}

impl Chunk<'_> {
    /// An empty value: the reset request of §E.6 (Package also takes a single NUL byte,
    /// which is how Anjay Lite recognises it).
    fn is_empty_value(&self, nul_counts: bool) -> bool {
        self.offset == 0
            && ((self.data.is_empty() && self.full_length_hint == 0)
                || (nul_counts && self.full_length_hint == 1 && self.data == [0]))
    }

    fn end(&self) -> usize {
        self.offset.saturating_add(self.data.len())
    }

    fn is_last(&self) -> bool {
        self.end() == self.full_length_hint
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Push {
    /// No push transfer under way.
    Off,
    /// `write_start` succeeded; the next chunk starts at `next`.
    Receiving { next: usize },
}

/// The state of the Firmware Update object (one instance, /5/0).
pub struct FwUpdate {
    state: Cell<FwState>,
    result: Cell<i8>,
    push: Cell<Push>,
    /// A download began in the transaction that is open now: a failure of that
    /// transaction undoes it.
    began_in_txn: Cell<bool>,
    /// The accepted Package URI (NUL-terminated), or a URI being assembled.
    #[cfg(feature = "fota-pull-method")]
    uri: [Cell<u8>; URI_BUF_SIZE],
    /// Length of the accepted URI (0: none), what /5/0/1 reads.
    #[cfg(feature = "fota-pull-method")]
    uri_len: Cell<usize>,
    /// How much of a URI written in chunks has arrived.
    #[cfg(feature = "fota-pull-method")]
    uri_fill: Cell<usize>,
}

impl Default for FwUpdate {
    fn default() -> Self {
        Self::new()
    }
}

fn failed_with(what: &str, r: i8) {
    crate::log_warning!("firmware update: {} failed, result {}", what, r);
}

impl FwUpdate {
    pub const fn new() -> FwUpdate {
        FwUpdate {
            state: Cell::new(FwState::Idle),
            result: Cell::new(result::INITIAL),
            push: Cell::new(Push::Off),
            began_in_txn: Cell::new(false),
            #[cfg(feature = "fota-pull-method")]
            uri: [const { Cell::new(0) }; URI_BUF_SIZE],
            #[cfg(feature = "fota-pull-method")]
            uri_len: Cell::new(0),
            #[cfg(feature = "fota-pull-method")]
            uri_fill: Cell::new(0),
        }
    }

    pub fn state(&self) -> FwState {
        self.state.get()
    }

    pub fn result(&self) -> i8 {
        self.result.get()
    }

    /// The accepted Package URI (/5/0/1): its bytes, followed by a NUL in the buffer.
    #[cfg(feature = "fota-pull-method")]
    pub fn uri(&self) -> &[Cell<u8>] {
        &self.uri[..self.uri_len.get()]
    }

    /// Whether PkgName and PkgVersion come from the application now (Anjay Lite asks it
    /// only while a package is downloaded).
    pub fn package_info_available(&self) -> bool {
        self.state.get() == FwState::Downloaded
    }

    fn set_state(&self, env: &mut impl FwEnv, s: FwState) {
        let old = self.state.replace(s);
        if old != s {
            env.changed(rid::STATE);
            if old == FwState::Downloaded || s == FwState::Downloaded {
                env.changed(rid::PKG_NAME);
                env.changed(rid::PKG_VERSION);
            }
        }
    }

    fn set_result(&self, env: &mut impl FwEnv, r: i8) {
        if self.result.replace(r) != r {
            env.changed(rid::UPDATE_RESULT);
        }
    }

    #[cfg(feature = "fota-pull-method")]
    fn clear_uri(&self, env: &mut impl FwEnv) {
        self.uri[0].set(0);
        self.uri_fill.set(0);
        if self.uri_len.replace(0) != 0 {
            env.changed(rid::PACKAGE_URI);
        }
    }

    /// Ends whatever is under way: the reset callback, no transfer, no URI, state Idle.
    fn reset(&self, env: &mut impl FwEnv) {
        env.reset();
        self.push.set(Push::Off);
        self.began_in_txn.set(false);
        #[cfg(feature = "fota-pull-method")]
        self.clear_uri(env);
        self.set_state(env, FwState::Idle);
    }

    /// A failure: everything is reset and the Update Result says why.
    fn fail(&self, env: &mut impl FwEnv, r: i8) {
        self.reset(env);
        self.set_result(env, r);
    }

    /// The data model opens a transaction on the object.
    pub fn transaction_begin(&self) {
        self.began_in_txn.set(false);
    }

    /// The transaction ends. A push transfer that is still under way has been abandoned
    /// (the server stopped sending blocks, or sent another request in between): it ends
    /// with Connection Lost. A download that began in a transaction that failed is undone.
    pub fn transaction_end(&self, env: &mut impl FwEnv, success: bool) {
        let began = self.began_in_txn.replace(false);
        if let Push::Receiving { next } = self.push.get() {
            crate::log_warning!("firmware update: push abandoned after {} bytes", next);
            self.fail(env, result::CONNECTION_LOST);
        } else if !success
            && began
            && matches!(self.state.get(), FwState::Downloading | FwState::Downloaded)
        {
            crate::log_warning!("firmware update: the write that started a download failed");
            self.fail(env, result::INITIAL);
        }
    }

    /// A Write of Package /5/0/0 (one chunk of it).
    pub fn write_package(&self, env: &mut impl FwEnv, c: Chunk<'_>) -> Result<(), DmError> {
        if self.state.get() == FwState::Updating {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        if c.is_empty_value(true) {
            crate::log_info!("firmware update: reset requested through Package");
            self.fail(env, result::INITIAL);
            return Ok(());
        }
        if cfg!(not(feature = "fota-push-method")) {
            return Err(DmError::BAD_REQUEST);
        }
        if c.offset == 0 {
            if self.push.get() != Push::Off {
                // A new transfer over one that never ended (the data model ends the old
                // transaction first, so this is only a safety net).
                self.fail(env, result::CONNECTION_LOST);
            }
            if self.state.get() != FwState::Idle {
                return Err(DmError::METHOD_NOT_ALLOWED);
            }
            crate::log_info!("firmware update: push download starts");
            let r = env.write_start();
            if r != result::SUCCESS {
                failed_with("package_write_start", r);
                self.fail(env, r);
                return Err(DmError::INTERNAL);
            }
            self.push.set(Push::Receiving { next: 0 });
            self.began_in_txn.set(true);
            self.set_result(env, result::INITIAL);
        } else if self.push.get() != (Push::Receiving { next: c.offset }) {
            return Err(DmError::BAD_REQUEST);
        }
        if !c.data.is_empty() {
            let r = env.write(c.data);
            if r != result::SUCCESS {
                failed_with("package_write", r);
                self.fail(env, r);
                return Err(DmError::INTERNAL);
            }
        }
        if !c.is_last() {
            self.push.set(Push::Receiving { next: c.end() });
            self.set_state(env, FwState::Downloading);
            return Ok(());
        }
        self.push.set(Push::Off);
        let r = env.write_finish();
        if r != result::SUCCESS {
            failed_with("package_write_finish", r);
            self.fail(env, r);
            return Err(DmError::INTERNAL);
        }
        crate::log_info!("firmware update: package of {} bytes downloaded", c.end());
        self.set_result(env, result::INITIAL);
        self.set_state(env, FwState::Downloaded);
        Ok(())
    }

    /// A Write of Package URI /5/0/1 (one chunk of it).
    pub fn write_uri(&self, env: &mut impl FwEnv, c: Chunk<'_>) -> Result<(), DmError> {
        if self.state.get() == FwState::Updating {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        if c.is_empty_value(false) {
            crate::log_info!("firmware update: reset requested through Package URI");
            self.fail(env, result::INITIAL);
            return Ok(());
        }
        self.write_uri_chunk(env, c)
    }

    /// Without the pull method a URI is refused, as in Anjay Lite.
    #[cfg(not(feature = "fota-pull-method"))]
    fn write_uri_chunk(&self, _env: &mut impl FwEnv, _c: Chunk<'_>) -> Result<(), DmError> {
        Err(DmError::BAD_REQUEST)
    }

    #[cfg(feature = "fota-pull-method")]
    fn write_uri_chunk(&self, env: &mut impl FwEnv, c: Chunk<'_>) -> Result<(), DmError> {
        if self.state.get() != FwState::Idle {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        if c.offset == 0 {
            // A new URI replaces the old one from its first byte on.
            self.clear_uri(env);
        } else if c.offset != self.uri_fill.get() {
            return Err(DmError::BAD_REQUEST);
        }
        let end = c.end();
        if end >= URI_BUF_SIZE {
            crate::log_warning!(
                "firmware update: Package URI longer than {} bytes",
                URI_BUF_SIZE - 1
            );
            self.fail(env, result::INVALID_URI);
            return Err(DmError::BAD_REQUEST);
        }
        for (cell, &b) in self.uri[c.offset..end].iter().zip(c.data) {
            cell.set(b);
        }
        self.uri_fill.set(end);
        if !c.is_last() {
            return Ok(());
        }
        self.uri[end].set(0);
        let mut copy = [0u8; URI_BUF_SIZE];
        for (d, s) in copy.iter_mut().zip(&self.uri[..end]) {
            *d = s.get();
        }
        if let Err(r) = uri_protocol(&copy[..end]) {
            crate::log_warning!("firmware update: Package URI refused, result {}", r);
            self.fail(env, r);
            return Err(DmError::BAD_REQUEST);
        }
        crate::log_info!("firmware update: pull download requested");
        let r = env.uri_write(&self.uri[..=end]);
        if r != result::SUCCESS {
            failed_with("uri_write", r);
            self.fail(env, r);
            return Err(DmError::BAD_REQUEST);
        }
        self.uri_len.set(end);
        env.changed(rid::PACKAGE_URI);
        self.began_in_txn.set(true);
        self.set_result(env, result::INITIAL);
        self.set_state(env, FwState::Downloading);
        Ok(())
    }

    /// An Execute of Update /5/0/2.
    pub fn execute_update(&self, env: &mut impl FwEnv) -> Result<(), DmError> {
        if self.state.get() != FwState::Downloaded {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        crate::log_info!("firmware update: update starts");
        if env.update_start() != 0 {
            failed_with("update_start", result::FAILED);
            self.fail(env, result::FAILED);
            return Err(DmError::INTERNAL);
        }
        // Unless the callback already reported the outcome itself.
        if self.state.get() == FwState::Downloaded {
            self.set_result(env, result::INITIAL);
            self.set_state(env, FwState::Updating);
        }
        Ok(())
    }

    /// `anj_dm_fw_update_object_set_update_result`: the outcome of the update; back to
    /// Idle. Meant for Updating (and Idle, right after a reboot into the new firmware);
    /// in Downloading or Downloaded what was under way is reset first.
    pub fn set_update_result(&self, env: &mut impl FwEnv, r: i8) {
        if matches!(self.state.get(), FwState::Downloading | FwState::Downloaded) {
            crate::log_warning!("firmware update: update result set while a download is held");
            self.reset(env);
        }
        self.push.set(Push::Off);
        self.set_result(env, r);
        self.set_state(env, FwState::Idle);
    }

    /// `anj_dm_fw_update_object_set_download_result`: the outcome of a pull download.
    /// False (and nothing changes) outside a pull download (Downloading without a push
    /// transfer).
    pub fn set_download_result(&self, env: &mut impl FwEnv, r: i8) -> bool {
        if self.state.get() != FwState::Downloading || self.push.get() != Push::Off {
            return false;
        }
        if r == result::SUCCESS {
            crate::log_info!("firmware update: pull download finished");
            self.set_result(env, result::INITIAL);
            self.set_state(env, FwState::Downloaded);
        } else {
            failed_with("pull download", r);
            self.fail(env, r);
        }
        true
    }
}

/// Checks a Package URI: `Ok` with the protocol it names, or the Update Result that
/// refuses it: Invalid URI (7) when it is not `scheme://host[:port][/...]` in printable
/// ASCII, Unsupported Protocol (9) when its scheme is not one of [`PROTOCOLS`].
pub fn uri_protocol(uri: &[u8]) -> Result<u16, i8> {
    const INVALID: Result<u16, i8> = Err(result::INVALID_URI);
    if uri.iter().any(|&b| !(0x21..0x7f).contains(&b)) {
        return INVALID;
    }
    let Some(colon) = uri.iter().position(|&b| b == b':') else {
        return INVALID;
    };
    let (scheme, rest) = (&uri[..colon], &uri[colon..]);
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let Some(rest) = rest.strip_prefix(b"://") else {
        return INVALID;
    };
    if !scheme_ok {
        return INVALID;
    }
    // Authority: [userinfo@]host[:port], up to the path, query or fragment.
    let auth_end = rest
        .iter()
        .position(|b| b"/?#".contains(b))
        .unwrap_or(rest.len());
    let auth = &rest[..auth_end];
    let host_port = match auth.iter().rposition(|&b| b == b'@') {
        Some(at) => &auth[at + 1..],
        None => auth,
    };
    let (host, port) = if host_port.first() == Some(&b'[') {
        // An IPv6 literal.
        let Some(close) = host_port.iter().position(|&b| b == b']') else {
            return INVALID;
        };
        (&host_port[..=close], &host_port[close + 1..])
    } else {
        match host_port.iter().position(|&b| b == b':') {
            Some(p) => (&host_port[..p], &host_port[p..]),
            None => (host_port, &host_port[host_port.len()..]),
        }
    };
    if host.is_empty() || host == b"[]" {
        return INVALID;
    }
    if let Some(digits) = port.strip_prefix(b":") {
        let ok = !digits.is_empty()
            && digits.len() <= 5
            && digits.iter().all(u8::is_ascii_digit)
            && digits
                .iter()
                .fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'))
                <= 65535;
        if !ok {
            return INVALID;
        }
    } else if !port.is_empty() {
        return INVALID;
    }
    let mut lower = [0u8; 9];
    if scheme.len() > lower.len() {
        return Err(result::UNSUPPORTED_PROTOCOL);
    }
    for (d, s) in lower.iter_mut().zip(scheme) {
        *d = s.to_ascii_lowercase();
    }
    let p = match &lower[..scheme.len()] {
        b"coap" => protocol::COAP,
        b"coaps" => protocol::COAPS,
        b"http" => protocol::HTTP,
        b"https" => protocol::HTTPS,
        b"coap+tcp" => protocol::COAP_TCP,
        b"coaps+tcp" => protocol::COAPS_TCP,
        _ => return Err(result::UNSUPPORTED_PROTOCOL),
    };
    if PROTOCOLS.contains(&p) {
        Ok(p)
    } else {
        Err(result::UNSUPPORTED_PROTOCOL)
    }
}

/* ------------------------------- the object for Rust users ------------------------------- */

/// The Object ID of Firmware Update.
pub const OID: u16 = 5;
/// Its only instance.
pub const IID: u16 = 0;
/// The object version reported (as the C face's object does).
pub const VERSION: &str = "1.0";

/// The resources of /5/0, by ascending RID (Protocol Support only with the pull method:
/// one resource instance per protocol of [`PROTOCOLS`]).
pub const RESOURCES: &[Resource] = {
    use DataType as T;
    use ResKind::*;
    &[
        Resource::new(rid::PACKAGE, W, T::Bytes),
        Resource::new(rid::PACKAGE_URI, RW, T::String),
        Resource::new(rid::UPDATE, E, T::Null),
        Resource::new(rid::STATE, R, T::Int),
        Resource::new(rid::UPDATE_RESULT, R, T::Int),
        Resource::new(rid::PKG_NAME, R, T::String),
        Resource::new(rid::PKG_VERSION, R, T::String),
        #[cfg(feature = "fota-pull-method")]
        Resource {
            max_instances: PROTOCOLS.len() as u16,
            ..Resource::new(rid::PROTOCOL_SUPPORT, RM, T::Int)
        },
        Resource::new(rid::DELIVERY_METHOD, R, T::Int),
    ]
};

/// The Firmware Update object (/5, one instance) for Rust users: the [`FwUpdate`] state
/// machine and the application's side of it, an [`FwEnv`], behind [`Object`].
///
/// The server's Writes of Package and Package URI, Executes of Update and the transactions
/// around them drive the state machine; the application reports what happens outside the
/// data model with [`FwUpdateObject::set_download_result`] (a pull download it ran after
/// [`FwEnv::uri_write`]) and [`FwUpdateObject::set_update_result`]. Every value that
/// changes reaches [`FwEnv::changed`]: the application passes those on to the client
/// (as data model changes of `/5/0/<rid>`), so that observations of them are notified.
pub struct FwUpdateObject<E: FwEnv> {
    fsm: FwUpdate,
    env: E,
    /// Package URI as bytes for a Read (the state machine keeps it in cells).
    #[cfg(feature = "fota-pull-method")]
    uri_read: [u8; URI_BUF_SIZE],
}

impl<E: FwEnv> FwUpdateObject<E> {
    /// The object in Idle, Update Result Initial.
    pub const fn new(env: E) -> FwUpdateObject<E> {
        FwUpdateObject {
            fsm: FwUpdate::new(),
            env,
            #[cfg(feature = "fota-pull-method")]
            uri_read: [0; URI_BUF_SIZE],
        }
    }

    /// The state machine (State, Update Result, the accepted Package URI).
    pub fn fsm(&self) -> &FwUpdate {
        &self.fsm
    }

    pub fn env(&self) -> &E {
        &self.env
    }

    pub fn env_mut(&mut self) -> &mut E {
        &mut self.env
    }

    pub fn state(&self) -> FwState {
        self.fsm.state()
    }

    pub fn result(&self) -> i8 {
        self.fsm.result()
    }

    /// The outcome of the pull download that [`FwEnv::uri_write`] accepted: [`result::SUCCESS`]
    /// moves to Downloaded, anything else resets to Idle with that Update Result. False
    /// (nothing changes) when no pull download is under way.
    pub fn set_download_result(&mut self, r: i8) -> bool {
        self.fsm.set_download_result(&mut self.env, r)
    }

    /// The outcome of the update that [`FwEnv::update_start`] started (or, right after a
    /// reboot into the new firmware, of the previous one): back to Idle with result `r`.
    pub fn set_update_result(&mut self, r: i8) {
        self.fsm.set_update_result(&mut self.env, r)
    }
}

/// A written value of Package or Package URI as a chunk of the state machine.
fn chunk_of<'v>(value: &WriteValue<'v>) -> DmResult<Chunk<'v>> {
    let whole = |data: &'v [u8]| Chunk {
        data,
        offset: 0,
        full_length_hint: data.len(),
    };
    match *value {
        WriteValue::Whole(Value::Bytes(b)) => Ok(whole(b)),
        WriteValue::Whole(Value::String(s)) => Ok(whole(s.as_bytes())),
        WriteValue::Whole(_) => Err(DmError::BAD_REQUEST),
        WriteValue::Chunk {
            data,
            offset,
            full_len,
            ..
        } => Ok(Chunk {
            data,
            offset,
            full_length_hint: full_len.unwrap_or(0),
        }),
    }
}

impl<E: FwEnv> Object for FwUpdateObject<E> {
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
        if iid != IID || rid != rid::PROTOCOL_SUPPORT || cfg!(not(feature = "fota-pull-method")) {
            return None;
        }
        PROTOCOLS.get(index).copied()
    }

    fn read(&mut self, _iid: u16, res: &Resource, riid: Option<u16>) -> DmResult<Value<'_>> {
        Ok(match res.rid {
            rid::STATE => Value::Int(self.fsm.state() as i64),
            rid::UPDATE_RESULT => Value::Int(self.fsm.result().into()),
            rid::DELIVERY_METHOD => Value::Int(DELIVERY_METHOD),
            rid::PROTOCOL_SUPPORT => Value::Int(riid.ok_or(DmError::NOT_FOUND)?.into()),
            #[cfg(feature = "fota-pull-method")]
            rid::PACKAGE_URI => {
                let uri = self.fsm.uri();
                for (d, s) in self.uri_read.iter_mut().zip(uri) {
                    *d = s.get();
                }
                // Only printable ASCII is ever accepted (uri_protocol).
                let text = core::str::from_utf8(&self.uri_read[..uri.len()])
                    .map_err(|_| DmError::INTERNAL)?;
                Value::String(text)
            }
            #[cfg(not(feature = "fota-pull-method"))]
            rid::PACKAGE_URI => Value::String(""),
            rid::PKG_NAME if self.fsm.package_info_available() => {
                Value::String(self.env.package_name())
            }
            rid::PKG_VERSION if self.fsm.package_info_available() => {
                Value::String(self.env.package_version())
            }
            rid::PKG_NAME | rid::PKG_VERSION => Value::String(""),
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
        match rid {
            rid::PACKAGE => self.fsm.write_package(&mut self.env, chunk_of(value)?),
            rid::PACKAGE_URI => self.fsm.write_uri(&mut self.env, chunk_of(value)?),
            _ => Err(DmError::METHOD_NOT_ALLOWED),
        }
    }

    fn execute(&mut self, _iid: u16, rid: u16, _arg: &[u8]) -> DmResult<()> {
        if rid != rid::UPDATE {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        self.fsm.execute_update(&mut self.env)
    }

    fn transaction_begin(&mut self) -> DmResult<()> {
        self.fsm.transaction_begin();
        Ok(())
    }

    fn transaction_end(&mut self, success: bool) {
        self.fsm.transaction_end(&mut self.env, success);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, vec};

    /// The application's side: every callback is logged; results can be scripted.
    #[derive(Default)]
    struct Mock<'a> {
        log: Vec<String>,
        data: Vec<u8>,
        changed: Vec<u16>,
        start: Option<i8>,
        /// `write` fails with this result once this many bytes were taken.
        write_fail: Option<(usize, i8)>,
        finish: Option<i8>,
        uri_result: Option<i8>,
        uri_seen: Vec<u8>,
        update: i32,
        /// `update_start` reports this update result itself, re-entering the object.
        report_inside_update: Option<i8>,
        /// The state machine `update_start` re-enters (a shared borrow, as the C glue's).
        fsm: Option<&'a FwUpdate>,
    }

    impl FwEnv for Mock<'_> {
        fn write_start(&mut self) -> i8 {
            self.log.push("start".into());
            self.data.clear();
            self.start.unwrap_or(result::SUCCESS)
        }
        fn write(&mut self, data: &[u8]) -> i8 {
            self.log.push(format!("write {}", data.len()));
            if let Some((at, r)) = self.write_fail {
                if self.data.len() + data.len() > at {
                    return r;
                }
            }
            self.data.extend_from_slice(data);
            result::SUCCESS
        }
        fn write_finish(&mut self) -> i8 {
            self.log.push("finish".into());
            self.finish.unwrap_or(result::SUCCESS)
        }
        fn uri_write(&mut self, uri: &[Cell<u8>]) -> i8 {
            self.log.push("uri".into());
            assert_eq!(uri.last().map(Cell::get), Some(0), "URI not NUL-terminated");
            self.uri_seen = uri[..uri.len() - 1].iter().map(Cell::get).collect();
            self.uri_result.unwrap_or(result::SUCCESS)
        }
        fn update_start(&mut self) -> i32 {
            self.log.push("update".into());
            if let (Some(r), Some(fsm)) = (self.report_inside_update, self.fsm) {
                fsm.set_update_result(self, r);
            }
            self.update
        }
        fn reset(&mut self) {
            self.log.push("reset".into());
            self.data.clear();
        }
        fn changed(&mut self, rid: u16) {
            self.changed.push(rid);
        }
    }

    impl Mock<'_> {
        fn take(&mut self) -> (Vec<String>, Vec<u16>) {
            (
                std::mem::take(&mut self.log),
                std::mem::take(&mut self.changed),
            )
        }
    }

    fn whole(data: &[u8]) -> Chunk<'_> {
        Chunk {
            data,
            offset: 0,
            full_length_hint: data.len(),
        }
    }

    fn part(data: &[u8], offset: usize, last: bool) -> Chunk<'_> {
        Chunk {
            data,
            offset,
            full_length_hint: if last { offset + data.len() } else { 0 },
        }
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| String::from(*s)).collect()
    }

    /// Pushes `image` in `block`-byte chunks inside one transaction.
    fn push(fw: &FwUpdate, m: &mut Mock, image: &[u8], block: usize) -> Result<(), DmError> {
        fw.transaction_begin();
        let n = image.len().div_ceil(block).max(1);
        let mut r = Ok(());
        for i in 0..n {
            let end = ((i + 1) * block).min(image.len());
            r = fw.write_package(m, part(&image[i * block..end], i * block, i + 1 == n));
            if r.is_err() {
                break;
            }
        }
        fw.transaction_end(m, r.is_ok());
        r
    }

    fn downloaded(fw: &FwUpdate, m: &mut Mock) {
        push(fw, m, b"image", 64).unwrap();
        assert_eq!(fw.state(), FwState::Downloaded);
        m.take();
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn a_push_in_one_message_goes_from_idle_to_downloaded() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        assert!(!fw.package_info_available());
        fw.transaction_begin();
        fw.write_package(&mut m, whole(b"firmware")).unwrap();
        fw.transaction_end(&mut m, true);
        assert_eq!(fw.state(), FwState::Downloaded);
        assert_eq!(fw.result(), result::INITIAL);
        assert!(fw.package_info_available());
        assert_eq!(m.data, b"firmware");
        let (log, changed) = m.take();
        assert_eq!(log, strs(&["start", "write 8", "finish"]));
        // Straight to Downloaded: State, then PkgName/PkgVersion that become readable.
        assert_eq!(changed, [rid::STATE, rid::PKG_NAME, rid::PKG_VERSION]);
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn a_block_wise_push_streams_chunks_through_downloading() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        let image: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
        fw.transaction_begin();
        fw.write_package(&mut m, part(&image[..1024], 0, false))
            .unwrap();
        assert_eq!(fw.state(), FwState::Downloading);
        assert_eq!(m.take().1, [rid::STATE]);
        for k in 1..4 {
            fw.write_package(
                &mut m,
                part(&image[k * 1024..(k + 1) * 1024], k * 1024, false),
            )
            .unwrap();
        }
        assert_eq!(fw.state(), FwState::Downloading);
        // A chunk that does not follow on is refused (the transfer is then abandoned).
        assert_eq!(
            fw.write_package(&mut m, part(&image[..10], 100, false)),
            Err(DmError::BAD_REQUEST)
        );
        fw.write_package(&mut m, part(&image[4096..], 4096, true))
            .unwrap();
        fw.transaction_end(&mut m, true);
        assert_eq!(fw.state(), FwState::Downloaded);
        assert_eq!(m.data, image);
        let (log, changed) = m.take();
        // (The start and the first chunk were taken above.)
        assert_eq!(
            log,
            strs(&[
                "write 1024",
                "write 1024",
                "write 1024",
                "write 904",
                "finish"
            ])
        );
        assert_eq!(changed, [rid::STATE, rid::PKG_NAME, rid::PKG_VERSION]);
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn push_handler_failures_become_the_update_result_and_reset_everything() {
        // (which callback fails, its result)
        let cases: [(&str, i8); 5] = [
            ("start", result::NOT_ENOUGH_SPACE),
            ("start", result::UNSUPPORTED_PACKAGE_TYPE),
            ("write", result::OUT_OF_MEMORY),
            ("write", result::NOT_ENOUGH_SPACE),
            ("finish", result::INTEGRITY_FAILURE),
        ];
        for (which, r) in cases {
            let fw = FwUpdate::new();
            let mut m = Mock::default();
            match which {
                "start" => m.start = Some(r),
                "write" => m.write_fail = Some((2000, r)),
                _ => m.finish = Some(r),
            }
            let image = [7u8; 3000];
            assert_eq!(push(&fw, &mut m, &image, 1024), Err(DmError::INTERNAL));
            assert_eq!((fw.state(), fw.result()), (FwState::Idle, r), "{which}");
            let (log, changed) = m.take();
            assert_eq!(
                log.last().map(String::as_str),
                Some("reset"),
                "{which}: {log:?}"
            );
            assert_eq!(log.iter().filter(|l| *l == "reset").count(), 1, "{which}");
            assert!(changed.contains(&rid::UPDATE_RESULT), "{which}");
            if which != "start" {
                // It went through Downloading and came back.
                assert_eq!(changed.iter().filter(|&&c| c == rid::STATE).count(), 2);
            }
            // The next push starts at once and resets the result.
            m = Mock::default();
            push(&fw, &mut m, &image, 1024).unwrap();
            assert_eq!((fw.state(), fw.result()), (FwState::Downloaded, 0));
            assert_eq!(m.data, image);
        }
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn an_abandoned_push_ends_with_connection_lost_and_a_new_one_can_start() {
        for success in [false, true] {
            let fw = FwUpdate::new();
            let mut m = Mock::default();
            fw.transaction_begin();
            fw.write_package(&mut m, part(&[1; 512], 0, false)).unwrap();
            fw.write_package(&mut m, part(&[2; 512], 512, false))
                .unwrap();
            m.take();
            // The data model ends the transaction without the last block (timeout, or
            // another request came in); ending it "successfully" is no different.
            fw.transaction_end(&mut m, success);
            assert_eq!(fw.state(), FwState::Idle);
            assert_eq!(fw.result(), result::CONNECTION_LOST);
            let (log, changed) = m.take();
            assert_eq!(log, strs(&["reset"]));
            assert_eq!(changed, [rid::STATE, rid::UPDATE_RESULT]);
            push(&fw, &mut m, b"again", 2).unwrap();
            assert_eq!((fw.state(), fw.result()), (FwState::Downloaded, 0));
            assert_eq!(m.data, b"again");
        }
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn a_new_transfer_over_an_unfinished_one_resets_it_first() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        fw.transaction_begin();
        fw.write_package(&mut m, part(&[1; 16], 0, false)).unwrap();
        m.take();
        fw.write_package(&mut m, whole(b"new")).unwrap();
        assert_eq!(m.take().0, strs(&["reset", "start", "write 3", "finish"]));
        assert_eq!(fw.state(), FwState::Downloaded);
        assert_eq!(m.data, b"new");
    }

    #[test]
    fn an_empty_package_or_uri_resets_the_state_machine() {
        // Package: empty, or one NUL byte (Anjay Lite's form); Package URI: empty.
        for how in 0..3 {
            let fw = FwUpdate::new();
            let mut m = Mock::default();
            if cfg!(feature = "fota-push-method") {
                downloaded(&fw, &mut m);
            }
            fw.transaction_begin();
            let r = match how {
                0 => fw.write_package(&mut m, whole(b"")),
                1 => fw.write_package(&mut m, whole(b"\0")),
                _ => fw.write_uri(&mut m, whole(b"")),
            };
            fw.transaction_end(&mut m, r.is_ok());
            assert_eq!(r, Ok(()));
            assert_eq!((fw.state(), fw.result()), (FwState::Idle, 0));
            let (log, changed) = m.take();
            assert_eq!(log, strs(&["reset"]));
            if cfg!(feature = "fota-push-method") {
                assert_eq!(changed, [rid::STATE, rid::PKG_NAME, rid::PKG_VERSION]);
            }
        }
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn writes_in_the_wrong_state_are_method_not_allowed() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        downloaded(&fw, &mut m);
        // A second package over a downloaded one.
        assert_eq!(
            fw.write_package(&mut m, whole(b"x")),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        #[cfg(feature = "fota-pull-method")]
        assert_eq!(
            fw.write_uri(&mut m, whole(b"coaps://example.com/fw")),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        fw.execute_update(&mut m).unwrap();
        assert_eq!(fw.state(), FwState::Updating);
        m.take();
        // Nothing, not even a reset, while updating.
        for c in [whole(b"x"), whole(b""), whole(b"\0")] {
            assert_eq!(
                fw.write_package(&mut m, c),
                Err(DmError::METHOD_NOT_ALLOWED)
            );
        }
        assert_eq!(
            fw.write_uri(&mut m, whole(b"")),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(m.take(), (vec![], vec![]));
        assert_eq!(fw.state(), FwState::Updating);
    }

    #[test]
    fn update_is_executable_in_downloaded_only() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        assert_eq!(fw.execute_update(&mut m), Err(DmError::METHOD_NOT_ALLOWED));
        assert!(m.log.is_empty());
        if cfg!(not(feature = "fota-push-method")) {
            return;
        }
        downloaded(&fw, &mut m);
        fw.execute_update(&mut m).unwrap();
        assert_eq!(fw.state(), FwState::Updating);
        let (log, changed) = m.take();
        assert_eq!(log, strs(&["update"]));
        assert_eq!(changed, [rid::STATE, rid::PKG_NAME, rid::PKG_VERSION]);
        // Executing again while updating.
        assert_eq!(fw.execute_update(&mut m), Err(DmError::METHOD_NOT_ALLOWED));
        // The outcome.
        fw.set_update_result(&mut m, result::SUCCESS);
        assert_eq!((fw.state(), fw.result()), (FwState::Idle, result::SUCCESS));
        assert_eq!(m.take(), (vec![], vec![rid::UPDATE_RESULT, rid::STATE]));
        assert_eq!(fw.execute_update(&mut m), Err(DmError::METHOD_NOT_ALLOWED));
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn a_failed_update_start_is_failed_and_resets() {
        let fw = FwUpdate::new();
        let mut m = Mock {
            update: -1,
            ..Default::default()
        };
        downloaded(&fw, &mut m);
        assert_eq!(fw.execute_update(&mut m), Err(DmError::INTERNAL));
        assert_eq!((fw.state(), fw.result()), (FwState::Idle, result::FAILED));
        assert_eq!(m.take().0, strs(&["update", "reset"]));
        m.update = 0;
        downloaded(&fw, &mut m);
        assert_eq!(fw.result(), result::INITIAL);
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn the_update_result_may_be_reported_from_inside_update_start() {
        for r in [result::SUCCESS, result::FAILED] {
            let fw = FwUpdate::new();
            let mut m = Mock {
                report_inside_update: Some(r),
                fsm: Some(&fw),
                ..Default::default()
            };
            downloaded(&fw, &mut m);
            fw.execute_update(&mut m).unwrap();
            // Not overwritten with Updating after the callback returns.
            assert_eq!((fw.state(), fw.result()), (FwState::Idle, r));
        }
    }

    #[test]
    fn the_update_result_after_a_restart_is_reported_in_idle() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        fw.set_update_result(&mut m, result::SUCCESS);
        assert_eq!((fw.state(), fw.result()), (FwState::Idle, result::SUCCESS));
        assert_eq!(m.take(), (vec![], vec![rid::UPDATE_RESULT]));
        fw.set_update_result(&mut m, result::INTEGRITY_FAILURE);
        assert_eq!(fw.result(), result::INTEGRITY_FAILURE);
        if cfg!(feature = "fota-push-method") {
            // Reported while a package is held: that package is reset first.
            downloaded(&fw, &mut m);
            fw.set_update_result(&mut m, result::FAILED);
            assert_eq!((fw.state(), fw.result()), (FwState::Idle, result::FAILED));
            assert_eq!(m.take().0, strs(&["reset"]));
        }
    }

    #[cfg(feature = "fota-pull-method")]
    fn uri_of(fw: &FwUpdate) -> Vec<u8> {
        fw.uri().iter().map(Cell::get).collect()
    }

    #[cfg(feature = "fota-pull-method")]
    fn write_uri(fw: &FwUpdate, m: &mut Mock, uri: &str) -> Result<(), DmError> {
        fw.transaction_begin();
        let r = fw.write_uri(m, whole(uri.as_bytes()));
        fw.transaction_end(m, r.is_ok());
        r
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_pull_goes_through_downloading_and_the_download_result() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        let uri = "coaps://[2001:db8::1]:5684/fw/image.bin";
        write_uri(&fw, &mut m, uri).unwrap();
        assert_eq!(m.uri_seen, uri.as_bytes());
        assert_eq!(uri_of(&fw), uri.as_bytes());
        assert_eq!(fw.state(), FwState::Downloading);
        let (log, changed) = m.take();
        assert_eq!(log, strs(&["uri"]));
        assert_eq!(changed, [rid::PACKAGE_URI, rid::STATE]);
        // Another URI, or a push, meanwhile.
        assert_eq!(
            write_uri(&fw, &mut m, "coaps://h/x"),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        #[cfg(feature = "fota-push-method")]
        assert_eq!(
            fw.write_package(&mut m, whole(b"x")),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert!(fw.set_download_result(&mut m, result::SUCCESS));
        assert_eq!((fw.state(), fw.result()), (FwState::Downloaded, 0));
        assert_eq!(m.take().1, [rid::STATE, rid::PKG_NAME, rid::PKG_VERSION]);
        // Only once.
        assert!(!fw.set_download_result(&mut m, result::SUCCESS));
        fw.execute_update(&mut m).unwrap();
        fw.set_update_result(&mut m, result::SUCCESS);
        assert_eq!((fw.state(), fw.result()), (FwState::Idle, result::SUCCESS));
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_failed_pull_resets_and_a_new_one_can_start() {
        for r in [
            result::CONNECTION_LOST,
            result::NOT_ENOUGH_SPACE,
            result::INTEGRITY_FAILURE,
            result::UNSUPPORTED_PACKAGE_TYPE,
        ] {
            let fw = FwUpdate::new();
            let mut m = Mock::default();
            write_uri(&fw, &mut m, "coaps://server/fw").unwrap();
            m.take();
            assert!(fw.set_download_result(&mut m, r));
            assert_eq!((fw.state(), fw.result()), (FwState::Idle, r));
            assert!(uri_of(&fw).is_empty());
            let (log, changed) = m.take();
            assert_eq!(log, strs(&["reset"]));
            assert_eq!(changed, [rid::PACKAGE_URI, rid::STATE, rid::UPDATE_RESULT]);
            write_uri(&fw, &mut m, "coaps://server/fw2").unwrap();
            assert_eq!((fw.state(), fw.result()), (FwState::Downloading, 0));
        }
    }

    #[cfg(feature = "fota-pull-method")]
    #[test]
    fn bad_uris_are_refused_with_invalid_uri_or_unsupported_protocol() {
        let long = format!("coaps://h/{}", "a".repeat(URI_BUF_SIZE));
        let cases: Vec<(&str, i8)> = vec![
            ("not a uri", result::INVALID_URI),
            ("coaps:/missing-slash", result::INVALID_URI),
            ("coaps://", result::INVALID_URI),
            ("coaps://:5684/fw", result::INVALID_URI),
            ("coaps://host:99999/fw", result::INVALID_URI),
            ("coaps://host:12a/fw", result::INVALID_URI),
            ("coaps://[::1/fw", result::INVALID_URI),
            ("1coap://host/fw", result::INVALID_URI),
            ("coaps://h\u{e9}st/fw", result::INVALID_URI),
            (&long, result::INVALID_URI),
            ("ftp://host/fw", result::UNSUPPORTED_PROTOCOL),
            ("gopher+tcp://host/fw", result::UNSUPPORTED_PROTOCOL),
            #[cfg(not(feature = "fota-http"))]
            ("http://host/fw", result::UNSUPPORTED_PROTOCOL),
            #[cfg(not(feature = "fota-coap"))]
            ("coap://host/fw", result::UNSUPPORTED_PROTOCOL),
            #[cfg(not(feature = "fota-coaps-tcp"))]
            ("coaps+tcp://host/fw", result::UNSUPPORTED_PROTOCOL),
        ];
        for (uri, r) in cases {
            let fw = FwUpdate::new();
            let mut m = Mock::default();
            assert_eq!(
                write_uri(&fw, &mut m, uri),
                Err(DmError::BAD_REQUEST),
                "{uri}"
            );
            assert_eq!((fw.state(), fw.result()), (FwState::Idle, r), "{uri}");
            // Refused before the application saw it; cleaned up all the same.
            assert_eq!(m.take().0, strs(&["reset"]), "{uri}");
            assert!(uri_of(&fw).is_empty());
        }
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_uri_the_application_refuses_keeps_its_result() {
        let fw = FwUpdate::new();
        let mut m = Mock {
            uri_result: Some(result::UNSUPPORTED_PROTOCOL),
            ..Default::default()
        };
        assert_eq!(
            write_uri(&fw, &mut m, "COAPS://Host.example:5684/fw?x=1#f"),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(m.take().0, strs(&["uri", "reset"]));
        assert_eq!((fw.state(), fw.result()), (FwState::Idle, 9));
        assert!(uri_of(&fw).is_empty());
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_uri_may_arrive_in_chunks() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        let uri = b"coaps://example.org/firmware/v2.bin";
        fw.transaction_begin();
        fw.write_uri(&mut m, part(&uri[..10], 0, false)).unwrap();
        assert_eq!(fw.state(), FwState::Idle);
        assert_eq!(
            fw.write_uri(&mut m, part(&uri[20..], 20, true)),
            Err(DmError::BAD_REQUEST)
        );
        fw.write_uri(&mut m, part(&uri[10..20], 10, false)).unwrap();
        fw.write_uri(&mut m, part(&uri[20..], 20, true)).unwrap();
        fw.transaction_end(&mut m, true);
        assert_eq!(m.uri_seen, uri);
        assert_eq!(fw.state(), FwState::Downloading);
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_download_started_by_a_failed_transaction_is_undone() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        fw.transaction_begin();
        fw.write_uri(&mut m, whole(b"coaps://h/fw")).unwrap();
        m.take();
        // E.g. another resource of the same Write failed.
        fw.transaction_end(&mut m, false);
        assert_eq!((fw.state(), fw.result()), (FwState::Idle, 0));
        assert_eq!(m.take().0, strs(&["reset"]));
        assert!(uri_of(&fw).is_empty());
        // A failed transaction that started nothing leaves a download alone.
        write_uri(&fw, &mut m, "coaps://h/fw").unwrap();
        fw.transaction_begin();
        fw.transaction_end(&mut m, false);
        assert_eq!(fw.state(), FwState::Downloading);
    }

    #[test]
    fn set_download_result_outside_a_pull_is_an_error() {
        let fw = FwUpdate::new();
        let mut m = Mock::default();
        assert!(!fw.set_download_result(&mut m, result::SUCCESS));
        if cfg!(feature = "fota-push-method") {
            // Downloading because of a push: not a pull.
            fw.transaction_begin();
            fw.write_package(&mut m, part(b"abc", 0, false)).unwrap();
            assert_eq!(fw.state(), FwState::Downloading);
            assert!(!fw.set_download_result(&mut m, result::SUCCESS));
            assert!(!fw.set_download_result(&mut m, result::FAILED));
            assert_eq!(fw.state(), FwState::Downloading);
        }
    }

    #[test]
    fn uri_protocols_are_those_enabled() {
        let expect = |uri: &str, p: u16| {
            let r = uri_protocol(uri.as_bytes());
            if PROTOCOLS.contains(&p) {
                assert_eq!(r, Ok(p), "{uri}");
            } else {
                assert_eq!(r, Err(result::UNSUPPORTED_PROTOCOL), "{uri}");
            }
        };
        expect("coap://127.0.0.1:5683/fw", protocol::COAP);
        expect("CoAPs://user@host/fw", protocol::COAPS);
        expect("http://host", protocol::HTTP);
        expect("https://host:443?q", protocol::HTTPS);
        expect("coap+tcp://host/", protocol::COAP_TCP);
        expect("coaps+tcp://[fe80::1]:5684/a/b", protocol::COAPS_TCP);
        assert_eq!(uri_protocol(b"coaps:host"), Err(result::INVALID_URI));
    }
}

/// [`FwUpdateObject`] driven as the client drives it: through the data model operations.
#[cfg(test)]
mod object_tests {
    use super::*;
    use crate::dm::ops::{self, WriteKind};
    use crate::io::format::{AnyEncoder, SENML_JSON};
    use crate::io::value::{Encoder, Path};
    use std::string::String;
    use std::vec::Vec;

    /// The application's side: what the object asked for and reported.
    #[derive(Default)]
    struct App {
        calls: Vec<&'static str>,
        uri: Vec<u8>,
        image: Vec<u8>,
        changed: Vec<u16>,
        refuse_uri: bool,
    }

    impl FwEnv for App {
        fn write_start(&mut self) -> i8 {
            self.calls.push("start");
            result::SUCCESS
        }
        fn write(&mut self, data: &[u8]) -> i8 {
            self.calls.push("write");
            self.image.extend_from_slice(data);
            result::SUCCESS
        }
        fn write_finish(&mut self) -> i8 {
            self.calls.push("finish");
            result::SUCCESS
        }
        fn uri_write(&mut self, uri: &[Cell<u8>]) -> i8 {
            self.calls.push("uri");
            self.uri = uri.iter().map(Cell::get).collect();
            if self.refuse_uri {
                result::UNSUPPORTED_PACKAGE_TYPE
            } else {
                result::SUCCESS
            }
        }
        fn update_start(&mut self) -> i32 {
            self.calls.push("update");
            0
        }
        fn reset(&mut self) {
            self.calls.push("reset");
            self.image.clear();
        }
        fn changed(&mut self, rid: u16) {
            self.changed.push(rid);
        }
        fn package_name(&self) -> &str {
            "image.bin"
        }
        fn package_version(&self) -> &str {
            "2.0"
        }
    }

    fn p(ids: &[u16]) -> Path {
        Path::new(ids)
    }

    fn int(o: &mut FwUpdateObject<App>, rid: u16) -> i64 {
        match ops::read_value(o, &p(&[OID, IID, rid])) {
            Ok(Value::Int(v)) => v,
            other => panic!("/5/0/{rid}: {other:?}"),
        }
    }

    fn text(o: &mut FwUpdateObject<App>, rid: u16) -> String {
        match ops::read_value(o, &p(&[OID, IID, rid])) {
            Ok(Value::String(s)) => String::from(s),
            other => panic!("/5/0/{rid}: {other:?}"),
        }
    }

    /// One Write of `value` to /5/0/`rid` in its own transaction, as the client runs it.
    fn write(o: &mut FwUpdateObject<App>, rid: u16, value: Value<'_>) -> DmResult<()> {
        let path = p(&[OID, IID, rid]);
        o.transaction_begin()?;
        let r = ops::write_entry(
            o,
            &path,
            &path,
            &WriteValue::Whole(value),
            WriteKind::Replace,
        );
        o.transaction_end(r.is_ok());
        r
    }

    fn read_json(o: &mut FwUpdateObject<App>) -> serde_json::Value {
        let path = p(&[OID, IID]);
        let mut buf = [0u8; 1024];
        let mut enc = AnyEncoder::new(SENML_JSON, &path, &mut buf).unwrap();
        ops::read_each(o, &path, &mut enc).unwrap();
        let n = enc.finish().unwrap();
        serde_json::from_slice(&buf[..n]).unwrap()
    }

    #[test]
    fn describes_one_instance_with_the_resources_of_appendix_e6() {
        let o = FwUpdateObject::new(App::default());
        assert_eq!((o.oid(), o.instance_count(), o.max_instances()), (5, 1, 1));
        assert_eq!(o.version(), Some("1.0"));
        let rids: Vec<u16> = (0..)
            .map_while(|i| o.resource(IID, i))
            .map(|r| r.rid)
            .collect();
        let mut want = vec![0, 1, 2, 3, 5, 6, 7, 9];
        if cfg!(feature = "fota-pull-method") {
            want.insert(7, 8);
        }
        assert_eq!(rids, want);
        assert!(o.resource(1, 0).is_none());
        let kind = |rid| o.find_resource(IID, rid).unwrap().kind;
        assert_eq!(kind(rid::PACKAGE), ResKind::W);
        assert_eq!(kind(rid::PACKAGE_URI), ResKind::RW);
        assert_eq!(kind(rid::UPDATE), ResKind::E);
        assert_eq!(kind(rid::STATE), ResKind::R);
    }

    #[test]
    fn a_read_of_the_instance_gives_every_readable_value() {
        let mut o = FwUpdateObject::new(App::default());
        let json = read_json(&mut o);
        let recs = json.as_array().unwrap();
        // SenML names: the base name (kept until the next one) and the record's name.
        let mut bn = String::new();
        let names: Vec<String> = recs
            .iter()
            .map(|r| {
                if let Some(b) = r.get("bn").and_then(|v| v.as_str()) {
                    bn = b.into();
                }
                let n = r.get("n").and_then(|v| v.as_str()).unwrap_or("");
                format!("{bn}{n}")
            })
            .collect();
        // Package (write-only) and Update (executable) are left out.
        let mut want: Vec<String> = ["/5/0/1", "/5/0/3", "/5/0/5", "/5/0/6", "/5/0/7"]
            .map(String::from)
            .into();
        if cfg!(feature = "fota-pull-method") {
            want.extend(PROTOCOLS.iter().map(|p| format!("/5/0/8/{p}")));
        }
        want.push("/5/0/9".into());
        assert_eq!(names, want);
        assert_eq!(int(&mut o, rid::STATE), FwState::Idle as i64);
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), 0);
        assert_eq!(int(&mut o, rid::DELIVERY_METHOD), DELIVERY_METHOD);
        // No package: no name nor version, even though the application has them.
        assert_eq!(text(&mut o, rid::PKG_NAME), "");
        assert_eq!(text(&mut o, rid::PKG_VERSION), "");
        // The server may not read Package.
        let package = p(&[OID, IID, rid::PACKAGE]);
        let mut buf = [0u8; 64];
        let mut enc = AnyEncoder::new(SENML_JSON, &package, &mut buf).unwrap();
        assert_eq!(
            ops::read_each(&mut o, &package, &mut enc),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            ops::read_value(&mut o, &p(&[OID, IID, rid::UPDATE])),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
    }

    #[cfg(feature = "fota-pull-method")]
    #[test]
    fn protocol_support_lists_the_enabled_protocols() {
        let mut o = FwUpdateObject::new(App::default());
        for &proto in PROTOCOLS {
            let path = p(&[OID, IID, rid::PROTOCOL_SUPPORT, proto]);
            assert_eq!(ops::read_value(&mut o, &path), Ok(Value::Int(proto.into())));
        }
        let missing = (0..8).find(|x| !PROTOCOLS.contains(x)).unwrap();
        assert_eq!(
            ops::read_value(&mut o, &p(&[OID, IID, rid::PROTOCOL_SUPPORT, missing])),
            Err(DmError::NOT_FOUND)
        );
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_pull_through_write_download_result_and_update() {
        let mut o = FwUpdateObject::new(App::default());
        let uri = "coaps://fw.example.com:5684/fw.bin";
        write(&mut o, rid::PACKAGE_URI, Value::String(uri)).unwrap();
        // The application got the URI, NUL-terminated, and the server reads it back.
        assert_eq!(o.env().uri, [uri.as_bytes(), b"\0"].concat());
        assert_eq!(text(&mut o, rid::PACKAGE_URI), uri);
        assert_eq!(int(&mut o, rid::STATE), FwState::Downloading as i64);
        assert_eq!(
            std::mem::take(&mut o.env_mut().changed),
            [rid::PACKAGE_URI, rid::STATE]
        );
        // Update is refused until the package is there.
        assert_eq!(
            ops::execute(&mut o, &p(&[OID, IID, rid::UPDATE]), b""),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert!(o.set_download_result(result::SUCCESS));
        assert_eq!(o.state(), FwState::Downloaded);
        assert_eq!(text(&mut o, rid::PKG_NAME), "image.bin");
        assert_eq!(text(&mut o, rid::PKG_VERSION), "2.0");
        assert_eq!(
            std::mem::take(&mut o.env_mut().changed),
            [rid::STATE, rid::PKG_NAME, rid::PKG_VERSION]
        );
        ops::execute(&mut o, &p(&[OID, IID, rid::UPDATE]), b"").unwrap();
        assert_eq!(int(&mut o, rid::STATE), FwState::Updating as i64);
        o.set_update_result(result::SUCCESS);
        assert_eq!(int(&mut o, rid::STATE), FwState::Idle as i64);
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), result::SUCCESS as i64);
        assert_eq!(o.env().calls, ["uri", "update"]);
        // Only one result per download.
        assert!(!o.set_download_result(result::SUCCESS));
    }

    #[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
    #[test]
    fn a_failed_pull_or_a_refused_uri_ends_in_idle_with_its_result() {
        let mut o = FwUpdateObject::new(App::default());
        write(&mut o, rid::PACKAGE_URI, Value::String("coaps://h/fw")).unwrap();
        assert!(o.set_download_result(result::CONNECTION_LOST));
        assert_eq!(int(&mut o, rid::STATE), FwState::Idle as i64);
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), 4);
        assert_eq!(text(&mut o, rid::PACKAGE_URI), "");
        // A scheme this build does not pull: 4.00, result 9, the application never asked.
        o.env_mut().calls.clear();
        assert_eq!(
            write(&mut o, rid::PACKAGE_URI, Value::String("ftp://h/fw")),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), 9);
        assert_eq!(o.env().calls, ["reset"]);
        // The application refuses the package type.
        o.env_mut().refuse_uri = true;
        assert_eq!(
            write(&mut o, rid::PACKAGE_URI, Value::String("coaps://h/fw")),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), 6);
        assert_eq!(int(&mut o, rid::STATE), FwState::Idle as i64);
        // A value of the wrong type never reaches the state machine.
        assert_eq!(
            write(&mut o, rid::PACKAGE_URI, Value::Int(1)),
            Err(DmError::BAD_REQUEST)
        );
        // An empty URI resets (and is accepted).
        o.env_mut().refuse_uri = false;
        write(&mut o, rid::PACKAGE_URI, Value::String("coaps://h/fw")).unwrap();
        write(&mut o, rid::PACKAGE_URI, Value::String("")).unwrap();
        assert_eq!(int(&mut o, rid::STATE), FwState::Idle as i64);
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), 0);
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn a_block_wise_push_of_package_arrives_in_chunks() {
        let mut o = FwUpdateObject::new(App::default());
        let path = p(&[OID, IID, rid::PACKAGE]);
        let image = b"0123456789abcdef0123";
        o.transaction_begin().unwrap();
        for (i, part) in image.chunks(8).enumerate() {
            let offset = i * 8;
            let last = offset + part.len() == image.len();
            let v = WriteValue::Chunk {
                text: false,
                data: part,
                offset,
                full_len: last.then_some(image.len()),
            };
            ops::write_entry(&mut o, &path, &path, &v, WriteKind::Replace).unwrap();
            let want = if last {
                FwState::Downloaded
            } else {
                FwState::Downloading
            };
            assert_eq!(o.state(), want);
        }
        o.transaction_end(true);
        assert_eq!(o.env().image, image);
        assert_eq!(
            o.env().calls,
            ["start", "write", "write", "write", "finish"]
        );
        // A Package URI over a held package is refused; an empty Package resets.
        if cfg!(feature = "fota-pull-method") {
            assert_eq!(
                write(&mut o, rid::PACKAGE_URI, Value::String("coaps://h/fw")),
                Err(DmError::METHOD_NOT_ALLOWED)
            );
        }
        write(&mut o, rid::PACKAGE, Value::Bytes(b"")).unwrap();
        assert_eq!(o.state(), FwState::Idle);
        assert!(o.env().image.is_empty());
    }

    #[cfg(feature = "fota-push-method")]
    #[test]
    fn a_push_abandoned_before_its_last_block_is_connection_lost() {
        let mut o = FwUpdateObject::new(App::default());
        let path = p(&[OID, IID, rid::PACKAGE]);
        let v = WriteValue::Chunk {
            text: false,
            data: b"half",
            offset: 0,
            full_len: None,
        };
        o.transaction_begin().unwrap();
        ops::write_entry(&mut o, &path, &path, &v, WriteKind::Replace).unwrap();
        o.transaction_end(true);
        assert_eq!(int(&mut o, rid::STATE), FwState::Idle as i64);
        assert_eq!(int(&mut o, rid::UPDATE_RESULT), 4);
    }

    #[test]
    fn other_resources_are_not_writable_nor_executable() {
        let mut o = FwUpdateObject::new(App::default());
        assert_eq!(
            write(&mut o, rid::STATE, Value::Int(1)),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            ops::execute(&mut o, &p(&[OID, IID, rid::STATE]), b""),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            ops::execute(&mut o, &p(&[OID, 1, rid::UPDATE]), b""),
            Err(DmError::NOT_FOUND)
        );
        assert!(o.env().calls.is_empty());
    }
}
