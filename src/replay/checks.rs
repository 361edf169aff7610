//! Contract checks on every request the replay server receives, independent of
//! whether it matches a fixture: the awsJson envelope (content type, target,
//! JSON), the model's validation of the body, and the SigV4 structure (plus the
//! signature itself with `--verify-signature`).

use http::HeaderMap;
use serde_json::Value;

use super::journal::Violation;
use super::sigv4::{self, Credentials};
use crate::contract::awsjson::is_awsjson_content_type;
use crate::contract::model;
use crate::contract::validate::{validate, Validation};
use crate::net::ErrorKind;

pub use crate::contract::model::X_AMZ_TARGET;

/// A header's value as text, invalid UTF-8 replaced (`String::from_utf8_lossy`),
/// without its slow path when the value is valid.
pub fn text_of(value: &http::HeaderValue) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(value.as_bytes()),
    }
}

/// A request's parts, as read once by the server.
#[derive(Debug)]
pub struct Inspected<'a> {
    pub method: &'a str,
    pub uri: &'a http::Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub json: Option<&'a Value>,
}

/// The awsJson envelope problem that makes a request unanswerable as awsJson,
/// if any: the kind (for `x-tapedeck-error`) and a message.
pub fn envelope_problem(req: &Inspected<'_>) -> Option<(ErrorKind, String)> {
    let ct = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !ct.is_some_and(is_awsjson_content_type) {
        return Some((
            ErrorKind::ContentType,
            format!(
                "Content-Type is {}; awsJson 1.1 requests use '{}'",
                ct.map_or_else(|| "missing".to_owned(), |c| format!("'{c}'")),
                model::CONTENT_TYPE
            ),
        ));
    }
    if !req.headers.contains_key(&X_AMZ_TARGET) {
        return Some((
            ErrorKind::MissingTarget,
            format!(
                "the X-Amz-Target header is missing; AdminForgetDevice uses '{}'",
                model::TARGET
            ),
        ));
    }
    if req.json.is_none() {
        return Some((
            ErrorKind::InvalidJson,
            "the request body is not valid JSON".to_owned(),
        ));
    }
    None
}

/// Every contract violation of a request.
pub fn check(req: &Inspected<'_>, verify: Option<&Credentials>) -> Vec<Violation> {
    check_all(req, verify, None).violations
}

/// What [`check_all`] found.
#[derive(Debug)]
pub struct Checked {
    /// Every contract violation of the request.
    pub violations: Vec<Violation>,
    /// The [`envelope_problem`], if any (also among the violations).
    pub envelope: Option<(ErrorKind, String)>,
}

/// [`check`], also handing back the envelope problem it found, so the server
/// need not look for it again. `known` is the model's validation of the body when
/// the caller already has it (the body's fixture group keeps it): it must be what
/// [`validate`] says of `req.json`.
pub fn check_all(
    req: &Inspected<'_>,
    verify: Option<&Credentials>,
    known: Option<&Validation>,
) -> Checked {
    let mut out = Vec::new();
    let envelope = envelope_problem(req);
    if let Some((kind, message)) = &envelope {
        out.push(Violation::new(format!("awsjson/{kind}"), message.clone()));
    }
    if let Some(target) = req.headers.get(&X_AMZ_TARGET) {
        let target = text_of(target);
        if target != model::TARGET {
            out.push(Violation::new(
                "awsjson/target",
                format!("X-Amz-Target is '{target}', expected '{}'", model::TARGET),
            ));
        }
    }
    if req.method != model::METHOD || req.uri.path() != model::PATH {
        out.push(Violation::new(
            "awsjson/request-line",
            format!(
                "request is {} {}, awsJson uses POST /",
                req.method,
                req.uri.path()
            ),
        ));
    }
    if let Some(json) = req.json {
        let fresh;
        let validation = match known {
            Some(v) => v,
            None => {
                fresh = validate(json);
                &fresh
            }
        };
        if !validation.is_valid() {
            out.push(Violation::new(
                "model/validation",
                validation.message().unwrap_or_default(),
            ));
        }
    }
    out.extend(
        sigv4::check_structure(req.headers)
            .into_iter()
            .map(|f| Violation::new(f.rule, f.message)),
    );
    if let Some(creds) = verify {
        if req.headers.contains_key(http::header::AUTHORIZATION) {
            if let Err(f) =
                sigv4::verify_signature(req.method, req.uri, req.headers, req.body, creds)
            {
                if !out.iter().any(|v| v.rule == f.rule) {
                    out.push(Violation::new(f.rule, f.message));
                }
            }
        }
    }
    Checked {
        violations: out,
        envelope,
    }
}

/// Drops the `model/validation` violation when the matched fixture records this
/// very invalid request on purpose (its `expected_violations` are what the body
/// violates): the client got the recorded answer to a deliberate mistake.
pub fn excuse_expected(violations: &mut Vec<Violation>, json: Option<&Value>, expected: &[String]) {
    excuse_expected_known(violations, json, expected, None);
}

/// [`excuse_expected`], with the body's validation when the caller already has it
/// (as for [`check_all`]).
pub fn excuse_expected_known(
    violations: &mut Vec<Violation>,
    json: Option<&Value>,
    expected: &[String],
    known: Option<&Validation>,
) {
    if expected.is_empty() {
        return;
    }
    if let Some(json) = json {
        let texts = match known {
            Some(v) => v.violation_texts(),
            None => validate(json).violation_texts(),
        };
        if texts == expected {
            violations.retain(|v| v.rule != "model/validation");
        }
    }
}
