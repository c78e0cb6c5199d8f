//! Observations (RFC 7641; LwM2M 1.1 TS Core §6.4.1-§6.4.3, §5.1.2): the table of what
//! the server observes, and the notification attribute rules as pure functions of the
//! attributes, the observation's state, the time and the current value.
//!
//! The client (`src/client/notify.rs`) asks [`due_at`] when an observation needs
//! attention, samples the value then, and asks [`decide`] whether a notification goes
//! out. Nothing here reads a clock or the data model, so the rules are tested in
//! simulated time against a table of cases (`tests` below).
//!
//! Rules, per attribute (§5.1.2):
//! - `pmin`: never notify sooner than `pmin` after the previous notification; a change
//!   reported earlier waits until then.
//! - `pmax`: notify at the latest `pmax` after the previous notification, changed or not.
//!   Ignored when 0 or smaller than `pmin`.
//! - `gt` / `lt`: a change notifies only when the value crossed the threshold, in
//!   either direction, since the value last notified: from at or below it to above it,
//!   or from at or above it to below it (equal is on neither side, as in Anjay Lite).
//! - `st`: a change notifies only when the value moved by at least `st` from the value
//!   last notified.
//! - `epmin`: never evaluate (sample) sooner than `epmin` after the previous evaluation.
//! - `epmax`: evaluate at the latest `epmax` after the previous evaluation, even without
//!   a change reported by the application (the value is sampled and compared).
//! - `edge` (1.2, boolean resources): notify on a rising (1) or falling (0) edge only.
//! - `con` (1.2): confirmable (1) or not (0) notifications; without it, the server's
//!   Default Notification Mode (/1/x/26) decides.
//!
//! With several value conditions, any one met is enough. Conditions that do not apply to
//! the value's type (e.g. `gt` on an Object-level observation) are ignored, and then any
//! reported change notifies.

use crate::config::{OBSERVE_MAX_OBSERVATIONS_NUMBER, OBSERVE_NOTIFICATION_STORE_SIZE};
use crate::dm::attributes::Attrs;
use crate::io::value::Path;
use crate::time::{after, Duration, Instant, NEVER, SEC};

/// A value the change conditions can compare.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sample {
    Num(f64),
    Bool(bool),
    /// Not a single numeric or boolean value (an Object, an Instance, a string...).
    Other,
}

/// What an observation remembers between notifications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalState {
    pub last_notify: Instant,
    pub last_eval: Instant,
    /// The value last notified.
    pub last_value: Sample,
    /// The application or the server reported a change not evaluated yet.
    pub changed: bool,
}

impl EvalState {
    /// The state right after the response that started the observation.
    pub fn started(now: Instant, value: Sample) -> EvalState {
        EvalState {
            last_notify: now,
            last_eval: now,
            last_value: value,
            changed: false,
        }
    }

    /// A notification went out at `now` carrying `value`.
    pub fn notified(&mut self, now: Instant, value: Sample) {
        *self = EvalState::started(now, value);
    }

    /// The value was evaluated at `now` and did not warrant a notification.
    pub fn quiet(&mut self, now: Instant) {
        self.last_eval = now;
        self.changed = false;
    }
}

fn secs(s: u32) -> Duration {
    i64::from(s) * SEC
}

struct Periods {
    pmin: Duration,
    pmax: Option<Duration>,
    epmin: Duration,
    epmax: Option<Duration>,
}

fn periods(a: &Attrs) -> Periods {
    let pmin = a.pmin.unwrap_or(0);
    let epmin = a.epmin.unwrap_or(0);
    Periods {
        pmin: secs(pmin),
        // §5.1.2: pmax smaller than pmin is ignored; 0 means "no maximum".
        pmax: a.pmax.filter(|&p| p > 0 && p >= pmin).map(secs),
        epmin: secs(epmin),
        epmax: a.epmax.filter(|&e| e > 0 && e > epmin).map(secs),
    }
}

/// When the observation needs attention next: a `pmax` deadline, a reported change once
/// `pmin` and `epmin` allow, or an `epmax` sampling. [`NEVER`] when nothing is due.
pub fn due_at(a: &Attrs, s: &EvalState) -> Instant {
    let p = periods(a);
    let not_before = after(s.last_notify, p.pmin);
    let mut due = NEVER;
    if let Some(pmax) = p.pmax {
        due = due.min(after(s.last_notify, pmax));
    }
    if s.changed {
        due = due.min(not_before.max(after(s.last_eval, p.epmin)));
    }
    if let Some(epmax) = p.epmax {
        due = due.min(after(s.last_eval, epmax).max(not_before));
    }
    due
}

