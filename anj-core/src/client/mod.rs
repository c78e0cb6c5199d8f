//! The client state machine: the Client Registration interface (LwM2M 1.1 TS Core §6.2)
//! — Register, Update, De-register, retries, disable, queue mode — the Bootstrap
//! interface (§6.1), and the dispatch of the server's Device Management requests to the
//! data model (§6.3), observations (§6.4) and Send.
//!
//! Sans-IO: [`Engine::step`] takes the current time, a [`Link`] and the [`Host`] (the
//! objects and what else the owner provides); it never reads a clock and never touches a
//! socket itself.

mod api;
#[cfg(all(test, feature = "plaintext"))]
mod api_tests;
mod block;
#[cfg(feature = "bootstrap")]
mod bootstrap;
mod host;
mod notify;
mod register;
mod requests;

pub use api::{Client, Config, Event};
pub use host::*;
pub use requests::BLOCK1_CARRY as BLOCK1_CARRY_SIZE;

use crate::coap::{Message, MsgType};
use crate::config::{
    CACHE_ENTRIES_NUMBER, COAP_MAX_LOCATION_PATHS_NUMBER, COAP_MAX_LOCATION_PATH_SIZE,
    IN_MSG_BUFFER_SIZE, OUT_MSG_BUFFER_SIZE,
};
use crate::exchange::{DedupCache, Match, Outcome, Pending, TxParams};
use crate::link::{Link, NetStatus, Recv};
use crate::time::{after, Duration, Instant, NEVER, SEC};
pub use register::{split_uri, ServerAccount};

/// Settings of the client (what a C application gives in its configuration).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub tx: TxParams,
    /// How long to wait for a separate response after an Empty ACK.
    pub request_timeout: Duration,
    pub queue_mode: bool,
    pub queue_mode_timeout: Duration,
    /// `bootstrap_retry_count`: Bootstrap attempts after the first one fails.
    #[cfg(feature = "bootstrap")]
    pub bootstrap_retry_count: u16,
    /// `bootstrap_retry_timeout`: the delay before the first retry, doubled for each
    /// further one.
    #[cfg(feature = "bootstrap")]
    pub bootstrap_retry_timeout: Duration,
    /// `bootstrap_timeout`: the longest silence of the Bootstrap-Server in a session.
    #[cfg(feature = "bootstrap")]
    pub bootstrap_timeout: Duration,
}

/// Which request of ours is outstanding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    Register,
    Update {
        with_payload: bool,
        lifetime: bool,
        binding: bool,
    },
    Deregister,
    /// Bootstrap-Request (LwM2M 1.1 TS Core §6.1.3, §8.2.1).
    #[cfg(feature = "bootstrap")]
    Bootstrap,
}

/// What to do once a De-register is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterDeregister {
    /// Stay offline until this instant ([`NEVER`]: until restarted).
    Suspend(Instant),
    /// Start over from the initial state.
    Restart,
    /// Request a Bootstrap (`anj_core_request_bootstrap`, /1/x/9).
    #[cfg(feature = "bootstrap")]
    Bootstrap,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// Nothing attempted yet, or restarted.
    Initial,
    /// Waiting for the link to connect, then Register.
    Connecting,
    /// A request of ours is outstanding.
    Exchange(Request, Pending),
    /// The next registration attempt is scheduled.
    RetryWait(Instant),
    Registered,
    /// Registered, with the receiver off (LwM2M 1.1 TS Core §6.5 queue mode).
    Queue,
    /// Registered, but the server did not answer (an Update or a confirmable notification
    /// timed out, or the link failed): the next Update attempt is at the instant. The
    /// registration is kept until its lifetime ends, so are the observations.
    Offline(Instant),
    /// Disabled until the instant.
    Suspended(Instant),
    /// Registration failed for good (retries exhausted).
    Failure,
    /// No usable server account in the data model.
    Invalid,
    /// `anj_core_shutdown` was called.
    Shutdown,
    /// Bootstrap: waiting for the Client Hold Off Time or the next attempt.
    #[cfg(feature = "bootstrap")]
    BsWait(Instant),
    /// Bootstrap: connecting to the Bootstrap-Server, then Bootstrap-Request.
    #[cfg(feature = "bootstrap")]
    BsConnecting,
    /// Bootstrap: the Bootstrap-Server configures the client; the session fails if it
    /// stays silent past the instant.
    #[cfg(feature = "bootstrap")]
    Bootstrapping(Instant),
}

/// Requests from the application or the server, applied at the next step.
#[derive(Clone, Copy, Default, Debug)]
struct Flags {
    update: bool,
    params_changed: bool,
    restart: bool,
    disable: Option<Duration>,
    #[cfg(feature = "bootstrap")]
    bootstrap: bool,
}

/// Position in the retry sequences of LwM2M 1.1 TS Core §6.2.1.1.
#[derive(Clone, Copy, Default, Debug)]
struct Retry {
    attempt: u16,
    sequence: u16,
}

