//! The Firmware Update object /5 end to end: a scripted server (coap-lite) pushes images
//! block-wise (RFC 7959 Block1) to Package, executes Update, reads State and Update
//! Result, abandons transfers; the application side is a set of `extern "C"` callbacks
//! like a C application's, installed with `anj_dm_fw_update_object_install`.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::string::String;
use std::vec;
use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, Packet, RequestType, ResponseType};

use super::tests::{register, server_request, Rig};
use crate::coap::Block;
use crate::ffi::fw_update::*;

const OPAQUE: u32 = 42;
const TEXT: u32 = 0;

/// What the application saw, and how it answers.
#[derive(Default)]
struct App {
    log: Vec<String>,
    image: Vec<u8>,
    chunks: usize,
    /// `package_write_handler` fails with this once the image would exceed the length.
    fail_after: Option<(usize, anj_dm_fw_update_result_t)>,
    uri: String,
    uri_result: Option<anj_dm_fw_update_result_t>,
}

thread_local! {
    static APP: RefCell<App> = RefCell::new(App::default());
}

fn log(s: &str) {
    APP.with(|a| a.borrow_mut().log.push(s.into()));
}

fn take_log() -> Vec<String> {
    APP.with(|a| std::mem::take(&mut a.borrow_mut().log))
}

use anj_dm_fw_update_result_t::*;

unsafe extern "C" fn write_start(_: *mut c_void) -> anj_dm_fw_update_result_t {
    log("start");
    APP.with(|a| {
        let mut a = a.borrow_mut();
        a.image.clear();
        a.chunks = 0;
    });
    ANJ_DM_FW_UPDATE_RESULT_SUCCESS
}

unsafe extern "C" fn write(
    _: *mut c_void,
    data: *const c_void,
    len: usize,
) -> anj_dm_fw_update_result_t {
    // SAFETY (test): the library passes `len` readable bytes.
    let d = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) };
    APP.with(|a| {
        let mut a = a.borrow_mut();
        if let Some((limit, r)) = a.fail_after {
            if a.image.len() + len > limit {
                return r;
            }
        }
        a.image.extend_from_slice(d);
        a.chunks += 1;
        ANJ_DM_FW_UPDATE_RESULT_SUCCESS
    })
}

unsafe extern "C" fn write_finish(_: *mut c_void) -> anj_dm_fw_update_result_t {
    log("finish");
    ANJ_DM_FW_UPDATE_RESULT_SUCCESS
}

unsafe extern "C" fn uri_write(_: *mut c_void, uri: *const c_char) -> anj_dm_fw_update_result_t {
    // SAFETY (test): a NUL-terminated string.
    let u = unsafe { CStr::from_ptr(uri) }
        .to_string_lossy()
        .into_owned();
    log("uri");
    APP.with(|a| {
        let mut a = a.borrow_mut();
        a.uri = u;
        a.uri_result.unwrap_or(ANJ_DM_FW_UPDATE_RESULT_SUCCESS)
    })
}

unsafe extern "C" fn update_start(_: *mut c_void) -> c_int {
    log("update");
    0
}

unsafe extern "C" fn get_name(_: *mut c_void) -> *const c_char {
    c"image.bin".as_ptr()
}

unsafe extern "C" fn get_version(_: *mut c_void) -> *const c_char {
    c"2.0.0".as_ptr()
}

unsafe extern "C" fn reset(_: *mut c_void) {
    log("reset");
}

fn handlers() -> anj_dm_fw_update_handlers_t {
    anj_dm_fw_update_handlers_t {
        package_write_start_handler: Some(write_start),
        package_write_handler: Some(write),
        package_write_finish_handler: Some(write_finish),
        uri_write_handler: Some(uri_write),
        update_start_handler: Some(update_start),
        get_name: Some(get_name),
        get_version: Some(get_version),
        reset_handler: Some(reset),
    }
}

type Ctx = std::mem::MaybeUninit<[u64; crate::config::SIZEOF_FW_UPDATE_OBJ / 8]>;

