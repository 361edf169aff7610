//! Structural checks: what can be said about a signature without the secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::contract::model;

/// Parses `YYYYMMDDTHHMMSSZ` (UTC) into a time; `None` if the form or a field is invalid.
pub(crate) fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0, 4)?, num(4, 6)?, num(6, 8)?);
    let (h, mi, se) = (num(9, 11)?, num(11, 13)?, num(13, 15)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if y < 1970
        || !(1..=12).contains(&mo)
        || d == 0
        || d > month_days
        || h > 23
        || mi > 59
        || se > 59
    {
        return None;
    }
    // Days since 1970-01-01 (H. Hinnant's days_from_civil, unsigned since y >= 1970).
    let yy = if mo <= 2 { y - 1 } else { y };
    let (era, yoe) = (yy / 400, yy % 400);
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + mi * 60 + se))
}

/// A header value as text if it is visible ASCII, as `HeaderValue::to_str`
/// gives it, but checked a word at a time: a `HeaderValue` never holds control
/// characters other than tab, nor DEL, so visible ASCII (and tab) is plain ASCII.
fn visible_ascii(value: &HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    // SAFETY: ASCII is valid UTF-8. (`from_utf8` would check it again, byte by
    // byte: on an Authorization header that is a tenth of this whole check.)
    bytes
        .is_ascii()
        .then(|| unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Everything the structural pass learns; `blocking` findings make recomputation impossible.
pub(crate) struct Inspection<'a> {
    pub(crate) auth: Option<Authorization<'a>>,
    pub(crate) time: Option<SystemTime>,
    pub(crate) findings: Vec<(Finding, bool)>,
}

pub(crate) fn inspect(headers: &HeaderMap) -> Inspection<'_> {
    let mut out = Inspection {
        auth: None,
        time: None,
        findings: Vec::new(),
    };
    let mut push = |f: Finding, blocking: bool| out.findings.push((f, blocking));
    let mut sent = headers.get_all(AUTHORIZATION).iter();
    let Some(raw) = sent.next() else {
        push(Finding::new(rule::MISSING, format!("the request is unsigned (no Authorization header); sign it with SigV4 for service `{}`, as any AWS SDK does once credentials are configured", service())), true);
        return out;
    };
    let parsed = if sent.next().is_some() {
        Err(Finding::new(
            rule::MALFORMED,
            "the request carries more than one Authorization header; send exactly one",
        ))
    } else {
        visible_ascii(raw)
            .ok_or_else(|| Finding::new(rule::MALFORMED, "the Authorization header is not visible ASCII; send the value the SigV4 signer produced"))
            .and_then(Authorization::parse)
    };
    let auth = match parsed {
        Ok(a) => Some(a),
        Err(f) => {
            push(f, true);
            None
        }
    };
    let amz_date = headers
        .get(&X_AMZ_DATE_NAME)
        .map(|v| visible_ascii(v).unwrap_or(""));
    let time = amz_date.and_then(parse_amz_date);
    if let Some(a) = &auth {
        let scope = |m: String| Finding::new(rule::SCOPE, m);
        if a.service != service() {
            push(scope(format!("the credential scope names service {}; cognito-idp requests must be signed for `{}`", shown(a.service), service())), true);
        }
        if a.terminator != "aws4_request" {
            push(
                scope("the credential scope must end with `aws4_request`".into()),
                true,
            );
        }
        if a.date.len() != 8 || !a.date.bytes().all(|b| b.is_ascii_digit()) {
            push(
                scope("the credential scope date is not 8 digits (YYYYMMDD)".into()),
                true,
            );
        } else if let (Some(d), Some(_)) = (amz_date, time) {
            if !d.starts_with(a.date) {
                push(scope(format!("the credential scope date {} differs from the date of X-Amz-Date {}; sign with the same UTC date in both", a.date, &d[..8])), true);
            }
        }
        if a.region.is_empty() {
            push(scope("the credential scope has an empty region; name the region the user pool lives in".into()), true);
        }
        let list = SignedList::of(a, headers);
        let missing: Vec<&str> = REQUIRED_SIGNED
            .into_iter()
            .zip(list.required)
            .filter(|(_, found)| !found)
            .map(|(name, _)| name)
            .collect();
        if !missing.is_empty() {
            let blocking = missing.iter().any(|m| *m != "x-amz-target");
            push(Finding::new(rule::SIGNED_HEADERS, format!("SignedHeaders lacks {}; sign at least host, x-amz-date and x-amz-target (botocore signs content-type;host;x-amz-date;x-amz-target)", missing.join(", "))), blocking);
        }
        if !list.lower_sorted {
            push(Finding::new(rule::SIGNED_HEADERS, "SignedHeaders must list distinct lowercase header names in sorted order, separated by `;`"), true);
        }
        if !list.absent.is_empty() {
            push(Finding::new(rule::SIGNED_HEADERS, format!("SignedHeaders names {} which the request does not carry; sign only headers that are sent", list.absent.join(", "))), true);
        }
    }
    match (amz_date, time) {
        (None, _) => push(Finding::new(rule::DATE, "the X-Amz-Date header is missing; send the signing time as YYYYMMDDTHHMMSSZ (UTC)"), true),
        (Some(_), None) => push(Finding::new(rule::DATE, "X-Amz-Date is not a valid UTC time of the form YYYYMMDDTHHMMSSZ (e.g. 20261126T010203Z)"), true),
        _ => {}
    }
    out.findings.sort_by_key(|(f, _)| {
        [rule::MISSING, rule::MALFORMED]
            .iter()
            .position(|r| *r == f.rule)
            .unwrap_or(2)
    });
    out.auth = auth;
    out.time = time;
    out
}

