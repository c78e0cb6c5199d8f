//! Raw public keys (`ANJ_WITH_RPK`, the tinydtls backend): which key encodings
//! `anj_dtls_create_ctx` takes for /0/x/3, /0/x/5 and /0/x/4, and that anything else
//! (another curve, a truncated or malformed key, no server key) is refused before any
//! packet is sent. Keys are made at test time by the `openssl` command-line tool.
//! The handshake itself is tested against Leshan (tests/interop/test_rpk.py).
#![cfg(all(feature = "vendored-tinydtls", feature = "socket-posix-compat"))]

mod common;

use std::path::PathBuf;
use std::ptr;
use std::sync::OnceLock;

use anj::ffi::crypto::anj_crypto_security_tag_t;
use anj::ffi::net::{
    anj_dtls_cleanup_ctx, anj_dtls_create_ctx, anj_dtls_get_inner_mtu, anj_dtls_get_state,
    anj_net_config_t, anj_net_ctx_t, anj_net_security_mode_t, anj_net_socket_state_t, ANJ_NET_OK,
};

use common::{buffer, openssl, serial};

/// P-256 key pairs `a` and `b` and a P-384 one, in every encoding the tests use.
struct Keys {
    dir: PathBuf,
}

impl Keys {
    fn get() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("anj-rpk-keys-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            for (name, curve) in [
                ("a", "prime256v1"),
                ("b", "prime256v1"),
                ("p384", "secp384r1"),
            ] {
                let pem = format!("{name}.pem");
                openssl(
                    &dir,
                    &["ecparam", "-name", curve, "-genkey", "-noout", "-out", &pem],
                );
                openssl(
                    &dir,
                    &[
                        "pkcs8",
                        "-topk8",
                        "-nocrypt",
                        "-in",
                        &pem,
                        "-outform",
                        "DER",
                        "-out",
                        &format!("{name}.pk8.der"),
                    ],
                );
                openssl(
                    &dir,
                    &[
                        "ec",
                        "-in",
                        &pem,
                        "-outform",
                        "DER",
                        "-out",
                        &format!("{name}.sec1.der"),
                    ],
                );
                openssl(
                    &dir,
                    &[
                        "ec",
                        "-in",
                        &pem,
                        "-pubout",
                        "-outform",
                        "DER",
                        "-out",
                        &format!("{name}.spki.der"),
                    ],
                );
            }
            Keys { dir }
        })
    }

    fn bytes(&self, file: &str) -> &'static [u8] {
        Box::leak(
            std::fs::read(self.dir.join(file))
                .unwrap()
                .into_boxed_slice(),
        )
    }

    /// The uncompressed point 0x04 X Y: the last 65 bytes of a P-256 SPKI.
    fn point(&self, name: &str) -> &'static [u8] {
        let spki = self.bytes(&format!("{name}.spki.der"));
        assert_eq!(spki.len(), 91);
        &spki[26..]
    }

    /// The 32-byte private scalar: the OCTET STRING after `30 77 02 01 01 04 20`.
    fn scalar(&self, name: &str) -> &'static [u8] {
        let sec1 = self.bytes(&format!("{name}.sec1.der"));
        assert_eq!(&sec1[2..7], &[0x02, 0x01, 0x01, 0x04, 0x20]);
        &sec1[7..39]
    }
}

fn config(
    public: &'static [u8],
    private: &'static [u8],
    server: &'static [u8],
) -> anj_net_config_t {
    let mut cfg = anj_net_config_t::default();
    let sec = &mut cfg.secure_socket_config.security;
    sec.mode = anj_net_security_mode_t::ANJ_NET_SECURITY_RPK;
    let public_tag = anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN;
    // SAFETY (of the union access): `rpk` is the member for RPK mode.
    let r = unsafe { &mut sec.data.rpk };
    r.public_key = buffer(public_tag, public);
    r.private_key = buffer(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
        private,
    );
    r.server_public_key = buffer(public_tag, server);
    cfg
}

/// Creates a context for `cfg`: its result, and the context cleaned up again.
fn create(cfg: &anj_net_config_t) -> i32 {
    let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
    // SAFETY: valid out pointer and configuration (buffers leaked: 'static).
    let r = unsafe { anj_dtls_create_ctx(&mut ctx, cfg) };
    if r == ANJ_NET_OK {
        assert!(!ctx.is_null());
        let mut state = anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED;
        let mut mtu = 0;
        // SAFETY: a context just created.
        unsafe {
            assert_eq!(anj_dtls_get_state(ctx, &mut state), ANJ_NET_OK);
            assert_eq!(anj_dtls_get_inner_mtu(ctx, &mut mtu), ANJ_NET_OK);
            assert_eq!(anj_dtls_cleanup_ctx(&mut ctx), ANJ_NET_OK);
        }
        assert_eq!(state, anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED);
        // The UDP MTU less the CCM-8 record overhead (13 + 8 + 8).
        assert!(mtu > 0 && mtu < 1500 - 29 + 1, "inner MTU {mtu}");
        assert!(ctx.is_null());
    } else {
        assert!(ctx.is_null(), "a failed create leaves no context");
    }
    r
}

#[test]
fn every_documented_encoding_is_accepted() {
    let _g = serial();
    let k = Keys::get();
    let publics = [k.bytes("a.spki.der"), k.point("a"), &k.point("a")[1..]];
    let privates = [k.bytes("a.pk8.der"), k.bytes("a.sec1.der"), k.scalar("a")];
    let servers = [k.bytes("b.spki.der"), k.point("b"), &k.point("b")[1..]];
    for public in publics {
        for private in privates {
            for server in servers {
                assert_eq!(
                    create(&config(public, private, server)),
                    ANJ_NET_OK,
                    "public {} B, private {} B, server {} B",
                    public.len(),
                    private.len(),
                    server.len()
                );
            }
        }
    }
}

#[test]
fn other_curves_and_malformed_keys_are_refused() {
    let _g = serial();
    let k = Keys::get();
    let (public, private, server) = (
        k.bytes("a.spki.der"),
        k.bytes("a.pk8.der"),
        k.bytes("b.spki.der"),
    );
    assert_eq!(create(&config(public, private, server)), ANJ_NET_OK);
    let truncated = |b: &'static [u8]| &b[..b.len() - 1];
    let mut flipped_oid = k.bytes("a.spki.der").to_vec();
    flipped_oid[24] ^= 1; // the last byte of the prime256v1 OID
    let flipped_oid: &'static [u8] = Box::leak(flipped_oid.into_boxed_slice());
    let cases: [(&str, anj_net_config_t); 9] = [
        (
            "P-384 public key",
            config(k.bytes("p384.spki.der"), private, server),
        ),
        (
            "P-384 private key",
            config(public, k.bytes("p384.pk8.der"), server),
        ),
        (
            "P-384 SEC1 private key",
            config(public, k.bytes("p384.sec1.der"), server),
        ),
        (
            "P-384 server key",
            config(public, private, k.bytes("p384.spki.der")),
        ),
        (
            "truncated public key",
            config(truncated(public), private, server),
        ),
        (
            "truncated private key",
            config(public, truncated(private), server),
        ),
        (
            "truncated server key",
            config(public, private, truncated(server)),
        ),
        ("another curve's OID", config(flipped_oid, private, server)),
        ("no server key", config(public, private, &[])),
    ];
    for (what, cfg) in &cases {
        assert_ne!(create(cfg), ANJ_NET_OK, "{what} was accepted");
    }
}
