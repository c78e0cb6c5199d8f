//! The Bootstrap interface in simulated time, against a scripted Bootstrap-Server built
//! on coap-lite, with the real built-in Security, Server and Device objects.

use std::string::{String, ToString};
use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use anj_core::test_support::{self, Peer, ScriptedLink, Simulated};

use super::tests::{ack, path, queries, HeapSlot};
use super::*;
use crate::ffi::core::{anj_configuration_t, anj_core_init, anj_t};
use crate::ffi::objects::*;
use crate::ffi::time::anj_time_duration_t;

const BS_URI: &std::ffi::CStr = c"coap://127.0.0.1:5693";
const BS: &str = "coap:127.0.0.1:5693";
const DM: &str = "coap:127.0.0.1:5683";

/// What the Bootstrap-Server's link records beyond the shared scripted link: the
/// Certificate-mode credentials of the last secure connect (client certificate, private
/// key, server certificate), resolved from `Credentials::Stored` by the C side of the
/// client `anj` (the rig's) as the real link does.
struct BsCredentials {
    anj: *mut anj_t,
    #[cfg(feature = "certificates")]
    cert: Option<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

impl Default for BsCredentials {
    fn default() -> Self {
        BsCredentials {
            anj: std::ptr::null_mut(),
            #[cfg(feature = "certificates")]
            cert: None,
        }
    }
}

impl Peer for BsCredentials {
    fn resolve_stored(
        &mut self,
        mode: super::link::SecurityMode,
        security_iid: u16,
        bootstrap: bool,
    ) -> Result<test_support::Shown, i32> {
        #[cfg(feature = "security")]
        {
            use crate::ffi::security::Resolved;
            use test_support::Shown;
            let mut shown = Shown::Nothing;
            #[cfg(feature = "certificates")]
            let cert = &mut self.cert;
            // SAFETY (test): the rig's initialised client (`Rig::new` sets it).
            let r = unsafe {
                crate::ffi::security::with_stored_credentials(
                    self.anj,
                    mode,
                    security_iid,
                    bootstrap,
                    |resolved| {
                        shown = match resolved {
                            Resolved::Psk { identity, key } => {
                                Shown::Psk(identity.to_vec(), key.to_vec())
                            }
                            #[cfg(feature = "certificates")]
                            Resolved::Security(security) => {
                                let (shown, c) = shown_by(&security);
                                if c.is_some() {
                                    *cert = c;
                                }
                                shown
                            }
                            // This link takes credentials in their C form only with
                            // certificates.
                            #[cfg(all(
                                not(feature = "certificates"),
                                feature = "external-crypto-storage"
                            ))]
                            Resolved::Security(_) => return super::link::NetStatus::Failed(-1),
                        };
                        super::link::NetStatus::Done
                    },
                )
            };
            match r {
                super::link::NetStatus::Failed(code) => Err(code),
                _ => Ok(shown),
            }
        }
        #[cfg(not(feature = "security"))]
        {
            // Like the real link: no secure connections without `security`.
            let _ = (mode, security_iid, bootstrap);
            Err(-1)
        }
    }
}

/// What credentials in their C form show the server (an identity or client
/// certificate), and the certificate credentials among them.
#[cfg(feature = "certificates")]
#[allow(clippy::type_complexity)]
fn shown_by(
    security: &crate::ffi::net::anj_net_security_info_t,
) -> (test_support::Shown, Option<(Vec<u8>, Vec<u8>, Vec<u8>)>) {
    use crate::ffi::crypto::anj_crypto_security_info_t;
    use test_support::Shown;
    fn bytes(i: &anj_crypto_security_info_t) -> Vec<u8> {
        // A credential in the external crypto storage: its reference, marked.
        #[cfg(feature = "external-crypto-storage")]
        if i.source == crate::ffi::crypto::anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_EXTERNAL
        {
            // SAFETY (test): EXTERNAL selects `external`, a NUL-terminated name.
            let name = unsafe { std::ffi::CStr::from_ptr(i.info.external.identity) };
            return [b"ext:", name.to_bytes()].concat();
        }
        // SAFETY (test): BUFFER credentials point into the Security object.
        unsafe {
            let b = i.info.buffer;
            std::slice::from_raw_parts(b.data.cast::<u8>(), b.data_size).to_vec()
        }
    }
    use crate::ffi::net::anj_net_security_mode_t::*;
    if security.mode == ANJ_NET_SECURITY_PSK {
        // SAFETY (test): PSK mode selects `psk`.
        let p = unsafe { security.data.psk };
        (Shown::Other(bytes(&p.identity)), None)
    } else if security.mode == ANJ_NET_SECURITY_CERTIFICATE {
        // SAFETY (test): Certificate mode selects `cert`.
        let c = unsafe { security.data.cert };
        let cert = (
            bytes(&c.client_cert),
            bytes(&c.private_key),
            bytes(&c.server_cert),
        );
        (Shown::Other(cert.0.clone()), Some(cert))
    } else {
        (Shown::Nothing, None)
    }
}

/// A link that records where it connects (see `ScriptedLink`).
type BsLink = ScriptedLink<BsCredentials>;

struct Opts {
    retry_count: u16,
    retry_timeout: Duration,
    bs_timeout: Duration,
    hold_off: u32,
    /// Also a complete LwM2M Server account (Security /0/1 + Server /1/0, SSID 1).
    server_account: bool,
    bootstrap_on_failure: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            retry_count: 0,
            retry_timeout: 0,
            bs_timeout: 0,
            hold_off: 0,
            server_account: false,
            bootstrap_on_failure: true,
        }
    }
}

struct Rig {
    anj: HeapSlot<{ crate::config::SIZEOF_ANJ_T / 8 }>,
    server: HeapSlot<{ crate::config::SIZEOF_SERVER_OBJ / 8 }>,
    security: HeapSlot<{ crate::config::SIZEOF_SECURITY_OBJ / 8 }>,
    _device: HeapSlot<{ crate::config::SIZEOF_DEVICE_OBJ / 8 }>,
    link: BsLink,
    now: Instant,
    mid: u16,
}

