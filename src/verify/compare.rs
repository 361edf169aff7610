//! The comparison rules: what must agree between a recorded response and what
//! a target answered. Documented for users in `docs/verify.md`.
//!
//! - status: exact, or one of the fixture's `compare.status` list;
//! - exception type: by the clients' sanitising rule (`ns#Type:suffix` is
//!   `Type`); `strict` also compares the raw `__type` and `x-amzn-ErrorType`;
//! - message: by the fixture's rule (exact, ignore, regex), after the recorded
//!   variable values are replaced by the target's; `strict` applies the same
//!   rule to the `x-amzn-ErrorMessage` header;
//! - content type: the media type (`strict`: the whole value);
//! - success body: `{}` and an empty body are equal (`strict`: not);
//! - modelled extra members of the error body (such as `reasonCode`);
//! - volatile headers (`date`, `x-amzn-requestid`, …): never compared.
//!
//! Differences never show a sensitive value that could hurt (a token the
//! target issued, a secret recorded in clear): see [`super::shown`].

use serde::Serialize;
use serde_json::Value;

use super::shown::Shown;
use crate::contract::awsjson::{error_message, error_type};
use crate::fixture::{Fixture, MessageRule, StatusRule};
use crate::net::awsjson::Answer;

/// How strictly to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// What clients can observe.
    Wire,
    /// Byte-level details too: raw error type strings, exact content type, `{}` vs empty.
    Strict,
}

/// One difference, as a line a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `status`, `error-type`, `raw-error-type`, `error-header`, `message`,
    /// `message-header`, `content-type`, `body`, or `member:<name>`.
    pub aspect: String,
    pub expected: String,
    pub got: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.aspect, self.expected, self.got
        )
    }
}

/// `400 UserNotFoundException 'User does not exist.'`, `200 (empty)`, `500 text/html`.
pub(crate) fn describe(
    status: u16,
    body: &[u8],
    error_header: Option<&str>,
    content_type: Option<&str>,
) -> String {
    match error_type(body, error_header) {
        Some(t) => match error_message(body) {
            Some(m) => format!("{status} {} '{m}'", t.name),
            None => format!("{status} {}", t.name),
        },
        None if body.is_empty() => format!("{status} (empty)"),
        None if (200..300).contains(&status) => {
            format!("{status} {}", String::from_utf8_lossy(body))
        }
        None => format!("{status} {}", content_type.unwrap_or("(no content type)")),
    }
}

/// Replaces each recorded variable value with the target's.
pub(crate) fn substitute(text: &str, pairs: &[(String, String)]) -> String {
    substitute_with(text, pairs, |to| to.to_owned())
}

/// [`substitute`], with each replacement passed through `quote` first (to
/// insert values into a regular expression literally). Longer values go first,
/// so a region never rewrites the start of a pool id that contains it.
fn substitute_with(
    text: &str,
    pairs: &[(String, String)],
    quote: impl Fn(&str) -> String,
) -> String {
    let mut ordered: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(from, to)| !from.is_empty() && from != to)
        .collect();
    ordered.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    // Swap in placeholders first, so a replacement is never rewritten by a later pair.
    let mut out = text.to_owned();
    for (i, (from, _)) in ordered.iter().enumerate() {
        out = out.replace(from.as_str(), &format!("\u{e000}{i}\u{e001}"));
    }
    for (i, (_, to)) in ordered.iter().enumerate() {
        out = out.replace(&format!("\u{e000}{i}\u{e001}"), &quote(to));
    }
    out
}

