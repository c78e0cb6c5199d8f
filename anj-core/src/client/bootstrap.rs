//! The client side of the Bootstrap interface (LwM2M 1.1 TS Core §6.1, CoAP mapping in
//! §8.2.1 of the Transport Bindings): the Client Initiated Bootstrap and the operations
//! of the Bootstrap-Server (Bootstrap-Write, -Read, -Discover, -Delete, -Finish).
//!
//! A Bootstrap starts when the data model has no usable LwM2M Server account but a
//! Bootstrap-Server account (/0/x/1 = true), when registration failed for good and the
//! Server instance allows it (/1/x/16), on `anj_core_request_bootstrap` and on Execute of
//! Bootstrap-Request Trigger (/1/x/9). After the Client Hold Off Time (/0/x/11) the client
//! sends `POST /bs?ep=..&pct=..`; the server then configures the client and ends with
//! Bootstrap-Finish.
//!
//! Everything the session changes is one transaction: each object's `transaction_begin`
//! runs when the session first touches it, and Bootstrap-Finish validates all of them
//! (and that a complete LwM2M Server account exists) and ends them together; any
//! failure (timeout, lost connection, a Finish that does not validate) rolls all back.

use super::requests::{self, Ctx};
use super::Host;
use super::{AfterDeregister, ConnStatus, Engine, Request, State};
use crate::coap::{opt, Code, Message, MessageWriter, MsgType};
use crate::dm::{self, DmError, DmResult, Objects, Target, TxnSet};
use crate::io::format::{self, Format};
use crate::io::link_format::LinkWriter;
use crate::io::value::{Path, Value};
use crate::link::{Link, NetStatus};
use crate::objects::builtin::security_rid;
use crate::time::{after, Instant, SEC};

/// The Bootstrap session.
#[derive(Default)]
pub(super) struct Session {
    /// Failed attempts in this Bootstrap (for `bootstrap_retry_count`).
    attempt: u16,
    /// The transaction of the session (see the module docs).
    txn: TxnSet,
    /// Whether any object takes part in `txn`.
    open: bool,
    /// A Bootstrap was asked for: the next start bootstraps.
    pub(super) requested: bool,
    /// Bootstrap-Finish was answered: with success (`true`) or 4.06 (`false`).
    finished: Option<bool>,
}

impl Session {
    /// Ends the session's transaction with `ok`; `false` rolls back every object.
    fn end(&mut self, objs: &mut dyn Objects, ok: bool) -> DmResult<()> {
        let txn = core::mem::take(&mut self.txn);
        self.open = false;
        txn.finish(
            objs,
            if ok {
                Ok(())
            } else {
                Err(DmError::NOT_ACCEPTABLE)
            },
        )
    }
}

/// The Security instance of the Bootstrap-Server account, if any.
pub(super) fn bootstrap_iid(objs: &mut dyn Objects) -> Option<u16> {
    let mut i = 0;
    while let Some(iid) = dm::instance_at(objs, 0, i) {
        i += 1;
        if dm::read_bool(objs, &[0, iid, security_rid::BOOTSTRAP_SERVER]) == Some(true) {
            return Some(iid);
        }
    }
    None
}

fn hold_off(objs: &mut dyn Objects, iid: u16) -> i64 {
    dm::read_int(objs, &[0, iid, security_rid::CLIENT_HOLD_OFF_TIME])
        .map_or(0, |i| i.clamp(0, u32::MAX.into()))
}

impl Engine {
    /// `anj_core_request_bootstrap` / Bootstrap-Request Trigger: ignored while a
    /// Bootstrap runs already.
    pub fn request_bootstrap(&mut self) {
        if !self.bootstrapping() {
            self.flags.bootstrap = true;
        }
    }

    /// Whether a Bootstrap is under way.
    pub(super) fn bootstrapping(&self) -> bool {
        matches!(
            self.state,
            State::BsWait(_)
                | State::BsConnecting
                | State::Bootstrapping(_)
                | State::Exchange(Request::Bootstrap, _)
        )
    }

    /// Applies a requested Bootstrap: de-register first when registered.
    pub(super) fn apply_bootstrap_flag(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        env: &mut dyn Host,
    ) {
        if !core::mem::take(&mut self.flags.bootstrap) || self.bootstrapping() {
            return;
        }
        self.leave(now, link, AfterDeregister::Bootstrap, env);
    }

