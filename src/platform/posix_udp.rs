//! The `anj_udp_*` hooks over non-blocking BSD datagram sockets
//! (Anjay Lite's `ANJ_WITH_SOCKET_POSIX_COMPAT`).
//!
//! No heap: contexts live in a fixed pool of [`ANJ_NET_UDP_MAX_CONTEXTS`] slots. The
//! `anj_net_ctx_t *` handed to C is the address of a slot; every hook first checks that
//! the pointer is one of ours and in use, so a stale or foreign pointer yields an error
//! rather than undefined behaviour. Slot ownership is claimed and released with atomics.
//! One context is meant to be driven by one thread at a time (as the library does).
//!
//! Error codes: `ANJ_NET_OK`, `ANJ_NET_EAGAIN` (recv only), `ANJ_NET_EMSGSIZE`,
//! `ANJ_NET_ENOTSUP`, `ANJ_NET_EINPROGRESS` (send with a full socket buffer), and
//! otherwise `-errno` of the failed system call (or `-EINVAL` for a bad argument).

use core::ffi::{c_char, c_int, c_void};
use core::ptr;
use core::sync::atomic::{AtomicI32, AtomicU8, Ordering};

use crate::ffi::net::{
    anj_net_address_family_setting_t, anj_net_config_t, anj_net_ctx_t, anj_net_socket_state_t,
    read_af_setting, ANJ_NET_EAGAIN, ANJ_NET_EINPROGRESS, ANJ_NET_EMSGSIZE, ANJ_NET_ENOTSUP,
    ANJ_NET_OK,
};

/// How many UDP contexts may exist at once. The client needs one per server connection;
/// the DTLS backend, the CoAP downloader and NTP each take one more while they run.
pub const ANJ_NET_UDP_MAX_CONTEXTS: usize = 4;

/// IPv4 header without options (RFC 791, section 3.1) plus UDP header (RFC 768).
const IPV4_UDP_OVERHEAD: i32 = 20 + 8;
/// IPv6 fixed header (RFC 8200, section 3) plus UDP header.
const IPV6_UDP_OVERHEAD: i32 = 40 + 8;
/// Link MTU assumed when the kernel cannot tell: Ethernet's 1500 bytes.
const DEFAULT_LINK_MTU: i32 = 1500;

const SLOT_FREE: u8 = 0;
const SLOT_CLOSED: u8 = 1;
const SLOT_CONNECTED: u8 = 2;

/// One context. All fields are atomics so the pool can be a plain `static`; only the
/// claim (`state` leaving `SLOT_FREE`) has to be race-free, the rest is owner-only.
struct Slot {
    state: AtomicU8,
    /// `anj_net_address_family_setting_t` as its declaration index.
    af: AtomicU8,
    /// The socket, or -1.
    fd: AtomicI32,
    /// `AF_INET`/`AF_INET6` of the socket, or 0.
    family: AtomicI32,
}

impl Slot {
    const fn new() -> Self {
        Self {
            state: AtomicU8::new(SLOT_FREE),
            af: AtomicU8::new(0),
            fd: AtomicI32::new(-1),
            family: AtomicI32::new(0),
        }
    }

    fn as_ctx(&'static self) -> *mut anj_net_ctx_t {
        // The pointer is only ever compared against the pool again (see `slot_of`),
        // never dereferenced as `anj_net_ctx_t`, so handing out `*mut` is harmless.
        (self as *const Slot).cast_mut().cast()
    }

    /// Closes the socket, if any, and marks the slot closed (but still owned).
    fn close_socket(&self) {
        let fd = self.fd.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            // SAFETY: `fd` was opened by this slot and, having been swapped out, is
            // closed exactly once. A close error leaves nothing to retry on a datagram
            // socket (POSIX close(2): the descriptor is released either way on Linux).
            unsafe {
                libc::close(fd);
            }
        }
        self.family.store(0, Ordering::Relaxed);
        self.state.store(SLOT_CLOSED, Ordering::Release);
    }
}

static POOL: [Slot; ANJ_NET_UDP_MAX_CONTEXTS] = [const { Slot::new() }; ANJ_NET_UDP_MAX_CONTEXTS];