/// The client's state machine, driven through a [`Host`]: the C face runs it directly
/// (its host is the C objects and callbacks); Rust applications use [`Client`].
pub struct Engine {
    settings: Settings,
    state: State,
    status: ConnStatus,
    /// Statuses not yet reported to the application, oldest first.
    status_queue: [Option<ConnStatus>; 4],
    flags: Flags,
    pending_after: AfterDeregister,
    retry: Retry,
    account: Option<ServerAccount>,
    /// The account the link's connection context was last made for (`None`: none was).
    link_owner: Option<register::LinkOwner>,
    /// When the registration was last refreshed (Register or Update succeeded).
    refreshed_at: Instant,
    /// Last exchange with the server (for the queue-mode timeout).
    last_activity: Instant,
    /// Hash of the object list last sent, to know when an Update needs a payload.
    links_hash: u32,
    /// Lifetime and binding last sent.
    sent_lifetime: u32,
    sent_binding: [u8; crate::objects::builtin::BINDING_SIZE],
    location: register::Location<COAP_MAX_LOCATION_PATHS_NUMBER, COAP_MAX_LOCATION_PATH_SIZE>,
    next_message_id: u16,
    message_id_seeded: bool,
    dedup: DedupCache<CACHE_ENTRIES_NUMBER, OUT_MSG_BUFFER_SIZE>,
    dm_busy: bool,
    /// A block-wise Write being received.
    block1: requests::Block1State,
    /// The external value of a block-wise Read being sent.
    ext_read: requests::ExtRead,
    /// Which part of the object list our Register or Update carries (RFC 7959 Block1).
    reg_block: block::Block1Tx,
    /// The server rejected a 1.2 Register: announce 1.1 from now on.
    version_fallback: bool,
    /// The server was unreachable since the last successful Register or Update.
    was_offline: bool,
    /// When the server last confirmed the registration (`refreshed_at` may be moved
    /// back to force an Update; this is not).
    confirmed_at: Instant,
    in_buf: [u8; IN_MSG_BUFFER_SIZE],
    out_buf: [u8; OUT_MSG_BUFFER_SIZE],
    /// Attributes set by Write-Attributes (LwM2M 1.1 TS Core §6.3.4), read by Discover
    /// and the observation engine.
    #[cfg(feature = "observe")]
    pub attributes: crate::dm::attributes::AttrTable,
    /// The server's observations.
    #[cfg(feature = "observe")]
    pub observe: crate::observe::Observations,
    /// Our outstanding confirmable Notify or Send.
    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    out: Option<notify::Out>,
    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    defaults: notify::ServerDefaults,
    /// The Server object changed: re-read `defaults` before using them.
    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    defaults_stale: bool,
    /// The Bootstrap session.
    #[cfg(feature = "bootstrap")]
    bs: bootstrap::Session,
}

impl Engine {
    pub fn new(settings: Settings) -> Engine {
        Engine {
            settings,
            state: State::Initial,
            status: ConnStatus::Initial,
            status_queue: [None; 4],
            flags: Flags::default(),
            pending_after: AfterDeregister::Restart,
            retry: Retry::default(),
            account: None,
            link_owner: None,
            refreshed_at: 0,
            last_activity: 0,
            links_hash: 0,
            sent_lifetime: 0,
            sent_binding: [0; crate::objects::builtin::BINDING_SIZE],
            location: register::Location::default(),
            next_message_id: 0,
            message_id_seeded: false,
            dedup: DedupCache::default(),
            dm_busy: false,
            block1: requests::Block1State::default(),
            ext_read: requests::ExtRead::default(),
            reg_block: block::Block1Tx::START,
            version_fallback: false,
            was_offline: false,
            confirmed_at: 0,
            in_buf: [0; IN_MSG_BUFFER_SIZE],
            out_buf: [0; OUT_MSG_BUFFER_SIZE],
            #[cfg(feature = "observe")]
            attributes: crate::dm::attributes::AttrTable::default(),
            #[cfg(feature = "observe")]
            observe: crate::observe::Observations::default(),
            #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
            out: None,
            #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
            defaults: notify::ServerDefaults::default(),
            #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
            defaults_stale: true,
            #[cfg(feature = "bootstrap")]
            bs: bootstrap::Session::default(),
        }
    }

    pub fn status(&self) -> ConnStatus {
        self.status
    }

    /// Takes the oldest status change not yet reported to the application.
    pub fn take_status_change(&mut self) -> Option<ConnStatus> {
        let first = self.status_queue[0].take();
        self.status_queue.rotate_left(1);
        first
    }

    fn set_status(&mut self, s: ConnStatus) {
        if s == self.status {
            return;
        }
        self.status = s;
        if let Some(slot) = self.status_queue.iter_mut().find(|q| q.is_none()) {
            *slot = Some(s);
        } else {
            // Never lose the newest status: drop the oldest unreported one.
            self.status_queue.rotate_left(1);
            self.status_queue[3] = Some(s);
        }
    }