/// What one pass over `SignedHeaders` learns (the replay server checks every
/// request, so the list is walked once and nothing is allocated unless a
/// signed header is absent).
struct SignedList {
    /// Whether each of [`REQUIRED_SIGNED`] is listed.
    required: [bool; 3],
    /// Distinct, non-empty, lowercase names in sorted order.
    lower_sorted: bool,
    /// Listed names the request does not carry, as shown in a message.
    absent: Vec<String>,
}

impl SignedList {
    fn of(auth: &Authorization<'_>, headers: &HeaderMap) -> Self {
        let mut list = SignedList {
            required: [false; 3],
            lower_sorted: true,
            absent: Vec::new(),
        };
        let mut previous: Option<&str> = None;
        for name in auth.signed_header_names() {
            if let Some(i) = REQUIRED_SIGNED.iter().position(|r| *r == name) {
                list.required[i] = true;
            }
            list.lower_sorted &= !name.is_empty()
                && !name.bytes().any(|b| b.is_ascii_uppercase())
                && previous.is_none_or(|p| p < name);
            if !name.is_empty() && !carries(headers, name) {
                list.absent.push(shown(name));
            }
            previous = Some(name);
        }
        list
    }
}

/// `x-amz-date`, as a header name ready to look up.
static X_AMZ_DATE_NAME: HeaderName = HeaderName::from_static(X_AMZ_DATE);

/// Whether the request has a header `name` (lowercase, as SignedHeaders lists
/// it). The names SDKs sign are looked up as ready-made [`HeaderName`]s, which
/// saves parsing the name for every request.
fn carries(headers: &HeaderMap, name: &str) -> bool {
    let known = match name {
        "host" => &HOST,
        "content-type" => &CONTENT_TYPE,
        X_AMZ_DATE => &X_AMZ_DATE_NAME,
        "x-amz-target" => &model::X_AMZ_TARGET,
        other => return headers.contains_key(other),
    };
    headers.contains_key(known)
}

/// Structural checks (no secret needed): every finding that applies, missing/malformed first.
pub fn check_structure(headers: &HeaderMap) -> Vec<Finding> {
    inspect(headers)
        .findings
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}
