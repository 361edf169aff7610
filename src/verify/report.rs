//! Verify reports: a table for people (coloured on a terminal), JSON, JUnit XML
//! with one test case per fixture, and markdown for CI step summaries.

use serde::Serialize;

use super::compare::Level;
use super::runner::{verdict_word, Outcome, Provision, Verdict};
use crate::junit::{self, Case, CaseOutcome};

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// A whole verify run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: String,
    pub target: String,
    pub level: Level,
    pub provision: Provision,
    pub summary: Summary,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn new(target: &str, level: Level, provision: Provision, outcomes: Vec<Outcome>) -> Report {
        let mut summary = Summary::default();
        for o in &outcomes {
            match o.verdict {
                Verdict::Pass => summary.passed += 1,
                Verdict::Fail => summary.failed += 1,
                Verdict::Skip(_) => summary.skipped += 1,
            }
        }
        Report {
            tool: format!("tapedeck {}", env!("CARGO_PKG_VERSION")),
            target: target.to_owned(),
            level,
            provision,
            summary,
            outcomes,
        }
    }

    /// `verify: 18 fixtures, 16 passed, 1 failed, 1 skipped`.
    pub fn summary_line(&self) -> String {
        let s = self.summary;
        let n = self.outcomes.len();
        format!(
            "verify: {n} fixture{}, {} passed, {} failed, {} skipped",
            if n == 1 { "" } else { "s" },
            s.passed,
            s.failed,
            s.skipped
        )
    }

    /// The human table: one line per fixture, then each difference indented.
    pub fn table(&self, color: bool) -> String {
        let width = self
            .outcomes
            .iter()
            .map(|o| o.fixture.len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for o in &self.outcomes {
            let word = verdict_word(&o.verdict);
            let word = if color {
                let code = match o.verdict {
                    Verdict::Pass => "32",
                    Verdict::Fail => "31",
                    Verdict::Skip(_) => "33",
                };
                format!("\x1b[{code}m{word}\x1b[0m")
            } else {
                word.to_owned()
            };
            out.push_str(&format!("{word}  {:width$}  {}\n", o.fixture, o.headline()));
            if !o.differences.is_empty() {
                for d in &o.differences {
                    out.push_str(&format!("      {:width$}  - {d}\n", ""));
                }
            }
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    /// JUnit XML, one test case per fixture.
    pub fn junit(&self) -> String {
        let cases: Vec<Case> = self
            .outcomes
            .iter()
            .map(|o| Case {
                classname: format!(
                    "tapedeck.verify.{}",
                    o.scenario.as_deref().unwrap_or("unscoped")
                ),
                name: o.fixture.clone(),
                outcome: match &o.verdict {
                    Verdict::Pass => CaseOutcome::Passed,
                    Verdict::Skip(reason) => CaseOutcome::Skipped {
                        message: reason.clone(),
                    },
                    Verdict::Fail => CaseOutcome::Failed {
                        message: o.headline(),
                        text: o
                            .differences
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    },
                },
                output: None,
            })
            .collect();
        junit::render(&format!("tapedeck verify {}", self.target), &cases)
    }

    /// A markdown table for CI step summaries.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "### tapedeck verify: `{}`\n\n{}\n\n| fixture | result | details |\n|---|---|---|\n",
            self.target,
            self.summary_line()
        );
        for o in &self.outcomes {
            let icon = match o.verdict {
                Verdict::Pass => "✅ PASS",
                Verdict::Fail => "❌ FAIL",
                Verdict::Skip(_) => "⏭️ SKIP",
            };
            out.push_str(&format!(
                "| `{}` | {icon} | {} |\n",
                o.fixture,
                o.headline().replace('|', "\\|")
            ));
        }
        out
    }
}
