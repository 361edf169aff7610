//! `tapedeck lint`: checks fixture sets before anyone relies on them.
//!
//! Every file is checked on its own (schema, format version, model conformance,
//! cited sources, secrets, sensitive members holding real values), then each set (directory) as a whole (duplicate ids, sequences). The
//! secret scan runs on the raw text, so even a file that fails to parse is
//! scanned. Problems are reported as `file:line: rule: message`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::contract::awsjson::{error_type, is_awsjson_content_type};
use crate::contract::model;
use crate::contract::validate::validate;
use crate::fixture::locate::{line_at, line_of};
use crate::fixture::secrets;
use crate::fixture::set::SetOrigin;
use crate::fixture::store::{LoadedFixture, RawFixture};
use crate::fixture::{Provenance, RequestKey};

mod provenance;
mod sensitive;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub rule: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.rule, self.message
        )
    }
}

/// The outcome of linting some sets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub fixtures: usize,
    pub sets: usize,
    pub problems: Vec<Problem>,
    /// Fixtures that `replay` of the same sets, in the same order, never
    /// serves: a set given earlier records the same request (rule
    /// `shadowed`). Not problems.
    pub shadowed: Vec<Problem>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// `lint: 27 fixtures in 1 set: no problems`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let problems = match self.problems.len() {
            0 => "no problems".to_owned(),
            n => plural(n, "problem"),
        };
        let shadowed = match self.shadowed.len() {
            0 => String::new(),
            n => format!(
                "; {} shadowed by a set given earlier (replay serves that set's answer)",
                plural(n, "fixture")
            ),
        };
        format!(
            "lint: {} in {}: {problems}{shadowed}",
            plural(self.fixtures, "fixture"),
            plural(self.sets, "set")
        )
    }
}

/// Lints raw fixture files, each set on its own. Files of one set must be
/// passed together.
pub fn lint(raws: Vec<RawFixture>) -> Report {
    lint_sets(raws, false)
}

/// Lints raw fixture files as `replay` would serve them together, in this
/// order: also lists the fixtures a set given earlier shadows
/// ([`Report::shadowed`]).
pub fn lint_together(raws: Vec<RawFixture>) -> Report {
    lint_sets(raws, true)
}

fn lint_sets(raws: Vec<RawFixture>, together: bool) -> Report {
    let mut report = Report {
        fixtures: raws.len(),
        ..Report::default()
    };
    let mut by_set: BTreeMap<SetOrigin, Vec<LoadedFixture>> = BTreeMap::new();
    let mut sets: Vec<SetOrigin> = Vec::new();
    for raw in raws {
        if !sets.contains(&raw.set) {
            sets.push(raw.set.clone());
        }
        report.problems.extend(scan_secrets(&raw));
        let stem = raw.stem.clone();
        match raw.parse() {
            Ok(loaded) => {
                if loaded.fixture.id != stem {
                    report.problems.push(problem(
                        &loaded,
                        &["id"],
                        "id-filename",
                        format!(
                            "id '{}' does not match the file name '{stem}.json'",
                            loaded.fixture.id
                        ),
                    ));
                }
                report.problems.extend(check_model(&loaded));
                report.problems.extend(provenance::check(&loaded));
                report.problems.extend(sensitive::check(&loaded));
                by_set.entry(loaded.set.clone()).or_default().push(loaded);
            }
            Err(e) => {
                let rule = match e {
                    crate::fixture::LoadError::UnsupportedVersion { .. } => "version",
                    crate::fixture::LoadError::Io { .. } => "io",
                    _ => "schema",
                };
                report.problems.push(Problem {
                    file: e.path().to_owned(),
                    line: e.line(),
                    rule: rule.to_owned(),
                    message: e.message(),
                });
            }
        }
    }
    for set in &sets {
        if let Err(e) = crate::fixture::store::set_config(set) {
            report.problems.push(Problem {
                file: e.path().to_owned(),
                line: e.line(),
                rule: "set-file".to_owned(),
                message: e.message(),
            });
        }
    }
    for fixtures in by_set.values() {
        report.problems.extend(check_ids(fixtures));
        report.problems.extend(check_sequences(fixtures));
    }
    if together {
        report.shadowed = shadowed(&sets, &by_set);
    }
    report.sets = sets.len();
    report
        .problems
        .sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    report.problems.dedup();
    report
}

