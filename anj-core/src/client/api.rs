//! The Rust API of the client: [`Client`], in the style of smoltcp's interfaces. The
//! application owns its objects and its transport and lends them to each
//! [`Client::step`]; the client keeps no reference to them between calls.
//!
//! ```
//! use anj_core::client::{Client, Config, ConnStatus, Event};
//! use anj_core::dm::Object;
//! use anj_core::link::{Credentials, Link, NetStatus, Recv};
//!
//! /// A transport with nobody at the other end.
//! struct Nowhere;
//! impl Link for Nowhere {
//!     fn connect(&mut self, _: &str, _: &str, _: &str, _: &Credentials<'_>) -> NetStatus {
//!         NetStatus::Failed(-1)
//!     }
//!     fn send(&mut self, _: &[u8]) -> NetStatus { NetStatus::Failed(-1) }
//!     fn recv(&mut self, _: &mut [u8]) -> Recv { Recv::Nothing }
//!     fn close(&mut self) -> NetStatus { NetStatus::Done }
//!     fn cleanup(&mut self) -> NetStatus { NetStatus::Done }
//!     fn rx_off(&mut self) {}
//!     fn is_connected(&self) -> bool { false }
//!     fn random(&mut self, buf: &mut [u8]) -> bool { buf.fill(4); true }
//! }
//!
//! let mut client = Client::new(Config::new("urn:dev:example"));
//! let mut objects: [&mut dyn Object; 0] = [];
//! client.step(0, &mut objects, &mut Nowhere);
//! // Without a Security and a Server object there is no server account to register with.
//! assert_eq!(client.poll_event(), Some(Event::Status(ConnStatus::Invalid)));
//! assert_eq!(client.status(), ConnStatus::Invalid);
//! ```

use super::{Change, ConnStatus, Engine, Host, Requests, Settings};
use crate::dm::{Object, Objects};
use crate::exchange::TxParams;
use crate::io::value::Path;
use crate::link::Link;
use crate::time::{Duration, Instant, SEC};

/// The configuration of a [`Client`] (what a C application gives `anj_core_init`).
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    /// The Endpoint Client Name (LwM2M 1.1 TS Core §6.2.1); the client borrows it.
    pub endpoint_name: &'a str,
    /// CoAP transmission parameters (RFC 7252 §4.8).
    pub tx: TxParams,
    /// How long a request waits for a separate response after an empty ACK.
    pub request_timeout: Duration,
    /// Queue mode (the `Q` parameter): the client goes quiet when nothing is to be done.
    pub queue_mode: bool,
    /// How long the client stays reachable after its last exchange in queue mode
    /// (`None`: MAX_TRANSMIT_WAIT of `tx`).
    pub queue_mode_timeout: Option<Duration>,
    /// Bootstrap attempts after the first one fails.
    #[cfg(feature = "bootstrap")]
    pub bootstrap_retry_count: u16,
    /// The delay before the first bootstrap retry, doubled for each next one.
    #[cfg(feature = "bootstrap")]
    pub bootstrap_retry_timeout: Duration,
    /// How long a Bootstrap-Server may take to finish.
    #[cfg(feature = "bootstrap")]
    pub bootstrap_timeout: Duration,
}

impl<'a> Config<'a> {
    /// The defaults of a C client (`anj_core_init` with zeroed fields) for `endpoint_name`.
    pub fn new(endpoint_name: &'a str) -> Config<'a> {
        Config {
            endpoint_name,
            tx: TxParams::DEFAULT,
            request_timeout: 50 * SEC,
            queue_mode: false,
            queue_mode_timeout: None,
            #[cfg(feature = "bootstrap")]
            bootstrap_retry_count: 0,
            #[cfg(feature = "bootstrap")]
            bootstrap_retry_timeout: 0,
            // 247 s: EXCHANGE_LIFETIME of the default CoAP transmission parameters.
            #[cfg(feature = "bootstrap")]
            bootstrap_timeout: 247 * SEC,
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            tx: self.tx,
            request_timeout: self.request_timeout,
            queue_mode: self.queue_mode,
            queue_mode_timeout: self
                .queue_mode_timeout
                .unwrap_or_else(|| self.tx.max_transmit_wait()),
            #[cfg(feature = "bootstrap")]
            bootstrap_retry_count: self.bootstrap_retry_count,
            #[cfg(feature = "bootstrap")]
            bootstrap_retry_timeout: self.bootstrap_retry_timeout,
            #[cfg(feature = "bootstrap")]
            bootstrap_timeout: self.bootstrap_timeout,
        }
    }
}

/// Something that happened during a step (see [`Client::poll_event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The connection status changed.
    Status(ConnStatus),
    /// A request of the Send queue left it with `result` (also told to the record source's
    /// [`crate::send::SendSource::finished`]).
    #[cfg(feature = "lwm2m-send")]
    SendFinished {
        id: u16,
        result: crate::send::SendResult,
    },
}

