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
pub fn envelope_problem(req: &Inspected<'_>) -> Option<(&'static str, String)> {
    let ct = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !ct.is_some_and(is_awsjson_content_type) {
        return Some((
            "content-type",
            format!(
                "Content-Type is {}; awsJson 1.1 requests use '{}'",
                ct.map_or_else(|| "missing".to_owned(), |c| format!("'{c}'")),
                model::CONTENT_TYPE
            ),
        ));
    }
    if !req.headers.contains_key("x-amz-target") {
        return Some((
            "missing-target",
            format!(
                "the X-Amz-Target header is missing; AdminForgetDevice uses '{}'",
                model::TARGET
            ),
        ));
    }
    if req.json.is_none() {
        return Some((
            "invalid-json",
            "the request body is not valid JSON".to_owned(),
        ));
    }
    None
}

/// Every contract violation of a request.
pub fn check(req: &Inspected<'_>, verify: Option<&Credentials>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some((kind, message)) = envelope_problem(req) {
        out.push(Violation::new(format!("awsjson/{kind}"), message));
    }
    if let Some(target) = req.headers.get("x-amz-target") {
        let target = String::from_utf8_lossy(target.as_bytes());
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
        match validate(json) {
            Validation::Valid => {}
            invalid => out.push(Violation::new(
                "model/validation",
                invalid.message().unwrap_or_default(),
            )),
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
    out
}

/// Drops the `model/validation` violation when the matched fixture records this
/// very invalid request on purpose (its `expected_violations` are what the body
/// violates): the client got the recorded answer to a deliberate mistake.
pub fn excuse_expected(violations: &mut Vec<Violation>, json: Option<&Value>, expected: &[String]) {
    if expected.is_empty() {
        return;
    }
    if let Some(json) = json {
        if validate(json).violation_texts() == expected {
            violations.retain(|v| v.rule != "model/validation");
        }
    }
}
