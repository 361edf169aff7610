//! The replay server: serves fixtures as a stand-in Cognito endpoint.

pub mod sigv4;
