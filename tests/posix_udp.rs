//! The POSIX platform layer over loopback: the `anj_udp_*` hooks, the `anj_net_*`
//! dispatchers and `NetConn` on top of them, plus `anj_rng_generate`.
#![cfg(all(
    feature = "socket-posix-compat",
    feature = "net-udp",
    feature = "net-ipv4"
))]

use std::ffi::CString;
use std::net::{SocketAddr, UdpSocket};
use std::ptr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anj::ffi::net::{
    anj_net_address_family_setting_t, anj_net_binding_type_t, anj_net_config_t, anj_net_ctx_t,
    anj_net_is_again, anj_net_is_inprogress, anj_net_is_ok, anj_net_socket_state_t, NetConn,
    ANJ_NET_EAGAIN, ANJ_NET_EINPROGRESS, ANJ_NET_EMSGSIZE, ANJ_NET_ENOTSUP, ANJ_NET_OK,
};
// The hook definitions themselves (not the `extern` declarations `ffi::net` also has).
use anj::platform::posix_udp::{
    anj_udp_cleanup_ctx, anj_udp_close, anj_udp_connect, anj_udp_create_ctx, anj_udp_get_inner_mtu,
    anj_udp_get_state, anj_udp_queue_mode_rx_off, anj_udp_recv, anj_udp_send,
    ANJ_NET_UDP_MAX_CONTEXTS,
};

/// The context pool is process-wide, and one test exhausts it on purpose: run the
/// tests of this file one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn peer() -> (UdpSocket, CString, CString) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let port = sock.local_addr().expect("addr").port();
    (
        sock,
        CString::new("127.0.0.1").unwrap(),
        CString::new(port.to_string()).unwrap(),
    )
}

fn create(config: *const anj_net_config_t) -> *mut anj_net_ctx_t {
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(unsafe { anj_udp_create_ctx(&mut ctx, config) }, ANJ_NET_OK);
    assert!(!ctx.is_null());
    ctx
}

fn cleanup(mut ctx: *mut anj_net_ctx_t) {
    assert_eq!(unsafe { anj_udp_cleanup_ctx(&mut ctx) }, ANJ_NET_OK);
    assert!(ctx.is_null());
}

fn connect(ctx: *mut anj_net_ctx_t, host: &CString, port: &CString) -> i32 {
    unsafe { anj_udp_connect(ctx, host.as_ptr(), port.as_ptr()) }
}

fn send(ctx: *mut anj_net_ctx_t, data: &[u8]) -> (i32, usize) {
    let mut sent = usize::MAX;
    let r = unsafe { anj_udp_send(ctx, &mut sent, data.as_ptr(), data.len()) };
    (r, sent)
}

fn recv(ctx: *mut anj_net_ctx_t, buf: &mut [u8]) -> (i32, usize) {
    let mut got = usize::MAX;
    let r = unsafe { anj_udp_recv(ctx, &mut got, buf.as_mut_ptr(), buf.len()) };
    (r, got)
}

