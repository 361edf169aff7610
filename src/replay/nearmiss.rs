//! Near misses: when no fixture matches, the fixtures closest to the request,
//! each with a field-level diff, so the user sees at once what differs.
//!
//! Ranking: fixtures with the same `X-Amz-Target` come first, then fewer
//! differing fields, then the smaller edit distance between the differing
//! values (so `tapedeck-ghosty` is nearest to `tapedeck-ghost`), then the id.
//! Bodies are compared member by member (recursively for objects, and for
//! lists of the same length); anything else is compared whole.
//!
//! What a near miss shows never holds a secret: a sensitive member of the
//! request (by the model's paths for its operation) is shown as a mask that
//! keeps its length (`‹sensitive UsernameType, 15 characters›`), and the
//! fixture's own value is shown only when it cannot hurt — a pseudonym, a
//! placeholder, or an identifier already in the fixture file (an authored
//! fixture's invented name); a secret recorded in clear is masked too.
//! `sensitive` names the shape of a masked field.

use serde::Serialize;
use serde_json::Value;

use super::bind::{Bindings, Holds, Slots};
use super::index::Prepared;
use crate::contract::model;
use crate::fixture::sensitive::{self, masked, Masker, Side, Source};

/// One differing field: `field` is a JSON pointer into the body, or a
/// pseudo-field `(method)`, `(path)`, `x-amz-target`, `(body)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    /// The field.
    pub field: String,
    /// The fixture's value; absent when the fixture lacks the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// The request's value; absent when the request lacks the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<Value>,
    /// The sensitive shape of the field (`UsernameType`), whose values are
    /// shown masked where they could hurt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<String>,
    /// Why a pseudonym of the fixture cannot stand for the request's value in
    /// this run (it is bound to another one, or the value to another
    /// pseudonym); never the value itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
}

/// A fixture close to a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearMiss {
    /// The fixture's id.
    pub fixture: String,
    /// Whether the request has the fixture's `X-Amz-Target`.
    pub target_matches: bool,
    /// How many fields differ.
    pub differences: usize,
    /// The fields that differ.
    pub diff: Vec<FieldDiff>,
    /// Sum of the edit distances between differing values (a tie-breaker).
    #[serde(skip)]
    pub distance: usize,
}

/// The request as the matcher saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) target: Option<&'a str>,
    pub(crate) json: Option<&'a Value>,
    pub(crate) raw: &'a [u8],
    /// The run's bindings: where a fixture holds a pseudonym, a request's
    /// value differs only when they forbid it. `None`: it never does.
    pub(crate) bindings: Option<&'a Bindings>,
}

/// The `limit` fixtures nearest to `probe`, with sensitive values hidden.
pub(crate) fn nearest<'a>(
    fixtures: impl IntoIterator<Item = &'a std::sync::Arc<Prepared>>,
    probe: &Probe<'_>,
    limit: usize,
) -> Vec<NearMiss> {
    let mut all: Vec<(NearMiss, &Prepared)> = fixtures
        .into_iter()
        .map(|p| (compare(p, probe), p.as_ref()))
        .collect();
    all.sort_by(|(a, _), (b, _)| {
        let rank = |m: &NearMiss| (!m.target_matches, m.differences, m.distance);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.fixture.cmp(&b.fixture))
    });
    all.truncate(limit);
    all.into_iter()
        .map(|(mut miss, p)| {
            hide(&mut miss, p, probe);
            miss
        })
        .collect()
}

/// Replaces what a near miss may not show (see the module documentation).
fn hide(miss: &mut NearMiss, p: &Prepared, probe: &Probe<'_>) {
    let fixture_op = p
        .fixture
        .request_header("x-amz-target")
        .and_then(model::operation_for_target);
    let probe_op = probe.target.and_then(model::operation_for_target);
    let expected_body = p.fixture.request.body.json();
    let shown_expected = expected_body
        .as_deref()
        .map(|b| masked(fixture_op, Side::Request, b, Source::Authored));
    let shown_got = probe
        .json
        .map(|b| masked(probe_op, Side::Request, b, Source::Observed));
    let mut masker = Masker::new();
    if let Some(b) = probe.json {
        masker.add(probe_op, Side::Request, b, Source::Observed);
    }
    let shape_at = |body: Option<&Value>, op, pointer: &str| -> Option<String> {
        let body = body?;
        sensitive::leaves(op, Side::Request, body)
            .into_iter()
            .find(|l| {
                l.pointer == pointer
                    || l.pointer.starts_with(&format!("{pointer}/"))
                    || pointer == "/"
            })
            .map(|l| l.shape.to_owned())
    };
    for d in &mut miss.diff {
        if d.field.starts_with('/') {
            let pointer = if d.field == "/" { "" } else { d.field.as_str() };
            d.sensitive = shape_at(probe.json, probe_op, &d.field)
                .or_else(|| shape_at(expected_body.as_deref(), fixture_op, &d.field));
            if d.expected.is_some() {
                d.expected = shown_expected
                    .as_ref()
                    .and_then(|b| b.pointer(pointer))
                    .cloned();
            }
            if d.got.is_some() {
                d.got = shown_got.as_ref().and_then(|b| b.pointer(pointer)).cloned();
            }
        } else if d.field == "(body)" {
            if let (Some(_), Some(b)) = (&d.expected, &shown_expected) {
                d.expected = Some(b.clone());
            }
            if let (Some(_), Some(b)) = (&d.got, &shown_got) {
                d.got = Some(b.clone());
            }
            // A body that is not JSON cannot be searched: not shown at all
            // when its operation takes something sensitive.
            let opaque = probe.json.is_none() && !probe.raw.is_empty();
            if opaque && probe_op.is_none_or(|o| !o.sensitive_input().is_empty()) {
                d.got = Some(Value::String(format!(
                    "‹a body that is not JSON, {} bytes, not shown›",
                    probe.raw.len()
                )));
                d.sensitive = Some("(body)".to_owned());
            }
        }
        if let Some(got) = &mut d.got {
            masker.json(got);
        }
    }
}

