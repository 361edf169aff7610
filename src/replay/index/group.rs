//! A group: the fixtures of one request key in sequence order, with the
//! cursor that serves them one after another ([`Found::take`]), and what a
//! lookup hands the server ([`Found`], [`Lookup`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::Prepared;
use crate::contract::model::Operation;
use crate::contract::validate::Validation;
use crate::fixture::set::SequenceEnd;
use crate::replay::bind::Slots;

/// One request key's fixtures, in sequence order.
#[derive(Debug)]
pub(super) struct Group {
    pub(super) entries: Vec<Arc<Prepared>>,
    pub(super) cursor: AtomicUsize,
    pub(super) end: SequenceEnd,
    /// Where `end` comes from, for the message of a used-up sequence.
    pub(super) end_from: Arc<str>,
    /// The operation the group's target names (`None` when it names none of the
    /// model), and the model's validation of the recorded request body against
    /// it (`None` when the body is not JSON or there is no operation). Every
    /// request with this key has the same target and canonical body, so the same
    /// operation and validation: the server need not look them up again.
    pub(super) operation: Option<&'static Operation>,
    pub(super) validation: Option<Validation>,
    /// Whether the group's request holds pseudonyms or placeholders (its
    /// first fixture has [`Prepared::slots`]), kept here because every
    /// request asks.
    pub(super) slotted: bool,
}

/// The fixtures of one request key, found by [`super::Index::find`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    pub(super) group: &'a Group,
}

impl<'a> Found<'a> {
    /// The first fixture of the sequence, without advancing it.
    pub(crate) fn first(&self) -> &'a Prepared {
        &self.group.entries[0]
    }

    /// The model's validation of every request body with this key (see
    /// [`mod@crate::contract::validate`]); `None` when the recorded body is not JSON.
    pub(crate) fn validation(&self) -> Option<&'a Validation> {
        self.group.validation.as_ref()
    }

    /// The operation this group's target names, if it names one of the model.
    pub(crate) fn operation(&self) -> Option<&'static Operation> {
        self.group.operation
    }

    /// Where the group's request holds what recording replaced, if anywhere:
    /// such a group matches by binding ([`crate::replay::bind`]).
    pub(crate) fn slots(&self) -> Option<&'a Slots> {
        self.group.entries[0].slots.as_deref()
    }

    /// Whether the group's request is literal: it holds no pseudonym nor
    /// placeholder, and matches only requests with its very key.
    pub(crate) fn is_literal(&self) -> bool {
        !self.group.slotted
    }

    /// Whether `self` and `other` are the same group.
    pub(crate) fn same(&self, other: &Found<'_>) -> bool {
        std::ptr::eq(self.group, other.group)
    }

    /// The fixture to answer with; advances the sequence.
    pub(crate) fn take(&self) -> Lookup<'a> {
        let group = self.group;
        let len = group.entries.len();
        if len == 1 {
            return Lookup::Hit {
                prepared: &group.entries[0],
                position: 1,
                len,
            };
        }
        let i = group.cursor.fetch_add(1, Ordering::Relaxed);
        match (i < len, group.end) {
            (true, _) => Lookup::Hit {
                prepared: &group.entries[i],
                position: i + 1,
                len,
            },
            (false, SequenceEnd::RepeatLast) => Lookup::Hit {
                prepared: &group.entries[len - 1],
                position: len,
                len,
            },
            (false, SequenceEnd::Error) => Lookup::Exhausted {
                len,
                last: &group.entries[len - 1],
                policy: &group.end_from,
            },
        }
    }
}

/// What a lookup found: fixtures borrowed from the index (a reference count
/// every request changed would be one more cache line passed between cores).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// A fixture; `position` is 1-based within its sequence of `len`.
    Hit {
        prepared: &'a Prepared,
        position: usize,
        len: usize,
    },
    /// The key has a sequence, but it is used up and the set's policy is `error`;
    /// `policy` says where that policy was set ([`super::EndPolicy`]).
    Exhausted {
        len: usize,
        last: &'a Prepared,
        policy: &'a str,
    },
    /// No fixture has this key.
    Miss,
}
