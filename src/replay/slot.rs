//! How the journal's window keeps one entry. Most requests are clean matches,
//! and everything about one but its number, time, fixture, position and status
//! is its fixture's: those are kept in 32 bytes (the window holds thousands,
//! and the server writes one for every request; see docs/benchmarks.md, "A
//! journal slot of 32 bytes"). Anything else is kept whole, shared with the
//! run's record of unclean requests (see [`super::journal`]).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::index::Prepared;
use super::journal::{fixture_id, text, Entry, FixtureNo, Outcome};

#[derive(Debug)]
pub(super) enum Slot {
    Clean {
        /// The request's number in the run ([`Entry::run_n`]); its number in
        /// the window is this less the window's base.
        run_n: u64,
        /// Milliseconds since the Unix epoch.
        at: u64,
        fixture: u32,
        position: u32,
        of: u32,
        status: u16,
    },
    Whole(Arc<Entry<FixtureNo>>),
}

impl Slot {
    /// A clean match compactly, if it fits; anything else whole.
    #[cfg(test)]
    pub(super) fn of(entry: Entry<FixtureNo>) -> Slot {
        Slot::compact(&entry).unwrap_or_else(|| Slot::Whole(Arc::new(entry)))
    }

    /// A clean match in 32 bytes, if it is one and fits.
    pub(super) fn compact(entry: &Entry<FixtureNo>) -> Option<Slot> {
        let Outcome::Matched {
            fixture,
            position,
            of,
        } = entry.outcome
        else {
            return None;
        };
        if !entry.violations.is_empty() || !entry.bindings.is_empty() {
            return None;
        }
        let small = |n: usize| u32::try_from(n).ok();
        let at = entry.at.duration_since(UNIX_EPOCH).ok()?.as_millis();
        Some(Slot::Clean {
            run_n: entry.run_n,
            at: u64::try_from(at).ok()?,
            fixture: small(fixture)?,
            position: small(position)?,
            of: small(of)?,
            status: entry.status,
        })
    }

    /// The entry this slot holds, its fixture named by id; `base` is the
    /// window's. A clean match's method, path and target are its fixture's.
    pub(super) fn entry(&self, fixtures: &[Arc<Prepared>], base: u64) -> Entry {
        match *self {
            Slot::Whole(ref entry) => entry.named(fixtures),
            Slot::Clean {
                run_n,
                at,
                fixture,
                position,
                of,
                status,
            } => {
                let request = fixtures.get(fixture as usize).map(|p| &p.fixture);
                Entry {
                    n: run_n.saturating_sub(base),
                    run_n,
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
                    bindings: Vec::new(),
                }
            }
        }
    }
}
