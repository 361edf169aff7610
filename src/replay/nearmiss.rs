//! Near misses: when no fixture matches, the fixtures closest to the request,
//! each with a field-level diff, so the user sees at once what differs.
//!
//! Ranking: fixtures with the same `X-Amz-Target` come first, then fewer
//! differing fields, then the smaller edit distance between the differing
//! values (so `tapedeck-ghosty` is nearest to `tapedeck-ghost`), then the id. Bodies are compared member by member
//! (recursively for objects); anything else is compared whole.

use serde::Serialize;
use serde_json::Value;

use super::index::Prepared;

/// One differing field: `field` is a JSON pointer into the body, or a
/// pseudo-field `(method)`, `(path)`, `x-amz-target`, `(body)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    /// The fixture's value; absent when the fixture lacks the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// The request's value; absent when the request lacks the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<Value>,
}

/// A fixture close to a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearMiss {
    pub fixture: String,
    pub target_matches: bool,
    pub differences: usize,
    pub diff: Vec<FieldDiff>,
    /// Sum of the edit distances between differing values (a tie-breaker).
    #[serde(skip)]
    pub distance: usize,
}

/// The request as the matcher saw it.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub target: Option<&'a str>,
    pub json: Option<&'a Value>,
    pub raw: &'a [u8],
}

/// The `limit` fixtures nearest to `probe`.
pub fn nearest<'a>(
    fixtures: impl IntoIterator<Item = &'a std::sync::Arc<Prepared>>,
    probe: &Probe<'_>,
    limit: usize,
) -> Vec<NearMiss> {
    let mut all: Vec<NearMiss> = fixtures.into_iter().map(|p| compare(p, probe)).collect();
    all.sort_by(|a, b| {
        let rank = |m: &NearMiss| (!m.target_matches, m.differences, m.distance);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.fixture.cmp(&b.fixture))
    });
    all.truncate(limit);
    all
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
        });
    }
    if fx.request.path != probe.path {
        diff.push(FieldDiff {
            field: "(path)".into(),
            expected: text(&fx.request.path),
            got: text(probe.path),
        });
    }
    let expected_target = fx.request_header("x-amz-target");
    let target_matches = expected_target == probe.target;
    if !target_matches {
        diff.push(FieldDiff {
            field: "x-amz-target".into(),
            expected: expected_target.and_then(text),
            got: probe.target.and_then(text),
        });
    }
    match (fx.request.body.json(), probe.json) {
        (Some(expected), Some(got)) => diff_values("", Some(&expected), Some(got), &mut diff),
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
        (e, g) if !same_value(e, g) => out.push(FieldDiff {
            field: if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
            expected: e.cloned(),
            got: g.cloned(),
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