/// Polls until something other than EAGAIN arrives (the socket is non-blocking).
fn recv_wait(ctx: *mut anj_net_ctx_t, buf: &mut [u8]) -> (i32, usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (r, n) = recv(ctx, buf);
        if r != ANJ_NET_EAGAIN || Instant::now() > deadline {
            return (r, n);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn state(ctx: *mut anj_net_ctx_t) -> anj_net_socket_state_t {
    let mut st = anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED;
    assert_eq!(unsafe { anj_udp_get_state(ctx, &mut st) }, ANJ_NET_OK);
    st
}

/// Sends one datagram from the context and returns the address it came from.
fn ping(ctx: *mut anj_net_ctx_t, peer: &UdpSocket, msg: &[u8]) -> SocketAddr {
    assert_eq!(send(ctx, msg), (ANJ_NET_OK, msg.len()));
    let mut buf = [0u8; 256];
    let (n, from) = peer.recv_from(&mut buf).expect("peer recv");
    assert_eq!(&buf[..n], msg);
    from
}

#[test]
fn send_and_recv_both_ways() {
    let _g = serial();
    let (p, host, port) = peer();
    let ctx = create(ptr::null());
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED
    );

    let me = ping(ctx, &p, b"hello server");
    assert!(me.ip().is_loopback());
    p.send_to(b"hello client", me).expect("peer send");
    let mut buf = [0u8; 64];
    let (r, n) = recv_wait(ctx, &mut buf);
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(&buf[..n], b"hello client");

    // An empty datagram is a datagram too.
    p.send_to(b"", me).expect("peer send");
    assert_eq!(recv_wait(ctx, &mut buf), (ANJ_NET_OK, 0));
    cleanup(ctx);
}

#[test]
fn recv_without_data_is_eagain() {
    let _g = serial();
    let (_p, host, port) = peer();
    let ctx = create(ptr::null());
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    let mut buf = [0u8; 16];
    assert_eq!(recv(ctx, &mut buf).0, ANJ_NET_EAGAIN);
    assert_eq!(recv(ctx, &mut buf).0, ANJ_NET_EAGAIN);
    cleanup(ctx);
}

#[test]
fn truncated_datagram_is_emsgsize_and_dropped() {
    let _g = serial();
    let (p, host, port) = peer();
    let ctx = create(ptr::null());
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    let me = ping(ctx, &p, b"x");
    p.send_to(&[7u8; 100], me).expect("peer send");
    p.send_to(b"next", me).expect("peer send");
    let mut small = [0u8; 10];
    assert_eq!(recv_wait(ctx, &mut small).0, ANJ_NET_EMSGSIZE);
    // The oversized datagram is gone; the next one is intact.
    let mut buf = [0u8; 100];
    let (r, n) = recv_wait(ctx, &mut buf);
    assert_eq!(r, ANJ_NET_OK);
    assert_eq!(&buf[..n], b"next");
    // Exactly fitting is not truncation.
    p.send_to(&[1u8; 100], me).expect("peer send");
    assert_eq!(recv_wait(ctx, &mut buf), (ANJ_NET_OK, 100));
    cleanup(ctx);
}

#[test]
fn close_keeps_context_for_reconnect() {
    let _g = serial();
    let (p1, host, port1) = peer();
    let (p2, _, port2) = peer();
    let ctx = create(ptr::null());
    assert_eq!(connect(ctx, &host, &port1), ANJ_NET_OK);
    // A second connect without close is refused rather than leaking the socket.
    assert!(connect(ctx, &host, &port2) < 0);
    ping(ctx, &p1, b"one");

    assert_eq!(unsafe { anj_udp_close(ctx) }, ANJ_NET_OK);
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );
    assert!(send(ctx, b"nope").0 < 0);
    assert!(recv(ctx, &mut [0u8; 8]).0 < 0);
    // Closing twice is harmless.
    assert_eq!(unsafe { anj_udp_close(ctx) }, ANJ_NET_OK);

    assert_eq!(connect(ctx, &host, &port2), ANJ_NET_OK);
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED
    );
    ping(ctx, &p2, b"two");
    cleanup(ctx);
}

#[test]
fn cleanup_nulls_pointer_and_rejects_stale_use() {
    let _g = serial();
    let ctx = create(ptr::null());
    let stale = ctx;
    cleanup(ctx);
    // The slot is back in the pool: a stale pointer is refused, not trusted.
    assert!(unsafe { anj_udp_close(stale) } < 0);
    let mut st = anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED;
    assert!(unsafe { anj_udp_get_state(stale, &mut st) } < 0);
    // Cleaning up an already NULL context is a no-op.
    let mut null: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(unsafe { anj_udp_cleanup_ctx(&mut null) }, ANJ_NET_OK);
    assert!(unsafe { anj_udp_cleanup_ctx(ptr::null_mut()) } < 0);
    // A pointer that never came from the pool is refused too.
    let mut junk = [0u8; 64];
    let foreign = junk.as_mut_ptr().cast::<anj_net_ctx_t>();
    assert!(unsafe { anj_udp_queue_mode_rx_off(foreign) } < 0);
    assert!(unsafe { anj_udp_create_ctx(ptr::null_mut(), ptr::null()) } < 0);
}

#[test]
fn pool_exhaustion_is_an_error_and_recovers() {
    let _g = serial();
    let ctxs: Vec<_> = (0..ANJ_NET_UDP_MAX_CONTEXTS)
        .map(|_| create(ptr::null()))
        .collect();
    let mut extra: *mut anj_net_ctx_t = ptr::null_mut();
    assert!(unsafe { anj_udp_create_ctx(&mut extra, ptr::null()) } < 0);
    assert!(extra.is_null());
    let mut it = ctxs.into_iter();
    cleanup(it.next().unwrap());
    let again = create(ptr::null());
    cleanup(again);
    it.for_each(cleanup);
}

