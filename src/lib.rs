//! tapedeck: record-and-replay contract testing for the Amazon Cognito Identity
//! Provider operation `AdminForgetDevice`.
//!
//! The crate follows the data flow of the tool:
//!
//! - [`contract`] — what AdminForgetDevice promises: the model, AWS-style validation,
//!   the awsJson protocol details.
//! - [`fixture`] — the on-disk format: types, loading, atomic writes, the canonical
//!   request key, redaction and the secret scanner.
//! - [`lint`] — checks a fixture set: schema, model conformance, sequences, secrets.
//!
//! `contract` and `fixture` know nothing of servers; everything else builds on them.

pub mod contract;
pub mod fixture;
pub mod junit;
pub mod lint;
pub mod net;
pub mod record;
pub mod replay;
pub mod scenario;
pub mod sigv4;
pub mod verify;