    /// True while the data model is being accessed on the server's behalf.
    /// Offline: the server did not answer, and the next Update attempt waits (for tests).
    #[doc(hidden)]
    pub fn is_offline(&self) -> bool {
        matches!(self.state, State::Offline(_))
    }

    /// The receive buffer (for tests: what a Bootstrap-Server sent must not stay in it).
    #[doc(hidden)]
    pub fn receive_buffer(&self) -> &[u8] {
        &self.in_buf
    }

    /// No message of ours (a notification, a Send) is outstanding (for tests).
    #[doc(hidden)]
    pub fn nothing_outstanding(&self) -> bool {
        self.out_idle()
    }

    pub fn ongoing_operation(&self) -> bool {
        self.dm_busy
    }

    /* ------------------------- requests from the application ------------------------- */

    pub fn request_update(&mut self) {
        if matches!(
            self.state,
            State::Registered
                | State::Queue
                | State::Offline(_)
                | State::Exchange(Request::Update { .. }, _)
        ) {
            self.flags.update = true;
        }
    }

    /// A Lifetime or Binding change: tell the server with an Update (§6.2.2).
    pub fn on_server_params_changed(&mut self) {
        self.flags.params_changed = true;
    }

    pub fn on_objects_changed(&mut self) {
        // Before registering, the Register itself carries the object list; while it is in
        // flight, a change may miss it, so an Update follows (§6.2.2).
        if matches!(
            self.state,
            State::Registered
                | State::Queue
                | State::Offline(_)
                | State::Exchange(Request::Update { .. } | Request::Register, _)
        ) {
            self.flags.update = true;
        }
        // A server account may have appeared: look again.
        if matches!(self.state, State::Invalid) {
            self.state = State::Initial;
        }
    }

    pub fn restart(&mut self) {
        self.flags.restart = true;
    }

    /// Disables the server for `timeout` (`None`: until restarted), de-registering first.
    pub fn disable(&mut self, timeout: Option<Duration>) {
        self.flags.disable = Some(timeout.unwrap_or(NEVER));
    }

    /* ------------------------------------ timing ------------------------------------ */

    /// When [`Engine::step`] must run again, if nothing arrives (`None`: poll continuously,
    /// because the link must be read).
    pub fn next_step_at(&self, now: Instant, env: &mut dyn Host) -> Instant {
        if self.flags.restart
            || self.flags.disable.is_some()
            || self.flags.update
            || self.flags.params_changed
        {
            return now;
        }
        #[cfg(feature = "bootstrap")]
        if self.flags.bootstrap {
            return now;
        }
        match self.state {
            State::Suspended(until) | State::RetryWait(until) => until,
            #[cfg(feature = "bootstrap")]
            State::BsWait(until) => until,
            State::Queue => self.update_due_at().min(self.outgoing_due_at(env)),
            // Notifications due while offline may have to be stored.
            State::Offline(at) => at.min(self.offline_due_at()),
            State::Failure | State::Invalid | State::Shutdown => NEVER,
            // Registered or in an exchange: the link must be polled for incoming datagrams.
            _ => now,
        }
    }

    /// When the registration must be refreshed: the lifetime minus the time an Update may
    /// take (MAX_TRANSMIT_WAIT), or half the lifetime when that is shorter (§6.2.2).
    fn update_due_at(&self) -> Instant {
        let lifetime = self.sent_lifetime as i64 * SEC;
        let margin = self.settings.tx.max_transmit_wait();
        let interval = if lifetime > 2 * margin {
            lifetime - margin
        } else {
            lifetime / 2
        };
        after(self.refreshed_at, interval.max(SEC))
    }

    /* ------------------------------------ the step ------------------------------------ */

    /// Does all work due at `now`.
    pub fn step(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        if matches!(self.state, State::Shutdown) {
            return;
        }
        // A restart or disable ends a Bootstrap session: what it wrote is rolled back.
        #[cfg(feature = "bootstrap")]
        if (self.flags.restart || self.flags.disable.is_some()) && self.bootstrapping() {
            self.bs_abort(env);
        }
        self.apply_flags(now, link, env);
        match self.state {
            State::Initial => self.start(now, link, env),
            State::RetryWait(at) if now >= at => self.start(now, link, env),
            State::Suspended(until) if now >= until => {
                self.retry = Retry::default();
                self.start(now, link, env)
            }
            State::Connecting => self.connect_and_register(now, link, env),
            #[cfg(feature = "bootstrap")]
            State::BsWait(at) if now >= at => self.bs_connect(now, link, env),
            #[cfg(feature = "bootstrap")]
            State::BsConnecting => self.bs_connect(now, link, env),
            #[cfg(feature = "bootstrap")]
            State::Bootstrapping(deadline) if now >= deadline => {
                crate::log_error!("bootstrap: the Bootstrap-Server went silent");
                self.bs_failed(now, link, env);
            }
            State::Queue if now >= self.update_due_at() => self.send_update(now, link, env),
            State::Offline(at) if now >= at => self.reconnect_and_update(now, link, env),
            State::Offline(_) => self.outgoing_step(now, link, env),
            // A notification or Send wakes the client up (LwM2M 1.1 TS Core §6.5): the
            // registration is still valid, so the message goes out directly.
            State::Queue if self.outgoing_due(now, env) => {
                self.state = State::Registered;
                self.last_activity = now;
                self.set_status(ConnStatus::Registered);
            }
            _ => {}
        }
        if matches!(self.state, State::Registered) {
            if now >= self.update_due_at() && self.out_idle() {
                self.send_update(now, link, env);
            } else if self.settings.queue_mode
                && self.out_idle()
                && now >= after(self.last_activity, self.settings.queue_mode_timeout)
                && !self.outgoing_due(now, env)
            {
                self.set_status(ConnStatus::EnteringQueueMode);
                link.rx_off();
                self.state = State::Queue;
                self.set_status(ConnStatus::QueueMode);
            } else {
                self.outgoing_step(now, link, env);
            }
        }
        self.receive(now, link, env);
        if self.block1.expired(now) {
            self.block1.expire(now, env.objects());
        }
        if self.ext_read.expired(now) {
            self.ext_read.expire(now, env.objects());
        }
        self.poll_exchange(now, link, env);
        self.poll_out(now, link, env);
        self.update_send_gate(env);
    }

