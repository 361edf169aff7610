//! The journal: what happened to every request the replay server answered —
//! the fixture it matched, or its near misses — and every way it broke the
//! recorded contract.
//!
//! The journal keeps the most recent entries (a bounded window, so a long load
//! test cannot exhaust memory) and exact counters for the whole run.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::index::Prepared;
use super::nearmiss::NearMiss;
use crate::contract::model;
use crate::net::ErrorKind;

/// One broken rule of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Stable rule id, e.g. `awsjson/content-type`, `model/validation`, `sigv4/scope`.
    pub rule: String,
    pub message: String,
}

impl Violation {
    pub fn new(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// A fixture's place in [`super::Index::fixtures`]: how the server names the
/// fixture a request matched, without copying its id.
pub type FixtureNo = usize;

/// What the server did with a request. `F` names the matched fixture: a
/// [`FixtureNo`] as the server journals it, its id (`String`) as the journal
/// is read.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome<F = String> {
    /// Answered from a fixture.
    Matched {
        fixture: F,
        /// 1-based position within a sequence of identical requests.
        position: usize,
        of: usize,
    },
    /// Answered by the miss handler (for example, recorded from an upstream).
    Forwarded { detail: String },
    /// No fixture matched; the nearest ones are listed.
    Unmatched { near_misses: Vec<NearMiss> },
    /// The sequence for this request is used up and the set says `error`.
    Exhausted { last: String, of: usize },
    /// Not an awsJson request, or too large to read.
    Rejected { kind: ErrorKind, message: String },
}

/// One request: what the server journals (`Entry<FixtureNo>`, holding nothing
/// it would have to format or copy) and what the journal gives back
/// (`Entry<String>`, the matched fixture by id), serialised as the admin API
/// and the report show it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry<F = String> {
    /// 1-based request number since start (or the last reset).
    pub n: u64,
    /// When the request came in; shown as RFC 3339 UTC with milliseconds.
    #[serde(serialize_with = "rfc3339_millis")]
    pub at: SystemTime,
    #[serde(serialize_with = "method_name")]
    pub method: http::Method,
    pub path: Cow<'static, str>,
    pub target: Option<Cow<'static, str>>,
    pub status: u16,
    #[serde(flatten)]
    pub outcome: Outcome<F>,
    pub violations: Vec<Violation>,
}

impl<F> Entry<F> {
    /// Whether the request kept to the contract: it matched and broke no rule.
    pub fn is_clean(&self) -> bool {
        self.is_answered() && self.violations.is_empty()
    }

    /// Whether a fixture or the miss handler answered it.
    fn is_answered(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Matched { .. } | Outcome::Forwarded { .. }
        )
    }
}

fn rfc3339_millis<S: serde::Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_rfc3339_millis(*at))
}

fn method_name<S: serde::Serializer>(method: &http::Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(method.as_str())
}

/// The text of a path or target, without an allocation for the usual ones (`/`
/// and the targets of the model's operations).
pub fn text(s: &str) -> Cow<'static, str> {
    match s {
        model::PATH => Cow::Borrowed(model::PATH),
        other => match model::operation_for_target(other) {
            Some(op) => Cow::Borrowed(op.target.as_str()),
            None => Cow::Owned(other.to_owned()),
        },
    }
}

impl Entry<FixtureNo> {
    /// The entry with its matched fixture named by id.
    fn named(&self, fixtures: &[Arc<Prepared>]) -> Entry {
        Entry {
            n: self.n,
            at: self.at,
            method: self.method.clone(),
            path: self.path.clone(),
            target: self.target.clone(),
            status: self.status,
            outcome: match &self.outcome {
                Outcome::Matched {
                    fixture,
                    position,
                    of,
                } => Outcome::Matched {
                    fixture: fixture_id(fixtures, *fixture),
                    position: *position,
                    of: *of,
                },
                Outcome::Forwarded { detail } => Outcome::Forwarded {
                    detail: detail.clone(),
                },
                Outcome::Unmatched { near_misses } => Outcome::Unmatched {
                    near_misses: near_misses.clone(),
                },
                Outcome::Exhausted { last, of } => Outcome::Exhausted {
                    last: last.clone(),
                    of: *of,
                },
                Outcome::Rejected { kind, message } => Outcome::Rejected {
                    kind: *kind,
                    message: message.clone(),
                },
            },
            violations: self.violations.clone(),
        }
    }
}