impl Rig {
    fn new(o: Opts) -> Rig {
        let mut rig = Rig {
            anj: HeapSlot::new(),
            server: HeapSlot::new(),
            security: HeapSlot::new(),
            _device: HeapSlot::new(),
            link: BsLink::new(11),
            now: 1_000 * SEC,
            mid: 0x4000,
        };
        let anj = rig.anj_ptr();
        rig.link.anj = anj;
        let config = anj_configuration_t {
            endpoint_name: c"bs-ep".as_ptr(),
            connection_status_cb: None,
            connection_status_cb_arg: std::ptr::null_mut(),
            queue_mode_enabled: false,
            queue_mode_timeout: anj_time_duration_t { us: 0 },
            net_socket_cfg: std::ptr::null(),
            udp_tx_params: std::ptr::null(),
            exchange_request_timeout: anj_time_duration_t { us: 0 },
            bootstrap_retry_count: o.retry_count,
            bootstrap_retry_timeout: anj_time_duration_t {
                us: o.retry_timeout,
            },
            bootstrap_timeout: anj_time_duration_t { us: o.bs_timeout },
            #[cfg(feature = "certificates")]
            trust_store: std::ptr::null(),
        };
        let mut retry = crate::dm::builtin::anj_communication_retry_res_t {
            retry_count: 1,
            retry_timer: 10,
            seq_delay_timer: 100,
            seq_retry_count: 1,
        };
        let bs_on_failure = o.bootstrap_on_failure;
        let server_init = anj_dm_server_instance_init_t {
            ssid: 1,
            lifetime: 60,
            default_min_period: 0,
            default_max_period: 0,
            disable_timeout: 0,
            notification_storing: false,
            binding: c"U".as_ptr(),
            bootstrap_on_registration_failure: &bs_on_failure,
            mute_send: false,
            iid: std::ptr::null(),
            comm_retry_res: &mut retry,
            default_notification_mode: 0,
        };
        // SAFETY (test): zeroed init structs are valid for these plain C structs.
        let mut bs_init: anj_dm_security_instance_init_t = unsafe { std::mem::zeroed() };
        bs_init.server_uri = BS_URI.as_ptr();
        bs_init.bootstrap_server = true;
        bs_init.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_NOSEC;
        bs_init.client_hold_off_time = o.hold_off;
        // SAFETY (test): as above.
        let mut dm_init: anj_dm_security_instance_init_t = unsafe { std::mem::zeroed() };
        dm_init.server_uri = c"coap://127.0.0.1:5683".as_ptr();
        dm_init.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_NOSEC;
        dm_init.ssid = 1;
        let dev_init = anj_dm_device_object_init_t {
            manufacturer: c"ACME".as_ptr(),
            model_number: std::ptr::null(),
            serial_number: std::ptr::null(),
            firmware_version: std::ptr::null(),
            software_version: std::ptr::null(),
            reboot_cb: None,
            reboot_cb_arg: std::ptr::null_mut(),
        };
        // SAFETY (test): storage of the configured sizes, alive as long as the rig.
        unsafe {
            assert_eq!(anj_core_init(anj, &config), 0);
            let server = rig.server.ptr::<ServerObj>();
            let security = rig.security.ptr::<SecurityObj>();
            let device = rig._device.ptr::<DeviceObj>();
            anj_dm_server_obj_init(server);
            anj_dm_security_obj_init(security);
            assert_eq!(anj_dm_security_obj_add_instance(security, &bs_init), 0);
            if o.server_account {
                assert_eq!(anj_dm_server_obj_add_instance(server, &server_init), 0);
                assert_eq!(anj_dm_security_obj_add_instance(security, &dm_init), 0);
            }
            assert_eq!(anj_dm_server_obj_install(anj, server), 0);
            assert_eq!(anj_dm_security_obj_install(anj, security), 0);
            assert_eq!(anj_dm_device_obj_install(anj, device, &dev_init), 0);
            crate::ffi::core::apply_pending(anj);
        }
        rig
    }

    fn anj_ptr(&self) -> *mut anj_t {
        self.anj.ptr()
    }

    fn client(&mut self) -> &mut Engine {
        // SAFETY (test): initialised by anj_core_init; no other reference is live.
        unsafe { &mut (*self.anj_ptr()).inner.client }
    }

    fn step(&mut self) {
        let anj = self.anj_ptr();
        let now = self.now;
        // SAFETY (test): pending application requests are applied as anj_core_step does;
        // the link is a separate field of the rig.
        unsafe {
            crate::ffi::core::apply_pending(anj);
            let link = &mut self.link;
            crate::ffi::core::with_client_host(anj, |c, h| c.step(now, link, h));
        }
    }

    fn run_until(&mut self, limit: Duration, cond: impl FnMut(&mut Rig) -> bool) -> bool {
        test_support::run_until(self, limit, cond)
    }

    fn take_sent(&mut self) -> Option<Packet> {
        self.link
            .sent
            .pop_front()
            .map(|d| Packet::from_bytes(&d).expect("client sent malformed CoAP"))
    }

    fn status(&mut self) -> anj_conn_status_t {
        self.client().status().into()
    }

    /// Runs until the Bootstrap-Request goes out, checks it and accepts it.
    fn accept_bootstrap_request(&mut self) {
        assert!(self.run_until(SEC, |r| !r.link.sent.is_empty()));
        let req = self.take_sent().unwrap();
        assert_eq!(req.header.code, MessageClass::Request(RequestType::Post));
        assert_eq!(path(&req), "bs");
        let q = queries(&req);
        assert!(q.contains(&"ep=bs-ep".to_string()), "{q:?}");
        assert_eq!(self.link.connects.last().map(String::as_str), Some(BS));
        assert_eq!(self.status(), ANJ_CONN_STATUS_BOOTSTRAPPING);
        self.deliver(&ack(&req, ResponseType::Changed));
        self.step();
    }

    fn deliver(&mut self, p: &Packet) {
        self.link.inbox.push_back(p.to_bytes().unwrap());
    }

    /// Sends a request of the Bootstrap-Server and returns the client's response.
    fn request(
        &mut self,
        code: RequestType,
        uri: &str,
        cf: Option<usize>,
        accept: Option<usize>,
        payload: &[u8],
    ) -> Packet {
        self.request_with(code, uri, cf, accept, None, payload)
    }

    /// [`Rig::request`] with a Block1 option (its value) when `block1` is given.
    fn request_with(
        &mut self,
        code: RequestType,
        uri: &str,
        cf: Option<usize>,
        accept: Option<usize>,
        block1: Option<usize>,
        payload: &[u8],
    ) -> Packet {
        self.mid = self.mid.wrapping_add(1);
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.message_id = self.mid;
        p.header.code = MessageClass::Request(code);
        p.set_token(self.mid.to_be_bytes().to_vec());
        for seg in uri.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
        }
        if let Some(cf) = cf {
            p.add_option(CoapOption::ContentFormat, uint(cf));
        }
        if let Some(a) = accept {
            p.add_option(CoapOption::Accept, uint(a));
        }
        if let Some(b) = block1 {
            p.add_option(CoapOption::Block1, uint(b));
        }
        p.payload = payload.to_vec();
        self.deliver(&p);
        self.step();
        let resp = self.take_sent().expect("no response");
        assert_eq!(resp.header.message_id, self.mid);
        assert_eq!(resp.get_token(), &self.mid.to_be_bytes()[..]);
        resp
    }

    fn code(
        &mut self,
        code: RequestType,
        uri: &str,
        cf: Option<usize>,
        payload: &[u8],
    ) -> ResponseType {
        match self.request(code, uri, cf, None, payload).header.code {
            MessageClass::Response(r) => r,
            c => panic!("not a response: {c:?}"),
        }
    }

    fn finish(&mut self) -> ResponseType {
        self.code(RequestType::Post, "bs", None, b"")
    }

    fn read(&mut self, p: &[u16]) -> Option<Value<'_>> {
        let anj = self.anj_ptr();
        // SAFETY (test): no reference into the client is live.
        let reg = unsafe { &(*anj).inner.registry };
        match crate::dm::read_resource(anj, reg, &Path::new(p)) {
            Ok(Value::String(s)) => Some(Value::String(String::from(s).leak())),
            Ok(Value::Bytes(b)) => Some(Value::Bytes(b.to_vec().leak())),
            Ok(v) => Some(v),
            Err(_) => None,
        }
    }

    fn instances(&mut self, oid: u16) -> Vec<u16> {
        // SAFETY (test): no reference into the client is live.
        unsafe { &(*self.anj_ptr()).inner.registry }
            .find(oid)
            .map(|o| o.instances().iter().map(|i| i.iid).collect())
            .unwrap_or_default()
    }
}