    fn apply_flags(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        if self.flags.restart {
            self.flags = Flags::default();
            self.leave(now, link, AfterDeregister::Restart, env);
            return;
        }
        #[cfg(feature = "bootstrap")]
        self.apply_bootstrap_flag(now, link, env);
        if let Some(timeout) = self.flags.disable.take() {
            let until = after(now, timeout);
            match self.state {
                // Already disabled: only the timeout changes.
                State::Suspended(_) => self.state = State::Suspended(until),
                _ => self.leave(now, link, AfterDeregister::Suspend(until), env),
            }
            return;
        }
        if matches!(
            self.state,
            State::Registered | State::Queue | State::Offline(_)
        ) && (self.flags.update || self.flags.params_changed)
        {
            self.flags.update = false;
            self.flags.params_changed = false;
            // The Update itself is sent by `send_update` below, now.
            self.refreshed_at = i64::MIN / 2;
        }
    }

    /// De-registers when registered, then suspends or restarts.
    fn leave(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        then: AfterDeregister,
        env: &mut dyn Host,
    ) {
        self.pending_after = then;
        match self.state {
            State::Registered
            | State::Queue
            | State::Offline(_)
            | State::Exchange(Request::Update { .. }, _) => {
                self.send_request(now, link, Request::Deregister, env);
            }
            _ => self.finish_leave(link),
        }
    }

    fn finish_leave(&mut self, link: &mut dyn Link) {
        // A restart starts afresh: the connection context (and with it a DTLS session
        // and the credentials it was made with) is released, so the next connect uses
        // what the Security object holds then; so does going to bootstrap (another
        // server, other credentials). Disabling only closes the connection.
        let _ = match self.pending_after {
            AfterDeregister::Suspend(_) => link.close(),
            _ => link.cleanup(),
        };
        self.dedup.clear();
        self.end_observations();
        match self.pending_after {
            AfterDeregister::Suspend(until) => {
                self.state = State::Suspended(until);
                self.set_status(ConnStatus::Suspended);
            }
            AfterDeregister::Restart => {
                self.state = State::Initial;
                self.retry = Retry::default();
                self.set_status(ConnStatus::Initial);
            }
            #[cfg(feature = "bootstrap")]
            AfterDeregister::Bootstrap => {
                self.state = State::Initial;
                self.retry = Retry::default();
                self.bs.requested = true;
            }
        }
    }

    /// Reads the server account from the data model and connects.
    fn start(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        #[cfg(feature = "bootstrap")]
        if self.bs.requested {
            if self.begin_bootstrap(now, link, env) {
                return;
            }
            crate::log_error!("bootstrap requested, but there is no Bootstrap-Server account");
        }
        match ServerAccount::find(env.objects()) {
            Ok(acc) => {
                self.account = Some(acc);
                self.state = State::Connecting;
                self.set_status(ConnStatus::Registering);
                self.connect_and_register(now, link, env);
            }
            Err(why) => {
                // No LwM2M Server account yet: get one from the Bootstrap-Server.
                #[cfg(feature = "bootstrap")]
                if self.begin_bootstrap(now, link, env) {
                    return;
                }
                crate::log_error!("no usable LwM2M server account: {}", why);
                self.state = State::Invalid;
                self.set_status(ConnStatus::Invalid);
            }
        }
    }

    /// Makes the link serve `owner`'s account. A connection context keeps the
    /// credentials it was created with (and over DTLS the session agreed with its
    /// server), so one made for another account is released first: one server's
    /// credentials are never presented to another, nor its session resumed toward
    /// another. `None` when the link may connect; else what to report (the release is
    /// still in progress, or failed: then nothing connects with the old context).
    fn claim_link(&mut self, link: &mut dyn Link, owner: register::LinkOwner) -> Option<NetStatus> {
        if self.link_owner.is_some_and(|o| o != owner) {
            match link.cleanup() {
                NetStatus::Done => {}
                NetStatus::InProgress => return Some(NetStatus::InProgress),
                NetStatus::Failed(code) => {
                    crate::log_error!(
                        "releasing the connection of the previous server account failed ({})",
                        code
                    );
                    return Some(NetStatus::Failed(code));
                }
            }
        }
        self.link_owner = Some(owner);
        None
    }

