//! The queue with records given from Rust data: validation, IDs, the owner's view of
//! finishes (re-entrant), payloads, and records that differ from those queued.

use super::*;
use std::cell::RefCell;
use std::vec::Vec;

const N: usize = LWM2M_SEND_QUEUE_SIZE;

/// A record as the owner keeps it: path, value, timestamp.
type Rec = (Path, Value<'static>, f64);

/// A Rust owner: the records of each ID, and what it was told.
#[derive(Default)]
struct Owner<'q> {
    records: RefCell<Vec<(u16, Vec<Rec>)>>,
    finished: RefCell<Vec<(u16, SendResult, usize)>>,
    /// Queue this request (paths, format) from `finished`, once.
    push_from_finished: RefCell<Option<(SendFormat, Vec<Path>)>>,
    pushed: RefCell<Vec<Result<u16, SendError>>>,
    abort_all_from_finished: bool,
    abort_results: RefCell<Vec<Result<(), SendError>>>,
    queue: Option<&'q SendQueue>,
}

impl SendSource for Owner<'_> {
    fn records(
        &self,
        id: u16,
        f: &mut dyn FnMut(Record<'_>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let all = self.records.borrow();
        let (_, recs) = all.iter().find(|(i, _)| *i == id).ok_or(IoError::Logic)?;
        for &(path, value, timestamp) in recs {
            f(Record {
                path,
                value: RecordValue::Plain(value),
                timestamp,
            })?;
        }
        Ok(())
    }

    fn finished(&self, id: u16, result: SendResult) {
        let len = self.queue.map_or(0, SendQueue::len);
        self.finished.borrow_mut().push((id, result, len));
        if let Some(q) = self.queue {
            if let Some((format, paths)) = self.push_from_finished.borrow_mut().take() {
                let r = q.push(format, paths.iter().copied());
                self.pushed.borrow_mut().push(r);
            }
            if self.abort_all_from_finished {
                self.abort_results
                    .borrow_mut()
                    .push(q.abort(self, SEND_ID_ALL));
            }
        }
    }
}

impl Owner<'_> {
    /// Queues `recs` on `q` and keeps them under the new ID.
    fn push(&self, q: &SendQueue, format: SendFormat, recs: &[Rec]) -> Result<u16, SendError> {
        let id = q.push(format, recs.iter().map(|r| r.0))?;
        self.records.borrow_mut().push((id, recs.to_vec()));
        Ok(id)
    }
}

fn demo() -> Vec<Rec> {
    vec![
        (Path::new(&[3, 0, 9]), Value::Int(42), 1705597224.0),
        (
            Path::new(&[3, 0, 17]),
            Value::String("demo_device"),
            1705597224.0,
        ),
    ]
}

#[test]
fn validation_by_paths() {
    let q = SendQueue::new();
    let none: [Path; 0] = [];
    assert_eq!(
        q.push(SendFormat::SenmlCbor, none.iter().copied()),
        Err(SendError::DataNotValid)
    );
    for bad in [
        Path::new(&[3, 0]),
        Path::new(&[3]),
        Path::ROOT,
        Path::new(&[3, 0, u16::MAX]),
        Path::new(&[3, u16::MAX, 1, 0]),
    ] {
        let paths = [Path::new(&[3, 0, 9]), bad];
        assert_eq!(
            q.push(SendFormat::SenmlCbor, paths.iter().copied()),
            Err(SendError::DataNotValid),
            "{bad:?}"
        );
    }
    let series = [Path::new(&[3, 0, 9]), Path::new(&[3, 0, 9])];
    assert_eq!(
        q.push(SendFormat::Lwm2mCbor, series.iter().copied()),
        Err(SendError::DataNotValid)
    );
    assert!(q.is_empty());
    // Validation comes before the gate.
    q.set_accepting(false);
    assert_eq!(
        q.push(SendFormat::SenmlCbor, none.iter().copied()),
        Err(SendError::DataNotValid)
    );
    assert_eq!(
        q.push(SendFormat::SenmlCbor, series.iter().copied()),
        Err(SendError::NotAllowed)
    );
    q.set_accepting(true);
    assert_eq!(q.push(SendFormat::SenmlCbor, series.iter().copied()), Ok(1));
    assert_eq!(q.format(1), Ok(SendFormat::SenmlCbor));
    assert_eq!(q.content_format(1), Ok(112));
    assert_eq!(q.content_format(2), Err(SendError::NoRequestFound));
}