/// The slot `ctx` points at, if it is one of ours and currently owned.
fn slot_of(ctx: *mut anj_net_ctx_t) -> Option<&'static Slot> {
    POOL.iter()
        .find(|s| ptr::eq(s.as_ctx(), ctx))
        .filter(|s| s.state.load(Ordering::Acquire) != SLOT_FREE)
}

fn errno() -> c_int {
    #[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
    use libc::__errno as errno_location;
    #[cfg(any(
        target_os = "linux",
        target_os = "emscripten",
        target_os = "dragonfly",
        target_os = "hurd",
        target_os = "redox",
        target_os = "fuchsia"
    ))]
    use libc::__errno_location as errno_location;
    #[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
    use libc::__error as errno_location;
    // SAFETY: libc's errno accessor returns this thread's errno slot, valid for
    // reading for the thread's whole lifetime.
    unsafe { *errno_location() }
}

/// `-errno`, never 0 or positive (positive codes mean something else in the contract).
fn neg_errno() -> c_int {
    match errno() {
        e if e > 0 => -e,
        _ => -libc::EIO,
    }
}

fn af_index(af: anj_net_address_family_setting_t) -> u8 {
    af as u8
}

fn af_from_index(i: u8) -> anj_net_address_family_setting_t {
    use anj_net_address_family_setting_t::*;
    match i {
        1 => ANJ_NET_AF_SETTING_FORCE_INET4,
        2 => ANJ_NET_AF_SETTING_FORCE_INET6,
        3 => ANJ_NET_AF_SETTING_PREFERRED_INET4,
        4 => ANJ_NET_AF_SETTING_PREFERRED_INET6,
        _ => ANJ_NET_AF_SETTING_UNSPEC,
    }
}

const WITH_V4: bool = cfg!(feature = "net-ipv4");
const WITH_V6: bool = cfg!(feature = "net-ipv6");

/// Address families to try, in order, for a setting and the families built in
/// (`ANJ_NET_WITH_IPV4` / `ANJ_NET_WITH_IPV6`). Empty when they exclude each other.
fn families(af: anj_net_address_family_setting_t) -> ([c_int; 2], usize) {
    use anj_net_address_family_setting_t::*;
    let (v4, v6) = (libc::AF_INET, libc::AF_INET6);
    let order = match af {
        ANJ_NET_AF_SETTING_FORCE_INET4 => [Some(v4), None],
        ANJ_NET_AF_SETTING_FORCE_INET6 => [Some(v6), None],
        ANJ_NET_AF_SETTING_PREFERRED_INET6 => [Some(v6), Some(v4)],
        // For UNSPEC only the membership matters: `anj_udp_connect` keeps the
        // resolver's order then.
        ANJ_NET_AF_SETTING_UNSPEC | ANJ_NET_AF_SETTING_PREFERRED_INET4 => [Some(v4), Some(v6)],
    };
    let mut out = [0; 2];
    let mut n = 0;
    for f in order.into_iter().flatten() {
        let built = (f == v4 && WITH_V4) || (f == v6 && WITH_V6);
        if let Some(dst) = out.get_mut(n).filter(|_| built) {
            *dst = f;
            n += 1;
        }
    }
    (out, n)
}