impl Simulated for Rig {
    fn now_mut(&mut self) -> &mut Instant {
        &mut self.now
    }
    fn step(&mut self) {
        Rig::step(self)
    }
}

use crate::io::value::{Path, Value};

fn uint(v: usize) -> Vec<u8> {
    let b = (v as u32).to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

const SENML_JSON: usize = 110;
const TLV: usize = 11542;
const LINK: usize = 40;

/// One TLV record (LwM2M 1.1 TS Core §7.4.3): `kind` 0 = Object Instance, 3 = Resource
/// with a value.
fn tlv(kind: u8, id: u16, value: &[u8]) -> Vec<u8> {
    let mut t = kind << 6;
    let mut out = Vec::new();
    if id > 255 {
        t |= 0x20;
    }
    let len = value.len();
    let len_bytes: Vec<u8> = if len < 8 {
        t |= len as u8;
        Vec::new()
    } else if len < 256 {
        t |= 0x08;
        vec![len as u8]
    } else {
        t |= 0x10;
        (len as u16).to_be_bytes().to_vec()
    };
    out.push(t);
    if id > 255 {
        out.extend_from_slice(&id.to_be_bytes());
    } else {
        out.push(id as u8);
    }
    out.extend(len_bytes);
    out.extend_from_slice(value);
    out
}

/// A complete LwM2M Server account in SenML JSON: Security /0/`sec` and Server
/// /1/`srv` with `ssid`, pointing at the DM server of the tests.
fn account_senml(sec: u16, srv: u16, ssid: u16) -> (String, String) {
    (
        format!(
            "[{{\"bn\":\"/0/{sec}/\",\"n\":\"0\",\"vs\":\"coap://127.0.0.1:5683\"}},\
             {{\"n\":\"1\",\"vb\":false}},{{\"n\":\"2\",\"v\":3}},{{\"n\":\"3\",\"vd\":\"\"}},\
             {{\"n\":\"5\",\"vd\":\"\"}},{{\"n\":\"10\",\"v\":{ssid}}}]"
        ),
        format!(
            "[{{\"bn\":\"/1/{srv}/\",\"n\":\"0\",\"v\":{ssid}}},{{\"n\":\"1\",\"v\":120}},\
             {{\"n\":\"7\",\"vs\":\"U\"}}]"
        ),
    )
}

fn provision(rig: &mut Rig) {
    let (sec, srv) = account_senml(1, 0, 7);
    assert_eq!(
        rig.code(RequestType::Put, "0/1", Some(SENML_JSON), sec.as_bytes()),
        ResponseType::Changed
    );
    assert_eq!(
        rig.code(RequestType::Put, "1/0", Some(SENML_JSON), srv.as_bytes()),
        ResponseType::Changed
    );
}

#[test]
fn without_a_server_account_the_client_bootstraps_then_registers() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    assert_eq!(rig.finish(), ResponseType::Changed);
    // What the Bootstrap-Server sent (credentials) is not left in the receive buffer.
    assert!(rig.client().receive_buffer().iter().all(|&b| b == 0));
    // The connection to the Bootstrap-Server is closed, the new account registers.
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    assert_eq!(path(&reg), "rd");
    assert_eq!(rig.link.connects.last().map(String::as_str), Some(DM));
    let q = queries(&reg);
    assert!(q.contains(&"lt=120".to_string()), "{q:?}");
    assert_eq!(rig.read(&[1, 0, 0]), Some(Value::Int(7)));
    assert_eq!(rig.read(&[0, 1, 10]), Some(Value::Int(7)));
    // The statuses: BOOTSTRAPPING, BOOTSTRAPPED, REGISTERING.
    let mut seen = Vec::new();
    while let Some(s) = rig.client().take_status_change() {
        seen.push(s);
    }
    assert_eq!(
        seen,
        [
            ANJ_CONN_STATUS_BOOTSTRAPPING,
            ANJ_CONN_STATUS_BOOTSTRAPPED,
            ANJ_CONN_STATUS_REGISTERING
        ]
    );
}

#[test]
fn bootstrap_request_names_the_endpoint_and_preferred_format() {
    let mut rig = Rig::new(Opts::default());
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let req = rig.take_sent().unwrap();
    assert_eq!(req.header.get_type(), MessageType::Confirmable);
    let q = queries(&req);
    assert_eq!(q[0], "ep=bs-ep");
    if cfg!(feature = "senml-cbor") {
        assert_eq!(q[1], "pct=112");
    }
}

#[test]
fn finish_with_an_incomplete_configuration_is_406_and_rolls_back() {
    let mut rig = Rig::new(Opts {
        retry_count: 1,
        retry_timeout: 5 * SEC,
        ..Opts::default()
    });
    rig.accept_bootstrap_request();
    // A Security instance for SSID 7, but no Server instance.
    let (sec, _) = account_senml(1, 0, 7);
    assert_eq!(
        rig.code(RequestType::Put, "0/1", Some(SENML_JSON), sec.as_bytes()),
        ResponseType::Changed
    );
    assert_eq!(rig.instances(0), [0, 1]);
    assert_eq!(rig.finish(), ResponseType::NotAcceptable);
    // Rolled back: the written instance is gone, the Bootstrap-Server account stays.
    assert_eq!(rig.instances(0), [0]);
    assert_eq!(rig.read(&[0, 0, 1]), Some(Value::Bool(true)));
    // The attempt failed: the next one comes after bootstrap_retry_timeout.
    assert_eq!(rig.status(), ANJ_CONN_STATUS_BOOTSTRAPPING);
    let t0 = rig.now;
    assert!(rig.run_until(10 * SEC, |r| !r.link.sent.is_empty()));
    assert!(
        rig.now - t0 >= 5 * SEC && rig.now - t0 < 6 * SEC,
        "{}",
        rig.now - t0
    );
    assert_eq!(path(&rig.take_sent().unwrap()), "bs");
}

