//! What AdminForgetDevice promises on the wire.
//!
//! Nothing in here knows about servers or files: [`model`] holds the facts taken from
//! the AWS service model, [`validate`] applies its constraints the way the service
//! does, and [`awsjson`] covers the awsJson 1.1 protocol details that every request
//! and response share.

pub mod awsjson;
pub mod model;
pub mod validate;

pub use awsjson::{error_type, sanitize_error_type};
pub use model::{Member, ModelledError, OPERATION};
pub use validate::{validate, Constraint, Validation, Violation};