/// Allocates a context. `config` NULL or all-zero means the default (any IP version
/// built in). A setting that needs a family not built in yields `ANJ_NET_ENOTSUP`;
/// a full pool yields `-ENOMEM`.
///
/// # Safety
/// `ctx` must be writable; `config` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn anj_udp_create_ctx(
    ctx: *mut *mut anj_net_ctx_t,
    config: *const anj_net_config_t,
) -> c_int {
    if ctx.is_null() {
        return -libc::EINVAL;
    }
    let af = if config.is_null() {
        anj_net_address_family_setting_t::ANJ_NET_AF_SETTING_UNSPEC
    } else {
        // SAFETY: `config` is non-NULL and the caller guarantees it is readable;
        // `addr_of!` takes the field address without asserting the enum is valid.
        match unsafe { read_af_setting(ptr::addr_of!((*config).raw_socket_config.af_setting)) } {
            Some(af) => af,
            None => return ANJ_NET_ENOTSUP,
        }
    };
    if families(af).1 == 0 {
        return ANJ_NET_ENOTSUP;
    }
    let Some(slot) = POOL.iter().find(|s| {
        s.state
            .compare_exchange(SLOT_FREE, SLOT_CLOSED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }) else {
        return -libc::ENOMEM;
    };
    slot.af.store(af_index(af), Ordering::Relaxed);
    slot.fd.store(-1, Ordering::Relaxed);
    slot.family.store(0, Ordering::Relaxed);
    // SAFETY: `ctx` is non-NULL and the caller guarantees it is writable.
    unsafe { ctx.write(slot.as_ctx()) };
    ANJ_NET_OK
}

/// Closes the socket, returns the slot to the pool and sets `*ctx` to NULL.
/// `*ctx` already NULL is a no-op (`ANJ_NET_OK`).
///
/// # Safety
/// `ctx` must be readable and writable.
#[no_mangle]
pub unsafe extern "C" fn anj_udp_cleanup_ctx(ctx: *mut *mut anj_net_ctx_t) -> c_int {
    if ctx.is_null() {
        return -libc::EINVAL;
    }
    // SAFETY: non-NULL, and the caller guarantees it is readable.
    let inner = unsafe { ctx.read() };
    if inner.is_null() {
        return ANJ_NET_OK;
    }
    let Some(slot) = slot_of(inner) else {
        return -libc::EBADF;
    };
    slot.close_socket();
    slot.state.store(SLOT_FREE, Ordering::Release);
    // SAFETY: non-NULL, and the caller guarantees it is writable.
    unsafe { ctx.write(ptr::null_mut()) };
    ANJ_NET_OK
}

/// Sets `O_NONBLOCK` and `FD_CLOEXEC` (done with fcntl rather than socket(2) flags,
/// which not every POSIX system has).
fn make_nonblocking(fd: c_int) -> bool {
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        let fd_fl = libc::fcntl(fd, libc::F_GETFD);
        fl >= 0
            && fd_fl >= 0
            && libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) >= 0
            && libc::fcntl(fd, libc::F_SETFD, fd_fl | libc::FD_CLOEXEC) >= 0
    }
}

/// Opens a non-blocking datagram socket for `ai` and connects it; the descriptor on
/// success, `-errno` on failure (nothing left open).
///
/// # Safety
/// `ai` must be an entry of a live getaddrinfo result.
unsafe fn open_connected(ai: &libc::addrinfo) -> Result<c_int, c_int> {
    // SAFETY: plain system call with integer arguments.
    let fd = unsafe { libc::socket(ai.ai_family, ai.ai_socktype, ai.ai_protocol) };
    if fd < 0 {
        return Err(neg_errno());
    }
    if !make_nonblocking(fd) {
        let e = neg_errno();
        // SAFETY: we opened `fd` just above and nobody else has it.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    loop {
        // SAFETY: `ai_addr`/`ai_addrlen` describe a socket address owned by the live
        // getaddrinfo result (caller's guarantee).
        let r = unsafe { libc::connect(fd, ai.ai_addr, ai.ai_addrlen) };
        // Connecting a datagram socket only records the peer (POSIX connect(2)), so it
        // completes at once; EINTR is the only transient failure worth retrying.
        if r == 0 {
            return Ok(fd);
        }
        if errno() != libc::EINTR {
            let e = neg_errno();
            // SAFETY: `fd` is the socket this function opened; nobody else has it.
            unsafe { libc::close(fd) };
            return Err(e);
        }
    }
}

