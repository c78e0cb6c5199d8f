//! The LwM2M client this example drives: the `anj_core::client` API of the redesign
//! (notes: /work/notes/s4/plan.md, "The Rust `Client` API").
//!
//! TODO(lead): `anj_core::client` does not exist yet. Until it lands, this module is a
//! stand-in with exactly the planned names and signatures, so that the rest of the
//! example compiles and is tested; its `Client` does nothing (it never registers). To wire
//! the example:
//!   1. replace everything below this comment with
//!      `pub use anj_core::client::{Change, Client, Config, ConnStatus, Event};`
//!      and `pub const WIRED: bool = true;`;
//!   2. if the final `Link` takes credentials (`connect(scheme, host, port, &Credentials)`),
//!      adapt `UdpLink::connect` in udp_link.rs (NoSec only: refuse anything else);
//!   3. drop the `skip` mark of tests/interop/test_rust_client.py.
//!
//! main.rs calls only `Config::new`, `Client::{new, step, poll_at, poll_event, status,
//! data_model_changed, shutdown}` and matches `Event::Status` / `Event::SendFinished`.

pub use stand_in::{Change, Client, Config, ConnStatus, Event};

/// Whether `Client` is the real one (main logs a warning otherwise).
pub const WIRED: bool = false;

// The stand-in keeps the planned fields and methods, used or not.
#[allow(dead_code)]
mod stand_in {
    use anj_core::dm::Object;
    use anj_core::exchange::TxParams;
    use anj_core::io::value::Path;
    use anj_core::link::Link;
    use anj_core::time::{Duration, Instant, NEVER, SEC};

    pub struct Config<'a> {
        pub endpoint_name: &'a str,
        pub queue_mode: bool,
        pub queue_mode_timeout: Option<Duration>,
        pub tx: TxParams,
        pub request_timeout: Duration,
    }

    impl<'a> Config<'a> {
        pub fn new(endpoint_name: &'a str) -> Config<'a> {
            Config {
                endpoint_name,
                queue_mode: false,
                queue_mode_timeout: None,
                tx: TxParams::DEFAULT,
                request_timeout: 50 * SEC,
            }
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ConnStatus {
        Initial,
        Invalid,
        Failure,
        Bootstrapping,
        Bootstrapped,
        Registering,
        Registered,
        Suspended,
        EnteringQueueMode,
        QueueMode,
    }

    #[derive(Clone, Copy, Debug)]
    pub enum Event {
        Status(ConnStatus),
        SendFinished { id: u16 },
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Change {
        ValueChanged,
        Added,
        Deleted,
    }

    pub struct Client<'a> {
        config: Config<'a>,
    }

    impl<'a> Client<'a> {
        pub fn new(config: Config<'a>) -> Client<'a> {
            Client { config }
        }
        pub fn step(
            &mut self,
            _now: Instant,
            _objects: &mut [&mut dyn Object],
            _transport: &mut dyn Link,
        ) {
        }
        pub fn poll_at(&self, _now: Instant) -> Instant {
            NEVER
        }
        pub fn poll_event(&mut self) -> Option<Event> {
            None
        }
        pub fn status(&self) -> ConnStatus {
            ConnStatus::Initial
        }
        pub fn data_model_changed(&mut self, _path: &Path, _change: Change) {}
        pub fn request_update(&mut self) {}
        pub fn request_bootstrap(&mut self) {}
        pub fn restart(&mut self) {}
        pub fn disable(&mut self, _timeout: Option<Duration>) {}
        pub fn shutdown(&mut self, _transport: &mut dyn Link) {}
        pub fn ongoing_operation(&self) -> bool {
            false
        }
    }
}
