//! The journal, for a person: each request that matched no fixture or broke the
//! contract, with its nearest fixture and the fields that differ, and every
//! broken rule. One renderer for every wrapper — the pytest plugin and the
//! JavaScript helper show this text as it is (`GET /__tapedeck/journal?format=text`),
//! so a failure reads the same in every language.

use std::fmt::Write as _;

use serde_json::Value;

use super::journal::{Entry, Outcome};
use super::nearmiss::FieldDiff;
use crate::fixture::sensitive::is_mask;

/// At most this many requests are shown in full; the rest are counted.
const SHOWN: usize = 20;
/// A value longer than this many characters is cut (a whole body can differ).
const VALUE_CHARS: usize = 160;

/// How many of `entries` matched no fixture or broke the contract.
pub(crate) fn problems(entries: &[Entry]) -> usize {
    entries.iter().filter(|e| !e.is_clean()).count()
}

/// The readable report of `entries`: a headline, then one block per request
/// that matched no fixture or broke the contract.
pub(crate) fn render(entries: &[Entry]) -> String {
    let bad: Vec<&Entry> = entries.iter().filter(|e| !e.is_clean()).collect();
    let total = entries.len();
    let mut out = String::new();
    if bad.is_empty() {
        let _ = match total {
            0 => writeln!(out, "tapedeck: no requests"),
            1 => writeln!(
                out,
                "tapedeck: 1 request, which kept to the recorded contract"
            ),
            n => writeln!(
                out,
                "tapedeck: {n} requests, all kept to the recorded contract"
            ),
        };
        return out;
    }
    let _ = writeln!(
        out,
        "tapedeck: {} of {total} request{} matched no fixture or broke the recorded contract",
        bad.len(),
        if total == 1 { "" } else { "s" }
    );
    for e in bad.iter().take(SHOWN) {
        out.push('\n');
        request(&mut out, e);
    }
    if bad.len() > SHOWN {
        let _ = writeln!(
            out,
            "\n… and {} more; GET /__tapedeck/journal lists every request",
            bad.len() - SHOWN
        );
    }
    out
}

fn request(out: &mut String, e: &Entry) {
    let target = e.target.as_deref().unwrap_or("(no X-Amz-Target)");
    let answer = match &e.outcome {
        Outcome::Matched {
            fixture,
            position,
            of,
        } if *of > 1 => format!("answered from '{fixture}' ({position} of {of} in its sequence)"),
        Outcome::Matched { fixture, .. } => format!("answered from '{fixture}'"),
        Outcome::Forwarded { detail } => format!("forwarded ({detail})"),
        Outcome::Unmatched { .. } => "no fixture matched".to_owned(),
        Outcome::Exhausted { last, of } => {
            format!("the sequence ending with '{last}' ({of} answers) is used up")
        }
        Outcome::Rejected { kind, .. } => format!("rejected ({kind})"),
    };
    let _ = writeln!(
        out,
        "request {}: {} {} {target} → {}: {answer}",
        e.n, e.method, e.path, e.status
    );
    match &e.outcome {
        Outcome::Unmatched { near_misses } => match near_misses.split_first() {
            None => out.push_str("  no fixtures are loaded\n"),
            Some((nearest, others)) => {
                let _ = writeln!(
                    out,
                    "  nearest fixture: '{}' ({} field{} differ{})",
                    nearest.fixture,
                    nearest.differences,
                    if nearest.differences == 1 { "" } else { "s" },
                    if nearest.differences == 1 { "s" } else { "" },
                );
                for d in &nearest.diff {
                    field(out, d);
                }
                if !others.is_empty() {
                    let list: Vec<String> = others
                        .iter()
                        .map(|m| format!("'{}' ({})", m.fixture, fields(&m.diff)))
                        .collect();
                    let _ = writeln!(out, "  also near: {}", list.join("; "));
                }
            }
        },
        Outcome::Rejected { message, .. }
            if !e.violations.iter().any(|v| &v.message == message) =>
        {
            let _ = writeln!(out, "  {message}");
        }
        _ => {}
    }
    if !e.violations.is_empty() {
        out.push_str("  contract violations:\n");
        for v in &e.violations {
            let _ = writeln!(out, "    {}: {}", v.rule, v.message);
        }
    }
}

/// One differing field, pytest-style: the field, then expected and got aligned.
fn field(out: &mut String, d: &FieldDiff) {
    let _ = writeln!(out, "    {}", d.field);
    let _ = writeln!(out, "      expected: {}", value(d.expected.as_ref()));
    let _ = writeln!(out, "      got:      {}", value(d.got.as_ref()));
    if let Some(why) = &d.binding {
        let _ = writeln!(out, "      binding:  {why}");
    }
}

fn fields(diff: &[FieldDiff]) -> String {
    let names: Vec<&str> = diff.iter().map(|d| d.field.as_str()).collect();
    format!("differs in {}", names.join(", "))
}

