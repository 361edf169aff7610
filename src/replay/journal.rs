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

/// What the server did with a request.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Answered from a fixture.
    Matched {
        fixture: String,
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
    Rejected { kind: String, message: String },
}

/// One request.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// 1-based request number since start (or the last reset).
    pub n: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub target: Option<String>,
    pub status: u16,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub violations: Vec<Violation>,
}

impl Entry {
    /// Whether the request kept to the contract: it matched and broke no rule.
    pub fn is_clean(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Matched { .. } | Outcome::Forwarded { .. }
        ) && self.violations.is_empty()
    }
}

/// One request as the replay server records it on its hot path: nothing is
/// formatted or copied that the server already holds. [`Journal::entries`] turns
/// it into the [`Entry`] it stands for.
#[derive(Debug)]
pub struct Record {
    pub n: u64,
    pub at: SystemTime,
    pub method: http::Method,
    pub path: Cow<'static, str>,
    pub target: Option<Cow<'static, str>>,
    pub status: u16,
    pub outcome: Kept,
    pub violations: Vec<Violation>,
}

/// A [`Record`]'s outcome: a match keeps its fixture's number (its place in
/// [`super::Index::fixtures`]), whose id is read when the journal is.
#[derive(Debug)]
pub enum Kept {
    Matched {
        fixture: usize,
        position: usize,
        of: usize,
    },
    Other(Outcome),
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

impl Record {
    fn to_entry(&self, fixtures: &[Arc<Prepared>]) -> Entry {
        Entry {
            n: self.n,
            at: humantime::format_rfc3339_millis(self.at).to_string(),
            method: self.method.to_string(),
            path: self.path.clone().into_owned(),
            target: self.target.as_deref().map(str::to_owned),
            status: self.status,
            outcome: match &self.outcome {
                Kept::Matched {
                    fixture,
                    position,
                    of,
                } => Outcome::Matched {
                    fixture: fixture_id(fixtures, *fixture),
                    position: *position,
                    of: *of,
                },
                Kept::Other(o) => o.clone(),
            },
            violations: self.violations.clone(),
        }
    }
}

fn fixture_id(fixtures: &[Arc<Prepared>], number: usize) -> String {
    fixtures
        .get(number)
        .map_or_else(|| format!("#{number}"), |p| p.fixture.id.clone())
}

/// A request that matched a fixture and broke no rule, as most do: everything
/// else about it (method, path, target) is its fixture's. Small, because the
/// window holds thousands and the server writes one for every request.
#[derive(Debug, Clone, Copy)]
struct Clean {
    n: u64,
    /// Milliseconds since the Unix epoch.
    at: u64,
    fixture: u32,
    position: u32,
    of: u32,
    status: u16,
}

impl Clean {
    /// The compact form of `record`, if it is a clean match.
    fn of(record: &Record) -> Option<Clean> {
        let Kept::Matched {
            fixture,
            position,
            of,
        } = record.outcome
        else {
            return None;
        };
        if !record.violations.is_empty() {
            return None;
        }
        let small = |n: usize| u32::try_from(n).ok();
        let at = record.at.duration_since(UNIX_EPOCH).ok()?.as_millis();
        Some(Clean {
            n: record.n,
            at: u64::try_from(at).ok()?,
            fixture: small(fixture)?,
            position: small(position)?,
            of: small(of)?,
            status: record.status,
        })
    }

    fn to_entry(self, fixtures: &[Arc<Prepared>]) -> Entry {
        let request = fixtures.get(self.fixture as usize).map(|p| &p.fixture);
        Entry {
            n: self.n,
            at: humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(self.at))
                .to_string(),
            method: request.map_or_else(String::new, |f| f.request.method.clone()),
            path: request.map_or_else(String::new, |f| f.request.path.clone()),
            target: request
                .and_then(|f| f.request_header("x-amz-target"))
                .map(str::to_owned),
            status: self.status,
            outcome: Outcome::Matched {
                fixture: fixture_id(fixtures, self.fixture as usize),
                position: self.position as usize,
                of: self.of as usize,
            },
            violations: Vec::new(),
        }
    }
}

/// What the journal holds for one request: a clean match in a few bytes, or
/// anything else in full.
#[derive(Debug)]
enum Slot {
    Clean(Clean),
    Other(Box<Record>),
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

    /// Adds a request as the replay server records it.
    pub fn record(&self, record: Record) {
        let matched = matches!(
            record.outcome,
            Kept::Matched { .. } | Kept::Other(Outcome::Matched { .. } | Outcome::Forwarded { .. })
        );
        let violations = !record.violations.is_empty();
        let slot = match Clean::of(&record) {
            Some(clean) => Slot::Clean(clean),
            None => Slot::Other(Box::new(record)),
        };
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
            .map(|slot| match slot {
                Slot::Clean(clean) => clean.to_entry(fixtures),
                Slot::Other(record) => record.to_entry(fixtures),
            })
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

    fn record(j: &Journal, outcome: Kept, violations: Vec<Violation>) -> Record {
        Record {
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
            let matched = Kept::Matched {
                fixture: 0,
                position: 1,
                of: 1,
            };
            j.record(record(&j, matched, vec![]));
        }
        let missed = Kept::Other(Outcome::Unmatched {
            near_misses: vec![],
        });
        j.record(record(&j, missed, vec![Violation::new("r", "m")]));
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
        let clean = Record {
            n: 7,
            at: UNIX_EPOCH + Duration::from_millis(1_795_000_000_123),
            method: http::Method::POST,
            path: text("/"),
            target: Some(text(&model::flagship().target)),
            status: 400,
            outcome: Kept::Matched {
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
        let j = Journal::new(4);
        j.record(clean);
        let e = &j.entries(&[])[0];
        assert_eq!((e.n, e.status), (7, 400));
        assert_eq!(e.at, "2026-11-18T11:06:40.123Z");
        assert!(
            matches!(&e.outcome, Outcome::Matched { fixture, position: 2, of: 3 } if fixture == "#0"),
            "{e:?}"
        );
        // A match that broke a rule is kept in full.
        let mut broken = record(
            &j,
            Kept::Matched {
                fixture: 0,
                position: 1,
                of: 1,
            },
            vec![],
        );
        broken
            .violations
            .push(Violation::new("sigv4/missing", "unsigned"));
        j.record(broken);
        let kept = j.entries(&[]);
        let full = kept
            .iter()
            .find(|e| e.n != 7)
            .expect("the broken match is kept");
        assert_eq!(full.violations.len(), 1);
    }
}
