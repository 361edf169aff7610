//! SigV4: checking, verifying and making signatures for cognito-idp requests.
//!
//! [`check_structure`] inspects the `Authorization` / `X-Amz-Date` headers of a request
//! without any secret and reports contract violations as [`Finding`]s. With credentials
//! given as `AKID:SECRET` ([`Credentials`]), [`verify_signature`] recomputes the signature
//! with `aws-sigv4` over exactly what the client said it signed. [`sign_headers`] signs the
//! way botocore does and is what the recording proxy re-signs with. No finding message,
//! error or `Debug` output carries a signature, a secret, a session token or an access key
//! id beyond its first four characters.
//!
//! Split by job: `authorization` parses the header ([`Authorization`]),
//! `structure` checks a request's signing headers without a secret, `verify`
//! recomputes and makes signatures with aws-sigv4. The replay server checks with it; the recording
//! proxy and the awsJson client sign with it.

use std::fmt;

pub(crate) mod authorization;
pub(crate) mod structure;
#[cfg(test)]
mod tests;
pub(crate) mod verify;

pub(crate) use authorization::{key_hint, shown};
pub use authorization::{AsciiSplit, Authorization};
pub use structure::check_structure;
pub(crate) use structure::inspect;
pub use verify::{sign_headers, verify_signature, Credentials, CredentialsError};

/// The signing name (credential-scope service) of cognito-idp requests, from
/// the service model.
pub fn service() -> &'static str {
    crate::contract::model::get().signing_name()
}
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub(crate) const X_AMZ_DATE: &str = "x-amz-date";
pub(crate) const X_AMZ_TOKEN: &str = "x-amz-security-token";
/// Headers every signature must cover.
pub(crate) const REQUIRED_SIGNED: [&str; 3] = crate::contract::model::REQUIRED_SIGNED_HEADERS;
/// Headers [`sign_headers`] signs when present (x-amz-date is always added), like botocore.
pub(crate) const BOTOCORE_SIGNED: [&str; 3] = ["content-type", "host", "x-amz-target"];

/// Stable rule ids used in [`Finding::rule`].
pub mod rule {
    pub const MISSING: &str = "sigv4/missing";
    pub const MALFORMED: &str = "sigv4/malformed";
    pub const SCOPE: &str = "sigv4/scope";
    pub const SIGNED_HEADERS: &str = "sigv4/signed-headers";
    pub const DATE: &str = "sigv4/date";
    pub const ACCESS_KEY: &str = "sigv4/access-key";
    pub const SIGNATURE: &str = "sigv4/signature";
    /// [`super::sign_headers`] could not sign (bad region, missing host, unsignable value).
    pub const SIGN: &str = "sigv4/sign";
}

/// One SigV4 problem found in a request. `rule` is a stable id, `message` one actionable sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub message: String,
}

impl Finding {
    fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}
