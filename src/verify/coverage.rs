//! `tapedeck coverage`: for each modelled exception type and each scenario of
//! the catalog, whether the given fixtures cover it with a recording, only with
//! an authored fixture, or not at all.

use serde::Serialize;

use crate::contract::awsjson::error_type;
use crate::contract::model::{COMMON_ERRORS, ERRORS};
use crate::fixture::store::LoadedFixture;
use crate::fixture::Provenance;
use crate::scenario::catalog::CATALOG;

/// How well something is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Missing,
    Authored,
    Recorded,
}

/// One line of the coverage table.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// `scenario` or `error`.
    pub kind: &'static str,
    pub name: String,
    pub status: Status,
    pub fixtures: Vec<String>,
}

/// Coverage of every scenario and every modelled or common error type.
pub fn coverage(fixtures: &[LoadedFixture]) -> Vec<Line> {
    let status_of = |matching: &[&LoadedFixture]| {
        matching
            .iter()
            .map(|l| match l.fixture.provenance {
                Provenance::Recorded { .. } => Status::Recorded,
                Provenance::Authored { .. } => Status::Authored,
            })
            .max()
            .unwrap_or(Status::Missing)
    };
    let line = |kind, name: &str, matching: Vec<&LoadedFixture>| Line {
        kind,
        name: name.to_owned(),
        status: status_of(&matching),
        fixtures: matching.iter().map(|l| l.fixture.id.clone()).collect(),
    };
    let mut lines = Vec::new();
    for s in CATALOG {
        let matching = fixtures
            .iter()
            .filter(|l| l.fixture.scenario.as_deref() == Some(s.id))
            .collect();
        lines.push(line("scenario", s.id, matching));
    }
    for e in ERRORS.iter().chain(COMMON_ERRORS.iter()) {
        let matching = fixtures
            .iter()
            .filter(|l| {
                let body = l.fixture.response.body.bytes().unwrap_or_default();
                error_type(&body, l.fixture.response_header("x-amzn-errortype"))
                    .is_some_and(|t| t.name == e.name)
            })
            .collect();
        lines.push(line("error", e.name, matching));
    }
    lines
}

/// The table: kind, name, status, fixtures.
pub fn table(lines: &[Line]) -> String {
    let width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for l in lines {
        let status = match l.status {
            Status::Missing => "missing",
            Status::Authored => "authored",
            Status::Recorded => "recorded",
        };
        let row = format!(
            "{:8}  {:width$}  {:8}  {}",
            l.kind,
            l.name,
            status,
            l.fixtures.join(", ")
        );
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}