#[test]
fn config_af_settings() {
    let _g = serial();
    let (p, host, port) = peer();
    let mut cfg = anj_net_config_t::default();
    // All-zero is the default.
    let ctx = create(&cfg);
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    ping(ctx, &p, b"zero cfg");
    cleanup(ctx);

    cfg.raw_socket_config.af_setting =
        anj_net_address_family_setting_t::ANJ_NET_AF_SETTING_FORCE_INET4;
    let ctx = create(&cfg);
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    ping(ctx, &p, b"v4");
    cleanup(ctx);

    cfg.raw_socket_config.af_setting =
        anj_net_address_family_setting_t::ANJ_NET_AF_SETTING_PREFERRED_INET6;
    let ctx = create(&cfg);
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    ping(ctx, &p, b"prefer v6, get v4");
    cleanup(ctx);

    cfg.raw_socket_config.af_setting =
        anj_net_address_family_setting_t::ANJ_NET_AF_SETTING_FORCE_INET6;
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    let r = unsafe { anj_udp_create_ctx(&mut ctx, &cfg) };
    if cfg!(feature = "net-ipv6") {
        assert_eq!(r, ANJ_NET_OK);
        // 127.0.0.1 has no IPv6 form: resolution finds nothing usable.
        assert!(connect(ctx, &host, &port) < 0);
        cleanup(ctx);
    } else {
        assert_eq!(r, ANJ_NET_ENOTSUP);
        assert!(ctx.is_null());
    }

    // A value outside the enum, as C could store, is rejected without UB.
    let mut raw = std::mem::MaybeUninit::<anj_net_config_t>::zeroed();
    unsafe { raw.as_mut_ptr().cast::<i32>().write(77) };
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(
        unsafe { anj_udp_create_ctx(&mut ctx, raw.as_ptr()) },
        ANJ_NET_ENOTSUP
    );
    assert!(ctx.is_null());
}

#[test]
fn connect_errors() {
    let _g = serial();
    let ctx = create(ptr::null());
    let host = CString::new("127.0.0.1").unwrap();
    assert!(unsafe { anj_udp_connect(ctx, ptr::null(), host.as_ptr()) } < 0);
    assert!(connect(ctx, &host, &CString::new("no-such-service-name").unwrap()) < 0);
    assert_eq!(
        state(ctx),
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    );

    // Nobody listens on a port we just released: the ICMP port unreachable that the
    // first datagram provokes surfaces as an error on a later call, never as data.
    let (dead, _, dead_port) = peer();
    drop(dead);
    assert_eq!(connect(ctx, &host, &dead_port), ANJ_NET_OK);
    let _ = send(ctx, b"anyone?");
    let (r, _) = recv_wait(ctx, &mut [0u8; 16]);
    assert!(r < 0, "expected an error, got {r}");
    cleanup(ctx);
}

#[test]
fn inner_mtu_and_rx_off() {
    let _g = serial();
    let (p, host, port) = peer();
    let ctx = create(ptr::null());
    let mut mtu = 0i32;
    assert_eq!(unsafe { anj_udp_get_inner_mtu(ctx, &mut mtu) }, ANJ_NET_OK);
    let expect_unconnected = if cfg!(feature = "net-ipv6") {
        1452
    } else {
        1472
    };
    assert_eq!(mtu, expect_unconnected);
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    assert_eq!(unsafe { anj_udp_get_inner_mtu(ctx, &mut mtu) }, ANJ_NET_OK);
    assert!((1..=65_507).contains(&mtu), "mtu {mtu}");
    assert!(unsafe { anj_udp_get_inner_mtu(ctx, ptr::null_mut()) } < 0);

    // The Queue Mode hint is idempotent and leaves the context fully usable.
    assert_eq!(unsafe { anj_udp_queue_mode_rx_off(ctx) }, ANJ_NET_OK);
    assert_eq!(unsafe { anj_udp_queue_mode_rx_off(ctx) }, ANJ_NET_OK);
    let me = ping(ctx, &p, b"after rx off");
    p.send_to(b"reply", me).expect("peer send");
    let mut buf = [0u8; 16];
    assert_eq!(recv_wait(ctx, &mut buf), (ANJ_NET_OK, 5));
    cleanup(ctx);
}

