//! Firmware Update pull for this example: the application's side ([`FwEnv`]) of the core's
//! Firmware Update object. A Package URI the server writes is downloaded with the core's
//! CoAP [`Downloader`] over a second [`UdpLink`], into the image file; Update "installs"
//! it by logging and copying the image to the installed-firmware file.
//!
//! The main loop drives it: [`FotaApp::step`] runs the download (its result goes to
//! `FwUpdateObject::set_download_result`), [`FotaApp::take_install`] performs a requested
//! update (its result goes to `FwUpdateObject::set_update_result`), and
//! [`FotaApp::take_changed`] gives the resources of /5/0 whose values changed, for the
//! client's observations.

use std::cell::Cell;
use std::fs::{self, File};
use std::io::Write;
use std::path::PathBuf;

use anj_core::download::{self, Downloader, Settings, Status};
use anj_core::exchange::TxParams;
use anj_core::link::Link;
use anj_core::objects::fw_update::{result, FwEnv};
use anj_core::time::{Instant, MS};

use crate::udp_link::UdpLink;

/// The downloader's message buffer (`ANJ_COAP_DOWNLOADER_MAX_MSG_SIZE`'s default).
const MSG_SIZE: usize = 1200;

/// How a failed download maps to an Update Result (as the C example does).
pub fn download_error_result(e: i32, received: u64) -> i8 {
    use download::Error as E;
    match e {
        x if x == E::EtagMismatch.code() => result::INTEGRITY_FAILURE,
        x if x == E::Network.code() || x == E::Timeout.code() => result::CONNECTION_LOST,
        x if x == E::InvalidUri.code() => result::INVALID_URI,
        // A 4.04 (or other error response) before any data: the URI names nothing.
        x if x == E::InvalidResponse.code() && received == 0 => result::INVALID_URI,
        _ => result::FAILED,
    }
}

/// CRC-32 (IEEE), for the package's version string.
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    crc = !crc;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

pub struct FotaApp {
    image_path: PathBuf,
    installed_path: PathBuf,
    downloader: Downloader,
    link: UdpLink,
    buf: Vec<u8>,
    /// The URI of the download under way (without NUL).
    uri: Vec<u8>,
    file: Option<File>,
    received: u64,
    crc: u32,
    name: String,
    version: String,
    install_requested: bool,
    changed: Vec<u16>,
}

impl FotaApp {
    /// `image_path`: where a download goes; `installed_path`: where Update copies it.
    pub fn new(image_path: PathBuf, installed_path: PathBuf) -> FotaApp {
        FotaApp {
            image_path,
            installed_path,
            downloader: Downloader::new(Settings {
                tx: TxParams::DEFAULT,
                retry_count: 3,
                retry_delay: 1000 * MS,
            }),
            link: UdpLink::new(),
            buf: vec![0; MSG_SIZE],
            uri: Vec::new(),
            file: None,
            received: 0,
            crc: 0,
            name: String::new(),
            version: String::new(),
            install_requested: false,
            changed: Vec::new(),
        }
    }

    /// Whether a download is under way (the main loop then steps often).
    pub fn downloading(&self) -> bool {
        !self.uri.is_empty()
    }

    /// Runs the download for one step: `Some(result)` when it ended
    /// ([`result::SUCCESS`] or why it failed).
    pub fn step(&mut self, now: Instant) -> Option<i8> {
        if self.uri.is_empty() {
            return None;
        }
        self.downloader.begin_step(now);
        let mut outcome = None;
        while let Some(ev) = self
            .downloader
            .poll(&mut self.link, &self.uri, &mut self.buf)
        {
            match (ev.status, ev.data) {
                (Status::Downloading, Some((off, len))) => {
                    let data = &self.buf[off..off + len];
                    let ok = self
                        .file
                        .as_mut()
                        .is_some_and(|f| f.write_all(data).is_ok());
                    if !ok {
                        eprintln!("FW WRITE FAILED at {}", self.received);
                        self.downloader.terminate();
                        outcome = Some(result::NOT_ENOUGH_SPACE);
                        continue;
                    }
                    self.received += len as u64;
                    self.crc = crc32_update(self.crc, data);
                }
                (Status::Finished, _) => {
                    self.name = self.download_name();
                    self.version = format!("crc32-{:08x}", self.crc);
                    println!("FW DOWNLOADED {} {}", self.received, self.version);
                    self.file = None;
                    outcome = Some(result::SUCCESS);
                }
                (Status::Failed, _) => {
                    let r = outcome.unwrap_or_else(|| {
                        download_error_result(self.downloader.error_code(), self.received)
                    });
                    println!(
                        "FW DOWNLOAD FAILED error={} result={}",
                        self.downloader.error_code(),
                        r
                    );
                    outcome = Some(r);
                }
                _ => {}
            }
        }
        if outcome.is_some() {
            self.uri.clear();
        }
        outcome
    }

