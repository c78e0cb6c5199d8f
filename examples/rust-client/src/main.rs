//! A std LwM2M client on anj-core, in Rust only:
//! * the link is [`UdpLink`], a non-blocking `std::net::UdpSocket` (NoSec);
//! * the objects: Security (/0, one NoSec instance: [`security::NoSecSecurity`]), Server
//!   (/1, the core's `ServerObject`), Device (/3, the core's `Device`), Firmware Update
//!   (/5, the core's `FwUpdateObject` with [`fota::FotaApp`]: pull over CoAP into a file)
//!   and a custom one, Temperature (/3303, [`temperature::Temperature`]) whose Sensor
//!   Value moves along a sawtooth (20.0, 20.5, ... 23.5 °C, one step per second);
//! * the client: `anj_core::client::Client` (see client_glue.rs).
//!
//! Usage: `anj-rust-client <endpoint> <server_uri> <image_file> [<installed_file>]`
//! (`coap://` server URIs only; the installed file defaults to `<image_file>.installed`).
//! SIGINT or SIGTERM de-registers and exits with 0.

mod client_glue;
mod fota;
mod security;
mod temperature;
mod udp_link;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anj_core::dm::Object;
use anj_core::io::value::Path;
use anj_core::objects::builtin::ServerInstance;
use anj_core::objects::device::{Device, DeviceInfo};
use anj_core::objects::fw_update::{self, FwUpdateObject};
use anj_core::objects::server::{ServerAction, ServerObject};
use anj_core::time::{Instant, MS, SEC};

use client_glue::{Change, Client, Config, ConnStatus, Event};
use fota::FotaApp;
use security::NoSecSecurity;
use temperature::Temperature;
use udp_link::UdpLink;

