//! Property: the fixture record writes for an exchange still replays the
//! request it came from. For random request and response bodies of every
//! operation whose input holds something sensitive (tests/it/support/bodies.rs),
//! with distinct values at the sensitive places (some of the response's
//! identifiers echoing the request's, as a created user's name does), the
//! exchange is redacted as `tapedeck record` redacts it and served by a replay
//! server: the original request matches it, and the answer is the recorded one
//! with the client's own identifiers given back where the response echoed
//! them, and a pseudonym or placeholder at every other sensitive place.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};
use tapedeck::contract::model::Operation;
use tapedeck::fixture::redact::{redact, RedactConfig};
use tapedeck::fixture::sensitive::{is_inert, leaves, recognise, Class, Side, Spot};
use tapedeck::fixture::{
    Body, Compare, Fixture, HeaderValue, Headers, Provenance, Request, Response, CURRENT_VERSION,
};

use crate::support::{bodies, fixtures_dir, proptest_config, serve_dir, CT};

/// Turns every sensitive place of `body` into a string (a sensitive value
/// that is an object or a list becomes one string), and gives each a value of
/// its own — or, with `echo`, sometimes an identifier already in `seen` —
/// recording the identifiers in `seen`.
fn distinct(
    op: &'static Operation,
    side: Side,
    body: &mut Value,
    rng: &mut bodies::Rng,
    seen: &mut Vec<String>,
    echo: bool,
) {
    // Wrongly typed sensitive values become strings first.
    for _ in 0..4 {
        let keys: Vec<String> = leaves(Some(op), side, body)
            .into_iter()
            .filter(|l| matches!(l.spot, Spot::Key(_)))
            .map(|l| l.pointer)
            .collect();
        if keys.is_empty() {
            break;
        }
        for pointer in keys {
            if let Some(v) = body.pointer_mut(&pointer) {
                *v = json!("x");
            }
        }
    }
    let places: Vec<(String, Class)> = leaves(Some(op), side, body)
        .into_iter()
        .map(|l| (l.pointer, l.class))
        .collect();
    for (pointer, class) in places {
        let value = if class == Class::Identifier
            && !seen.is_empty()
            && rng.chance(if echo { 60 } else { 15 })
        {
            rng.pick(seen)
        } else {
            let fresh = format!("idv{}x{:08x}", seen.len(), rng.next() as u32);
            if class == Class::Identifier {
                seen.push(fresh.clone());
            }
            fresh
        };
        if let Some(v) = body.pointer_mut(&pointer) {
            *v = Value::String(value);
        }
    }
}

fn exchange(op: &Operation, request: &Value, response: &Value) -> Fixture {
    let one = |v: &str| HeaderValue::One(v.to_owned());
    let mut request_headers = Headers::new();
    request_headers.insert("content-type".into(), one(CT));
    request_headers.insert("x-amz-target".into(), one(&op.target));
    let mut response_headers = Headers::new();
    response_headers.insert("content-type".into(), one(CT));
    Fixture {
        tapedeck: CURRENT_VERSION,
        id: "exchange".into(),
        scenario: None,
        description: format!("{}, recorded", op.name),
        sequence: None,
        provenance: Provenance::Recorded {
            endpoint: "127.0.0.1:5000".into(),
            recorded_at: "2026-11-30T10:00:00.000Z".into(),
            tool: "tapedeck 0.1.0".into(),
        },
        variables: BTreeMap::new(),
        expected_violations: Vec::new(),
        request: Request {
            method: "POST".into(),
            path: "/".into(),
            headers: request_headers,
            body: Body::from_bytes(&serde_json::to_vec(request).unwrap()),
        },
        response: Response {
            status: 200,
            headers: response_headers,
            body: Body::from_bytes(&serde_json::to_vec(response).unwrap()),
        },
        compare: Compare::default(),
    }
}

/// Sends `request` to a replay server of `fixture`: the journal entry and
/// the answer's JSON.
fn replay(fixture: Fixture, op: &Operation, request: &Value) -> (Value, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = fixtures_dir([&fixture]);
        let server = serve_dir(dir.path()).await;
        let http = crate::support::client();
        let answer = crate::support::send(
            &http,
            server.uri(),
            "POST",
            "/",
            &[("content-type", CT), ("x-amz-target", &op.target)],
            serde_json::to_vec(request).unwrap(),
        )
        .await;
        let journal = crate::support::admin(&http, server.uri(), "journal").await;
        let body = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        (journal["entries"][0].clone(), body)
    })
}

proptest! {
    #![proptest_config(proptest_config::config())]

    #[test]
    fn a_recorded_fixture_replays_the_request_it_came_from(seed in any::<u64>(), pick in any::<prop::sample::Index>()) {
        let ops = bodies::sensitive_operations();
        let op = ops[pick.index(ops.len())];
        let mut rng = bodies::Rng(seed);
        let mut request = bodies::generate(&mut rng, op.input.unwrap(), 0);
        prop_assume!(request.is_object());
        let mut response = match op.output {
            Some(id) => bodies::generate(&mut rng, id, 0),
            None => json!({}),
        };
        prop_assume!(response.is_object());
        let mut sent = Vec::new();
        distinct(op, Side::Request, &mut request, &mut rng, &mut sent, false);
        let mut fresh = sent.clone();
        distinct(op, Side::Response, &mut response, &mut rng, &mut fresh, true);

        let mut fixture = exchange(op, &request, &response);
        let redacted = redact(&mut fixture, &RedactConfig::default());
        prop_assert!(redacted.is_ok(), "{}: redaction refused: {redacted:?}", op.name);
        let written = tapedeck::fixture::to_canonical_string(&fixture);
        for value in &fresh {
            prop_assert!(!written.contains(value.as_str()), "{}: an identifier was written", op.name);
        }

        let (entry, answer) = replay(fixture, op, &request);
        prop_assert_eq!(&entry["outcome"], "matched", "{}: {:#}", op.name, entry);

        // The answer, sensitive place by sensitive place, then the rest.
        let mut expected = response.clone();
        let mut got = answer.clone();
        for leaf in leaves(Some(op), Side::Response, &response) {
            let was = leaf.text().into_owned();
            let is = got.pointer(&leaf.pointer).and_then(Value::as_str).map(str::to_owned);
            let Some(is) = is else {
                prop_assert!(false, "{}: {} missing from the answer", op.name, leaf.pointer);
                unreachable!();
            };
            if sent.contains(&was) && leaf.class == Class::Identifier {
                prop_assert_eq!(&is, &was, "{}: {}: the client's own value back", op.name, &leaf.pointer);
            } else if is_inert(leaf.key, &was) {
                prop_assert_eq!(&is, &was, "{}: {}", op.name, &leaf.pointer);
            } else {
                prop_assert!(recognise(&is).is_some(), "{}: {}: neither given back nor replaced", op.name, leaf.pointer);
            }
            *expected.pointer_mut(&leaf.pointer).unwrap() = json!("(sensitive)");
            *got.pointer_mut(&leaf.pointer).unwrap() = json!("(sensitive)");
        }
        prop_assert_eq!(got, expected, "{}", op.name);
    }
}
