//! The provider side of contract testing: send the recorded requests to a
//! target, after setting up the state each scenario needs, and compare.
//!
//! [`verify()`] sends and collects, [`compare()`] holds the rules, [`Report`]
//! renders the results; [`diff`] compares two fixture sets (a nightly
//! re-record against the committed one) and [`coverage`] shows which outcomes a
//! set covers. `shown` masks what reports must not print.

pub(crate) mod compare;
pub mod coverage;
pub mod diff;
pub(crate) mod report;
pub(crate) mod runner;
pub(crate) mod shown;

pub use compare::{compare, Difference, Level};
pub use report::{Report, Summary};
pub use runner::{verify, Outcome, Provision, Verdict, VerifyConfig, VerifyError};