    fn connect_and_register(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        let Some(owner) = self.account.as_ref().map(|a| register::LinkOwner {
            security_iid: a.security_iid,
            bootstrap: false,
        }) else {
            return;
        };
        let claimed = self.claim_link(link, owner);
        let Some(acc) = self.account.as_ref() else {
            return;
        };
        let st = if let Some(st) = claimed {
            st
        } else {
            match acc.with_uri(env, |env, scheme, host, port| {
                register::connect_secured(env, acc.security_iid, false, link, (scheme, host, port))
            }) {
                Ok(st) => st,
                Err(why) => {
                    crate::log_error!("server account unusable: {}", why);
                    NetStatus::Failed(-1)
                }
            }
        };
        match st {
            NetStatus::Done => {
                self.dedup.clear();
                self.send_request(now, link, Request::Register, env);
            }
            NetStatus::InProgress => {}
            NetStatus::Failed(code) => {
                crate::log_warning!("connecting to the server failed ({})", code);
                self.registration_failed(now, link, env);
            }
        }
    }

    fn send_update(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        let acc = match self.account.as_mut() {
            Some(a) => a,
            None => return,
        };
        // Re-read Lifetime and Binding: the server or the application may have changed them.
        let _ = acc.refresh(env.objects());
        let lifetime = acc.lifetime != self.sent_lifetime;
        let binding = acc.binding != self.sent_binding;
        let with_payload = register::links_hash(env.objects()) != self.links_hash;
        self.send_request(
            now,
            link,
            Request::Update {
                with_payload,
                lifetime,
                binding,
            },
            env,
        );
    }

    fn send_request(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        req: Request,
        env: &mut dyn Host,
    ) {
        self.reg_block = block::Block1Tx::START;
        self.send_request_block(now, link, req, env);
    }

    /// [`Engine::send_request`] for the block of the payload `reg_block` is at (a new
    /// Message ID and token for every block, RFC 7959 §2.3).
    fn send_request_block(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        req: Request,
        env: &mut dyn Host,
    ) {
        let mut rnd = [0u8; 8];
        if !link.random(&mut rnd) {
            crate::log_error!("random number generator failed");
            self.fail_request(now, link, req, env);
            return;
        }
        if !self.message_id_seeded {
            // RFC 7252 §4.4: start the Message ID sequence at a random value.
            self.next_message_id = u16::from_le_bytes([rnd[6], rnd[7]]);
            self.message_id_seeded = true;
            if !link.random(&mut rnd) {
                self.fail_request(now, link, req, env);
                return;
            }
        }
        let message_id = self.next_message_id();
        let token = &rnd[..8];
        let jitter = u16::from_le_bytes([rnd[0], rnd[1]]);
        let pending = Pending::new(now, message_id, token, &self.settings.tx, jitter);
        self.state = State::Exchange(req, pending);
        self.transmit(now, link, req, pending, env);
    }

    fn next_message_id(&mut self) -> u16 {
        let id = self.next_message_id;
        self.next_message_id = id.wrapping_add(1);
        id
    }

    /// Builds and sends (or re-sends) our request.
    fn transmit(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        req: Request,
        pending: Pending,
        env: &mut dyn Host,
    ) {
        #[cfg(feature = "bootstrap")]
        if req == Request::Bootstrap {
            let built = bootstrap::build_bootstrap_request(
                &mut self.out_buf,
                pending.message_id,
                pending.token(),
                env,
            );
            let sent = built.map(|len| link.send(&self.out_buf[..len]));
            match sent {
                Ok(NetStatus::Failed(_)) | Err(()) => {
                    crate::log_warning!("bootstrap: sending the Bootstrap-Request failed");
                    self.fail_request(now, link, req, env);
                }
                Ok(_) => self.last_activity = now,
            }
            return;
        }
        let Some(acc) = self.account.as_ref() else {
            return;
        };
        let built = match req {
            Request::Register => {
                let version = register::lwm2m_version(self.version_fallback);
                register::build_register(
                    &mut self.out_buf,
                    pending.message_id,
                    pending.token(),
                    acc,
                    version,
                    self.settings.queue_mode,
                    env,
                    &mut self.reg_block,
                )
            }
            Request::Update {
                with_payload,
                lifetime,
                binding,
            } => register::build_update(
                &mut self.out_buf,
                pending.message_id,
                pending.token(),
                &self.location,
                acc,
                register::UpdateParts {
                    payload: with_payload,
                    lifetime,
                    binding,
                },
                env.objects(),
                &mut self.reg_block,
            ),
            Request::Deregister => register::build_deregister(
                &mut self.out_buf,
                pending.message_id,
                pending.token(),
                &self.location,
            ),
            #[cfg(feature = "bootstrap")]
            Request::Bootstrap => Err(()),
        };
        let len = match built {
            Ok(len) => len,
            Err(()) => {
                crate::log_error!("request does not fit in ANJ_OUT_MSG_BUFFER_SIZE");
                self.fail_request(now, link, req, env);
                return;
            }
        };
        match link.send(&self.out_buf[..len]) {
            NetStatus::Failed(code) => {
                crate::log_warning!("send failed ({})", code);
                self.fail_request(now, link, req, env);
            }
            _ => self.last_activity = now,
        }
    }

