//! The client (`anj_core::client`, re-exported under the path the C face has always used):
//! the state machine lives in the core; the C face hands it its [`Host`] (the registered C
//! objects, the endpoint name, the Send queue: `crate::ffi::host`) and its link at each
//! call. The tests of this module drive it through the C API's objects and handlers.

/// cbindgen:ignore
pub mod link;

pub use anj_core::client::*;

// The tests compare statuses with the C face's names.
#[cfg(test)]
use crate::ffi::core::anj_conn_status_t::{self, *};
#[cfg(test)]
use crate::time::{Duration, Instant, SEC};
#[cfg(test)]
#[allow(unused_imports)]
use link::{Link, NetStatus, Recv};

#[cfg(all(
    test,
    feature = "bootstrap",
    feature = "plaintext",
    feature = "tlv",
    feature = "senml-json"
))]
mod bootstrap_tests;
// The data model and block-wise tests speak every format of the default configuration.
#[cfg(all(
    test,
    feature = "plaintext",
    feature = "opaque",
    feature = "tlv",
    feature = "senml-json"
))]
mod block_tests;
#[cfg(all(
    test,
    feature = "plaintext",
    feature = "opaque",
    feature = "tlv",
    feature = "senml-json"
))]
mod dm_tests;
#[cfg(all(
    test,
    feature = "default-fota-obj",
    feature = "fota-push-method",
    feature = "plaintext",
    feature = "opaque"
))]
mod fw_tests;
#[cfg(all(
    test,
    feature = "observe",
    feature = "plaintext",
    feature = "opaque",
    feature = "tlv",
    feature = "senml-json"
))]
mod notify_block_tests;
#[cfg(all(
    test,
    feature = "observe",
    feature = "plaintext",
    feature = "opaque",
    feature = "tlv",
    feature = "senml-json"
))]
mod observe_tests;
#[cfg(test)]
mod out_block_tests;
#[cfg(test)]
mod tests;
