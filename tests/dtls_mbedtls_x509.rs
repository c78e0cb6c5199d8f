//! X.509 in the MbedTLS DTLS backend (`anj_dtls_*`), against OpenSSL's `s_server`
//! over loopback with certificates made at test time by the `openssl` command-line
//! tool: a CA, server certificates it issued, a client certificate, and a second CA
//! that nobody trusts. Each Certificate Usage (/0/x/15, RFC 6698 TLSA usages) is
//! tried with a matching and a non-matching Server Public Key (/0/x/4); host name
//! verification follows the SNI; a client certificate the server does not trust, or
//! a key that does not match the certificate, fails cleanly.
//!
//! (The PSK tests are in `tests/dtls_mbedtls.rs`.)
#![cfg(all(
    feature = "vendored-mbedtls",
    feature = "socket-posix-compat",
    feature = "certificates"
))]

mod common;

use std::ffi::CString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::ptr;
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use anj::ffi::crypto::{anj_crypto_security_info_t, anj_crypto_security_tag_t};
use anj::ffi::net::{
    anj_dtls_cleanup_ctx, anj_dtls_connect, anj_dtls_create_ctx, anj_dtls_recv, anj_dtls_send,
    anj_net_certificate_usage_t, anj_net_config_t, anj_net_ctx_t, anj_net_security_mode_t,
    anj_net_socket_state_t, anj_net_trust_store_t, ANJ_NET_EAGAIN, ANJ_NET_EINPROGRESS, ANJ_NET_OK,
};
use anj::platform::dtls_mbedtls::{set_handshake_timeouts, stats};

use anj_net_certificate_usage_t::*;

use common::{buffer, free_udp_port, openssl, serial, state};

/// An EC P-256 key `name.key` and a certificate `name.pem` (+ `name.der`) for `cn`,
/// issued by `issuer` (`None`: self-signed CA).
fn make_cert(dir: &Path, name: &str, cn: &str, issuer: Option<&str>, ca: bool) {
    let key = format!("{name}.key");
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &key,
        ],
    );
    let ext = format!("{name}.ext");
    let text = if ca {
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n".to_string()
    } else {
        format!("basicConstraints=CA:FALSE\nsubjectAltName=DNS:{cn}\n")
    };
    std::fs::write(dir.join(&ext), &text).unwrap();
    let pem = format!("{name}.pem");
    let subj = format!("/CN={cn}");
    match issuer {
        None => {
            let mut args = vec![
                "req", "-x509", "-new", "-key", &key, "-subj", &subj, "-days", "30", "-out", &pem,
            ];
            for line in text.lines() {
                args.extend(["-addext", line]);
            }
            openssl(dir, &args)
        }
        Some(ca_name) => {
            let csr = format!("{name}.csr");
            openssl(
                dir,
                &["req", "-new", "-key", &key, "-subj", &subj, "-out", &csr],
            );
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &format!("{ca_name}.pem"),
                    "-CAkey",
                    &format!("{ca_name}.key"),
                    "-CAcreateserial",
                    "-days",
                    "30",
                    "-extfile",
                    &ext,
                    "-out",
                    &pem,
                ],
            );
        }
    }
    export_der(dir, name);
}