#[test]
fn ids_wrap_skipping_zero_all_and_ids_in_use() {
    let owner = Owner::default();
    let q = SendQueue::new();
    q.last_id.set(u16::MAX - 2);
    let first = owner.push(&q, SendFormat::SenmlCbor, &demo()).unwrap();
    assert_eq!(first, u16::MAX - 1);
    assert!(q.finish(&owner, first, SendResult::Success));
    assert_eq!(owner.push(&q, SendFormat::SenmlCbor, &demo()), Ok(1));
    if N > 1 {
        // 1 is still queued: after another wrap it is skipped.
        q.last_id.set(u16::MAX - 1);
        assert_eq!(owner.push(&q, SendFormat::SenmlCbor, &demo()), Ok(2));
    } else {
        assert_eq!(
            owner.push(&q, SendFormat::SenmlCbor, &demo()),
            Err(SendError::NoSpace)
        );
        q.finish(&owner, 1, SendResult::Success);
        assert_eq!(owner.push(&q, SendFormat::SenmlCbor, &demo()), Ok(2));
    }
}

#[test]
fn finished_reaches_the_owner_after_removal_and_may_push() {
    let q = SendQueue::new();
    let owner = Owner {
        queue: Some(&q),
        ..Owner::default()
    };
    for _ in 0..N {
        owner.push(&q, SendFormat::SenmlCbor, &demo()).unwrap();
    }
    *owner.push_from_finished.borrow_mut() =
        Some((SendFormat::SenmlCbor, vec![Path::new(&[1, 0, 1])]));
    assert!(q.finish(&owner, 1, SendResult::Timeout));
    assert_eq!(
        owner.finished.borrow().as_slice(),
        &[(1, SendResult::Timeout, N - 1)]
    );
    assert_eq!(owner.pushed.borrow().as_slice(), &[Ok(N as u16 + 1)]);
    assert_eq!(q.len(), N);
    assert!(!q.finish(&owner, 1, SendResult::Success), "finished once");
    assert_eq!(owner.finished.borrow().len(), 1);
    assert_eq!(q.abort(&owner, 1), Err(SendError::NoRequestFound));
    assert_eq!(q.abort(&owner, 0), Err(SendError::NoRequestFound));
}

#[test]
fn abort_all_refuses_nested_aborts_and_keeps_new_requests() {
    let q = SendQueue::new();
    let owner = Owner {
        queue: Some(&q),
        abort_all_from_finished: true,
        ..Owner::default()
    };
    for _ in 0..N {
        owner.push(&q, SendFormat::SenmlCbor, &demo()).unwrap();
    }
    *owner.push_from_finished.borrow_mut() =
        Some((SendFormat::SenmlCbor, vec![Path::new(&[1, 0, 1])]));
    q.set_in_flight(1, true);
    assert_eq!(q.abort(&owner, SEND_ID_ALL), Ok(()));
    let got: Vec<(u16, SendResult)> = owner.finished.borrow().iter().map(|c| (c.0, c.1)).collect();
    let want: Vec<(u16, SendResult)> = (1..=N as u16).map(|i| (i, SendResult::Abort)).collect();
    assert_eq!(got, want);
    assert_eq!(
        owner.abort_results.borrow().as_slice(),
        vec![Err(SendError::AbortInProgress); N].as_slice()
    );
    assert_eq!(q.ids()[0], N as u16 + 1);
    assert_eq!(q.len(), 1);
}