/// A registered client with /5 installed; returns the object context.
fn setup() -> (Rig, *mut FwUpdateObj) {
    APP.with(|a| *a.borrow_mut() = App::default());
    let mut rig = Rig::new();
    register(&mut rig);
    let ctx = Box::leak(Box::new(Ctx::uninit())).as_mut_ptr() as *mut FwUpdateObj;
    let h = Box::leak(Box::new(handlers()));
    let anj = rig.anj_ptr();
    // SAFETY (test): storage of the configured size that is never freed; a valid table.
    unsafe {
        assert_eq!(
            anj_dm_fw_update_object_install(anj, ctx, h, std::ptr::null_mut()),
            0
        );
        crate::ffi::core::apply_pending(anj);
    }
    // The Update the new object causes; it lists /5 with its version.
    assert!(rig.run_until(crate::time::SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    let body = String::from_utf8(upd.payload.clone()).unwrap();
    assert!(body.contains("</5>;ver=1.0,</5/0>"), "{body}");
    rig.deliver(&super::tests::ack(&upd, ResponseType::Changed));
    rig.step();
    (rig, ctx)
}

fn uint_opt(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

fn exchange(rig: &mut Rig, req: &Packet) -> Packet {
    rig.deliver(req);
    rig.step();
    rig.take_sent().expect("a response")
}

fn code(p: &Packet) -> ResponseType {
    match p.header.code {
        MessageClass::Response(r) => r,
        c => panic!("not a response: {c:?}"),
    }
}

fn put_block(rig: &mut Rig, mid: u16, num: u32, more: bool, data: &[u8]) -> Packet {
    let mut req = server_request(RequestType::Put, mid, "/5/0/0");
    req.add_option(CoapOption::ContentFormat, uint_opt(OPAQUE));
    let b = Block { num, more, szx: 6 };
    req.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
    req.payload = data.to_vec();
    exchange(rig, &req)
}

/// One block of a text/plain (base64) Write of Package, blocks of 16 << `szx` bytes.
fn put_text_block(rig: &mut Rig, mid: u16, num: u32, more: bool, szx: u8, data: &[u8]) -> Packet {
    let mut req = server_request(RequestType::Put, mid, "/5/0/0");
    req.add_option(CoapOption::ContentFormat, uint_opt(TEXT));
    let b = Block { num, more, szx };
    req.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
    req.payload = data.to_vec();
    exchange(rig, &req)
}

fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len().div_ceil(3) * 4];
    let mut w = crate::io::value::SliceWriter::new(&mut out);
    crate::io::text::base64_encode(&mut w, data, false, true).unwrap();
    out
}

fn put(rig: &mut Rig, mid: u16, path: &str, cf: u32, data: &[u8]) -> Packet {
    let mut req = server_request(RequestType::Put, mid, path);
    req.add_option(CoapOption::ContentFormat, uint_opt(cf));
    req.payload = data.to_vec();
    exchange(rig, &req)
}

/// A single resource read as plain text.
fn read(rig: &mut Rig, mid: u16, path: &str) -> String {
    let mut req = server_request(RequestType::Get, mid, path);
    req.add_option(CoapOption::Accept, uint_opt(TEXT));
    let p = exchange(rig, &req);
    assert_eq!(code(&p), ResponseType::Content, "GET {path}");
    String::from_utf8(p.payload).unwrap()
}

fn execute(rig: &mut Rig, mid: u16, path: &str) -> ResponseType {
    code(&exchange(
        rig,
        &server_request(RequestType::Post, mid, path),
    ))
}

fn state_and_result(rig: &mut Rig, mid: u16) -> (String, String) {
    (read(rig, mid, "/5/0/3"), read(rig, mid + 1, "/5/0/5"))
}

/// Pushes `image` in 1024-byte blocks; every block but the last gets 2.31 Continue.
fn push(rig: &mut Rig, mid: u16, image: &[u8]) {
    let blocks: Vec<&[u8]> = image.chunks(1024).collect();
    for (i, chunk) in blocks.iter().enumerate() {
        let more = i + 1 < blocks.len();
        let p = put_block(rig, mid.wrapping_add(i as u16), i as u32, more, chunk);
        let want = if more {
            ResponseType::Continue
        } else {
            ResponseType::Changed
        };
        assert_eq!(code(&p), want, "block {i}");
    }
}

fn image(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(31) >> 3) as u8)
        .collect()
}

