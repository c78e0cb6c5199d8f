use super::*;
use crate::ntp::object::NtpResources;

#[test]
fn crc32_known_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn slices_and_directions() {
    let mut buf = [0u8; 8];
    let mut w = SliceWriter::new(&mut buf);
    w.put(b"abc").unwrap();
    assert!(w.get(&mut [0u8; 1]).is_err(), "a writer does not read");
    assert!(w.put(&[0u8; 6]).is_err(), "past the end");
    assert_eq!(w.written(), b"abc");
    let mut r = SliceReader::new(&buf[..3]);
    let mut got = [0u8; 2];
    r.get(&mut got).unwrap();
    assert_eq!((&got, r.position()), (b"ab", 2));
    assert!(r.put(b"x").is_err(), "a reader does not write");
    assert!(r.get(&mut got).is_err(), "past the end");
}

#[test]
fn magic_and_string() {
    let mut buf = [0u8; 64];
    let mut w = SliceWriter::new(&mut buf);
    magic(&mut w, b"MG").unwrap();
    store_string(&mut w, b"hello").unwrap();
    assert!(magic(&mut w, &[0u8; MAGIC_MAX_SIZE + 1]).is_err());
    assert!(magic(&mut w, b"").is_err());
    let n = w.written().len();
    assert_eq!(n, 2 + 8 + 5);
    let mut r = SliceReader::new(&buf[..n]);
    magic(&mut r, b"MG").unwrap();
    let mut out = [0xAAu8; 8];
    assert_eq!(restore_string(&mut r, &mut out), Ok(5));
    assert_eq!(&out[..6], b"hello\0");
    let mut r = SliceReader::new(&buf[..n]);
    assert!(magic(&mut r, b"MX").is_err());
    let mut r = SliceReader::new(&buf[2..n]);
    assert!(
        restore_string(&mut r, &mut [0u8; 5]).is_err(),
        "no room for the NUL"
    );
}

#[test]
fn record_detects_corruption() {
    let mut buf = [0u8; 32];
    let mut w = SliceWriter::new(&mut buf);
    w.record(b"TAG1", &mut [1, 2, 3, 4]).unwrap();
    let n = w.written().len();
    assert_eq!(n, 4 + 4 + 4);
    let mut p = [0u8; 4];
    SliceReader::new(&buf[..n]).record(b"TAG1", &mut p).unwrap();
    assert_eq!(p, [1, 2, 3, 4]);
    for i in 0..n {
        buf[i] ^= 0x40;
        let r = SliceReader::new(&buf[..n]).record(b"TAG1", &mut p);
        assert!(r.is_err(), "flip at {i}");
        buf[i] ^= 0x40;
    }
    assert!(SliceReader::new(&buf[..n]).record(b"TAG2", &mut p).is_err());
    assert!(SliceReader::new(&buf[..n - 1])
        .record(b"TAG1", &mut p)
        .is_err());
}

#[test]
fn stream_round_trip_and_checks() {
    let mut buf = [0u8; 64];
    let mut w = SliceWriter::new(&mut buf);
    let mut s = Stream::begin(&mut w, b"TG").unwrap();
    s.u8(&mut 7).unwrap();
    s.u16(&mut 0x1234).unwrap();
    s.u32(&mut 0xdead_beef).unwrap();
    s.bool(&mut true).unwrap();
    s.sized(&mut [b'a', b'b', b'c', 0, 0], &mut 3).unwrap();
    s.finish().unwrap();
    let n = w.written().len();
    assert_eq!(n, 2 + 8 + 2 + 3 + 4);
    let crc = u32::from_le_bytes(buf[n - 4..n].try_into().unwrap());
    assert_eq!(crc, crc32(&buf[2..n - 4]));
    let read = |data: &[u8], cap: usize| {
        let mut r = SliceReader::new(data);
        let mut s = Stream::begin(&mut r, b"TG")?;
        let (mut a, mut b, mut c, mut d, mut len) = (0u8, 0u16, 0u32, false, 0u16);
        let mut f = [0u8; 8];
        s.u8(&mut a)?;
        s.u16(&mut b)?;
        s.u32(&mut c)?;
        s.bool(&mut d)?;
        s.sized(&mut f[..cap], &mut len)?;
        s.finish()?;
        Ok::<_, PersistError>((a, b, c, d, f, len, r.position()))
    };
    let (a, b, c, d, f, len, pos) = read(&buf[..n], 8).unwrap();
    assert_eq!(
        (a, b, c, d, &f[..len as usize], pos),
        (7, 0x1234, 0xdead_beef, true, &b"abc"[..], n)
    );
    assert!(read(&buf[..n], 2).is_err(), "longer than the destination");
    let mut bad = buf;
    bad[9] = 2;
    assert!(read(&bad[..n], 8).is_err(), "a boolean of 2");
    bad = buf;
    bad[4] ^= 1;
    assert!(read(&bad[..n], 8).is_err(), "checksum");
}