/// Like [`make_cert`] for an end-entity certificate issued by `issuer`, valid only
/// from `start` to `end` (`YYYYMMDDHHMMSSZ`): `openssl ca`, since `openssl x509`
/// of OpenSSL 3.0 cannot set both dates.
fn make_dated_cert(dir: &Path, name: &str, cn: &str, issuer: &str, start: &str, end: &str) {
    let key = format!("{name}.key");
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &key,
        ],
    );
    let ext = format!("{name}.ext");
    std::fs::write(
        dir.join(&ext),
        format!("basicConstraints=CA:FALSE\nsubjectAltName=DNS:{cn}\n"),
    )
    .unwrap();
    let csr = format!("{name}.csr");
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-subj", &subj, "-out", &csr],
    );
    let cnf = format!("{name}.ca.cnf");
    std::fs::write(
        dir.join(&cnf),
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {name}.index\nnew_certs_dir = .\n\
             serial = {name}.serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n\
             [p]\ncommonName = supplied\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join(format!("{name}.index")), "").unwrap();
    std::fs::write(dir.join(format!("{name}.serial")), "1000\n").unwrap();
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            &cnf,
            "-cert",
            &format!("{issuer}.pem"),
            "-keyfile",
            &format!("{issuer}.key"),
            "-in",
            &csr,
            "-startdate",
            start,
            "-enddate",
            end,
            "-extfile",
            &ext,
            "-out",
            &format!("{name}.pem"),
        ],
    );
    export_der(dir, name);
}

/// `name.der` from `name.pem`, and the key `name.key` as `name.key.der` (PKCS#8).
fn export_der(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-outform",
            "DER",
            "-out",
            &format!("{name}.der"),
        ],
    );
    // The key as DER too (PKCS#8), as a Security object would hold it.
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            &format!("{name}.key"),
            "-outform",
            "DER",
            "-out",
            &format!("{name}.key.der"),
        ],
    );
}

/// The certificates of all tests, made once per run.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn get() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("anj-rs-x509-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            make_cert(&dir, "ca", "anj-rs test CA", None, true);
            make_cert(&dir, "server", "localhost", Some("ca"), false);
            make_cert(&dir, "server2", "localhost", Some("ca"), false);
            make_cert(&dir, "client", "anj-rs-client", Some("ca"), false);
            make_cert(&dir, "otherca", "untrusted CA", None, true);
            make_cert(&dir, "rogue", "anj-rs-client", Some("otherca"), false);
            // Issued by the trusted CA, right name, wrong dates.
            let (past, future) = (
                ("20000101000000Z", "20010101000000Z"),
                ("20900101000000Z", "20910101000000Z"),
            );
            make_dated_cert(&dir, "expired", "localhost", "ca", past.0, past.1);
            make_dated_cert(&dir, "future", "localhost", "ca", future.0, future.1);
            make_dated_cert(&dir, "oldclient", "anj-rs-client", "ca", past.0, past.1);
            Pki { dir }
        })
    }
    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_string()
    }
    /// The bytes of `file`, leaked so that they can back a `'static` credential.
    fn bytes(&self, file: &str) -> &'static [u8] {
        let mut v = std::fs::read(self.dir.join(file)).unwrap();
        if file.ends_with(".pem") {
            // As a Security object resource: no terminating NUL.
            while v.last() == Some(&0) {
                v.pop();
            }
        }
        Box::leak(v.into_boxed_slice())
    }
}

fn cert(bytes: &'static [u8]) -> anj_crypto_security_info_t {
    buffer(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
        bytes,
    )
}

/// What the client is configured with.
struct Creds {
    client: &'static str,
    usage: anj_net_certificate_usage_t,
    /// /0/x/4, a file of the PKI ("": none).
    server_cert: &'static str,
    /// Files of the trust store.
    trust: &'static [&'static str],
    sni: Option<&'static str>,
}

impl Creds {
    fn new(usage: anj_net_certificate_usage_t, server_cert: &'static str) -> Creds {
        Creds {
            client: "client",
            usage,
            server_cert,
            trust: &[],
            sni: Some("localhost"),
        }
    }

