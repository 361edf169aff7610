//! The provider side of contract testing: send the recorded requests to a
//! target, after setting up the state each scenario needs, and compare.
//!
//! [`runner`] sends and collects, [`compare`] holds the rules, [`report`]
//! renders the results; [`diff`] compares two fixture sets (a nightly
//! re-record against the committed one) and [`coverage`] shows which outcomes a
//! set covers. [`shown`] masks what reports must not print.

pub mod compare;
pub mod coverage;
pub mod diff;
pub mod report;
pub mod runner;
pub mod shown;

pub use compare::Level;
pub use runner::{verify, Provision, VerifyConfig};
