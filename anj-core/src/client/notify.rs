//! The client's own messages besides registration: Notify (LwM2M 1.1 TS Core §6.4.2) and,
//! with `lwm2m-send`, Send (§6.4.4). At most one confirmable one is outstanding at a time
//! (RFC 7252 §4.7, NSTART = 1); its bytes are not kept but rebuilt for each
//! retransmission, like the registration requests.
//!
//! Observations are evaluated only when [`crate::observe::due_at`] says so: after a change
//! reported through `anj_core_data_model_changed` or made by the server, at `pmax`, or at
//! `epmax`. The application's read handlers are not called otherwise.

#![cfg_attr(
    not(any(feature = "observe", feature = "lwm2m-send")),
    allow(unused_imports)
)]

use super::Host;
use super::{Engine, Link, State};
use crate::coap::{opt, Code, MessageWriter, MsgType};
use crate::dm::{self, DmError, DmResult, Objects};
use crate::exchange::{Match, Outcome, Pending};
#[cfg(feature = "observe")]
use crate::io::format::Format;
#[cfg(feature = "observe")]
use crate::io::value::Encoder;
use crate::io::value::Path;
use crate::time::{Instant, NEVER};

#[cfg(feature = "lwm2m-send")]
use crate::send::SendResult;

#[cfg(any(feature = "observe", feature = "lwm2m-send"))]
/// What the outstanding confirmable message of ours is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OutKind {
    /// A notification of the observation whose head slot is this.
    #[cfg(feature = "observe")]
    Notify(u8),
    /// The oldest stored notification (of this slot), delivered after an outage.
    #[cfg(feature = "observe")]
    Stored(u8),
    /// A Send request with this ID.
    #[cfg(feature = "lwm2m-send")]
    Send(u16),
}

#[cfg(any(feature = "observe", feature = "lwm2m-send"))]
/// What matters of a datagram that answered our message.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seen {
    pub ty: MsgType,
    pub message_id: u16,
    pub code: Code,
    /// The response's Block1 option (a 2.31 to a block of a Send).
    pub block1: Option<crate::coap::Block>,
    pub now: Instant,
}

#[cfg(any(feature = "observe", feature = "lwm2m-send"))]
#[derive(Clone, Copy, Debug)]
pub(super) struct Out {
    pub kind: OutKind,
    pub pending: Pending,
    /// Which part of a Send payload the message carries (RFC 7959 Block1).
    #[cfg(feature = "lwm2m-send")]
    pub block: super::block::Block1Tx,
}

#[cfg(any(feature = "observe", feature = "lwm2m-send"))]
/// Settings of the server account that shape notifications and Send, read from the
/// Server object at registration and whenever /1 changes.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ServerDefaults {
    /// Default Minimum Period (/1/x/2), seconds.
    pub pmin: u32,
    /// Default Maximum Period (/1/x/3), seconds; 0: none.
    pub pmax: u32,
    /// Notification Storing When Disabled or Offline (/1/x/6).
    pub storing: bool,
    /// Mute Send (/1/x/23).
    pub mute_send: bool,
    /// Default Notification Mode (/1/x/26, LwM2M 1.2): notifications are confirmable
    /// unless the `con` attribute says otherwise.
    pub con: bool,
}

impl Engine {
    /// Send (LwM2M 1.1 TS Core §6.4.4): the next queued request goes out as a CON POST /dp
    /// once nothing else of ours is outstanding.
    #[cfg(feature = "lwm2m-send")]
    fn send_step(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        let Some((q, src)) = env.send() else {
            return;
        };
        if self.defaults.mute_send {
            if !q.is_empty() {
                crate::log_info!("Mute Send is on: queued Send requests aborted");
                q.finish_all(src, SendResult::Abort);
            }
            return;
        }
        if self.out.is_some() || self.state != State::Registered {
            return;
        }
        let Some(id) = q.next_queued() else { return };
        let mid = self.next_message_id();
        let mut token = [0u8; 8];
        if !link.random(&mut token) {
            return;
        }
        if !self.start_out(now, link, OutKind::Send(id), mid, &token) {
            return;
        }
        q.set_in_flight(id, true);
        let Some(out) = self.out else { return };
        self.transmit_out(now, link, out, env);
    }