#[test]
fn a_block_wise_push_streams_into_the_application_then_updates() {
    let (mut rig, ctx) = setup();
    assert_eq!(state_and_result(&mut rig, 0x100), ("0".into(), "0".into()));
    // Delivery Method: 1 push, 2 push and pull; PkgVersion is empty until a package is there.
    let method = if cfg!(feature = "fota-pull-method") {
        "2"
    } else {
        "1"
    };
    assert_eq!(read(&mut rig, 0x102, "/5/0/9"), method);
    assert_eq!(read(&mut rig, 0x103, "/5/0/7"), "");

    let img = image(100 * 1024 + 123);
    let first = put_block(&mut rig, 0x200, 0, true, &img[..1024]);
    assert_eq!(code(&first), ResponseType::Continue);
    // The rest of the image.
    let blocks: Vec<&[u8]> = img.chunks(1024).collect();
    for (i, chunk) in blocks.iter().enumerate().skip(1) {
        let more = i + 1 < blocks.len();
        let p = put_block(&mut rig, 0x200 + i as u16, i as u32, more, chunk);
        assert_eq!(
            code(&p),
            if more {
                ResponseType::Continue
            } else {
                ResponseType::Changed
            }
        );
    }
    APP.with(|a| {
        let a = a.borrow();
        // Streamed block by block: one callback per block, nothing buffered.
        assert_eq!(a.chunks, blocks.len());
        assert_eq!(a.image, img);
    });
    assert_eq!(take_log(), vec!["start", "finish"]);
    assert_eq!(state_and_result(&mut rig, 0x300), ("2".into(), "0".into()));
    assert_eq!(read(&mut rig, 0x302, "/5/0/6"), "image.bin");
    assert_eq!(read(&mut rig, 0x303, "/5/0/7"), "2.0.0");

    assert_eq!(execute(&mut rig, 0x304, "/5/0/2"), ResponseType::Changed);
    assert_eq!(take_log(), vec!["update"]);
    assert_eq!(read(&mut rig, 0x305, "/5/0/3"), "3");
    // The package name is the application's only while Downloaded.
    assert_eq!(read(&mut rig, 0x306, "/5/0/6"), "");
    // Writes and a second Execute while updating.
    assert_eq!(
        code(&put(&mut rig, 0x307, "/5/0/0", OPAQUE, b"x")),
        ResponseType::MethodNotAllowed
    );
    assert_eq!(
        execute(&mut rig, 0x308, "/5/0/2"),
        ResponseType::MethodNotAllowed
    );

    // The device "restarted" into the new firmware and reports it.
    let anj = rig.anj_ptr();
    // SAFETY (test): the installed context of this client.
    unsafe { anj_dm_fw_update_object_set_update_result(anj, ctx, ANJ_DM_FW_UPDATE_RESULT_SUCCESS) };
    assert_eq!(state_and_result(&mut rig, 0x400), ("0".into(), "1".into()));
    assert!(take_log().is_empty());
}

#[test]
fn a_push_that_times_out_resets_and_the_next_one_starts_at_once() {
    let (mut rig, _) = setup();
    let img = image(5000);
    for i in 0..3u32 {
        let p = put_block(
            &mut rig,
            0x200 + i as u16,
            i,
            true,
            &img[i as usize * 1024..][..1024],
        );
        assert_eq!(code(&p), ResponseType::Continue);
    }
    assert_eq!(take_log(), vec!["start"]);
    // No next block within the exchange timeout.
    rig.run_until(60 * crate::time::SEC, |_| false);
    rig.link.sent.clear();
    assert_eq!(take_log(), vec!["reset"]);
    // Idle, Connection Lost.
    assert_eq!(state_and_result(&mut rig, 0x300), ("0".into(), "4".into()));
    // A late block of the old transfer does not resume it.
    let late = put_block(&mut rig, 0x302, 3, true, &img[3072..4096]);
    assert_eq!(code(&late), ResponseType::RequestEntityIncomplete);
    push(&mut rig, 0x400, &img);
    assert_eq!(state_and_result(&mut rig, 0x500), ("2".into(), "0".into()));
    APP.with(|a| assert_eq!(a.borrow().image, img));
}

