//! `lint` checks each fixture against its own operation: the target must name
//! an operation of the model, the request is validated against that operation's
//! input, and an authored fixture's error type must be one the operation
//! declares or a common AWS error.

use serde_json::{json, Value};
use tapedeck::fixture;
use tapedeck::lint::{lint, Problem};

const PREFIX: &str = "AWSCognitoIdentityProviderService";

fn fixture(
    id: &str,
    operation: &str,
    request: Value,
    expected: &[&str],
    response: Value,
    authored: bool,
) -> Value {
    let provenance = if authored {
        json!({"kind": "authored", "basis": ["the cognito-idp service model"]})
    } else {
        json!({"kind": "recorded", "endpoint": "test", "recorded_at": "2026-01-01T00:00:00Z", "tool": "test"})
    };
    let mut f = json!({
        "tapedeck": 1,
        "id": id,
        "description": "test",
        "provenance": provenance,
        "request": {
            "method": "POST", "path": "/",
            "headers": {"content-type": "application/x-amz-json-1.1", "x-amz-target": format!("{PREFIX}.{operation}")},
            "body": request
        },
        "response": {"status": 400, "headers": {"content-type": "application/x-amz-json-1.1"}, "body": response}
    });
    if !expected.is_empty() {
        f["expected_violations"] = json!(expected);
    }
    f
}

/// The model problems lint finds (the authored fixtures here cite their source
/// the old way, which the provenance rules report: not this file's concern).
fn problems(fixtures: &[Value]) -> Vec<Problem> {
    let dir = tempfile::tempdir().unwrap();
    for f in fixtures {
        let path = dir
            .path()
            .join(format!("{}.json", f["id"].as_str().unwrap()));
        std::fs::write(path, serde_json::to_string_pretty(f).unwrap() + "\n").unwrap();
    }
    lint(fixture::read_path(dir.path()).unwrap())
        .problems
        .into_iter()
        .filter(|p| p.rule.starts_with("model/"))
        .collect()
}

const RANGE: &str = "Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60";

#[test]
fn requests_are_validated_against_their_own_operation() {
    let invalid = json!({"__type": "InvalidParameterException", "message": format!("1 validation error detected: {RANGE}")});
    let declared = fixture(
        "declared",
        "ListUserPools",
        json!({"MaxResults": 61}),
        &[RANGE],
        invalid.clone(),
        false,
    );
    assert_eq!(problems(&[declared]), vec![]);

    let undeclared = fixture(
        "undeclared",
        "ListUserPools",
        json!({"MaxResults": 61}),
        &[],
        invalid,
        false,
    );
    let found = problems(&[undeclared]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "model/expected-violations");
    assert!(found[0].message.contains(RANGE), "{}", found[0].message);
    assert!(
        !found[0].message.contains("deviceKey"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_target_must_name_an_operation_of_the_model() {
    let f = fixture(
        "nope",
        "ListUserPool",
        json!({"MaxResults": 1}),
        &[],
        json!({}),
        false,
    );
    let found = problems(&[f]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "model/request");
    assert!(
        found[0]
            .message
            .contains("names no operation of the cognito-idp model"),
        "{}",
        found[0].message
    );
}

#[test]
fn authored_error_types_are_the_operations_own_or_common() {
    let request = json!({"UserPoolId": "us-east-1_Ab1", "Username": "u"});
    let own = fixture(
        "own",
        "AdminGetUser",
        request.clone(),
        &[],
        json!({"__type": "UserNotFoundException", "message": "User does not exist."}),
        true,
    );
    let common = fixture(
        "common",
        "AdminGetUser",
        json!({"UserPoolId": "us-east-1_Ab2", "Username": "u"}),
        &[],
        json!({"__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid."}),
        true,
    );
    let foreign = fixture(
        "foreign",
        "AdminGetUser",
        json!({"UserPoolId": "us-east-1_Ab3", "Username": "u"}),
        &[],
        json!({"__type": "UsernameExistsException", "message": "User account already exists"}),
        true,
    );
    let found = problems(&[own, common, foreign]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "model/error-type");
    assert!(found[0].file.ends_with("foreign.json"), "{}", found[0].file);
    assert_eq!(
        found[0].message,
        "error type 'UsernameExistsException' is neither an error AdminGetUser declares nor a common AWS error"
    );
}
