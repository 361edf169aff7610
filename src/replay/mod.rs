//! The replay server: serves fixtures as a stand-in Cognito endpoint and reports
//! every request that breaks the recorded contract.
//!
//! Data flows one way: bytes → [`crate::net`] (limits) → [`checks`] (awsJson
//! envelope, model validation, SigV4) → canonical key → [`index`] (one hash
//! lookup, sequences) → recorded bytes out; on a miss, [`nearmiss`] explains what
//! differs. Fixtures whose requests hold pseudonyms or placeholders are found
//! by a normalised key and matched by [`bind`]ing, which also gives the bound
//! values back in their responses. Every request lands in the [`journal`], in
//! two parts: its window, which [`admin`] shows (as JSON, or as [`readable`]
//! text) and `POST /__tapedeck/reset` clears, and the run, which no reset
//! touches and [`report`] writes out at shutdown (and `--strict` judges).

pub mod admin;
pub mod bind;
pub mod checks;
pub mod index;
pub mod journal;
pub mod nearmiss;
pub mod readable;
pub mod report;
pub mod run;
pub mod server;
mod slot;
pub mod tuning;
pub use crate::sigv4;

pub use crate::net::{MissHandler, Missed};
pub use index::Index;
pub use server::{Replay, Settings};
