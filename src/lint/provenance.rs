//! Lint of an authored fixture's provenance: every response fact cites a
//! public source by address, and every citation names facts the fixture has.
//!
//! The facts of a response are its status, each of its headers, and each
//! top-level member of a JSON object body (or the body as a whole when it is
//! empty or not a JSON object). A citation's `applies_to` covers a fact when it
//! names it or something above it (`response.body` covers
//! `response.body.message`). Recorded fixtures are not checked: the endpoint
//! they name is their source.

use serde_json::Value;

use super::{problem, Problem};
use crate::fixture::locate::{element_offset, line_at};
use crate::fixture::provenance::covers;
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Citation, Fixture, Provenance};

/// Problems with the provenance of one fixture.
pub(super) fn check(f: &LoadedFixture) -> Vec<Problem> {
    let Provenance::Authored { sources, basis } = &f.fixture.provenance else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !basis.is_empty() {
        out.push(problem(
            f,
            &["provenance", "basis"],
            "provenance/basis",
            "'basis' is the old list of uncited sources: give each fact its address in \
             'provenance.sources' ({support, source, quote, applies_to}; see docs/fixture-format.md#provenance)"
                .to_owned(),
        ));
    }
    if sources.is_empty() {
        if basis.is_empty() {
            out.push(problem(
                f,
                &["provenance"],
                "provenance/uncited",
                "an authored fixture cites no source: list them in 'provenance.sources', \
                 with support \"none\" for facts no public source shows"
                    .to_owned(),
            ));
        }
        return out;
    }
    for (index, citation) in sources.iter().enumerate() {
        out.extend(check_citation(f, index, citation));
    }
    let cited: Vec<String> = sources
        .iter()
        .flat_map(|c| c.applies_to().iter().cloned())
        .collect();
    for (fact, path) in facts(&f.fixture) {
        if !covers(&cited, &fact) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            out.push(problem(
                f,
                &path,
                "provenance/uncited",
                format!(
                    "{fact}: no source is cited for this fact: name it in the applies_to of a \
                     'provenance.sources' entry (support \"none\" when no public source shows it)"
                ),
            ));
        }
    }
    out
}

fn check_citation(f: &LoadedFixture, index: usize, citation: &Citation) -> Vec<Problem> {
    let mut out = Vec::new();
    let start = element_offset(&f.text, &["provenance", "sources"], index);
    let problem_at = |offset: usize, rule: &str, message: String| Problem {
        file: f.origin.clone(),
        line: line_at(&f.text, offset),
        rule: rule.to_owned(),
        message: format!("provenance.sources[{index}]: {message}"),
    };
    let at = |rule: &str, message: String| problem_at(start, rule, message);
    if let Some(source) = citation.source() {
        if !is_address(source) {
            out.push(at(
                "provenance/source",
                format!("source '{source}' is not an address: cite the page or issue by its URL (https://…)"),
            ));
        }
    }
    if let Citation::Unsourced { note, .. }
    | Citation::Inferred {
        inferred_from: note,
        ..
    } = citation
    {
        if note.trim().is_empty() {
            let field = match citation {
                Citation::Unsourced { .. } => "note",
                _ => "inferred_from",
            };
            out.push(at(
                "provenance/source",
                format!("'{field}' is empty: say what the source shows, or why there is none"),
            ));
        }
    }
    if citation.applies_to().is_empty() {
        out.push(at(
            "provenance/applies-to",
            "applies_to is empty: name the facts this source supports, e.g. \"response.body.message\"".to_owned(),
        ));
    }
    for path in citation.applies_to() {
        if !names_something(&f.fixture, path) {
            let quoted = serde_json::to_string(path).unwrap_or_default();
            let offset = f.text[start..].find(&quoted).map_or(start, |i| start + i);
            out.push(problem_at(
                offset,
                "provenance/applies-to",
                format!("'{path}' names nothing in this fixture (paths look like response.status, response.headers.<name>, response.body.<member>)"),
            ));
        }
    }
    out
}

/// An `http(s)://` URL with a host.
fn is_address(source: &str) -> bool {
    let rest = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        host.contains('.') && !r.contains(char::is_whitespace)
    })
}

/// The response facts of a fixture: their dotted name and their path of keys.
fn facts(f: &Fixture) -> Vec<(String, Vec<String>)> {
    let key = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    let mut out = vec![("response.status".to_owned(), key(&["response", "status"]))];
    for name in f.response.headers.keys() {
        out.push((
            format!("response.headers.{name}"),
            key(&["response", "headers", name]),
        ));
    }
    match f.response.body.json().as_deref() {
        Some(Value::Object(members)) if !members.is_empty() => {
            for name in members.keys() {
                out.push((
                    format!("response.body.{name}"),
                    key(&["response", "body", name]),
                ));
            }
        }
        _ => out.push(("response.body".to_owned(), key(&["response", "body"]))),
    }
    out
}

/// Whether a dotted path names a member of the fixture. `response.body` and
/// `request.body` always do (an empty body is a fact too); below them, the
/// path walks the members of a JSON body.
fn names_something(f: &Fixture, path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    match segments.as_slice() {
        ["response"] | ["request"] | ["compare"] | ["variables"] => true,
        ["response", "status"] => true,
        ["request", "method" | "path"] => true,
        ["response", "headers"] | ["request", "headers"] => true,
        ["response", "headers", name] => f.response.headers.contains_key(*name),
        ["request", "headers", name] => f.request.headers.contains_key(*name),
        [half @ ("response" | "request"), "body", rest @ ..] => {
            let body = if *half == "response" {
                &f.response.body
            } else {
                &f.request.body
            };
            if rest.is_empty() {
                return true;
            }
            let Some(json) = body.json() else {
                return false;
            };
            let mut at: &Value = &json;
            for name in rest {
                match at.get(name) {
                    Some(next) => at = next,
                    None => return false,
                }
            }
            true
        }
        ["compare", "message"] => true,
        ["compare", "status"] => !f.compare.status.is_exact(),
        ["compare", "ignore_paths"] => !f.compare.ignore_paths.is_empty(),
        ["variables", name] => f.variables.contains_key(*name),
        ["expected_violations"] => !f.expected_violations.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_urls_with_a_host() {
        for good in [
            "https://github.com/aws/aws-cli/issues/3348",
            "http://example.com",
            "https://docs.aws.amazon.com/x.html#y",
        ] {
            assert!(is_address(good), "{good}");
        }
        for bad in [
            "github.com/aws/aws-cli/issues/3348",
            "AWS API Reference",
            "https://",
            "https://localhost/x",
            "https://a.b/x y",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }
}
