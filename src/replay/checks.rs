//! Contract checks on every request the replay server receives, independent of
//! whether it matches a fixture: the awsJson envelope (content type, JSON, a
//! target that names an operation of the model), the model's validation of the
//! body against that operation's input, and — unless the operation's `authtype`
//! is `none` — the SigV4 structure (plus the signature itself with
//! `--verify-signature`).

use http::HeaderMap;
use serde_json::Value;

use super::journal::Violation;
use crate::contract::awsjson::is_awsjson_content_type;
use crate::contract::model::{self, Auth, Operation};
use crate::contract::validate::{validate, Validation};
use crate::net::ErrorKind;
use crate::sigv4::{self, Credentials};

pub(crate) use crate::contract::model::X_AMZ_TARGET;

/// A header's value as text, invalid UTF-8 replaced (`String::from_utf8_lossy`),
/// without its slow path when the value is valid.
pub(crate) fn text_of(value: &http::HeaderValue) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(value.as_bytes()),
    }
}

/// A request's parts, as read once by the server.
#[derive(Debug)]
pub(crate) struct Inspected<'a> {
    pub(crate) method: &'a str,
    pub(crate) uri: &'a http::Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) json: Option<&'a Value>,
}

/// The awsJson envelope problem that makes a request unanswerable as awsJson,
/// if any: the kind (for `x-tapedeck-error`) and a message.
pub(crate) fn envelope_problem(req: &Inspected<'_>) -> Option<(ErrorKind, String)> {
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
                "the X-Amz-Target header is missing; awsJson requests name the operation there, as in '{}'",
                model::flagship().target
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

/// What the caller already knows of a request: the body's fixture group keeps
/// the operation its target names and the model's validation of its body, so
/// that a matched request is not looked up nor validated again.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known<'a> {
    /// The operation the request's target names, if the caller looked it up.
    pub(crate) operation: Option<&'static Operation>,
    /// What [`validate`] says of `req.json` against that operation.
    pub(crate) validation: Option<&'a Validation>,
}

/// What [`check_all`] found.
#[derive(Debug)]
pub(crate) struct Checked {
    /// Every contract violation of the request.
    pub(crate) violations: Vec<Violation>,
    /// The [`envelope_problem`], if any (also among the violations).
    pub(crate) envelope: Option<(ErrorKind, String)>,
    /// The operation the target names, if it names one of the model.
    pub(crate) operation: Option<&'static Operation>,
}

/// Every check of a request, also handing back the envelope problem and the operation it
/// found, so the server need not look for them again. `known` must be true of
/// this request (see [`Known`]).
pub(crate) fn check_all(
    req: &Inspected<'_>,
    verify: Option<&Credentials>,
    known: Known<'_>,
) -> Checked {
    let mut out = Vec::new();
    let envelope = envelope_problem(req);
    if let Some((kind, message)) = &envelope {
        out.push(Violation::new(format!("awsjson/{kind}"), message.clone()));
    }
    let mut operation = known.operation;
    if let Some(target) = req.headers.get(&X_AMZ_TARGET) {
        if operation.is_none() {
            let target = text_of(target);
            operation = model::operation_for_target(&target);
            if operation.is_none() {
                out.push(Violation::new(
                    "awsjson/unknown-operation",
                    unknown_operation(&target),
                ));
            }
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
    if let (Some(op), Some(json)) = (operation, req.json) {
        let fresh;
        let validation = match known.validation {
            Some(v) => v,
            None => {
                fresh = validate(op, json);
                &fresh
            }
        };
        if !validation.is_valid() {
            out.push(Violation::new(
                "model/validation",
                validation.describe().unwrap_or_default(),
            ));
        }
    }
    // SigV4 is demanded unless the model says the operation takes none
    // (`authtype: none`: Cognito authorises those by a token in the body). A
    // request for no known operation is held to SigV4, as AWS's front end is.
    if operation.is_none_or(|op| op.auth == Auth::Sigv4) {
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
    }
    Checked {
        violations: out,
        envelope,
        operation,
    }
}

/// The message of `awsjson/unknown-operation`, with the nearest operation name
/// when one is close.
fn unknown_operation(target: &str) -> String {
    let m = model::get();
    let prefix = m.target_prefix();
    let name = target
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('.'));
    let Some(name) = name else {
        return format!(
            "X-Amz-Target is '{target}'; cognito-idp targets are '{prefix}.<Operation>'"
        );
    };
    let nearest = m
        .operations()
        .iter()
        .map(|op| (strsim::levenshtein(&op.name, name), op))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 3)
        .map(|(_, op)| format!("; did you mean '{}'?", op.name))
        .unwrap_or_default();
    format!(
        "X-Amz-Target '{target}' names no operation of the cognito-idp model (API {}){nearest}",
        m.metadata.api_version
    )
}

/// Drops the `model/validation` violation when the matched fixture records this
/// very invalid request on purpose (its `expected_violations` are what the body
/// violates): the client got the recorded answer to a deliberate mistake.
pub(crate) fn excuse_expected(
    violations: &mut Vec<Violation>,
    operation: Option<&Operation>,
    json: Option<&Value>,
    expected: &[String],
    known: Option<&Validation>,
) {
    if expected.is_empty() {
        return;
    }
    let (Some(op), Some(json)) = (operation, json) else {
        return;
    };
    let texts = match known {
        Some(v) => v.violation_texts(),
        None => validate(op, json).violation_texts(),
    };
    if texts == expected {
        violations.retain(|v| v.rule != "model/validation");
    }
}
