//! Scenarios: the provider states each outcome needs, and how to reach them.
//!
//! [`catalog`] lists every scenario of AdminForgetDevice (what it needs, the
//! request, the expected outcome); [`provision`] creates the state on a real
//! endpoint (pool, client, user, remembered device) and removes it again;
//! [`srp`] computes the device verifier that ConfirmDevice needs; [`capture`]
//! drives it all through the recording proxy.

pub mod capture;
pub mod catalog;
pub mod provision;
pub mod srp;

pub use catalog::{Scenario, CATALOG};
