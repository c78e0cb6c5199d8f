//! Block-wise transfers end to end (RFC 7959): a Read and a Discover larger than one
//! message go out in Block2 blocks that the server may request at any size and from any
//! block; a Write of a value larger than one message comes in Block1 blocks that reach the
//! write handler as chunks, inside one transaction.

use std::cell::RefCell;
use std::ffi::c_char;
use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, Packet, RequestType, ResponseType};

use super::tests::{register, server_request, Rig};
use crate::coap::Block;
use crate::ffi::core::anj_t;
use crate::ffi::dm::*;

const BIG: usize = 5000;

/// A 5000-character string: `0123456789` repeated, then a NUL for readers that take it as
/// a C string.
fn big_string() -> &'static [u8] {
    thread_local! {
        static S: &'static [u8] = {
            let mut v: Vec<u8> = (0..BIG).map(|i| b'0' + (i % 10) as u8).collect();
            v.push(0);
            Box::leak(v.into_boxed_slice())
        };
    }
    S.with(|s| *s)
}

#[derive(Default)]
struct Log {
    chunks: Vec<(usize, usize, usize)>,
    data: Vec<u8>,
    ends: Vec<bool>,
    begins: usize,
    /// The write handler fails (5.00) once a chunk would pass this many bytes.
    fail_past: Option<usize>,
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::new(Log::default());
}

unsafe extern "C" fn read(
    _anj: *mut anj_t,
    _obj: *const anj_dm_obj_t,
    _iid: u16,
    rid: u16,
    _riid: u16,
    out: *mut anj_res_value_t,
) -> i32 {
    if rid != 0 {
        return -132;
    }
    let s = big_string();
    // SAFETY (test): the engine passes a valid out slot.
    unsafe {
        (*out).bytes_or_string = anj_bytes_or_string_value_t {
            data: s.as_ptr().cast::<c_char>().cast(),
            offset: 0,
            chunk_length: BIG,
            full_length_hint: BIG,
        }
    };
    0
}

unsafe extern "C" fn write(
    _anj: *mut anj_t,
    _obj: *const anj_dm_obj_t,
    _iid: u16,
    _rid: u16,
    _riid: u16,
    value: *const anj_res_value_t,
) -> i32 {
    // SAFETY (test): the engine passes a valid value whose data has chunk_length bytes.
    let b = unsafe { (*value).bytes_or_string };
    let data = unsafe { std::slice::from_raw_parts(b.data as *const u8, b.chunk_length) };
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        if l.fail_past.is_some_and(|n| b.offset + b.chunk_length > n) {
            return -160;
        }
        l.chunks
            .push((b.offset, b.chunk_length, b.full_length_hint));
        l.data.extend_from_slice(data);
        0
    })
}

unsafe extern "C" fn begin(_anj: *mut anj_t, _obj: *const anj_dm_obj_t) -> i32 {
    LOG.with(|l| l.borrow_mut().begins += 1);
    0
}

unsafe extern "C" fn end(
    _anj: *mut anj_t,
    _obj: *const anj_dm_obj_t,
    r: anj_dm_transaction_result_t,
) {
    LOG.with(|l| {
        l.borrow_mut()
            .ends
            .push(r == anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS)
    });
}