/// Whether a notification goes out at `now` (at or after [`due_at`]), the current value
/// being `current`.
pub fn decide(a: &Attrs, s: &EvalState, now: Instant, current: Sample) -> bool {
    let p = periods(a);
    if now < after(s.last_notify, p.pmin) {
        return false;
    }
    if p.pmax.is_some_and(|pmax| now >= after(s.last_notify, pmax)) {
        return true;
    }
    conditions_met(a, s.last_value, current, s.changed)
}

/// The value-change conditions, comparing with the value last notified. `reported`: the
/// application or the server said the value changed.
pub fn conditions_met(a: &Attrs, prev: Sample, cur: Sample, reported: bool) -> bool {
    let numeric = a.gt.is_some() || a.lt.is_some() || a.st.is_some();
    match (prev, cur) {
        (Sample::Num(p), Sample::Num(c)) if numeric => {
            // One crossing is a move from at-or-below to above, or from at-or-above to
            // below (§5.1.2): reaching the threshold exactly is not yet a crossing, so a
            // value that stops at it and then goes past it notifies once.
            let crossed = |t: f64| (p <= t && c > t) || (p >= t && c < t);
            a.gt.is_some_and(crossed)
                || a.lt.is_some_and(crossed)
                || a.st.is_some_and(|st| (c - p).abs() >= st)
        }
        (Sample::Bool(p), Sample::Bool(c)) if a.edge.is_some() => match a.edge {
            Some(1) => !p && c,
            _ => p && !c,
        },
        // No condition applies to this value: any change notifies (sampled at epmax,
        // a change is a different value).
        (p, c) => reported || (p != c && c != Sample::Other),
    }
}

/// Whether the notification is confirmable: `con` is what the `con` attribute says, else
/// the server's Default Notification Mode (/1/x/26); in any case at least one CON per 24
/// hours (RFC 7641 §4.5) so that a server that went away is noticed.
pub fn confirmable(con: bool, last_con: Instant, now: Instant) -> bool {
    con || now >= after(last_con, 24 * 3600 * SEC)
}

/// The Observe option values are 24-bit (RFC 7641 §4.4).
pub const SEQ_MASK: u32 = 0x00ff_ffff;

/// One observed path. An Observe-Composite is several slots with the same token, the
/// first of which (in table order) is the group's head.
#[derive(Clone, Copy, Debug)]
pub struct Observation {
    token: [u8; 8],
    token_len: u8,
    pub path: Path,
    pub composite: bool,
    /// Content-Format of the notifications (the one of the first response).
    pub format: u16,
    pub state: EvalState,
    /// Message ID of the last notification, to recognise a Reset to it.
    pub last_mid: u16,
    /// When the last confirmable notification was sent.
    pub last_con: Instant,
    /// The observed path no longer exists: a final 4.04 is due.
    pub gone: bool,
    /// Attributes given in the Observe request itself (LwM2M 1.2 §6.4.1), packed.
    #[cfg(feature = "lwm2m12")]
    pub req_attrs: crate::dm::attributes::Slot,
}

impl Observation {
    pub fn token(&self) -> &[u8] {
        &self.token[..usize::from(self.token_len)]
    }

    /// A copy of the token and its length.
    pub fn token_bytes(&self) -> ([u8; 8], usize) {
        (self.token, usize::from(self.token_len))
    }
}

/// Notifications stored while the server is unreachable (`/1/x/6` Notification Storing
/// When Disabled or Offline), oldest first, in `ANJ_OBSERVE_NOTIFICATION_STORE_SIZE`
/// bytes (an anj-rs option; 0, the default, stores nothing). Each entry is the whole
/// notification message, as it would have been sent then, behind a 3-byte header: the
/// observation's slot and the message length (little-endian).
///
/// When full, the oldest entries make room; with `hqmax` (LwM2M 1.2 Maximum Historical
/// Queue) an observation keeps at most that many entries, its oldest going first.
pub struct Store {
    buf: [u8; OBSERVE_NOTIFICATION_STORE_SIZE],
    len: usize,
}

const ENTRY_HEADER: usize = 3;

/// Why a notification was not stored whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// Older entries removed to make room or to respect `hqmax`.
    pub older: usize,
    /// The new one did not fit even in the empty store.
    pub this_one: bool,
}

impl Store {
    pub const fn capacity() -> usize {
        OBSERVE_NOTIFICATION_STORE_SIZE
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// (start, slot, message length) of each entry, oldest first.
    fn entries(&self) -> impl Iterator<Item = (usize, u8, usize)> + '_ {
        let mut at = 0;
        core::iter::from_fn(move || {
            if at + ENTRY_HEADER > self.len {
                return None;
            }
            let slot = self.buf[at];
            let n = usize::from(u16::from_le_bytes([self.buf[at + 1], self.buf[at + 2]]));
            let start = at;
            at += ENTRY_HEADER + n;
            Some((start, slot, n))
        })
    }

