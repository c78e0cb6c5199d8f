//! The types the client shares with its owner: the connection status,
//! the kinds of data model change, and [`Requests`], the application's requests that the
//! next step applies.

use core::cell::Cell;

use crate::dm::Objects;
use crate::io::value::Path;
use crate::time::Duration;

/// Where the client stands with its server (the order of Anjay Lite's connection states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnStatus {
    /// Not started yet.
    Initial,
    /// No usable server account (Security and Server objects).
    Invalid,
    /// Registration or bootstrap failed for good.
    Failure,
    /// A Bootstrap-Request was sent; the Bootstrap-Server configures the client.
    Bootstrapping,
    /// Bootstrap finished; registration follows.
    Bootstrapped,
    /// A Register was sent.
    Registering,
    /// Registered with the LwM2M Server.
    Registered,
    /// Disabled (Disable resource, or the application) for a while.
    Suspended,
    /// Queue mode: waiting for the last exchanges before the link goes quiet.
    EnteringQueueMode,
    /// Queue mode: offline until something is to be sent.
    QueueMode,
}

/// What changed in the data model (the three kinds of change Anjay Lite reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A resource (or resource instance) value changed.
    ValueChanged,
    /// An object, instance or resource instance was added.
    Added,
    /// An object, instance or resource instance was deleted.
    Deleted,
}

/// What the client needs from its owner during a step, besides the link: the objects,
/// and the configuration it does not copy.
pub trait Host {
    /// The objects of the data model, for this step.
    fn objects(&mut self) -> &mut dyn Objects;
    /// The Endpoint Client Name (LwM2M 1.1 TS Core §6.2.1).
    fn endpoint_name(&self) -> &[u8];
    /// A Bootstrap-Server ended its session with a successful Bootstrap-Finish; the
    /// client registers with what it wrote next (the C face moves credentials to the
    /// external crypto storage here).
    fn bootstrap_finished(&mut self) {}
    /// Whether the host gives the PSK of Security instance `security_iid` itself (a
    /// credential handler, a key store): the client then connects with
    /// [`crate::link::Credentials::Stored`] instead of the object's bytes.
    fn provides_psk(&mut self, _security_iid: u16) -> bool {
        false
    }
    /// The LwM2M Send queue and the source of its records (`None`: nothing is sent).
    #[cfg(feature = "lwm2m-send")]
    fn send(&self) -> Option<(&crate::send::SendQueue, &dyn crate::send::SendSource)> {
        None
    }
}

/// How many data model changes are remembered between two steps; more are merged into
/// "everything changed" (nothing is lost: observations re-evaluate).
#[cfg(feature = "observe")]
pub const CHANGES: usize = 4;

/// Requests of the application (or of an object's handler) that the next step applies.
///
/// Every field is a `Cell`: the queue is only ever shared, so code that runs inside a step
/// (an object's handler) may add to it without a second mutable borrow of the client.
#[derive(Default)]
pub struct Requests {
    pub(crate) update: Cell<bool>,
    pub(crate) params_changed: Cell<bool>,
    pub(crate) objects_changed: Cell<bool>,
    pub(crate) restart: Cell<bool>,
    /// A bootstrap was asked for (the application, or Bootstrap-Request Trigger /1/x/9).
    #[cfg(feature = "bootstrap")]
    pub(crate) bootstrap: Cell<bool>,
    /// Disable timeout in µs (`Some(i64::MAX)`: indefinitely).
    pub(crate) disable: Cell<Option<Duration>>,
    /// Changes reported by the application, oldest first: (path, deleted).
    #[cfg(feature = "observe")]
    pub(crate) changes: [Cell<Option<(Path, bool)>>; CHANGES],
    /// More changes than `changes` holds were reported: treat everything as changed.
    #[cfg(feature = "observe")]
    pub(crate) changes_overflow: Cell<bool>,
}

impl Requests {
    /// An empty queue.
    pub fn new() -> Requests {
        Requests::default()
    }

    /// The application changed the data model at `path` (a value, or an object, instance
    /// or resource instance added or deleted): observations of it re-evaluate; Lifetime
    /// and Binding changes (/1/x/1, /1/x/7) go to the server with an Update; new or removed
    /// objects and instances change the registered object list.
    pub fn data_model_changed(&self, path: &Path, change: Change) {
        #[cfg(feature = "observe")]
        self.note_change(*path, change == Change::Deleted);
        let ids = path.as_slice();
        match change {
            Change::ValueChanged => {
                if ids.len() >= 3 && ids[0] == 1 && (ids[2] == 1 || ids[2] == 7) {
                    self.params_changed.set(true);
                }
            }
            Change::Added | Change::Deleted => {
                if ids.len() <= 2 {
                    self.objects_changed.set(true);
                }
            }
        }
    }