    fn config(&self) -> anj_net_config_t {
        let pki = Pki::get();
        let mut cfg = anj_net_config_t::default();
        let sec = &mut cfg.secure_socket_config.security;
        sec.mode = anj_net_security_mode_t::ANJ_NET_SECURITY_CERTIFICATE;
        // SAFETY (of the union access): `cert` is the member for certificate mode.
        let c = unsafe { &mut sec.data.cert };
        c.client_cert = cert(pki.bytes(&format!("{}.der", self.client)));
        c.private_key = buffer(
            anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
            pki.bytes(&format!("{}.key.der", self.client)),
        );
        c.server_cert = if self.server_cert.is_empty() {
            // SAFETY: all-zero is a valid credential: source EMPTY.
            unsafe { std::mem::zeroed() }
        } else {
            cert(pki.bytes(self.server_cert))
        };
        c.certificate_usage = self.usage;
        c.sni = self.sni.map_or(ptr::null(), |s| {
            Box::leak(CString::new(s).unwrap().into_boxed_c_str()).as_ptr()
        });
        let store: Vec<anj_crypto_security_info_t> =
            self.trust.iter().map(|f| cert(pki.bytes(f))).collect();
        let store = Box::leak(store.into_boxed_slice());
        c.trust_store = anj_net_trust_store_t {
            ca_certs: store.as_ptr(),
            ca_certs_count: store.len(),
        };
        cfg
    }
}

/// `openssl s_server` with `name`.pem/.key (and the CA in its chain), requiring a
/// client certificate issued by the CA. What the client sends comes out on stdout.
struct Server {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(name: &str) -> Server {
        let pki = Pki::get();
        let port = free_udp_port();
        let mut child = Command::new("openssl")
            .args(["s_server", "-dtls1_2", "-naccept", "1"])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .args(["-cert", &pki.path(&format!("{name}.pem"))])
            .args(["-key", &pki.path(&format!("{name}.key"))])
            .args(["-cert_chain", &pki.path("ca.pem")])
            .args(["-Verify", "2", "-verify_return_error"])
            .args(["-CAfile", &pki.path("ca.pem")])
            .args(["-cipher", "ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES256-CCM8"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server must be installed");
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.contains("ACCEPT") => break,
                Some(Ok(_)) => continue,
                _ => panic!("openssl s_server did not start"),
            }
        }
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

