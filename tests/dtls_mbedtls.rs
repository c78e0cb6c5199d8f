//! The MbedTLS DTLS backend (`anj_dtls_*`) over loopback: a PSK handshake and data
//! both ways with OpenSSL's `s_server` as the peer (an independent DTLS 1.2
//! implementation), a wrong key failing cleanly, handshake retransmission on
//! non-blocking sockets, SNI (a host name, never an address), session resumption
//! (openssl), and the Connection ID: a reconnect from a new port with no handshake
//! (against an MbedTLS server that hands out a CID, OpenSSL 3.0 having none).
#![cfg(all(feature = "vendored-mbedtls", feature = "socket-posix-compat"))]

mod common;

use std::ffi::CString;
use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::ptr;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anj::ffi::crypto::anj_crypto_security_tag_t;
use anj::ffi::net::{
    anj_dtls_cleanup_ctx, anj_dtls_close, anj_dtls_connect, anj_dtls_create_ctx,
    anj_dtls_get_inner_mtu, anj_dtls_recv, anj_dtls_send, anj_net_config_t, anj_net_ctx_t,
    anj_net_security_mode_t, anj_net_socket_state_t, anj_udp_cleanup_ctx, anj_udp_connect,
    anj_udp_create_ctx, anj_udp_get_inner_mtu, ANJ_NET_EAGAIN, ANJ_NET_EINPROGRESS,
    ANJ_NET_EMSGSIZE, ANJ_NET_OK,
};
use anj::platform::dtls_mbedtls::{set_connection_id, set_handshake_timeouts, stats};

use common::{buffer, free_udp_port, serial, state};

const IDENTITY: &[u8] = b"anj-rs-test";
const KEY: &[u8] = b"0123456789abcdef";