    fn download_name(&self) -> String {
        let uri = String::from_utf8_lossy(&self.uri);
        let path = uri.split(['?', '#']).next().unwrap_or("");
        path.rsplit('/').next().unwrap_or("").to_owned()
    }

    /// An update the server asked for: installs the image (logs and copies it to the
    /// installed-firmware file); `Some(result)` for `set_update_result`.
    pub fn take_install(&mut self) -> Option<i8> {
        if !std::mem::take(&mut self.install_requested) {
            return None;
        }
        match fs::copy(&self.image_path, &self.installed_path) {
            Ok(n) => {
                println!(
                    "FW UPDATED {} ({} bytes installed to {})",
                    self.version,
                    n,
                    self.installed_path.display()
                );
                Some(result::SUCCESS)
            }
            Err(e) => {
                eprintln!("FW UPDATE FAILED: {e}");
                Some(result::FAILED)
            }
        }
    }

    /// The resources of /5/0 whose values changed since the last call.
    pub fn take_changed(&mut self) -> Vec<u16> {
        let mut v = std::mem::take(&mut self.changed);
        v.dedup();
        v
    }
}

impl FwEnv for FotaApp {
    // Push is not this example's (the object refuses nothing of it, though): the
    // package goes to the image file as well.
    fn write_start(&mut self) -> i8 {
        match File::create(&self.image_path) {
            Ok(f) => {
                self.file = Some(f);
                self.received = 0;
                self.crc = 0;
                result::SUCCESS
            }
            Err(_) => result::NOT_ENOUGH_SPACE,
        }
    }

    fn write(&mut self, data: &[u8]) -> i8 {
        match self.file.as_mut().map(|f| f.write_all(data)) {
            Some(Ok(())) => {
                self.received += data.len() as u64;
                self.crc = crc32_update(self.crc, data);
                result::SUCCESS
            }
            _ => result::NOT_ENOUGH_SPACE,
        }
    }

    fn write_finish(&mut self) -> i8 {
        self.file = None;
        self.name = String::from("pushed.bin");
        self.version = format!("crc32-{:08x}", self.crc);
        result::SUCCESS
    }

    fn uri_write(&mut self, uri: &[Cell<u8>]) -> i8 {
        let uri: Vec<u8> = uri.iter().map(Cell::get).take_while(|&b| b != 0).collect();
        println!("FW URI {}", String::from_utf8_lossy(&uri));
        if let Err(e) = self.downloader.start(&uri, false, self.buf.len()) {
            return download_error_result(e.code(), 0);
        }
        match File::create(&self.image_path) {
            Ok(f) => self.file = Some(f),
            Err(_) => {
                self.downloader.terminate();
                return result::NOT_ENOUGH_SPACE;
            }
        }
        self.uri = uri;
        self.received = 0;
        self.crc = 0;
        result::SUCCESS
    }

    fn update_start(&mut self) -> i32 {
        println!("FW UPDATE START {}", self.version);
        self.install_requested = true;
        0
    }

    fn reset(&mut self) {
        println!("FW RESET");
        self.downloader.terminate();
        // The terminated download's last events are not wanted.
        let _ = self.link.cleanup();
        self.downloader = Downloader::new(Settings {
            tx: TxParams::DEFAULT,
            retry_count: 3,
            retry_delay: 1000 * MS,
        });
        self.uri.clear();
        self.file = None;
        self.install_requested = false;
        let _ = fs::remove_file(&self.image_path);
    }

    fn changed(&mut self, rid: u16) {
        self.changed.push(rid);
    }

    fn package_name(&self) -> &str {
        &self.name
    }