#[test]
fn another_request_in_the_middle_of_a_push_abandons_it() {
    let (mut rig, _) = setup();
    let img = image(4000);
    put_block(&mut rig, 0x200, 0, true, &img[..1024]);
    put_block(&mut rig, 0x201, 1, true, &img[1024..2048]);
    // Any other request ends the transfer first, so it already sees the reset.
    assert_eq!(state_and_result(&mut rig, 0x300), ("0".into(), "4".into()));
    assert_eq!(take_log(), vec!["start", "reset"]);
    push(&mut rig, 0x400, &img);
    assert_eq!(read(&mut rig, 0x500, "/5/0/3"), "2");
}

#[test]
fn a_restarted_push_replaces_the_unfinished_one() {
    let (mut rig, _) = setup();
    let img = image(3000);
    put_block(&mut rig, 0x200, 0, true, &[9; 1024]);
    // Block 0 again: a new transfer.
    push(&mut rig, 0x300, &img);
    assert_eq!(take_log(), vec!["start", "reset", "start", "finish"]);
    APP.with(|a| assert_eq!(a.borrow().image, img));
    assert_eq!(state_and_result(&mut rig, 0x400), ("2".into(), "0".into()));
}

#[test]
fn application_errors_during_a_push_become_the_update_result() {
    for (r, want) in [
        (ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE, "2"),
        (ANJ_DM_FW_UPDATE_RESULT_OUT_OF_MEMORY, "3"),
        (ANJ_DM_FW_UPDATE_RESULT_INTEGRITY_FAILURE, "5"),
        (ANJ_DM_FW_UPDATE_RESULT_UNSUPPORTED_PACKAGE_TYPE, "6"),
    ] {
        let (mut rig, _) = setup();
        APP.with(|a| a.borrow_mut().fail_after = Some((3000, r)));
        let img = image(6000);
        for i in 0..2u32 {
            let p = put_block(
                &mut rig,
                0x200 + i as u16,
                i,
                true,
                &img[i as usize * 1024..][..1024],
            );
            assert_eq!(code(&p), ResponseType::Continue);
        }
        // The third block would pass 3000 bytes.
        let p = put_block(&mut rig, 0x202, 2, true, &img[2048..3072]);
        assert_eq!(code(&p), ResponseType::InternalServerError);
        assert_eq!(take_log(), vec!["start", "reset"]);
        assert_eq!(state_and_result(&mut rig, 0x300), ("0".into(), want.into()));
        // The rest of the failed transfer is refused.
        let p = put_block(&mut rig, 0x302, 3, true, &img[3072..4096]);
        assert_eq!(code(&p), ResponseType::RequestEntityIncomplete);
        // A smaller image fits.
        push(&mut rig, 0x400, &img[..2500]);
        assert_eq!(state_and_result(&mut rig, 0x500), ("2".into(), "0".into()));
    }
}

#[cfg(feature = "plaintext")]
#[test]
fn a_block_wise_base64_push_is_decoded_as_the_blocks_come() {
    // Sizes whose base64 ends with no padding, one `=` and two.
    for (len, szx) in [(3000usize, 5u8), (3001, 6), (3002, 4), (4, 5)] {
        let (mut rig, _) = setup();
        let img = image(len);
        let text = base64(&img);
        let size = 16usize << szx;
        let blocks: Vec<&[u8]> = text.chunks(size).collect();
        for (i, chunk) in blocks.iter().enumerate() {
            let more = i + 1 < blocks.len();
            let p = put_text_block(&mut rig, 0x200 + i as u16, i as u32, more, szx, chunk);
            let want = if more {
                ResponseType::Continue
            } else {
                ResponseType::Changed
            };
            assert_eq!(code(&p), want, "{len}: block {i}");
        }
        APP.with(|a| {
            let a = a.borrow();
            assert_eq!(a.image, img, "{len}");
            // Several small chunks per block, never a buffer of the whole image.
            assert!(a.chunks >= blocks.len());
        });
        assert_eq!(take_log(), vec!["start", "finish"], "{len}");
        assert_eq!(state_and_result(&mut rig, 0x300), ("2".into(), "0".into()));
    }
}