type Srv = server::ServerRecord<5>;

fn server_rec() -> Srv {
    Srv {
        iid: 3,
        ssid: 7,
        lifetime: 120,
        default_pmin: 1,
        default_pmax: 2,
        disable_timeout: 86400,
        retry_count: 5,
        retry_timer: 60,
        seq_delay_timer: 86400,
        seq_retry_count: 1,
        binding: *b"UT\0\0\0",
        notification_storing: true,
        bootstrap_on_failure: false,
        mute_send: true,
        default_notification_mode: 1,
    }
}

#[test]
fn server_record_round_trip_and_form_checks() {
    let mut buf = [0u8; 128];
    let mut w = SliceWriter::new(&mut buf);
    server::store(&mut w, &server_rec()).unwrap();
    let n = w.written().len();
    assert_eq!(n, server::MAGIC.len() + Srv::LEN + 4);
    assert_eq!(Srv::LEN, 2 + 2 + 16 + 2 + 4 + 4 + 2 + 5 + 4);
    let got: Srv = server::restore(&mut SliceReader::new(&buf[..n])).unwrap();
    assert_eq!(got, server_rec());
    assert_eq!(got.binding(), b"UT");
    for i in 0..n {
        buf[i] ^= 0x08;
        assert!(server::restore::<_, 5>(&mut SliceReader::new(&buf[..n])).is_err());
        buf[i] ^= 0x08;
    }
    let bad: [fn(&mut Srv); 3] = [
        |d| d.iid = u16::MAX,
        |d| d.binding = *b"U\0T\0\0",
        |d| d.default_notification_mode = 2,
    ];
    for f in bad {
        let mut d = server_rec();
        f(&mut d);
        let mut p = [0u8; Srv::LEN];
        d.encode(&mut p);
        assert!(Srv::decode(&p).is_none());
    }
    let mut p = [0u8; Srv::LEN];
    server_rec().encode(&mut p);
    p[Srv::LEN - 3] = 2;
    assert!(Srv::decode(&p).is_none(), "a boolean of 2");
    assert!(Srv::decode(&p[1..]).is_none(), "short payload");
}

#[test]
fn ntp_record_round_trip() {
    let r = NtpResources::new(b"127.0.0.1:9", b"time.example", 24).unwrap();
    let mut buf = [0u8; 128];
    let mut w = SliceWriter::new(&mut buf);
    ntp::store(&mut w, &r).unwrap();
    let n = w.written().len();
    assert_eq!(n, ntp::MAGIC.len() + ntp::LEN + 4);
    assert_eq!(ntp::restore(&mut SliceReader::new(&buf[..n])), Ok(r));
    let mut p = ntp::encode(&r);
    assert_eq!(ntp::decode(&p), Some(r));
    p[4] ^= 1;
    assert_eq!(ntp::decode(&p), None, "another address size");
    let mut p = ntp::encode(&r);
    p[6] = 0;
    assert_eq!(ntp::decode(&p), None, "empty server");
    let mut p = ntp::encode(&r);
    p[6 + 12] = b'x';
    assert_eq!(ntp::decode(&p), None, "bytes after the NUL");
}