#[test]
fn netconn_over_dispatchers() {
    let _g = serial();
    let (p, host, port) = peer();
    let mut c = NetConn::default();
    assert!(!c.is_created());
    assert_eq!(
        c.state(),
        Ok(anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED)
    );
    assert_eq!(c.connect(&host, &port), NetConn::ERR_NO_CTX);
    assert_eq!(c.send(b"x"), Err(NetConn::ERR_NO_CTX));
    assert_eq!(c.cleanup(), ANJ_NET_OK);

    assert_eq!(
        c.create(anj_net_binding_type_t::ANJ_NET_BINDING_NON_IP, None),
        ANJ_NET_ENOTSUP
    );
    assert!(!c.is_created());
    if !cfg!(feature = "net-dtls") {
        assert_eq!(
            c.create(anj_net_binding_type_t::ANJ_NET_BINDING_DTLS, None),
            ANJ_NET_ENOTSUP
        );
    }

    assert_eq!(
        c.create(anj_net_binding_type_t::ANJ_NET_BINDING_UDP, None),
        ANJ_NET_OK
    );
    assert!(c.is_created());
    assert_eq!(
        c.create(anj_net_binding_type_t::ANJ_NET_BINDING_UDP, None),
        NetConn::ERR_EXISTS
    );
    assert_eq!(c.connect(&host, &port), ANJ_NET_OK);
    assert_eq!(
        c.state(),
        Ok(anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED)
    );
    assert!(c.inner_mtu().is_ok());
    assert_eq!(c.queue_mode_rx_off(), ANJ_NET_OK);

    assert_eq!(c.send(b"via netconn"), Ok(11));
    let mut buf = [0u8; 32];
    let (n, me) = p.recv_from(&mut buf).expect("peer recv");
    assert_eq!(&buf[..n], b"via netconn");
    let mut rbuf = [0u8; 32];
    assert_eq!(c.recv(&mut rbuf), Err(ANJ_NET_EAGAIN));
    p.send_to(b"back", me).expect("peer send");
    let deadline = Instant::now() + Duration::from_secs(5);
    let got = loop {
        match c.recv(&mut rbuf) {
            Err(ANJ_NET_EAGAIN) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2))
            }
            other => break other,
        }
    };
    assert_eq!(got, Ok(4));
    assert_eq!(&rbuf[..4], b"back");

    assert_eq!(c.close(), ANJ_NET_OK);
    assert_eq!(
        c.state(),
        Ok(anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED)
    );
    assert_eq!(c.cleanup(), ANJ_NET_OK);
    assert!(!c.is_created());
}

#[test]
fn result_helpers() {
    assert!(anj_net_is_ok(ANJ_NET_OK) && !anj_net_is_ok(ANJ_NET_EAGAIN));
    assert!(anj_net_is_again(ANJ_NET_EAGAIN) && !anj_net_is_again(-1));
    assert!(anj_net_is_inprogress(ANJ_NET_EINPROGRESS) && !anj_net_is_inprogress(ANJ_NET_OK));
    assert_eq!(
        std::mem::size_of::<anj_net_binding_type_t>(),
        std::mem::size_of::<std::ffi::c_int>()
    );
}

#[cfg(feature = "rng-posix-compat")]
#[test]
fn rng_fills_buffers() {
    use anj::platform::posix_rng::anj_rng_generate;
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    assert_eq!(unsafe { anj_rng_generate(a.as_mut_ptr(), a.len()) }, 0);
    assert_eq!(unsafe { anj_rng_generate(b.as_mut_ptr(), b.len()) }, 0);
    // 2^-512 odds of a false failure.
    assert_ne!(a, b);
    assert!(a.iter().any(|&x| x != 0));
    // Larger than one getrandom/getentropy chunk.
    let mut big = vec![0u8; 4096];
    assert_eq!(unsafe { anj_rng_generate(big.as_mut_ptr(), big.len()) }, 0);
    assert!(big.chunks(256).all(|c| c.iter().any(|&x| x != 0)));
    assert_eq!(unsafe { anj_rng_generate(ptr::null_mut(), 0) }, 0);
    assert_eq!(unsafe { anj_rng_generate(ptr::null_mut(), 8) }, -1);
}

#[cfg(feature = "net-ipv6")]
#[test]
fn ipv6_loopback_when_built_in() {
    let _g = serial();
    // Some sandboxes have no IPv6 at all; there is nothing to test then.
    let Ok(p) = UdpSocket::bind("[::1]:0") else {
        return;
    };
    p.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let host = CString::new("::1").unwrap();
    let port = CString::new(p.local_addr().expect("addr").port().to_string()).unwrap();
    let mut cfg = anj_net_config_t::default();
    cfg.raw_socket_config.af_setting =
        anj_net_address_family_setting_t::ANJ_NET_AF_SETTING_FORCE_INET6;
    let ctx = create(&cfg);
    assert_eq!(connect(ctx, &host, &port), ANJ_NET_OK);
    let me = ping(ctx, &p, b"over v6");
    assert!(me.is_ipv6());
    let mut mtu = 0i32;
    assert_eq!(unsafe { anj_udp_get_inner_mtu(ctx, &mut mtu) }, ANJ_NET_OK);
    assert!((1..=65_507).contains(&mtu));
    cleanup(ctx);
}

#[cfg(feature = "time-posix-compat")]
#[test]
fn clocks() {
    use anj::platform::posix_time::{anj_time_monotonic_now, anj_time_real_now};
    let a = anj_time_monotonic_now().since_monotonic_epoch.us;
    std::thread::sleep(Duration::from_millis(20));
    let b = anj_time_monotonic_now().since_monotonic_epoch.us;
    assert!(a > 0 && b >= a + 19_000, "{a} -> {b}");
    let real = anj_time_real_now().since_real_epoch.us;
    let sys = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as i64;
    assert!((real - sys).abs() < 5_000_000, "{real} vs {sys}");
}