fn compare(p: &Prepared, probe: &Probe<'_>) -> NearMiss {
    let fx = &p.fixture;
    let mut diff = Vec::new();
    let text = |s: &str| Some(Value::String(s.to_owned()));
    if fx.request.method != probe.method {
        diff.push(FieldDiff {
            field: "(method)".into(),
            expected: text(&fx.request.method),
            got: text(probe.method),
            sensitive: None,
            binding: None,
        });
    }
    if fx.request.path != probe.path {
        diff.push(FieldDiff {
            field: "(path)".into(),
            expected: text(&fx.request.path),
            got: text(probe.path),
            sensitive: None,
            binding: None,
        });
    }
    let expected_target = fx.request_header("x-amz-target");
    let target_matches = expected_target == probe.target;
    if !target_matches {
        diff.push(FieldDiff {
            field: "x-amz-target".into(),
            expected: expected_target.and_then(text),
            got: probe.target.and_then(text),
            sensitive: None,
            binding: None,
        });
    }
    match (fx.request.body.json(), probe.json) {
        (Some(expected), Some(got)) => {
            diff_values("", Some(&expected), Some(got), &mut diff);
            if let Some(slots) = &p.slots {
                by_binding(&mut diff, slots, got, probe.bindings);
            }
        }
        (expected, got) => {
            let fixture_bytes = fx.request.body.bytes().unwrap_or_default();
            if fixture_bytes.as_ref() != probe.raw {
                diff.push(FieldDiff {
                    field: "(body)".into(),
                    expected: expected
                        .map(|v| v.into_owned())
                        .or_else(|| text(&String::from_utf8_lossy(&fixture_bytes))),
                    got: got
                        .cloned()
                        .or_else(|| text(&String::from_utf8_lossy(probe.raw))),
                    sensitive: None,
                    binding: None,
                });
            }
        }
    }
    NearMiss {
        fixture: fx.id.clone(),
        target_matches,
        differences: diff.len(),
        distance: diff.iter().map(edit_distance).sum(),
        diff,
    }
}

/// At the places of a fixture where recording replaced a value, another value
/// is no difference — a placeholder takes any, a pseudonym any the run's
/// bindings allow — unless the bindings forbid it: then the field says why.
fn by_binding(diff: &mut Vec<FieldDiff>, slots: &Slots, got: &Value, bindings: Option<&Bindings>) {
    let conflicts = bindings.map_or_else(Vec::new, |b| b.conflicts(slots, got));
    diff.retain_mut(|d| match slots.at(&d.field).map(|p| &p.holds) {
        Some(Holds::Placeholder) => !d.got.as_ref().is_some_and(Value::is_string),
        Some(Holds::Pseudonym(_)) => {
            if !d.got.as_ref().is_some_and(Value::is_string) {
                return true;
            }
            match conflicts.iter().find(|(at, _)| *at == d.field) {
                Some((_, c)) => {
                    d.binding = Some(c.explain());
                    true
                }
                None => false,
            }
        }
        _ => true,
    });
}

fn diff_values(
    path: &str,
    expected: Option<&Value>,
    got: Option<&Value>,
    out: &mut Vec<FieldDiff>,
) {
    match (expected, got) {
        (Some(Value::Object(e)), Some(Value::Object(g))) => {
            let mut keys: Vec<&String> = e
                .keys()
                .chain(g.keys().filter(|k| !e.contains_key(*k)))
                .collect();
            keys.sort();
            for k in keys {
                let child = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                diff_values(&child, e.get(k), g.get(k), out);
            }
        }
        (Some(Value::Array(e)), Some(Value::Array(g))) if e.len() == g.len() => {
            for (i, (e, g)) in e.iter().zip(g).enumerate() {
                diff_values(&format!("{path}/{i}"), Some(e), Some(g), out);
            }
        }
        (e, g) if !same_value(e, g) => out.push(FieldDiff {
            field: if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
            expected: e.cloned(),
            got: g.cloned(),
            sensitive: None,
            binding: None,
        }),
        _ => {}
    }
}

/// How far apart a differing pair of values is, in characters.
fn edit_distance(d: &FieldDiff) -> usize {
    let text = |v: &Option<Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => crate::fixture::canonical_json(other),
        None => String::new(),
    };
    let (a, b) = (text(&d.expected), text(&d.got));
    // Edit distance is quadratic: past a short value, the length difference
    // ranks well enough and keeps a huge unmatched body from holding a core.
    const MAX: usize = 256;
    if a.len() > MAX || b.len() > MAX {
        return a.len().abs_diff(b.len()).max(1);
    }
    strsim::levenshtein(&a, &b)
}

/// Equality as the canonical key sees it (so `1` equals `1.0`).
fn same_value(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            crate::fixture::canonical_json(a) == crate::fixture::canonical_json(b)
        }
        (None, None) => true,
        _ => false,
    }
}
