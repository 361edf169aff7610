//! Reports of a replay run, written at shutdown: a JSON document (totals and the
//! journal) and JUnit XML with one test case per request.

use serde::Serialize;

use super::journal::{Entry, Outcome, Totals};
use super::server::Replay;
use crate::junit::{self, Case, CaseOutcome};

/// The JSON report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub tool: String,
    pub fixtures: usize,
    /// True when every request matched and none broke the contract.
    pub clean: bool,
    pub totals: Totals,
    pub entries: Vec<Entry>,
}

impl Report {
    pub fn of(replay: &Replay) -> Report {
        let totals = replay.journal.totals();
        Report {
            tool: format!("tapedeck {}", env!("CARGO_PKG_VERSION")),
            fixtures: replay.index.len(),
            clean: totals.unmatched == 0 && totals.with_violations == 0,
            totals,
            entries: replay.journal.entries(replay.index.fixtures()),
        }
    }

    /// JUnit XML: one test case per journaled request.
    pub fn junit(&self) -> String {
        let cases: Vec<Case> = self.entries.iter().map(case).collect();
        junit::render("tapedeck replay", &cases)
    }
}

fn case(e: &Entry) -> Case {
    let subject = match &e.outcome {
        Outcome::Matched { fixture, .. } => fixture.clone(),
        Outcome::Forwarded { .. } => "forwarded".to_owned(),
        Outcome::Unmatched { .. } => "unmatched".to_owned(),
        Outcome::Exhausted { last, .. } => format!("{last} (exhausted)"),
        Outcome::Rejected { kind, .. } => format!("rejected: {kind}"),
    };
    let mut problems: Vec<String> = Vec::new();
    match &e.outcome {
        Outcome::Unmatched { near_misses } => problems.push(match near_misses.first() {
            Some(m) => format!(
                "no fixture matched; nearest '{}' differs in {}",
                m.fixture,
                m.diff
                    .iter()
                    .map(|d| d.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "no fixture matched".to_owned(),
        }),
        Outcome::Rejected { message, .. }
            if !e.violations.iter().any(|v| &v.message == message) =>
        {
            problems.push(message.clone())
        }
        _ => {}
    }
    problems.extend(
        e.violations
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.message)),
    );
    let outcome = match problems.first() {
        None => CaseOutcome::Passed,
        Some(first) => CaseOutcome::Failed {
            message: first.clone(),
            text: problems.join("\n"),
        },
    };
    Case {
        classname: "tapedeck.replay".to_owned(),
        name: format!(
            "request {} {} → {subject}",
            e.n,
            e.target.as_deref().unwrap_or("(no target)")
        ),
        outcome,
    }
}