#[test]
fn a_server_instance_with_a_mismatched_ssid_is_not_an_account() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    let (sec, _) = account_senml(1, 0, 7);
    let (_, srv) = account_senml(1, 0, 8);
    rig.code(RequestType::Put, "0/1", Some(SENML_JSON), sec.as_bytes());
    rig.code(RequestType::Put, "1/0", Some(SENML_JSON), srv.as_bytes());
    assert_eq!(rig.instances(1), [0]);
    assert_eq!(rig.finish(), ResponseType::NotAcceptable);
    assert_eq!(rig.instances(1), Vec::<u16>::new());
    assert_eq!(rig.instances(0), [0]);
    // No retries configured: FAILURE.
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_FAILURE));
}

#[test]
fn finish_that_fails_validation_rolls_back_changes_to_existing_instances() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    // A second Bootstrap-Server account is not a valid configuration.
    assert_eq!(
        rig.code(
            RequestType::Put,
            "0/0/11",
            Some(SENML_JSON),
            br#"[{"n":"/0/0/11","v":30}]"#
        ),
        ResponseType::Changed
    );
    assert_eq!(
        rig.code(
            RequestType::Put,
            "0/1/1",
            Some(SENML_JSON),
            br#"[{"n":"/0/1/1","vb":true}]"#
        ),
        ResponseType::Changed
    );
    assert_eq!(rig.finish(), ResponseType::NotAcceptable);
    assert_eq!(rig.read(&[0, 0, 11]), Some(Value::Int(0)));
    assert_eq!(rig.instances(0), [0]);
    assert_eq!(rig.instances(1), Vec::<u16>::new());
}

#[test]
fn multi_instance_bootstrap_write_of_the_security_object() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    // One TLV message: /0/0 (the Bootstrap-Server account, replaced: hold-off
    // changed) and a new /0/1.
    let mut inst0 = tlv(3, 0, b"coap://127.0.0.1:5693");
    inst0.extend(tlv(3, 1, &[1]));
    inst0.extend(tlv(3, 2, &[3]));
    inst0.extend(tlv(3, 11, &[9]));
    let mut inst1 = tlv(3, 0, b"coap://127.0.0.1:5683");
    inst1.extend(tlv(3, 1, &[0]));
    inst1.extend(tlv(3, 2, &[3]));
    inst1.extend(tlv(3, 10, &[7]));
    let mut payload = tlv(0, 0, &inst0);
    payload.extend(tlv(0, 1, &inst1));
    assert_eq!(
        rig.code(RequestType::Put, "0", Some(TLV), &payload),
        ResponseType::Changed
    );
    assert_eq!(rig.instances(0), [0, 1]);
    assert_eq!(rig.read(&[0, 0, 11]), Some(Value::Int(9)));
    assert_eq!(
        rig.read(&[0, 1, 0]),
        Some(Value::String("coap://127.0.0.1:5683"))
    );
    assert_eq!(rig.read(&[0, 1, 10]), Some(Value::Int(7)));
    // The Server instance, also in TLV, with its read-only SSID.
    let mut srv = tlv(3, 0, &[7]);
    srv.extend(tlv(3, 1, &[0x01, 0x2c]));
    srv.extend(tlv(3, 7, b"U"));
    assert_eq!(
        rig.code(RequestType::Put, "1/0", Some(TLV), &srv),
        ResponseType::Changed
    );
    assert_eq!(rig.read(&[1, 0, 1]), Some(Value::Int(300)));
    assert_eq!(rig.finish(), ResponseType::Changed);
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERING));
}

#[test]
fn bootstrap_read_is_limited_to_the_server_object() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    let r = rig.request(RequestType::Get, "1/0", None, Some(SENML_JSON), b"");
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Content));
    let body = String::from_utf8(r.payload.clone()).unwrap();
    assert!(body.contains("\"v\":7"), "{body}");
    let r = rig.request(RequestType::Get, "1", None, Some(SENML_JSON), b"");
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Content));
    for denied in ["0", "0/0", "3/0", "1/0/1"] {
        let r = rig.request(RequestType::Get, denied, None, None, b"");
        assert_eq!(
            r.header.code,
            MessageClass::Response(ResponseType::MethodNotAllowed),
            "{denied}"
        );
    }
}

#[test]
fn operations_outside_the_bootstrap_interface_are_405() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    // Execute, Create, Write-Attributes, Write-Composite.
    assert_eq!(
        rig.code(RequestType::Post, "1/0/8", None, b""),
        ResponseType::MethodNotAllowed
    );
    assert_eq!(
        rig.code(RequestType::Post, "1", Some(SENML_JSON), b"[]"),
        ResponseType::MethodNotAllowed
    );
    assert_eq!(
        rig.code(RequestType::Put, "1/0/1", None, b""),
        ResponseType::MethodNotAllowed
    );
    assert_eq!(
        rig.code(RequestType::IPatch, "", Some(SENML_JSON), b"[]"),
        ResponseType::MethodNotAllowed
    );
    // The session goes on.
    assert_eq!(rig.finish(), ResponseType::Changed);
}

#[test]
fn bootstrap_delete_keeps_the_bootstrap_server_account() {
    let mut rig = Rig::new(Opts {
        server_account: true,
        ..Opts::default()
    });
    // A configured client bootstraps on request.
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(path(&rig.take_sent().unwrap()), "rd");
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client.
    unsafe { crate::ffi::core::anj_core_request_bootstrap(anj) };
    rig.accept_bootstrap_request();
    assert_eq!(rig.instances(0), [0, 1]);
    assert_eq!(rig.instances(1), [0]);
    // Deleting the account by name is refused.
    assert_eq!(
        rig.code(RequestType::Delete, "0/0", None, b""),
        ResponseType::BadRequest
    );
    assert_eq!(
        rig.code(RequestType::Delete, "3/0", None, b""),
        ResponseType::BadRequest
    );
    assert_eq!(
        rig.code(RequestType::Delete, "", None, b""),
        ResponseType::Deleted
    );
    assert_eq!(rig.instances(0), [0]);
    assert_eq!(rig.instances(1), Vec::<u16>::new());
    assert_eq!(rig.instances(3), [0]);
    provision(&mut rig);
    assert_eq!(rig.finish(), ResponseType::Changed);
    assert_eq!(rig.read(&[1, 0, 0]), Some(Value::Int(7)));
}

#[test]
fn bootstrap_delete_of_one_object() {
    let mut rig = Rig::new(Opts {
        server_account: true,
        ..Opts::default()
    });
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    rig.take_sent();
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client.
    unsafe { crate::ffi::core::anj_core_request_bootstrap(anj) };
    rig.accept_bootstrap_request();
    assert_eq!(
        rig.code(RequestType::Delete, "0", None, b""),
        ResponseType::Deleted
    );
    assert_eq!(rig.instances(0), [0]);
    assert_eq!(rig.instances(1), [0]);
}

