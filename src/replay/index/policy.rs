//! The sequence end policy of a set, with where it was set, so that the
//! message of a used-up sequence can name what to change.

use std::sync::Arc;

use crate::fixture::set::{SequenceEnd, SetOrigin};
use crate::fixture::{self, LoadError};

/// A set's sequence policy, and where it was set: the message of a used-up
/// sequence names it, so that a user knows what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPolicy {
    /// What is served once a sequence is used up.
    pub end: SequenceEnd,
    /// Where it was set, as it completes "the sequence … is used up and …",
    /// e.g. `--sequence-end is 'error'`.
    pub from: Arc<str>,
}

impl EndPolicy {
    /// `end` for every set, whatever the sets declare; `by` names what says
    /// so (`--sequence-end`).
    pub fn forced(end: SequenceEnd, by: &str) -> EndPolicy {
        EndPolicy {
            end,
            from: format!("{by} is '{}'", end.name()).into(),
        }
    }

    /// The policy `set` declares in its `tapedeck-set.json` (the default when
    /// it has none), and where; fails when that file does not load.
    pub fn declared(set: &SetOrigin) -> Result<EndPolicy, LoadError> {
        let end = fixture::set_config(set)?.sequence_end;
        let from = match fixture::set_file(set) {
            Some(file) => format!("{file} sets sequence_end to '{}'", end.name()),
            None => format!(
                "{set} has no {}, so sequence_end is '{}'",
                fixture::SET_FILE,
                end.name()
            ),
        };
        Ok(EndPolicy {
            end,
            from: from.into(),
        })
    }
}

impl From<SequenceEnd> for EndPolicy {
    /// A policy set without saying where: the set's, as far as anyone knows.
    fn from(end: SequenceEnd) -> Self {
        let from = match end {
            SequenceEnd::RepeatLast => "the fixture set's sequence_end is 'repeat-last'",
            SequenceEnd::Error => "the fixture set's sequence_end is 'error'",
        };
        EndPolicy {
            end,
            from: from.into(),
        }
    }
}