fn psk_config(key: &'static [u8]) -> anj_net_config_t {
    let mut cfg = anj_net_config_t::default();
    cfg.secure_socket_config.security.mode = anj_net_security_mode_t::ANJ_NET_SECURITY_PSK;
    cfg.secure_socket_config.security.data.psk.key = buffer(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
        key,
    );
    cfg.secure_socket_config.security.data.psk.identity = buffer(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
        IDENTITY,
    );
    cfg
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `openssl s_server` as a DTLS 1.2 PSK peer on 127.0.0.1: what the client sends
/// comes out on its stdout, what is written to its stdin goes to the client. Killed
/// on drop.
struct Server {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(key: &[u8]) -> Server {
        Server::start_for(key, 1)
    }

    /// As [`Server::start`], serving `connections` connections one after the other
    /// (with a session cache: a later one may resume an earlier session).
    fn start_for(key: &[u8], connections: u32) -> Server {
        Server::start_at(key, connections, free_udp_port())
    }

    /// As [`Server::start_for`], on `port`.
    fn start_at(key: &[u8], connections: u32, port: u16) -> Server {
        let mut child = Command::new("openssl")
            .args(["s_server", "-dtls1_2", "-nocert"])
            .args(["-naccept", &connections.to_string()])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .args(["-psk", &hex(key)])
            .args(["-psk_identity", std::str::from_utf8(IDENTITY).unwrap()])
            .args(["-cipher", "PSK-AES128-CCM8:PSK-AES256-CCM8"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (the openssl command-line tool) must be installed");
        // It prints "ACCEPT" once it listens.
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.contains("ACCEPT") => break,
                Some(Ok(_)) => continue,
                _ => panic!("openssl s_server did not start"),
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            port,
            lines: rx,
        }
    }

    /// Waits for a line of its output equal to `want`.
    fn expect_line(&self, want: &str) {
        if !self.saw_line(want, Duration::from_secs(5)) {
            panic!("s_server never printed {want:?}");
        }
    }

    /// Whether it prints a line equal to `want` within `window`.
    fn saw_line(&self, want: &str, window: Duration) -> bool {
        let end = Instant::now() + window;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) if l == want => return true,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        false
    }

    fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create(cfg: &anj_net_config_t) -> *mut anj_net_ctx_t {
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(unsafe { anj_dtls_create_ctx(&mut ctx, cfg) }, ANJ_NET_OK);
    assert!(!ctx.is_null());
    ctx
}

fn cleanup(mut ctx: *mut anj_net_ctx_t) {
    assert_eq!(unsafe { anj_dtls_cleanup_ctx(&mut ctx) }, ANJ_NET_OK);
    assert!(ctx.is_null());
}

/// Calls connect until it stops answering EINPROGRESS (or `limit` passes);
/// returns the result and how many calls it took.
fn connect_until_done(
    ctx: *mut anj_net_ctx_t,
    host: &str,
    port: u16,
    limit: Duration,
) -> (i32, u32) {
    let (h, p) = (
        CString::new(host).unwrap(),
        CString::new(port.to_string()).unwrap(),
    );
    let start = Instant::now();
    let mut calls = 0;
    loop {
        calls += 1;
        let r = unsafe { anj_dtls_connect(ctx, h.as_ptr(), p.as_ptr()) };
        if r != ANJ_NET_EINPROGRESS || start.elapsed() > limit {
            return (r, calls);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn recv_wait(ctx: *mut anj_net_ctx_t, buf: &mut [u8], limit: Duration) -> (i32, usize) {
    let start = Instant::now();
    loop {
        let mut n = 0;
        let r = unsafe { anj_dtls_recv(ctx, &mut n, buf.as_mut_ptr(), buf.len()) };
        if (r != ANJ_NET_EAGAIN && r != ANJ_NET_EINPROGRESS) || start.elapsed() > limit {
            return (r, n);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The inner MTU of a UDP context connected like the DTLS one.
fn udp_mtu_to(port: u16) -> i32 {
    let mut probe: *mut anj_net_ctx_t = ptr::null_mut();
    let cfg = anj_net_config_t::default();
    let (h, p) = (
        CString::new("127.0.0.1").unwrap(),
        CString::new(port.to_string()).unwrap(),
    );
    let mut mtu = 0;
    unsafe {
        assert_eq!(anj_udp_create_ctx(&mut probe, &cfg), ANJ_NET_OK);
        assert_eq!(anj_udp_connect(probe, h.as_ptr(), p.as_ptr()), ANJ_NET_OK);
        assert_eq!(anj_udp_get_inner_mtu(probe, &mut mtu), ANJ_NET_OK);
        assert_eq!(anj_udp_cleanup_ctx(&mut probe), ANJ_NET_OK);
    }
    mtu
}

#[test]
fn psk_handshake_and_data_both_ways_with_openssl() {
    let _g = serial();
    let mut server = Server::start(KEY);
    let ctx = create(&psk_config(KEY));
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );

    let (r, calls) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK, "handshake result");
    assert!(
        calls > 1,
        "a non-blocking handshake takes several connect calls"
    );
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED
    );
    // SAFETY (test): `ctx` is this test's live context.
    let hs = unsafe { stats(ctx) }.unwrap();
    assert_eq!(hs.handshakes, 1);
    eprintln!(
        "PSK handshake: {} connect calls, {} bytes out, {} bytes in",
        calls, hs.bytes_out, hs.bytes_in
    );

    // The inner MTU is the UDP one minus the record expansion of the agreed suite
    // (CCM_8: 13-byte header, 8-byte explicit nonce, 8-byte tag).
    let mut dtls_mtu = 0;
    assert_eq!(
        unsafe { anj_dtls_get_inner_mtu(ctx, &mut dtls_mtu) },
        ANJ_NET_OK
    );
    assert_eq!(dtls_mtu, udp_mtu_to(server.port) - 29);

    let msg = b"hello anj-rs\n";
    let mut sent = 0;
    assert_eq!(
        unsafe { anj_dtls_send(ctx, &mut sent, msg.as_ptr(), msg.len()) },
        ANJ_NET_OK
    );
    assert_eq!(sent, msg.len());
    server.expect_line("hello anj-rs");
    server.say("hello from s_server\n");
    let mut buf = [0u8; 256];
    let (r, n) = recv_wait(ctx, &mut buf, Duration::from_secs(5));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(&buf[..n], b"hello from s_server\n");
    // SAFETY (test): `ctx` is this test's live context.
    let after = unsafe { stats(ctx) }.unwrap();
    assert!(after.bytes_out >= hs.bytes_out + msg.len() as u64 + 29);

    // Nothing more is coming: EAGAIN, not an error.
    let mut n = 0;
    assert_eq!(
        unsafe { anj_dtls_recv(ctx, &mut n, buf.as_mut_ptr(), buf.len()) },
        ANJ_NET_EAGAIN
    );
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );
    cleanup(ctx);
}

#[test]
fn wrong_key_fails_cleanly_and_sends_no_plaintext() {
    let _g = serial();
    let server = Server::start(b"a different key!");
    // A DTLS peer silently drops records it cannot authenticate (RFC 6347, 4.1.2.7),
    // so a wrong key shows as a handshake that never completes: it fails when the
    // retransmission budget runs out (short here; a minute by default).
    assert!(set_handshake_timeouts(100, 800));
    let ctx = create(&psk_config(KEY));
    assert!(set_handshake_timeouts(1000, 60000));
    let start = Instant::now();
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(20));
    assert!(r < 0, "the handshake must fail with an error, got {r}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "within the budget"
    );
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );
    // SAFETY (test): `ctx` is this test's live context.
    assert_eq!(unsafe { stats(ctx) }.unwrap().handshakes, 0);
    // No fallback: sending and receiving are refused.
    let msg = b"secret";
    let mut sent = 0;
    assert!(unsafe { anj_dtls_send(ctx, &mut sent, msg.as_ptr(), msg.len()) } < 0);
    assert_eq!(sent, 0);
    let mut buf = [0u8; 16];
    let mut n = 0;
    assert!(unsafe { anj_dtls_recv(ctx, &mut n, buf.as_mut_ptr(), buf.len()) } < 0);
    cleanup(ctx);
}

/// Reads every datagram that arrives within `window`.
fn collect(sock: &UdpSocket, window: Duration) -> Vec<Vec<u8>> {
    let end = Instant::now() + window;
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    while Instant::now() < end {
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            out.push(buf[..n].to_vec());
        }
    }
    out
}

/// Keeps calling connect against a silent peer for `window`, collecting what it sent.
fn client_hellos_to_silent_peer(host: &str, window: Duration) -> Vec<Vec<u8>> {
    client_hellos_with(&psk_config(KEY), host, window)
}

fn client_hellos_with(cfg: &anj_net_config_t, host: &str, window: Duration) -> Vec<Vec<u8>> {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = peer.local_addr().unwrap().port();
    let ctx = create(cfg);
    let (h, p) = (
        CString::new(host).unwrap(),
        CString::new(port.to_string()).unwrap(),
    );
    let end = Instant::now() + window;
    let mut got = Vec::new();
    while Instant::now() < end {
        let r = unsafe { anj_dtls_connect(ctx, h.as_ptr(), p.as_ptr()) };
        assert_eq!(r, ANJ_NET_EINPROGRESS, "never answered: still in progress");
        got.extend(collect(&peer, Duration::from_millis(50)));
    }
    cleanup(ctx);
    got
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn handshake_flight_is_retransmitted_on_timer() {
    let _g = serial();
    // Initial retransmission timeout 1 s, doubling: within 3.5 s the ClientHello goes
    // out at about 0 s, 1 s and 3 s.
    let hellos = client_hellos_to_silent_peer("127.0.0.1", Duration::from_millis(3500));
    assert_eq!(hellos.len(), 3, "ClientHello and two retransmissions");
    for d in &hellos {
        assert_eq!(d[0], 22, "handshake record");
        assert_eq!(&d[1..3], &[0xfe, 0xfd], "DTLS 1.2");
        assert_eq!(d[13], 1, "ClientHello");
    }
}

#[test]
fn sni_is_a_host_name_never_an_address() {
    let _g = serial();
    let by_name = client_hellos_to_silent_peer("localhost", Duration::from_millis(300));
    assert!(!by_name.is_empty());
    assert!(
        contains(&by_name[0], b"localhost"),
        "SNI carries the host name"
    );
    let by_ip = client_hellos_to_silent_peer("127.0.0.1", Duration::from_millis(300));
    assert!(!by_ip.is_empty());
    assert!(!contains(&by_ip[0], b"127.0.0.1"), "no SNI for an address");
    // An SNI given with the credentials wins over the host connected to.
    let mut cfg = psk_config(KEY);
    cfg.secure_socket_config.security.data.psk.sni = c"lwm2m.example.org".as_ptr();
    let given = client_hellos_with(&cfg, "127.0.0.1", Duration::from_millis(300));
    assert!(!given.is_empty());
    assert!(contains(&given[0], b"lwm2m.example.org"));
}

#[test]
fn oversized_record_is_emsgsize_and_dropped() {
    let _g = serial();
    let mut server = Server::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    let long = format!("{}\n", "x".repeat(100));
    server.say(&long);
    let mut small = [0u8; 16];
    let (r, _) = recv_wait(ctx, &mut small, Duration::from_secs(5));
    assert_eq!(r, ANJ_NET_EMSGSIZE, "a record larger than the buffer");
    // The rest of it is gone: the next record comes whole.
    server.say("ok\n");
    let (r, n) = recv_wait(ctx, &mut small, Duration::from_secs(5));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(&small[..n], b"ok\n");
    cleanup(ctx);
}

#[test]
fn closed_context_connects_again_with_a_new_handshake() {
    let _g = serial();
    let first = Server::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", first.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    drop(first);

    let second = Server::start(KEY);
    let (r, _) = connect_until_done(ctx, "127.0.0.1", second.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK, "the same context, reset, handshakes again");
    // SAFETY (test): `ctx` is this test's live context.
    assert_eq!(unsafe { stats(ctx) }.unwrap().handshakes, 2);
    let msg = b"again\n";
    let mut sent = 0;
    assert_eq!(
        unsafe { anj_dtls_send(ctx, &mut sent, msg.as_ptr(), msg.len()) },
        ANJ_NET_OK
    );
    second.expect_line("again");
    cleanup(ctx);
}

#[test]
fn resumption_refused_by_a_new_server_falls_back_to_a_full_handshake() {
    let _g = serial();
    let first = Server::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", first.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    let port = first.port;
    drop(first);
    // The same server, restarted (it never saw the session): it answers the offered
    // session ID with a new one, and the handshake is a full one. (The abbreviated
    // handshake, where the server still has the session, is checked against Leshan:
    // tests/interop/test_dtls_session.py. s_server serves one connection at a time,
    // and a close sends no close_notify to end it.)
    let second = Server::start_at(KEY, 1, port);
    let (r, _) = connect_until_done(ctx, "127.0.0.1", second.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    // SAFETY (test): `ctx` is this test's live context.
    let s = unsafe { stats(ctx) }.unwrap();
    assert_eq!((s.handshakes, s.resumed), (2, 0));
    cleanup(ctx);
}

#[test]
fn a_failed_handshake_forgets_the_saved_session() {
    let _g = serial();
    assert!(set_handshake_timeouts(100, 400));
    let ctx = create(&psk_config(KEY));
    // A full handshake with a real server, for a session to offer later.
    let server = Server::start(KEY);
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    let port = server.port;
    drop(server);
    // Then a silent peer at the same address (the session is only ever offered to the
    // server that agreed it): the first attempt offers the saved session and fails
    // when the retransmission budget runs out; the next one offers none.
    let peer = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let (r, _) = connect_until_done(ctx, "127.0.0.1", port, Duration::from_secs(10));
    assert!(r < 0, "silence fails the handshake");
    let first = collect(&peer, Duration::from_millis(50));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", port, Duration::from_secs(10));
    assert!(r < 0);
    let second = collect(&peer, Duration::from_millis(50));
    cleanup(ctx);
    let hellos = (first, second);
    assert!(set_handshake_timeouts(1000, 60000));
    let session_id_len = |hello: &Vec<u8>| {
        // record header 13, handshake header 12, client_version 2, random 32
        hello[13 + 12 + 2 + 32]
    };
    assert!(!hellos.0.is_empty() && !hellos.1.is_empty());
    assert_eq!(
        session_id_len(&hellos.0[0]),
        32,
        "the saved session was offered"
    );
    assert_eq!(
        session_id_len(&hellos.1[0]),
        0,
        "and forgotten after the failure"
    );
}

#[test]
fn connection_id_is_asked_for_unless_disabled() {
    let _g = serial();
    // The ClientHello carries the connection_id extension (RFC 9146: type 54) with
    // an empty CID of ours (we need none: our address does not change under us).
    let ext = [0x00, 0x36, 0x00, 0x01, 0x00];
    let hellos = client_hellos_to_silent_peer("127.0.0.1", Duration::from_millis(300));
    assert!(!hellos.is_empty());
    assert!(
        contains(&hellos[0], &ext),
        "CID extension in the ClientHello"
    );
    assert!(set_connection_id(false));
    let hellos = client_hellos_to_silent_peer("127.0.0.1", Duration::from_millis(300));
    assert!(set_connection_id(true));
    assert!(!hellos.is_empty());
    assert!(
        !contains(&hellos[0], &ext),
        "no CID extension when disabled"
    );
}

/// A DTLS 1.2 PSK server on the vendored MbedTLS that hands out a Connection ID and,
/// like a CID-aware server behind which the client's address may change, answers
/// whatever address the last record came from. It echoes application data back
/// prefixed with "echo:", and records every source address it saw. (OpenSSL 3.0 has
/// no DTLS Connection ID, so this peer is MbedTLS itself.)
mod cid_server {
    use super::*;
    use core::ffi::{c_int, c_uchar, c_void};
    use mbedtls_rs_sys as m;
    use std::mem::MaybeUninit;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct Io {
        sock: UdpSocket,
        peer: Option<SocketAddr>,
        seen: Arc<Mutex<Vec<SocketAddr>>>,
        timer: (Instant, u32, u32),
        rng: u64,
    }

    unsafe extern "C" fn send(p: *mut c_void, buf: *const c_uchar, len: usize) -> c_int {
        // SAFETY: `p` is the `Io` given to mbedtls_ssl_set_bio, alive while the server
        // runs; `buf` holds `len` bytes (MbedTLS's contract).
        let (io, data) = unsafe { (&mut *(p as *mut Io), std::slice::from_raw_parts(buf, len)) };
        match io.peer.map(|a| io.sock.send_to(data, a)) {
            Some(Ok(n)) => n as c_int,
            _ => m::MBEDTLS_ERR_SSL_WANT_WRITE,
        }
    }

    unsafe extern "C" fn recv(p: *mut c_void, buf: *mut c_uchar, len: usize) -> c_int {
        // SAFETY: as in `send`; `buf` is writable for `len` bytes.
        let (io, out) = unsafe {
            (
                &mut *(p as *mut Io),
                std::slice::from_raw_parts_mut(buf, len),
            )
        };
        match io.sock.recv_from(out) {
            Ok((n, from)) => {
                io.peer = Some(from);
                let mut seen = io.seen.lock().unwrap();
                if !seen.contains(&from) {
                    seen.push(from);
                }
                n as c_int
            }
            Err(_) => m::MBEDTLS_ERR_SSL_WANT_READ,
        }
    }

    unsafe extern "C" fn set_timer(p: *mut c_void, int_ms: u32, fin_ms: u32) {
        // SAFETY: as in `send`.
        let io = unsafe { &mut *(p as *mut Io) };
        io.timer = (Instant::now(), int_ms, fin_ms);
    }

    unsafe extern "C" fn get_timer(p: *mut c_void) -> c_int {
        // SAFETY: as in `send`.
        let io = unsafe { &*(p as *const Io) };
        let (start, int_ms, fin_ms) = io.timer;
        if fin_ms == 0 {
            return -1;
        }
        let ms = start.elapsed().as_millis() as u64;
        if ms >= u64::from(fin_ms) {
            2
        } else if ms >= u64::from(int_ms) {
            1
        } else {
            0
        }
    }

    /// Test randomness (xorshift): this server protects nothing.
    unsafe extern "C" fn rng(p: *mut c_void, out: *mut c_uchar, len: usize) -> c_int {
        // SAFETY: `p` is the `Io`; `out` is writable for `len` bytes.
        let (io, out) = unsafe {
            (
                &mut *(p as *mut Io),
                std::slice::from_raw_parts_mut(out, len),
            )
        };
        for b in out {
            io.rng ^= io.rng << 13;
            io.rng ^= io.rng >> 7;
            io.rng ^= io.rng << 17;
            *b = io.rng as u8;
        }
        0
    }

    pub struct CidServer {
        pub port: u16,
        pub seen: Arc<Mutex<Vec<SocketAddr>>>,
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl CidServer {
        pub fn start(key: &'static [u8]) -> CidServer {
            let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
            sock.set_nonblocking(true).unwrap();
            let port = sock.local_addr().unwrap().port();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (seen2, stop2) = (seen.clone(), stop.clone());
            let thread = std::thread::spawn(move || serve(sock, key, seen2, stop2));
            CidServer {
                port,
                seen,
                stop,
                thread: Some(thread),
            }
        }
    }

    impl Drop for CidServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn serve(
        sock: UdpSocket,
        key: &[u8],
        seen: Arc<Mutex<Vec<SocketAddr>>>,
        stop: Arc<AtomicBool>,
    ) {
        let mut io = Box::new(Io {
            sock,
            peer: None,
            seen,
            timer: (Instant::now(), 0, 0),
            rng: 0x9e37_79b9_7f4a_7c15,
        });
        let io_ptr = &mut *io as *mut Io as *mut c_void;
        let mut conf: Box<MaybeUninit<m::mbedtls_ssl_config>> = Box::new(MaybeUninit::zeroed());
        let mut ssl: Box<MaybeUninit<m::mbedtls_ssl_context>> = Box::new(MaybeUninit::zeroed());
        let (conf, ssl) = (conf.as_mut_ptr(), ssl.as_mut_ptr());
        let own_cid = [0xc1u8, 0xd0, 0x00, 0x11, 0x22, 0x33];
        // SAFETY: MbedTLS's documented set-up sequence on zeroed, boxed (non-moving)
        // structures; every pointer given stays valid until the frees below.
        unsafe {
            let _ = m::psa_crypto_init();
            m::mbedtls_ssl_config_init(conf);
            m::mbedtls_ssl_init(ssl);
            assert_eq!(
                m::mbedtls_ssl_config_defaults(
                    conf,
                    m::MBEDTLS_SSL_IS_SERVER as c_int,
                    m::MBEDTLS_SSL_TRANSPORT_DATAGRAM as c_int,
                    m::MBEDTLS_SSL_PRESET_DEFAULT as c_int,
                ),
                0
            );
            m::mbedtls_ssl_conf_rng(conf, Some(rng), io_ptr);
            assert_eq!(
                m::mbedtls_ssl_conf_psk(
                    conf,
                    key.as_ptr(),
                    key.len(),
                    IDENTITY.as_ptr(),
                    IDENTITY.len()
                ),
                0
            );
            // No HelloVerifyRequest: this peer serves one client.
            m::mbedtls_ssl_conf_dtls_cookies(conf, None, None, ptr::null_mut());
            assert_eq!(
                m::mbedtls_ssl_conf_cid(
                    conf,
                    own_cid.len(),
                    m::MBEDTLS_SSL_UNEXPECTED_CID_IGNORE as c_int
                ),
                0
            );
            assert_eq!(m::mbedtls_ssl_setup(ssl, conf), 0);
            assert_eq!(
                m::mbedtls_ssl_set_cid(
                    ssl,
                    m::MBEDTLS_SSL_CID_ENABLED as c_int,
                    own_cid.as_ptr(),
                    own_cid.len()
                ),
                0
            );
            m::mbedtls_ssl_set_bio(ssl, io_ptr, Some(send), Some(recv), None);
            m::mbedtls_ssl_set_timer_cb(ssl, io_ptr, Some(set_timer), Some(get_timer));
            let mut handshaken = false;
            let mut buf = [0u8; 512];
            while !stop.load(Ordering::Relaxed) {
                if !handshaken {
                    let r = m::mbedtls_ssl_handshake(ssl);
                    if r == 0 {
                        handshaken = true;
                    } else if r != m::MBEDTLS_ERR_SSL_WANT_READ
                        && r != m::MBEDTLS_ERR_SSL_WANT_WRITE
                    {
                        break;
                    }
                } else {
                    let r = m::mbedtls_ssl_read(ssl, buf.as_mut_ptr(), buf.len());
                    if r > 0 {
                        let mut reply = b"echo:".to_vec();
                        reply.extend_from_slice(&buf[..r as usize]);
                        let _ = m::mbedtls_ssl_write(ssl, reply.as_ptr(), reply.len());
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            m::mbedtls_ssl_free(ssl);
            m::mbedtls_ssl_config_free(conf);
        }
    }
}

fn send_all(ctx: *mut anj_net_ctx_t, msg: &[u8]) {
    let mut sent = 0;
    assert_eq!(
        unsafe { anj_dtls_send(ctx, &mut sent, msg.as_ptr(), msg.len()) },
        ANJ_NET_OK
    );
    assert_eq!(sent, msg.len());
}

#[test]
fn with_a_connection_id_a_reconnect_from_a_new_port_needs_no_handshake() {
    let _g = serial();
    let server = cid_server::CidServer::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    // SAFETY (test): `ctx` is this test's live context.
    let hs = unsafe { stats(ctx) }.unwrap();
    assert!(hs.cid_in_use, "the server agreed to a Connection ID");
    assert_eq!((hs.handshakes, hs.resumed, hs.cid_reconnects), (1, 0, 0));
    send_all(ctx, b"one");
    let mut buf = [0u8; 64];
    let (r, n) = recv_wait(ctx, &mut buf, Duration::from_secs(5));
    assert_eq!((r, &buf[..n]), (ANJ_NET_OK, &b"echo:one"[..]));

    // Close (the UDP socket only) and connect again: a new socket, so a new source
    // port, as after a NAT rebinding; the session goes on at once.
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );
    // A second close (the client may close an already closed link) changes nothing.
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    // SAFETY (test): `ctx` is this test's live context.
    let before = unsafe { stats(ctx) }.unwrap();
    let (r, calls) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(
        (r, calls),
        (ANJ_NET_OK, 1),
        "connected at once, no handshake"
    );
    // SAFETY (test): `ctx` is this test's live context.
    let after_connect = unsafe { stats(ctx) }.unwrap();
    assert_eq!(
        after_connect.bytes_out, before.bytes_out,
        "nothing sent to connect"
    );
    assert_eq!(
        (after_connect.handshakes, after_connect.cid_reconnects),
        (1, 1)
    );
    send_all(ctx, b"two");
    let (r, n) = recv_wait(ctx, &mut buf, Duration::from_secs(5));
    assert_eq!((r, &buf[..n]), (ANJ_NET_OK, &b"echo:two"[..]));
    // SAFETY (test): `ctx` is this test's live context.
    let done = unsafe { stats(ctx) }.unwrap();
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2,
        "the server saw the client at two addresses: {seen:?}"
    );
    eprintln!(
        "CID: full handshake {} B out, {} B in; after the port change: 0 handshake bytes, \
         'two' and its echo {} B out, {} B in",
        hs.bytes_out,
        hs.bytes_in,
        done.bytes_out - before.bytes_out,
        done.bytes_in - before.bytes_in
    );
    cleanup(ctx);
}

#[test]
fn with_a_connection_id_a_close_after_an_unanswered_datagram_handshakes_again() {
    let _g = serial();
    assert!(set_handshake_timeouts(100, 400));
    let server = cid_server::CidServer::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    // SAFETY (test): `ctx` is this test's live context.
    assert!(unsafe { stats(ctx) }.unwrap().cid_in_use);
    let port = server.port;
    drop(server);
    // The server is gone: our datagram stays unanswered, so the session is not
    // trusted to go on: the next connect (to the same address) handshakes.
    send_all(ctx, b"lost");
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    let silent = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let (r, calls) = connect_until_done(ctx, "127.0.0.1", port, Duration::from_secs(10));
    assert!(
        r < 0 && calls > 1,
        "a handshake was attempted, and failed: {r}"
    );
    let hellos = collect(&silent, Duration::from_millis(50));
    assert!(!hellos.is_empty() && hellos[0][0] == 22, "a ClientHello");
    // SAFETY (test): `ctx` is this test's live context.
    assert_eq!(unsafe { stats(ctx) }.unwrap().cid_reconnects, 0);
    assert!(set_handshake_timeouts(1000, 60000));
    cleanup(ctx);
}

// Issue 12, bug 1: a context reconnected toward another server (another port here)
// never offers the session it agreed with the first one.
#[test]
fn a_saved_session_is_never_offered_to_another_server() {
    let _g = serial();
    assert!(set_handshake_timeouts(100, 400));
    let ctx = create(&psk_config(KEY));
    let server = Server::start(KEY);
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    let (r, _) = connect_until_done(ctx, "127.0.0.1", port, Duration::from_secs(10));
    assert!(r < 0, "nobody answers there");
    let hellos = collect(&other, Duration::from_millis(50));
    cleanup(ctx);
    assert!(set_handshake_timeouts(1000, 60000));
    assert!(!hellos.is_empty());
    // record header 13, handshake header 12, client_version 2, random 32
    assert_eq!(hellos[0][13 + 12 + 2 + 32], 0, "no session ID offered");
    drop(server);
}

// Nor does a session kept for its Connection ID go on toward another server: the
// context handshakes with the new one.
#[test]
fn a_connection_id_session_is_never_continued_toward_another_server() {
    let _g = serial();
    let first = cid_server::CidServer::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", first.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    send_all(ctx, b"one");
    let mut buf = [0u8; 64];
    let (r, n) = recv_wait(ctx, &mut buf, Duration::from_secs(5));
    assert_eq!((r, &buf[..n]), (ANJ_NET_OK, &b"echo:one"[..]));
    // SAFETY (test): `ctx` is this test's live context.
    assert!(unsafe { stats(ctx) }.unwrap().cid_in_use);
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    let second = cid_server::CidServer::start(KEY);
    let (r, calls) = connect_until_done(ctx, "127.0.0.1", second.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    assert!(calls > 1, "a handshake, not the first server's session");
    // SAFETY (test): `ctx` is this test's live context.
    let s = unsafe { stats(ctx) }.unwrap();
    assert_eq!((s.handshakes, s.resumed, s.cid_reconnects), (2, 0, 0));
    send_all(ctx, b"two");
    let (r, n) = recv_wait(ctx, &mut buf, Duration::from_secs(5));
    assert_eq!((r, &buf[..n]), (ANJ_NET_OK, &b"echo:two"[..]));
    assert_eq!(second.seen.lock().unwrap().len(), 1);
    cleanup(ctx);
}

// As in Anjay Lite: close ends only the socket (the session stays for the next
// connect), cleanup ends the session with close_notify (s_server prints DONE on it).
#[test]
fn close_sends_no_close_notify_cleanup_does() {
    let _g = serial();
    let server = Server::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_close(ctx) }, ANJ_NET_OK);
    assert!(
        !server.saw_line("DONE", Duration::from_millis(500)),
        "no close_notify on close"
    );
    cleanup(ctx);
    drop(server);

    let server = Server::start(KEY);
    let ctx = create(&psk_config(KEY));
    let (r, _) = connect_until_done(ctx, "127.0.0.1", server.port, Duration::from_secs(10));
    assert_eq!(r, ANJ_NET_OK);
    cleanup(ctx);
    server.expect_line("DONE");
}
