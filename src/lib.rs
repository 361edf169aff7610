//! tapedeck: record-and-replay contract testing for the Amazon Cognito Identity
//! Provider (cognito-idp): every operation of the service model, with
//! `AdminForgetDevice` as the flagship (reference set, scenario catalog, capture).
//!
//! The crate follows the data flow of the tool:
//!
//! - [`contract`] — what Cognito promises: the vendored service model
//!   ([`contract::model`]: operations, shapes, errors, sensitivity, authtype),
//!   AWS-worded validation of any operation's input ([`contract::validate`]), the
//!   awsJson protocol details.
//! - [`fixture`] — the on-disk format: types, loading, atomic writes, the canonical
//!   request key, redaction, the secret scanner, and [`fixture::sensitive`]: where
//!   the model's sensitive values are, and the pseudonyms and placeholders that
//!   replace them.
//! - [`lint`] — checks a fixture set: schema, model conformance, sequences, secrets.
//!
//! `contract` and `fixture` know nothing of servers; everything else builds on them.

#![warn(unreachable_pub)]

pub mod contract;
pub mod fixture;
pub(crate) mod junit;
pub mod lint;
pub mod net;
pub mod record;
pub mod replay;
pub mod scenario;
pub mod sigv4;
pub mod verify;

pub use fixture::SequenceEnd;
pub use net::ErrorKind;
pub use replay::{Entry, FieldDiff, NearMiss, Outcome, Totals, Used, Violation};
pub use sigv4::Credentials;
