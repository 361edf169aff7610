//! [`ReplayServerBuilder`]: which fixtures a [`ReplayServer`] serves and how it
//! checks the requests it gets, and [`StartError`], why one could not start.

use std::path::PathBuf;
use std::sync::Arc;

use super::handle::ReplayServer;
use super::index::{EndPolicy, Index, IndexError};
use super::run;
use super::server::{Replay, Settings};
use crate::fixture::{self, LoadError, LoadedFixture, SequenceEnd, SetOrigin, Source};
use crate::net::{self, BindError, Limits};
use crate::sigv4::Credentials;

/// Sets up a [`ReplayServer`]: made by [`ReplayServer::builder`], started by
/// [`start`](Self::start).
///
/// With no fixtures named, the server serves the embedded reference set of
/// AdminForgetDevice, as [`ReplayServer::start`] does.
///
/// ```
/// use tapedeck::{Credentials, ReplayServer, SequenceEnd};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = ReplayServer::builder()
///     .embedded("reference")
///     .strict(true)
///     .sequence_end(SequenceEnd::Error)
///     .verify_signature("AKIDEXAMPLE:test-secret".parse::<Credentials>()?)
///     .start()
///     .await?;
/// assert!(server.uri().starts_with("http://127.0.0.1:"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `start` is awaited"]
pub struct ReplayServerBuilder {
    sources: Vec<Source>,
    strict: bool,
    sequence_end: Option<SequenceEnd>,
    verify_signature: Option<Credentials>,
}

impl ReplayServerBuilder {
    /// Also serves the fixtures at `path`: one fixture file, or a directory
    /// searched recursively for `*.json` files (with its `tapedeck-set.json`,
    /// if any). `embedded:<set>` names an embedded set, as on the command line.
    /// A relative path is taken from the current directory, which `cargo test`
    /// sets to the package's root.
    pub fn fixtures(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(Source::from_arg(&path.into()));
        self
    }

    /// Also serves the embedded fixture set `set` (see
    /// [`fixture::embedded_sets`]), such as `reference`.
    pub fn embedded(mut self, set: impl Into<String>) -> Self {
        self.sources.push(Source::Embedded(set.into()));
        self
    }

    /// A strict server checks itself when it is dropped: it panics with the
    /// readable report, as [`ReplayServer::assert_clean`] does, if any request
    /// since the last [`reset`](ReplayServer::reset) matched no fixture or
    /// broke the contract (unless the thread is already panicking, so that a
    /// failing test shows its own failure). Off by default.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// What to serve once a sequence of identical requests is used up, for
    /// every set; by default each set's `tapedeck-set.json` says (the last
    /// response again, when it says nothing).
    pub fn sequence_end(mut self, end: SequenceEnd) -> Self {
        self.sequence_end = Some(end);
        self
    }

    /// Also recomputes each request's SigV4 signature with these credentials
    /// (test credentials only) and reports a wrong one as a contract
    /// violation, proving that the client signs correctly. Without them, only
    /// the signature's structure is checked.
    pub fn verify_signature(mut self, credentials: Credentials) -> Self {
        self.verify_signature = Some(credentials);
        self
    }

    /// Loads the fixtures and starts serving them on 127.0.0.1, at a port the
    /// system picks, in a task of the current tokio runtime.
    pub async fn start(self) -> Result<ReplayServer, StartError> {
        let sources = if self.sources.is_empty() {
            vec![Source::Embedded(fixture::DEFAULT_SET.to_owned())]
        } else {
            self.sources
        };
        let mut fixtures = Vec::new();
        let mut policies: Vec<(SetOrigin, EndPolicy)> = Vec::new();
        for source in &sources {
            let loaded = load(source)?;
            for f in &loaded {
                if policies.iter().any(|(set, _)| set == &f.set) {
                    continue;
                }
                // Read even when overridden: a broken set file is a mistake to report.
                let declared = EndPolicy::declared(&f.set).map_err(|error| StartError::Load {
                    fixtures: f.set.to_string(),
                    error,
                })?;
                let end = match self.sequence_end {
                    Some(end) => EndPolicy::forced(end, "the builder's sequence_end"),
                    None => declared,
                };
                policies.push((f.set.clone(), end));
            }
            fixtures.extend(loaded);
        }
        let index = Index::build(fixtures, |set| {
            policies
                .iter()
                .find(|(s, _)| s == set)
                .map_or_else(|| SequenceEnd::RepeatLast.into(), |(_, end)| end.clone())
        })
        .map_err(|error| StartError::Index { error })?;
        let settings = Settings {
            verify: self.verify_signature,
            ..Settings::default()
        };
        let replay = Arc::new(Replay::new(index, settings));
        let listener = net::bind(([127, 0, 0, 1], 0).into(), false).await?;
        let running = run::start(
            listener,
            replay.clone(),
            Limits::default(),
            std::future::pending(),
        )
        .map_err(|source| StartError::Serve { source })?;
        Ok(ReplayServer::new(replay, running, self.strict))
    }
}

/// The fixtures of one source, which must hold at least one.
fn load(source: &Source) -> Result<Vec<LoadedFixture>, StartError> {
    let (name, loaded) = match source {
        Source::Embedded(set) => (format!("embedded:{set}"), fixture::load_embedded(set)),
        Source::Path(path) => (path.display().to_string(), fixture::load_path(path)),
    };
    let loaded = loaded.map_err(|error| StartError::Load {
        fixtures: name.clone(),
        error,
    })?;
    if loaded.is_empty() {
        return Err(StartError::NoFixtures { fixtures: name });
    }
    Ok(loaded)
}

/// Why a [`ReplayServer`] could not start. Each variant names the fixtures,
/// the file or the address at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A fixture file, a directory, an embedded set or a set's
    /// `tapedeck-set.json` could not be loaded.
    #[error("cannot load the fixtures {fixtures}: {error}")]
    Load {
        /// The path or `embedded:<set>` as the builder was given it.
        fixtures: String,
        /// What is wrong, naming the file, line and field.
        #[source]
        error: LoadError,
    },
    /// A directory holds no fixture file.
    #[error("no fixtures in {fixtures}: a fixture is a *.json file with \"tapedeck\": 1 (see docs/fixture-format.md)")]
    NoFixtures {
        /// The path or `embedded:<set>` as the builder was given it.
        fixtures: String,
    },
    /// The fixtures loaded but cannot be served together (two with the same
    /// request and no sequence numbers, a header that cannot be sent, …).
    #[error("cannot serve the fixtures: {error}")]
    Index {
        /// What is wrong, naming the fixture files.
        #[source]
        error: IndexError,
    },
    /// No port on 127.0.0.1 could be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// The listener could not be read back.
    #[error("cannot serve on the bound listener: {source}")]
    Serve {
        /// The I/O error.
        source: std::io::Error,
    },
}
