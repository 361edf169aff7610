//! What Cognito promises on the wire, for every operation.
//!
//! Nothing in here knows about servers or files: [`model`] is the vendored
//! service model (operations, shapes, constraints, errors, sensitivity,
//! authentication), [`mod@validate`] applies its constraints the way the service
//! does, and [`awsjson`] covers the awsJson 1.1 protocol details that every
//! request and response share.

pub mod awsjson;
pub mod model;
pub mod validate;

pub use awsjson::{error_type, sanitize_error_type};
pub use model::{Member, Operation};
pub use validate::{validate, Constraint, Validation, Violation};