    #[cfg(feature = "observe")]
    fn note_change(&self, path: Path, deleted: bool) {
        if let Some(slot) = self.changes.iter().find(|c| c.get().is_none()) {
            slot.set(Some((path, deleted)));
        } else if deleted {
            // A deletion must be seen as such (its observations end with a 4.04): give it
            // the newest slot and fold the others into "everything changed".
            self.changes_overflow.set(true);
            self.changes[CHANGES - 1].set(Some((path, deleted)));
        } else {
            self.changes_overflow.set(true);
        }
    }

    /// Sends a Registration Update at the next step (Registration Update Trigger, /1/x/8).
    pub fn request_update(&self) {
        self.update.set(true);
    }

    /// De-registers and registers again from scratch.
    pub fn restart(&self) {
        self.restart.set(true);
    }

    /// De-registers and stays offline for `timeout` (`None`: until [`Requests::restart`]).
    pub fn disable(&self, timeout: Option<Duration>) {
        self.disable.set(Some(timeout.unwrap_or(i64::MAX)));
    }

    /// Bootstraps again (de-registering first) at the next step.
    #[cfg(feature = "bootstrap")]
    pub fn request_bootstrap(&self) {
        self.bootstrap.set(true);
    }

    /// Objects or instances were added or removed: the registered object list changed.
    pub fn objects_changed(&self) {
        self.objects_changed.set(true);
    }

    /// Lifetime or Binding of the Server object changed: an Update carries them.
    pub fn server_params_changed(&self) {
        self.params_changed.set(true);
    }

    /// Whether something waits for the next step.
    pub fn pending(&self) -> bool {
        let any = self.update.get()
            || self.params_changed.get()
            || self.objects_changed.get()
            || self.restart.get()
            || self.disable.get().is_some();
        #[cfg(feature = "bootstrap")]
        let any = any || self.bootstrap.get();
        #[cfg(feature = "observe")]
        let any =
            any || self.changes_overflow.get() || self.changes.iter().any(|c| c.get().is_some());
        any
    }

    /// Hands what was asked for to `engine`, oldest data model change first, and empties
    /// the queue.
    pub fn apply(&self, engine: &mut super::Engine) {
        if self.restart.take() {
            engine.restart();
        }
        #[cfg(feature = "bootstrap")]
        if self.bootstrap.take() {
            engine.request_bootstrap();
        }
        if let Some(t) = self.disable.take() {
            engine.disable((t != i64::MAX).then_some(t));
        }
        if self.update.take() {
            engine.request_update();
        }
        if self.params_changed.take() {
            engine.on_server_params_changed();
        }
        if self.objects_changed.take() {
            engine.on_objects_changed();
        }
        #[cfg(feature = "observe")]
        if self.changes_overflow.take() {
            engine.on_everything_changed();
        }
        #[cfg(feature = "observe")]
        for c in self.changes.iter() {
            if let Some((path, deleted)) = c.take() {
                engine.on_data_changed(&path, deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_and_binding_changes_ask_for_an_update_with_parameters() {
        let r = Requests::new();
        r.data_model_changed(&Path::new(&[1, 0, 2]), Change::ValueChanged);
        assert!(!r.params_changed.get());
        r.data_model_changed(&Path::new(&[1, 0, 1]), Change::ValueChanged);
        assert!(r.params_changed.get());
        assert!(!r.objects_changed.get());
        r.data_model_changed(&Path::new(&[3303, 1]), Change::Added);
        assert!(r.objects_changed.get());
    }

    #[cfg(feature = "observe")]
    #[test]
    fn a_deletion_is_never_folded_away() {
        let r = Requests::new();
        for i in 0..CHANGES as u16 + 2 {
            r.data_model_changed(&Path::new(&[3303, 0, i]), Change::ValueChanged);
        }
        r.data_model_changed(&Path::new(&[3303, 0]), Change::Deleted);
        assert!(r.changes_overflow.get());
        assert_eq!(
            r.changes[CHANGES - 1].get(),
            Some((Path::new(&[3303, 0]), true))
        );
    }
}
