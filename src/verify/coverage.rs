//! `tapedeck coverage`: per operation, which of its outcomes the given fixtures
//! cover with a recording, only with an authored fixture, or not at all.
//!
//! Fixtures are grouped by the operation their `x-amz-target` names. The
//! flagship (AdminForgetDevice) is always listed, with each scenario of its
//! catalog; every operation that has a fixture follows, in model order. For each
//! listed operation: its success, each error it declares in the model, and the
//! common AWS errors; then any error type its fixtures record that the model
//! does not declare for it, and any error answer without a type (an emulator's
//! HTML page: `HTTP 500 without an error type`), as `unmodelled`. Fixtures whose target names no
//! operation of the model are listed last (`unknown-operation`).
//!
//! A scenario is covered by the fixtures that answer as the catalog expects
//! it to. A fixture of the scenario that answered otherwise (moto's HTML 500
//! for `unknown-user`) does not cover it: it is listed under `differs`, with
//! what it answered, and a scenario only such fixtures have is `differs`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::contract::awsjson::error_type;
use crate::contract::model::{self, COMMON_ERRORS};
use crate::fixture::store::LoadedFixture;
use crate::fixture::Provenance;
use crate::scenario::catalog::CATALOG;

/// How well something is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Missing,
    /// A scenario whose only fixtures answered otherwise than it expects.
    Differs,
    Authored,
    Recorded,
}

/// A fixture of a scenario that answered otherwise than the scenario expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Differs {
    pub fixture: String,
    /// What it answered: an error type, `success`, or `HTTP <status> without
    /// an error type`.
    pub observed: String,
}

/// One line of the coverage table.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// The operation (`AdminForgetDevice`), or the target for `unknown-operation`.
    pub operation: String,
    /// `scenario`, `success`, `error`, `unmodelled` or `unknown-operation`.
    pub kind: &'static str,
    pub name: String,
    pub status: Status,
    pub fixtures: Vec<String>,
    /// For a `scenario`: the outcome the catalog expects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// For a `scenario`: its fixtures that answered otherwise (not counted in
    /// `status` nor listed in `fixtures`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differs: Vec<Differs>,
}

/// What one fixture answers with.
struct Seen<'a> {
    fixture: &'a LoadedFixture,
    /// The error type, or `None` for a success (2xx without one).
    error: Option<String>,
    success: bool,
}

impl Seen<'_> {
    /// What the fixture answered, as a scenario's expectation is written.
    fn observed(&self) -> String {
        match (&self.error, self.success) {
            (Some(e), _) => e.clone(),
            (None, true) => "success".to_owned(),
            (None, false) => format!(
                "HTTP {} without an error type",
                self.fixture.fixture.response.status
            ),
        }
    }
}