/// The application's source of Send records, with the requests that finished during a
/// step remembered for [`Event::SendFinished`].
#[cfg(feature = "lwm2m-send")]
struct Recording<'s> {
    inner: &'s dyn crate::send::SendSource,
    done: [core::cell::Cell<Option<(u16, crate::send::SendResult)>>; FINISHED],
}

/// How many finished Send requests one step remembers (a step finishes at most the queue,
/// and what a finished handler queues again).
#[cfg(feature = "lwm2m-send")]
const FINISHED: usize = 2 * crate::config::LWM2M_SEND_QUEUE_SIZE;

#[cfg(feature = "lwm2m-send")]
impl crate::send::SendSource for Recording<'_> {
    fn records(
        &self,
        id: u16,
        f: &mut dyn FnMut(crate::send::Record<'_>) -> Result<(), crate::io::value::IoError>,
    ) -> Result<(), crate::io::value::IoError> {
        self.inner.records(id, f)
    }

    fn finished(&self, id: u16, result: crate::send::SendResult) {
        if let Some(slot) = self.done.iter().find(|d| d.get().is_none()) {
            slot.set(Some((id, result)));
        }
        self.inner.finished(id, result);
    }
}

/// What a step lends the engine: the application's objects, the endpoint name and the
/// source of Send records.
struct StepHost<'h, 'o> {
    objects: &'h mut [&'o mut dyn Object],
    endpoint_name: &'h str,
    #[cfg(feature = "lwm2m-send")]
    send: Option<(&'h crate::send::SendQueue, &'h dyn crate::send::SendSource)>,
}

impl Host for StepHost<'_, '_> {
    fn objects(&mut self) -> &mut dyn Objects {
        // The slice itself is unsized: the `&mut` in front of it is the object set.
        &mut self.objects
    }

    fn endpoint_name(&self) -> &[u8] {
        self.endpoint_name.as_bytes()
    }

    #[cfg(feature = "lwm2m-send")]
    fn send(&self) -> Option<(&crate::send::SendQueue, &dyn crate::send::SendSource)> {
        self.send
    }
}

/// The source of Send records a step is given (nothing without LwM2M Send).
#[cfg(feature = "lwm2m-send")]
type SendRef<'s> = &'s dyn crate::send::SendSource;
#[cfg(not(feature = "lwm2m-send"))]
type SendRef<'s> = core::marker::PhantomData<&'s ()>;

/// How many events wait for [`Client::poll_event`]; older ones are dropped when more come.
const EVENTS: usize = 8;

/// An LwM2M client for Rust applications: registration, bootstrap, the server's requests
/// on the objects lent to [`Client::step`], observations and notifications, queue mode.
pub struct Client<'a> {
    engine: Engine,
    endpoint_name: &'a str,
    requests: Requests,
    #[cfg(feature = "lwm2m-send")]
    send: crate::send::SendQueue,
    events: [Option<Event>; EVENTS],
}

