//! The Rust API end to end, with objects written in Rust (the core's Security and Server
//! objects and a test object) over the scripted link: no C, no `unsafe`.

use std::string::String;
use std::vec::Vec;
use std::{format, vec};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::{Change, Client, Config, ConnStatus, Event};
use crate::dm::object::{ResKind, Resource, WriteValue};
use crate::dm::{DmError, DmResult, Object};
use crate::io::value::{DataType, Path, Value};
use crate::objects::builtin::ServerInstance;
use crate::objects::security::{DefaultPolicy, SecurityInstance, SecurityObject};
use crate::objects::server::ServerObject;
use crate::test_support::coap::{ack, path, queries};
use crate::test_support::ScriptedLink;
use crate::time::SEC;

/// A test object /5000 with one instance: resource 1, a readable and writable integer.
struct Counter {
    value: i64,
}

impl Object for Counter {
    fn oid(&self) -> u16 {
        5000
    }
    fn instance_id(&self, index: usize) -> Option<u16> {
        (index == 0).then_some(0)
    }
    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        (iid == 0 && index == 0).then(|| Resource::new(1, ResKind::RW, DataType::Int))
    }
    fn read(&mut self, _iid: u16, _res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
        Ok(Value::Int(self.value))
    }
    fn write(
        &mut self,
        _iid: u16,
        _rid: u16,
        _riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        match value {
            WriteValue::Whole(Value::Int(v)) => {
                self.value = *v;
                Ok(())
            }
            _ => Err(DmError::BAD_REQUEST),
        }
    }
}

fn security() -> SecurityObject<1, 0> {
    let mut s = SecurityObject::new((), DefaultPolicy);
    let mut d = SecurityInstance::empty(());
    let uri = b"coap://127.0.0.1:5683";
    d.uri[..uri.len()].copy_from_slice(uri);
    d.uri_len = uri.len() as u16;
    d.ssid = 1;
    s.add_instance(d, Some(0)).expect("a NoSec account");
    s
}

fn server() -> ServerObject {
    let mut s = ServerObject::new(false);
    let d = ServerInstance {
        iid: 0,
        ssid: 1,
        lifetime: 60,
        ..ServerInstance::EMPTY
    };
    s.add_instance(d, b"U").expect("a Server instance");
    s
}

/// A confirmable request from the server.
fn request(code: RequestType, uri: &str, mid: u16, payload: &[u8]) -> Packet {
    let mut p = Packet::new();
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(code);
    p.header.message_id = mid;
    p.set_token(vec![7, mid as u8]);
    for seg in uri.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
    }
    if payload.is_empty() {
        // Accept: text/plain (without it a Read is answered in LwM2M CBOR).
        p.add_option(CoapOption::Accept, vec![]);
    } else {
        p.add_option(CoapOption::ContentFormat, vec![]);
        p.payload = payload.to_vec();
    }
    p
}

#[test]
fn a_rust_application_registers_and_serves_reads_and_writes() {
    let (mut sec, mut srv, mut counter) = (security(), server(), Counter { value: 41 });
    let mut link: ScriptedLink = ScriptedLink::new(7);
    let mut client = Client::new(Config::new("urn:dev:rust"));
    let mut now = 0;
    macro_rules! step {
        () => {{
            let mut objects: [&mut dyn Object; 3] = [&mut counter, &mut srv, &mut sec];
            client.step(now, &mut objects, &mut link);
        }};
    }

    // Register: the endpoint name, the lifetime, the objects in OID order without /0.
    step!();
    assert_eq!(link.connects, ["coap:127.0.0.1:5683"]);
    let reg = link.take_sent_packet().expect("Register");
    assert_eq!(path(&reg), "rd");
    assert!(queries(&reg).contains(&String::from("ep=urn:dev:rust")));
    assert!(queries(&reg).contains(&String::from("lt=60")));
    let server_version = if cfg!(feature = "lwm2m12") {
        "1.2"
    } else {
        "1.1"
    };
    let links = format!("</1>;ver={server_version},</1/0>,</5000>,</5000/0>");
    assert_eq!(String::from_utf8_lossy(&reg.payload), links);
    let mut created = ack(&reg, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"r1".to_vec());
    link.deliver(&created.to_bytes().unwrap());
    now += SEC / 10;
    step!();
    assert_eq!(client.status(), ConnStatus::Registered);
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    assert_eq!(
        events,
        [
            Event::Status(ConnStatus::Registering),
            Event::Status(ConnStatus::Registered)
        ]
    );

    // Read and Write of the application's object.
    link.deliver(
        &request(RequestType::Get, "/5000/0/1", 100, b"")
            .to_bytes()
            .unwrap(),
    );
    now += SEC / 10;
    step!();
    let read = link.take_sent_packet().expect("the Read response");
    assert_eq!(
        read.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    assert_eq!(read.payload, b"41");
    link.deliver(
        &request(RequestType::Put, "/5000/0/1", 101, b"42")
            .to_bytes()
            .unwrap(),
    );
    now += SEC / 10;
    step!();
    let write = link.take_sent_packet().expect("the Write response");
    assert_eq!(
        write.header.code,
        MessageClass::Response(ResponseType::Changed)
    );
    assert_eq!(counter.value, 42);

    // The Security object is not the server's to read.
    link.deliver(
        &request(RequestType::Get, "/0/0/0", 102, b"")
            .to_bytes()
            .unwrap(),
    );
    now += SEC / 10;
    step!();
    let denied = link.take_sent_packet().expect("the refusal");
    assert_eq!(
        denied.header.code,
        MessageClass::Response(ResponseType::Unauthorized)
    );

    // The application's own change of the Lifetime goes to the server with an Update.
    client.data_model_changed(&Path::new(&[1, 0, 1]), Change::ValueChanged);
    assert_eq!(client.poll_at(now), now);
    now += SEC / 10;
    step!();
    let update = link.take_sent_packet().expect("an Update");
    assert_eq!(path(&update), "rd/r1");
    assert_eq!(update.header.code, MessageClass::Request(RequestType::Post));
}
