//! One module per subcommand: each turns parsed arguments into a call to the
//! library and an exit code. Shared here: loading fixture sources, the error
//! line, counts of 1 or more, and waiting for a shutdown signal; in `output`,
//! checking output paths before anything starts and writing report files; in
//! `recording`, the options `record` and the recording modes of `replay
//! --mode` share.

pub mod capture;
pub mod lint;
pub mod output;
pub mod record;
pub mod recording;
pub mod replay;
pub mod verify;

use std::path::PathBuf;

use anyhow::Context as _;
use tapedeck::fixture::{self, LoadedFixture, RawFixture, SequenceEnd, SetOrigin, Source};
use tapedeck::replay::EndPolicy;

pub use output::{check_output_dir, check_output_file, create_output_dir, print_out, write_file};

/// Fixtures loaded from the command line's sources.
pub struct Sources {
    pub fixtures: Vec<LoadedFixture>,
    /// The sources as the user named them, for messages.
    pub label: String,
    /// Each set's sequence policy, from its `tapedeck-set.json`, and where it
    /// was set.
    pub policies: Vec<(SetOrigin, EndPolicy)>,
}

/// The sequence policy of `set`: `forced` (by `--sequence-end`), else what
/// the set declares.
pub fn policy_of(
    policies: &[(SetOrigin, EndPolicy)],
    set: &SetOrigin,
    forced: Option<SequenceEnd>,
) -> EndPolicy {
    if let Some(end) = forced {
        return EndPolicy::forced(end, "--sequence-end");
    }
    policies
        .iter()
        .find(|(s, _)| s == set)
        .map_or_else(|| SequenceEnd::RepeatLast.into(), |(_, p)| p.clone())
}

/// The policy a set declares, and where.
pub fn declared_policy(set: &SetOrigin) -> anyhow::Result<EndPolicy> {
    EndPolicy::declared(set).context("cannot load fixtures")
}

/// Whether a source that holds no fixture is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// Refused, unless `--allow-empty` (the command has the flag).
    Refuse,
    /// Accepted (`--allow-empty` was given).
    Allow,
    /// Always refused: the command has nothing to do without fixtures.
    Never,
}

/// Reads fixture sources as every command names them — paths (files or
/// directories) or `embedded:<set>` names — without parsing; with none, the
/// embedded sets `defaults` names. A source without a fixture is refused
/// unless `empty` allows it: a mistyped or emptied directory must not pass as
/// a set that is all right.
pub fn read_sources(
    sources: &[PathBuf],
    defaults: &[&str],
    empty: Empty,
) -> anyhow::Result<(Vec<RawFixture>, String)> {
    let defaults: Vec<PathBuf> = defaults
        .iter()
        .map(|set| PathBuf::from(format!("embedded:{set}")))
        .collect();
    let sources = if sources.is_empty() {
        &defaults[..]
    } else {
        sources
    };
    let mut raws = Vec::new();
    // A file named twice (the same path given again, or a directory and one
    // inside it) is read once: it is one fixture, not a sequence with itself.
    let mut seen = std::collections::HashSet::new();
    for source in sources {
        let read =
            fixture::read_source(&Source::from_arg(source)).context("cannot read fixtures")?;
        if read.is_empty() && empty != Empty::Allow {
            anyhow::bail!(
                "{}: holds no fixture (no *.json file other than tapedeck-set.json; hidden files are skipped){}",
                source.display(),
                if empty == Empty::Refuse {
                    "; pass --allow-empty if an empty set is intended"
                } else {
                    ""
                }
            );
        }
        let found = read.len();
        let read: Vec<RawFixture> = read
            .into_iter()
            .filter(|raw| {
                let key = std::fs::canonicalize(&raw.origin)
                    .map_or_else(|_| raw.origin.clone(), |p| p.display().to_string());
                seen.insert(key)
            })
            .collect();
        if read.len() < found {
            tracing::warn!(
                "{}: {} of its {found} fixture files were already read from a source given earlier; each is read once",
                source.display(),
                found - read.len()
            );
        }
        raws.extend(read);
    }
    let label = sources
        .iter()
        .map(|s| s.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((raws, label))
}

/// Loads fixture sources (see [`read_sources`]); with none, the embedded
/// reference set. Stops at the first fixture or set file that does not load.
pub fn load_sources(sources: &[PathBuf], empty: Empty) -> anyhow::Result<Sources> {
    let (raws, label) = read_sources(sources, &[fixture::DEFAULT_SET], empty)?;
    let mut fixtures = Vec::with_capacity(raws.len());
    let mut policies = Vec::new();
    for raw in raws {
        let loaded = raw.parse().context("cannot load fixtures")?;
        if !policies.iter().any(|(s, _)| s == &loaded.set) {
            policies.push((loaded.set.clone(), declared_policy(&loaded.set)?));
        }
        fixtures.push(loaded);
    }
    Ok(Sources {
        fixtures,
        label,
        policies,
    })
}

/// An error and its causes on one line, `what: why: why`. tapedeck's own
/// errors include their cause's text in their message and so have no
/// `source()`; a cause whose text the line already holds (another crate's
/// error that both shows and returns its cause) is not repeated.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// A count of 1 or more, for clap (`--exit-after`, `--timeout`).
pub fn at_least_one(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be 1 or more".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a whole number: {e}")),
    }
}

/// Completes on Ctrl-C or SIGTERM. The caller logs it, under its own target.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
