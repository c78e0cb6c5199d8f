//! The client's link: the core's [`anj_core::link::Link`], with credentials as the
//! core's [`Credentials`].

pub use anj_core::link::{Credentials, Link, NetStatus, Recv, SecurityMode};