#[cfg(feature = "plaintext")]
#[test]
fn a_bad_base64_block_fails_the_push_with_4_00_and_resets() {
    let img = image(4000);
    let text = base64(&img);
    let blocks: Vec<&[u8]> = text.chunks(1024).collect();
    for bad in [b"!!!!QUJD".as_slice(), b"QQ==QUJD", b"QUJ=QUJD", b"Q"] {
        let (mut rig, _) = setup();
        let p = put_text_block(&mut rig, 0x200, 0, true, 6, blocks[0]);
        assert_eq!(code(&p), ResponseType::Continue);
        // The second block carries the bad text; with "Q" it is the last one and ends on
        // a quantum of one character.
        let last = bad == b"Q";
        let mut second = blocks[1][..1024 - 8].to_vec();
        second.extend_from_slice(bad);
        assert!(last || second.len() == 1024);
        let p = put_text_block(&mut rig, 0x201, 1, !last, 6, &second);
        assert_eq!(code(&p), ResponseType::BadRequest, "{bad:?}");
        // The transfer is abandoned as any failed one: Idle, Connection Lost.
        assert_eq!(take_log(), vec!["start", "reset"], "{bad:?}");
        assert_eq!(state_and_result(&mut rig, 0x300), ("0".into(), "4".into()));
        // The rest of the failed transfer is refused.
        let p = put_text_block(&mut rig, 0x302, 2, true, 6, blocks[2]);
        assert_eq!(code(&p), ResponseType::RequestEntityIncomplete);
    }
}

#[test]
fn update_is_not_allowed_before_a_package_is_downloaded() {
    let (mut rig, _) = setup();
    assert_eq!(
        execute(&mut rig, 0x200, "/5/0/2"),
        ResponseType::MethodNotAllowed
    );
    assert!(take_log().is_empty());
    // Read-only and executable resources are not writable.
    assert_eq!(
        code(&put(&mut rig, 0x201, "/5/0/3", TEXT, b"2")),
        ResponseType::MethodNotAllowed
    );
}

#[test]
fn an_empty_package_resets_a_downloaded_one() {
    let (mut rig, _) = setup();
    push(&mut rig, 0x200, &image(2000));
    take_log();
    let p = put(&mut rig, 0x300, "/5/0/0", OPAQUE, b"");
    assert_eq!(code(&p), ResponseType::Changed);
    assert_eq!(take_log(), vec!["reset"]);
    assert_eq!(state_and_result(&mut rig, 0x301), ("0".into(), "0".into()));
    // The same with a single NUL byte.
    push(&mut rig, 0x400, &image(2000));
    take_log();
    assert_eq!(
        code(&put(&mut rig, 0x500, "/5/0/0", OPAQUE, b"\0")),
        ResponseType::Changed
    );
    assert_eq!(take_log(), vec!["reset"]);
    assert_eq!(read(&mut rig, 0x501, "/5/0/3"), "0");
}

#[cfg(all(feature = "fota-pull-method", feature = "fota-coaps"))]
#[test]
fn a_package_uri_starts_a_pull_and_the_download_result_finishes_it() {
    let (mut rig, ctx) = setup();
    let anj = rig.anj_ptr();
    // /5/0/8 lists CoAPS (1), with its value as its instance ID.
    assert_eq!(read(&mut rig, 0x100, "/5/0/8/1"), "1");
    let uri = "coaps://fw.example.com:5684/image";
    assert_eq!(
        code(&put(&mut rig, 0x200, "/5/0/1", TEXT, uri.as_bytes())),
        ResponseType::Changed
    );
    assert_eq!(take_log(), vec!["uri"]);
    APP.with(|a| assert_eq!(a.borrow().uri, uri));
    assert_eq!(read(&mut rig, 0x201, "/5/0/1"), uri);
    assert_eq!(state_and_result(&mut rig, 0x202), ("1".into(), "0".into()));
    // SAFETY (test): the installed context of this client.
    unsafe {
        assert_eq!(
            anj_dm_fw_update_object_set_download_result(anj, ctx, ANJ_DM_FW_UPDATE_RESULT_SUCCESS),
            0
        );
        // Not downloading any more.
        assert_eq!(
            anj_dm_fw_update_object_set_download_result(anj, ctx, ANJ_DM_FW_UPDATE_RESULT_SUCCESS),
            -1
        );
    }
    assert_eq!(state_and_result(&mut rig, 0x300), ("2".into(), "0".into()));

    // A failed pull: reset, Idle, the result, no URI; a new one may follow.
    assert_eq!(
        code(&put(&mut rig, 0x400, "/5/0/1", TEXT, b"")),
        ResponseType::Changed
    );
    put(&mut rig, 0x401, "/5/0/1", TEXT, uri.as_bytes());
    take_log();
    // SAFETY (test): as above.
    unsafe {
        anj_dm_fw_update_object_set_download_result(
            anj,
            ctx,
            ANJ_DM_FW_UPDATE_RESULT_CONNECTION_LOST,
        )
    };
    assert_eq!(take_log(), vec!["reset"]);
    assert_eq!(state_and_result(&mut rig, 0x500), ("0".into(), "4".into()));
    assert_eq!(read(&mut rig, 0x502, "/5/0/1"), "");
    assert_eq!(
        code(&put(&mut rig, 0x503, "/5/0/1", TEXT, uri.as_bytes())),
        ResponseType::Changed
    );
    assert_eq!(read(&mut rig, 0x504, "/5/0/3"), "1");
}

