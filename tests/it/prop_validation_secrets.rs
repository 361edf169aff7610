//! Property: no validation result ever contains the value of a sensitive
//! member — not the AWS message, not tapedeck's description, not a violation's
//! text, not the `Debug` of the result — for random bodies of every operation
//! whose input holds something sensitive (passwords, tokens, sessions, codes,
//! usernames, attribute values, client ids, auth parameter maps), at any depth.
//!
//! Each body is generated from the model (tests/it/support/bodies.rs), then every
//! sensitive path of the operation (`Operation::sensitive_input`) gets a planted
//! secret: a too long, empty, valid or wrongly typed value (a number, a list, a
//! map holding the secret), so that it breaks length, pattern, type and the
//! constraints of the collections around it.

use proptest::prelude::*;
use serde_json::{json, Value};
use tapedeck::contract::model;
use tapedeck::contract::{validate, Validation};

use crate::support::{bodies, planted, proptest_config};

const MARK: &str = "Zq7SECRET";

/// A secret of one of several forms, all containing [`MARK`].
fn secret(form: u8, n: usize) -> Value {
    let long = format!("{MARK}{}", "x".repeat(n * 97 % 3000));
    match form % 7 {
        0 => json!(format!("{MARK}-{n}")),
        1 => json!(long),
        2 => json!(format!("{MARK} with spaces\tand\ncontrols")),
        3 => json!([format!("{MARK}-in-a-list")]),
        4 => json!({ "k": format!("{MARK}-in-a-map") }),
        5 => json!({ format!("{MARK}-as-a-key"): "v" }),
        _ => json!(format!("{MARK}{}", "é".repeat(n % 300))),
    }
}

fn texts(v: &Validation) -> Vec<String> {
    let mut out = v.violation_texts();
    out.extend(v.message());
    out.extend(v.describe());
    out.push(format!("{v:?}"));
    out
}

proptest! {
    #![proptest_config(proptest_config::config())]

    #[test]
    fn validation_never_shows_a_sensitive_value(
        which in any::<prop::sample::Index>(),
        seed in any::<u64>(),
        forms in prop::collection::vec(any::<u8>(), 8),
        n in 0usize..5000,
    ) {
        let ops = bodies::sensitive_operations();
        let op = ops[which.index(ops.len())];
        let mut rng = bodies::Rng(seed);
        let mut body = bodies::generate(&mut rng, op.input.unwrap(), 0);
        if !body.is_object() {
            body = json!({});
        }
        for (i, path) in op.sensitive_input().iter().enumerate() {
            planted::plant(&mut body, &path.steps, secret(forms[i % forms.len()], n + i));
        }
        let result = validate(op, &body);
        for text in texts(&result) {
            prop_assert!(!text.contains(MARK), "{}: {} shows a secret: {}", op.name, body, text);
        }
    }
}

#[test]
fn most_operations_with_secrets_are_covered() {
    // The property draws from these; the model has dozens.
    assert!(
        bodies::sensitive_operations().len() >= 60,
        "{}",
        bodies::sensitive_operations().len()
    );
}

/// The property can fail: a non-sensitive member with the mark does show.
#[test]
fn a_non_sensitive_value_is_shown() {
    let op = model::get().operation("ListUsers").unwrap();
    let v = validate(op, &json!({"UserPoolId": MARK}));
    assert!(texts(&v).iter().any(|t| t.contains(MARK)), "{v:?}");
}
