//! Error types a response may carry: the exception shapes the model declares
//! (with who is at fault), and the common errors every AWS API can answer with
//! before an operation runs, which no service model lists.

use super::{Kind, Shape};

/// Who is at fault for an error, as the model says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    Client,
    Server,
}

/// An error type a response may carry: modelled, or common to every AWS API.
#[derive(Debug, Clone, Copy)]
pub enum ErrorInfo<'a> {
    Modelled(&'a Shape),
    Common(&'a CommonError),
}

impl ErrorInfo<'_> {
    pub fn name(&self) -> &str {
        match self {
            ErrorInfo::Modelled(s) => &s.name,
            ErrorInfo::Common(c) => c.name,
        }
    }

    pub fn fault(&self) -> Fault {
        match self {
            ErrorInfo::Modelled(s) => s.error.unwrap_or(Fault::Client),
            ErrorInfo::Common(_) => Fault::Client,
        }
    }

    /// Members of the error body besides `message` (`reasonCode` of
    /// InvalidParameterException).
    pub fn extra_members(&self) -> Vec<&str> {
        match self {
            ErrorInfo::Modelled(Shape {
                kind: Kind::Structure { members },
                ..
            }) => members
                .iter()
                .map(|m| m.name.as_str())
                .filter(|n| !n.eq_ignore_ascii_case("message"))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// An error any AWS JSON call can get before the operation runs (authentication,
/// authorisation, throttling). No service model lists these; AWS documents them
/// as the common errors of every API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommonError {
    pub name: &'static str,
}

/// The common errors, from the "Common Errors" page of the Cognito user pools
/// API reference (and evidence.md for the ones real Cognito is seen sending).
pub const COMMON_ERRORS: [CommonError; 7] = [
    CommonError {
        name: "InvalidSignatureException",
    },
    CommonError {
        name: "UnrecognizedClientException",
    },
    CommonError {
        name: "MissingAuthenticationTokenException",
    },
    CommonError {
        name: "AccessDeniedException",
    },
    CommonError {
        name: "IncompleteSignature",
    },
    CommonError {
        name: "ExpiredTokenException",
    },
    CommonError {
        name: "ThrottlingException",
    },
];