/// Resolves `hostname`/`port` (getaddrinfo; may block on DNS, which the contract
/// allows) and connects a fresh socket to the first usable address, honouring the
/// context's address family setting. Connecting an already connected context fails
/// with `-EISCONN` (close it first).
///
/// # Safety
/// `hostname` and `port` must be NUL-terminated strings (or NULL, which is an error).
#[no_mangle]
pub unsafe extern "C" fn anj_udp_connect(
    ctx: *mut anj_net_ctx_t,
    hostname: *const c_char,
    port: *const c_char,
) -> c_int {
    let Some(slot) = slot_of(ctx) else {
        return -libc::EBADF;
    };
    if hostname.is_null() || port.is_null() {
        return -libc::EINVAL;
    }
    if slot.state.load(Ordering::Acquire) == SLOT_CONNECTED {
        return -libc::EISCONN;
    }
    let af = af_from_index(slot.af.load(Ordering::Relaxed));
    let (fams, nfams) = families(af);
    let fams = fams.get(..nfams).unwrap_or(&[]);
    if fams.is_empty() {
        return ANJ_NET_ENOTSUP;
    }
    // SAFETY: an all-zero addrinfo is the documented way to start the hints
    // (getaddrinfo(3)); every member is an integer or a pointer.
    let mut hints: libc::addrinfo = unsafe { core::mem::zeroed() };
    hints.ai_family = match fams {
        [only] => *only,
        _ => libc::AF_UNSPEC,
    };
    hints.ai_socktype = libc::SOCK_DGRAM;
    hints.ai_protocol = libc::IPPROTO_UDP;
    let mut res: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: both strings are NUL-terminated (caller's guarantee), `hints` is a valid
    // local and `res` a writable local out-pointer.
    let gai = unsafe { libc::getaddrinfo(hostname, port, &hints, &mut res) };
    if gai != 0 || res.is_null() {
        // getaddrinfo reports its own EAI_* codes; they do not map onto errno.
        return -libc::EHOSTUNREACH;
    }
    let mut outcome: Result<(c_int, c_int), c_int> = Err(-libc::EAFNOSUPPORT);
    // With a preference, take every address of the preferred family before any of the
    // other; with UNSPEC, keep the resolver's order (RFC 6724 sorting it applied).
    let passes: &[Option<usize>] = match af {
        anj_net_address_family_setting_t::ANJ_NET_AF_SETTING_UNSPEC => &[None],
        _ => &[Some(0), Some(1)],
    };
    'outer: for pass in passes {
        let mut cur = res;
        while !cur.is_null() {
            // SAFETY: `cur` is the head of, or a `ai_next` link inside, the list
            // getaddrinfo returned; it stays alive until freeaddrinfo below.
            let ai = unsafe { &*cur };
            cur = ai.ai_next;
            let wanted = match pass {
                None => fams.contains(&ai.ai_family),
                Some(i) => fams.get(*i) == Some(&ai.ai_family),
            };
            if !wanted {
                continue;
            }
            // SAFETY: `ai` is an entry of the live result list.
            match unsafe { open_connected(ai) } {
                Ok(fd) => {
                    outcome = Ok((fd, ai.ai_family));
                    break 'outer;
                }
                Err(e) => outcome = Err(e),
            }
        }
    }
    // SAFETY: `res` came from a successful getaddrinfo and is freed exactly once;
    // nothing borrowed from it is used afterwards.
    unsafe { libc::freeaddrinfo(res) };
    match outcome {
        Ok((fd, family)) => {
            slot.fd.store(fd, Ordering::Relaxed);
            slot.family.store(family, Ordering::Relaxed);
            slot.state.store(SLOT_CONNECTED, Ordering::Release);
            ANJ_NET_OK
        }
        Err(e) => e,
    }
}

/// The connected socket of `ctx`, or the error to return.
fn connected_fd(ctx: *mut anj_net_ctx_t) -> Result<c_int, c_int> {
    let slot = slot_of(ctx).ok_or(-libc::EBADF)?;
    if slot.state.load(Ordering::Acquire) != SLOT_CONNECTED {
        return Err(-libc::ENOTCONN);
    }
    Ok(slot.fd.load(Ordering::Relaxed))
}

