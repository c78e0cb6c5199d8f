//! What the core needs from the outside world, as a trait: the datagram link to a peer
//! and a source of random numbers. The C face implements it over the `anj_net_*` and
//! `anj_rng_generate` hooks; tests implement it with a scripted peer in simulated time.

/// Result of a link operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetStatus {
    Done,
    /// Not finished: call the same operation again with the same arguments
    /// (`ANJ_NET_EINPROGRESS`).
    InProgress,
    /// Failed with the hook's code.
    Failed(i32),
}

/// Result of a receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recv {
    /// A datagram of this length is in the buffer.
    Datagram(usize),
    /// Nothing to read now (`ANJ_NET_EAGAIN`).
    Nothing,
    InProgress,
    /// The datagram did not fit and was dropped (`ANJ_NET_EMSGSIZE`).
    TooBig,
    Failed(i32),
}

/// Pre-shared key credentials (RFC 4279) from the Security object.
#[derive(Clone, Copy, Debug)]
pub struct Psk<'a> {
    pub identity: &'a [u8],
    pub key: &'a [u8],
}

pub trait Link {
    /// Creates the connection context if needed, and connects to `host`:`port` over the
    /// binding of `scheme` ("coap" or "coaps").
    fn connect(&mut self, scheme: &str, host: &str, port: &str) -> NetStatus;
    /// As [`Link::connect`], with the credentials of a secure ("coaps") connection:
    /// the PSK identity and key, or `None` when the Security instance has none (then a
    /// secure connection must fail, never fall back to plaintext). The bytes are only
    /// borrowed: a backend copies what it keeps. Credentials are taken when the context
    /// is created: an existing context keeps those it was made with, so the client
    /// releases it ([`Link::cleanup`]) before connecting for another server account.
    fn connect_with_psk(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        _psk: Option<Psk<'_>>,
    ) -> NetStatus {
        self.connect(scheme, host, port)
    }
    fn send(&mut self, datagram: &[u8]) -> NetStatus;
    fn recv(&mut self, buf: &mut [u8]) -> Recv;
    /// Closes the connection, keeping the context for a later connect.
    fn close(&mut self) -> NetStatus;
    /// Closes and releases everything (over DTLS: ends the session with close_notify
    /// and forgets it).
    fn cleanup(&mut self) -> NetStatus;
    /// Power hint on entering queue mode.
    fn rx_off(&mut self);
    fn is_connected(&self) -> bool;
    /// Fills `buf` with random bytes; false when the generator failed.
    fn random(&mut self, buf: &mut [u8]) -> bool;
}
