//! [`UdpLink`]: the core's [`Link`] over a non-blocking `std::net::UdpSocket`, NoSec only
//! (a `coaps` connect fails: this example has no DTLS).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

use anj_core::link::{Credentials, Link, NetStatus, Recv};

/// The error code of a failure without an OS error number.
const EOTHER: i32 = -1;

/// The largest UDP payload: a datagram is received whole, then copied if it fits.
const MAX_DATAGRAM: usize = 65_536;

/// One UDP "connection" (a socket connected to one peer).
pub struct UdpLink {
    socket: Option<UdpSocket>,
    scratch: Vec<u8>,
    /// The random source: std's per-process random hash keys over a counter.
    rng: RandomState,
    counter: u64,
}

impl Default for UdpLink {
    fn default() -> Self {
        Self::new()
    }
}

fn os_code(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(EOTHER)
}

impl UdpLink {
    pub fn new() -> UdpLink {
        UdpLink {
            socket: None,
            scratch: vec![0; MAX_DATAGRAM],
            rng: RandomState::new(),
            counter: 0,
        }
    }

    /// The local address of the connected socket.
    #[cfg(test)]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.as_ref()?.local_addr().ok()
    }

    fn open(host: &str, port: &str) -> std::io::Result<UdpSocket> {
        // Brackets of an IPv6 literal, as a URI writes it.
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port: u16 = port
            .parse()
            .map_err(|_| std::io::Error::new(ErrorKind::InvalidInput, "bad port"))?;
        let peer = (host, port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no address"))?;
        let local: SocketAddr = if peer.is_ipv4() {
            "0.0.0.0:0".parse().expect("literal")
        } else {
            "[::]:0".parse().expect("literal")
        };
        let s = UdpSocket::bind(local)?;
        s.connect(peer)?;
        s.set_nonblocking(true)?;
        Ok(s)
    }
}

impl Link for UdpLink {
    fn connect(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        _credentials: &Credentials<'_>,
    ) -> NetStatus {
        if !scheme.eq_ignore_ascii_case("coap") {
            eprintln!("udp link: {scheme}:// is not supported (NoSec only)");
            return NetStatus::Failed(EOTHER);
        }
        if self.socket.is_some() {
            return NetStatus::Done;
        }
        match Self::open(host, port) {
            Ok(s) => {
                self.socket = Some(s);
                NetStatus::Done
            }
            Err(e) => {
                eprintln!("udp link: connect to {host}:{port} failed: {e}");
                NetStatus::Failed(os_code(&e))
            }
        }
    }

    fn send(&mut self, datagram: &[u8]) -> NetStatus {
        let Some(s) = self.socket.as_ref() else {
            return NetStatus::Failed(EOTHER);
        };
        match s.send(datagram) {
            Ok(n) if n == datagram.len() => NetStatus::Done,
            Ok(_) => NetStatus::Failed(EOTHER),
            Err(e) if e.kind() == ErrorKind::WouldBlock => NetStatus::InProgress,
            Err(e) => NetStatus::Failed(os_code(&e)),
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        let Some(s) = self.socket.as_ref() else {
            return Recv::Failed(EOTHER);
        };
        match s.recv(&mut self.scratch) {
            Ok(n) if n > buf.len() => Recv::TooBig,
            Ok(n) => {
                buf[..n].copy_from_slice(&self.scratch[..n]);
                Recv::Datagram(n)
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => Recv::Nothing,
            Err(e) => Recv::Failed(os_code(&e)),
        }
    }

    fn close(&mut self) -> NetStatus {
        self.socket = None;
        NetStatus::Done
    }

    fn cleanup(&mut self) -> NetStatus {
        self.close()
    }

    fn rx_off(&mut self) {}

    fn is_connected(&self) -> bool {
        self.socket.is_some()
    }

    fn random(&mut self, buf: &mut [u8]) -> bool {
        for chunk in buf.chunks_mut(8) {
            self.counter = self.counter.wrapping_add(1);
            let mut h = self.rng.build_hasher();
            h.write_u64(self.counter);
            let bytes = h.finish().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn recv_within(link: &mut UdpLink, buf: &mut [u8]) -> Recv {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match link.recv(buf) {
                Recv::Nothing if Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                r => return r,
            }
        }
    }

    #[test]
    fn exchanges_datagrams_with_a_local_peer() {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let port = peer.local_addr().unwrap().port().to_string();
        let mut link = UdpLink::new();
        assert!(!link.is_connected());
        assert_eq!(
            link.connect("coap", "127.0.0.1", &port, &Credentials::NoSec),
            NetStatus::Done
        );
        assert!(link.is_connected());
        let mut buf = [0u8; 16];
        // Nothing yet, without blocking.
        assert_eq!(link.recv(&mut buf), Recv::Nothing);

        assert_eq!(link.send(b"hello"), NetStatus::Done);
        let mut got = [0u8; 64];
        let (n, from) = peer.recv_from(&mut got).unwrap();
        assert_eq!(&got[..n], b"hello");
        assert_eq!(Some(from), link.local_addr());

        peer.send_to(b"answer", from).unwrap();
        assert_eq!(recv_within(&mut link, &mut buf), Recv::Datagram(6));
        assert_eq!(&buf[..6], b"answer");
        // A datagram larger than the buffer is dropped and said so.
        peer.send_to(&[7u8; 17], from).unwrap();
        assert_eq!(recv_within(&mut link, &mut buf), Recv::TooBig);
        // The next one is intact.
        peer.send_to(&[1, 2, 3], from).unwrap();
        assert_eq!(recv_within(&mut link, &mut buf), Recv::Datagram(3));
        assert_eq!(&buf[..3], [1, 2, 3]);

        assert_eq!(link.close(), NetStatus::Done);
        assert!(!link.is_connected());
        assert_eq!(link.send(b"x"), NetStatus::Failed(EOTHER));
        assert!(matches!(link.recv(&mut buf), Recv::Failed(_)));
    }

    #[test]
    fn refuses_coaps_and_bad_addresses() {
        let mut link = UdpLink::new();
        assert_eq!(
            link.connect("coaps", "127.0.0.1", "5684", &Credentials::NoSec),
            NetStatus::Failed(EOTHER)
        );
        assert!(matches!(
            link.connect("coap", "127.0.0.1", "99999", &Credentials::NoSec),
            NetStatus::Failed(_)
        ));
        assert!(!link.is_connected());
        // An IPv6 literal as a URI writes it (loopback may lack IPv6: either outcome,
        // but never a panic, and connected only on success).
        let r = link.connect("coap", "[::1]", "5683", &Credentials::NoSec);
        assert_eq!(r == NetStatus::Done, link.is_connected());
    }

    #[test]
    fn random_bytes_differ_between_calls() {
        let mut link = UdpLink::new();
        let (mut a, mut b) = ([0u8; 13], [0u8; 13]);
        assert!(link.random(&mut a) && link.random(&mut b));
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 13]);
    }
}