    /// Builds the Send request `id` into `out_buf`: POST /dp with the records, whole or
    /// the block `block` is at when they do not fit one message (RFC 7959 Block1).
    #[cfg(feature = "lwm2m-send")]
    fn build_send(
        &mut self,
        id: u16,
        pending: &Pending,
        block: &mut super::block::Block1Tx,
        env: &mut dyn Host,
    ) -> DmResult<usize> {
        let (q, src) = env.send().ok_or(DmError::INTERNAL)?;
        let e = |_| DmError::INTERNAL;
        let mut w = MessageWriter::new(
            &mut self.out_buf,
            MsgType::Con,
            Code::POST,
            pending.message_id,
            pending.token(),
        )
        .map_err(e)?;
        w.option(opt::URI_PATH, b"dp").map_err(e)?;
        let cf = q.content_format(id).map_err(|_| DmError::INTERNAL)?;
        w.uint_option(opt::CONTENT_FORMAT, cf.into()).map_err(e)?;
        block
            .write(&mut w, &mut |out, skip| {
                q.encode_block(src, id, skip, out)
                    .map(|(_, _, total)| total)
            })
            .map_err(|_| DmError::TOO_LARGE)?
            .map_err(|_| DmError::INTERNAL)?;
        Ok(w.finish())
    }

    /// The server answered Send request `id`.
    #[cfg(feature = "lwm2m-send")]
    fn send_finished(&mut self, id: u16, code: Code, env: &mut dyn Host) {
        let result = if code.class() == 2 {
            SendResult::Success
        } else {
            crate::log_warning!("Send rejected ({}.{:02})", code.class(), code.detail());
            SendResult::Rejected
        };
        if let Some((q, src)) = env.send() {
            q.finish(src, id, result);
        }
    }

    /// `anj_send_new_request` is accepted only while registered and not muted (as in
    /// Anjay Lite: ANJ_SEND_ERR_NOT_ALLOWED otherwise).
    pub(super) fn update_send_gate(&mut self, env: &mut dyn Host) {
        #[cfg(feature = "lwm2m-send")]
        if let Some((q, _)) = env.send() {
            let registered = matches!(
                self.state,
                State::Registered
                    | State::Queue
                    | State::Exchange(super::Request::Update { .. }, _)
            );
            q.set_accepting(registered && !self.defaults.mute_send);
            // An aborted in-flight request is simply forgotten.
            if let Some(Out {
                kind: OutKind::Send(id),
                ..
            }) = self.out
            {
                if !q.contains(id) {
                    self.out = None;
                }
            }
        }
        let _ = env;
    }

    /// Aborts every queued Send request.
    pub(super) fn abort_sends(&mut self, env: &mut dyn Host) {
        #[cfg(feature = "lwm2m-send")]
        if let Some((q, src)) = env.send() {
            if matches!(
                self.out,
                Some(Out {
                    kind: OutKind::Send(_),
                    ..
                })
            ) {
                self.out = None;
            }
            q.finish_all(src, SendResult::Abort);
        }
        let _ = env;
    }

    /// No message of ours is outstanding.
    pub(super) fn out_idle(&self) -> bool {
        #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
        return self.out.is_none();
        #[cfg(not(any(feature = "observe", feature = "lwm2m-send")))]
        true
    }

    /// Nothing to retransmit without notifications or Send.
    #[cfg(not(any(feature = "observe", feature = "lwm2m-send")))]
    pub(super) fn poll_out(&mut self, _now: Instant, _link: &mut dyn Link, _env: &mut dyn Host) {}