    fn poll_exchange(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        let State::Exchange(req, mut pending) = self.state else {
            return;
        };
        match pending.poll(now, &self.settings.tx) {
            Outcome::Pending => self.state = State::Exchange(req, pending),
            Outcome::Retransmit => {
                self.state = State::Exchange(req, pending);
                self.transmit(now, link, req, pending, env);
            }
            Outcome::TimedOut => {
                crate::log_warning!("no response from the server");
                self.fail_request(now, link, req, env);
            }
        }
    }

    /// Our request failed (timeout, error response, send failure).
    fn fail_request(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        req: Request,
        env: &mut dyn Host,
    ) {
        match req {
            Request::Register => self.registration_failed(now, link, env),
            #[cfg(feature = "bootstrap")]
            Request::Bootstrap => self.bs_failed(now, link, env),
            Request::Update { .. } => self.update_lost(now, link),
            // The server forgets us at the end of the lifetime anyway.
            Request::Deregister => self.finish_leave(link),
        }
    }

    /// No answer to an Update, or the link failed, while registered: the registration is
    /// still valid on the server until its lifetime ends, so keep it (and the
    /// observations) and try the Update again after the Communication Retry Timer,
    /// doubling each time (LwM2M 1.1 TS Core §6.2.1.1); once the lifetime is over,
    /// register again (§6.2.2).
    ///
    /// The connection is closed, so the next attempt reconnects: an unanswered exchange
    /// may mean that the path to the server changed (a NAT rebinding, a wake-up from
    /// queue mode behind a NAT that forgot us) or that the server lost our DTLS session.
    /// Over DTLS the reconnect keeps the session: after an unanswered Update it resumes
    /// the session with an abbreviated handshake (full if the server forgot it); after a
    /// send/receive error with a Connection ID in use and our last datagram answered,
    /// it goes on with no handshake at all (see `src/c/dtls_mbedtls.c`).
    fn update_lost(&mut self, now: Instant, link: &mut dyn Link) {
        let _ = link.close();
        let expires = after(self.confirmed_at, i64::from(self.sent_lifetime) * SEC);
        if now >= expires {
            crate::log_warning!("registration expired while offline: registering again");
            self.state = State::Connecting;
            self.set_status(ConnStatus::Registering);
            return;
        }
        let timer = self
            .account
            .as_ref()
            .map_or(60, |a| a.retry.retry_timer.max(1));
        let factor = 1i64 << self.retry.attempt.min(20);
        self.retry.attempt = self.retry.attempt.saturating_add(1);
        let delay = (i64::from(timer) * SEC).saturating_mul(factor);
        crate::log_warning!(
            "server unreachable: next Update attempt in {} s",
            delay / SEC
        );
        self.state = State::Offline(after(now, delay).min(expires));
        self.was_offline = true;
    }

    /// The Update attempt of the offline state, on a new connection if the old one broke.
    fn reconnect_and_update(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        if !link.is_connected() {
            let Some(acc) = self.account.as_ref() else {
                return;
            };
            let st = acc
                .with_uri(env, |_, scheme, host, port| {
                    // The context, when the link kept it, has the account's credentials.
                    link.connect(scheme, host, port, &crate::link::Credentials::NoSec)
                })
                .unwrap_or(NetStatus::Failed(-1));
            match st {
                NetStatus::Done => {}
                NetStatus::InProgress => return,
                NetStatus::Failed(code) => {
                    crate::log_warning!("reconnecting failed ({})", code);
                    self.update_lost(now, link);
                    return;
                }
            }
        }
        self.send_update(now, link, env);
    }