    /// Starts a Bootstrap: `false` when there is no Bootstrap-Server account.
    pub(super) fn begin_bootstrap(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        env: &mut dyn Host,
    ) -> bool {
        self.bs.requested = false;
        let Some(iid) = bootstrap_iid(env.objects()) else {
            return false;
        };
        // Another account from here on: the connection context goes (close_notify).
        let _ = link.cleanup();
        if self.bs.open {
            let _ = self.bs.end(env.objects(), false);
        }
        self.bs.attempt = 0;
        self.bs.finished = None;
        self.account = None;
        self.end_observations();
        let wait = hold_off(env.objects(), iid) * SEC;
        crate::log_info!("bootstrap: starting (hold-off {} s)", wait / SEC);
        self.set_status(ConnStatus::Bootstrapping);
        self.state = State::BsWait(after(now, wait));
        if wait == 0 {
            self.bs_connect(now, link, env);
        }
        true
    }

    /// Connects to the Bootstrap-Server and sends the Bootstrap-Request.
    pub(super) fn bs_connect(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        self.state = State::BsConnecting;
        let claimed = bootstrap_iid(env.objects()).and_then(|iid| {
            let owner = super::register::LinkOwner {
                security_iid: iid,
                bootstrap: true,
            };
            self.claim_link(link, owner)
        });
        let st = match (claimed, bootstrap_iid(env.objects())) {
            (Some(st), _) => Ok(st),
            (None, None) => Err("no Bootstrap-Server account"),
            (None, Some(iid)) => {
                super::register::with_security_uri(env, iid, |env, scheme, host, port| {
                    // The Bootstrap-Server account's own credentials, in its own mode.
                    super::register::connect_secured(env, iid, true, link, (scheme, host, port))
                })
            }
        };
        match st {
            Ok(NetStatus::Done) => {
                self.dedup.clear();
                self.send_request(now, link, Request::Bootstrap, env);
            }
            Ok(NetStatus::InProgress) => {}
            Ok(NetStatus::Failed(code)) => {
                crate::log_warning!("bootstrap: connecting failed ({})", code);
                self.bs_failed(now, link, env);
            }
            Err(why) => {
                crate::log_error!("bootstrap: {}", why);
                self.bs_failed(now, link, env);
            }
        }
    }

    /// The Bootstrap-Server accepted the Bootstrap-Request (or already sent a request).
    pub(super) fn bs_accepted(&mut self, now: Instant) {
        self.state = State::Bootstrapping(after(now, self.settings.bootstrap_timeout));
    }

    /// The attempt failed: roll back, then retry after `bootstrap_retry_timeout`
    /// (doubled each time) or give up after `bootstrap_retry_count` retries.
    pub(super) fn bs_failed(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        if self.bs.open {
            let _ = self.bs.end(env.objects(), false);
        }
        self.bs.finished = None;
        // As in Anjay Lite, a failed attempt releases the connection (close_notify); the
        // next one starts with a new handshake.
        let _ = link.cleanup();
        if self.bs.attempt >= self.settings.bootstrap_retry_count {
            crate::log_error!("bootstrap failed: no more retries");
            self.state = State::Failure;
            self.set_status(ConnStatus::Failure);
            return;
        }
        self.bs.attempt += 1;
        let factor = 1i64 << (self.bs.attempt - 1).min(30);
        let delay = self.settings.bootstrap_retry_timeout.saturating_mul(factor);
        crate::log_warning!(
            "bootstrap: retry {} of {} in {} s",
            self.bs.attempt,
            self.settings.bootstrap_retry_count,
            delay / SEC
        );
        self.state = State::BsWait(after(now, delay));
    }

    /// Object `oid` is being removed from the data model: it leaves the session's
    /// transaction (rolled back), so the session never calls it again.
    pub fn bs_object_removed(&mut self, objs: &mut dyn Objects, oid: u16) {
        self.bs.txn.leave(objs, oid);
    }

    /// Ends the session without Bootstrap-Finish: its changes roll back.
    pub fn bs_abort(&mut self, env: &mut dyn Host) {
        if self.bs.open {
            crate::log_warning!("bootstrap: session abandoned, configuration rolled back");
            let _ = self.bs.end(env.objects(), false);
        }
        self.bs.finished = None;
    }

