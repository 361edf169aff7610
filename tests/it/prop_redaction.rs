//! Properties of recording, over random request and response bodies of every
//! operation whose input or output holds something sensitive, with a value
//! planted at every sensitive path (tests/it/support/planted.rs):
//!
//! - no planted value survives into the written fixture, and `lint` finds
//!   nothing in it; or, when a planted value sits in an object key, nothing
//!   is written at all;
//! - placeholders and pseudonyms keep the request valid: the stored request
//!   passes the model's validation whenever the original did, and its
//!   `expected_violations` are its own.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use tapedeck::contract::validate;
use tapedeck::fixture;
use tapedeck::fixture::redact::{RedactConfig, RedactError};
use tapedeck::record::{Exchange, RecordError, Recorded, Recorder, RecorderConfig};

use crate::support::planted::{planted, sensitive_operations, Planted};
use crate::support::{bodies, proptest_config, CT};

fn exchange(p: &Planted) -> Exchange {
    let mut request_headers = HeaderMap::new();
    request_headers.insert("content-type", HeaderValue::from_static(CT));
    request_headers.insert(
        "x-amz-target",
        HeaderValue::from_str(&p.operation.target).unwrap(),
    );
    let mut response_headers = HeaderMap::new();
    response_headers.insert("content-type", HeaderValue::from_static(CT));
    Exchange {
        method: "POST".into(),
        path: "/".into(),
        request_headers,
        request_body: Bytes::from(p.request.to_string()),
        status: StatusCode::OK,
        response_headers,
        response_body: Bytes::from(p.response.to_string()),
        region: Some("us-east-1".into()),
        scenario: None,
    }
}

proptest! {
    #![proptest_config(proptest_config::config())]

    #[test]
    fn no_planted_value_survives_into_a_written_fixture(
        which in any::<prop::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let ops = sensitive_operations();
        let op = ops[which.index(ops.len())];
        let p = planted(&mut bodies::Rng(seed), op);
        let dir = tempfile::tempdir().unwrap();
        let recorder = Recorder::new(RecorderConfig {
            out: dir.path().to_owned(),
            overwrite: false,
            redact: RedactConfig::default(),
            endpoint: "127.0.0.1:1".into(),
        });
        let result = recorder.record(&exchange(&p));
        let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        if p.in_key {
            prop_assert!(
                matches!(result, Err(RecordError::Redact(RedactError::ValueRemains { .. }))),
                "{}: a planted key must refuse the write: {result:?}", op.name
            );
            prop_assert!(written.is_empty(), "{written:?}");
            return Ok(());
        }
        prop_assert!(matches!(result, Ok(Recorded::Written { .. })), "{}: {result:?}", op.name);
        prop_assert_eq!(written.len(), 1);
        let text = std::fs::read_to_string(&written[0]).unwrap();
        for (i, v) in p.values.iter().enumerate() {
            prop_assert!(!text.contains(v.as_str()), "{}: planted value #{} was written", op.name, i);
        }
        let report = tapedeck::lint::lint(fixture::read_path(dir.path()).unwrap());
        let problems: Vec<String> = report.problems.iter().map(|p| format!("{}: {}", p.rule, p.message)).collect();
        prop_assert!(report.is_clean(), "{}: {problems:#?}", op.name);

        // Placeholders and pseudonyms keep the request as valid as it was.
        let stored = fixture::load_path(dir.path()).unwrap().remove(0).fixture;
        let stored_request = stored.request.body.json().unwrap().into_owned();
        let after = validate(op, &stored_request);
        prop_assert_eq!(&stored.expected_violations, &after.violation_texts());
        if validate(op, &p.request).is_valid() {
            prop_assert!(after.is_valid(), "{}: {:?}", op.name, after.violation_texts());
        }
    }
}

#[test]
fn the_generator_plants_every_form_in_many_operations() {
    assert!(
        sensitive_operations().len() >= 80,
        "{}",
        sensitive_operations().len()
    );
    let mut keys = 0;
    let mut shapes = std::collections::BTreeSet::new();
    for seed in 0..400 {
        for op in sensitive_operations().into_iter().step_by(7) {
            let p = planted(&mut bodies::Rng(seed), op);
            keys += usize::from(p.in_key);
            let text = format!("{} {}", p.request, p.response);
            // Each value is in the bodies, or (a JWT's mark) inside a planted JWT.
            let claims: String = p
                .values
                .iter()
                .filter_map(|v| v.split('.').nth(1))
                .filter_map(|c| URL_SAFE_NO_PAD.decode(c).ok())
                .map(|c| String::from_utf8_lossy(&c).into_owned())
                .collect();
            for v in &p.values {
                assert!(
                    text.contains(v.as_str()) || claims.contains(v.as_str()),
                    "{}: {v}",
                    op.name
                );
            }
        }
    }
    for op in sensitive_operations() {
        for path in op.sensitive_input().iter().chain(op.sensitive_output()) {
            shapes.insert(path.shape.clone());
        }
    }
    assert!(keys > 0, "the refusal path is exercised");
    assert_eq!(shapes.len(), 15, "{shapes:?}");
}
