//! `tapedeck lint`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tapedeck::fixture::store;
use tapedeck::lint;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Fixture files or directories [default: every embedded fixture set].
    paths: Vec<PathBuf>,
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
    let mut raws = Vec::new();
    if args.paths.is_empty() {
        for set in store::embedded_sets() {
            raws.extend(store::read_embedded(set)?);
        }
    } else {
        for path in &args.paths {
            raws.extend(
                store::read_path(path)
                    .with_context(|| format!("cannot lint {}", path.display()))?,
            );
        }
    }
    let report = lint::lint(raws);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => {
            for p in &report.problems {
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
