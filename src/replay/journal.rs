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
use std::time::SystemTime;

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

/// A [`Record`]'s outcome: a match keeps its fixture, whose id is read when the
/// journal is.
#[derive(Debug)]
pub enum Kept {
    Matched {
        prepared: Arc<Prepared>,
        position: usize,
        of: usize,
    },
    Other(Outcome),
}

/// The text of a path or target, without an allocation for the usual ones.
pub fn text(s: &str) -> Cow<'static, str> {
    match s {
        model::PATH => Cow::Borrowed(model::PATH),
        model::TARGET => Cow::Borrowed(model::TARGET),
        other => Cow::Owned(other.to_owned()),
    }
}

impl Record {
    fn to_entry(&self) -> Entry {
        Entry {
            n: self.n,
            at: humantime::format_rfc3339_millis(self.at).to_string(),
            method: self.method.to_string(),
            path: self.path.clone().into_owned(),
            target: self.target.as_deref().map(str::to_owned),
            status: self.status,
            outcome: match &self.outcome {
                Kept::Matched {
                    prepared,
                    position,
                    of,
                } => Outcome::Matched {
                    fixture: prepared.fixture.id.clone(),
                    position: *position,
                    of: *of,
                },
                Kept::Other(o) => o.clone(),
            },
            violations: self.violations.clone(),
        }
    }
}

/// What the journal holds: a full entry, or a record made into one when read.
#[derive(Debug)]
enum Slot {
    Entry(Entry),
    Record(Record),
}

impl Slot {
    fn to_entry(&self) -> Entry {
        match self {
            Slot::Entry(e) => e.clone(),
            Slot::Record(r) => r.to_entry(),
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

/// The journal of one server.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<Slot>>,
    next: AtomicU64,
    matched: AtomicU64,
    unmatched: AtomicU64,
    with_violations: AtomicU64,
    dropped: AtomicU64,
}

impl Journal {
    /// A journal keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity: capacity.max(1),
            entries: Mutex::new(VecDeque::new()),
            next: AtomicU64::new(0),
            matched: AtomicU64::new(0),
            unmatched: AtomicU64::new(0),
            with_violations: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// The number the next entry will get.
    pub fn next_number(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Adds an entry.
    pub fn push(&self, entry: Entry) {
        let matched = matches!(
            entry.outcome,
            Outcome::Matched { .. } | Outcome::Forwarded { .. }
        );
        let violations = !entry.violations.is_empty();
        self.keep(Slot::Entry(entry), matched, violations);
    }

    /// Adds a request as the replay server records it.
    pub fn record(&self, record: Record) {
        let matched = matches!(
            record.outcome,
            Kept::Matched { .. } | Kept::Other(Outcome::Matched { .. } | Outcome::Forwarded { .. })
        );
        let violations = !record.violations.is_empty();
        self.keep(Slot::Record(record), matched, violations);
    }

    fn keep(&self, slot: Slot, matched: bool, violations: bool) {
        let counter = if matched {
            &self.matched
        } else {
            &self.unmatched
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if violations {
            self.with_violations.fetch_add(1, Ordering::Relaxed);
        }
        let dropped = {
            let mut entries = self.entries.lock().expect("journal lock");
            let dropped = if entries.len() == self.capacity {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                entries.pop_front()
            } else {
                None
            };
            entries.push_back(slot);
            dropped
        };
        // The entry that fell out of the window is freed outside the lock.
        drop(dropped);
    }

    /// The kept entries, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        let mut v: Vec<Entry> = self
            .entries
            .lock()
            .expect("journal lock")
            .iter()
            .map(Slot::to_entry)
            .collect();
        v.sort_by_key(|e| e.n);
        v
    }

    pub fn totals(&self) -> Totals {
        let matched = self.matched.load(Ordering::Relaxed);
        let unmatched = self.unmatched.load(Ordering::Relaxed);
        Totals {
            requests: matched + unmatched,
            matched,
            unmatched,
            with_violations: self.with_violations.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// Forgets everything.
    pub fn reset(&self) {
        let mut entries = self.entries.lock().expect("journal lock");
        entries.clear();
        for c in [
            &self.next,
            &self.matched,
            &self.unmatched,
            &self.with_violations,
            &self.dropped,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(j: &Journal, outcome: Outcome, violations: Vec<Violation>) -> Entry {
        Entry {
            n: j.next_number(),
            at: String::new(),
            method: "POST".into(),
            path: "/".into(),
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
            let e = entry(
                &j,
                Outcome::Matched {
                    fixture: "a".into(),
                    position: 1,
                    of: 1,
                },
                vec![],
            );
            j.push(e);
        }
        let e = entry(
            &j,
            Outcome::Unmatched {
                near_misses: vec![],
            },
            vec![Violation::new("r", "m")],
        );
        j.push(e);
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
        let kept: Vec<u64> = j.entries().iter().map(|e| e.n).collect();
        assert_eq!(kept, [3, 4]);
        j.reset();
        assert_eq!(j.totals(), Totals::default());
        assert!(j.entries().is_empty());
        assert_eq!(j.next_number(), 1);
    }
}