/// The layouts, byte by byte as the module documentation gives them (the on-disk format
/// must not change).
#[test]
fn golden_bytes() {
    let mut buf = [0u8; 128];
    let mut w = SliceWriter::new(&mut buf);
    server::store(&mut w, &server_rec()).unwrap();
    let mut expect = b"ANJRS/SRV\x01".to_vec();
    expect.extend_from_slice(&[3, 0, 7, 0, 120, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
    expect.extend_from_slice(&[0x80, 0x51, 1, 0, 5, 0, 60, 0, 0, 0, 0x80, 0x51, 1, 0, 1, 0]);
    expect.extend_from_slice(b"UT\0\0\0\x01\x00\x01\x01");
    let crc = crc32(&expect[10..]);
    expect.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(w.written(), &expect[..]);

    let r = NtpResources::new(b"a:1", b"", 0x0102_0304).unwrap();
    let mut w = SliceWriter::new(&mut buf);
    ntp::store(&mut w, &r).unwrap();
    let mut expect = b"ANJRS/NTP\x01".to_vec();
    expect.extend_from_slice(&[4, 3, 2, 1]);
    expect.extend_from_slice(&(crate::ntp::object::ADDR_LEN as u16).to_le_bytes());
    let mut addrs = [0u8; 2 * crate::ntp::object::ADDR_LEN];
    addrs[..3].copy_from_slice(b"a:1");
    expect.extend_from_slice(&addrs);
    let crc = crc32(&expect[10..]);
    expect.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(w.written(), &expect[..]);
}

#[test]
fn security_instance_layout_and_checks() {
    use security::*;
    let (mut iid, mut ssid, mut hold_off, mut bs, mut mode) = (3u16, 7u16, 42u32, false, 0u8);
    let mut uri = [0u8; 16];
    uri[..6].copy_from_slice(b"coap:/");
    let mut uri_len = 6u16;
    let (mut id, mut id_len) = ([b'i', b'd', 0, 0], 2u16);
    let (mut key, mut key_len) = ([0u8; 4], 0u16);
    let (mut sec, mut sec_len) = ([9u8, 8, 7, 0], 3u16);
    let mut sni = *b"sn\0\0";
    let mut usage = 2u8;
    let mut buf = [0u8; 128];
    let mut w = SliceWriter::new(&mut buf);
    let tag = magic(parts::CREDENTIALS | parts::CERTIFICATES);
    let mut s = Stream::begin(&mut w, &tag).unwrap();
    s.u8(&mut 1).unwrap();
    instance(
        &mut s,
        InstanceFields {
            iid: &mut iid,
            ssid: &mut ssid,
            hold_off: &mut hold_off,
            bootstrap_server: &mut bs,
            mode: &mut mode,
            uri: &mut uri,
            uri_len: &mut uri_len,
            credentials: Some(Credentials {
                identity: (&mut id, &mut id_len),
                server_key: (&mut key, &mut key_len),
                secret: (&mut sec, &mut sec_len),
                sni: &mut sni,
            }),
            certificate_usage: Some(&mut usage),
        },
    )
    .unwrap();
    s.finish().unwrap();
    let n = w.written().len();
    let mut expect = b"ANJRS/SEC\x01\x03\x01".to_vec();
    expect.extend_from_slice(&[3, 0, 7, 0, 42, 0, 0, 0, 0, 0, 6, 0]);
    expect.extend_from_slice(b"coap:/");
    expect.extend_from_slice(&[2, 0, b'i', b'd', 0, 0, 3, 0, 9, 8, 7, 2, 0, b's', b'n', 2]);
    let crc = crc32(&expect[11..]);
    expect.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(&buf[..n], &expect[..]);

    // Back, into an empty scratch instance; then a Certificate Usage of 4 is refused.
    let restore = |data: &[u8], cap: usize| {
        let (mut iid, mut ssid, mut hold_off, mut bs, mut mode) = (0u16, 0u16, 0u32, true, 9u8);
        let (mut uri, mut uri_len) = ([0u8; 16], 0u16);
        let (mut id, mut id_len) = ([0u8; 4], 0u16);
        let (mut key, mut key_len) = ([0u8; 4], 0u16);
        let (mut sec, mut sec_len) = ([0u8; 4], 0u16);
        let (mut sni, mut usage) = ([0u8; 4], 0u8);
        let mut r = SliceReader::new(data);
        let mut s = Stream::begin(&mut r, &tag)?;
        s.u8(&mut 0)?;
        instance(
            &mut s,
            InstanceFields {
                iid: &mut iid,
                ssid: &mut ssid,
                hold_off: &mut hold_off,
                bootstrap_server: &mut bs,
                mode: &mut mode,
                uri: &mut uri[..cap],
                uri_len: &mut uri_len,
                credentials: Some(Credentials {
                    identity: (&mut id, &mut id_len),
                    server_key: (&mut key, &mut key_len),
                    secret: (&mut sec, &mut sec_len),
                    sni: &mut sni,
                }),
                certificate_usage: Some(&mut usage),
            },
        )?;
        s.finish()?;
        Ok::<_, PersistError>((iid, ssid, hold_off, bs, mode, uri, id_len, sec, sni, usage))
    };
    let got = restore(&buf[..n], 16).unwrap();
    assert_eq!(got.0, 3);
    assert_eq!((got.1, got.2, got.3, got.4), (7, 42, false, 0));
    assert_eq!(&got.5[..7], b"coap:/\0");
    assert_eq!(
        (got.6, got.7, got.8, got.9),
        (2, [9, 8, 7, 0], *b"sn\0\0", 2)
    );
    assert!(
        restore(&buf[..n], 6).is_err(),
        "the URI needs room for its NUL"
    );
    let mut bad = expect.clone();
    let at = bad.len() - 5;
    bad[at] = 4;
    let crc = crc32(&bad[11..bad.len() - 4]);
    let end = bad.len() - 4;
    bad[end..].copy_from_slice(&crc.to_le_bytes());
    assert!(restore(&bad, 16).is_err(), "Certificate Usage 4");
}