/// Installs /4000/0 with 0: a big String (R), 1: Opaque (W).
fn install(rig: &mut Rig) {
    let res = Box::leak(Box::new([
        anj_dm_res_t {
            rid: 0,
            r#type: ANJ_DATA_TYPE_STRING,
            kind: anj_dm_res_kind_t::ANJ_DM_RES_R,
            insts: std::ptr::null(),
            max_inst_count: 0,
        },
        anj_dm_res_t {
            rid: 1,
            r#type: ANJ_DATA_TYPE_BYTES,
            kind: anj_dm_res_kind_t::ANJ_DM_RES_W,
            insts: std::ptr::null(),
            max_inst_count: 0,
        },
    ]));
    let inst = Box::leak(Box::new(anj_dm_obj_inst_t {
        iid: 0,
        resources: res.as_ptr(),
        res_count: 2,
    }));
    let handlers = Box::leak(Box::new(anj_dm_handlers_t {
        res_read: Some(read),
        res_write: Some(write),
        transaction_begin: Some(begin),
        transaction_end: Some(end),
        ..Default::default()
    }));
    let obj = Box::leak(Box::new(anj_dm_obj_t {
        oid: 4000,
        version: std::ptr::null(),
        handlers,
        insts: inst,
        max_inst_count: 1,
    }));
    let anj = rig.anj_ptr();
    // SAFETY (test): the object is leaked, so it outlives the client.
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, obj), 0);
        crate::ffi::core::apply_pending(anj);
    }
    // The Update the new object causes.
    assert!(rig.run_until(crate::time::SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    rig.deliver(&super::tests::ack(&upd, ResponseType::Changed));
    rig.step();
}

fn block_value(p: &Packet, opt: CoapOption) -> Option<Block> {
    let v = p.get_option(opt)?.front()?.clone();
    Block::decode(&v)
}

fn uint_opt(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

fn get_block(rig: &mut Rig, mid: u16, path: &str, accept: u32, block: Option<Block>) -> Packet {
    let mut req = server_request(RequestType::Get, mid, path);
    req.add_option(CoapOption::Accept, uint_opt(accept));
    if let Some(b) = block {
        req.add_option(CoapOption::Block2, uint_opt(b.to_uint().unwrap()));
    }
    rig.deliver(&req);
    rig.step();
    rig.take_sent().expect("a response")
}

#[test]
fn a_large_read_goes_out_in_blocks_the_server_may_resize_and_restart() {
    let mut rig = Rig::new();
    register(&mut rig);
    install(&mut rig);
    let expected = &big_string()[..BIG];

    // No Block2 asked for: the client starts block-wise by itself, with Size2.
    let first = get_block(&mut rig, 0x5000, "/4000/0/0", 0, None);
    assert_eq!(
        first.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    let b = block_value(&first, CoapOption::Block2).expect("Block2");
    assert_eq!((b.num, b.more, b.szx), (0, true, 6));
    assert_eq!(
        first
            .get_option(CoapOption::Size2)
            .unwrap()
            .front()
            .unwrap(),
        &uint_opt(BIG as u32)
    );
    let mut got = first.payload.clone();
    let mut num = 1;
    loop {
        let p = get_block(
            &mut rig,
            0x5000 + num as u16,
            "/4000/0/0",
            0,
            Some(Block {
                num,
                more: false,
                szx: 6,
            }),
        );
        let b = block_value(&p, CoapOption::Block2).unwrap();
        assert_eq!(b.num, num);
        got.extend_from_slice(&p.payload);
        if !b.more {
            break;
        }
        num += 1;
    }
    assert_eq!(got, expected);

    // The server asks for 256-byte blocks from block 7 on (offset 1792): RFC 7959 §2.4.
    let p = get_block(
        &mut rig,
        0x5100,
        "/4000/0/0",
        0,
        Some(Block {
            num: 7,
            more: false,
            szx: 4,
        }),
    );
    let b = block_value(&p, CoapOption::Block2).unwrap();
    assert_eq!((b.num, b.szx, b.more), (7, 4, true));
    assert_eq!(p.payload, expected[1792..2048]);

    // A block past the end is refused.
    let p = get_block(
        &mut rig,
        0x5101,
        "/4000/0/0",
        0,
        Some(Block {
            num: 100,
            more: false,
            szx: 6,
        }),
    );
    assert_eq!(
        p.header.code,
        MessageClass::Response(ResponseType::BadRequest)
    );
}

#[test]
fn a_large_discover_goes_out_in_blocks() {
    let mut rig = Rig::new();
    register(&mut rig);
    install(&mut rig);
    // Small blocks so that even a short Discover needs several.
    let mut got = Vec::new();
    let mut num = 0;
    loop {
        let p = get_block(
            &mut rig,
            0x5200 + num as u16,
            "/3",
            40,
            Some(Block {
                num,
                more: false,
                szx: 0,
            }),
        );
        assert_eq!(p.header.code, MessageClass::Response(ResponseType::Content));
        let b = block_value(&p, CoapOption::Block2).unwrap();
        got.extend_from_slice(&p.payload);
        if !b.more {
            break;
        }
        num += 1;
    }
    let text = String::from_utf8(got).unwrap();
    assert!(text.starts_with("</3>;ver=1.0,</3/0>,</3/0/0>"), "{text}");
    assert!(text.ends_with("</3/0/19>"), "{text}");
}

fn put_block(rig: &mut Rig, mid: u16, b: Block, data: &[u8]) -> Packet {
    let mut req = server_request(RequestType::Put, mid, "/4000/0/1");
    req.add_option(CoapOption::ContentFormat, uint_opt(42));
    req.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
    req.payload = data.to_vec();
    rig.deliver(&req);
    rig.step();
    rig.take_sent().expect("a response")
}

#[test]
fn a_large_write_comes_in_blocks_as_chunks_of_one_transaction() {
    let mut rig = Rig::new();
    register(&mut rig);
    install(&mut rig);
    LOG.with(|l| *l.borrow_mut() = Log::default());
    let image: Vec<u8> = (0..4500u32).map(|i| (i * 7 % 251) as u8).collect();
    let blocks: Vec<&[u8]> = image.chunks(1024).collect();
    for (i, chunk) in blocks.iter().enumerate() {
        let more = i + 1 < blocks.len();
        let p = put_block(
            &mut rig,
            0x6000 + i as u16,
            Block {
                num: i as u32,
                more,
                szx: 6,
            },
            chunk,
        );
        let code = if more {
            ResponseType::Continue
        } else {
            ResponseType::Changed
        };
        assert_eq!(p.header.code, MessageClass::Response(code), "block {i}");
        let echo = block_value(&p, CoapOption::Block1).unwrap();
        assert_eq!((echo.num, echo.more), (i as u32, more));
    }
    LOG.with(|l| {
        let l = l.borrow();
        assert_eq!(l.data, image);
        assert_eq!(l.begins, 1);
        assert_eq!(l.ends, vec![true]);
        // Offsets follow the blocks; the full length is known on the last chunk only.
        assert_eq!(l.chunks[0], (0, 1024, 0));
        assert_eq!(l.chunks[4], (4096, 404, 4500));
    });

    // A gap (block 2 after block 0) is 4.08 and the transaction rolls back when the
    // transfer starts over.
    LOG.with(|l| *l.borrow_mut() = Log::default());
    put_block(
        &mut rig,
        0x6100,
        Block {
            num: 0,
            more: true,
            szx: 6,
        },
        &image[..1024],
    );
    let p = put_block(
        &mut rig,
        0x6101,
        Block {
            num: 2,
            more: true,
            szx: 6,
        },
        &image[..1024],
    );
    assert_eq!(
        p.header.code,
        MessageClass::Response(ResponseType::RequestEntityIncomplete)
    );
    put_block(
        &mut rig,
        0x6102,
        Block {
            num: 0,
            more: false,
            szx: 6,
        },
        &image[..10],
    );
    LOG.with(|l| assert_eq!(l.borrow().ends, vec![false, true]));
}

#[test]
fn a_stalled_block_wise_write_is_abandoned() {
    let mut rig = Rig::new();
    register(&mut rig);
    install(&mut rig);
    LOG.with(|l| *l.borrow_mut() = Log::default());
    put_block(
        &mut rig,
        0x6200,
        Block {
            num: 0,
            more: true,
            szx: 6,
        },
        &[1; 1024],
    );
    // No next block within the request timeout (50 s by default): rolled back.
    rig.run_until(60 * crate::time::SEC, |_| false);
    rig.link.sent.clear();
    LOG.with(|l| assert_eq!(l.borrow().ends, vec![false]));
}

/// External data (`ANJ_DATA_TYPE_EXTERNAL_BYTES`) as Anjay Lite's AT-ExternalDataTypes
/// tutorial serves it: a 6000-byte "file" as /19/0/0/0 of a Multiple-Instance Resource,
/// read by callbacks that behave like its `pread`-based ones (a full buffer is
/// `ANJ_IO_NEED_NEXT_CALL`, a short one the end; `open` asserts it is not open yet).
#[cfg(feature = "external-data")]
mod external {
    use super::*;
    use crate::io::format::Format;
    use crate::io::value::{Encoder, Entry, Path, Value};
    use std::ffi::c_void;

    const LEN: usize = 6000;

    /// From which block on the server asks for which smaller block size (SZX).
    type Resize = Option<(u32, u8)>;

    #[derive(Default)]
    struct File {
        data: Vec<u8>,
        is_open: bool,
        opened: usize,
        closed: usize,
        /// `get_external_data` fails at or past this offset.
        fail_at: Option<usize>,
        /// `get_external_data` calls, and the bytes they gave.
        reads: usize,
        bytes: usize,
    }

    thread_local! {
        static FILE: RefCell<File> = RefCell::new(File::default());
    }

    unsafe extern "C" fn get(
        buf: *mut c_void,
        size: *mut usize,
        off: usize,
        _: *mut c_void,
    ) -> i32 {
        FILE.with(|f| {
            let mut f = f.borrow_mut();
            assert!(f.is_open, "read while closed");
            if f.fail_at.is_some_and(|at| off >= at) {
                return -1;
            }
            // SAFETY (test): the library passes `*size` writable bytes.
            let room = unsafe { *size };
            let n = room.min(f.data.len().saturating_sub(off));
            f.reads += 1;
            f.bytes += n;
            unsafe { std::ptr::copy_nonoverlapping(f.data[off..].as_ptr(), buf.cast(), n) };
            unsafe { *size = n };
            if n < room {
                0
            } else {
                4 // ANJ_IO_NEED_NEXT_CALL
            }
        })
    }

    unsafe extern "C" fn open(_: *mut c_void) -> i32 {
        FILE.with(|f| {
            let mut f = f.borrow_mut();
            assert!(!f.is_open, "opened twice");
            f.is_open = true;
            f.opened += 1;
        });
        0
    }

    unsafe extern "C" fn close(_: *mut c_void) {
        FILE.with(|f| {
            let mut f = f.borrow_mut();
            assert!(f.is_open, "closed while not open");
            f.is_open = false;
            f.closed += 1;
        });
    }

    unsafe extern "C" fn ext_read(
        _anj: *mut anj_t,
        _obj: *const anj_dm_obj_t,
        iid: u16,
        rid: u16,
        riid: u16,
        out: *mut anj_res_value_t,
    ) -> i32 {
        if (iid, rid, riid) != (0, 0, 0) {
            return -133;
        }
        // SAFETY (test): the engine passes a valid out slot.
        unsafe {
            (*out).external_data = anj_external_data_t {
                get_external_data: Some(get),
                open_external_data: Some(open),
                close_external_data: Some(close),
                user_args: std::ptr::null_mut(),
            }
        };
        0
    }

    /// Installs /19 (Binary App Data Container) as the tutorial does.
    fn install(rig: &mut Rig) {
        let insts = Box::leak(Box::new([0u16]));
        let res = Box::leak(Box::new(anj_dm_res_t {
            rid: 0,
            r#type: ANJ_DATA_TYPE_EXTERNAL_BYTES,
            kind: anj_dm_res_kind_t::ANJ_DM_RES_RM,
            insts: insts.as_ptr(),
            max_inst_count: 1,
        }));
        let inst = Box::leak(Box::new(anj_dm_obj_inst_t {
            iid: 0,
            resources: res,
            res_count: 1,
        }));
        let handlers = Box::leak(Box::new(anj_dm_handlers_t {
            res_read: Some(ext_read),
            ..Default::default()
        }));
        let obj = Box::leak(Box::new(anj_dm_obj_t {
            oid: 19,
            version: std::ptr::null(),
            handlers,
            insts: inst,
            max_inst_count: 1,
        }));
        let anj = rig.anj_ptr();
        // SAFETY (test): the object is leaked, so it outlives the client.
        unsafe {
            assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, obj), 0);
            crate::ffi::core::apply_pending(anj);
        }
        assert!(rig.run_until(crate::time::SEC, |r| !r.link.sent.is_empty()));
        let upd = rig.take_sent().unwrap();
        rig.deliver(&super::super::tests::ack(&upd, ResponseType::Changed));
        rig.step();
    }

    fn counts() -> (usize, usize, bool) {
        FILE.with(|f| {
            let f = f.borrow();
            (f.opened, f.closed, f.is_open)
        })
    }

    /// The whole response as the encoder gives it for the value given whole (the one
    /// record counted, as a Read response counts them).
    fn expected(cf: u16, path: &str, data: &[u8]) -> Vec<u8> {
        let f = Format::from_content_format(cf).unwrap();
        let base = Path::parse(path.as_bytes()).unwrap();
        let mut out = vec![0u8; 3 * LEN];
        let mut enc = f.counted_encoder(base, &mut out, None, 1);
        enc.entry(&Entry::new(Path::new(&[19, 0, 0, 0]), Value::Bytes(data)))
            .unwrap();
        let n = enc.finish().unwrap();
        out.truncate(n);
        out
    }

    /// Reads `path` in `cf` as a server that starts without Block2 (the client picks the
    /// block size) and follows with the blocks the client offers (switching to smaller
    /// ones as `resize` says); returns the joined payload.
    fn read_blockwise(
        rig: &mut Rig,
        mid: &mut u16,
        path: &str,
        cf: u16,
        resize: Option<(u32, u8)>,
    ) -> Vec<u8> {
        *mid += 1;
        let first = get_block(rig, *mid, path, u32::from(cf), None);
        assert_eq!(
            first.header.code,
            MessageClass::Response(ResponseType::Content),
            "{cf} {path}"
        );
        let b = block_value(&first, CoapOption::Block2).expect("Block2");
        assert_eq!((b.num, b.more), (0, true));
        let mut got = first.payload.clone();
        let (mut num, mut szx) = (1u32, b.szx);
        loop {
            if let Some((at, s)) = resize {
                if num == at {
                    // Smaller blocks from here on: same offset, new numbering.
                    num <<= szx - s;
                    szx = s;
                }
            }
            *mid += 1;
            let p = get_block(
                rig,
                *mid,
                path,
                u32::from(cf),
                Some(Block {
                    num,
                    more: false,
                    szx,
                }),
            );
            assert_eq!(p.header.code, MessageClass::Response(ResponseType::Content));
            let b = block_value(&p, CoapOption::Block2).unwrap();
            assert_eq!((b.num, b.szx), (num, szx));
            got.extend_from_slice(&p.payload);
            if !b.more {
                break;
            }
            num += 1;
        }
        got
    }

    #[test]
    fn a_large_external_value_is_streamed_block_wise_in_every_format() {
        let data: Vec<u8> = (0..LEN).map(|i| (i * 31 + i / 251) as u8).collect();
        FILE.with(|f| {
            *f.borrow_mut() = File {
                data: data.clone(),
                ..File::default()
            }
        });
        let mut rig = Rig::new();
        register(&mut rig);
        install(&mut rig);
        let mut mid = 0x7000;
        let cases: &[(u16, &str, Resize)] = &[
            (112, "/19/0/0/0", None),        // SenML CBOR
            (112, "/19", Some((2, 3))),      // SenML CBOR of the whole object, resized
            (11542, "/19/0/0/0", None),      // TLV
            (11542, "/19/0", Some((3, 4))),  // TLV, instance level, resized
            (42, "/19/0/0/0", None),         // opaque
            (42, "/19/0/0/0", Some((1, 2))), // opaque, resized
            (0, "/19/0/0/0", None),          // text (base64)
            (110, "/19/0/0", None),          // SenML JSON (base64url)
            (60, "/19/0/0/0", None),         // CBOR
            (11544, "/19/0", None),          // LwM2M CBOR
        ];
        for &(cf, path, resize) in cases {
            let got = read_blockwise(&mut rig, &mut mid, path, cf, resize);
            assert_eq!(got, expected(cf, path, &data), "{cf} {path}");
            let (opened, closed, is_open) = counts();
            assert!(opened > 0);
            assert_eq!((opened, is_open), (closed, false), "{cf} {path}");
        }
    }

    /// One block of a Read of `path` in `cf`: its payload and whether more follow.
    fn fetch(
        rig: &mut Rig,
        mid: &mut u16,
        path: &str,
        cf: u16,
        num: u32,
        szx: u8,
    ) -> (Vec<u8>, bool) {
        *mid += 1;
        let block = Block {
            num,
            more: false,
            szx,
        };
        let p = get_block(rig, *mid, path, u32::from(cf), Some(block));
        assert_eq!(
            p.header.code,
            MessageClass::Response(ResponseType::Content),
            "{cf} {path} block {num}"
        );
        let b = block_value(&p, CoapOption::Block2).expect("Block2");
        assert_eq!((b.num, b.szx), (num, szx));
        (p.payload.clone(), b.more)
    }

    /// The `get_external_data` calls and bytes since the last call (and resets them).
    fn take_reads() -> (usize, usize) {
        FILE.with(|f| {
            let mut f = f.borrow_mut();
            (std::mem::take(&mut f.reads), std::mem::take(&mut f.bytes))
        })
    }

    /// Anjay Lite's AT-ExternalDataTypes case: an 8,000-byte file read block-wise, in 512-
    /// and 64-byte blocks, in every format with a binary value. The value stays open
    /// between the blocks, so each block reads only its own bytes: in all, one pass to
    /// measure the length (the response's Size2 and the Block2 M flag need it before the
    /// first block) and one to send it; not a pass (or two) per block. A jump back to
    /// block 0 (a new Read), a jump back within the transfer, and a change of the block
    /// size in the middle still give exactly the file's bytes.
    #[test]
    fn a_block_wise_read_reads_an_external_value_once_not_once_per_block() {
        const SIZE: usize = 8000;
        let data: Vec<u8> = (0..SIZE).map(|i| (i * 7 + i / 253) as u8).collect();
        FILE.with(|f| {
            *f.borrow_mut() = File {
                data: data.clone(),
                ..File::default()
            }
        });
        let mut rig = Rig::new();
        register(&mut rig);
        install(&mut rig);
        let mut mid = 0x7200;
        let formats: &[(u16, &str)] = &[
            (42, "/19/0/0/0"),    // opaque
            (60, "/19/0/0/0"),    // CBOR
            (11542, "/19/0/0/0"), // TLV
            (11542, "/19/0"),     // TLV, instance level
            (112, "/19/0/0/0"),   // SenML CBOR
            (11544, "/19/0"),     // LwM2M CBOR
        ];
        for &(cf, path) in formats {
            let expected = expected(cf, path, &data);
            for szx in [5u8, 2] {
                take_reads();
                let mut got = Vec::new();
                let mut num = 0;
                loop {
                    let (payload, more) = fetch(&mut rig, &mut mid, path, cf, num, szx);
                    got.extend_from_slice(&payload);
                    if !more {
                        break;
                    }
                    num += 1;
                }
                assert_eq!(got, expected, "{cf} {path} szx {szx}");
                let (reads, bytes) = take_reads();
                std::println!(
                    "cf {cf} {path} {}-byte blocks: {} blocks, {reads} reads, {bytes} bytes read",
                    16usize << szx,
                    num + 1
                );
                // One measuring pass and one sending pass; each block's reads end at
                // its end (at most one short read more per block).
                assert_eq!(bytes, 2 * SIZE, "{cf} {path} szx {szx}");
                assert!(
                    reads <= 2 * SIZE / 128 + 2 * (num as usize + 1),
                    "{cf} {path} szx {szx}: {reads} reads"
                );
                let (opened, closed, is_open) = counts();
                assert_eq!((opened, is_open), (closed, false), "{cf} {path}");
            }
            // 512-byte blocks 0..=3, then block 0 again (a new Read: measured and read
            // again), on to block 5, back to block 2 (the value is read again from its
            // start up to there), then 64-byte blocks from the same offset to the end.
            let mut got = Vec::new();
            for num in 0..4 {
                got.extend_from_slice(&fetch(&mut rig, &mut mid, path, cf, num, 5).0);
            }
            got.clear();
            for num in 0..6 {
                got.extend_from_slice(&fetch(&mut rig, &mut mid, path, cf, num, 5).0);
            }
            got.truncate(2 * 512);
            for num in 2..4 {
                got.extend_from_slice(&fetch(&mut rig, &mut mid, path, cf, num, 5).0);
            }
            let mut num = 4 * 8;
            loop {
                let (payload, more) = fetch(&mut rig, &mut mid, path, cf, num, 2);
                got.extend_from_slice(&payload);
                if !more {
                    break;
                }
                num += 1;
            }
            assert_eq!(got, expected, "{cf} {path}: jumps and a new block size");
            let (opened, closed, is_open) = counts();
            assert_eq!((opened, is_open), (closed, false), "{cf} {path}");
        }
        // A transfer left in the middle is closed by the next other request.
        fetch(&mut rig, &mut mid, "/19/0/0/0", 42, 0, 5);
        assert!(counts().2, "open between the blocks");
        fetch(&mut rig, &mut mid, "/19/0/0/0", 42, 1, 5);
        assert!(counts().2);
        let p = get_block(&mut rig, 0x7f00, "/3/0/0", 0, None);
        assert_eq!(p.header.code, MessageClass::Response(ResponseType::Content));
        let (opened, closed, is_open) = counts();
        assert_eq!((opened, is_open), (closed, false));
        // ... and one whose next block does not come in time by the request timeout.
        fetch(&mut rig, &mut mid, "/19/0/0/0", 42, 0, 5);
        assert!(counts().2);
        rig.run_until(60 * crate::time::SEC, |_| false);
        rig.link.sent.clear();
        let (opened, closed, is_open) = counts();
        assert_eq!((opened, is_open), (closed, false));
        // ... and by anj_core_shutdown.
        fetch(&mut rig, &mut mid, "/19/0/0/0", 42, 0, 5);
        assert!(counts().2);
        // SAFETY (test): the rig's client, outside of any step.
        assert_eq!(
            unsafe { crate::ffi::core::anj_core_shutdown(rig.anj_ptr()) },
            0
        );
        let (opened, closed, is_open) = counts();
        assert_eq!((opened, is_open), (closed, false));
    }

    #[test]
    fn a_failing_external_value_is_5_00_and_closed() {
        let data: Vec<u8> = (0..LEN).map(|i| i as u8).collect();
        FILE.with(|f| {
            *f.borrow_mut() = File {
                data,
                fail_at: Some(3000),
                ..File::default()
            }
        });
        let mut rig = Rig::new();
        register(&mut rig);
        install(&mut rig);
        for (i, cf) in [112u32, 11542, 42, 0].into_iter().enumerate() {
            let p = get_block(&mut rig, 0x7100 + i as u16, "/19/0/0/0", cf, None);
            assert_eq!(
                p.header.code,
                MessageClass::Response(ResponseType::InternalServerError),
                "{cf}"
            );
            let (opened, closed, is_open) = counts();
            assert_eq!((opened, is_open), (closed, false), "{cf}");
        }
    }
}

/// Structured block-wise requests (TLV, SenML CBOR, SenML JSON, LwM2M CBOR): decoded block by block, each block's
/// complete entries applied at once, in the same transactions as the one-shot request.
#[cfg(all(
    feature = "tlv",
    feature = "senml-json",
    feature = "lwm2m-cbor",
    feature = "composite-operations"
))]
mod structured {
    use super::super::dm_tests::{code, env, senml_cbor, Env};
    use super::*;
    use crate::io::format::{SENML_CBOR, TLV};
    use crate::io::value::{Encoder, Entry, Path, Value};
    use coap_lite::MessageType;
    use std::string::String;

