use std::time::{Duration, UNIX_EPOCH};

use super::*;

fn entry(j: &Journal, outcome: Outcome<FixtureNo>, violations: Vec<Violation>) -> Entry<FixtureNo> {
    let (run_n, n) = j.next_number();
    Entry {
        n,
        run_n,
        at: SystemTime::now(),
        method: http::Method::POST,
        path: text("/"),
        target: None,
        status: 200,
        outcome,
        violations,
        bindings: Vec::new(),
    }
}

fn matched() -> Outcome<FixtureNo> {
    Outcome::Matched {
        fixture: 0,
        position: 1,
        of: 1,
    }
}

fn missed() -> Outcome<FixtureNo> {
    Outcome::Unmatched {
        near_misses: vec![],
    }
}

fn counts(t: Totals) -> (u64, u64, u64, u64, u64) {
    (
        t.requests,
        t.matched,
        t.unmatched,
        t.with_violations,
        t.dropped,
    )
}

#[test]
fn bounded_window_with_exact_totals() {
    let j = Journal::new(2);
    for _ in 0..3 {
        j.record(entry(&j, matched(), vec![]));
    }
    j.record(entry(&j, missed(), vec![Violation::new("r", "m")]));
    assert_eq!(counts(j.totals()), (4, 3, 1, 1, 2));
    let kept: Vec<u64> = j.entries(&[]).iter().map(|e| e.n).collect();
    assert_eq!(kept, [3, 4]);
    j.reset();
    assert_eq!(j.totals(), Totals::default());
    assert!(j.entries(&[]).is_empty());
    j.record(entry(&j, matched(), vec![]));
    let after = j.entries(&[]);
    assert_eq!((after[0].n, after[0].run_n), (1, 5), "{after:?}");
}

#[test]
fn a_reset_clears_the_window_but_never_the_run() {
    let j = Journal::new(3);
    j.record(entry(&j, missed(), vec![]));
    j.record(entry(
        &j,
        matched(),
        vec![Violation::new("sigv4/missing", "unsigned")],
    ));
    // Came in before the reset, journaled after: the run's, not the window's.
    let late = entry(&j, missed(), vec![]);
    j.reset();
    j.record(late);
    for _ in 0..3 {
        j.record(entry(&j, matched(), vec![]));
    }
    assert_eq!(counts(j.totals()), (3, 3, 0, 0, 0));
    assert_eq!(counts(j.run_totals()), (6, 4, 2, 1, 0));
    assert!(!j.run_totals().is_clean());
    assert_eq!(j.resets(), 1);
    let window: Vec<(u64, u64)> = j.entries(&[]).iter().map(|e| (e.run_n, e.n)).collect();
    assert_eq!(window, [(4, 1), (5, 2), (6, 3)]);
    // One more clean match: the first of the window falls out, and is
    // counted in the run, not listed.
    j.record(entry(&j, matched(), vec![]));
    let (totals, listed) = j.run_entries(&[]);
    let numbers: Vec<(u64, u64)> = listed.iter().map(|e| (e.run_n, e.n)).collect();
    assert_eq!(numbers, [(1, 1), (2, 2), (3, 3), (5, 2), (6, 3), (7, 4)]);
    assert_eq!((totals.requests, totals.dropped), (7, 1));
    // Bounded: the run keeps the first `capacity` unclean requests.
    j.record(entry(&j, missed(), vec![]));
    let (totals, listed) = j.run_entries(&[]);
    assert_eq!(
        listed.iter().filter(|e| !e.is_clean()).count(),
        3 + 1,
        "{listed:?}"
    );
    assert_eq!((totals.requests, totals.unmatched), (8, 3));
}

#[test]
fn clean_matches_are_kept_small_and_read_back_whole() {
    let clean = Entry {
        n: 7,
        run_n: 7,
        at: UNIX_EPOCH + Duration::from_millis(1_795_000_000_123),
        method: http::Method::POST,
        path: text("/"),
        target: Some(text(&model::flagship().target)),
        status: 400,
        outcome: Outcome::Matched {
            fixture: 0,
            position: 2,
            of: 3,
        },
        violations: vec![],
        bindings: vec![],
    };
    assert!(
        std::mem::size_of::<Slot>() <= 40,
        "{}",
        std::mem::size_of::<Slot>()
    );
    assert!(matches!(Slot::of(clean.clone()), Slot::Clean { .. }));
    let j = Journal::new(4);
    j.record(clean);
    let e = &j.entries(&[])[0];
    assert_eq!((e.n, e.run_n, e.status), (7, 7, 400));
    let shown = serde_json::to_value(e).unwrap();
    assert_eq!(shown["at"], "2026-11-18T11:06:40.123Z");
    assert!(
        matches!(&e.outcome, Outcome::Matched { fixture, position: 2, of: 3 } if fixture == "#0"),
        "{e:?}"
    );
    // A match that broke a rule is kept whole.
    let mut broken = entry(&j, matched(), vec![]);
    broken
        .violations
        .push(Violation::new("sigv4/missing", "unsigned"));
    assert!(matches!(Slot::of(broken.clone()), Slot::Whole(_)));
    j.record(broken);
    let kept = j.entries(&[]);
    let full = kept
        .iter()
        .find(|e| e.run_n != 7)
        .expect("the broken match is kept");
    assert_eq!(full.violations.len(), 1);
}

#[test]
fn an_entry_serialises_as_the_admin_api_shows_it() {
    let j = Journal::new(4);
    j.record(Entry {
        n: 1,
        run_n: 1,
        at: UNIX_EPOCH + Duration::from_millis(1_795_000_000_123),
        method: http::Method::PUT,
        path: text("/x"),
        target: None,
        status: 400,
        outcome: Outcome::Rejected {
            kind: ErrorKind::ContentType,
            message: "m".into(),
        },
        violations: vec![Violation::new("awsjson/content-type", "m")],
        bindings: vec![],
    });
    assert_eq!(
        serde_json::to_value(j.entries(&[])).unwrap(),
        serde_json::json!([{
            "n": 1,
            "run_n": 1,
            "at": "2026-11-18T11:06:40.123Z",
            "method": "PUT",
            "path": "/x",
            "target": null,
            "status": 400,
            "outcome": "rejected",
            "kind": "content-type",
            "message": "m",
            "violations": [{ "rule": "awsjson/content-type", "message": "m" }]
        }])
    );
}
