//! `tapedeck diff OLD NEW`: the contract-level differences between two fixture
//! sets — added, removed, changed outcome, changed message. Fixtures are paired
//! by scenario and sequence position (so a re-recording with new pool ids still
//! pairs up), and by request key when they name no scenario.

use std::collections::BTreeMap;

use serde::Serialize;

use super::compare::substitute;
use crate::contract::awsjson::{error_message, error_type};
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, RequestKey};

/// One contract-level change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    Added {
        key: String,
        outcome: String,
    },
    Removed {
        key: String,
        outcome: String,
    },
    Outcome {
        key: String,
        old: String,
        new: String,
    },
    Message {
        key: String,
        old: String,
        new: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { key, outcome } => write!(f, "+ added    {key}: {outcome}"),
            Change::Removed { key, outcome } => write!(f, "- removed  {key}: {outcome}"),
            Change::Outcome { key, old, new } => write!(f, "~ outcome  {key}: {old} -> {new}"),
            Change::Message { key, old, new } => write!(f, "~ message  {key}: '{old}' -> '{new}'"),
        }
    }
}

fn pairing_key(f: &Fixture) -> String {
    match &f.scenario {
        Some(s) => match f.sequence {
            Some(n) if n > 1 => format!("{s}#{n}"),
            _ => s.clone(),
        },
        None => format!(
            "request {}",
            String::from_utf8_lossy(RequestKey::of(f).as_bytes()).replace('\n', " ")
        ),
    }
}

/// Status and sanitised error type (or content type): what clients branch on.
fn outcome(f: &Fixture) -> String {
    let body = f.response.body.bytes().unwrap_or_default();
    match error_type(&body, f.response_header("x-amzn-errortype")) {
        Some(t) => format!("{} {}", f.response.status, t.name),
        None if (200..300).contains(&f.response.status) => format!("{} success", f.response.status),
        None => format!(
            "{} {}",
            f.response.status,
            f.response_header("content-type")
                .unwrap_or("(no content type)")
        ),
    }
}

/// Fixtures by pairing key. A key seen again (a scenario recorded twice) gets
/// the fixture id appended, so every fixture is compared, none overwritten.
fn by_key(set: &[LoadedFixture]) -> BTreeMap<String, &Fixture> {
    let mut map = BTreeMap::new();
    for l in set {
        let key = pairing_key(&l.fixture);
        let key = if map.contains_key(&key) {
            format!("{key} [{}]", l.fixture.id)
        } else {
            key
        };
        map.insert(key, &l.fixture);
    }
    map
}

/// The changes from `old` to `new`, sorted by key.
pub fn diff(old: &[LoadedFixture], new: &[LoadedFixture]) -> Vec<Change> {
    let (old, new) = (by_key(old), by_key(new));
    let mut changes = Vec::new();
    for (key, o) in &old {
        let Some(n) = new.get(key) else {
            changes.push(Change::Removed {
                key: key.clone(),
                outcome: outcome(o),
            });
            continue;
        };
        let (oo, no) = (outcome(o), outcome(n));
        if oo != no {
            changes.push(Change::Outcome {
                key: key.clone(),
                old: oo,
                new: no,
            });
            continue;
        }
        let pairs: Vec<(String, String)> = o
            .variables
            .iter()
            .filter_map(|(k, v)| n.variables.get(k).map(|nv| (v.clone(), nv.clone())))
            .collect();
        let om = error_message(&o.response.body.bytes().unwrap_or_default())
            .map(|m| substitute(&m, &pairs));
        let nm = error_message(&n.response.body.bytes().unwrap_or_default());
        if let (Some(om), Some(nm)) = (om, nm) {
            if om != nm {
                changes.push(Change::Message {
                    key: key.clone(),
                    old: om,
                    new: nm,
                });
            }
        }
    }
    for (key, n) in &new {
        if !old.contains_key(key) {
            changes.push(Change::Added {
                key: key.clone(),
                outcome: outcome(n),
            });
        }
    }
    changes.sort_by(|a, b| key_of(a).cmp(key_of(b)));
    changes
}

fn key_of(c: &Change) -> &str {
    match c {
        Change::Added { key, .. }
        | Change::Removed { key, .. }
        | Change::Outcome { key, .. }
        | Change::Message { key, .. } => key,
    }
}