    /// Schedules the next registration attempt per the Communication Retry resources,
    /// or gives up (LwM2M 1.1 TS Core §6.2.1.1).
    fn registration_failed(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        let retry = self
            .account
            .as_ref()
            .map(|a| a.retry)
            .unwrap_or(crate::objects::builtin::CommRetry::DEFAULT);
        // Within a sequence the connection is only closed (over DTLS the session goes on
        // or is resumed); a sequence that ends releases it, so the next one starts with
        // a new handshake (close_notify first), as in Anjay Lite.
        let _ = if self.retry.attempt.saturating_add(1) < retry.retry_count.max(1) {
            link.close()
        } else {
            link.cleanup()
        };
        self.retry.attempt += 1;
        let delay = if self.retry.attempt < retry.retry_count.max(1) {
            // Exponential: retry_timer * 2^(attempt-1).
            let factor = 1i64 << (self.retry.attempt - 1).min(30);
            (retry.retry_timer as i64)
                .saturating_mul(factor)
                .saturating_mul(SEC)
        } else {
            self.retry.attempt = 0;
            self.retry.sequence += 1;
            if self.retry.sequence >= retry.seq_retry_count.max(1) {
                // Fall back to a Bootstrap when the Server instance allows it (/1/x/16).
                #[cfg(feature = "bootstrap")]
                if self.account.is_some_and(|a| a.bootstrap_on_failure)
                    && bootstrap::bootstrap_iid(env.objects()).is_some()
                {
                    crate::log_error!("registration failed: retries exhausted, bootstrapping");
                    self.retry = Retry::default();
                    self.begin_bootstrap(now, link, env);
                    return;
                }
                let _ = env;
                crate::log_error!("registration failed: retries exhausted");
                self.state = State::Failure;
                self.set_status(ConnStatus::Failure);
                return;
            }
            (retry.seq_delay_timer as i64).saturating_mul(SEC)
        };
        self.state = State::RetryWait(after(now, delay));
        self.set_status(ConnStatus::Registering);
    }

    /// Reads every datagram the link has.
    fn receive(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        // A bounded number per step, so a flood cannot starve the application loop.
        for _ in 0..8 {
            // Handling a datagram may end the connection (e.g. a De-register response).
            if matches!(
                self.state,
                State::Queue
                    | State::Suspended(_)
                    | State::Initial
                    | State::Connecting
                    | State::RetryWait(_)
            ) || self.not_receiving()
                || !link.is_connected()
            {
                return;
            }
            match link.recv(&mut self.in_buf) {
                Recv::Datagram(len) => {
                    // A request of the server (code class 0, not empty) is the last thing
                    // read in this step: the application runs between two of them (so a
                    // download its handler started gets its first step before the next
                    // request, e.g. an empty Package URI, can end it), whatever the
                    // relative speed of the server and this process.
                    let request = len > 1 && (1..0x20).contains(&self.in_buf[1]);
                    self.handle_datagram(now, link, len, env);
                    if request {
                        return;
                    }
                }
                Recv::TooBig => {
                    crate::log_warning!("dropped a datagram larger than ANJ_IN_MSG_BUFFER_SIZE")
                }
                Recv::Nothing | Recv::InProgress => return,
                Recv::Failed(code) => {
                    // E.g. an ICMP "port unreachable" for our request: the exchange failed.
                    crate::log_warning!("receive failed ({})", code);
                    let _ = link.close();
                    match self.state {
                        State::Exchange(req, _) => self.fail_request(now, link, req, env),
                        State::Registered | State::Offline(_) => self.update_lost(now, link),
                        #[cfg(feature = "bootstrap")]
                        State::Bootstrapping(_) => self.bs_failed(now, link, env),
                        _ => {
                            self.state = State::Connecting;
                            self.set_status(ConnStatus::Registering);
                        }
                    }
                    return;
                }
            }
        }
    }