#[cfg(feature = "bootstrap-discover")]
#[test]
fn bootstrap_discover_lists_objects_instances_ssid_and_uri() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    let r = rig.request(RequestType::Get, "", None, Some(LINK), b"");
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Content));
    let body = String::from_utf8(r.payload.clone()).unwrap();
    let v = if cfg!(feature = "lwm2m12") {
        "1.2"
    } else {
        "1.1"
    };
    assert_eq!(
        body,
        format!(
            "</>;lwm2m={v},</0>;ver=1.0,</0/0>,</0/1>;ssid=7;uri=\"coap://127.0.0.1:5683\",\
             </1>;ver=1.2,</1/0>;ssid=7,</3>;ver=1.0,</3/0>"
        )
    );
    let r = rig.request(RequestType::Get, "1", None, Some(LINK), b"");
    let body = String::from_utf8(r.payload.clone()).unwrap();
    assert_eq!(body, format!("</>;lwm2m={v},</1>;ver=1.2,</1/0>;ssid=7"));
    let r = rig.request(RequestType::Get, "1/0", None, Some(LINK), b"");
    assert_eq!(
        r.header.code,
        MessageClass::Response(ResponseType::BadRequest)
    );
    let r = rig.request(RequestType::Get, "42", None, Some(LINK), b"");
    assert_eq!(
        r.header.code,
        MessageClass::Response(ResponseType::NotFound)
    );
}

#[test]
fn client_hold_off_time_delays_the_bootstrap_request() {
    let mut rig = Rig::new(Opts {
        hold_off: 12,
        ..Opts::default()
    });
    let t0 = rig.now;
    rig.step();
    assert_eq!(rig.status(), ANJ_CONN_STATUS_BOOTSTRAPPING);
    let now = rig.now;
    assert_eq!(
        {
            let a = rig.anj_ptr();
            // SAFETY (test): no other reference into the client is live.
            unsafe { crate::ffi::core::with_client_host(a, |c, h| c.next_step_at(now, h)) }
        },
        t0 + 12 * SEC
    );
    assert!(rig.run_until(20 * SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(rig.now - t0, 12 * SEC);
    assert_eq!(path(&rig.take_sent().unwrap()), "bs");
}

#[test]
fn a_silent_bootstrap_server_fails_the_session_after_bootstrap_timeout() {
    let mut rig = Rig::new(Opts {
        bs_timeout: 30 * SEC,
        ..Opts::default()
    });
    rig.accept_bootstrap_request();
    let (sec, _) = account_senml(1, 0, 7);
    rig.code(RequestType::Put, "0/1", Some(SENML_JSON), sec.as_bytes());
    let t0 = rig.now;
    assert_eq!(rig.instances(0), [0, 1]);
    assert!(rig.run_until(40 * SEC, |r| r.client().status() == ANJ_CONN_STATUS_FAILURE));
    let waited = rig.now - t0;
    assert!((30 * SEC..31 * SEC).contains(&waited), "{waited}");
    // Rolled back.
    assert_eq!(rig.instances(0), [0]);
}

#[test]
fn default_bootstrap_timeout_is_247_s() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    let t0 = rig.now;
    assert!(rig.run_until(300 * SEC, |r| r.client().status()
        == ANJ_CONN_STATUS_FAILURE));
    let waited = rig.now - t0;
    assert!((247 * SEC..248 * SEC).contains(&waited), "{waited}");
}

#[test]
fn retries_follow_the_configuration_with_exponential_backoff() {
    let mut rig = Rig::new(Opts {
        retry_count: 3,
        retry_timeout: 4 * SEC,
        ..Opts::default()
    });
    rig.link.refuse = true;
    let t0 = rig.now;
    assert!(rig.run_until(100 * SEC, |r| r.client().status()
        == ANJ_CONN_STATUS_FAILURE));
    // The first attempt and three retries, 4, 8 and 16 s apart.
    assert_eq!(rig.link.attempts.len(), 4);
    assert!(
        (28 * SEC..29 * SEC).contains(&(rig.now - t0)),
        "{}",
        rig.now - t0
    );
}

#[test]
fn a_rejected_bootstrap_request_is_retried() {
    let mut rig = Rig::new(Opts {
        retry_count: 1,
        retry_timeout: 2 * SEC,
        ..Opts::default()
    });
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let req = rig.take_sent().unwrap();
    rig.deliver(&ack(&req, ResponseType::BadRequest));
    assert!(rig.run_until(5 * SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(path(&rig.take_sent().unwrap()), "bs");
    assert_eq!(rig.link.connects.len(), 2);
}

#[test]
fn registration_failure_falls_back_to_bootstrap() {
    let mut rig = Rig::new(Opts {
        server_account: true,
        ..Opts::default()
    });
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    assert_eq!(path(&reg), "rd");
    assert_eq!(rig.link.connects, [DM]);
    // One attempt in one sequence (the rig's retry resources): a rejection is final.
    rig.deliver(&ack(&reg, ResponseType::Forbidden));
    rig.accept_bootstrap_request();
    assert_eq!(rig.link.connects, [DM, BS]);
}

#[test]
fn registration_failure_without_bootstrap_on_failure_is_final() {
    let mut rig = Rig::new(Opts {
        server_account: true,
        bootstrap_on_failure: false,
        ..Opts::default()
    });
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    rig.deliver(&ack(&reg, ResponseType::Forbidden));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_FAILURE));
    assert_eq!(rig.link.connects, [DM]);
}

#[test]
fn bootstrap_request_trigger_deregisters_then_bootstraps() {
    let mut rig = Rig::new(Opts {
        server_account: true,
        ..Opts::default()
    });
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    let mut created = ack(&reg, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"x1".to_vec());
    rig.deliver(&created);
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
    // The LwM2M Server executes /1/0/9.
    let exec = rig.code(RequestType::Post, "1/0/9", None, b"");
    assert_eq!(exec, ResponseType::Changed);
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let dereg = rig.take_sent().unwrap();
    assert_eq!(
        dereg.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    assert_eq!(path(&dereg), "rd/x1");
    rig.deliver(&ack(&dereg, ResponseType::Deleted));
    rig.accept_bootstrap_request();
    assert_eq!(rig.link.connects, [DM, BS]);
    // The old account is still there until the Bootstrap-Server changes it.
    provision(&mut rig);
    assert_eq!(rig.finish(), ResponseType::Changed);
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(path(&rig.take_sent().unwrap()), "rd");
    assert_eq!(rig.link.connects, [DM, BS, DM]);
}

#[test]
fn a_request_for_bootstrap_while_bootstrapping_is_ignored() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client.
    unsafe { crate::ffi::core::anj_core_request_bootstrap(anj) };
    rig.step();
    assert!(rig.link.sent.is_empty());
    assert_eq!(rig.link.connects.len(), 1);
    provision(&mut rig);
    assert_eq!(rig.finish(), ResponseType::Changed);
}

#[test]
fn without_any_account_the_client_is_invalid() {
    let mut rig = Rig::new(Opts::default());
    // Remove the Bootstrap-Server account before the first step.
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client, outside of any step.
    unsafe { crate::ffi::core::anj_dm_remove_obj(anj, 0) };
    rig.step();
    assert_eq!(rig.status(), ANJ_CONN_STATUS_INVALID);
}

/// Rewrites resources of the Bootstrap-Server account (/0/0) before the first step, as
/// the Security object's own transaction would.
#[cfg(feature = "security")]
fn rewrite_bootstrap_account(rig: &mut Rig, values: &[(u16, Value<'_>)]) {
    let anj = rig.anj_ptr();
    // SAFETY (test): no reference into the client is live.
    let reg = unsafe { &(*anj).inner.registry };
    let mut objs = crate::dm::CObjects::new(reg, anj, None);
    let c = crate::dm::object(&mut objs, 0).unwrap();
    assert_eq!(c.transaction_begin(), Ok(()));
    for (rid, v) in values {
        crate::dm::write_value(&mut objs, 0, &Path::new(&[0, 0, *rid]), v).unwrap();
    }
    let c = crate::dm::object(&mut objs, 0).unwrap();
    assert_eq!(c.transaction_validate(), Ok(()));
    c.transaction_end(true);
}

#[cfg(feature = "security")]
#[test]
fn a_psk_bootstrap_account_connects_with_its_credentials() {
    let mut rig = Rig::new(Opts::default());
    rewrite_bootstrap_account(
        &mut rig,
        &[
            (0, Value::String("coaps://127.0.0.1:5694")),
            (2, Value::Int(0)),
            (3, Value::Bytes(b"bs-id")),
            (5, Value::Bytes(b"bs-key")),
        ],
    );
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(rig.link.connects, ["coaps:127.0.0.1:5694"]);
    assert_eq!(rig.link.psk, Some((b"bs-id".to_vec(), b"bs-key".to_vec())));
}

#[cfg(feature = "certificates")]
#[test]
fn a_certificate_bootstrap_account_connects_with_its_certificates() {
    let mut rig = Rig::new(Opts::default());
    rewrite_bootstrap_account(
        &mut rig,
        &[
            (0, Value::String("coaps://127.0.0.1:5694")),
            (2, Value::Int(2)),
            (3, Value::Bytes(b"bs-client-cert")),
            (4, Value::Bytes(b"bs-server-cert")),
            (5, Value::Bytes(b"bs-client-key")),
        ],
    );
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(rig.link.connects, ["coaps:127.0.0.1:5694"]);
    assert_eq!(rig.link.psk, None);
    assert_eq!(
        rig.link.cert,
        Some((
            b"bs-client-cert".to_vec(),
            b"bs-client-key".to_vec(),
            b"bs-server-cert".to_vec()
        ))
    );
    assert_eq!(path(&rig.take_sent().unwrap()), "bs");
}

#[test]
fn a_restart_during_the_session_rolls_it_back() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    // A complete account, not finished.
    provision(&mut rig);
    assert_eq!(rig.instances(1), [0]);
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client.
    unsafe { crate::ffi::core::anj_core_restart(anj) };
    // The uncommitted account is gone: the client bootstraps again instead of
    // registering with it.
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(path(&rig.take_sent().unwrap()), "bs");
    assert_eq!(rig.instances(0), [0]);
    assert_eq!(rig.instances(1), Vec::<u16>::new());
    assert_eq!(rig.link.connects, [BS, BS]);
}

#[test]
fn an_object_removed_during_the_session_leaves_its_transaction() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    assert_eq!(rig.instances(1), [0]);
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client, outside of any step; the Server object's
    // storage stays alive in the rig.
    assert_eq!(unsafe { crate::ffi::core::anj_dm_remove_obj(anj, 1) }, 0);
    // Its transaction ended with a rollback: the created instance is gone.
    // SAFETY (test): the context the rig installed.
    let server = unsafe { &*(rig.server.ptr::<ServerObj>()) };
    assert!(server.instance().is_none());
    // Without a Server object there is no complete account.
    assert_eq!(rig.finish(), ResponseType::NotAcceptable);
}

#[test]
fn shutdown_during_the_session_rolls_it_back() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    assert_eq!(rig.instances(0), [0, 1]);
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client, outside of any step.
    assert_eq!(unsafe { crate::ffi::core::anj_core_shutdown(anj) }, 0);
    // SAFETY (test): the contexts the rig installed, alive in the rig.
    let server = unsafe { &*(rig.server.ptr::<ServerObj>()) };
    assert!(server.instance().is_none());
}