    /// Bootstrap-Finish succeeded: release the connection and register.
    fn bs_done(&mut self, link: &mut dyn Link) {
        // The context holds the Bootstrap-Server's credentials and session: it goes
        // (close_notify, as in Anjay Lite), and the registration makes one of its own
        // (`claim_link` releases it in any case if this does not finish now).
        let _ = link.cleanup();
        // The Bootstrap-Server's messages carried credentials: do not leave them in the
        // receive buffer (Anjay Lite clears it too).
        zeroize(&mut self.in_buf);
        self.dedup.clear();
        self.retry = super::Retry::default();
        self.bs.attempt = 0;
        self.set_status(ConnStatus::Bootstrapped);
        // The next step reads the new account and registers.
        self.state = State::Initial;
    }

    /// After a Bootstrap-Server request was answered: Finish ends the session.
    pub(super) fn bs_after_request(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        env: &mut dyn Host,
        ok: bool,
    ) {
        match self.bs.finished.take() {
            Some(true) => {
                env.bootstrap_finished();
                self.bs_done(link)
            }
            Some(false) => self.bs_failed(now, link, env),
            // A successful operation restarts `bootstrap_timeout` (as in Anjay Lite); a
            // request before the response to ours means the server took it.
            None => {
                if ok || matches!(self.state, State::Exchange(Request::Bootstrap, _)) {
                    self.bs_accepted(now);
                }
            }
        }
    }
}

/// Overwrites `buf` with zeros; `black_box` keeps the stores from being optimised out
/// as dead (best effort, without `unsafe` in the core).
fn zeroize(buf: &mut [u8]) {
    buf.fill(0);
    core::hint::black_box(buf);
}

/// Bootstrap-Request: `POST /bs?ep=..&pct=..` (LwM2M 1.1 TS Core §6.1.3; Transport
/// §8.2.1). `pct` names the Content-Format the client prefers, SenML CBOR when built.
pub(super) fn build_bootstrap_request(
    buf: &mut [u8],
    message_id: u16,
    token: &[u8],
    env: &mut dyn Host,
) -> Result<usize, ()> {
    let mut w =
        MessageWriter::new(buf, MsgType::Con, Code::POST, message_id, token).map_err(|_| ())?;
    w.option(opt::URI_PATH, b"bs").map_err(|_| ())?;
    // SAFETY: `env` is the initialised client `Engine::step` runs for (the C face passes
    // its own); the name is only used while the message is built.
    super::register::query(&mut w, "ep", env.endpoint_name())?;
    let pct: &[u8] = if cfg!(feature = "senml-cbor") {
        b"112"
    } else if cfg!(feature = "lwm2m-cbor") {
        b"11544"
    } else {
        b""
    };
    if !pct.is_empty() {
        super::register::query(&mut w, "pct", pct)?;
    }
    Ok(w.finish())
}

/// What the Bootstrap-Server asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BsOp {
    Finish,
    Read,
    Discover,
    Write,
    Delete,
}

fn classify(req: &Message<'_>) -> DmResult<BsOp> {
    let mut segs = req.uri_path();
    let first = segs.next();
    match req.code() {
        Code::POST if first == Some(&b"bs"[..]) && segs.next().is_none() => Ok(BsOp::Finish),
        Code::GET if req.accept() == Some(format::LINK_FORMAT) => Ok(BsOp::Discover),
        Code::GET => Ok(BsOp::Read),
        Code::PUT if req.content_format().is_some() => Ok(BsOp::Write),
        Code::DELETE => Ok(BsOp::Delete),
        // Execute, Create, Write-Attributes, the composite operations and Observe are
        // not part of the Bootstrap interface.
        _ => Err(DmError::METHOD_NOT_ALLOWED),
    }
}