    /// Re-reads the Server object resources that shape notifications.
    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    pub(super) fn refresh_server_defaults(&mut self, env: &mut dyn Host) {
        let Some(iid) = self.account.as_ref().map(|a| a.server_iid) else {
            return;
        };
        let objs = env.objects();
        let uint = |objs: &mut dyn Objects, rid| {
            dm::read_resource_with(objs, &Path::new(&[1, iid, rid]), |v| match v {
                crate::io::value::Value::Int(i) => u32::try_from(i).unwrap_or(0),
                crate::io::value::Value::Uint(u) => u32::try_from(u).unwrap_or(u32::MAX),
                _ => 0,
            })
            .unwrap_or(0)
        };
        let flag = |objs: &mut dyn Objects, rid| dm::read_bool(objs, &[1, iid, rid]) == Some(true);
        self.defaults = ServerDefaults {
            pmin: uint(objs, 2),
            pmax: uint(objs, 3),
            storing: flag(objs, 6),
            mute_send: flag(objs, 23),
            // 0 = Non-Confirmable, 1 = Confirmable; read with LwM2M 1.2 only (as in
            // Anjay Lite: the resource is a 1.2 one).
            con: cfg!(feature = "lwm2m12") && dm::read_int(objs, &[1, iid, 26]) == Some(1),
        };
        self.defaults_stale = false;
    }

    /// A change in the data model (by the application or the server).
    pub fn on_data_changed(&mut self, path: &Path, deleted: bool) {
        #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
        if path.oid().map_or(true, |o| o == 1) {
            self.defaults_stale = true;
        }
        #[cfg(feature = "observe")]
        self.observe.mark_changed(path, deleted);
        let _ = (path, deleted);
    }

    /// `anj_dm_remove_obj`: observations of the object end (silently) and its attributes
    /// go.
    pub fn on_object_removed(&mut self, oid: u16) {
        let path = Path::new(&[oid]);
        self.on_data_changed(&path, true);
        #[cfg(feature = "observe")]
        self.attributes.remove_under(&path);
    }

    /// Too many changes to tell apart: everything may have changed.
    pub fn on_everything_changed(&mut self) {
        #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
        {
            self.defaults_stale = true;
        }
        #[cfg(feature = "observe")]
        self.observe.mark_all_changed();
    }

    /// While offline: when the next notification is due for the store ([`NEVER`] when
    /// nothing is stored, or nothing is due).
    pub(super) fn offline_due_at(&self) -> Instant {
        #[cfg(feature = "observe")]
        if self.storing() {
            return self
                .observe
                .heads()
                .filter(|&h| self.observe.get(h).is_some_and(|o| !o.gone))
                .map(|h| self.group_due_at(h))
                .min()
                .unwrap_or(NEVER);
        }
        NEVER
    }

    /// Back from an outage: every observation reports its current value (after what was
    /// stored), so nothing that changed meanwhile is missed.
    pub(super) fn back_online(&mut self) {
        #[cfg(feature = "observe")]
        self.observe.mark_all_changed();
    }

    /// Whether a message of ours is waiting to go out (wakes the client from queue mode).
    pub(super) fn outgoing_due(&self, now: Instant, env: &mut dyn Host) -> bool {
        self.outgoing_due_at(env) <= now
    }

    /// When the next notification or Send is due ([`NEVER`]: nothing scheduled).
    pub(super) fn outgoing_due_at(&self, env: &mut dyn Host) -> Instant {
        #[allow(unused_mut)]
        let mut due = NEVER;
        #[cfg(feature = "observe")]
        for head in self.observe.heads() {
            due = due.min(self.group_due_at(head));
        }
        #[cfg(feature = "lwm2m-send")]
        if env.send().is_some_and(|(q, _)| q.next_queued().is_some()) {
            due = i64::MIN;
        }
        let _ = env;
        due
    }

