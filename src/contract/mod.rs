//! What Cognito promises on the wire, for every operation.
//!
//! Nothing in here knows about servers or files: [`model`] is the vendored
//! service model (operations, shapes, constraints, errors, sensitivity,
//! authentication), [`validate()`] applies its constraints the way the service
//! does, and [`error_type`] and [`sanitize_error_type`] read awsJson 1.1
//! error types as clients do.

pub(crate) mod awsjson;
pub mod model;
pub(crate) mod validate;

pub use awsjson::{error_type, sanitize_error_type, ErrorType, ErrorTypeSource};
pub use validate::{validate, validate_target, Constraint, Shown, Validation, Violation};