fn value(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "(absent)".to_owned();
    };
    if let Value::String(s) = v {
        if is_mask(s) || s.starts_with("‹a body that is not JSON") {
            return s.clone();
        }
    }
    let text = v.to_string();
    let len = text.chars().count();
    if len <= VALUE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(VALUE_CHARS).collect();
    format!("{cut}… ({} more characters)", len - VALUE_CHARS)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::replay::journal::Violation;
    use crate::replay::nearmiss::NearMiss;

    const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";

    fn entry(n: u64, status: u16, outcome: Outcome, violations: Vec<Violation>) -> Entry {
        Entry {
            n,
            run_n: n,
            at: humantime::parse_rfc3339("2026-11-30T00:00:00.000Z").expect("a valid time"),
            method: http::Method::POST,
            path: "/".into(),
            target: Some(TARGET.into()),
            status,
            outcome,
            violations,
            bindings: Vec::new(),
        }
    }

    fn matched(n: u64, fixture: &str) -> Entry {
        let outcome = Outcome::Matched {
            fixture: fixture.into(),
            position: 1,
            of: 1,
        };
        entry(n, 200, outcome, vec![])
    }

    fn diff(field: &str, expected: Option<Value>, got: Option<Value>) -> FieldDiff {
        FieldDiff {
            field: field.into(),
            expected,
            got,
            sensitive: None,
            binding: None,
        }
    }

    fn near(fixture: &str, diff: Vec<FieldDiff>) -> NearMiss {
        NearMiss {
            fixture: fixture.into(),
            target_matches: true,
            differences: diff.len(),
            diff,
            distance: 1,
        }
    }

    #[test]
    fn clean_windows_say_so() {
        assert_eq!(render(&[]), "tapedeck: no requests\n");
        assert_eq!(
            render(&[matched(1, "a")]),
            "tapedeck: 1 request, which kept to the recorded contract\n"
        );
        let two = [matched(1, "a"), matched(2, "b")];
        assert_eq!(
            render(&two),
            "tapedeck: 2 requests, all kept to the recorded contract\n"
        );
        assert_eq!(problems(&two), 0);
    }

    #[test]
    fn a_miss_names_the_nearest_fixture_and_each_differing_field() {
        let miss = Outcome::Unmatched {
            near_misses: vec![
                near(
                    "unknown-user",
                    vec![diff(
                        "/Username",
                        Some(json!("tapedeck-ghost")),
                        Some(json!("tapedeck-ghosty")),
                    )],
                ),
                near(
                    "forget-remembered-device",
                    vec![
                        diff("/DeviceKey", Some(json!("k1")), Some(json!("k2"))),
                        diff("/Extra", None, Some(json!(1))),
                    ],
                ),
            ],
        };
        let broken = entry(
            3,
            200,
            Outcome::Matched {
                fixture: "device-already-forgotten".into(),
                position: 2,
                of: 2,
            },
            vec![Violation::new("sigv4/missing", "the request is not signed")],
        );
        let entries = [matched(1, "a"), entry(2, 404, miss, vec![]), broken];
        assert_eq!(problems(&entries), 2);
        let expected = "\
tapedeck: 2 of 3 requests matched no fixture or broke the recorded contract

request 2: POST / AWSCognitoIdentityProviderService.AdminForgetDevice → 404: no fixture matched
  nearest fixture: 'unknown-user' (1 field differs)
    /Username
      expected: \"tapedeck-ghost\"
      got:      \"tapedeck-ghosty\"
  also near: 'forget-remembered-device' (differs in /DeviceKey, /Extra)

request 3: POST / AWSCognitoIdentityProviderService.AdminForgetDevice → 200: answered from 'device-already-forgotten' (2 of 2 in its sequence)
  contract violations:
    sigv4/missing: the request is not signed
";
        assert_eq!(render(&entries), expected);
    }

    #[test]
    fn masked_values_are_shown_as_masks_not_strings() {
        let mut d = diff(
            "/Username",
            Some(json!("tapedeck-ghost")),
            Some(json!("‹sensitive UsernameType, 15 characters›")),
        );
        d.sensitive = Some("UsernameType".into());
        let miss = Outcome::Unmatched {
            near_misses: vec![near("unknown-user", vec![d])],
        };
        let text = render(&[entry(1, 404, miss, vec![])]);
        assert!(
            text.contains("      expected: \"tapedeck-ghost\"\n      got:      ‹sensitive UsernameType, 15 characters›\n"),
            "{text}"
        );
    }

    #[test]
    fn absent_fields_rejections_and_long_values_read_plainly() {
        let miss = Outcome::Unmatched {
            near_misses: vec![near(
                "missing-device-key",
                vec![
                    diff("/DeviceKey", Some(json!("k")), None),
                    diff("(body)", None, Some(json!("x".repeat(200)))),
                ],
            )],
        };
        let rejected = Outcome::Rejected {
            kind: crate::net::ErrorKind::ContentType,
            message: "Content-Type is text/plain".into(),
        };
        let text = render(&[entry(1, 404, miss, vec![]), entry(2, 400, rejected, vec![])]);
        assert!(text.contains("  nearest fixture: 'missing-device-key' (2 fields differ)\n    /DeviceKey\n      expected: \"k\"\n      got:      (absent)\n"), "{text}");
        assert!(text.contains("… (42 more characters)"), "{text}");
        assert!(
            text.contains("→ 400: rejected (content-type)\n  Content-Type is text/plain\n"),
            "{text}"
        );
    }

    #[test]
    fn many_problems_are_counted_past_the_first_twenty() {
        let entries: Vec<Entry> = (1..=25)
            .map(|n| {
                let miss = Outcome::Unmatched {
                    near_misses: vec![],
                };
                entry(n, 404, miss, vec![])
            })
            .collect();
        let text = render(&entries);
        assert_eq!(text.matches("\nrequest ").count(), SHOWN);
        assert!(
            text.ends_with("… and 5 more; GET /__tapedeck/journal lists every request\n"),
            "{text}"
        );
        assert!(text.contains("  no fixtures are loaded\n"));
    }
}