#[test]
fn bootstrap_write_replaces_a_multiple_instance_resource() {
    let mut rig = Rig::new(Opts::default());
    // An application object: /77/0 with 0 (RW int) and 3 (RW multi-instance bytes,
    // instances 0 and 1).
    let obj = super::dm_tests::TestObj::new(77, &[0], true, false);
    let anj = rig.anj_ptr();
    // SAFETY (test): the object outlives the rig's use of it (dropped at the end).
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, obj.obj_ptr()), 0);
        crate::ffi::core::apply_pending(anj);
    }
    rig.accept_bootstrap_request();
    assert_eq!(obj.riids(0), [0, 1]);
    let before = obj.data(0).value;

    // The instance, with resource 3 holding instance 5 only: 0 and 1 are gone, and
    // resource 0, which the payload does not name, keeps its value.
    let multi = tlv(2, 3, &tlv(1, 5, b"five"));
    assert_eq!(
        rig.code(RequestType::Put, "77/0", Some(TLV), &tlv(0, 0, &multi)),
        ResponseType::Changed
    );
    assert_eq!(obj.riids(0), [5]);
    assert_eq!(obj.blob(0, 5), b"five");
    assert_eq!(obj.data(0).value, before);

    // The resource itself: instances 1 and 2 replace 5.
    let mut insts = tlv(1, 1, b"one");
    insts.extend(tlv(1, 2, b"two"));
    assert_eq!(
        rig.code(RequestType::Put, "77/0/3", Some(TLV), &tlv(2, 3, &insts)),
        ResponseType::Changed
    );
    assert_eq!(obj.riids(0), [1, 2]);
    assert_eq!(
        (obj.blob(0, 1), obj.blob(0, 2)),
        (b"one".to_vec(), b"two".to_vec())
    );

    // A payload naming another instance than the path is refused, and creates nothing.
    assert_eq!(
        rig.code(
            RequestType::Put,
            "77/0",
            Some(TLV),
            &tlv(0, 1, &tlv(3, 0, &[1]))
        ),
        ResponseType::BadRequest
    );
    assert_eq!(obj.iids(), [0]);
    // SAFETY (test): no other reference into the client is live.
    unsafe { crate::ffi::core::with_client_host(anj, |c, h| c.bs_abort(h)) };
}

