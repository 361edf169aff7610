//! Reports of a replay run, written at shutdown: a JSON document (the run's
//! totals and the requests the journal holds of it) and JUnit XML with one
//! test case per request. Both are built from the journal's run, which a
//! `POST /__tapedeck/reset` does not touch: every request of the run that was
//! not clean is listed, whatever was reset in between.

use serde::Serialize;

use super::journal::{Entry, Outcome, Totals};
use super::server::Replay;
use crate::junit::{self, Case, CaseOutcome};

/// The JSON report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `tapedeck <version>`.
    pub tool: String,
    /// How many fixtures the server served.
    pub fixtures: usize,
    /// True when every request of the run matched and none broke the contract.
    pub clean: bool,
    /// The whole run's counters; `dropped` counts the requests `entries` does
    /// not list (clean ones a reset cleared or that fell out of the window,
    /// and unclean ones past the first 10,000).
    pub totals: Totals,
    /// How many times `POST /__tapedeck/reset` started a new journal window.
    pub resets: u64,
    /// Every unclean request of the run, and the clean ones the window holds,
    /// in the order they came in.
    pub entries: Vec<Entry>,
}

impl Report {
    /// The report of `replay`'s run so far.
    pub fn of(replay: &Replay) -> Report {
        let (totals, entries) = replay.journal.run_entries(&replay.index.fixtures());
        Report {
            tool: format!("tapedeck {}", env!("CARGO_PKG_VERSION")),
            fixtures: replay.index.len(),
            clean: totals.is_clean(),
            totals,
            resets: replay.journal.resets(),
            entries,
        }
    }

    /// JUnit XML: one test case per request the report lists, named by its
    /// number in the run and its target (the same name in every run of the
    /// same suite); what happened is in its failure message or its output.
    pub fn junit(&self) -> String {
        let cases: Vec<Case> = self.entries.iter().map(case).collect();
        junit::render("tapedeck replay", &cases)
    }
}

fn case(e: &Entry) -> Case {
    let answer = match &e.outcome {
        Outcome::Matched {
            fixture,
            position,
            of,
        } if *of > 1 => format!(
            "answered {} from '{fixture}' ({position} of {of} in its sequence)",
            e.status
        ),
        Outcome::Matched { fixture, .. } => format!("answered {} from '{fixture}'", e.status),
        Outcome::Forwarded { detail } => format!("answered {} by forwarding: {detail}", e.status),
        Outcome::Unmatched { .. } => format!("answered {}: no fixture matched", e.status),
        Outcome::Exhausted { last, of } => format!(
            "answered {}: the sequence ending with '{last}' ({of} answers) is used up",
            e.status
        ),
        Outcome::Rejected { kind, .. } => format!("answered {}: rejected ({kind})", e.status),
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
            message: format!("{answer}: {first}"),
            text: problems.join("\n"),
        },
    };
    let target = match &e.target {
        Some(target) => target.to_string(),
        None => format!("{} {} (no X-Amz-Target)", e.method, e.path),
    };
    Case {
        classname: "tapedeck.replay".to_owned(),
        name: format!("request {}: {target}", e.run_n),
        outcome,
        output: Some(answer),
    }
}
