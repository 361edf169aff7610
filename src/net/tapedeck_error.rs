//! The answers tapedeck makes itself, when it has no recorded response to give:
//! awsJson-shaped, so SDKs surface `__type`, plus the `x-tapedeck-error` header
//! naming the [`ErrorKind`]. Shared by the replay server and the recording proxy.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use serde_json::{json, Value};

use crate::contract::model;

/// Why tapedeck answered itself. Each kind has one status, one wire name (the
/// `x-tapedeck-error` header and the body's `kind`) and one `__type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// Replay: no fixture matches the request (404).
    NoMatch,
    /// Replay: the request's sequence is used up and its set says `error` (404).
    SequenceExhausted,
    /// Replay: the Content-Type is not awsJson 1.1 (400).
    ContentType,
    /// Replay: no X-Amz-Target header (400).
    MissingTarget,
    /// Replay: the body is not JSON (400).
    InvalidJson,
    /// The body is over the size limit (413).
    BodyTooLarge,
    /// The body could not be read (400).
    BodyUnreadable,
    /// Record: no region to sign for (400).
    NoRegion,
    /// Record: the request could not be signed (502).
    SigningFailed,
    /// Record: the upstream could not be reached (502).
    UpstreamUnreachable,
    /// Record: the upstream did not answer in time (504).
    UpstreamTimeout,
    /// Record: the exchange with the upstream failed (502).
    UpstreamFailed,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::NoMatch,
        ErrorKind::SequenceExhausted,
        ErrorKind::ContentType,
        ErrorKind::MissingTarget,
        ErrorKind::InvalidJson,
        ErrorKind::BodyTooLarge,
        ErrorKind::BodyUnreadable,
        ErrorKind::NoRegion,
        ErrorKind::SigningFailed,
        ErrorKind::UpstreamUnreachable,
        ErrorKind::UpstreamTimeout,
        ErrorKind::UpstreamFailed,
    ];

    /// `no-match`: the `x-tapedeck-error` header and the body's `kind`.
    pub const fn wire_name(self) -> &'static str {
        match self {
            ErrorKind::NoMatch => "no-match",
            ErrorKind::SequenceExhausted => "sequence-exhausted",
            ErrorKind::ContentType => "content-type",
            ErrorKind::MissingTarget => "missing-target",
            ErrorKind::InvalidJson => "invalid-json",
            ErrorKind::BodyTooLarge => "body-too-large",
            ErrorKind::BodyUnreadable => "body-unreadable",
            ErrorKind::NoRegion => "no-region",
            ErrorKind::SigningFailed => "signing-failed",
            ErrorKind::UpstreamUnreachable => "upstream-unreachable",
            ErrorKind::UpstreamTimeout => "upstream-timeout",
            ErrorKind::UpstreamFailed => "upstream-failed",
        }
    }

    /// `TapedeckNoMatch`: the `__type` and `x-amzn-ErrorType`.
    pub const fn type_name(self) -> &'static str {
        match self {
            ErrorKind::NoMatch => "TapedeckNoMatch",
            ErrorKind::SequenceExhausted => "TapedeckSequenceExhausted",
            ErrorKind::ContentType => "TapedeckContentType",
            ErrorKind::MissingTarget => "TapedeckMissingTarget",
            ErrorKind::InvalidJson => "TapedeckInvalidJson",
            ErrorKind::BodyTooLarge => "TapedeckBodyTooLarge",
            ErrorKind::BodyUnreadable => "TapedeckBodyUnreadable",
            ErrorKind::NoRegion => "TapedeckNoRegion",
            ErrorKind::SigningFailed => "TapedeckSigningFailed",
            ErrorKind::UpstreamUnreachable => "TapedeckUpstreamUnreachable",
            ErrorKind::UpstreamTimeout => "TapedeckUpstreamTimeout",
            ErrorKind::UpstreamFailed => "TapedeckUpstreamFailed",
        }
    }

    /// The status tapedeck answers with.
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorKind::NoMatch | ErrorKind::SequenceExhausted => StatusCode::NOT_FOUND,
            ErrorKind::ContentType
            | ErrorKind::MissingTarget
            | ErrorKind::InvalidJson
            | ErrorKind::BodyUnreadable
            | ErrorKind::NoRegion => StatusCode::BAD_REQUEST,
            ErrorKind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::SigningFailed
            | ErrorKind::UpstreamUnreachable
            | ErrorKind::UpstreamFailed => StatusCode::BAD_GATEWAY,
            ErrorKind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// A tapedeck-made error answer of `kind`: `{"__type", "message", "kind"}` and
/// the members of `details`, if any, with `x-amzn-errortype` and
/// `x-tapedeck-error`.
pub(crate) fn tapedeck_error(
    kind: ErrorKind,
    message: &str,
    details: Option<Value>,
) -> Response<Full<Bytes>> {
    let mut body = json!({ "__type": kind.type_name(), "message": message, "kind": kind });
    if let (Some(Value::Object(extra)), Value::Object(map)) = (details, &mut body) {
        map.extend(extra);
    }
    let bytes = serde_json::to_vec_pretty(&body).expect("JSON serialises");
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = kind.status();
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(model::CONTENT_TYPE),
    );
    h.insert(
        "x-amzn-errortype",
        HeaderValue::from_static(kind.type_name()),
    );
    h.insert(
        "x-tapedeck-error",
        HeaderValue::from_static(kind.wire_name()),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `no-match` → `TapedeckNoMatch`, the rule the names follow.
    fn camel(kind: &str) -> String {
        let mut name = String::from("Tapedeck");
        for word in kind.split('-') {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                name.extend(first.to_uppercase());
                name.push_str(chars.as_str());
            }
        }
        name
    }

    #[test]
    fn type_names_follow_the_wire_names() {
        for kind in ErrorKind::ALL {
            assert_eq!(kind.type_name(), camel(kind.wire_name()), "{kind:?}");
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::String(kind.wire_name().to_owned())
            );
        }
        assert_eq!(ErrorKind::NoMatch.type_name(), "TapedeckNoMatch");
        assert_eq!(
            ErrorKind::UpstreamUnreachable.type_name(),
            "TapedeckUpstreamUnreachable"
        );
        assert_eq!(ErrorKind::ContentType.type_name(), "TapedeckContentType");
    }
}