    pub fn len_entries(&self) -> usize {
        self.entries().count()
    }

    /// Where the oldest entry of `slot` starts.
    fn first_of(&self, slot: u8) -> Option<usize> {
        self.entries().find(|e| e.1 == slot).map(|e| e.0)
    }

    fn remove_at(&mut self, start: usize) {
        let n = usize::from(u16::from_le_bytes([
            self.buf[start + 1],
            self.buf[start + 2],
        ]));
        let end = start + ENTRY_HEADER + n;
        self.buf.copy_within(end..self.len, start);
        self.len -= end - start;
    }

    /// Appends the notification `msg` of `slot`.
    pub fn push(&mut self, slot: u8, msg: &[u8], hqmax: Option<u32>) -> Dropped {
        let mut dropped = Dropped {
            older: 0,
            this_one: false,
        };
        let need = ENTRY_HEADER + msg.len();
        if need > self.buf.len() || msg.len() > usize::from(u16::MAX) {
            dropped.this_one = true;
            return dropped;
        }
        if let Some(max) = hqmax {
            while self.entries().filter(|e| e.1 == slot).count() >= max.max(1) as usize {
                let Some(start) = self.first_of(slot) else {
                    break;
                };
                self.remove_at(start);
                dropped.older += 1;
            }
        }
        while self.buf.len() - self.len < need {
            self.remove_at(0);
            dropped.older += 1;
        }
        let at = self.len;
        self.buf[at] = slot;
        self.buf[at + 1..at + 3].copy_from_slice(&(msg.len() as u16).to_le_bytes());
        self.buf[at + 3..at + need].copy_from_slice(msg);
        self.len += need;
        dropped
    }

    /// The oldest entry: its slot and message.
    pub fn front(&self) -> Option<(u8, &[u8])> {
        self.entries().next().map(|(start, slot, n)| {
            (
                slot,
                &self.buf[start + ENTRY_HEADER..start + ENTRY_HEADER + n],
            )
        })
    }

    pub fn pop_front(&mut self) {
        if !self.is_empty() {
            self.remove_at(0);
        }
    }

    /// Forgets the entries of `slot` (its observation ended); returns how many.
    pub fn remove_slot(&mut self, slot: u8) -> usize {
        let mut n = 0;
        while let Some(start) = self.first_of(slot) {
            self.remove_at(start);
            n += 1;
        }
        n
    }
}

/// The observations of the server (`ANJ_OBSERVE_MAX_OBSERVATIONS_NUMBER` paths).
pub struct Observations {
    slots: [Option<Observation>; OBSERVE_MAX_OBSERVATIONS_NUMBER],
    /// Notifications waiting for the server to be reachable again.
    pub store: Store,
    /// The next Observe option value (one sequence for all observations: each one's
    /// values still increase).
    pub seq: u32,
}

impl Default for Observations {
    fn default() -> Self {
        Observations {
            slots: [None; OBSERVE_MAX_OBSERVATIONS_NUMBER],
            store: Store {
                buf: [0; OBSERVE_NOTIFICATION_STORE_SIZE],
                len: 0,
            },
            seq: 0,
        }
    }
}

/// The value at `path` as the change conditions see it: a single numeric or boolean
/// Resource (Instance) is read; anything else is [`Sample::Other`] and is not read.
pub fn sample(objs: &mut dyn crate::dm::Objects, path: &Path) -> Sample {
    use crate::io::value::Value;
    let single = path.len() == 4 || (path.len() == 3 && !crate::dm::is_multiple(objs, path));
    if !single {
        return Sample::Other;
    }
    crate::dm::read_resource_with(objs, path, |v| match v {
        Value::Int(i) => Sample::Num(i as f64),
        Value::Uint(u) => Sample::Num(u as f64),
        Value::Double(d) => Sample::Num(d),
        Value::Bool(b) => Sample::Bool(b),
        _ => Sample::Other,
    })
    .unwrap_or(Sample::Other)
}

/// Two paths overlap when one contains the other.
pub fn overlap(a: &Path, b: &Path) -> bool {
    a.is_prefix_of(b) || b.is_prefix_of(a)
}

