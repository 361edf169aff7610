//! The record modes of `tapedeck replay`, named as vcrpy, Polly and go-vcr
//! users know them, and what each one does with a given fixture set:
//!
//! | mode | the set exists | the set is missing or empty |
//! |---|---|---|
//! | `none` (default) | replay it | replay it (every request is a miss) |
//! | `once` | replay it, as `none` | record it, as `all` |
//! | `new-episodes` | serve what matches; forward and record the rest, and serve that too from then on | the same |
//! | `all` | forward and record every request: each one this run sends replaces its old fixtures; the others are kept | the same |
//!
//! A mode that reaches the upstream is refused when `CI` is set (to anything
//! but the empty string), unless recording in CI is allowed explicitly: a CI
//! run replays what was committed.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A record mode, as `--mode` and `TAPEDECK_MODE` name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Replay only; a request no fixture matches gets the 404 near-miss answer.
    #[default]
    None,
    /// Record the set when it does not exist yet (a missing or empty
    /// directory), otherwise replay it.
    Once,
    /// Serve what matches; forward and record what does not, and serve it
    /// from then on.
    NewEpisodes,
    /// Forward and record every request.
    All,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::None, Mode::Once, Mode::NewEpisodes, Mode::All];

    /// The name `--mode` takes.
    pub fn name(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Once => "once",
            Mode::NewEpisodes => "new-episodes",
            Mode::All => "all",
        }
    }

    /// What this mode does with a set that exists (`exists`: it holds at
    /// least one fixture file) or not.
    pub fn effect(self, exists: bool) -> Effect {
        match (self, exists) {
            (Mode::None, _) | (Mode::Once, true) => Effect::Replay,
            (Mode::NewEpisodes, _) => Effect::RecordMisses,
            (Mode::All, _) | (Mode::Once, false) => Effect::RecordAll,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record mode '{0}': use none, once, new-episodes or all")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Mode, UnknownMode> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMode(s.to_owned()))
    }
}

/// What a mode does in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Serve the fixtures; nothing reaches the upstream.
    Replay,
    /// Serve what matches, forward and record the rest, and serve what was
    /// recorded from then on.
    RecordMisses,
    /// Forward and record every request; fixtures answer nothing.
    RecordAll,
}

impl Effect {
    /// Whether requests reach the upstream.
    pub fn reaches_upstream(self) -> bool {
        self != Effect::Replay
    }
}

/// Whether the set in `dir` exists: a directory holding at least one fixture
/// file (`*.json` other than `tapedeck-set.json`, at any depth, hidden entries
/// aside), or a fixture file itself.
pub fn set_exists(dir: &Path) -> bool {
    crate::fixture::store::read_path(dir).is_ok_and(|files| !files.is_empty())
}

/// Whether `CI` is set to something, as CI services do (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_say_what_is_known() {
        for m in Mode::ALL {
            assert_eq!(m.name().parse::<Mode>(), Ok(m));
        }
        let e = "record".parse::<Mode>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown record mode 'record': use none, once, new-episodes or all"
        );
    }

    #[test]
    fn once_records_only_a_set_that_does_not_exist() {
        assert_eq!(Mode::Once.effect(true), Effect::Replay);
        assert_eq!(Mode::Once.effect(false), Effect::RecordAll);
        assert_eq!(Mode::None.effect(false), Effect::Replay);
        assert_eq!(Mode::NewEpisodes.effect(true), Effect::RecordMisses);
        assert_eq!(Mode::All.effect(true), Effect::RecordAll);
        assert!(!Mode::Once.effect(true).reaches_upstream());
        assert!(Mode::Once.effect(false).reaches_upstream());
    }

    #[test]
    fn a_set_exists_once_it_holds_a_fixture_file() {
        let dir = tempfile::tempdir().unwrap();
        let set = dir.path().join("set");
        assert!(!set_exists(&set), "missing");
        std::fs::create_dir(&set).unwrap();
        assert!(!set_exists(&set), "empty");
        std::fs::write(set.join("tapedeck-set.json"), "{}").unwrap();
        std::fs::write(set.join(".tapedeck-x.tmp"), "").unwrap();
        assert!(!set_exists(&set), "settings and temporary files only");
        std::fs::write(set.join("a.json"), "{}").unwrap();
        assert!(set_exists(&set));
    }
}