    /// Sends `payload` in blocks of `16 << szx` bytes (whole without Block1 if `None`);
    /// returns every response.
    fn send(
        e: &mut Env,
        method: RequestType,
        path: &str,
        cf: u16,
        payload: &[u8],
        szx: Option<u8>,
    ) -> Vec<Packet> {
        let chunks: Vec<&[u8]> = match szx {
            None => vec![payload],
            Some(s) => payload.chunks(16 << s).collect(),
        };
        let mut out = vec![];
        for (i, c) in chunks.iter().enumerate() {
            e.mid += 1;
            let mut p = server_request(method, e.mid, path);
            p.add_option(CoapOption::ContentFormat, uint_opt(cf.into()));
            if let Some(szx) = szx {
                let b = Block {
                    num: i as u32,
                    more: i + 1 < chunks.len(),
                    szx,
                };
                p.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
            }
            p.payload = c.to_vec();
            e.rig.deliver(&p);
            e.rig.step();
            let mut resp = None;
            while let Some(s) = e.rig.take_sent() {
                if s.header.get_type() == MessageType::Acknowledgement
                    && s.header.message_id == e.mid
                {
                    resp = Some(s);
                }
            }
            out.push(resp.expect("a response"));
        }
        out
    }

    fn encode(fmt: crate::io::format::Format, base: &[u16], entries: &[Entry<'_>]) -> Vec<u8> {
        let mut buf = vec![0u8; 4096];
        let mut enc = fmt.encoder(Path::new(base), &mut buf);
        for en in entries {
            enc.entry(en).unwrap();
        }
        let n = enc.finish().unwrap();
        buf.truncate(n);
        buf
    }

    /// Checks that every response but the last is 2.31 Continue echoing its Block1, and
    /// returns the last.
    fn last_of(resps: &[Packet], blockwise: bool) -> Packet {
        for (i, r) in resps.iter().enumerate() {
            if blockwise {
                let b = block_value(r, CoapOption::Block1).expect("Block1 echoed");
                assert_eq!(b.num, i as u32);
                assert_eq!(b.more, i + 1 < resps.len());
            }
            if i + 1 < resps.len() {
                assert_eq!(code(r), ResponseType::Continue, "block {i}");
            }
        }
        resps.last().unwrap().clone()
    }

    /// What a request did: the last response code, both objects' handler calls, and
    /// their data afterwards.
    type Outcome = (ResponseType, Vec<String>, Vec<String>, String);

    fn outcome(e: &mut Env, resps: &[Packet], blockwise: bool) -> Outcome {
        let last = last_of(resps, blockwise);
        let data = format!(
            "{:?} {:?} {:?} {} {} {} {:?} {:?}",
            e.a.iids(),
            e.a.riids(0),
            e.a.riids(0)
                .iter()
                .map(|&r| e.a.blob(0, r))
                .collect::<Vec<_>>(),
            e.a.name(0),
            e.a.data(0).value,
            e.a.data(0).uint,
            e.b.data(0).value,
            last.get_option(CoapOption::LocationPath)
        );
        (code(&last), e.a.take_log(), e.b.take_log(), data)
    }

    /// Runs the same request whole and in blocks of 16, 32 and 64 bytes on fresh
    /// clients; all must end the same.
    fn same_as_one_shot(method: RequestType, path: &str, cf: u16, payload: &[u8]) -> Outcome {
        let run = |szx: Option<u8>| {
            let mut e = env();
            let resps = send(&mut e, method, path, cf, payload, szx);
            if let Some(s) = szx {
                assert!(
                    resps.len() >= 2 + usize::from(s < 2),
                    "{} blocks",
                    resps.len()
                );
            }
            outcome(&mut e, &resps, szx.is_some())
        };
        let whole = run(None);
        for szx in [0, 1, 2] {
            assert_eq!(run(Some(szx)), whole, "blocks of {}", 16 << szx);
        }
        whole
    }

    fn instance_0() -> Vec<Entry<'static>> {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        vec![
            e(&[4000, 0, 0], Value::Int(-0x1234_5678_9abc)),
            e(
                &[4000, 0, 1],
                Value::String("a name of exactly thirty-one ch"),
            ),
            e(&[4000, 0, 3, 0], Value::Bytes(b"0123456789abcdef")),
            e(&[4000, 0, 3, 1], Value::Bytes(b"fedcba9876543210")),
            e(&[4000, 0, 3, 2], Value::Bytes(b"sixteen bytes!!!")),
            e(&[4000, 0, 5], Value::Bool(true)),
            e(&[4000, 0, 6], Value::Uint(u64::MAX)),
        ]
    }

    #[test]
    fn a_tlv_write_replace_of_an_instance_in_blocks() {
        let mut entries = instance_0();
        // Validation rejects negative values: use a positive one.
        entries[0] = Entry::new(Path::new(&[4000, 0, 0]), Value::Int(0x1234_5678_9abc));
        let payload = encode(crate::io::format::Format::Tlv, &[4000, 0], &entries);
        assert!(payload.len() > 64, "{}", payload.len());
        let (c, a, b, data) = same_as_one_shot(RequestType::Put, "/4000/0", TLV, &payload);
        assert_eq!(c, ResponseType::Changed);
        assert_eq!(a[..2], ["begin", "reset 0"]);
        assert_eq!(a[a.len() - 2..], ["validate", "end ok"]);
        assert!(b.is_empty());
        assert!(data.contains("a name of exactly thirty-one ch"), "{data}");
        assert!(data.contains("[0, 1, 2]"), "{data}");
    }

    #[test]
    fn a_senml_cbor_write_composite_in_blocks() {
        use ciborium::Value as C;
        let payload = senml_cbor(&[
            ("/4000/0/0", Some(C::Integer(11.into()))),
            (
                "/4000/0/1",
                Some(C::Text("composite name, 31 characters!".into())),
            ),
            ("/4001/0/0", Some(C::Integer(22.into()))),
            ("/4000/0/3/0", Some(C::Bytes(b"0123456789abcdef".to_vec()))),
            ("/4000/0/3/1", None),
            ("/4000/0/6", Some(C::Integer(123_456_789_012u64.into()))),
            ("/4001/0/6", Some(C::Integer(7.into()))),
            ("/4000/0/5", Some(C::Bool(false))),
        ]);
        assert!(payload.len() > 128, "{}", payload.len());
        let (c, a, b, data) = same_as_one_shot(RequestType::IPatch, "/", SENML_CBOR, &payload);
        assert_eq!(c, ResponseType::Changed);
        assert_eq!(a.first().map(String::as_str), Some("begin"));
        assert_eq!(a[a.len() - 2..], ["validate", "end ok"]);
        assert_eq!(b, ["begin", "write 0/0", "write 0/6", "validate", "end ok"]);
        assert!(data.contains("composite name"), "{data}");
    }

    #[test]
    fn a_senml_json_write_composite_and_an_lwm2m_cbor_write_in_blocks() {
        use crate::io::format::{Format, LWM2M_CBOR, SENML_JSON};
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        let payload = encode(
            Format::SenmlJson,
            &[],
            &[
                e(&[4000, 0, 0], Value::Int(11)),
                e(
                    &[4000, 0, 1],
                    Value::String("composite \"name\", 31 chars.."),
                ),
                e(&[4001, 0, 0], Value::Int(22)),
                e(&[4000, 0, 3, 0], Value::Bytes(b"0123456789abcdef")),
                e(&[4000, 0, 6], Value::Uint(123_456_789_012)),
                e(&[4001, 0, 6], Value::Int(7)),
                e(&[4000, 0, 5], Value::Bool(false)),
            ],
        );
        assert!(payload.len() > 128, "{}", payload.len());
        let (c, a, b, data) = same_as_one_shot(RequestType::IPatch, "/", SENML_JSON, &payload);
        assert_eq!(c, ResponseType::Changed);
        assert_eq!(a.first().map(String::as_str), Some("begin"));
        assert_eq!(a[a.len() - 2..], ["validate", "end ok"]);
        assert_eq!(b, ["begin", "write 0/0", "write 0/6", "validate", "end ok"]);
        assert!(data.contains("composite \"name\", 31 chars.."), "{data}");

        let mut entries = instance_0();
        entries[0] = Entry::new(Path::new(&[4000, 0, 0]), Value::Int(0x1234_5678_9abc));
        let payload = encode(Format::Lwm2mCbor, &[4000, 0], &entries);
        assert!(payload.len() > 64, "{}", payload.len());
        let (c, a, b, data) = same_as_one_shot(RequestType::Put, "/4000/0", LWM2M_CBOR, &payload);
        assert_eq!(c, ResponseType::Changed);
        assert_eq!(a[..2], ["begin", "reset 0"]);
        assert_eq!(a[a.len() - 2..], ["validate", "end ok"]);
        assert!(b.is_empty());
        assert!(data.contains("a name of exactly thirty-one ch"), "{data}");
        assert!(data.contains("[0, 1, 2]"), "{data}");
    }

    #[test]
    fn a_create_in_blocks() {
        // A TLV Object Instance 2, and bare resources (no IID: the lowest free one).
        let mut entries = instance_0();
        entries[0] = Entry::new(Path::new(&[4000, 0, 0]), Value::Int(5));
        entries.truncate(3);
        let with_iid: Vec<Entry<'_>> = entries
            .iter()
            .map(|e| {
                let mut ids = e.path.as_slice().to_vec();
                ids[1] = 2;
                Entry::new(Path::new(&ids), e.value)
            })
            .collect();
        let named = encode(crate::io::format::Format::Tlv, &[4000], &with_iid);
        for (payload, iid) in [(named, 2u16)] {
            let run = |szx: Option<u8>| {
                let mut e = env();
                let resps = send(&mut e, RequestType::Post, "/4000", TLV, &payload, szx);
                let last = last_of(&resps, szx.is_some());
                assert_eq!(code(&last), ResponseType::Created);
                let loc: Vec<Vec<u8>> = last
                    .get_option(CoapOption::LocationPath)
                    .unwrap()
                    .iter()
                    .cloned()
                    .collect();
                assert_eq!(loc, [b"4000".to_vec(), iid.to_string().into_bytes()]);
                assert_eq!(e.a.data(iid).value, 5);
                assert_eq!(e.a.name(iid), "a name of exactly thirty-one ch");
                e.a.take_log()
            };
            let whole = run(None);
            assert_eq!(whole[..2], ["begin".to_string(), format!("create {iid}")]);
            for szx in [0, 1, 2] {
                assert_eq!(run(Some(szx)), whole, "blocks of {}", 16 << szx);
            }
        }
        // Bare resources in SenML CBOR with relative names under a base name.
        use ciborium::Value as C;
        let bare = senml_cbor(&[
            ("/4000/2/0", Some(C::Integer(9.into()))),
            (
                "/4000/2/1",
                Some(C::Text("created in sixteen-byte blocks".into())),
            ),
        ]);
        let mut e = env();
        let resps = send(
            &mut e,
            RequestType::Post,
            "/4000",
            SENML_CBOR,
            &bare,
            Some(0),
        );
        assert!(resps.len() > 2);
        assert_eq!(code(&last_of(&resps, true)), ResponseType::Created);
        assert_eq!(e.a.data(2).value, 9);
        assert_eq!(e.a.name(2), "created in sixteen-byte blocks");
        assert_eq!(
            e.a.take_log(),
            [
                "begin",
                "create 2",
                "write 2/0",
                "write 2/1",
                "validate",
                "end ok"
            ]
        );
    }

    #[test]
    fn a_create_with_a_value_streamed_in_chunks_names_its_instance_and_rolls_back() {
        // The first entry of a Create is a String longer than the carry: it reaches the
        // handler in chunks, the instance is created first; the handler's buffer (32
        // bytes) is too small, so the Create fails and the new instance is rolled back.
        use ciborium::Value as C;
        let long: String = (0..700)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let payload = senml_cbor(&[
            ("/4000/2/1", Some(C::Text(long))),
            ("/4000/2/0", Some(C::Integer(9.into()))),
        ]);
        let mut e = env();
        let resps = send(
            &mut e,
            RequestType::Post,
            "/4000",
            SENML_CBOR,
            &payload,
            Some(5),
        );
        // The first block already holds more of it than the carry takes.
        assert_eq!(code(&resps[0]), ResponseType::InternalServerError);
        assert_eq!(code(&resps[1]), ResponseType::RequestEntityIncomplete);
        let log = e.a.take_log();
        assert_eq!(log[..3], ["begin", "create 2", "write 2/1"], "{log:?}");
        assert_eq!(log.last().map(String::as_str), Some("end fail"));
        assert!(!e.a.iids().contains(&2));
    }

    #[test]
    fn a_failure_in_a_later_block_rolls_back_the_earlier_ones() {
        // Write-Partial: resources 0 and 6 in block 0, a resource instance across blocks
        // 0 and 1, then a value for a read-only resource at the end.
        let e9 = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        let payload = encode(
            crate::io::format::Format::Tlv,
            &[4000, 0],
            &[
                e9(&[4000, 0, 0], Value::Int(77)),
                e9(&[4000, 0, 6], Value::Uint(5)),
                e9(&[4000, 0, 3, 0], Value::Bytes(b"0123456789abcdef")),
                e9(&[4000, 0, 2], Value::Double(1.5)),
            ],
        );
        assert!(payload.len() > 32);
        let mut e = env();
        let one_shot = send(&mut e, RequestType::Post, "/4000/0", TLV, &payload, None);
        let want = code(&one_shot[0]);
        e.a.take_log();
        let before = (e.a.data(0).value, e.a.data(0).uint, e.a.name(0));
        let resps = send(&mut e, RequestType::Post, "/4000/0", TLV, &payload, Some(0));
        assert_eq!(code(&resps[0]), ResponseType::Continue);
        assert_eq!(code(resps.last().unwrap()), want);
        assert!(want.is_error(), "{want:?}");
        let log = e.a.take_log();
        assert_eq!(log[..3], ["begin", "write 0/0", "write 0/6"]);
        assert_eq!(log.last().map(String::as_str), Some("end fail"));
        assert_eq!((e.a.data(0).value, e.a.data(0).uint, e.a.name(0)), before);

        // Write-Composite: object 4001 fails validation at the end: both roll back.
        use ciborium::Value as C;
        let bad = senml_cbor(&[
            ("/4000/0/0", Some(C::Integer(99.into()))),
            (
                "/4000/0/1",
                Some(C::Text("a value in the first block".into())),
            ),
            ("/4001/0/0", Some(C::Integer((-1).into()))),
        ]);
        let resps = send(&mut e, RequestType::IPatch, "/", SENML_CBOR, &bad, Some(0));
        assert_eq!(code(resps.last().unwrap()), ResponseType::BadRequest);
        assert_eq!(e.a.data(0).value, before.0);
        assert_eq!(e.a.take_log().last().map(String::as_str), Some("end fail"));
        assert_eq!(e.b.take_log().last().map(String::as_str), Some("end fail"));

        // A decoding error in block 1 (an entry that cannot be TLV): 4.00, rolled back.
        let mut broken = payload.clone();
        broken.truncate(20);
        broken.extend_from_slice(&[0xC1, 0xFF]);
        broken.resize(40, 0xFF);
        let resps = send(&mut e, RequestType::Post, "/4000/0", TLV, &broken, Some(0));
        assert_eq!(code(resps.last().unwrap()), ResponseType::BadRequest);
        assert_eq!(e.a.take_log().last().map(String::as_str), Some("end fail"));
        assert_eq!(e.a.data(0).value, before.0);
    }

    #[test]
    fn a_stalled_structured_transfer_rolls_back_and_gaps_are_4_08() {
        let payload = encode(
            crate::io::format::Format::Tlv,
            &[4000, 0],
            &instance_0()[1..3],
        );
        let mut e = env();
        let name = e.a.name(0);
        // Block 0 of a longer payload, then not the block expected.
        e.mid += 1;
        let mut p = server_request(RequestType::Post, e.mid, "/4000/0");
        p.add_option(CoapOption::ContentFormat, uint_opt(TLV.into()));
        let b = Block {
            num: 0,
            more: true,
            szx: 0,
        };
        p.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
        p.payload = payload[..16].to_vec();
        e.rig.deliver(&p);
        e.rig.step();
        assert_eq!(
            e.rig.take_sent().map(|p| p.header.code),
            Some(MessageClass::Response(ResponseType::Continue))
        );
        // Block 2 instead of 1: 4.08 (the transfer stays open for the right block).
        e.mid += 1;
        let mut p = server_request(RequestType::Post, e.mid, "/4000/0");
        p.add_option(CoapOption::ContentFormat, uint_opt(TLV.into()));
        let b = Block {
            num: 2,
            more: true,
            szx: 0,
        };
        p.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
        p.payload = payload[32..48].to_vec();
        e.rig.deliver(&p);
        e.rig.step();
        assert_eq!(
            e.rig.take_sent().map(|p| p.header.code),
            Some(MessageClass::Response(
                ResponseType::RequestEntityIncomplete
            ))
        );
        // No next block within the request timeout: rolled back.
        e.rig.run_until(60 * crate::time::SEC, |_| false);
        e.rig.link.sent.clear();
        assert_eq!(e.a.take_log().last().map(String::as_str), Some("end fail"));
        assert_eq!(e.a.name(0), name);
    }
}