impl Observations {
    pub fn clear(&mut self) {
        self.slots = [None; OBSERVE_MAX_OBSERVATIONS_NUMBER];
        if !self.store.is_empty() {
            crate::log_warning!(
                "{} stored notifications dropped: their observations ended",
                self.store.len_entries()
            );
            self.store.clear();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    pub fn get(&self, i: usize) -> Option<&Observation> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Observation> {
        self.slots.get_mut(i).and_then(Option::as_mut)
    }

    /// Indexes of the group heads: every single observation, and the first slot of each
    /// composite one.
    pub fn heads(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.slots.len()).filter(|&i| {
            self.slots[i].as_ref().is_some_and(|o| {
                !o.composite
                    || self.slots[..i]
                        .iter()
                        .flatten()
                        .all(|p| p.token() != o.token())
            })
        })
    }

    /// The slots of the observation whose head is `head` (itself included).
    pub fn group(&self, head: usize) -> impl Iterator<Item = usize> + '_ {
        let h = self.slots.get(head).copied().flatten();
        (head..self.slots.len()).filter(move |&i| match (&h, &self.slots[i]) {
            (Some(h), Some(o)) => {
                i == head || (h.composite && o.composite && o.token() == h.token())
            }
            _ => false,
        })
    }

    /// [`Observations::heads`] as a copy, to iterate while the table changes.
    pub fn head_ids(&self) -> [Option<usize>; OBSERVE_MAX_OBSERVATIONS_NUMBER] {
        let mut it = self.heads();
        core::array::from_fn(|_| it.next())
    }

    /// [`Observations::group`] as a copy, to iterate while the table changes.
    pub fn group_ids(&self, head: usize) -> [Option<usize>; OBSERVE_MAX_OBSERVATIONS_NUMBER] {
        let mut it = self.group(head);
        core::array::from_fn(|_| it.next())
    }

    /// Removes every observation with `token` (RFC 7641 §3.6: a new registration with the
    /// same token replaces the old one; a GET with Observe 1 cancels).
    pub fn cancel_token(&mut self, token: &[u8]) -> bool {
        let mut found = false;
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.as_ref().is_some_and(|o| o.token() == token) {
                *s = None;
                found = true;
                self.store.remove_slot(i as u8);
            }
        }
        found
    }

    /// Removes the observation whose head is `head`.
    pub fn cancel_group(&mut self, head: usize) {
        if let Some(t) = self.slots.get(head).copied().flatten() {
            self.cancel_token(t.token());
        }
    }

    /// Whether `n` more slots are free once the observation with `token` is replaced.
    pub fn room_for(&self, token: &[u8], n: usize) -> bool {
        let free = self
            .slots
            .iter()
            .filter(|s| s.as_ref().map_or(true, |o| o.token() == token))
            .count();
        free >= n
    }

    /// Adds one path of an observation; false when the table is full.
    pub fn add(
        &mut self,
        token: &[u8],
        path: Path,
        composite: bool,
        format: u16,
        state: EvalState,
    ) -> Option<usize> {
        let i = self.slots.iter().position(|s| s.is_none())?;
        let slot = &mut self.slots[i];
        let mut t = [0u8; 8];
        let len = token.len().min(8);
        t[..len].copy_from_slice(&token[..len]);
        *slot = Some(Observation {
            token: t,
            token_len: len as u8,
            path,
            composite,
            format,
            state,
            last_mid: 0,
            last_con: state.last_notify,
            gone: false,
            #[cfg(feature = "lwm2m12")]
            req_attrs: crate::dm::attributes::Slot::pack(&Attrs::default()),
        });
        Some(i)
    }

    /// A change at `path`: observations of anything overlapping it are re-evaluated.
    /// A deletion instead ends, silently, every single (not composite) observation of
    /// `path` or below it, and re-evaluates nothing, as Anjay Lite does: the server that
    /// deleted it needs no 4.04, and a composite observation goes on with the paths that
    /// remain.
    pub fn mark_changed(&mut self, path: &Path, deleted: bool) {
        for i in 0..self.slots.len() {
            let Some(o) = self.slots[i].as_mut() else {
                continue;
            };
            if !deleted {
                if overlap(path, &o.path) {
                    o.state.changed = true;
                }
            } else if !o.composite && path.is_prefix_of(&o.path) {
                crate::log_warning!("observation removed: its path was deleted");
                self.slots[i] = None;
                self.store.remove_slot(i as u8);
            }
        }
    }

    /// Marks every observation changed (too many changes to track one by one).
    pub fn mark_all_changed(&mut self) {
        for o in self.slots.iter_mut().flatten() {
            o.state.changed = true;
        }
    }

    /// The head of the observation whose last notification had message ID `mid`.
    pub fn by_message_id(&self, mid: u16) -> Option<usize> {
        self.heads()
            .find(|&i| self.slots[i].as_ref().is_some_and(|o| o.last_mid == mid))
    }
}

#[cfg(test)]
mod tests;