/// The operation of one Bootstrap-Server request; `Ok` carries the success code.
pub(super) fn process(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    ctx: &mut Ctx<'_>,
    s: &mut Session,
) -> DmResult<Code> {
    if req
        .first_unknown_critical(requests::KNOWN_OPTIONS)
        .is_some()
    {
        return Err(DmError(Code::BAD_OPTION));
    }
    let op = classify(req)?;
    // Block-wise: a Bootstrap-Write only (a Security instance with certificates may
    // not fit one message).
    if req.has_option(opt::BLOCK1) {
        if op != BsOp::Write {
            return Err(DmError::TOO_LARGE);
        }
        let path = requests::path_of(req)?;
        let obj = write_target(&path, ctx, s)?;
        return requests::block1_bootstrap_write(req, w, &path, obj, ctx, &mut s.txn);
    }
    if op == BsOp::Finish {
        return finish(ctx, s);
    }
    let path = requests::path_of(req)?;
    match op {
        BsOp::Read => read(req, w, &path, ctx),
        BsOp::Discover => discover(req, w, &path, ctx),
        BsOp::Write => {
            write(req, &path, ctx, s)?;
            Ok(Code::CHANGED)
        }
        BsOp::Delete => {
            delete(&path, ctx, s)?;
            Ok(Code::DELETED)
        }
        BsOp::Finish => Err(DmError::INTERNAL),
    }
}

/// Bootstrap-Finish (§6.1.7.7 of 1.1): 2.04 when a complete LwM2M Server account exists
/// (a non-bootstrap Security instance with a Server instance of the same SSID, a valid
/// URI and Lifetime) and every object of the session validates; else 4.06 and the
/// whole session rolls back.
fn finish(ctx: &mut Ctx<'_>, s: &mut Session) -> DmResult<Code> {
    let account = super::register::ServerAccount::find(ctx.objs);
    let ok = match account {
        Ok(_) => s.end(ctx.objs, true).is_ok(),
        Err(why) => {
            crate::log_error!("bootstrap: configuration incomplete: {}", why);
            let _ = s.end(ctx.objs, false);
            false
        }
    };
    s.finished = Some(ok);
    if ok {
        crate::log_info!("bootstrap: finished");
        ctx.objects_changed = true;
        Ok(Code::CHANGED)
    } else {
        crate::log_error!("bootstrap: Bootstrap-Finish rejected, configuration rolled back");
        Err(DmError::NOT_ACCEPTABLE)
    }
}