    fn expect_line(&self, want: &str) {
        let end = Instant::now() + Duration::from_secs(5);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) if l == want => return,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        panic!("s_server never printed {want:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a context for `creds` and handshakes with a server using `server_name`'s
/// certificate; returns the connect result. On success, one line goes each way.
fn handshake(server_name: &str, creds: &Creds) -> i32 {
    let server = Server::start(server_name);
    // A rejected handshake ends with an alert at once; the short budget only
    // bounds a peer that goes silent.
    assert!(set_handshake_timeouts(200, 3000));
    let cfg = creds.config();
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
    assert!(set_handshake_timeouts(1000, 60000));
    let (h, p) = (
        CString::new("127.0.0.1").unwrap(),
        CString::new(server.port.to_string()).unwrap(),
    );
    let start = Instant::now();
    let r = loop {
        let r = unsafe { anj_dtls_connect(ctx, h.as_ptr(), p.as_ptr()) };
        if r != ANJ_NET_EINPROGRESS || start.elapsed() > Duration::from_secs(15) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if r == ANJ_NET_OK {
        assert_eq!(
            state(ctx),
            anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED
        );
        // SAFETY (test): `ctx` is this test's live context.
        let s = unsafe { stats(ctx) }.unwrap();
        assert_eq!(s.handshakes, 1);
        eprintln!(
            "X.509 handshake ({:?}): {} bytes out, {} bytes in",
            creds.usage, s.bytes_out, s.bytes_in
        );
        let msg = b"hello over x509\n";
        let mut sent = 0;
        assert_eq!(
            unsafe { anj_dtls_send(ctx, &mut sent, msg.as_ptr(), msg.len()) },
            ANJ_NET_OK
        );
        server.expect_line("hello over x509");
    } else {
        assert!(r < 0, "a failed handshake is an error, got {r}");
        assert_eq!(
            state(ctx),
            anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED
        );
        // SAFETY (test): `ctx` is this test's live context.
        assert_eq!(unsafe { stats(ctx) }.unwrap().handshakes, 0);
        // No fallback to anything unprotected.
        let mut sent = 0;
        assert!(unsafe { anj_dtls_send(ctx, &mut sent, b"x".as_ptr(), 1) } < 0);
        let (mut buf, mut n) = ([0u8; 8], 0);
        let rr = unsafe { anj_dtls_recv(ctx, &mut n, buf.as_mut_ptr(), buf.len()) };
        assert!(rr < 0 && rr != ANJ_NET_EAGAIN);
    }
    assert_eq!(unsafe { anj_dtls_cleanup_ctx(&mut ctx) }, ANJ_NET_OK);
    r
}

#[test]
fn usage_3_domain_issued_pins_the_server_certificate() {
    let _g = serial();
    assert_eq!(
        handshake(
            "server",
            &Creds::new(ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE, "server.der")
        ),
        ANJ_NET_OK
    );
    // Another certificate of the same CA and name is not the pinned one.
    assert!(
        handshake(
            "server2",
            &Creds::new(ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE, "server.der")
        ) < 0
    );
}

/// notBefore / notAfter are checked against `anj_time_real_now` (here the POSIX
/// clock): a server certificate of the trusted CA, with the right name, that expired
/// in 2001 or becomes valid only in 2090 is refused under every usage that verifies
/// the server, even when it is pinned (usage 3); one valid now is accepted.
#[test]
fn server_certificate_outside_its_validity_is_refused() {
    let _g = serial();
    let anchored = Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der");
    assert_eq!(handshake("server", &anchored), ANJ_NET_OK);
    for name in ["expired", "future"] {
        assert!(handshake(name, &anchored) < 0, "{name} accepted (usage 2)");
        let pinned: &'static str = if name == "expired" {
            "expired.der"
        } else {
            "future.der"
        };
        let usage_3 = Creds::new(ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE, pinned);
        assert!(handshake(name, &usage_3) < 0, "{name} accepted (usage 3)");
        let usage_1 = Creds {
            trust: &["ca.pem"],
            ..Creds::new(ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT, pinned)
        };
        assert!(handshake(name, &usage_1) < 0, "{name} accepted (usage 1)");
    }
}

/// The client does not check its own certificate's dates (it presents what /0/x/3
/// holds); the server does, and refuses an expired one.
#[test]
fn expired_client_certificate_is_presented_and_refused_by_the_server() {
    let _g = serial();
    let old = Creds {
        client: "oldclient",
        ..Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der")
    };
    let cfg = old.config();
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_cleanup_ctx(&mut ctx) }, ANJ_NET_OK);
    assert!(handshake("server", &old) < 0);
}

#[test]
fn usage_2_trust_anchor_assertion_anchors_on_server_public_key() {
    let _g = serial();
    assert_eq!(
        handshake(
            "server",
            &Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der")
        ),
        ANJ_NET_OK
    );
    assert!(
        handshake(
            "server",
            &Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "otherca.der")
        ) < 0
    );
}

#[test]
fn usage_1_service_certificate_needs_trust_store_and_the_pinned_leaf() {
    let _g = serial();
    let ok = Creds {
        trust: &["ca.pem"],
        ..Creds::new(
            ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT,
            "server.der",
        )
    };
    assert_eq!(handshake("server", &ok), ANJ_NET_OK);
    // Valid PKIX chain, but not the pinned leaf.
    assert!(handshake("server2", &ok) < 0);
    // The pinned leaf, but its issuer is not in the trust store.
    let untrusted = Creds {
        trust: &["otherca.pem"],
        ..Creds::new(
            ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT,
            "server.der",
        )
    };
    assert!(handshake("server", &untrusted) < 0);
}