fn problem(f: &LoadedFixture, path: &[&str], rule: &str, message: String) -> Problem {
    Problem {
        file: f.origin.clone(),
        line: line_of(&f.text, path),
        rule: rule.to_owned(),
        message,
    }
}

fn scan_secrets(raw: &RawFixture) -> Vec<Problem> {
    secrets::scan(&raw.text)
        .into_iter()
        .map(|hit| Problem {
            file: raw.origin.clone(),
            line: line_at(&raw.text, hit.offset),
            rule: hit.rule.to_owned(),
            message: hit.message,
        })
        .collect()
}

/// Model conformance of one fixture's request and response.
fn check_model(f: &LoadedFixture) -> Vec<Problem> {
    let mut out = Vec::new();
    let fx = &f.fixture;
    let req = &fx.request;
    let mut push = |path: &[&str], rule: &str, msg: String| out.push(problem(f, path, rule, msg));
    if req.method != model::METHOD {
        push(
            &["request", "method"],
            "model/request",
            format!("method is '{}', expected '{}'", req.method, model::METHOD),
        );
    }
    if req.path != model::PATH {
        push(
            &["request", "path"],
            "model/request",
            format!("path is '{}', expected '{}'", req.path, model::PATH),
        );
    }
    let target = fx.request_header("x-amz-target");
    let operation = target.and_then(model::operation_for_target);
    match (target, operation) {
        (Some(_), Some(_)) => {}
        (Some(other), None) => push(
            &["request", "headers", "x-amz-target"],
            "model/request",
            format!(
                "x-amz-target is '{other}', which names no operation of the cognito-idp model; targets are '{}.<Operation>'",
                model::get().target_prefix()
            ),
        ),
        (None, _) => push(
            &["request", "headers"],
            "model/request",
            "x-amz-target header is missing".into(),
        ),
    }
    match fx.request_header("content-type") {
        Some(ct) if is_awsjson_content_type(ct) => {}
        Some(other) => push(
            &["request", "headers", "content-type"],
            "model/request",
            format!(
                "content-type is '{other}', expected '{}'",
                model::CONTENT_TYPE
            ),
        ),
        None => push(
            &["request", "headers"],
            "model/request",
            "content-type header is missing".into(),
        ),
    }
    match (req.body.json(), operation) {
        (None, _) => push(
            &["request"],
            "model/request",
            "request body is not JSON".into(),
        ),
        // Without an operation there is no input shape to validate against
        // (the target is reported above).
        (Some(_), None) => {}
        (Some(body), Some(op)) => {
            let got = validate(op, &body).violation_texts();
            if got != fx.expected_violations {
                let msg = if fx.expected_violations.is_empty() {
                    format!(
                        "request violates the model: {}; list the violations in expected_violations if that is intended",
                        got.join("; ")
                    )
                } else if got.is_empty() {
                    "expected_violations is set but the request is valid".to_owned()
                } else {
                    format!(
                        "expected_violations differ from the request's violations: {}",
                        got.join("; ")
                    )
                };
                push(&["expected_violations"], "model/expected-violations", msg);
            }
        }
    }
    let bytes = fx.response.body.bytes().unwrap_or_default();
    let found = error_type(&bytes, fx.response_header("x-amzn-errortype"));
    // Recorded fixtures keep whatever the endpoint said; an unknown type there is
    // an observation, not a mistake. Authored fixtures must use the model.
    if matches!(fx.provenance, Provenance::Authored { .. }) {
        match (&found, fx.response.status) {
            (Some(t), _) if !error_allowed(operation, &t.name) => push(
                &["response", "body"],
                "model/error-type",
                match operation {
                    Some(op) => format!(
                        "error type '{}' is neither an error {} declares nor a common AWS error",
                        t.name, op.name
                    ),
                    None => format!(
                        "error type '{}' is not in the model nor a common AWS error",
                        t.name
                    ),
                },
            ),
            (None, status) if status >= 300 => push(
                &["response", "status"],
                "model/error-type",
                format!("status {status} but the response names no error type"),
            ),
            _ => {}
        }
    }
    out
}