impl<'a> Client<'a> {
    /// A client that registers (or bootstraps) at its first [`Client::step`].
    pub fn new(config: Config<'a>) -> Client<'a> {
        Client {
            engine: Engine::new(config.settings()),
            endpoint_name: config.endpoint_name,
            requests: Requests::new(),
            #[cfg(feature = "lwm2m-send")]
            send: crate::send::SendQueue::new(),
            events: [None; EVENTS],
        }
    }

    /// Does everything due at `now` (µs on the application's monotonic clock): reads what
    /// `transport` received, answers the server's requests on `objects`, sends what is
    /// due. `objects` may come in any order; the client keeps nothing of them.
    pub fn step(
        &mut self,
        now: Instant,
        objects: &mut [&mut dyn Object],
        transport: &mut dyn Link,
    ) {
        self.step_inner(now, objects, transport, None);
    }

    /// [`Client::step`] with the records of the queued LwM2M Send requests given by
    /// `send` ([`Client::send_queue`] holds the requests).
    #[cfg(feature = "lwm2m-send")]
    pub fn step_with_send(
        &mut self,
        now: Instant,
        objects: &mut [&mut dyn Object],
        transport: &mut dyn Link,
        send: &dyn crate::send::SendSource,
    ) {
        self.step_inner(now, objects, transport, Some(send));
    }

    fn step_inner(
        &mut self,
        now: Instant,
        objects: &mut [&mut dyn Object],
        transport: &mut dyn Link,
        _send: Option<SendRef<'_>>,
    ) {
        self.requests.apply(&mut self.engine);
        #[cfg(feature = "lwm2m-send")]
        let recording = _send.map(|inner| Recording {
            inner,
            done: Default::default(),
        });
        let mut host = StepHost {
            objects,
            endpoint_name: self.endpoint_name,
            #[cfg(feature = "lwm2m-send")]
            send: recording
                .as_ref()
                .map(|r| (&self.send, r as &dyn crate::send::SendSource)),
        };
        self.engine.step(now, transport, &mut host);
        self.requests.apply(&mut self.engine);
        while let Some(s) = self.engine.take_status_change() {
            self.push_event(Event::Status(s));
        }
        #[cfg(feature = "lwm2m-send")]
        for (id, result) in recording
            .iter()
            .flat_map(|r| r.done.iter().filter_map(|d| d.get()))
        {
            self.push_event(Event::SendFinished { id, result });
        }
    }

    fn push_event(&mut self, e: Event) {
        if let Some(slot) = self.events.iter_mut().find(|s| s.is_none()) {
            *slot = Some(e);
        } else {
            self.events.rotate_left(1);
            self.events[EVENTS - 1] = Some(e);
        }
    }

    /// The oldest event not taken yet.
    pub fn poll_event(&mut self) -> Option<Event> {
        let first = self.events[0].take();
        self.events.rotate_left(1);
        first
    }

    /// When [`Client::step`] must run next, at the latest (`now` while the transport must
    /// be read); sleep until then or until a datagram arrives.
    pub fn poll_at(&self, now: Instant) -> Instant {
        if self.requests.pending() {
            return now;
        }
        let mut none: [&mut dyn Object; 0] = [];
        let mut host = StepHost {
            objects: &mut none,
            endpoint_name: self.endpoint_name,
            #[cfg(feature = "lwm2m-send")]
            send: None,
        };
        #[cfg(feature = "lwm2m-send")]
        if self.send.next_queued().is_some() {
            return now;
        }
        self.engine.next_step_at(now, &mut host)
    }

    /// Where the client stands with its server.
    pub fn status(&self) -> ConnStatus {
        self.engine.status()
    }

    /// Whether a server request is being processed (false between steps).
    pub fn ongoing_operation(&self) -> bool {
        self.engine.ongoing_operation()
    }

    /// The application changed the data model at `path` ([`Requests::data_model_changed`]).
    pub fn data_model_changed(&mut self, path: &Path, change: Change) {
        self.requests.data_model_changed(path, change);
    }

    /// Sends a Registration Update at the next step.
    pub fn request_update(&mut self) {
        self.requests.request_update();
    }

    /// Bootstraps again at the next step (de-registering first).
    #[cfg(feature = "bootstrap")]
    pub fn request_bootstrap(&mut self) {
        self.requests.request_bootstrap();
    }

    /// De-registers and registers again from scratch.
    pub fn restart(&mut self) {
        self.requests.restart();
    }

    /// De-registers and stays offline for `timeout` (`None`: until [`Client::restart`]).
    pub fn disable(&mut self, timeout: Option<Duration>) {
        self.requests.disable(timeout);
    }

    /// The queue of LwM2M Send requests ([`crate::send::SendQueue::push`] adds one; the
    /// records come from the source given to [`Client::step_with_send`]).
    #[cfg(feature = "lwm2m-send")]
    pub fn send_queue(&self) -> &crate::send::SendQueue {
        &self.send
    }

    /// Stops the client and releases `transport` (without De-register, as the C API's
    /// `anj_core_shutdown`); the client does nothing afterwards.
    pub fn shutdown(&mut self, transport: &mut dyn Link) -> crate::link::NetStatus {
        self.engine.shutdown(transport)
    }

    /// The state machine under this client.
    #[doc(hidden)]
    pub fn engine(&mut self) -> &mut Engine {
        &mut self.engine
    }
}