/// Sends `buf[..length]` as one datagram. A full socket buffer gives
/// `ANJ_NET_EINPROGRESS` (nothing sent; the contract's "call again"); a datagram
/// the kernel sends only partly is an error (`-EMSGSIZE`), never a partial success,
/// because a datagram cannot be continued.
///
/// # Safety
/// `bytes_sent` must be writable; `buf` readable for `length` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_udp_send(
    ctx: *mut anj_net_ctx_t,
    bytes_sent: *mut usize,
    buf: *const u8,
    length: usize,
) -> c_int {
    let fd = match connected_fd(ctx) {
        Ok(fd) => fd,
        Err(e) => return e,
    };
    if bytes_sent.is_null() || (buf.is_null() && length > 0) {
        return -libc::EINVAL;
    }
    // send(2) wants a valid pointer even for an empty datagram.
    let data: *const c_void = if buf.is_null() {
        ptr::NonNull::<u8>::dangling().as_ptr()
    } else {
        buf
    }
    .cast();
    let sent = loop {
        // SAFETY: `fd` is the slot's open socket; `data` is readable for `length`
        // bytes (caller's guarantee, or length 0).
        let r = unsafe { libc::send(fd, data, length, 0) };
        if r >= 0 {
            break r.unsigned_abs();
        }
        match errno() {
            libc::EINTR => continue,
            e if e == libc::EAGAIN || e == libc::EWOULDBLOCK || e == libc::ENOBUFS => {
                // SAFETY: `bytes_sent` is non-NULL and writable (caller's guarantee).
                unsafe { bytes_sent.write(0) };
                return ANJ_NET_EINPROGRESS;
            }
            _ => return neg_errno(),
        }
    };
    // SAFETY: `bytes_sent` is non-NULL and writable (caller's guarantee).
    unsafe { bytes_sent.write(sent) };
    if sent != length {
        return -libc::EMSGSIZE;
    }
    ANJ_NET_OK
}

/// Receives one datagram. `ANJ_NET_EAGAIN` when none is queued; `ANJ_NET_EMSGSIZE`
/// when it was longer than `length` (the datagram is consumed and dropped, as a
/// datagram socket always does with the rest of a truncated message).
///
/// # Safety
/// `bytes_received` must be writable; `buf` writable for `length` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_udp_recv(
    ctx: *mut anj_net_ctx_t,
    bytes_received: *mut usize,
    buf: *mut u8,
    length: usize,
) -> c_int {
    let fd = match connected_fd(ctx) {
        Ok(fd) => fd,
        Err(e) => return e,
    };
    if bytes_received.is_null() || (buf.is_null() && length > 0) {
        return -libc::EINVAL;
    }
    let base: *mut c_void = if buf.is_null() {
        ptr::NonNull::<u8>::dangling().as_ptr()
    } else {
        buf
    }
    .cast();
    let mut iov = libc::iovec {
        iov_base: base,
        iov_len: length,
    };
    loop {
        // SAFETY: an all-zero msghdr is valid (no name, no control data); we then point
        // it at one iovec describing the caller's buffer.
        let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        // recvmsg rather than recv: MSG_TRUNC in `msg_flags` tells truncation apart
        // portably (POSIX recvmsg(2)); the MSG_TRUNC *input* flag is Linux-only.
        // SAFETY: `fd` is the slot's open socket; `msg` points at `iov`, which
        // describes `length` writable bytes (caller's guarantee, or length 0).
        let r = unsafe { libc::recvmsg(fd, &mut msg, 0) };
        if r >= 0 {
            if msg.msg_flags & libc::MSG_TRUNC != 0 {
                // SAFETY: `bytes_received` is non-NULL and writable.
                unsafe { bytes_received.write(0) };
                return ANJ_NET_EMSGSIZE;
            }
            // SAFETY: `bytes_received` is non-NULL and writable (caller's guarantee).
            unsafe { bytes_received.write(r.unsigned_abs()) };
            return ANJ_NET_OK;
        }
        match errno() {
            libc::EINTR => continue,
            e if e == libc::EAGAIN || e == libc::EWOULDBLOCK => return ANJ_NET_EAGAIN,
            _ => return neg_errno(),
        }
    }
}

