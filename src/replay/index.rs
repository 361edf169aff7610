//! The match index: every fixture's response prepared once at start-up, found by
//! its canonical request key in one hash lookup, whatever the corpus size.
//!
//! Fixtures with the same key form a sequence, served in `sequence` order; each
//! sequence has a cursor that advances per request and can be reset.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::fixture::set::SequenceEnd;
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, RequestKey};

/// Headers that are never part of the contract: replay regenerates them.
pub const VOLATILE_HEADERS: [&str; 6] = [
    "date",
    "x-amzn-requestid",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// A fixture ready to serve.
#[derive(Debug)]
pub struct Prepared {
    pub fixture: Arc<Fixture>,
    /// Where the fixture came from, for error messages.
    pub origin: String,
    pub status: StatusCode,
    /// Recorded response headers, without the volatile ones.
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One request key's fixtures, in sequence order.
#[derive(Debug)]
struct Group {
    entries: Vec<Arc<Prepared>>,
    cursor: AtomicUsize,
    end: SequenceEnd,
}

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A fixture; `position` is 1-based within its sequence of `len`.
    Hit {
        prepared: Arc<Prepared>,
        position: usize,
        len: usize,
    },
    /// The key has a sequence, but it is used up and the set's policy is `error`.
    Exhausted { len: usize, last: Arc<Prepared> },
    /// No fixture has this key.
    Miss,
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{origin}: response header '{name}' cannot be served: {reason}")]
    Header {
        origin: String,
        name: String,
        reason: String,
    },
    #[error("{origin}: status {status} is not a valid HTTP status")]
    Status { origin: String, status: u16 },
    #[error("{origin}: {message}")]
    Body { origin: String, message: String },
    #[error("{first} and {second} have the same request but {reason}; give them distinct `sequence` numbers 1..n in one set (tapedeck lint explains)")]
    Sequence {
        first: String,
        second: String,
        reason: String,
    },
}

/// All fixtures, by request key.
#[derive(Debug, Default)]
pub struct Index {
    groups: HashMap<RequestKey, Group>,
    all: Vec<Arc<Prepared>>,
}

impl Index {
    /// Prepares every fixture. `end_of` gives each fixture set's sequence policy.
    pub fn build(
        fixtures: Vec<LoadedFixture>,
        end_of: impl Fn(&str) -> SequenceEnd,
    ) -> Result<Index, IndexError> {
        let mut groups: HashMap<RequestKey, Vec<(String, Arc<Prepared>)>> = HashMap::new();
        let mut all = Vec::with_capacity(fixtures.len());
        for loaded in fixtures {
            let key = RequestKey::of(&loaded.fixture);
            let prepared = Arc::new(prepare(loaded.fixture, &loaded.origin)?);
            all.push(prepared.clone());
            groups.entry(key).or_default().push((loaded.set, prepared));
        }
        let mut built = HashMap::with_capacity(groups.len());
        for (key, mut entries) in groups {
            check_sequence(&entries)?;
            entries.sort_by_key(|(_, p)| p.fixture.sequence.unwrap_or(1));
            let end = end_of(&entries[0].0);
            built.insert(
                key,
                Group {
                    entries: entries.into_iter().map(|(_, p)| p).collect(),
                    cursor: AtomicUsize::new(0),
                    end,
                },
            );
        }
        Ok(Index { groups: built, all })
    }

    /// Finds the fixture for a request and advances its sequence.
    pub fn lookup(&self, key: &RequestKey) -> Lookup {
        let Some(group) = self.groups.get(key) else {
            return Lookup::Miss;
        };
        let len = group.entries.len();
        if len == 1 {
            return Lookup::Hit {
                prepared: group.entries[0].clone(),
                position: 1,
                len,
            };
        }
        let i = group.cursor.fetch_add(1, Ordering::Relaxed);
        match (i < len, group.end) {
            (true, _) => Lookup::Hit {
                prepared: group.entries[i].clone(),
                position: i + 1,
                len,
            },
            (false, SequenceEnd::RepeatLast) => Lookup::Hit {
                prepared: group.entries[len - 1].clone(),
                position: len,
                len,
            },
            (false, SequenceEnd::Error) => Lookup::Exhausted {
                len,
                last: group.entries[len - 1].clone(),
            },
        }
    }

    /// The first fixture with this key, without advancing its sequence.
    pub fn peek(&self, key: &RequestKey) -> Option<&Arc<Prepared>> {
        self.groups.get(key).and_then(|g| g.entries.first())
    }

    /// Rewinds every sequence to its first response.
    pub fn reset(&self) {
        for g in self.groups.values() {
            g.cursor.store(0, Ordering::Relaxed);
        }
    }

    /// Every fixture, in load order.
    pub fn fixtures(&self) -> &[Arc<Prepared>] {
        &self.all
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// A group of one is fine. A bigger group must come from one set and carry
/// distinct sequence numbers.
fn check_sequence(entries: &[(String, Arc<Prepared>)]) -> Result<(), IndexError> {
    if entries.len() < 2 {
        return Ok(());
    }
    let (set0, first) = &entries[0];
    let mut seen = std::collections::HashSet::new();
    for (set, p) in entries {
        let reason = if set != set0 {
            Some("they come from different fixture sets".to_owned())
        } else {
            match p.fixture.sequence {
                None => Some("one has no sequence number".to_owned()),
                Some(n) if !seen.insert(n) => Some(format!("both are sequence {n}")),
                Some(_) => None,
            }
        };
        if let Some(reason) = reason {
            let second = if Arc::ptr_eq(p, first) {
                &entries[1].1
            } else {
                p
            };
            return Err(IndexError::Sequence {
                first: first.origin.clone(),
                second: second.origin.clone(),
                reason,
            });
        }
    }
    Ok(())
}

fn prepare(fixture: Fixture, origin: &str) -> Result<Prepared, IndexError> {
    let status = StatusCode::from_u16(fixture.response.status).map_err(|_| IndexError::Status {
        origin: origin.to_owned(),
        status: fixture.response.status,
    })?;
    let mut headers = HeaderMap::new();
    for (name, value) in &fixture.response.headers {
        if VOLATILE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let header_err = |reason: String| IndexError::Header {
            origin: origin.to_owned(),
            name: name.clone(),
            reason,
        };
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| header_err(e.to_string()))?;
        for v in value.values() {
            let v = HeaderValue::from_str(v).map_err(|e| header_err(e.to_string()))?;
            headers.append(name.clone(), v);
        }
    }
    let body = fixture
        .response
        .body
        .bytes()
        .map_err(|e| IndexError::Body {
            origin: origin.to_owned(),
            message: format!("response.body_base64: {e}"),
        })?
        .into_owned();
    Ok(Prepared {
        fixture: Arc::new(fixture),
        origin: origin.to_owned(),
        status,
        headers,
        body: Bytes::from(body),
    })
}