/// Coverage of every listed operation (see the module docs).
pub fn coverage(fixtures: &[LoadedFixture]) -> Vec<Line> {
    let m = model::get();
    let mut by_operation: BTreeMap<usize, Vec<Seen<'_>>> = BTreeMap::new();
    let mut unknown: BTreeMap<String, Vec<&LoadedFixture>> = BTreeMap::new();
    let position = |name: &str| m.operations().iter().position(|o| o.name == name);
    let flagship = position(model::FLAGSHIP).expect("the model has the flagship");
    by_operation.entry(flagship).or_default();
    for l in fixtures {
        let target = l.fixture.request_header("x-amz-target").unwrap_or_default();
        let Some(at) = model::operation_for_target(target).and_then(|op| position(&op.name)) else {
            unknown.entry(target.to_owned()).or_default().push(l);
            continue;
        };
        let body = l.fixture.response.body.bytes().unwrap_or_default();
        let error =
            error_type(&body, l.fixture.response_header("x-amzn-errortype")).map(|t| t.name);
        let success = error.is_none() && (200..300).contains(&l.fixture.response.status);
        by_operation.entry(at).or_default().push(Seen {
            fixture: l,
            error,
            success,
        });
    }
    let mut lines = Vec::new();
    // The flagship first, then the others in model order.
    let order =
        std::iter::once(flagship).chain(by_operation.keys().copied().filter(|&i| i != flagship));
    for at in order.collect::<Vec<_>>() {
        let op = &m.operations()[at];
        let seen = &by_operation[&at];
        let line = |kind, name: &str, matching: Vec<&LoadedFixture>| Line {
            operation: op.name.clone(),
            kind,
            name: name.to_owned(),
            status: status_of(&matching),
            fixtures: matching.iter().map(|l| l.fixture.id.clone()).collect(),
            expected: None,
            differs: Vec::new(),
        };
        if at == flagship {
            for s in CATALOG {
                let expected = s.expected_label();
                let (answered, differs): (Vec<&Seen<'_>>, Vec<&Seen<'_>>) = seen
                    .iter()
                    .filter(|x| x.fixture.fixture.scenario.as_deref() == Some(s.id))
                    .partition(|x| x.observed() == expected);
                let mut l = line(
                    "scenario",
                    s.id,
                    answered.iter().map(|x| x.fixture).collect(),
                );
                if l.status == Status::Missing && !differs.is_empty() {
                    l.status = Status::Differs;
                }
                l.expected = Some(expected.to_owned());
                l.differs = differs
                    .iter()
                    .map(|x| Differs {
                        fixture: x.fixture.fixture.id.clone(),
                        observed: x.observed(),
                    })
                    .collect();
                lines.push(l);
            }
        }
        let successes = seen
            .iter()
            .filter(|x| x.success)
            .map(|x| x.fixture)
            .collect();
        lines.push(line("success", "success", successes));
        let errors = op
            .error_shapes()
            .map(|s| s.name.as_str())
            .chain(COMMON_ERRORS.iter().map(|c| c.name));
        for name in errors {
            let matching = seen
                .iter()
                .filter(|x| x.error.as_deref() == Some(name))
                .map(|x| x.fixture)
                .collect();
            lines.push(line("error", name, matching));
        }
        let mut others: BTreeMap<String, Vec<&LoadedFixture>> = BTreeMap::new();
        for x in seen {
            let other = match x.error.as_deref() {
                Some(e) if !op.allows_error(e) => Some(e.to_owned()),
                None if !x.success => Some(format!(
                    "HTTP {} without an error type",
                    x.fixture.fixture.response.status
                )),
                _ => None,
            };
            if let Some(name) = other {
                others.entry(name).or_default().push(x.fixture);
            }
        }
        for (name, matching) in others {
            lines.push(line("unmodelled", &name, matching));
        }
    }
    for (target, matching) in unknown {
        lines.push(Line {
            operation: target.clone(),
            kind: "unknown-operation",
            name: target,
            status: status_of(&matching),
            fixtures: matching.iter().map(|l| l.fixture.id.clone()).collect(),
            expected: None,
            differs: Vec::new(),
        });
    }
    lines
}

fn status_of(matching: &[&LoadedFixture]) -> Status {
    matching
        .iter()
        .map(|l| match l.fixture.provenance {
            Provenance::Recorded { .. } => Status::Recorded,
            Provenance::Authored { .. } => Status::Authored,
        })
        .max()
        .unwrap_or(Status::Missing)
}

/// The table: operation, kind, name, status, fixtures; then, for a scenario,
/// each fixture that answered otherwise, marked `✗` with what it answered.
pub fn table(lines: &[Line]) -> String {
    let op_width = lines.iter().map(|l| l.operation.len()).max().unwrap_or(0);
    let kind_width = lines.iter().map(|l| l.kind.len()).max().unwrap_or(0);
    let width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for l in lines {
        let status = match l.status {
            Status::Missing => "missing",
            Status::Differs => "differs",
            Status::Authored => "authored",
            Status::Recorded => "recorded",
        };
        let expected = l.expected.as_deref().unwrap_or_default();
        let fixtures = l
            .fixtures
            .iter()
            .cloned()
            .chain(
                l.differs
                    .iter()
                    .map(|d| format!("✗ {} (answered {}, not {expected})", d.fixture, d.observed)),
            )
            .collect::<Vec<_>>();
        let row = format!(
            "{:op_width$}  {:kind_width$}  {:width$}  {:8}  {}",
            l.operation,
            l.kind,
            l.name,
            status,
            fixtures.join(", ")
        );
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}