/// Whether a fixture of `operation` may answer with the error `name`: one the
/// operation declares or a common AWS error (any modelled error when the
/// operation is unknown).
fn error_allowed(operation: Option<&model::Operation>, name: &str) -> bool {
    match operation {
        Some(op) => op.allows_error(name),
        None => model::get().error(name).is_some(),
    }
}

/// The fixtures replay would shadow: sets rank in the order given, and a
/// request recorded by an earlier set is answered from that set.
fn shadowed(sets: &[SetOrigin], by_set: &BTreeMap<SetOrigin, Vec<LoadedFixture>>) -> Vec<Problem> {
    let mut claimed: HashMap<RequestKey, &SetOrigin> = HashMap::new();
    let mut out = Vec::new();
    for set in sets {
        let Some(fixtures) = by_set.get(set) else {
            continue;
        };
        let mut mine = Vec::new();
        for f in fixtures {
            let key = RequestKey::of(&f.fixture);
            match claimed.get(&key) {
                Some(earlier) if *earlier != set => out.push(problem(
                    f,
                    &["request"],
                    "shadowed",
                    format!(
                        "replay answers this request from {earlier}, a set given earlier that records the same request"
                    ),
                )),
                _ => mine.push(key),
            }
        }
        for key in mine {
            claimed.entry(key).or_insert(set);
        }
    }
    out
}

fn check_ids(fixtures: &[LoadedFixture]) -> Vec<Problem> {
    let mut seen: HashMap<&str, &LoadedFixture> = HashMap::new();
    let mut out = Vec::new();
    for f in fixtures {
        if let Some(first) = seen.insert(&f.fixture.id, f) {
            out.push(problem(
                f,
                &["id"],
                "duplicate-id",
                format!("id '{}' is also used by {}", f.fixture.id, first.origin),
            ));
        }
    }
    out
}

/// Fixtures with the same request key form a sequence: each must declare a
/// distinct `sequence`, together exactly 1..=n.
fn check_sequences(fixtures: &[LoadedFixture]) -> Vec<Problem> {
    let mut groups: BTreeMap<RequestKey, Vec<&LoadedFixture>> = BTreeMap::new();
    for f in fixtures {
        groups
            .entry(RequestKey::of(&f.fixture))
            .or_default()
            .push(f);
    }
    let mut out = Vec::new();
    for group in groups.values() {
        let ids: Vec<&str> = group.iter().map(|f| f.fixture.id.as_str()).collect();
        if group.len() == 1 {
            let f = group[0];
            // A lone `sequence: 1` is a one-step sequence (a recorder stopped
            // between numbering the first step and writing the second); any
            // other number needs its predecessors.
            if let Some(n) = f.fixture.sequence.filter(|n| *n != 1) {
                out.push(problem(
                    f,
                    &["sequence"],
                    "sequence",
                    format!("declares sequence {n} but no other fixture in its set has the same request"),
                ));
            }
            continue;
        }
        let mut numbers: Vec<u32> = Vec::new();
        for f in group {
            match f.fixture.sequence {
                None => out.push(problem(
                    f,
                    &["id"],
                    "sequence",
                    format!(
                        "same request as {}, but no sequence number",
                        others(&ids, &f.fixture.id)
                    ),
                )),
                Some(n) => numbers.push(n),
            }
        }
        if numbers.len() == group.len() {
            let mut sorted = numbers.clone();
            sorted.sort_unstable();
            let expected: Vec<u32> = (1..=group.len() as u32).collect();
            if sorted != expected {
                out.push(problem(
                    group[0],
                    &["sequence"],
                    "sequence",
                    format!(
                        "sequence numbers of {} are {sorted:?}, expected {expected:?}",
                        ids.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

fn others(ids: &[&str], me: &str) -> String {
    ids.iter()
        .filter(|i| **i != me)
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}
