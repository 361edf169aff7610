//! The replay server: serves fixtures as a stand-in Cognito endpoint and reports
//! every request that breaks the recorded contract.
//!
//! In a test, [`ReplayServer`] (made by [`ReplayServerBuilder`]) is all it
//! takes. A program that needs its own listener, limits or shutdown signal
//! (`tapedeck replay` is one) builds an [`Index`] of the fixtures, a
//! [`Replay`] with its [`Settings`], and [`start`]s it, or hands it requests
//! itself with [`Replay::answer`]; [`Report`] sums up the run.
//!
//! Data flows one way: bytes → [`crate::net`] (limits) → `checks` (awsJson
//! envelope, model validation, SigV4) → canonical key → [`Index`] (one hash
//! lookup, sequences) → recorded bytes out; on a miss, `nearmiss` explains what
//! differs. Fixtures whose requests hold pseudonyms or placeholders are found
//! by a normalised key and matched by binding (`bind`), which also gives the
//! bound values back in their responses. Every request lands in the journal
//! ([`Entry`]), in two parts: its window, which the admin API shows (as JSON,
//! or as the `readable` text) and `POST /__tapedeck/reset` clears, and the
//! run, which no reset touches and [`Report`] writes out at shutdown (and
//! `--strict` judges).

pub(crate) mod admin;
pub(crate) mod bind;
pub(crate) mod builder;
pub(crate) mod checks;
pub(crate) mod handle;
pub(crate) mod index;
pub(crate) mod journal;
pub(crate) mod nearmiss;
pub(crate) mod readable;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod server;
mod slot;
pub(crate) mod tuning;

pub use bind::Used;
pub use builder::{ReplayServerBuilder, StartError};
pub use handle::{JournalSnapshot, ReplayServer};
pub use index::{EndPolicy, Index, IndexError, VOLATILE_HEADERS};
pub use journal::{Entry, Outcome, Totals, Violation};
pub use nearmiss::{FieldDiff, NearMiss};
pub use report::Report;
pub use run::{start, Running};
pub use server::{Replay, Settings};
