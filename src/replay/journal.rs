//! The journal: what happened to every request the replay server answered —
//! the fixture it matched, or its near misses — and every way it broke the
//! recorded contract.
//!
//! It keeps two things apart:
//!
//! - the **window**: the requests since the start or the last
//!   `POST /__tapedeck/reset` (bounded: the most recent `capacity` entries, so
//!   a long load test cannot exhaust memory), with their counters. The admin
//!   API shows it, and the wrappers reset it between tests.
//! - the **run**: counters over every request since the server started, and
//!   every request that was not clean (the first `capacity` of them). A reset
//!   never touches it: `--strict`, `--report` and `--junit` are built from it,
//!   so a suite that resets between tests cannot make a dirty run clean.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;

use super::bind::Used;
use super::index::Prepared;
use super::nearmiss::NearMiss;
use super::slot::Slot;
use crate::contract::model;
use crate::net::ErrorKind;

/// One broken rule of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Stable rule id, e.g. `awsjson/content-type`, `model/validation`, `sigv4/scope`.
    pub rule: String,
    /// What is wrong, in one sentence (AWS's own words for model validation).
    pub message: String,
}

impl Violation {
    /// A violation of `rule`.
    pub fn new(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// A fixture's place in [`super::Index::fixtures`]: how the server names the
/// fixture a request matched, without copying its id.
pub(crate) type FixtureNo = usize;

/// What the server did with a request. `F` names the matched fixture: its
/// number in the index as the server journals it, its id (`String`) as the
/// journal is read.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome<F = String> {
    /// Answered from a fixture.
    Matched {
        /// The fixture that answered.
        fixture: F,
        /// 1-based position within a sequence of identical requests.
        position: usize,
        /// The length of that sequence (1: no sequence).
        of: usize,
    },
    /// Answered by the miss handler (for example, recorded from an upstream).
    Forwarded {
        /// What the handler did, in one line.
        detail: String,
    },
    /// No fixture matched; the nearest ones are listed.
    Unmatched {
        /// The nearest fixtures, nearest first.
        near_misses: Vec<NearMiss>,
    },
    /// The sequence for this request is used up and the set says `error`.
    Exhausted {
        /// The id of the sequence's last fixture.
        last: String,
        /// The length of the sequence.
        of: usize,
    },
    /// Not an awsJson request, or too large to read.
    Rejected {
        /// Why, as the `x-tapedeck-error` header names it.
        kind: ErrorKind,
        /// What is wrong, in one sentence.
        message: String,
    },
}

/// One request: what the server journals (`Entry<FixtureNo>`, holding nothing
/// it would have to format or copy) and what the journal gives back
/// (`Entry<String>`, the matched fixture by id), serialised as the admin API
/// and the report show it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry<F = String> {
    /// 1-based request number in the window: since the start or the reset
    /// before the request came in.
    pub n: u64,
    /// 1-based request number in the run, since the server started; never
    /// reset.
    pub run_n: u64,
    /// When the request came in; shown as RFC 3339 UTC with milliseconds.
    #[serde(serialize_with = "rfc3339_millis")]
    pub at: SystemTime,
    /// The request's method.
    #[serde(serialize_with = "method_name")]
    pub method: http::Method,
    /// The request's path.
    pub path: Cow<'static, str>,
    /// The request's `X-Amz-Target`, if it had one.
    pub target: Option<Cow<'static, str>>,
    /// The status the server answered with.
    pub status: u16,
    /// What the server did with it.
    #[serde(flatten)]
    pub outcome: Outcome<F>,
    /// Every rule of the contract it broke.
    pub violations: Vec<Violation>,
    /// The pseudonyms of the matched fixture's request that this request
    /// bound or used (where, which, whether newly), never their values; empty
    /// (and not shown) for a fixture without any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Used>,
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
pub(crate) fn text(s: &str) -> Cow<'static, str> {
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
    pub(super) fn named(&self, fixtures: &[Arc<Prepared>]) -> Entry {
        Entry {
            n: self.n,
            run_n: self.run_n,
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
            bindings: self.bindings.clone(),
        }
    }
}

pub(super) fn fixture_id(fixtures: &[Arc<Prepared>], number: FixtureNo) -> String {
    fixtures
        .get(number)
        .map_or_else(|| format!("#{number}"), |p| p.fixture.id.clone())
}

/// Counters of the window or of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Requests answered (admin requests are not counted).
    pub requests: u64,
    /// Requests a fixture (or the miss handler) answered.
    pub matched: u64,
    /// Requests no fixture answered: no match, a used-up sequence, a rejection.
    pub unmatched: u64,
    /// Requests that broke at least one rule of the contract.
    pub with_violations: u64,
    /// The window's: entries that fell out of it. The run's, as the report
    /// shows it: requests the report does not list (see
    /// [`Report::totals`](super::Report::totals)).
    pub dropped: u64,
}

impl Totals {
    fn count(&mut self, answered: bool, violations: bool) {
        self.requests += 1;
        if answered {
            self.matched += 1;
        } else {
            self.unmatched += 1;
        }
        self.with_violations += u64::from(violations);
    }