    fn handle_datagram(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        len: usize,
        env: &mut dyn Host,
    ) {
        let len = len.min(self.in_buf.len());
        let msg = match Message::parse(&self.in_buf[..len]) {
            Ok(m) => m,
            Err(e) => {
                // RFC 7252 §4.2/§4.3: a malformed CON is answered with RST; others are ignored.
                if let Some((MsgType::Con, id)) = Message::peek_type_and_id(&self.in_buf[..len]) {
                    let n = crate::coap::reset(&mut self.out_buf, id);
                    let _ = link.send(&self.out_buf[..n]);
                }
                crate::log_debug!("dropped a malformed datagram: {:?}", e);
                return;
            }
        };
        self.last_activity = now;
        #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
        if let Some(mut out) = self.out {
            let m = out
                .pending
                .classify(&msg, now, self.settings.request_timeout);
            if m != Match::None {
                let seen = notify::Seen {
                    ty: msg.msg_type(),
                    message_id: msg.message_id(),
                    code: msg.code(),
                    block1: msg.block1(),
                    now,
                };
                self.out_matched(out, m, seen, link, env);
                return;
            }
        }
        if let State::Exchange(req, mut pending) = self.state {
            match pending.classify(&msg, now, self.settings.request_timeout) {
                Match::None => {}
                Match::EmptyAck => {
                    self.state = State::Exchange(req, pending);
                    return;
                }
                Match::Reset => {
                    crate::log_warning!("server reset our request");
                    match req {
                        // The server does not know this registration: register again.
                        Request::Update { .. } => {
                            self.state = State::Connecting;
                            self.set_status(ConnStatus::Registering);
                        }
                        _ => self.fail_request(now, link, req, env),
                    }
                    return;
                }
                Match::Response => {
                    if msg.msg_type() == MsgType::Con {
                        let n = crate::coap::empty_ack(&mut self.out_buf, msg.message_id());
                        let _ = link.send(&self.out_buf[..n]);
                    }
                    let code = msg.code();
                    // 2.31 Continue: the next block of a block-wise Register or Update.
                    if code == crate::coap::Code::CONTINUE
                        && matches!(req, Request::Register | Request::Update { .. })
                        && self.reg_block.advance(msg.block1())
                    {
                        self.send_request_block(now, link, req, env);
                        return;
                    }
                    let ok = code.class() == 2;
                    let location = register::parse_location(&msg);
                    self.on_response(now, link, req, ok, code, location, env);
                    return;
                }
            }
        }
        if msg.code().is_request() && self.takes_requests() {
            let summary = msg.summary();
            self.handle_server_request(now, link, summary, env);
        } else if msg.msg_type() == MsgType::Con && !msg.code().is_empty() {
            // A CON we cannot process in this state: reject it (RFC 7252 §4.2).
            let n = crate::coap::reset(&mut self.out_buf, msg.message_id());
            let _ = link.send(&self.out_buf[..n]);
        } else if msg.msg_type() == MsgType::Rst {
            let mid = msg.message_id();
            self.on_reset(mid);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_response(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        req: Request,
        ok: bool,
        code: crate::coap::Code,
        location: Option<
            register::Location<COAP_MAX_LOCATION_PATHS_NUMBER, COAP_MAX_LOCATION_PATH_SIZE>,
        >,
        env: &mut dyn Host,
    ) {
        match req {
            Request::Register => match (ok, location) {
                (true, Some(loc)) if code == crate::coap::Code::CREATED => {
                    self.location = loc;
                    // A new registration ends the observations of the old one, and
                    // what was queued for Send before it is aborted (as in Anjay Lite).
                    self.end_observations();
                    self.abort_sends(env);
                    self.registered(now, env);
                }
                // The answer the spec gives a server for an LwM2M version it does not
                // support is 4.12 (LwM2M 1.1/1.2 TS Core §6.2.1, "Supported LwM2M
                // Versions of the Server and the Client are not compatible"): try again
                // at once as 1.1. A 4.00 is any bad request, so it takes the retry
                // sequence with the same version, as in Anjay Lite.
                (false, _)
                    if cfg!(feature = "lwm2m12")
                        && !self.version_fallback
                        && code == crate::coap::Code::PRECONDITION_FAILED =>
                {
                    crate::log_info!("server rejected LwM2M 1.2 ({}): registering as 1.1", code);
                    self.version_fallback = true;
                    self.send_request(now, link, Request::Register, env);
                }
                _ => {
                    crate::log_warning!(
                        "registration rejected ({}.{:02})",
                        code.class(),
                        code.detail()
                    );
                    self.registration_failed(now, link, env);
                }
            },
            Request::Update { .. } if ok => self.registered(now, env),
            Request::Update { .. } => {
                crate::log_warning!(
                    "update rejected ({}.{:02}): registering again",
                    code.class(),
                    code.detail()
                );
                self.state = State::Connecting;
                self.set_status(ConnStatus::Registering);
            }
            Request::Deregister => self.finish_leave(link),
            #[cfg(feature = "bootstrap")]
            Request::Bootstrap if ok => self.bs_accepted(now),
            #[cfg(feature = "bootstrap")]
            Request::Bootstrap => {
                crate::log_warning!(
                    "bootstrap: Bootstrap-Request rejected ({}.{:02})",
                    code.class(),
                    code.detail()
                );
                self.bs_failed(now, link, env);
            }
        }
    }

    /// Whether the server's requests are processed in this state.
    fn takes_requests(&self) -> bool {
        match self.state {
            State::Registered | State::Exchange(..) => true,
            #[cfg(feature = "bootstrap")]
            State::Bootstrapping(_) => true,
            _ => false,
        }
    }

    /// States without a connection to read from.
    fn not_receiving(&self) -> bool {
        #[cfg(feature = "bootstrap")]
        if matches!(self.state, State::BsWait(_) | State::BsConnecting) {
            return true;
        }
        false
    }

    /// Register or Update succeeded.
    fn registered(&mut self, now: Instant, env: &mut dyn Host) {
        if let Some(acc) = self.account.as_ref() {
            self.sent_lifetime = acc.lifetime;
            self.sent_binding = acc.binding;
        }
        self.links_hash = register::links_hash(env.objects());
        self.refreshed_at = now;
        self.confirmed_at = now;
        self.retry = Retry::default();
        self.state = State::Registered;
        if core::mem::take(&mut self.was_offline) {
            self.back_online();
        }
        #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
        {
            self.defaults_stale = true;
        }
        self.set_status(ConnStatus::Registered);
    }

    /// `anj_core_shutdown`: stop everything and release the link.
    pub fn shutdown(&mut self, link: &mut dyn Link) -> NetStatus {
        self.state = State::Shutdown;
        // An external value held open for a block-wise Read is closed by the owner of
        // the objects, which keeps it.
        self.ext_read.forget();
        link.cleanup()
    }
}