#[test]
fn payloads_from_rust_records() {
    let q = SendQueue::new();
    let owner = Owner::default();
    let id = owner.push(&q, SendFormat::SenmlCbor, &demo()).unwrap();
    let mut buf = [0u8; 128];
    let (cf, n) = q.encode(&owner, id, &mut buf).unwrap();
    assert_eq!(cf, 112);
    // The bytes Anjay Lite writes for this Send (base name /3/0, base time once).
    let want: &[u8] =
        b"\x82\xa4\x21\x64/3/0\x00\x62/9\x22\xfb\x41\xd9\x6a\x56\x4a\x00\x00\x00\x02\x18\x2a\
                       \xa2\x00\x63/17\x03\x6bdemo_device";
    assert_eq!(&buf[..n], want);
    assert!(q.finish(&owner, id, SendResult::Success));
    let id = owner.push(&q, SendFormat::Lwm2mCbor, &demo()).unwrap();
    let (cf, n) = q.encode(&owner, id, &mut buf).unwrap();
    assert_eq!(cf, 11544);
    assert_eq!(
        &buf[..n],
        b"\xbf\x03\xbf\x00\xbf\x09\x18\x2a\x11\x6bdemo_device\xff\xff\xff"
    );
    // Block by block, the same bytes.
    let mut joined = Vec::new();
    let mut off = 0;
    loop {
        let mut b = [0u8; 5];
        let (_, got, total) = q.encode_block(&owner, id, off, &mut b).unwrap();
        joined.extend_from_slice(&b[..got]);
        off += b.len();
        if off >= total {
            break;
        }
    }
    assert_eq!(joined, &buf[..n]);
    assert_eq!(
        q.encode(&owner, 99, &mut buf),
        Err(SendError::NoRequestFound)
    );
    assert_eq!(
        q.encode(&owner, id, &mut buf[..n - 1]),
        Err(SendError::Internal),
        "does not fit"
    );
}

#[test]
fn records_that_differ_from_the_queued_paths_fail() {
    let q = SendQueue::new();
    let owner = Owner::default();
    let mut buf = [0u8; 128];
    let id = owner.push(&q, SendFormat::SenmlCbor, &demo()).unwrap();
    let queued = demo();
    let changes: [Vec<Rec>; 4] = [
        // one record fewer
        queued[..1].to_vec(),
        // one more
        [queued.clone(), queued[..1].to_vec()].concat(),
        // outside the base path /3/0
        vec![queued[0], (Path::new(&[3, 1, 17]), Value::Int(1), 0.0)],
        // not a resource path
        vec![queued[0], (Path::new(&[3, 0]), Value::Int(1), 0.0)],
    ];
    for (i, recs) in changes.into_iter().enumerate() {
        owner.records.borrow_mut()[0].1 = recs;
        assert_eq!(
            q.encode(&owner, id, &mut buf),
            Err(SendError::Internal),
            "change {i}"
        );
    }
    // An owner that no longer knows the ID.
    owner.records.borrow_mut().clear();
    assert_eq!(q.encode(&owner, id, &mut buf), Err(SendError::Internal));
}

#[cfg(feature = "external-data")]
#[test]
fn streamed_value() {
    struct Streamer;
    const DATA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    impl SendSource for Streamer {
        fn records(
            &self,
            _id: u16,
            f: &mut dyn FnMut(Record<'_>) -> Result<(), IoError>,
        ) -> Result<(), IoError> {
            let mut s = |buf: &mut [u8], off: usize| {
                let n = buf.len().min(5).min(DATA.len() - off);
                buf[..n].copy_from_slice(&DATA[off..off + n]);
                Ok((n, off + n == DATA.len()))
            };
            f(Record {
                path: Path::new(&[3, 0, 18]),
                value: RecordValue::Streamed(DataType::Bytes, &mut s),
                timestamp: 10.0,
            })
        }
        fn finished(&self, _id: u16, _result: SendResult) {}
    }
    let q = SendQueue::new();
    let id = q
        .push(SendFormat::SenmlCbor, [Path::new(&[3, 0, 18])].into_iter())
        .unwrap();
    let mut buf = [0u8; 128];
    let (_, n) = q.encode(&Streamer, id, &mut buf).unwrap();
    let mut want = b"\x81\xa3\x21\x67/3/0/18\x22\xfa\x41\x20\x00\x00\x08\x58\x24".to_vec();
    want.extend_from_slice(DATA);
    assert_eq!(&buf[..n], want.as_slice());
}