/// A String or Opaque value longer than the Block1 carry inside a structured payload: its
/// content reaches the write handler in chunks as the blocks come (offsets in order, the
/// full length on each), inside the one transaction of the request.
mod chunked_values {
    use super::*;
    use crate::io::value::{Encoder, Entry, Path, Value};

    pub(super) fn image(len: usize) -> Vec<u8> {
        (0..len as u32).map(|i| (i * 13 % 251) as u8).collect()
    }

    pub(super) fn rig() -> Rig {
        let mut rig = Rig::new();
        register(&mut rig);
        install(&mut rig);
        LOG.with(|l| *l.borrow_mut() = Log::default());
        rig
    }

    /// Sends `payload` in 512-byte blocks; returns the response codes.
    pub(super) fn send(
        rig: &mut Rig,
        mid: u16,
        method: RequestType,
        path: &str,
        cf: u16,
        payload: &[u8],
    ) -> Vec<ResponseType> {
        let blocks: Vec<&[u8]> = payload.chunks(512).collect();
        let mut codes = vec![];
        for (i, c) in blocks.iter().enumerate() {
            let mut req = server_request(method, mid + i as u16, path);
            req.add_option(CoapOption::ContentFormat, uint_opt(cf.into()));
            let b = Block {
                num: i as u32,
                more: i + 1 < blocks.len(),
                szx: 5,
            };
            req.add_option(CoapOption::Block1, uint_opt(b.to_uint().unwrap()));
            req.payload = c.to_vec();
            rig.deliver(&req);
            rig.step();
            let p = rig.take_sent().expect("a response");
            match p.header.code {
                MessageClass::Response(r) => codes.push(r),
                c => panic!("{c:?}"),
            }
        }
        codes
    }

