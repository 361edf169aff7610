//! The match index: every fixture's response prepared once at start-up, found by
//! its canonical request key in one hash lookup, whatever the corpus size (or,
//! quicker, by the recorded body's exact bytes or value: see [`Index::find_sent`]
//! and [`Index::find_value`]).
//!
//! Fixtures of one set with the same key form a sequence, served in `sequence`
//! order; each sequence has a cursor that advances per request and can be
//! reset. Sequences are scoped to a set: when several sets record the same
//! request, the set given first answers it and the others' fixtures for it are
//! *shadowed* ([`Index::shadowed`]).
//!
//! Fixtures recorded while serving (`replay --mode new-episodes`) are added at
//! run time ([`Index::add`]) to a second, small index beside the first, which
//! is asked only when the first has no match: the lookups of the fixtures
//! loaded at start-up take no lock and read nothing that additions write.
//!
//! Split by job: [`mod@prepare`] readies each fixture's response, [`group`] serves
//! a key's fixtures in sequence ([`policy`] says what happens when they run
//! out), [`bodies`] finds recorded bodies by bytes or value, [`hash`] hashes
//! keys for the maps, [`error`] says why an index cannot be built. The
//! allocation and hashing tricks they use are in [`crate::replay::tuning`].

mod bodies;
mod error;
mod group;
mod hash;
mod policy;
mod prepare;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;

pub use self::error::IndexError;
pub(crate) use self::group::{Found, Lookup};
pub use self::policy::EndPolicy;
pub(crate) use self::prepare::Prepared;

use self::bodies::Bodies;
use self::group::Group;
use self::hash::KeyMap;
use self::prepare::{prepare, Leftover, SharedHeaders};
use crate::contract::model;
use crate::contract::validate::validate;
use crate::fixture::set::SetOrigin;
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, RequestKey};
use crate::replay::bind::slots;

