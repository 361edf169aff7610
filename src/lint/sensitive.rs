//! Lint rule `secret/sensitive-member`: every value of a sensitive member (by
//! the model's paths for the fixture's own operation; by member name when the
//! model does not know it) must be something recording would have written.
//!
//! - Secrets must be placeholders (`tapedeck_redacted_…`, the placeholder JWT,
//!   …), in every fixture: an author has no reason to write a real-looking one.
//! - Identifiers must be pseudonyms in recorded fixtures. Two exceptions: in
//!   an authored fixture they are the author's inventions (the reference set's
//!   `tapedeck-ghost`); and values starting with `tapedeck-` are the synthetic
//!   users that `tapedeck capture` creates (its scenario catalog's names), kept
//!   readable on purpose.
//! - Values that hide nothing (empty, `true`, `false`) are fine anywhere.
//!
//! A finding names the member and the shape, never the value.

use super::{problem, Problem};
use crate::contract::model;
use crate::fixture::format::Body;
use crate::fixture::sensitive::{
    embedded, harmless, is_inert, leaves, recognise, Class, Recognised, Side, Spot,
};
use crate::fixture::store::LoadedFixture;
use crate::fixture::Provenance;
use crate::scenario::provision::PREFIX as SYNTHETIC;

/// Problems with the sensitive members of one fixture.
pub(super) fn check(f: &LoadedFixture) -> Vec<Problem> {
    let fx = &f.fixture;
    let authored = matches!(fx.provenance, Provenance::Authored { .. });
    let op = fx
        .request_header("x-amz-target")
        .and_then(model::operation_for_target);
    let mut out = Vec::new();
    for (side, half, body) in [
        (Side::Request, "request", &fx.request.body),
        (Side::Response, "response", &fx.response.body),
    ] {
        let Some(json) = body.json() else {
            continue;
        };
        for leaf in leaves(op, side, &json) {
            let text = leaf.text();
            let what = match leaf.key {
                Some(k) if leaf.shape != crate::fixture::sensitive::BY_NAME => {
                    format!("{} {k}", leaf.shape)
                }
                _ => leaf.shape.to_owned(),
            };
            if let Some(inner) = embedded(&leaf) {
                let real = inner.iter().filter(|t| {
                    !(is_inert(None, t)
                        || recognise(t).is_some()
                        || authored
                        || t.starts_with(SYNTHETIC))
                });
                if real.count() > 0 {
                    out.push(problem(
                        f,
                        &location(half, body, &leaf.pointer),
                        "secret/sensitive-member",
                        format!("{half} body {} ({what}) holds JSON whose values are neither pseudonyms nor placeholders: re-record it or replace them by hand", leaf.pointer),
                    ));
                }
                continue;
            }
            let problem_text = match (leaf.spot, leaf.class, recognise(&text)) {
                (Spot::Key(_), _, _) => Some(format!(
                    "{half} body {}: an object key inside a sensitive value ({what}); recording refuses these",
                    leaf.pointer
                )),
                _ if harmless(&leaf) => None,
                (_, Class::Secret, Some(Recognised::Placeholder(_))) => None,
                (_, Class::Secret, Some(Recognised::Pseudonym(_))) => Some(format!(
                    "{half} body {} ({what}) is a secret but holds a pseudonym, which is derived from its value; use a placeholder such as 'tapedeck_redacted'",
                    leaf.pointer
                )),
                (_, Class::Identifier, Some(_)) => None,
                (_, Class::Identifier, None) if authored || text.starts_with(SYNTHETIC) => None,
                (_, class, None) => Some(format!(
                    "{half} body {} ({what}, {} characters) holds a value that is neither a {}: re-record it (tapedeck record replaces sensitive values) or replace it by hand (docs/fixture-format.md#placeholders-and-pseudonyms)",
                    leaf.pointer,
                    text.chars().count(),
                    match class {
                        Class::Secret => "placeholder nor a pseudonym; a secret must be a placeholder",
                        Class::Identifier => "pseudonym nor a placeholder",
                    }
                )),
            };
            if let Some(message) = problem_text {
                out.push(problem(
                    f,
                    &location(half, body, &leaf.pointer),
                    "secret/sensitive-member",
                    message,
                ));
            }
        }
    }
    out
}

/// The keys leading to a body member, for its line: `["request", "body",
/// "Username"]`; a `body_text` is located as a whole.
fn location<'a>(half: &'a str, body: &Body, pointer: &'a str) -> Vec<&'a str> {
    if !matches!(body, Body::Json(_)) {
        return vec![half, "body_text"];
    }
    let mut path = vec![half, "body"];
    path.extend(
        pointer
            .split('/')
            .skip(1)
            .filter(|s| !s.chars().all(|c| c.is_ascii_digit())),
    );
    path
}
