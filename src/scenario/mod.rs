//! Scenarios: the provider states each outcome needs, and how to reach them.
//!
//! [`catalog`] lists every scenario of AdminForgetDevice (what it needs, the
//! request, the expected outcome); a [`Provisioner`] creates the state on a
//! real endpoint (pool, client, user, remembered device, with the SRP device
//! verifier that ConfirmDevice needs) and removes it again; [`capture()`]
//! drives it all through the recording proxy.

pub(crate) mod capture;
pub mod catalog;
pub(crate) mod provision;
pub(crate) mod srp;

pub use capture::{capture, CaptureConfig, Coverage, Row};
pub use provision::{Device, Pool, Provisioner, StepError, PREFIX};