    /// Sends what is due: one confirmable message at a time, any number of NON ones.
    pub(super) fn outgoing_step(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
        if self.defaults_stale {
            self.refresh_server_defaults(env);
        }
        #[cfg(feature = "lwm2m-send")]
        self.send_step(now, link, env);
        #[cfg(feature = "observe")]
        self.notify_step(now, link, env);
        let _ = (now, link, env);
    }

    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    /// Retransmits or times out the outstanding message.
    pub(super) fn poll_out(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        let Some(mut out) = self.out else { return };
        match out.pending.poll(now, &self.settings.tx) {
            Outcome::Pending => self.out = Some(out),
            Outcome::Retransmit => {
                self.out = Some(out);
                self.transmit_out(now, link, out, env);
            }
            Outcome::TimedOut => {
                self.out = None;
                self.out_failed(out.kind, env, true);
            }
        }
    }

    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    fn transmit_out(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        mut out: Out,
        env: &mut dyn Host,
    ) {
        let built = match out.kind {
            #[cfg(feature = "observe")]
            OutKind::Notify(head) => {
                self.build_notification(usize::from(head), out.pending.message_id, true, env)
            }
            #[cfg(feature = "observe")]
            OutKind::Stored(_) => self.build_stored(out.pending.message_id),
            #[cfg(feature = "lwm2m-send")]
            OutKind::Send(id) => {
                let r = self.build_send(id, &out.pending, &mut out.block, env);
                // The block written is remembered for the server's 2.31.
                if let Some(o) = self.out.as_mut().filter(|o| o.kind == out.kind) {
                    o.block = out.block;
                }
                r
            }
        };
        match built {
            Ok(n) => {
                if let super::NetStatus::Failed(code) = link.send(&self.out_buf[..n]) {
                    crate::log_warning!("send failed ({})", code);
                }
                self.last_activity = now;
            }
            Err(_) => {
                self.out = None;
                self.out_failed(out.kind, env, false);
            }
        }
    }

    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    /// `out` was answered (acknowledged, reset, or responded to).
    pub(super) fn out_matched(
        &mut self,
        mut out: Out,
        m: Match,
        seen: Seen,
        link: &mut dyn Link,
        env: &mut dyn Host,
    ) {
        self.out = None;
        match (out.kind, m) {
            (_, Match::None) => self.out = Some(out),
            // A notification is acknowledged by an Empty ACK (RFC 7641 §4.5).
            #[cfg(feature = "observe")]
            (OutKind::Notify(_), Match::EmptyAck | Match::Response) => {}
            #[cfg(feature = "observe")]
            (OutKind::Stored(_), Match::EmptyAck | Match::Response) => {
                self.observe.store.pop_front()
            }
            (kind, Match::Reset) => match kind {
                // RST to a notification cancels the observation (RFC 7641 §3.6).
                #[cfg(feature = "observe")]
                OutKind::Notify(head) => self.observe.cancel_group(usize::from(head)),
                // The server forgot that observation: its stored notifications go too.
                #[cfg(feature = "observe")]
                OutKind::Stored(slot) => self.observe.cancel_group(usize::from(slot)),
                #[cfg(feature = "lwm2m-send")]
                OutKind::Send(_) => self.out_failed(kind, env, false),
            },
            // The separate response comes later (the deadline is in `out.pending`).
            #[cfg(feature = "lwm2m-send")]
            (OutKind::Send(_), Match::EmptyAck) => self.out = Some(out),
            #[cfg(feature = "lwm2m-send")]
            (OutKind::Send(id), Match::Response) => {
                if seen.ty == MsgType::Con {
                    let n = crate::coap::empty_ack(&mut self.out_buf, seen.message_id);
                    let _ = link.send(&self.out_buf[..n]);
                }
                // 2.31 Continue: the next block, as a new message with the same token.
                if seen.code == Code::CONTINUE && out.block.advance(seen.block1) {
                    let mid = self.next_message_id();
                    let token = out.pending;
                    if self.start_out(seen.now, link, out.kind, mid, token.token()) {
                        if let Some(o) = self.out.as_mut() {
                            o.block = out.block;
                        }
                        if let Some(o) = self.out {
                            self.transmit_out(seen.now, link, o, env);
                        }
                        return;
                    }
                    self.out_failed(out.kind, env, false);
                    return;
                }
                self.send_finished(id, seen.code, env);
            }
        }
        let _ = (&mut out, seen, link, env);
    }

    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    /// Our message could not be delivered (`timeout`) or built.
    fn out_failed(&mut self, kind: OutKind, env: &mut dyn Host, timeout: bool) {
        match kind {
            // Kept for the next attempt, once the registration is confirmed.
            #[cfg(feature = "observe")]
            OutKind::Stored(_) if timeout => self.flags.update = true,
            #[cfg(feature = "observe")]
            OutKind::Stored(_) => self.observe.store.pop_front(),
            #[cfg(feature = "observe")]
            OutKind::Notify(head) => {
                let head = usize::from(head);
                if !timeout {
                    self.observe.cancel_group(head);
                } else if cfg!(feature = "observation-cancel-on-timeout") {
                    crate::log_warning!("notification not acknowledged: observation cancelled");
                    self.observe.cancel_group(head);
                } else if self.storing() {
                    // env-rs extension: with a notification store, find out at once
                    // whether the server is gone (an Update), so that what follows is
                    // stored; the value is notified again once the link works.
                    crate::log_warning!("notification not acknowledged: checking the registration");
                    for i in self.observe.group_ids(head).into_iter().flatten() {
                        if let Some(o) = self.observe.get_mut(i) {
                            o.state.changed = true;
                        }
                    }
                    self.flags.update = true;
                } else {
                    // As in Anjay Lite: the notification counts as sent and the
                    // observation stays; the next change is notified as usual.
                    crate::log_warning!("notification not acknowledged: observation kept");
                }
            }
            #[cfg(feature = "lwm2m-send")]
            OutKind::Send(id) => {
                let result = if timeout {
                    SendResult::Timeout
                } else {
                    SendResult::Rejected
                };
                if let Some((q, src)) = env.send() {
                    q.finish(src, id, result);
                }
            }
        }
        let _ = env;
    }

