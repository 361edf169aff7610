//! `tapedeck diff OLD NEW`: the contract-level differences between two fixture
//! sets — added, removed, changed outcome, changed message. Fixtures are paired
//! by scenario and sequence position (so a re-recording with new pool ids still
//! pairs up), and by request key when they name no scenario.
//!
//! Nothing printed shows a sensitive value that could hurt: a request key is
//! shown with such values masked (`‹sensitive PasswordType, 12 characters›`;
//! pseudonyms, placeholders and an authored fixture's identifiers are shown),
//! and so are messages that repeat one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::compare::substitute;
use crate::contract::awsjson::{error_message, error_type};
use crate::contract::model;
use crate::fixture::sensitive::{masked, Masker, Side, Source};
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, Provenance, RequestKey};

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

fn source(f: &Fixture) -> Source {
    match f.provenance {
        Provenance::Authored { .. } => Source::Authored,
        Provenance::Recorded { .. } => Source::Observed,
    }
}

fn operation(f: &Fixture) -> Option<&'static model::Operation> {
    f.request_header("x-amz-target")
        .and_then(model::operation_for_target)
}

/// The pairing key as printed: a request key with its sensitive values masked.
fn shown_key(f: &Fixture) -> String {
    if f.scenario.is_some() {
        return pairing_key(f);
    }
    let req = &f.request;
    let target = f.request_header("x-amz-target").unwrap_or_default();
    let op = operation(f);
    let key = match req.body.json() {
        Some(body) => RequestKey::from_json(
            &req.method,
            &req.path,
            target,
            &masked(op, Side::Request, &body, source(f)),
        ),
        None if op.is_none_or(|o| !o.sensitive_input().is_empty()) => {
            let n = req.body.bytes().map_or(0, |b| b.len());
            return format!(
                "request {} {} {target} raw:‹{n} bytes, not shown›",
                req.method, req.path
            );
        }
        None => RequestKey::of(f),
    };
    format!(
        "request {}",
        String::from_utf8_lossy(key.as_bytes()).replace('\n', " ")
    )
}

/// A message with the fixture's own sensitive values masked.
fn shown_message(f: &Fixture, message: &str) -> String {
    let mut masker = Masker::new();
    let op = operation(f);
    for (side, body) in [
        (Side::Request, &f.request.body),
        (Side::Response, &f.response.body),
    ] {
        if let Some(v) = body.json() {
            masker.add(op, side, &v, source(f));
        }
    }
    masker.text(message).into_owned()
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

/// Fixtures by pairing key, each with the key as printed. A key seen again (a
/// scenario recorded twice) gets the fixture id appended, so every fixture is
/// compared, none overwritten; so does a printed key that masking made equal
/// to another's.
fn by_key(set: &[LoadedFixture]) -> BTreeMap<String, (String, &Fixture)> {
    let mut map: BTreeMap<String, (String, &Fixture)> = BTreeMap::new();
    for l in set {
        let key = pairing_key(&l.fixture);
        let shown = shown_key(&l.fixture);
        let (key, shown) = if map.contains_key(&key) {
            let id = &l.fixture.id;
            (format!("{key} [{id}]"), format!("{shown} [{id}]"))
        } else {
            (key, shown)
        };
        let shown = if map.values().any(|(s, _)| *s == shown) {
            format!("{shown} [{}]", l.fixture.id)
        } else {
            shown
        };
        map.insert(key, (shown, &l.fixture));
    }
    map
}

/// The changes from `old` to `new`, sorted by key.
pub fn diff(old: &[LoadedFixture], new: &[LoadedFixture]) -> Vec<Change> {
    let (old, new) = (by_key(old), by_key(new));
    let mut changes = Vec::new();
    for (key, (shown, o)) in &old {
        let Some((_, n)) = new.get(key) else {
            changes.push(Change::Removed {
                key: shown.clone(),
                outcome: outcome(o),
            });
            continue;
        };
        let (oo, no) = (outcome(o), outcome(n));
        if oo != no {
            changes.push(Change::Outcome {
                key: shown.clone(),
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
                    key: shown.clone(),
                    old: shown_message(o, &om),
                    new: shown_message(n, &nm),
                });
            }
        }
    }
    for (key, (shown, n)) in &new {
        if !old.contains_key(key) {
            changes.push(Change::Added {
                key: shown.clone(),
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
