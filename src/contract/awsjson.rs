//! The awsJson 1.1 protocol: the error type a client reads out of a response.
//!
//! Clients disagree on where to look. botocore reads only the body's `__type`
//! (keeping what follows the last `#` and what precedes a `:`); the JavaScript
//! SDK v3 reads the `x-amzn-ErrorType` header first, then the body's `code`, then
//! `__type`; the Rust SDK trusts the header over the body too. [`error_type`]
//! follows botocore where the body names a type and falls back to `code` and then
//! the header, so it agrees with every SDK whenever the response is consistent
//! (real Cognito's always is); docs/clients.md shows what each SDK does when
//! header and body disagree.
use serde_json::Value;

/// Where an error type was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorTypeSource {
    /// The body's `__type` member.
    Type,
    /// The body's `code` member.
    Code,
    /// The `x-amzn-ErrorType` header.
    Header,
}

/// An error type as found on the wire, and its sanitised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorType {
    pub raw: String,
    pub name: String,
    pub source: ErrorTypeSource,
}

/// Reduces a raw error type to the name clients match on: the first of a
/// comma-separated list, without a `:suffix`, after the last `#`, trimmed.
pub fn sanitize_error_type(raw: &str) -> &str {
    let first = raw.split(',').next().unwrap_or_default();
    let before_colon = first.split(':').next().unwrap_or_default();
    let after_hash = before_colon.rsplit('#').next().unwrap_or_default();
    after_hash.trim()
}

/// Extracts the error type of a response: body `__type`, then body `code`, then the
/// `x-amzn-ErrorType` header value (`header`). Returns `None` when none of them
/// names a type, for example on a successful response or an HTML error page.
pub fn error_type(body: &[u8], header: Option<&str>) -> Option<ErrorType> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let from_body = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (raw, source) = from_body("__type")
        .map(|t| (t, ErrorTypeSource::Type))
        .or_else(|| from_body("code").map(|c| (c, ErrorTypeSource::Code)))
        .or_else(|| header.map(|h| (h.to_owned(), ErrorTypeSource::Header)))?;
    let name = sanitize_error_type(&raw).to_owned();
    if name.is_empty() {
        return None;
    }
    Some(ErrorType { raw, name, source })
}

/// The error message of a JSON error body: `message`, or `Message` as some
/// services spell it.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("message")
        .or_else(|| v.get("Message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether a `Content-Type` value is the awsJson 1.1 type, ignoring parameters
/// and case (`application/x-amz-json-1.1; charset=utf-8` is).
pub(crate) fn is_awsjson_content_type(value: &str) -> bool {
    let media_type = match memchr::memchr(b';', value.as_bytes()) {
        Some(end) => &value[..end],
        None => value,
    };
    media_type
        .trim()
        .eq_ignore_ascii_case(super::model::CONTENT_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_namespace_suffix_and_lists() {
        assert_eq!(
            sanitize_error_type("UserNotFoundException"),
            "UserNotFoundException"
        );
        assert_eq!(
            sanitize_error_type("aws.cognito#UserNotFoundException"),
            "UserNotFoundException"
        );
        assert_eq!(
            sanitize_error_type("UserNotFoundException:http://internal.amazon.com/"),
            "UserNotFoundException"
        );
        assert_eq!(
            sanitize_error_type("com.amazon#a.b#ResourceNotFoundException:x,Other"),
            "ResourceNotFoundException"
        );
        assert_eq!(
            sanitize_error_type("CognitoLocal#Unsupported"),
            "Unsupported"
        );
        assert_eq!(sanitize_error_type(" X "), "X");
        assert_eq!(sanitize_error_type(""), "");
    }

    #[test]
    fn body_type_wins_over_code_and_header() {
        let t = error_type(
            br#"{"__type":"UserNotFoundException","code":"Other"}"#,
            Some("ResourceNotFoundException:"),
        )
        .unwrap();
        assert_eq!(t.name, "UserNotFoundException");
        assert_eq!(t.source, ErrorTypeSource::Type);
    }

    #[test]
    fn falls_back_to_code_then_header() {
        let t = error_type(br#"{"code":"aws#TooManyRequestsException"}"#, Some("X")).unwrap();
        assert_eq!(
            (t.name.as_str(), t.source),
            ("TooManyRequestsException", ErrorTypeSource::Code)
        );
        let t = error_type(b"<html>", Some("ResourceNotFoundException:")).unwrap();
        assert_eq!(
            (t.name.as_str(), t.source),
            ("ResourceNotFoundException", ErrorTypeSource::Header)
        );
        assert_eq!(t.raw, "ResourceNotFoundException:");
    }

    #[test]
    fn success_and_html_have_no_type() {
        assert_eq!(error_type(b"", None), None);
        assert_eq!(error_type(b"{}", None), None);
        assert_eq!(error_type(b"<!doctype html>", None), None);
        assert_eq!(error_type(br#"{"__type":""}"#, None), None);
    }

    #[test]
    fn message_accepts_either_case() {
        assert_eq!(error_message(br#"{"message":"a"}"#).as_deref(), Some("a"));
        assert_eq!(error_message(br#"{"Message":"b"}"#).as_deref(), Some("b"));
        assert_eq!(error_message(b"nope"), None);
    }

    #[test]
    fn content_type_ignores_parameters_and_case() {
        assert!(is_awsjson_content_type("application/x-amz-json-1.1"));
        assert!(is_awsjson_content_type(
            "Application/X-Amz-Json-1.1; charset=utf-8"
        ));
        assert!(!is_awsjson_content_type("application/json"));
        assert!(!is_awsjson_content_type("application/x-amz-json-1.0"));
    }
}