/// Headers that are never part of the contract: replay regenerates them.
pub const VOLATILE_HEADERS: [&str; 6] = [
    "date",
    "x-amzn-requestid",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// All fixtures, by request key.
#[derive(Debug, Default)]
pub struct Index {
    groups: Vec<Group>,
    /// Fixtures that another set given earlier shadows (see the module docs).
    shadowed: usize,
    /// Group by canonical request key.
    by_key: KeyMap<usize>,
    /// Recorded JSON bodies, for [`Index::find_sent`] and [`Index::find_value`].
    bodies: Bodies,
    /// The groups with slots by normalised key, in recording order: see
    /// [`Index::candidates`].
    by_norm: KeyMap<Vec<usize>>,
    /// The targets of the groups with slots.
    slot_targets: Vec<Box<str>>,
    all: Vec<Arc<Prepared>>,
    /// Whether anything was [added](Index::add), so that a miss need not take
    /// the lock of `added` when nothing was.
    has_added: AtomicBool,
    /// The fixtures added at run time, indexed on their own; replaced whole by
    /// each addition.
    added: RwLock<Option<Arc<Added>>>,
}

/// Fixtures added at run time: their index (numbered after the fixtures
/// loaded at start-up), and the files it was built from.
#[derive(Debug)]
pub struct Added {
    pub index: Index,
    sources: Vec<LoadedFixture>,
}

impl Index {
    /// Prepares every fixture. `end_of` gives each fixture set's sequence policy
    /// (a [`SequenceEnd`](crate::fixture::SequenceEnd), or an [`EndPolicy`] that says where it was set). Sets
    /// rank in the order their first fixture comes in `fixtures`.
    pub fn build<P: Into<EndPolicy>>(
        fixtures: Vec<LoadedFixture>,
        end_of: impl Fn(&SetOrigin) -> P,
    ) -> Result<Index, IndexError> {
        let mut policies: HashMap<SetOrigin, (usize, EndPolicy)> = HashMap::new();
        for loaded in &fixtures {
            if !policies.contains_key(&loaded.set) {
                let rank = policies.len();
                policies.insert(loaded.set.clone(), (rank, end_of(&loaded.set).into()));
            }
        }
        // Built in an arena of its own, what loading allocated handed back to be
        // freed here, then the main heap trimmed: see `tuning::in_own_arena`.
        crate::replay::tuning::in_own_arena(move |leftovers: &std::sync::mpsc::Sender<Leftover>| {
            Index::prepare_all(fixtures, &policies, 0, leftovers)
        })
    }

    /// Adds fixture files written while serving (by `replay --mode
    /// new-episodes`): from now on, a request no fixture loaded at start-up
    /// matches is looked up among them. A file added again (a first step
    /// rewritten with `sequence: 1`) replaces its earlier version. `end` is
    /// their sequence policy. The small index of added fixtures is rebuilt
    /// whole, so its sequences start over; the fixtures loaded at start-up are
    /// not touched. On error nothing changes.
    pub fn add(&self, files: Vec<(PathBuf, Fixture)>, end: EndPolicy) -> Result<(), IndexError> {
        if files.is_empty() {
            return Ok(());
        }
        let mut slot = self.added.write().expect("index additions lock");
        let mut sources = slot.as_ref().map(|a| a.sources.clone()).unwrap_or_default();
        for (path, fixture) in files {
            let origin = path.display().to_string();
            let set = SetOrigin::Dir(path.parent().map(PathBuf::from).unwrap_or_default());
            let loaded = LoadedFixture {
                origin,
                set,
                text: String::new(),
                fixture,
            };
            match sources.iter_mut().find(|s| s.origin == loaded.origin) {
                Some(earlier) => *earlier = loaded,
                None => sources.push(loaded),
            }
        }
        let mut policies: HashMap<SetOrigin, (usize, EndPolicy)> = HashMap::new();
        for s in &sources {
            let rank = policies.len();
            policies
                .entry(s.set.clone())
                .or_insert_with(|| (rank, end.clone()));
        }
        let (leftovers, _dropped) = std::sync::mpsc::channel();
        let index = Index::prepare_all(sources.clone(), &policies, self.all.len(), &leftovers)?;
        *slot = Some(Arc::new(Added { index, sources }));
        self.has_added.store(true, Ordering::Release);
        Ok(())
    }

    /// The fixtures added at run time, if any.
    pub fn added(&self) -> Option<Arc<Added>> {
        if !self.has_added.load(Ordering::Acquire) {
            return None;
        }
        self.added.read().expect("index additions lock").clone()
    }

    fn prepare_all(
        fixtures: Vec<LoadedFixture>,
        policies: &HashMap<SetOrigin, (usize, EndPolicy)>,
        first_number: usize,
        leftovers: &std::sync::mpsc::Sender<Leftover>,
    ) -> Result<Index, IndexError> {
        let mut groups: KeyMap<Vec<(usize, Arc<Prepared>)>> = KeyMap::default();
        let mut all = Vec::with_capacity(fixtures.len());
        let mut shared = SharedHeaders::default();
        // When each fixture was recorded: the order of groups with slots.
        let mut recorded_at: HashMap<usize, String> = HashMap::new();
        for loaded in fixtures {
            let key = RequestKey::of(&loaded.fixture);
            if let crate::fixture::Provenance::Recorded {
                recorded_at: at, ..
            } = &loaded.fixture.provenance
            {
                recorded_at.insert(first_number + all.len(), at.clone());
            }
            let (rank, _) = policies[&loaded.set];
            let number = first_number + all.len();
            let prepared = Arc::new(prepare(loaded, number, &mut shared, leftovers)?);
            all.push(prepared.clone());
            groups.entry(key).or_default().push((rank, prepared));
        }
        let by_rank: Vec<&EndPolicy> = {
            let mut v: Vec<(usize, &EndPolicy)> = policies.values().map(|(r, p)| (*r, p)).collect();
            v.sort_by_key(|(r, _)| *r);
            v.into_iter().map(|(_, p)| p).collect()
        };
        let mut built = Vec::with_capacity(groups.len());
        let mut by_key = KeyMap::with_capacity_and_hasher(groups.len(), Default::default());
        let mut bodies = Bodies::default();
        let mut shadowed = 0;
        let mut by_norm: KeyMap<Vec<usize>> = KeyMap::default();
        let mut slot_targets: Vec<Box<str>> = Vec::new();
        for (key, mut entries) in groups {
            // Each set's fixtures of this key, the first set's first: it
            // answers, the others are shadowed (but must be sound sequences).
            entries.sort_by_key(|(rank, p)| (*rank, p.fixture.sequence.unwrap_or(1)));
            let first_set = entries[0].0;
            for set in entries.chunk_by(|a, b| a.0 == b.0) {
                check_sequence(set)?;
            }
            let served = entries.iter().take_while(|(r, _)| *r == first_set).count();
            for (_, p) in &entries[served..] {
                tracing::debug!(
                    fixture = %p.origin,
                    by = %entries[0].1.origin,
                    "shadowed: a set given earlier records the same request"
                );
            }
            shadowed += entries.len() - served;
            entries.truncate(served);
            let policy = by_rank[first_set];
            let (end, end_from) = (policy.end, policy.from.clone());
            let first = &entries[0].1.fixture;
            let operation = first
                .request_header("x-amz-target")
                .and_then(model::operation_for_target);
            let validation = operation
                .zip(first.request.body.json())
                .map(|(op, v)| validate(op, &v));
            let at = built.len();
            for (_, p) in &entries {
                let target = p.fixture.request_header("x-amz-target").unwrap_or_default();
                bodies.add(at, target, p);
            }
            if let (Some(_), Some(op), Some(body)) =
                (&entries[0].1.slots, operation, first.request.body.json())
            {
                let request = &first.request;
                let target = op.target.as_str();
                if let Some(norm) =
                    slots::normalised_key(&request.method, &request.path, target, op, &body)
                {
                    by_norm.entry(norm).or_default().push(at);
                    if !slot_targets.iter().any(|t| &**t == target) {
                        slot_targets.push(target.into());
                    }
                }
            }
            let slotted = entries[0].1.slots.is_some();
            built.push(Group {
                slotted,
                entries: entries.into_iter().map(|(_, p)| p).collect(),
                cursor: AtomicUsize::new(0),
                end,
                end_from,
                operation,
                validation,
            });
            by_key.insert(key, at);
        }
        // Recording order: when the group's first fixture was recorded (an
        // authored one counts as earliest), then its id.
        for candidates in by_norm.values_mut() {
            candidates.sort_by_cached_key(|&g| {
                let p = &built[g].entries[0];
                let at = recorded_at.get(&p.number).cloned().unwrap_or_default();
                (at, p.fixture.id.clone())
            });
        }
        Ok(Index {
            groups: built,
            shadowed,
            by_key,
            bodies,
            by_norm,
            slot_targets,
            all,
            ..Index::default()
        })
    }

    /// The groups whose requests hold pseudonyms or placeholders and are the
    /// same as this request but for what their places hold, in the order to
    /// try them: `first` (the group found by the exact lookups, if it has
    /// slots) first, then recording order. Empty when no group with slots
    /// has this target, without looking at the body.
    pub(crate) fn candidates<'a>(
        &'a self,
        method: &str,
        path: &str,
        target: &str,
        body: &Value,
        first: Option<Found<'a>>,
    ) -> Vec<Found<'a>> {
        let mut out: Vec<Found<'a>> = first.into_iter().filter(|f| f.slots().is_some()).collect();
        if !self.slot_targets.iter().any(|t| &**t == target) {
            return out;
        }
        let Some(op) = model::operation_for_target(target) else {
            return out;
        };
        let Some(key) = slots::normalised_key(method, path, target, op, body) else {
            return out;
        };
        for &g in self.by_norm.get(&key).into_iter().flatten() {
            let found = self.found(g);
            if !out.iter().any(|f| f.same(&found)) {
                out.push(found);
            }
        }
        out
    }

    /// Whether any fixture's request holds pseudonyms or placeholders (of
    /// those loaded at start-up; see [`Index::added`] for the others).
    pub fn has_slots(&self) -> bool {
        !self.slot_targets.is_empty()
    }

    /// The fixtures recorded for a request key, if any.
    pub(crate) fn find(&self, key: &RequestKey) -> Option<Found<'_>> {
        self.by_key.get(key).map(|&at| self.found(at))
    }

    /// The fixtures of a request whose body is, byte for byte, a recorded JSON
    /// body as an SDK sends it (see [`bodies`]), with the same method, path and
    /// target; and that body's value, which is what parsing the request's body
    /// would give. `None` does not mean there is no match: try
    /// [`Index::find_value`] with the parsed body.
    pub(crate) fn find_sent(
        &self,
        method: &str,
        path: &str,
        target: &str,
        body: &[u8],
    ) -> Option<(Found<'_>, &Value)> {
        let recorded = self.bodies.by_bytes(method, path, target, body)?;
        Some((self.found(recorded.group), recorded.body()))
    }

    /// The fixtures of a request whose JSON body equals (as a value: key order
    /// aside) the body of a recorded one, with the same method, path and target:
    /// what [`Index::find`] gives for the request's canonical key, found without
    /// building the key. `None` when no recorded body equals this one, which
    /// does not mean there is no match: `1.0` and `1` are different values with
    /// one canonical form, for one; ask [`Index::find`] then.
    pub(crate) fn find_value(
        &self,
        method: &str,
        path: &str,
        target: &str,
        body: &Value,
    ) -> Option<Found<'_>> {
        let recorded = self.bodies.by_value(method, path, target, body)?;
        Some(self.found(recorded.group))
    }

    fn found(&self, group: usize) -> Found<'_> {
        Found {
            group: &self.groups[group],
        }
    }

    /// Rewinds every sequence to its first response, added fixtures' too.
    pub fn reset(&self) {
        for g in &self.groups {
            g.cursor.store(0, Ordering::Relaxed);
        }
        if let Some(added) = self.added() {
            added.index.reset();
        }
    }

    /// Every fixture: those loaded at start-up in load order, then those added
    /// since, in the order they were first added. Each one's place here is its
    /// [`Prepared::number`].
    pub(crate) fn fixtures(&self) -> Cow<'_, [Arc<Prepared>]> {
        match self.added() {
            None => Cow::Borrowed(&self.all),
            Some(added) => Cow::Owned(self.all.iter().chain(&added.index.all).cloned().collect()),
        }
    }

    /// How many fixtures are never served because a set given earlier records
    /// the same request (they still count in [`Index::len`]).
    pub fn shadowed(&self) -> usize {
        self.shadowed
    }

    /// How many fixtures it serves, added ones included.
    pub fn len(&self) -> usize {
        self.all.len() + self.added().map_or(0, |a| a.index.all.len())
    }

    /// Whether it serves no fixture.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The fixtures of one set with one request key: a group of one is fine; a
/// bigger group must carry distinct sequence numbers.
fn check_sequence(entries: &[(usize, Arc<Prepared>)]) -> Result<(), IndexError> {
    if entries.len() < 2 {
        return Ok(());
    }
    let (_, first) = &entries[0];
    let mut seen = std::collections::HashSet::new();
    for (_, p) in entries {
        let reason = match p.fixture.sequence {
            None => Some("one has no sequence number".to_owned()),
            Some(n) if !seen.insert(n) => Some(format!("both are sequence {n}")),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            let second = if Arc::ptr_eq(p, first) {
                &entries[1].1
            } else {
                p
            };
            return Err(IndexError::Sequence {
                first: first.origin.clone(),
                second: second.origin.clone(),
                reason,
            });
        }
    }
    Ok(())
}
