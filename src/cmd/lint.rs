//! `tapedeck lint`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tapedeck::fixture;
use tapedeck::lint;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Fixture files, directories or `embedded:<set>` names, as `replay --fixtures`
    /// takes them [default: every embedded fixture set].
    paths: Vec<PathBuf>,
    /// Accept a directory without fixtures (otherwise a usage error, exit 2).
    #[arg(long)]
    allow_empty: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One line per problem, then a summary.
    Text,
    /// One JSON document: counts and problems.
    Json,
}

pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    let empty = if args.allow_empty {
        super::Empty::Allow
    } else {
        super::Empty::Refuse
    };
    let (raws, _) = super::read_sources(&args.paths, &fixture::embedded_sets(), empty)?;
    // Sets named together are served together; the embedded sets are not.
    let report = if args.paths.is_empty() {
        lint::lint(raws)
    } else {
        lint::lint_together(raws)
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => {
            for p in report.problems.iter().chain(&report.shadowed) {
                writeln!(out, "{p}")?;
            }
            writeln!(out, "{}", report.summary())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