    /// Whether every request counted matched and broke no rule.
    pub fn is_clean(&self) -> bool {
        self.unmatched == 0 && self.with_violations == 0
    }
}

/// The window and the run, updated together under one lock.
#[derive(Debug, Default)]
struct State {
    slots: VecDeque<Slot>,
    window: Totals,
    /// The run number of the last request before the window began: entry `n`
    /// of the window is request `base + n` of the run.
    base: u64,
    run: Totals,
    /// The run's unclean requests, the first `capacity` of them.
    unclean: Vec<Arc<Entry<FixtureNo>>>,
    resets: u64,
}

/// The journal of one server.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    next: AtomicU64,
    /// The window's base, as [`Journal::next_number`] reads it.
    base: AtomicU64,
    state: Mutex<State>,
}

impl Journal {
    /// A journal whose window keeps at most `capacity` entries, and whose run
    /// keeps at most `capacity` unclean ones.
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            capacity: capacity.max(1),
            next: AtomicU64::new(0),
            base: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }

    /// The numbers of a request that comes in now: in the run
    /// ([`Entry::run_n`]) and in the window ([`Entry::n`]).
    pub(crate) fn next_number(&self) -> (u64, u64) {
        let run_n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        (
            run_n,
            run_n.saturating_sub(self.base.load(Ordering::Relaxed)),
        )
    }

    /// Adds a request as the replay server journals it, numbered by
    /// [`Journal::next_number`]. A request that came in before the last reset
    /// counts in the run, not in the window.
    pub(crate) fn record(&self, entry: Entry<FixtureNo>) {
        let answered = entry.is_answered();
        let violations = !entry.violations.is_empty();
        let compact = Slot::compact(&entry);
        let dropped = {
            let mut state = self.state.lock().expect("journal lock");
            let state = &mut *state;
            state.run.count(answered, violations);
            let in_window = entry.run_n > state.base;
            let slot = match compact {
                Some(slot) => slot,
                None => {
                    let whole = Arc::new(entry);
                    if !whole.is_clean() && state.unclean.len() < self.capacity {
                        state.unclean.push(whole.clone());
                    }
                    Slot::Whole(whole)
                }
            };
            if !in_window {
                return;
            }
            state.window.count(answered, violations);
            let dropped = if state.slots.len() == self.capacity {
                state.window.dropped += 1;
                state.slots.pop_front()
            } else {
                None
            };
            state.slots.push_back(slot);
            dropped
        };
        // The entry that fell out of the window is freed outside the lock.
        drop(dropped);
    }

    /// The window's entries, oldest first; `fixtures` are the index's, which
    /// clean matches refer to by number.
    pub(crate) fn entries(&self, fixtures: &[Arc<Prepared>]) -> Vec<Entry> {
        let state = self.state.lock().expect("journal lock");
        let mut v: Vec<Entry> = state
            .slots
            .iter()
            .map(|slot| slot.entry(fixtures, state.base))
            .collect();
        v.sort_by_key(|e| e.run_n);
        v
    }

    /// The window's counters.
    pub(crate) fn totals(&self) -> Totals {
        self.state.lock().expect("journal lock").window
    }

    /// The run's counters, since the server started (`dropped` is 0: see
    /// [`Journal::run_entries`]).
    pub(crate) fn run_totals(&self) -> Totals {
        self.state.lock().expect("journal lock").run
    }

    /// How many times the window was reset.
    pub(crate) fn resets(&self) -> u64 {
        self.state.lock().expect("journal lock").resets
    }

    /// What the journal still holds of the run, in run order: every unclean
    /// request (the first `capacity`), and the window's clean ones. With the
    /// run's counters, `dropped` set to the requests not listed.
    pub(crate) fn run_entries(&self, fixtures: &[Arc<Prepared>]) -> (Totals, Vec<Entry>) {
        let state = self.state.lock().expect("journal lock");
        let mut listed: Vec<Entry> = state
            .slots
            .iter()
            .map(|slot| slot.entry(fixtures, state.base))
            .collect();
        let mut in_window: Vec<u64> = listed.iter().map(|e| e.run_n).collect();
        in_window.sort_unstable();
        listed.extend(
            state
                .unclean
                .iter()
                .filter(|e| in_window.binary_search(&e.run_n).is_err())
                .map(|e| e.named(fixtures)),
        );
        listed.sort_by_key(|e| e.run_n);
        let mut totals = state.run;
        totals.dropped = totals.requests.saturating_sub(listed.len() as u64);
        (totals, listed)
    }

    /// Starts a new window: forgets its entries and counters, and numbers the
    /// next request 1 in it. The run is kept whole.
    pub(crate) fn reset(&self) {
        let mut state = self.state.lock().expect("journal lock");
        let slots = std::mem::take(&mut state.slots);
        state.window = Totals::default();
        state.base = self.next.load(Ordering::Relaxed);
        self.base.store(state.base, Ordering::Relaxed);
        state.resets += 1;
        drop(state);
        drop(slots);
    }
}

#[cfg(test)]
mod tests;