fn fixture_id(fixtures: &[Arc<Prepared>], number: FixtureNo) -> String {
    fixtures
        .get(number)
        .map_or_else(|| format!("#{number}"), |p| p.fixture.id.clone())
}

/// How the window stores an entry. Most requests are clean matches, and
/// everything about one but its number, time, fixture, position and status is
/// its fixture's: those are kept in 32 bytes (the window holds thousands, and
/// the server writes one for every request; see docs/benchmarks.md, "A journal
/// slot of 32 bytes"). Anything else is kept whole.
#[derive(Debug)]
enum Slot {
    Clean {
        n: u64,
        /// Milliseconds since the Unix epoch.
        at: u64,
        fixture: u32,
        position: u32,
        of: u32,
        status: u16,
    },
    Whole(Box<Entry<FixtureNo>>),
}

impl Slot {
    /// A clean match compactly, if it fits; anything else whole.
    fn of(entry: Entry<FixtureNo>) -> Slot {
        let clean = || {
            let Outcome::Matched {
                fixture,
                position,
                of,
            } = entry.outcome
            else {
                return None;
            };
            if !entry.violations.is_empty() {
                return None;
            }
            let small = |n: usize| u32::try_from(n).ok();
            let at = entry.at.duration_since(UNIX_EPOCH).ok()?.as_millis();
            Some(Slot::Clean {
                n: entry.n,
                at: u64::try_from(at).ok()?,
                fixture: small(fixture)?,
                position: small(position)?,
                of: small(of)?,
                status: entry.status,
            })
        };
        clean().unwrap_or_else(|| Slot::Whole(Box::new(entry)))
    }

    /// The entry this slot holds, its fixture named by id. A clean match's
    /// method, path and target are its fixture's.
    fn entry(&self, fixtures: &[Arc<Prepared>]) -> Entry {
        match *self {
            Slot::Whole(ref entry) => entry.named(fixtures),
            Slot::Clean {
                n,
                at,
                fixture,
                position,
                of,
                status,
            } => {
                let request = fixtures.get(fixture as usize).map(|p| &p.fixture);
                Entry {
                    n,
                    at: UNIX_EPOCH + Duration::from_millis(at),
                    method: request.map_or(http::Method::POST, |f| {
                        http::Method::from_bytes(f.request.method.as_bytes())
                            .unwrap_or(http::Method::POST)
                    }),
                    path: request.map_or(Cow::Borrowed(""), |f| text(&f.request.path)),
                    target: request
                        .and_then(|f| f.request_header("x-amz-target"))
                        .map(text),
                    status,
                    outcome: Outcome::Matched {
                        fixture: fixture_id(fixtures, fixture as usize),
                        position: position as usize,
                        of: of as usize,
                    },
                    violations: Vec::new(),
                }
            }
        }
    }
}

/// Counters over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub requests: u64,
    pub matched: u64,
    pub unmatched: u64,
    pub with_violations: u64,
    /// Entries that fell out of the bounded window.
    pub dropped: u64,
}

/// The kept window and the counters, updated together under one lock.
#[derive(Debug, Default)]
struct Window {
    slots: VecDeque<Slot>,
    totals: Totals,
}

/// The journal of one server.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    next: AtomicU64,
    window: Mutex<Window>,
}

