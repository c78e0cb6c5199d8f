//! The client's link: the core's [`anj_core::link::Link`] plus, with security, the
//! connection with credentials in their C form (which stays at the C edge until the
//! credentials become a Rust type of the core).

pub use anj_core::link::{NetStatus, Psk, Recv};

/// A [`anj_core::link::Link`] the client can also connect with C-form credentials.
pub trait Link: anj_core::link::Link {
    /// As `connect_with_psk`, with credentials in their C form: X.509 (what
    /// `anj_security_get_cert_info` gives, trust store included), or PSK kept in the
    /// external crypto storage (references). The pointed-to data is only borrowed: a
    /// backend copies or parses what it keeps. Links without support for them fail.
    #[cfg(feature = "security")]
    fn connect_with_security(
        &mut self,
        _scheme: &str,
        _host: &str,
        _port: &str,
        _security: &crate::ffi::net::anj_net_security_info_t,
    ) -> NetStatus {
        NetStatus::Failed(-1)
    }
}
