//! The journal: what happened to every request the replay server answered —
//! the fixture it matched, or its near misses — and every way it broke the
//! recorded contract.
//!
//! The journal keeps the most recent entries (a bounded window, so a long load
//! test cannot exhaust memory) and exact counters for the whole run.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use super::nearmiss::NearMiss;

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
    entries: Mutex<VecDeque<Entry>>,
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
        let counter = match entry.outcome {
            Outcome::Matched { .. } | Outcome::Forwarded { .. } => &self.matched,
            _ => &self.unmatched,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if !entry.violations.is_empty() {
            self.with_violations.fetch_add(1, Ordering::Relaxed);
        }
        let mut entries = self.entries.lock().expect("journal lock");
        if entries.len() == self.capacity {
            entries.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        entries.push_back(entry);
    }

    /// The kept entries, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        let mut v: Vec<Entry> = self
            .entries
            .lock()
            .expect("journal lock")
            .iter()
            .cloned()
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