impl Journal {
    /// A journal keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity: capacity.max(1),
            next: AtomicU64::new(0),
            window: Mutex::new(Window::default()),
        }
    }

    /// The number the next entry will get.
    pub fn next_number(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Adds a request as the replay server journals it.
    pub fn record(&self, entry: Entry<FixtureNo>) {
        let matched = entry.is_answered();
        let violations = !entry.violations.is_empty();
        let slot = Slot::of(entry);
        let dropped = {
            let mut window = self.window.lock().expect("journal lock");
            let totals = &mut window.totals;
            totals.requests += 1;
            if matched {
                totals.matched += 1;
            } else {
                totals.unmatched += 1;
            }
            totals.with_violations += u64::from(violations);
            let dropped = if window.slots.len() == self.capacity {
                window.totals.dropped += 1;
                window.slots.pop_front()
            } else {
                None
            };
            window.slots.push_back(slot);
            dropped
        };
        // The entry that fell out of the window is freed outside the lock.
        drop(dropped);
    }

    /// The kept entries, oldest first; `fixtures` are the index's, which clean
    /// matches refer to by number.
    pub fn entries(&self, fixtures: &[Arc<Prepared>]) -> Vec<Entry> {
        let mut v: Vec<Entry> = self
            .window
            .lock()
            .expect("journal lock")
            .slots
            .iter()
            .map(|slot| slot.entry(fixtures))
            .collect();
        v.sort_by_key(|e| e.n);
        v
    }

    pub fn totals(&self) -> Totals {
        self.window.lock().expect("journal lock").totals
    }

    /// Forgets everything.
    pub fn reset(&self) {
        let mut window = self.window.lock().expect("journal lock");
        *window = Window::default();
        self.next.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        j: &Journal,
        outcome: Outcome<FixtureNo>,
        violations: Vec<Violation>,
    ) -> Entry<FixtureNo> {
        Entry {
            n: j.next_number(),
            at: SystemTime::now(),
            method: http::Method::POST,
            path: text("/"),
            target: None,
            status: 200,
            outcome,
            violations,
        }
    }

    #[test]
    fn bounded_window_with_exact_totals() {
        let j = Journal::new(2);
        for _ in 0..3 {
            let matched = Outcome::Matched {
                fixture: 0,
                position: 1,
                of: 1,
            };
            j.record(entry(&j, matched, vec![]));
        }
        let missed = Outcome::Unmatched {
            near_misses: vec![],
        };
        j.record(entry(&j, missed, vec![Violation::new("r", "m")]));
        let t = j.totals();
        assert_eq!(
            (
                t.requests,
                t.matched,
                t.unmatched,
                t.with_violations,
                t.dropped
            ),
            (4, 3, 1, 1, 2)
        );
        let kept: Vec<u64> = j.entries(&[]).iter().map(|e| e.n).collect();
        assert_eq!(kept, [3, 4]);
        j.reset();
        assert_eq!(j.totals(), Totals::default());
        assert!(j.entries(&[]).is_empty());
        assert_eq!(j.next_number(), 1);
    }

    #[test]
    fn clean_matches_are_kept_small_and_read_back_whole() {
        let clean = Entry {
            n: 7,
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
        assert_eq!((e.n, e.status), (7, 400));
        let shown = serde_json::to_value(e).unwrap();
        assert_eq!(shown["at"], "2026-11-18T11:06:40.123Z");
        assert!(
            matches!(&e.outcome, Outcome::Matched { fixture, position: 2, of: 3 } if fixture == "#0"),
            "{e:?}"
        );
        // A match that broke a rule is kept whole.
        let mut broken = entry(
            &j,
            Outcome::Matched {
                fixture: 0,
                position: 1,
                of: 1,
            },
            vec![],
        );
        broken
            .violations
            .push(Violation::new("sigv4/missing", "unsigned"));
        assert!(matches!(Slot::of(broken.clone()), Slot::Whole(_)));
        j.record(broken);
        let kept = j.entries(&[]);
        let full = kept
            .iter()
            .find(|e| e.n != 7)
            .expect("the broken match is kept");
        assert_eq!(full.violations.len(), 1);
    }

    #[test]
    fn an_entry_serialises_as_the_admin_api_shows_it() {
        let j = Journal::new(4);
        j.record(Entry {
            n: 1,
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
        });
        assert_eq!(
            serde_json::to_value(j.entries(&[])).unwrap(),
            serde_json::json!([{
                "n": 1,
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
}