/// Sends `payload` to `uri` as a block-wise Bootstrap-Write (PUT) in blocks of
/// 2^(szx+4) bytes; the response code of each block.
fn bs_write_blocks(
    rig: &mut Rig,
    uri: &str,
    cf: usize,
    payload: &[u8],
    szx: usize,
) -> Vec<ResponseType> {
    let chunks: Vec<&[u8]> = payload.chunks(16 << szx).collect();
    let mut codes = vec![];
    for (num, chunk) in chunks.iter().enumerate() {
        let more = num + 1 < chunks.len();
        let block1 = (num << 4) | (usize::from(more) << 3) | szx;
        let resp = rig.request_with(RequestType::Put, uri, Some(cf), None, Some(block1), chunk);
        match resp.header.code {
            MessageClass::Response(r) => codes.push(r),
            other => panic!("{other:?}"),
        }
    }
    codes
}

fn continued_then(n: usize, last: ResponseType) -> Vec<ResponseType> {
    let mut v = vec![ResponseType::Continue; n - 1];
    v.push(last);
    v
}

#[test]
fn bootstrap_write_can_come_block_wise() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    // A new Server instance in SenML JSON, 16-byte blocks: every record is cut.
    let (_, srv) = account_senml(1, 0, 7);
    let codes = bs_write_blocks(&mut rig, "1/0", SENML_JSON, srv.as_bytes(), 0);
    assert!(codes.len() > 4);
    assert_eq!(codes, continued_then(codes.len(), ResponseType::Changed));
    assert_eq!(rig.read(&[1, 0, 0]), Some(Value::Int(7)));
    assert_eq!(rig.read(&[1, 0, 1]), Some(Value::Int(120)));
    assert_eq!(rig.read(&[1, 0, 7]), Some(Value::String("U")));
    // Another path in a later block than the first is refused, and what the request
    // had applied stays part of the session (it is rolled back with it, or not).
    let bad = br#"[{"bn":"/1/0/","n":"1","v":300},{"n":"/1/5/1","v":1}]"#;
    let codes = bs_write_blocks(&mut rig, "1/0", SENML_JSON, bad, 1);
    assert_eq!(codes.last(), Some(&ResponseType::BadRequest), "{codes:?}");
    assert_eq!(rig.instances(1), [0]);
    // Other operations do not come block-wise.
    let resp = rig.request_with(RequestType::Delete, "1", None, None, Some(2), b"");
    assert_eq!(
        resp.header.code,
        MessageClass::Response(ResponseType::RequestEntityTooLarge)
    );
    provision(&mut rig);
    assert_eq!(rig.finish(), ResponseType::Changed);
}

#[cfg(feature = "security")]
#[test]
fn a_certificate_sized_value_can_span_blocks_of_a_bootstrap_write() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    // /0/1 in TLV with a Server Public Key of the largest size the object takes, sent in
    // 64-byte blocks: the key's entry waits across several of them.
    let key: Vec<u8> = (0..crate::config::SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE)
        .map(|i| (i * 7) as u8)
        .collect();
    let mut inst = tlv(3, 0, b"coaps://127.0.0.1:5684");
    inst.extend(tlv(3, 1, &[0]));
    inst.extend(tlv(3, 2, &[2]));
    inst.extend(tlv(3, 4, &key));
    inst.extend(tlv(3, 10, &[7]));
    let payload = tlv(0, 1, &inst);
    let codes = bs_write_blocks(&mut rig, "0/1", TLV, &payload, 2);
    assert!(codes.len() > 4, "{} blocks", codes.len());
    assert_eq!(codes, continued_then(codes.len(), ResponseType::Changed));
    assert_eq!(rig.read(&[0, 1, 4]), Some(Value::Bytes(key.leak())));
    assert_eq!(rig.read(&[0, 1, 10]), Some(Value::Int(7)));
}

#[test]
fn an_rpk_account_is_accepted_at_finish_only_with_rpk() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    let mut inst = tlv(3, 0, b"coaps://127.0.0.1:5684");
    inst.extend(tlv(3, 1, &[0]));
    inst.extend(tlv(3, 2, &[1])); // Security Mode 1: raw public keys
    inst.extend(tlv(3, 10, &[7]));
    assert_eq!(
        rig.code(RequestType::Put, "0/1", Some(TLV), &tlv(0, 1, &inst)),
        ResponseType::Changed
    );
    let (_, srv) = account_senml(1, 0, 7);
    assert_eq!(
        rig.code(RequestType::Put, "1/0", Some(SENML_JSON), srv.as_bytes()),
        ResponseType::Changed
    );
    let want = if cfg!(feature = "rpk") {
        ResponseType::Changed
    } else {
        // A mode this build cannot connect with is not a usable account.
        ResponseType::NotAcceptable
    };
    assert_eq!(rig.finish(), want);
}

/// A Security /0/1 + Server /1/0 (SSID 7) account on coaps://127.0.0.1:5684 in SenML
/// JSON, in Security Mode `mode` with `identity` (/0/1/3) and `secret` (/0/1/5), and
/// `server_key` (/0/1/4), all base64url as SenML JSON has them.
#[cfg(feature = "security")]
fn provision_secure(rig: &mut Rig, mode: u8, identity: &str, server_key: &str, secret: &str) {
    let sec = format!(
        "[{{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coaps://127.0.0.1:5684\"}},\
         {{\"n\":\"1\",\"vb\":false}},{{\"n\":\"2\",\"v\":{mode}}},\
         {{\"n\":\"3\",\"vd\":\"{identity}\"}},{{\"n\":\"4\",\"vd\":\"{server_key}\"}},\
         {{\"n\":\"5\",\"vd\":\"{secret}\"}},{{\"n\":\"10\",\"v\":7}}]"
    );
    let srv = "[{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":7},{\"n\":\"1\",\"v\":120},\
               {\"n\":\"7\",\"vs\":\"U\"}]";
    assert_eq!(
        rig.code(RequestType::Put, "0/1", Some(SENML_JSON), sec.as_bytes()),
        ResponseType::Changed
    );
    assert_eq!(
        rig.code(RequestType::Put, "1/0", Some(SENML_JSON), srv.as_bytes()),
        ResponseType::Changed
    );
}

/// Bootstraps from the secure Bootstrap-Server account already written, provisions
/// with `provision`, finishes, and returns once the Register went out.
#[cfg(feature = "security")]
fn bootstrap_then_register(rig: &mut Rig, provision: impl FnOnce(&mut Rig)) {
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let req = rig.take_sent().unwrap();
    assert_eq!(path(&req), "bs");
    rig.deliver(&ack(&req, ResponseType::Changed));
    rig.step();
    provision(rig);
    assert_eq!(rig.finish(), ResponseType::Changed);
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    assert_eq!(path(&reg), "rd");
    assert_eq!(
        rig.link.connects,
        ["coaps:127.0.0.1:5694", "coaps:127.0.0.1:5684"]
    );
}