#[cfg(feature = "fota-pull-method")]
#[test]
fn package_uris_that_cannot_work_are_refused_with_the_spec_results() {
    let (mut rig, _) = setup();
    let mut cases = vec![("no-scheme", "7"), ("ftp://host/fw", "9")];
    if cfg!(not(feature = "fota-coap")) {
        cases.push(("coap://host/fw", "9"));
    }
    for (i, (uri, want)) in cases.into_iter().enumerate() {
        let mid = 0x200 + 0x10 * i as u16;
        let p = put(&mut rig, mid, "/5/0/1", TEXT, uri.as_bytes());
        assert_eq!(code(&p), ResponseType::BadRequest, "{uri}");
        assert_eq!(
            state_and_result(&mut rig, mid + 1),
            ("0".into(), want.into()),
            "{uri}"
        );
        assert_eq!(read(&mut rig, mid + 3, "/5/0/1"), "", "{uri}");
    }
    // The application refusing it.
    #[cfg(feature = "fota-coaps")]
    {
        APP.with(|a| a.borrow_mut().uri_result = Some(ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE));
        let p = put(&mut rig, 0x300, "/5/0/1", TEXT, b"coaps://host/fw");
        assert_eq!(code(&p), ResponseType::BadRequest);
        assert_eq!(state_and_result(&mut rig, 0x301), ("0".into(), "2".into()));
    }
}

#[test]
fn install_needs_the_handlers_of_the_enabled_methods() {
    let rig = Rig::new();
    let anj = rig.anj_ptr();
    let ctx = Box::leak(Box::new(Ctx::uninit())).as_mut_ptr() as *mut FwUpdateObj;
    let mut missing = vec![];
    for k in 0..8 {
        let mut h = handlers();
        match k {
            0 => h.update_start_handler = None,
            1 => h.reset_handler = None,
            2 => h.package_write_start_handler = None,
            3 => h.package_write_handler = None,
            4 => h.package_write_finish_handler = None,
            5 => h.uri_write_handler = None,
            6 => h.get_name = None,
            _ => h.get_version = None,
        }
        let h = Box::leak(Box::new(h));
        // SAFETY (test): valid storage and table; a refused install leaves nothing behind.
        let r = unsafe { anj_dm_fw_update_object_install(anj, ctx, h, std::ptr::null_mut()) };
        missing.push(r);
        if r == 0 {
            // Installed (an optional handler was missing): a second /5 is refused.
            let h2 = Box::leak(Box::new(handlers()));
            let ctx2 = Box::leak(Box::new(Ctx::uninit())).as_mut_ptr() as *mut FwUpdateObj;
            // SAFETY (test): as above.
            assert_eq!(
                unsafe { anj_dm_fw_update_object_install(anj, ctx2, h2, std::ptr::null_mut()) },
                -1
            );
            // SAFETY (test): removes the object just installed.
            assert_eq!(unsafe { crate::ffi::core::anj_dm_remove_obj(anj, 5) }, 0);
        }
    }
    let push = cfg!(feature = "fota-push-method");
    let pull = cfg!(feature = "fota-pull-method");
    let want = |needed: bool| if needed { -1 } else { 0 };
    assert_eq!(
        missing,
        vec![-1, -1, want(push), want(push), want(push), want(pull), 0, 0],
        "push {push} pull {pull}"
    );
}