/// Compares a target's answer with a fixture's recorded response.
/// `pairs` maps recorded variable values to the target's.
pub fn compare(
    fixture: &Fixture,
    got: &Answer,
    level: Level,
    pairs: &[(String, String)],
) -> Vec<Difference> {
    let mut diffs = Vec::new();
    let mut push = |aspect: &str, expected: String, got: String| {
        diffs.push(Difference {
            aspect: aspect.to_owned(),
            expected,
            got,
        })
    };
    let rec = &fixture.response;
    let rec_body = rec.body.bytes().unwrap_or_default().into_owned();
    let rec_header = fixture.response_header("x-amzn-errortype");
    let got_header = got
        .headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok());
    let got_ct = got
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());

    let got_status = got.status.as_u16();
    if !fixture.compare.status.accepts(rec.status, got_status) {
        let expected = match &fixture.compare.status {
            StatusRule::Exact => rec.status.to_string(),
            StatusRule::OneOf(allowed) => format!(
                "one of {}",
                allowed
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        push("status", expected, got_status.to_string());
    }
    let want_type = error_type(&rec_body, rec_header);
    let got_type = error_type(&got.body, got_header);
    match (&want_type, &got_type) {
        (Some(w), Some(g)) if w.name != g.name => {
            push("error-type", w.name.clone(), g.name.clone())
        }
        (Some(w), None) => push("error-type", w.name.clone(), "none".into()),
        (None, Some(g)) => push("error-type", "none".into(), g.name.clone()),
        _ => {}
    }
    if level == Level::Strict {
        let raw = |b: &[u8]| {
            serde_json::from_slice::<Value>(b)
                .ok()
                .and_then(|v| v.get("__type").and_then(Value::as_str).map(str::to_owned))
        };
        if raw(&rec_body) != raw(&got.body) {
            push("raw-error-type", show(raw(&rec_body)), show(raw(&got.body)));
        }
        if rec_header != got_header {
            push("error-header", show(rec_header), show(got_header));
        }
    }
    if want_type.is_some() {
        let want_msg = error_message(&rec_body).map(|m| substitute(&m, pairs));
        let got_msg = error_message(&got.body);
        if let Some(expected) =
            message_differs(fixture, pairs, want_msg.as_deref(), got_msg.as_deref())
        {
            push("message", expected, show(got_msg.as_deref()));
        }
    }
    if level == Level::Strict {
        // The header carries the message; its absence is compared like
        // `x-amzn-ErrorType`'s, its value by the fixture's message rule.
        let want = fixture
            .response_header(MESSAGE_HEADER)
            .map(|m| substitute(m, pairs));
        let got_value = got
            .headers
            .get(MESSAGE_HEADER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let expected = match (&want, &got_value) {
            (None, None) => None,
            (Some(w), None) => Some(
                message_differs(fixture, pairs, Some(w), None)
                    .unwrap_or_else(|| "any message".to_owned()),
            ),
            (None, Some(_)) => Some("none".to_owned()),
            (Some(w), Some(g)) => message_differs(fixture, pairs, Some(w), Some(g)),
        };
        if let Some(expected) = expected {
            push("message-header", expected, show(got_value.as_deref()));
        }
    }
    let rec_ct = fixture.response_header("content-type");
    let media = |v: Option<&str>| {
        v.map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    };
    let ct_differs = match level {
        Level::Wire => media(rec_ct) != media(got_ct),
        Level::Strict => rec_ct != got_ct,
    };
    if ct_differs {
        push("content-type", show(rec_ct), show(got_ct));
    }
    if want_type.is_none() && (200..300).contains(&rec.status) {
        let empty_like = |b: &[u8]| {
            b.is_empty()
                || serde_json::from_slice::<Value>(b)
                    .is_ok_and(|v| v == Value::Object(Default::default()))
        };
        let same = match level {
            Level::Wire => (empty_like(&rec_body) && empty_like(&got.body)) || rec_body == got.body,
            Level::Strict => rec_body == got.body,
        };
        if !same {
            let shown = Shown::new(fixture, Some(&got.body));
            push(
                "body",
                body_text(&shown.recorded(&rec_body)),
                body_text(&shown.answer(&got.body)),
            );
        }
    }
    if want_type.is_some() {
        compare_members(fixture, &rec_body, &got.body, pairs, &mut diffs);
    }
    if !diffs.is_empty() {
        let shown = Shown::new(fixture, Some(&got.body));
        for d in &mut diffs {
            d.expected = shown.text(&d.expected);
            d.got = shown.text(&d.got);
        }
    }
    diffs
}

/// The response header that repeats the error message.
pub(crate) const MESSAGE_HEADER: &str = "x-amzn-errormessage";

/// `Some(what was expected)` when `got` breaks the fixture's message rule.
fn message_differs(
    fixture: &Fixture,
    pairs: &[(String, String)],
    want: Option<&str>,
    got: Option<&str>,
) -> Option<String> {
    match &fixture.compare.message {
        MessageRule::Ignore => None,
        MessageRule::Exact => (want != got).then(|| show(want)),
        MessageRule::Regex(re) => {
            let re = substitute_with(re, pairs, regex::escape);
            let matches = match (regex::Regex::new(&re), got) {
                (Ok(r), Some(m)) => r.is_match(m),
                _ => false,
            };
            (!matches).then(|| format!("a message matching /{re}/"))
        }
    }
}

/// Error body members other than `__type` and `message`, such as `reasonCode`.
fn compare_members(
    fixture: &Fixture,
    rec: &[u8],
    got: &[u8],
    pairs: &[(String, String)],
    diffs: &mut Vec<Difference>,
) {
    let (Ok(mut rec), got) = (
        serde_json::from_slice::<Value>(rec),
        serde_json::from_slice::<Value>(got).ok(),
    ) else {
        return;
    };
    let mut got = got.unwrap_or(Value::Null);
    for p in &fixture.compare.ignore_paths {
        remove_pointer(&mut rec, p);
        remove_pointer(&mut got, p);
    }
    let Value::Object(rec) = rec else {
        return;
    };
    for (name, value) in rec {
        if matches!(name.as_str(), "__type" | "message" | "Message") {
            continue;
        }
        let expected = substitute(&value.to_string(), pairs);
        let actual = got.get(&name).map(Value::to_string);
        if actual.as_deref() != Some(expected.as_str()) {
            diffs.push(Difference {
                aspect: format!("member:{name}"),
                expected,
                got: actual.unwrap_or_else(|| "absent".into()),
            });
        }
    }
}

/// Removes the member a JSON pointer names, if it is there.
fn remove_pointer(v: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(map)) = v.pointer_mut(parent) {
        map.remove(&last);
    }
}

fn show(v: Option<impl AsRef<str>>) -> String {
    v.map_or_else(|| "none".to_owned(), |s| format!("'{}'", s.as_ref()))
}

fn body_text(b: &[u8]) -> String {
    if b.is_empty() {
        "an empty body".to_owned()
    } else {
        format!("'{}'", String::from_utf8_lossy(&b[..b.len().min(120)]))
    }
}