// Issue 12, bug 1: the registration went out over the context made for the
// Bootstrap-Server, so the LwM2M Server was shown the Bootstrap-Server's identity.
#[cfg(feature = "security")]
#[test]
fn the_provisioned_psk_account_connects_with_its_own_identity_not_the_bootstrap_one() {
    let mut rig = Rig::new(Opts::default());
    rewrite_bootstrap_account(
        &mut rig,
        &[
            (0, Value::String("coaps://127.0.0.1:5694")),
            (2, Value::Int(0)),
            (3, Value::Bytes(b"bs-id")),
            (5, Value::Bytes(b"bs-key")),
        ],
    );
    // "dm-id" and "dm-key" in base64url.
    bootstrap_then_register(&mut rig, |r| {
        provision_secure(r, 0, "ZG0taWQ", "", "ZG0ta2V5")
    });
    let presented = &rig.link.presented;
    assert_eq!(presented.len(), 2, "{presented:?}");
    assert_eq!(presented[0], b"bs-id".to_vec());
    if presented[1].starts_with(b"ext:") {
        // Finish moved the new credentials to the external crypto storage.
        assert_ne!(presented[1], presented[0]);
    } else {
        assert_eq!(rig.link.psk, Some((b"dm-id".to_vec(), b"dm-key".to_vec())));
        assert_eq!(presented[1], b"dm-id".to_vec());
    }
}

#[cfg(feature = "certificates")]
#[test]
fn the_provisioned_certificate_account_connects_with_its_own_certificate() {
    let mut rig = Rig::new(Opts::default());
    rewrite_bootstrap_account(
        &mut rig,
        &[
            (0, Value::String("coaps://127.0.0.1:5694")),
            (2, Value::Int(2)),
            (3, Value::Bytes(b"bs-client-cert")),
            (4, Value::Bytes(b"bs-server-cert")),
            (5, Value::Bytes(b"bs-client-key")),
        ],
    );
    // "dm-cert", "dm-srv" and "dm-key" in base64url.
    bootstrap_then_register(&mut rig, |r| {
        provision_secure(r, 2, "ZG0tY2VydA", "ZG0tc3J2", "ZG0ta2V5")
    });
    assert_eq!(
        rig.link.cert,
        Some((b"dm-cert".to_vec(), b"dm-key".to_vec(), b"dm-srv".to_vec()))
    );
    assert_eq!(
        rig.link.presented,
        [b"bs-client-cert".to_vec(), b"dm-cert".to_vec()]
    );
}

// After a registration fails over to the Bootstrap-Server, and back: each connect
// presents its own account's credentials.
#[cfg(feature = "security")]
#[test]
fn falling_back_to_bootstrap_and_back_never_mixes_the_credentials() {
    let mut rig = Rig::new(Opts::default());
    rewrite_bootstrap_account(
        &mut rig,
        &[
            (0, Value::String("coaps://127.0.0.1:5694")),
            (2, Value::Int(0)),
            (3, Value::Bytes(b"bs-id")),
            (5, Value::Bytes(b"bs-key")),
        ],
    );
    bootstrap_then_register(&mut rig, |r| {
        provision_secure(r, 0, "ZG0taWQ", "", "ZG0ta2V5")
    });
    // The Register is never answered: retries, then sequences, then the Bootstrap.
    assert!(rig.run_until(3600 * SEC, |r| {
        r.link.sent.clear();
        r.link.connects.last().map(String::as_str) == Some("coaps:127.0.0.1:5694")
    }));
    // (With the external crypto storage, Finish may have moved both accounts'
    // credentials there: then they are compared by reference.)
    let presented = &rig.link.presented;
    let n = presented.len();
    assert!(n >= 3, "{presented:?}");
    let (bs, dm, bs_again) = (&presented[0], &presented[1], &presented[n - 1]);
    assert_eq!(bs, &b"bs-id".to_vec());
    assert!(presented[1..n - 1].iter().all(|c| c == dm), "{presented:?}");
    assert!(dm != bs && dm != bs_again, "{presented:?}");
    if !dm.starts_with(b"ext:") {
        assert_eq!(dm, &b"dm-id".to_vec());
        assert_eq!(bs_again, &b"bs-id".to_vec());
    }
}

// Issue 12, bug 7 (Anjay Lite's test_ets.py::test_int_0): a Bootstrap-Write of an
// existing Object Instance replaces it, like a Write-Replace: what the payload leaves
// out goes back to its default. /0/0, the Bootstrap-Server account, rewritten without
// /0/0/1 becomes an LwM2M Server account (Bootstrap-Server false), and Finish accepts
// the configuration.
#[test]
fn bootstrap_write_of_an_existing_instance_replaces_it() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    assert_eq!(rig.read(&[0, 0, 1]), Some(Value::Bool(true)));
    let sec = "[{\"bn\":\"/0/0/\",\"n\":\"0\",\"vs\":\"coap://127.0.0.1:5683\"},\
               {\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":67}]";
    assert_eq!(
        rig.code(RequestType::Put, "0/0", Some(SENML_JSON), sec.as_bytes()),
        ResponseType::Changed
    );
    assert_eq!(rig.read(&[0, 0, 1]), Some(Value::Bool(false)));
    let srv = "[{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":67},{\"n\":\"1\",\"v\":60},\
               {\"n\":\"7\",\"vs\":\"U\"},{\"n\":\"6\",\"vb\":false}]";
    assert_eq!(
        rig.code(RequestType::Put, "1/0", Some(SENML_JSON), srv.as_bytes()),
        ResponseType::Changed
    );
    // The Server instance, rewritten with only its SSID, loses the Lifetime written
    // before (back to the default of a new instance).
    let srv = "[{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":67}]";
    assert_eq!(
        rig.code(RequestType::Put, "1/0", Some(SENML_JSON), srv.as_bytes()),
        ResponseType::Changed
    );
    assert_eq!(rig.read(&[1, 0, 1]), Some(Value::Int(86400)));
    assert_eq!(rig.finish(), ResponseType::Changed);
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    assert_eq!(path(&reg), "rd");
    assert_eq!(rig.link.connects.last().map(String::as_str), Some(DM));
}

// A Bootstrap-Write of one Resource is no replace: the rest of the instance stays.
#[test]
fn bootstrap_write_of_a_resource_keeps_the_rest_of_its_instance() {
    let mut rig = Rig::new(Opts::default());
    rig.accept_bootstrap_request();
    provision(&mut rig);
    assert_eq!(
        rig.code(
            RequestType::Put,
            "1/0/1",
            Some(SENML_JSON),
            b"[{\"bn\":\"/1/0/1\",\"v\":300}]"
        ),
        ResponseType::Changed
    );
    assert_eq!(rig.read(&[1, 0, 1]), Some(Value::Int(300)));
    assert_eq!(rig.read(&[1, 0, 0]), Some(Value::Int(7)));
    assert_eq!(rig.read(&[0, 0, 1]), Some(Value::Bool(true)));
}