/// Short Server ID of the one LwM2M Server account.
const SSID: u16 = 1;
/// Registration lifetime (s).
const LIFETIME: u32 = 60;
/// The longest sleep between steps: incoming requests are read at the next step.
const MAX_SLEEP: Instant = 10 * MS;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `on_signal` is an `extern "C" fn(c_int)` that only stores to an atomic,
        // which is async-signal-safe; `signal` has no other precondition.
        unsafe {
            libc::signal(
                sig,
                on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
}

struct Args {
    endpoint: String,
    server_uri: String,
    image: PathBuf,
    installed: PathBuf,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let usage = "usage: anj-rust-client <endpoint> <server_uri> <image_file> [<installed_file>]";
    let (Some(endpoint), Some(server_uri), Some(image)) = (it.next(), it.next(), it.next()) else {
        return Err(usage.into());
    };
    if !server_uri.starts_with("coap://") {
        return Err(format!(
            "{server_uri}: only coap:// servers (NoSec)\n{usage}"
        ));
    }
    let image = PathBuf::from(image);
    let installed = it.next().map(PathBuf::from).unwrap_or_else(|| {
        let mut p = image.clone().into_os_string();
        p.push(".installed");
        p.into()
    });
    if it.next().is_some() {
        return Err(usage.into());
    }
    Ok(Args {
        endpoint,
        server_uri,
        image,
        installed,
    })
}

/// The Sensor Value at `now`: a sawtooth of eight half-degree steps, one per second.
fn sawtooth(now: Instant) -> f64 {
    20.0 + 0.5 * ((now / SEC) % 8) as f64
}

fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    anj_core::log::set_sink(|line| {
        let text = line.strip_suffix(&[0]).unwrap_or(line);
        println!("{}", String::from_utf8_lossy(text));
    });
    install_signal_handlers();

    let mut security = NoSecSecurity::new(&args.server_uri, SSID);
    let mut server = ServerObject::new(false);
    let instance = ServerInstance {
        iid: 0,
        ssid: SSID,
        lifetime: LIFETIME,
        ..ServerInstance::EMPTY
    };
    if let Err(e) = server.add_instance(instance, b"U") {
        eprintln!("Server object: {e:?}");
        std::process::exit(1);
    }
    let mut device = Device {
        info: DeviceInfo {
            strings: [
                "anj-rs",
                "rust-client",
                "0001",
                "1.0.0",
                env!("CARGO_PKG_VERSION"),
            ],
        },
        reboot: None,
    };
    let mut fw = FwUpdateObject::new(FotaApp::new(args.image, args.installed));
    let start = std::time::Instant::now();
    let clock = move || -> Instant { start.elapsed().as_micros() as Instant };
    let mut temperature = Temperature::new(sawtooth(clock()));

    let mut link = UdpLink::new();
    let mut client = Client::new(Config::new(&args.endpoint));
    let sensor_path = Path::new(&[temperature::OID, 0, temperature::SENSOR_VALUE]);

    while !STOP.load(Ordering::SeqCst) {
        let now = clock();
        if temperature.set_celsius(sawtooth(now)) {
            client.data_model_changed(&sensor_path, Change::ValueChanged);
        }
        {
            let mut objects: [&mut dyn Object; 5] = [
                &mut security,
                &mut server,
                &mut device,
                &mut fw,
                &mut temperature,
            ];
            client.step(now, &mut objects, &mut link);
        }
        while let Some(Event::Status(s)) = client.poll_event() {
            println!("STATUS {s:?}");
            if s == ConnStatus::Registered {
                println!("REGISTERED {}", args.endpoint);
            }
        }
        // The Server object's resources the server executed or changed: the client acts
        // on them (Registration Update Trigger, Disable; Lifetime or Binding written).
        match server.take_action() {
            Some(ServerAction::RegistrationUpdate) => client.request_update(),
            Some(ServerAction::Disable { timeout }) => {
                client.disable(Some(Instant::from(timeout) * SEC))
            }
            Some(ServerAction::BootstrapRequest) => {
                println!("Bootstrap-Request Trigger: this example has no Bootstrap-Server")
            }
            None => {}
        }
        if server.take_params_changed() {
            client.data_model_changed(&Path::new(&[1, 0, 1]), Change::ValueChanged);
        }
        // Firmware Update: the pull download, an update the server asked for, and the
        // values of /5/0 that changed meanwhile (for the server's observations).
        if let Some(r) = fw.env_mut().step(clock()) {
            fw.set_download_result(r);
        }
        if let Some(r) = fw.env_mut().take_install() {
            fw.set_update_result(r);
        }
        for rid in fw.env_mut().take_changed() {
            let path = Path::new(&[fw_update::OID, fw_update::IID, rid]);
            client.data_model_changed(&path, Change::ValueChanged);
        }

        let now = clock();
        let next_tick = (now / SEC + 1) * SEC;
        let cap = if fw.env().downloading() {
            MS
        } else {
            MAX_SLEEP
        };
        let wake = client.poll_at(now).min(next_tick).min(now + cap);
        if wake > now {
            std::thread::sleep(Duration::from_micros((wake - now) as u64));
        }
    }
    // De-register before leaving (Disable: De-register, then suspended), for at most 5 s.
    client.disable(None);
    let deadline = clock() + 5 * SEC;
    while clock() < deadline && client.status() != ConnStatus::Suspended {
        let mut objects: [&mut dyn Object; 5] = [
            &mut security,
            &mut server,
            &mut device,
            &mut fw,
            &mut temperature,
        ];
        client.step(clock(), &mut objects, &mut link);
        while client.poll_event().is_some() {}
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("shutting down (status {:?})", client.status());
    client.shutdown(&mut link);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<Args, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn arguments() {
        let a = args(&["ep", "coap://127.0.0.1:5683", "/tmp/i.bin"]).unwrap();
        assert_eq!(a.endpoint, "ep");
        assert_eq!(a.server_uri, "coap://127.0.0.1:5683");
        assert_eq!(a.installed, PathBuf::from("/tmp/i.bin.installed"));
        let a = args(&["ep", "coap://h:1", "/tmp/i.bin", "/tmp/fw"]).unwrap();
        assert_eq!(a.installed, PathBuf::from("/tmp/fw"));
        assert!(args(&["ep", "coap://h:1"]).is_err());
        assert!(args(&["ep", "coaps://h:1", "/tmp/i"]).is_err());
        assert!(args(&["ep", "coap://h:1", "/tmp/i", "/tmp/j", "x"]).is_err());
    }

    #[test]
    fn the_sensor_value_is_a_sawtooth_of_one_step_per_second() {
        assert_eq!(sawtooth(0), 20.0);
        assert_eq!(sawtooth(SEC - 1), 20.0);
        assert_eq!(sawtooth(SEC), 20.5);
        assert_eq!(sawtooth(7 * SEC), 23.5);
        assert_eq!(sawtooth(8 * SEC), 20.0);
    }
}