#[test]
fn usage_0_ca_constraint_needs_the_given_ca_in_the_chain() {
    let _g = serial();
    let ok = Creds {
        trust: &["ca.der"],
        ..Creds::new(ANJ_NET_CERTIFICATE_CA_CONSTRAINT, "ca.der")
    };
    assert_eq!(handshake("server", &ok), ANJ_NET_OK);
    // The trust store accepts the chain, but /0/x/4 names a CA that is not in it.
    let wrong_ca = Creds {
        trust: &["ca.der", "otherca.der"],
        ..Creds::new(ANJ_NET_CERTIFICATE_CA_CONSTRAINT, "otherca.der")
    };
    assert!(handshake("server", &wrong_ca) < 0);
}

#[test]
fn usage_0_and_1_without_trust_store_are_refused_at_create() {
    let _g = serial();
    for usage in [
        ANJ_NET_CERTIFICATE_CA_CONSTRAINT,
        ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT,
    ] {
        let cfg = Creds::new(usage, "ca.der").config();
        let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
        assert_ne!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
        assert!(ctx.is_null());
    }
}

#[test]
fn host_name_is_verified_against_the_sni() {
    let _g = serial();
    let wrong = Creds {
        sni: Some("not-localhost.example"),
        ..Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der")
    };
    assert!(handshake("server", &wrong) < 0);
    // Connecting to an address literal without an SNI: no name to check, the
    // chain still is.
    let by_address = Creds {
        sni: None,
        ..Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der")
    };
    assert_eq!(handshake("server", &by_address), ANJ_NET_OK);
}

#[test]
fn pem_credentials_without_nul_are_accepted() {
    let _g = serial();
    let pki = Pki::get();
    let mut cfg = Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.pem").config();
    // SAFETY: certificate mode.
    let c = unsafe { &mut cfg.secure_socket_config.security.data.cert };
    c.client_cert = cert(pki.bytes("client.pem"));
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_eq!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
    assert_eq!(unsafe { anj_dtls_cleanup_ctx(&mut ctx) }, ANJ_NET_OK);
}

#[test]
fn untrusted_client_certificate_is_rejected_by_the_server() {
    let _g = serial();
    let rogue = Creds {
        client: "rogue",
        ..Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der")
    };
    assert!(handshake("server", &rogue) < 0);
}

#[test]
fn key_not_matching_the_certificate_is_refused_at_create() {
    let _g = serial();
    let pki = Pki::get();
    let mut cfg = Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der").config();
    // SAFETY: certificate mode.
    let c = unsafe { &mut cfg.secure_socket_config.security.data.cert };
    c.private_key = buffer(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
        pki.bytes("rogue.key.der"),
    );
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    assert_ne!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
    assert!(ctx.is_null());
    // Garbage is no certificate either.
    let mut cfg = Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der").config();
    // SAFETY: certificate mode.
    let c = unsafe { &mut cfg.secure_socket_config.security.data.cert };
    c.server_cert = cert(b"\x30\x03\x02\x01\x00");
    assert_ne!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
}

/// With external crypto storage the backend resolves EXTERNAL credentials through
/// `anj_crypto_storage_resolve_security_info`, with the configuration's context: here
/// a storage whose record names are file names of the test PKI.
#[cfg(feature = "external-crypto-storage")]
mod external_storage {
    use super::*;
    use anj::ffi::crypto::anj_crypto_security_info_external_t;
    use std::ffi::{c_char, c_int, c_void, CStr};