    fn package_version(&self) -> &str {
        &self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anj_core::dm::object::{Object, WriteValue};
    use anj_core::dm::ops::{self, WriteKind};
    use anj_core::io::value::{Path, Value};
    use anj_core::objects::fw_update::{rid, FwState, FwUpdateObject};
    use std::net::UdpSocket;
    use std::time::Duration;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("anj-rust-client-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn write_uri(o: &mut FwUpdateObject<FotaApp>, uri: &str) -> anj_core::dm::DmResult<()> {
        let p = Path::new(&[5, 0, rid::PACKAGE_URI]);
        o.transaction_begin()?;
        let v = WriteValue::Whole(Value::String(uri));
        let r = ops::write_entry(o, &p, &p, &v, WriteKind::Replace);
        o.transaction_end(r.is_ok());
        r
    }

    #[test]
    fn crc32_of_the_check_string() {
        assert_eq!(crc32_update(0, b"123456789"), 0xCBF4_3926);
        let split = crc32_update(crc32_update(0, b"1234"), b"56789");
        assert_eq!(split, 0xCBF4_3926);
    }

    #[test]
    fn downloader_errors_map_to_update_results() {
        use download::Error as E;
        assert_eq!(download_error_result(E::EtagMismatch.code(), 9), 5);
        assert_eq!(download_error_result(E::Timeout.code(), 9), 4);
        assert_eq!(download_error_result(E::Network.code(), 0), 4);
        assert_eq!(download_error_result(E::InvalidResponse.code(), 0), 7);
        assert_eq!(download_error_result(E::InvalidResponse.code(), 1), 8);
        assert_eq!(download_error_result(E::Terminated.code(), 0), 8);
    }

    /// A one-block CoAP file server on a local socket: answers the first GET with
    /// 2.05 and `body` (no Block2: the whole resource in one response).
    fn serve_once(body: &'static [u8]) -> (u16, std::thread::JoinHandle<()>) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let port = s.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            let mut b = [0u8; 1500];
            let (n, from) = s.recv_from(&mut b).unwrap();
            assert!(n >= 4 && b[1] == 0x01, "a GET");
            let tkl = usize::from(b[0] & 0x0f);
            // ACK 2.05 with the request's Message ID and token, then the payload.
            let mut resp = vec![0x60 | b[0] & 0x0f, 0x45, b[2], b[3]];
            resp.extend_from_slice(&b[4..4 + tkl]);
            resp.push(0xff);
            resp.extend_from_slice(body);
            s.send_to(&resp, from).unwrap();
        });
        (port, t)
    }

    #[test]
    fn a_package_uri_is_pulled_into_the_image_file_and_installed() {
        let (image, installed) = (tmp("pull.bin"), tmp("pull-installed.bin"));
        let mut o = FwUpdateObject::new(FotaApp::new(image.clone(), installed.clone()));
        let (port, server) = serve_once(b"new firmware");
        write_uri(&mut o, &format!("coap://127.0.0.1:{port}/fw/v2.bin")).unwrap();
        assert_eq!(o.state(), FwState::Downloading);
        assert!(o.env().downloading());
        let mut now = 0;
        let r = loop {
            if let Some(r) = o.env_mut().step(now) {
                break r;
            }
            assert!(now < 10_000_000, "no result");
            std::thread::sleep(Duration::from_millis(2));
            now += 2_000;
        };
        server.join().unwrap();
        assert_eq!(r, result::SUCCESS);
        assert!(o.set_download_result(r));
        assert_eq!(o.state(), FwState::Downloaded);
        assert_eq!(fs::read(&image).unwrap(), b"new firmware");
        let read = |o: &mut FwUpdateObject<FotaApp>, r| {
            format!("{:?}", ops::read_value(o, &Path::new(&[5, 0, r])).unwrap())
        };
        assert_eq!(read(&mut o, rid::PKG_NAME), "String(\"v2.bin\")");
        let version = format!("crc32-{:08x}", crc32_update(0, b"new firmware"));
        assert_eq!(
            read(&mut o, rid::PKG_VERSION),
            format!("String(\"{version}\")")
        );
        let changed = o.env_mut().take_changed();
        assert!(changed.contains(&rid::STATE) && changed.contains(&rid::PACKAGE_URI));

        assert_eq!(o.env_mut().take_install(), None);
        ops::execute(&mut o, &Path::new(&[5, 0, rid::UPDATE]), b"").unwrap();
        let r = o.env_mut().take_install().unwrap();
        assert_eq!(r, result::SUCCESS);
        o.set_update_result(r);
        assert_eq!((o.state(), o.result()), (FwState::Idle, result::SUCCESS));
        assert_eq!(fs::read(&installed).unwrap(), b"new firmware");
    }

    #[test]
    fn a_missing_server_fails_the_pull_and_an_empty_uri_resets() {
        let image = tmp("fail.bin");
        let mut o = FwUpdateObject::new(FotaApp::new(image.clone(), tmp("fail-inst.bin")));
        // A URI the downloader refuses up front (too many path segments).
        assert!(write_uri(&mut o, "coap://127.0.0.1:9/a/b/c/d").is_err());
        assert_eq!(
            (o.state(), o.result()),
            (FwState::Idle, result::INVALID_URI)
        );
        // Accepted, then reset by the server before it finishes.
        write_uri(&mut o, "coap://127.0.0.1:9/fw.bin").unwrap();
        assert!(image.exists());
        write_uri(&mut o, "").unwrap();
        assert_eq!((o.state(), o.result()), (FwState::Idle, result::INITIAL));
        assert!(!o.env().downloading());
        assert!(!image.exists(), "the partial image is deleted");
        assert_eq!(o.env_mut().step(0), None);
    }
}