    #[cfg(any(feature = "observe", feature = "lwm2m-send"))]
    /// Starts a confirmable message of ours.
    fn start_out(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        kind: OutKind,
        mid: u16,
        token: &[u8],
    ) -> bool {
        let mut rnd = [0u8; 2];
        if !link.random(&mut rnd) {
            return false;
        }
        let pending = Pending::new(now, mid, token, &self.settings.tx, u16::from_le_bytes(rnd));
        self.out = Some(Out {
            kind,
            pending,
            #[cfg(feature = "lwm2m-send")]
            block: super::block::Block1Tx::START,
        });
        true
    }

    /* --------------------------------- notifications --------------------------------- */

    /// The attributes in force for slot `i`: the server's defaults, then Write-Attributes
    /// from the Object down to the observed level, then those of the Observe request.
    #[cfg(feature = "observe")]
    fn attrs_of(&self, i: usize) -> crate::dm::attributes::Attrs {
        let mut a = crate::dm::attributes::Attrs {
            pmin: Some(self.defaults.pmin),
            pmax: (self.defaults.pmax > 0).then_some(self.defaults.pmax),
            ..Default::default()
        };
        if let Some(o) = self.observe.get(i) {
            let ssid = self.account.as_ref().map_or(1, |a| a.ssid);
            if let Some(w) = self.attributes.effective(ssid, &o.path) {
                a.overlay(&w);
            }
            #[cfg(feature = "lwm2m12")]
            a.overlay(&o.req_attrs.attrs());
        }
        a
    }

    #[cfg(feature = "observe")]
    fn group_due_at(&self, head: usize) -> Instant {
        let mut due = NEVER;
        for i in self.observe.group(head) {
            if let Some(o) = self.observe.get(i) {
                if o.gone {
                    return i64::MIN;
                }
                due = due.min(crate::observe::due_at(&self.attrs_of(i), &o.state));
            }
        }
        due
    }