    pub(super) fn encode(
        fmt: crate::io::format::Format,
        base: &[u16],
        entries: &[Entry<'_>],
    ) -> Vec<u8> {
        let mut buf = vec![0u8; 16384];
        let mut enc = fmt.encoder(Path::new(base), &mut buf);
        for en in entries {
            enc.entry(en).unwrap();
        }
        let n = enc.finish().unwrap();
        buf.truncate(n);
        buf
    }

    pub(super) fn continues_then(codes: &[ResponseType], last: ResponseType) {
        let (l, rest) = codes.split_last().unwrap();
        assert!(
            rest.iter().all(|c| *c == ResponseType::Continue),
            "{codes:?}"
        );
        assert_eq!(*l, last, "{codes:?}");
    }

    /// The chunks of the values written, in order: each value's chunks start at 0 and
    /// follow each other; the full length is on each chunk (or, where it is known only
    /// at the end, 0 before the last one); returns the values' lengths.
    pub(super) fn values_of(chunks: &[(usize, usize, usize)]) -> Vec<usize> {
        let mut lens = vec![];
        let mut next = 0;
        let mut hint = None;
        for &(offset, len, full) in chunks {
            assert_eq!(offset, next, "{chunks:?}");
            if full == offset + len {
                assert!(hint.map_or(true, |h| h == 0 || h == full), "{chunks:?}");
                lens.push(full);
                next = 0;
                hint = None;
                continue;
            }
            assert!(full == 0 || full > offset + len, "{chunks:?}");
            assert!(hint.map_or(true, |h| h == full), "{chunks:?}");
            hint = Some(full);
            next = offset + len;
        }
        assert_eq!(next, 0, "the last value did not end: {chunks:?}");
        lens
    }

    /// Writes of a value of a few KiB in `fmt` (to the resource and to its instance;
    /// Write-Composite when `composite`), then a handler failure half-way.
    pub(super) fn check_format(fmt: crate::io::format::Format, composite: bool) {
        let cf = fmt.content_format();
        let big = image(3000);
        let small = image(20);
        let e = |v| Entry::new(Path::new(&[4000, 0, 1]), v);
        let mut cases = vec![
            (
                "/4000/0/1",
                RequestType::Put,
                &[4000u16, 0, 1][..],
                vec![e(Value::Bytes(&big))],
            ),
            (
                "/4000/0",
                RequestType::Post,
                &[4000, 0],
                vec![e(Value::Bytes(&big)), e(Value::Bytes(&small))],
            ),
        ];
        if composite {
            cases.push((
                "/",
                RequestType::IPatch,
                &[],
                vec![
                    e(Value::Bytes(&small)),
                    e(Value::Bytes(&big)),
                    e(Value::Bytes(&big)),
                ],
            ));
        }
        for (path, method, base, entries) in cases {
            let mut rig = rig();
            let payload = encode(fmt, base, &entries);
            let codes = send(&mut rig, 0x7000, method, path, cf, &payload);
            continues_then(&codes, ResponseType::Changed);
            LOG.with(|l| {
                let l = l.borrow();
                let want: Vec<u8> = entries
                    .iter()
                    .flat_map(|e| match e.value {
                        Value::Bytes(b) => b.to_vec(),
                        _ => unreachable!(),
                    })
                    .collect();
                assert!(l.data == want, "{fmt:?} {path}");
                let lens: Vec<usize> = entries
                    .iter()
                    .map(|e| match e.value {
                        Value::Bytes(b) => b.len(),
                        _ => 0,
                    })
                    .collect();
                assert_eq!(values_of(&l.chunks), lens, "{fmt:?} {path}");
                // The big value came in pieces, none larger than a block and the carry.
                assert!(l.chunks.len() >= entries.len() + 5, "{:?}", l.chunks);
                let most = 512 + crate::client::BLOCK1_CARRY_SIZE;
                assert!(l.chunks.iter().all(|c| c.1 <= most), "{:?}", l.chunks);
                assert_eq!((l.begins, l.ends.as_slice()), (1, &[true][..]));
            });

            // The handler fails on the chunk that passes byte 1500: that block's answer
            // is the handler's 5.00, the transaction rolls back, the rest is 4.08.
            let mut rig = super::super::tests::Rig::new();
            register(&mut rig);
            install(&mut rig);
            LOG.with(|l| {
                *l.borrow_mut() = Log {
                    fail_past: Some(1500),
                    ..Log::default()
                }
            });
            let codes = send(&mut rig, 0x7100, method, path, cf, &payload);
            let failed = codes
                .iter()
                .position(|c| *c != ResponseType::Continue)
                .unwrap();
            assert_eq!(
                codes[failed],
                ResponseType::InternalServerError,
                "{codes:?}"
            );
            assert!(codes[failed + 1..]
                .iter()
                .all(|c| *c == ResponseType::RequestEntityIncomplete));
            LOG.with(|l| {
                let l = l.borrow();
                assert_eq!(l.ends, vec![false]);
                // Chunks of the failing value up to byte 1500 (of 3000) got through
                // (after the 20-byte value in the Write-Composite).
                let n = l.data.len();
                assert!(n <= 1500 + 20 && n > 500, "{:?}", l.chunks);
            });
        }

        // The payload ends inside the value: 4.00, rolled back.
        let mut rig = rig();
        let mut payload = encode(fmt, &[4000, 0, 1], &[e(Value::Bytes(&big))]);
        payload.truncate(2000);
        let codes = send(
            &mut rig,
            0x7200,
            RequestType::Put,
            "/4000/0/1",
            cf,
            &payload,
        );
        continues_then(&codes, ResponseType::BadRequest);
        LOG.with(|l| assert_eq!(l.borrow().ends, vec![false]));
    }

    #[cfg(feature = "senml-cbor")]
    #[test]
    fn senml_cbor_values_larger_than_the_carry_come_in_chunks() {
        check_format(
            crate::io::format::Format::SenmlCbor,
            cfg!(feature = "composite-operations"),
        );
    }
}

#[cfg(feature = "senml-cbor")]
#[test]
fn a_senml_cbor_value_before_its_name_must_fit_the_carry() {
    use chunked_values::*;
    use ciborium::Value as C;
    let big = image(1000);
    let pack = |recs: Vec<Vec<(i64, C)>>| {
        let recs = recs
            .into_iter()
            .map(|r| {
                C::Map(
                    r.into_iter()
                        .map(|(k, v)| (C::Integer(k.into()), v))
                        .collect(),
                )
            })
            .collect();
        let mut out = vec![];
        ciborium::into_writer(&C::Array(recs), &mut out).unwrap();
        out
    };
    // A record with no name whose value is its last pair: the base name of the record
    // before names it, so it is chunked.
    let last = pack(vec![
        vec![(-2, C::Text("/4000/0/1".into())), (8, C::Bytes(vec![7; 3]))],
        vec![(8, C::Bytes(big.clone()))],
    ]);
    let mut r = rig();
    let codes = send(&mut r, 0x7400, RequestType::Put, "/4000/0/1", 112, &last);
    continues_then(&codes, ResponseType::Changed);
    LOG.with(|l| assert!(l.borrow().data[3..] == big[..]));
    // The name after the value: the path is not known at the first chunk, 4.13.
    let first = pack(vec![vec![
        (8, C::Bytes(big.clone())),
        (0, C::Text("/4000/0/1".into())),
    ]]);
    let mut r = rig();
    let codes = send(&mut r, 0x7500, RequestType::Put, "/4000/0/1", 112, &first);
    assert_eq!(codes[0], ResponseType::RequestEntityTooLarge, "{codes:?}");
}

#[cfg(feature = "tlv")]
#[test]
fn tlv_values_larger_than_the_carry_come_in_chunks() {
    chunked_values::check_format(crate::io::format::Format::Tlv, false);
}

#[cfg(all(feature = "lwm2m-cbor", feature = "composite-operations"))]
#[test]
fn lwm2m_cbor_values_larger_than_the_carry_come_in_chunks() {
    chunked_values::check_format(crate::io::format::Format::Lwm2mCbor, true);
}

#[cfg(feature = "cbor")]
#[test]
fn a_plain_cbor_value_larger_than_the_carry_comes_in_chunks() {
    use crate::io::format::Format;
    use crate::io::value::{Entry, Path, Value};
    use chunked_values::*;
    let big = image(3000);
    let payload = encode(
        Format::Cbor,
        &[4000, 0, 1],
        &[Entry::new(Path::new(&[4000, 0, 1]), Value::Bytes(&big))],
    );
    let mut r = rig();
    let codes = send(&mut r, 0x7000, RequestType::Put, "/4000/0/1", 60, &payload);
    continues_then(&codes, ResponseType::Changed);
    LOG.with(|l| {
        let l = l.borrow();
        assert!(l.data == big);
        assert_eq!(values_of(&l.chunks), [3000]);
        assert!(l.chunks.len() >= 6, "{:?}", l.chunks);
        assert_eq!(l.ends, [true]);
    });
    // A handler failure half-way: its code, rolled back, the rest 4.08.
    let mut r = rig();
    LOG.with(|l| l.borrow_mut().fail_past = Some(1500));
    let codes = send(&mut r, 0x7100, RequestType::Put, "/4000/0/1", 60, &payload);
    assert_eq!(codes[..2], [ResponseType::Continue; 2]);
    assert_eq!(codes[2], ResponseType::InternalServerError, "{codes:?}");
    assert!(codes[3..]
        .iter()
        .all(|c| *c == ResponseType::RequestEntityIncomplete));
    LOG.with(|l| assert_eq!(l.borrow().ends, [false]));
    // Anything after the value, or a value that ends early: 4.00, rolled back.
    for payload in [
        [payload.as_slice(), &[0x01]].concat(),
        payload[..2000].to_vec(),
    ] {
        let mut r = rig();
        let codes = send(&mut r, 0x7200, RequestType::Put, "/4000/0/1", 60, &payload);
        continues_then(&codes, ResponseType::BadRequest);
        LOG.with(|l| assert_eq!(l.borrow().ends, [false]));
    }
}

#[cfg(all(feature = "senml-json", feature = "composite-operations"))]
#[test]
fn senml_json_vd_values_larger_than_the_carry_come_in_chunks() {
    use crate::io::format::Format;
    use crate::io::value::{Entry, Path, Value};
    use chunked_values::*;
    check_format(Format::SenmlJson, true);
    // A character that is not base64 in the middle of the value, or fields after it that
    // change its path: 4.00, rolled back.
    let big = image(3000);
    let payload = encode(
        Format::SenmlJson,
        &[4000, 0, 1],
        &[Entry::new(Path::new(&[4000, 0, 1]), Value::Bytes(&big))],
    );
    let mut bad_char = payload.clone();
    bad_char[1800] = b'!';
    let text = std::str::from_utf8(&payload).unwrap();
    let renamed = text.replacen("\"}]", "\",\"n\":\"/4000/0/1\"}]", 1);
    assert_ne!(renamed, text);
    for bad in [bad_char, renamed.into_bytes()] {
        let mut r = rig();
        let codes = send(&mut r, 0x7300, RequestType::Put, "/4000/0/1", 110, &bad);
        let failed = codes.iter().position(|c| *c != ResponseType::Continue);
        assert_eq!(
            failed.map(|i| codes[i]),
            Some(ResponseType::BadRequest),
            "{codes:?}"
        );
        LOG.with(|l| assert_eq!(l.borrow().ends, [false]));
    }
}
