//! The LwM2M client this example drives: `anj_core::client`'s Rust API.

pub use anj_core::client::{Change, Client, Config, ConnStatus, Event};