    #[cfg(feature = "observe")]
    fn notify_step(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) {
        use crate::config::OBSERVE_MAX_OBSERVATIONS_NUMBER as N;
        use crate::observe::{confirmable, decide, sample, Sample};
        let offline = matches!(self.state, State::Offline(_));
        if offline && !self.storing() {
            // Nothing is stored: the changes are notified once the server is back.
            return;
        }
        if !offline && self.flush_stored(now, link, env) {
            return;
        }
        if self.observe.is_empty() {
            return;
        }
        for head in self.observe.head_ids().into_iter().flatten() {
            if !offline && (self.out.is_some() || !matches!(self.state, State::Registered)) {
                return;
            }
            // The final 4.04 of a vanished path waits for the server to be back.
            if offline && self.observe.get(head).is_some_and(|o| o.gone) {
                continue;
            }
            if self.group_due_at(head) > now {
                continue;
            }
            let group = self.observe.group_ids(head);
            let mut samples = [Sample::Other; N];
            let mut notify = false;
            let mut gone = false;
            for (k, i) in group.into_iter().enumerate() {
                let Some(i) = i else { break };
                let Some(o) = self.observe.get(i).copied() else {
                    continue;
                };
                gone |= o.gone;
                let a = self.attrs_of(i);
                if crate::observe::due_at(&a, &o.state) > now {
                    continue;
                }
                samples[k] = sample(env.objects(), &o.path);
                if decide(&a, &o.state, now, samples[k]) {
                    notify = true;
                } else if let Some(o) = self.observe.get_mut(i) {
                    o.state.quiet(now);
                }
            }
            if !(notify || gone) {
                continue;
            }
            // The `con` attribute of the observed paths (any 1 wins in a composite one),
            // else the server's Default Notification Mode.
            let mut con_attr = None;
            for i in group.into_iter().flatten() {
                if let Some(c) = self.attrs_of(i).con {
                    con_attr = Some(con_attr.unwrap_or(false) || c == 1);
                }
            }
            let con = confirmable(
                con_attr.unwrap_or(self.defaults.con),
                self.observe.get(head).map_or(0, |o| o.last_con),
                now,
            );
            let mid = self.next_message_id();
            let built = match self.build_notification(head, mid, con, env) {
                Err(e) if e == DmError::NOT_FOUND => {
                    // The observed path disappeared: the final notification is a 4.04.
                    if let Some(o) = self.observe.get_mut(head) {
                        o.gone = true;
                    }
                    self.build_notification(head, mid, con, env)
                }
                r => r,
            };
            let n = match built {
                Ok(n) => n,
                Err(e) => {
                    crate::log_warning!(
                        "notification failed ({}.{:02}): observation cancelled",
                        e.0.class(),
                        e.0.detail()
                    );
                    self.observe.cancel_group(head);
                    continue;
                }
            };
            let token = self
                .observe
                .get(head)
                .map(|o| o.token_bytes())
                .unwrap_or_default();
            let final_one = self.observe.get(head).is_some_and(|o| o.gone);
            if offline {
                let hqmax = self.attrs_of(head).hqmax;
                let dropped = self
                    .observe
                    .store
                    .push(head as u8, &self.out_buf[..n], hqmax);
                if dropped.older > 0 {
                    crate::log_warning!(
                        "notification store full or hqmax reached: {} oldest dropped",
                        dropped.older
                    );
                }
                if dropped.this_one {
                    // Larger than the store: the server gets the value of the moment it
                    // is back (every observation reports again then).
                    crate::log_warning!("notification too large to store");
                }
            } else if let super::NetStatus::Failed(code) = link.send(&self.out_buf[..n]) {
                crate::log_warning!("notification not sent ({})", code);
            }
            if !offline {
                self.last_activity = now;
            }
            if con && !final_one && !offline {
                let (t, len) = token;
                self.start_out(now, link, OutKind::Notify(head as u8), mid, &t[..len]);
            }
            for (k, i) in group.into_iter().enumerate() {
                let Some(i) = i else { break };
                if let Some(o) = self.observe.get_mut(i) {
                    o.state.notified(now, samples[k]);
                    o.last_mid = mid;
                    if con {
                        o.last_con = now;
                    }
                }
            }
            self.observe.seq = self.observe.seq.wrapping_add(1);
            if final_one {
                self.observe.cancel_group(head);
            }
        }
    }

    /// Notification Storing When Disabled or Offline (/1/x/6), when this build has room.
    #[cfg(feature = "observe")]
    fn storing(&self) -> bool {
        self.defaults.storing && crate::observe::Store::capacity() > 0
    }

    /// Sends the oldest stored notification, if any, as a CON (stored ones are delivered
    /// reliably, in order, before anything new). True while the store is not empty.
    #[cfg(feature = "observe")]
    fn flush_stored(&mut self, now: Instant, link: &mut dyn Link, env: &mut dyn Host) -> bool {
        let Some((slot, msg)) = self.observe.store.front() else {
            return false;
        };
        if self.out.is_some() {
            return true;
        }
        let tkl = usize::from(msg.first().map_or(0, |b| b & 0x0f)).min(8);
        let mut token = [0u8; 8];
        if let Some(t) = msg.get(4..4 + tkl) {
            token[..tkl].copy_from_slice(t);
        }
        let mid = self.next_message_id();
        if self.start_out(now, link, OutKind::Stored(slot), mid, &token[..tkl]) {
            if let Some(out) = self.out {
                self.transmit_out(now, link, out, env);
            }
        }
        true
    }