    static CTX_TOKEN: u8 = 0;
    static RESOLVED: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[no_mangle]
    extern "C" fn anj_crypto_storage_init(out: *mut *mut c_void) -> c_int {
        // SAFETY: the library passes a writable slot.
        unsafe { *out = &CTX_TOKEN as *const u8 as *mut c_void };
        0
    }
    #[no_mangle]
    extern "C" fn anj_crypto_storage_deinit(_ctx: *mut c_void) {}
    #[no_mangle]
    extern "C" fn anj_crypto_storage_create_record(
        _ctx: *mut c_void,
        _info: *mut anj_crypto_security_info_t,
        _data: *const c_void,
        _size: usize,
    ) -> c_int {
        -1
    }
    #[no_mangle]
    extern "C" fn anj_crypto_storage_delete_record(
        _ctx: *mut c_void,
        _info: *const anj_crypto_security_info_t,
    ) -> c_int {
        0
    }
    #[no_mangle]
    extern "C" fn anj_crypto_storage_resolve_security_info(
        ctx: *mut c_void,
        info: *const anj_crypto_security_info_external_t,
        out: *mut c_char,
        out_size: usize,
        out_len: *mut usize,
    ) -> c_int {
        assert_eq!(ctx as *const u8, &CTX_TOKEN as *const u8);
        // SAFETY: the backend passes a valid reference with a NUL-terminated name.
        let name = unsafe { CStr::from_ptr((*info).identity) }
            .to_str()
            .unwrap();
        RESOLVED.lock().unwrap().push(name.to_string());
        let Ok(bytes) = std::fs::read(Pki::get().dir.join(name)) else {
            return -1;
        };
        if bytes.len() > out_size {
            return -1;
        }
        // SAFETY: `out` has `out_size` writable bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.cast::<u8>(), bytes.len());
            *out_len = bytes.len();
        }
        0
    }

    fn external(name: &'static CStr) -> anj_crypto_security_info_t {
        anj_crypto_security_info_t {
            tag: anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
            source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_EXTERNAL,
            info: anj_crypto_security_info_union_t {
                external: anj_crypto_security_info_external_t {
                    identity: name.as_ptr(),
                },
            },
        }
    }

    #[test]
    fn external_credentials_are_resolved_by_the_storage() {
        let _g = serial();
        let mut cfg = Creds::new(ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION, "ca.der").config();
        let mut ctx_slot: *mut c_void = ptr::null_mut();
        assert_eq!(anj_crypto_storage_init(&mut ctx_slot), 0);
        cfg.secure_socket_config.crypto_ctx = ctx_slot;
        // SAFETY: certificate mode.
        let c = unsafe { &mut cfg.secure_socket_config.security.data.cert };
        // The DER key is small enough for the backend's scratch buffer (sized by
        // ANJ_SEC_OBJ_MAX_*); the certificates stay buffers.
        c.private_key = external(c"client.key.der");
        let server = Server::start("server");
        let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
        assert_eq!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
        assert_eq!(
            RESOLVED.lock().unwrap().as_slice(),
            ["client.key.der".to_string()]
        );
        let (h, p) = (
            CString::new("127.0.0.1").unwrap(),
            CString::new(server.port.to_string()).unwrap(),
        );
        let start = Instant::now();
        let r = loop {
            let r = unsafe { anj_dtls_connect(ctx, h.as_ptr(), p.as_ptr()) };
            if r != ANJ_NET_EINPROGRESS || start.elapsed() > Duration::from_secs(15) {
                break r;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        assert_eq!(r, ANJ_NET_OK);
        assert_eq!(unsafe { anj_dtls_cleanup_ctx(&mut ctx) }, ANJ_NET_OK);
        // A reference the storage cannot resolve fails the create.
        cfg.secure_socket_config.security.data.cert.private_key = external(c"no-such-record");
        assert_ne!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
        assert!(ctx.is_null());
    }
}

#[test]
fn empty_server_public_key_is_refused_unless_verification_is_skipped() {
    let _g = serial();
    let creds = Creds::new(ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE, "");
    if cfg!(feature = "allow-insecure-server-certificate-skip") {
        // Any server will do: nothing is verified (and a log line says so).
        assert_eq!(handshake("server2", &creds), ANJ_NET_OK);
    } else {
        let cfg = creds.config();
        let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
        assert_ne!(unsafe { anj_dtls_create_ctx(&mut ctx, &cfg) }, ANJ_NET_OK);
        assert!(ctx.is_null());
    }
}
