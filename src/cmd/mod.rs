//! One module per subcommand: each turns parsed arguments into a call to the
//! library and an exit code. Shared here: loading fixture sources, writing
//! report files, and waiting for a shutdown signal; in `recording`, the
//! options `record` and `replay --on-miss forward` share.

pub mod capture;
pub mod lint;
pub mod record;
pub mod recording;
pub mod replay;
pub mod verify;

use std::path::PathBuf;

use anyhow::Context as _;
use tapedeck::fixture::set::{SequenceEnd, SetOrigin};
use tapedeck::fixture::store::{self, LoadedFixture, Source};

/// Fixtures loaded from the command line's sources.
pub struct Sources {
    pub fixtures: Vec<LoadedFixture>,
    /// The sources as the user named them, for messages.
    pub label: String,
    /// Each set's sequence policy, from its `tapedeck-set.json`.
    pub policies: Vec<(SetOrigin, SequenceEnd)>,
}

/// The sequence policy of `set`: `forced`, else what the set declares.
pub fn policy_of(
    policies: &[(SetOrigin, SequenceEnd)],
    set: &SetOrigin,
    forced: Option<SequenceEnd>,
) -> SequenceEnd {
    forced.unwrap_or_else(|| {
        policies
            .iter()
            .find(|(s, _)| s == set)
            .map_or(SequenceEnd::RepeatLast, |(_, p)| *p)
    })
}

/// Loads fixture sources: paths (files or directories), or `embedded:<set>`
/// names; with none, the embedded reference set.
pub fn load_sources(sources: &[PathBuf]) -> anyhow::Result<Sources> {
    let defaults = [PathBuf::from(format!("embedded:{}", store::DEFAULT_SET))];
    let sources = if sources.is_empty() {
        &defaults[..]
    } else {
        sources
    };
    let mut fixtures = Vec::new();
    let mut policies = Vec::new();
    for source in sources {
        let loaded = match Source::from_arg(source) {
            Source::Embedded(name) => store::load_embedded(&name)?,
            Source::Path(path) => store::load_path(&path)
                .with_context(|| format!("cannot load fixtures from {}", path.display()))?,
        };
        for f in &loaded {
            if !policies.iter().any(|(s, _)| s == &f.set) {
                policies.push((f.set.clone(), store::set_config(&f.set)?.sequence_end));
            }
        }
        fixtures.extend(loaded);
    }
    let label = sources
        .iter()
        .map(|s| s.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Sources {
        fixtures,
        label,
        policies,
    })
}

/// Writes a report file whole: a temporary file beside it, then a rename.
pub fn write_file(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let context = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(context)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).with_context(context)?;
    tmp.persist(path).with_context(context)?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
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
    tracing::info!("shutting down: draining open connections");
}