/// Bootstrap-Read (§6.1.7.2 of 1.1, §6.1.7.3 of 1.2): the Server object (and Access
/// Control), at Object or Object Instance level; anything else is 4.05, as in Anjay Lite.
fn read(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    path: &Path,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    let ids = path.as_slice();
    if ids.is_empty() || ids.len() > 2 || !matches!(ids[0], 1 | 2) {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let target = dm::resolve(ctx.objs, path)?;
    requests::read(req, w, &target, ctx)
}

/// Bootstrap-Discover (§6.1.7.3 of 1.1): Objects and their Instances, with the LwM2M
/// version on the first record, `ssid` on Server instances and on Security instances
/// of LwM2M Servers, and `uri` on the latter.
fn discover(
    _req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    path: &Path,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    if cfg!(not(feature = "bootstrap-discover")) {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let ids = path.as_slice();
    if ids.len() > 1 {
        return Err(DmError::BAD_REQUEST);
    }
    if let Some(&oid) = ids.first() {
        dm::object(ctx.objs, oid)?;
    }
    w.uint_option(opt::CONTENT_FORMAT, format::LINK_FORMAT.into())
        .map_err(|_| DmError::INTERNAL)?;
    let objs = &mut *ctx.objs;
    let version = super::register::lwm2m_version(false);
    let space = w.payload_space();
    let mut lw = LinkWriter::new(space);
    let e = |_| DmError::TOO_LARGE;
    let v = core::str::from_utf8(version).map_err(|_| DmError::INTERNAL)?;
    lw.path(&[]).map_err(e)?;
    lw.attr("lwm2m", v).map_err(e)?;
    let mut k = 0;
    while let Some(oid) = objs.oid_at(k) {
        k += 1;
        if ids.first().is_some_and(|&o| o != oid) {
            continue;
        }
        lw.object(oid, dm::object(objs, oid)?.version())
            .map_err(e)?;
        let mut i = 0;
        while let Some(iid) = dm::instance_at(objs, oid, i) {
            i += 1;
            lw.instance(oid, iid).map_err(e)?;
            match oid {
                0 => {
                    if dm::read_bool(objs, &[0, iid, security_rid::BOOTSTRAP_SERVER]) == Some(true)
                    {
                        continue;
                    }
                    if let Some(ssid) = dm::read_int(objs, &[0, iid, security_rid::SSID]) {
                        lw.attr_uint("ssid", ssid.max(0) as u64).map_err(e)?;
                    }
                    let uri = Path::new(&[0, iid, security_rid::SERVER_URI]);
                    dm::read_resource_with(objs, &uri, |v| match v {
                        Value::String(uri) => lw.attr_quoted("uri", uri).map_err(e),
                        _ => Ok(()),
                    })
                    .unwrap_or(Ok(()))?;
                }
                1 => {
                    let ssid =
                        dm::read_int(objs, &[1, iid, crate::objects::builtin::server_rid::SSID]);
                    if let Some(ssid) = ssid {
                        lw.attr_uint("ssid", ssid.max(0) as u64).map_err(e)?;
                    }
                }
                _ => {}
            }
        }
    }
    let n = lw.len();
    w.commit_payload(n).map_err(|_| DmError::INTERNAL)?;
    Ok(Code::CONTENT)
}

/// Bootstrap-Write (§6.1.7.4 of 1.1): an Object, Object Instance or Resource, of any
/// object including Security; Object Instances that do not exist are created, several
/// of them in one request when the payload names several (Anjay Lite takes one);
/// read-only resources are written too. Unknown resources are skipped. A
/// Multiple-Instance Resource the payload gives is replaced: its instances are the
/// ones given, those it had before and the payload omits are deleted. Resources the
/// payload does not name keep their values. Block-wise (Block1) the same is done block
/// by block ([`requests::block1_bootstrap_write`]).
fn write(req: &Message<'_>, path: &Path, ctx: &mut Ctx<'_>, s: &mut Session) -> DmResult<()> {
    let obj = write_target(path, ctx, s)?;
    let fmt = req
        .content_format()
        .and_then(Format::from_content_format)
        .ok_or(DmError::UNSUPPORTED_FORMAT)?;
    requests::Apply::bootstrap(obj, *path).bootstrap_all(ctx.objs, &mut s.txn, fmt, req.payload())
}

/// The object a Bootstrap-Write of `path` writes to, joined to the session's
/// transaction.
fn write_target(path: &Path, ctx: &mut Ctx<'_>, s: &mut Session) -> DmResult<u16> {
    let ids = path.as_slice();
    if ids.is_empty() || ids.len() > 3 {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let oid = ids[0];
    dm::object(ctx.objs, oid)?;
    s.txn.join(ctx.objs, oid)?;
    s.open = true;
    Ok(oid)
}

/// Bootstrap-Delete (§6.1.7.6 of 1.1): `/` or an Object deletes every Object Instance
/// that can be deleted, an Object Instance just that one; the Bootstrap-Server account
/// and the Device object always stay (deleting them by name is 4.00).
fn delete(path: &Path, ctx: &mut Ctx<'_>, s: &mut Session) -> DmResult<()> {
    let ids = path.as_slice();
    if ids.len() > 2 || ids.first() == Some(&3) {
        return Err(DmError::BAD_REQUEST);
    }
    let objs = &mut *ctx.objs;
    let mut k = 0;
    while let Some(oid) = objs.oid_at(k) {
        k += 1;
        if oid == 3 || ids.first().is_some_and(|&o| o != oid) {
            continue;
        }
        let mut i = 0;
        while let Some(iid) = dm::instance_at(objs, oid, i) {
            if ids.get(1).is_some_and(|&w| w != iid) {
                i += 1;
                continue;
            }
            let bs_account = oid == 0
                && dm::read_bool(objs, &[0, iid, security_rid::BOOTSTRAP_SERVER]) == Some(true);
            let deletable = dm::object(objs, oid)?.can_delete_instances();
            if bs_account || !deletable {
                if ids.len() == 2 {
                    return Err(DmError::BAD_REQUEST);
                }
                i += 1;
                continue;
            }
            s.open = true;
            let target = Target {
                oid,
                path: Path::new(&[oid, iid]),
            };
            dm::delete(objs, &mut s.txn, &target)?;
            ctx.objects_changed = true;
            if dm::has_instance(objs, oid, iid) {
                // The handler kept it: do not loop on it.
                i += 1;
            }
        }
    }
    Ok(())
}
