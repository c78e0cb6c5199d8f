//! The attribute rules of LwM2M TS Core §5.1.2 as a table of cases, in simulated time.

use super::*;

const T0: Instant = 1_000 * SEC;

fn attrs(f: impl FnOnce(&mut Attrs)) -> Attrs {
    let mut a = Attrs::default();
    f(&mut a);
    a
}

fn state(last_notify_s: i64, last_eval_s: i64, last: Sample, changed: bool) -> EvalState {
    EvalState {
        last_notify: T0 + last_notify_s * SEC,
        last_eval: T0 + last_eval_s * SEC,
        last_value: last,
        changed,
    }
}

fn at(s: i64) -> Instant {
    T0 + s * SEC
}

use Sample::*;

#[test]
fn due_at_table() {
    // (attributes, state, expected due time in seconds after T0, or None for NEVER)
    let cases: &[(Attrs, EvalState, Option<i64>, &str)] = &[
        (
            Attrs::default(),
            state(0, 0, Num(1.0), false),
            None,
            "nothing set, nothing changed",
        ),
        (
            Attrs::default(),
            state(0, 0, Num(1.0), true),
            Some(0),
            "a change is due at once",
        ),
        (
            attrs(|a| a.pmin = Some(5)),
            state(0, 0, Num(1.0), true),
            Some(5),
            "a change waits for pmin",
        ),
        (
            attrs(|a| a.pmin = Some(5)),
            state(0, 0, Num(1.0), false),
            None,
            "pmin alone schedules nothing",
        ),
        (
            attrs(|a| a.pmax = Some(10)),
            state(0, 0, Num(1.0), false),
            Some(10),
            "pmax deadline",
        ),
        (
            attrs(|a| {
                a.pmin = Some(20);
                a.pmax = Some(10)
            }),
            state(0, 0, Num(1.0), false),
            None,
            "pmax < pmin is ignored",
        ),
        (
            attrs(|a| a.pmax = Some(0)),
            state(0, 0, Num(1.0), false),
            None,
            "pmax 0 is no maximum",
        ),
        (
            attrs(|a| {
                a.pmin = Some(2);
                a.pmax = Some(10)
            }),
            state(0, 0, Num(1.0), true),
            Some(2),
            "change after pmin, before pmax",
        ),
        (
            attrs(|a| a.epmin = Some(7)),
            state(0, 3, Num(1.0), true),
            Some(10),
            "epmin after the last evaluation",
        ),
        (
            attrs(|a| a.epmax = Some(30)),
            state(0, 4, Num(1.0), false),
            Some(34),
            "epmax samples without a change",
        ),
        (
            attrs(|a| {
                a.epmax = Some(3);
                a.pmin = Some(10)
            }),
            state(0, 0, Num(1.0), false),
            Some(10),
            "epmax sampling still waits for pmin",
        ),
        (
            attrs(|a| {
                a.epmin = Some(5);
                a.epmax = Some(5)
            }),
            state(0, 0, Num(1.0), false),
            None,
            "epmax not above epmin is ignored",
        ),
    ];
    for (a, s, want, what) in cases {
        let got = due_at(a, s);
        let want = want.map_or(NEVER, at);
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn decide_table() {
    // (attributes, state, now (s), current value, notify?)
    let gt = attrs(|a| a.gt = Some(25.0));
    let lt = attrs(|a| a.lt = Some(10.0));
    let st = attrs(|a| a.st = Some(2.0));
    let band = attrs(|a| {
        a.lt = Some(10.0);
        a.gt = Some(25.0);
        a.st = Some(5.0)
    });
    let rising = attrs(|a| a.edge = Some(1));
    let falling = attrs(|a| a.edge = Some(0));
    let pmin = attrs(|a| a.pmin = Some(5));
    let pmax_gt = attrs(|a| {
        a.pmax = Some(10);
        a.gt = Some(25.0)
    });
    let cases: &[(&Attrs, EvalState, i64, Sample, bool, &str)] = &[
        (
            &Attrs::default(),
            state(0, 0, Num(1.0), true),
            0,
            Num(1.0),
            true,
            "reported change, no conditions",
        ),
        (
            &Attrs::default(),
            state(0, 0, Other, true),
            0,
            Other,
            true,
            "reported change of an object",
        ),
        (
            &Attrs::default(),
            state(0, 0, Num(1.0), false),
            0,
            Num(2.0),
            true,
            "sampled change",
        ),
        (
            &Attrs::default(),
            state(0, 0, Num(1.0), false),
            0,
            Num(1.0),
            false,
            "sampled, unchanged",
        ),
        (
            &pmin,
            state(0, 0, Num(1.0), true),
            4,
            Num(9.0),
            false,
            "before pmin",
        ),
        (
            &pmin,
            state(0, 0, Num(1.0), true),
            5,
            Num(9.0),
            true,
            "at pmin",
        ),
        (
            &gt,
            state(0, 0, Num(20.0), true),
            1,
            Num(24.0),
            false,
            "below gt, no crossing",
        ),
        (
            &gt,
            state(0, 0, Num(20.0), true),
            1,
            Num(26.0),
            true,
            "crossed gt upwards",
        ),
        (
            &gt,
            state(0, 0, Num(30.0), true),
            1,
            Num(20.0),
            true,
            "crossed gt downwards",
        ),
        (
            &gt,
            state(0, 0, Num(30.0), true),
            1,
            Num(27.0),
            false,
            "stayed above gt",
        ),
        (
            &lt,
            state(0, 0, Num(12.0), true),
            1,
            Num(9.5),
            true,
            "crossed lt downwards",
        ),
        (
            &lt,
            state(0, 0, Num(5.0), true),
            1,
            Num(11.0),
            true,
            "crossed lt upwards",
        ),
        (
            &lt,
            state(0, 0, Num(5.0), true),
            1,
            Num(8.0),
            false,
            "stayed below lt",
        ),
        (
            &st,
            state(0, 0, Num(10.0), true),
            1,
            Num(11.9),
            false,
            "step not reached",
        ),
        (
            &st,
            state(0, 0, Num(10.0), true),
            1,
            Num(12.0),
            true,
            "step reached",
        ),
        (
            &st,
            state(0, 0, Num(10.0), true),
            1,
            Num(7.5),
            true,
            "step reached downwards",
        ),
        (
            &band,
            state(0, 0, Num(15.0), true),
            1,
            Num(17.0),
            false,
            "inside the band, small step",
        ),
        (
            &band,
            state(0, 0, Num(15.0), true),
            1,
            Num(20.0),
            true,
            "any condition: the step",
        ),
        (
            &band,
            state(0, 0, Num(15.0), true),
            1,
            Num(26.0),
            true,
            "any condition: gt",
        ),
        (
            &rising,
            state(0, 0, Bool(false), true),
            1,
            Bool(true),
            true,
            "rising edge",
        ),
        (
            &rising,
            state(0, 0, Bool(true), true),
            1,
            Bool(false),
            false,
            "falling edge, rising wanted",
        ),
        (
            &falling,
            state(0, 0, Bool(true), true),
            1,
            Bool(false),
            true,
            "falling edge",
        ),
        (
            &falling,
            state(0, 0, Bool(false), true),
            1,
            Bool(true),
            false,
            "rising edge, falling wanted",
        ),
        (
            &gt,
            state(0, 0, Other, true),
            1,
            Other,
            true,
            "gt on a non-numeric target: any change",
        ),
        (
            &pmax_gt,
            state(0, 0, Num(20.0), false),
            10,
            Num(20.0),
            true,
            "pmax forces a notification",
        ),
        (
            &pmax_gt,
            state(0, 0, Num(20.0), true),
            9,
            Num(21.0),
            false,
            "before pmax, no crossing",
        ),
    ];
    for (a, s, now, cur, want, what) in cases {
        assert_eq!(decide(a, s, at(*now), *cur), *want, "{what}");
    }
}

#[test]
fn simulated_pmin_pmax_timeline() {
    // A value changing every second, observed with pmin=2 and pmax=5: the notifications
    // come every 2 s; once it stops changing, every 5 s.
    let a = attrs(|a| {
        a.pmin = Some(2);
        a.pmax = Some(5)
    });
    let mut s = EvalState::started(at(0), Num(0.0));
    let mut sent = std::vec::Vec::new();
    let mut value = 0.0;
    let mut t = at(0);
    while t <= at(30) {
        if t <= at(10) && (t - at(0)) % SEC == 0 && t > at(0) {
            value += 1.0;
            s.changed = true;
        }
        if t >= due_at(&a, &s) {
            if decide(&a, &s, t, Num(value)) {
                s.notified(t, Num(value));
                sent.push((t - at(0)) / SEC);
            } else {
                s.quiet(t);
            }
        }
        t += SEC / 10;
    }
    assert_eq!(sent, [2, 4, 6, 8, 10, 15, 20, 25, 30]);
}

/// A value that rises to a threshold exactly and then past it crosses it once: one
/// notification, at the step past it (and likewise downwards, and for `lt`).
#[test]
fn reaching_a_threshold_exactly_then_passing_it_is_one_crossing() {
    let gt = attrs(|a| a.gt = Some(25.0));
    let lt = attrs(|a| a.lt = Some(10.0));
    for (a, values, want) in [
        (&gt, [20.0, 25.0, 26.0, 27.0], [false, true, false]),
        (&gt, [30.0, 25.0, 24.0, 23.0], [false, true, false]),
        (&lt, [5.0, 10.0, 11.0, 12.0], [false, true, false]),
        (&lt, [12.0, 10.0, 9.0, 8.0], [false, true, false]),
        // To the threshold and back: no crossing at all.
        (&gt, [20.0, 25.0, 24.0, 20.0], [false, false, false]),
    ] {
        let mut s = EvalState::started(at(0), Num(values[0]));
        let mut got = [false; 3];
        for (k, v) in values[1..].iter().enumerate() {
            let now = at(k as i64 + 1);
            s.changed = true;
            got[k] = decide(a, &s, now, Num(*v));
            if got[k] {
                s.notified(now, Num(*v));
            } else {
                s.quiet(now);
            }
        }
        assert_eq!(got, want, "{values:?}");
    }
}

#[test]
fn con_every_24_hours() {
    assert!(!confirmable(false, at(0), at(3600)));
    assert!(confirmable(false, at(0), at(24 * 3600)));
    assert!(confirmable(true, at(0), at(1)));
}

#[test]
fn table_groups_and_changes() {
    let mut t = Observations::default();
    let s = EvalState::started(at(0), Other);
    assert!(t.add(b"aa", Path::new(&[3, 0]), false, 112, s).is_some());
    assert!(t
        .add(b"bb", Path::new(&[3303, 0, 5700]), true, 112, s)
        .is_some());
    assert!(t.add(b"bb", Path::new(&[1, 0, 1]), true, 112, s).is_some());
    assert_eq!(t.heads().collect::<std::vec::Vec<_>>(), [0, 1]);
    assert_eq!(t.group(1).collect::<std::vec::Vec<_>>(), [1, 2]);
    t.mark_changed(&Path::new(&[3, 0, 1]), false);
    assert!(t.get(0).unwrap().state.changed);
    assert!(!t.get(1).unwrap().state.changed);
    // A deletion ends the single observations at or below the path, silently (nothing
    // is marked gone or changed), and leaves a composite one and anything above it.
    t.get_mut(0).unwrap().state.changed = false;
    assert!(t
        .add(b"cc", Path::new(&[3303, 0, 5701]), false, 112, s)
        .is_some());
    assert!(t.add(b"dd", Path::new(&[3303]), false, 112, s).is_some());
    t.mark_changed(&Path::new(&[3303, 0]), true);
    assert!(
        t.get(3).is_none(),
        "the observation below the deleted path ended"
    );
    let dd = t.get(4).unwrap();
    assert!(
        !dd.gone && !dd.state.changed,
        "the one above it is untouched"
    );
    assert!(!t.get(1).unwrap().gone && !t.get(1).unwrap().state.changed);
    assert!(!t.get(0).unwrap().state.changed);
    assert!(t.cancel_token(b"dd"));
    assert!(t.room_for(b"bb", 2 + OBSERVE_MAX_OBSERVATIONS_NUMBER - 3));
    assert!(t.cancel_token(b"bb"));
    assert_eq!(t.heads().count(), 1);
}

#[test]
fn store_keeps_order_and_limits() {
    if Store::capacity() < 200 {
        // Built without a store (the default); tools/test-all.sh runs this with one.
        return;
    }
    let mut t = Observations::default();
    let msg = |v: u8| [0x50u8, 0x45, 0, 0, v];
    t.store.push(0, &msg(1), None);
    t.store.push(1, &msg(2), None);
    t.store.push(0, &msg(3), None);
    assert_eq!(t.store.front(), Some((0, &msg(1)[..])));
    // hqmax 2: the oldest of slot 0 goes.
    let d = t.store.push(0, &msg(4), Some(2));
    assert_eq!(d.older, 1);
    assert_eq!(t.store.front(), Some((1, &msg(2)[..])));
    t.store.pop_front();
    assert_eq!(t.store.front(), Some((0, &msg(3)[..])));
    assert_eq!(t.store.remove_slot(0), 2);
    assert!(t.store.is_empty());
    // Full: the oldest make room; too large for the whole store: refused.
    let big = std::vec![0u8; Store::capacity() / 2];
    t.store.push(2, &big, None);
    let d = t.store.push(3, &big, None);
    assert_eq!((d.older, d.this_one), (1, false));
    assert_eq!(t.store.front().unwrap().0, 3);
    let huge = std::vec![0u8; Store::capacity()];
    assert!(t.store.push(4, &huge, None).this_one);
    // An observation that ends takes its stored notifications along.
    assert!(t
        .add(
            b"x",
            Path::new(&[3, 0]),
            false,
            0,
            EvalState::started(0, Other)
        )
        .is_some());
    t.store.push(0, &msg(9), None);
    t.cancel_token(b"x");
    assert_eq!(t.store.len_entries(), 1);
}