/// Closes the socket; the context stays allocated for a later connect. Closing a
/// context that is not connected is a no-op.
///
/// # Safety
/// None beyond passing a pointer (foreign pointers are rejected).
#[no_mangle]
pub unsafe extern "C" fn anj_udp_close(ctx: *mut anj_net_ctx_t) -> c_int {
    let Some(slot) = slot_of(ctx) else {
        return -libc::EBADF;
    };
    slot.close_socket();
    ANJ_NET_OK
}

/// Writes `ANJ_NET_SOCKET_STATE_CONNECTED` or `ANJ_NET_SOCKET_STATE_CLOSED`.
///
/// # Safety
/// `out_value` must be writable.
#[no_mangle]
pub unsafe extern "C" fn anj_udp_get_state(
    ctx: *mut anj_net_ctx_t,
    out_value: *mut anj_net_socket_state_t,
) -> c_int {
    let Some(slot) = slot_of(ctx) else {
        return -libc::EBADF;
    };
    if out_value.is_null() {
        return -libc::EINVAL;
    }
    let state = if slot.state.load(Ordering::Acquire) == SLOT_CONNECTED {
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED
    } else {
        anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
    };
    // SAFETY: non-NULL, and the caller guarantees it is writable.
    unsafe { out_value.write(state) };
    ANJ_NET_OK
}

/// The path MTU the kernel knows for the connected peer (Linux `IP_MTU`/`IPV6_MTU`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn kernel_path_mtu(fd: c_int, family: c_int) -> Option<i32> {
    let (level, name) = if family == libc::AF_INET6 {
        (libc::IPPROTO_IPV6, libc::IPV6_MTU)
    } else {
        (libc::IPPROTO_IP, libc::IP_MTU)
    };
    let mut mtu: c_int = 0;
    let mut len = core::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `mtu` and `len` are writable locals and `len` says how big `mtu` is.
    let r = unsafe { libc::getsockopt(fd, level, name, ptr::addr_of_mut!(mtu).cast(), &mut len) };
    (r == 0 && mtu > 0).then_some(mtu)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn kernel_path_mtu(_fd: c_int, _family: c_int) -> Option<i32> {
    None
}

/// Writes the largest UDP payload that fits one IP packet: the kernel's path MTU when
/// connected and known, else 1500 bytes, minus the IP and UDP headers. Before
/// connecting, the smaller (IPv6) figure is given if IPv6 may be used.
///
/// # Safety
/// `out_value` must be writable.
#[no_mangle]
pub unsafe extern "C" fn anj_udp_get_inner_mtu(
    ctx: *mut anj_net_ctx_t,
    out_value: *mut i32,
) -> c_int {
    let Some(slot) = slot_of(ctx) else {
        return -libc::EBADF;
    };
    if out_value.is_null() {
        return -libc::EINVAL;
    }
    let family = slot.family.load(Ordering::Relaxed);
    let connected = slot.state.load(Ordering::Acquire) == SLOT_CONNECTED;
    let overhead = if family == libc::AF_INET || (family == 0 && !WITH_V6) {
        IPV4_UDP_OVERHEAD
    } else {
        IPV6_UDP_OVERHEAD
    };
    let link = if connected {
        kernel_path_mtu(slot.fd.load(Ordering::Relaxed), family).unwrap_or(DEFAULT_LINK_MTU)
    } else {
        DEFAULT_LINK_MTU
    };
    // The loopback device reports a 64 KiB MTU; never promise more than a UDP datagram
    // can carry (RFC 768: 16-bit length including the header).
    let payload = (link - overhead).clamp(1, 65_507);
    // SAFETY: non-NULL, and the caller guarantees it is writable.
    unsafe { out_value.write(payload) };
    ANJ_NET_OK
}

/// Queue Mode hint. A BSD socket has no receive path worth switching off, so this is
/// the contract's no-op: `ANJ_NET_OK`, context untouched.
///
/// # Safety
/// None beyond passing a pointer (foreign pointers are rejected).
#[no_mangle]
pub unsafe extern "C" fn anj_udp_queue_mode_rx_off(ctx: *mut anj_net_ctx_t) -> c_int {
    match slot_of(ctx) {
        Some(_) => ANJ_NET_OK,
        None => -libc::EBADF,
    }
}
