//! The `tapedeck` command line: parses arguments, then calls one function per
//! subcommand. Exit codes: 0 success, 1 the check found problems, 2 usage errors
//! (bad flags, unreadable paths).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use tapedeck::fixture::store;
use tapedeck::lint;

/// Record-and-replay contract testing for Cognito AdminForgetDevice.
///
/// tapedeck keeps the real behaviour of AdminForgetDevice in JSON fixtures, checks
/// them, and (in later subcommands) serves and verifies them. Set RUST_LOG to tune
/// logging (e.g. RUST_LOG=tapedeck=debug); NO_COLOR turns colour off.
#[derive(Debug, Parser)]
#[command(name = "tapedeck", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check fixture sets: schema, model conformance, sequences, duplicate ids and
    /// secrets.
    ///
    /// With no PATH, lints every fixture set embedded in the binary. Each PATH is a
    /// fixture file or a directory searched recursively for *.json. Problems are
    /// printed as `file:line: rule: message`. Exits 1 when there are problems, 2 on
    /// usage errors.
    ///
    /// Example: tapedeck lint fixtures/admin-forget-device/reference
    Lint {
        /// Fixture files or directories [default: the embedded corpus].
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One line per problem, then a summary.
    Text,
    /// One JSON document: counts and problems.
    Json,
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint { paths, format } => run_lint(&paths, format),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .init();
}

fn run_lint(paths: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let mut raws = Vec::new();
    if paths.is_empty() {
        for set in store::embedded_sets() {
            raws.extend(store::read_embedded(set)?);
        }
    } else {
        for path in paths {
            raws.extend(
                store::read_path(path)
                    .with_context(|| format!("cannot lint {}", path.display()))?,
            );
        }
    }
    let report = lint::lint(raws);
    let mut out = std::io::stdout().lock();
    match format {
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