    /// The oldest stored notification in `out_buf`, as a CON with message ID `mid`.
    #[cfg(feature = "observe")]
    fn build_stored(&mut self, mid: u16) -> DmResult<usize> {
        let (_, msg) = self.observe.store.front().ok_or(DmError::INTERNAL)?;
        let n = msg.len();
        let out = self.out_buf.get_mut(..n).ok_or(DmError::INTERNAL)?;
        out.copy_from_slice(msg);
        if n < 4 {
            return Err(DmError::INTERNAL);
        }
        // RFC 7252 §3: version and type in byte 0, message ID in bytes 2-3.
        out[0] = (out[0] & 0xcf) | ((MsgType::Con as u8) << 4);
        out[2..4].copy_from_slice(&mid.to_be_bytes());
        Ok(n)
    }

    /// Builds the notification of the observation whose head is `head` into `out_buf`:
    /// 2.05 with Observe, Content-Format and the current value (its first block when it
    /// does not fit, RFC 7959 §2.6), or the final 4.04 once the path is gone.
    #[cfg(feature = "observe")]
    fn build_notification(
        &mut self,
        head: usize,
        mid: u16,
        con: bool,
        env: &mut dyn Host,
    ) -> DmResult<usize> {
        let o = *self.observe.get(head).ok_or(DmError::INTERNAL)?;
        let ty = if con { MsgType::Con } else { MsgType::Non };
        let code = if o.gone {
            Code::NOT_FOUND
        } else {
            Code::CONTENT
        };
        let mut w = MessageWriter::new(&mut self.out_buf, ty, code, mid, o.token())
            .map_err(|_| DmError::INTERNAL)?;
        if o.gone {
            return Ok(w.finish());
        }
        let e = |_| DmError::INTERNAL;
        w.uint_option(opt::OBSERVE, self.observe.seq & crate::observe::SEQ_MASK)
            .map_err(e)?;
        w.uint_option(opt::CONTENT_FORMAT, o.format.into())
            .map_err(e)?;
        let fmt = Format::from_content_format(o.format).ok_or(DmError::INTERNAL)?;
        let group = self.observe.group_ids(head);
        let (objs, observe) = (env.objects(), &self.observe);
        let base = if o.composite { Path::ROOT } else { o.path };
        let paths = || {
            group
                .into_iter()
                .flatten()
                .filter_map(|i| observe.get(i).map(|s| &s.path))
        };
        super::requests::payload_blockwise(None, false, &mut w, &mut |out, skip| {
            let count = super::requests::count_paths(fmt, objs, paths(), o.composite)?;
            let mut enc = fmt.counted_encoder(base, out, skip, count);
            for i in group.into_iter().flatten() {
                let Some(p) = observe.get(i).map(|s| s.path) else {
                    continue;
                };
                // A composite notification leaves out what no longer exists.
                super::requests::read_path(objs, &p, &mut enc, o.composite)?;
            }
            enc.finish().map_err(dm::io_error)
        })?;
        Ok(w.finish())
    }

    /// A Reset to one of our NON notifications cancels its observation (RFC 7641 §3.6,
    /// `ANJ_WITH_RST_AS_CANCEL_OBSERVE`).
    pub(super) fn on_reset(&mut self, mid: u16) {
        #[cfg(all(feature = "observe", feature = "rst-as-cancel-observe"))]
        if let Some(head) = self.observe.by_message_id(mid) {
            crate::log_info!("observation cancelled by Reset");
            self.observe.cancel_group(head);
        }
        let _ = mid;
    }

    /// Observations end with the registration (a new Register, De-register, restart).
    pub(super) fn end_observations(&mut self) {
        #[cfg(feature = "observe")]
        self.observe.clear();
        #[cfg(feature = "observe")]
        if matches!(
            self.out,
            Some(Out {
                kind: OutKind::Notify(_),
                ..
            })
        ) {
            self.out = None;
        }
    }
}
