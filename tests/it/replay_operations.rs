//! Replay's contract checks for any operation of the model: the body is
//! validated against the operation the target names, SigV4 is demanded only
//! where the operation's `authtype` is not `none`, a target that names no
//! operation is `awsjson/unknown-operation`, and a fixture's recorded error type
//! must be one its operation declares or a common AWS error.

use serde_json::{json, Value};
use tapedeck::fixture::{parse_fixture, LoadedFixture};
use tapedeck::ReplayServer;

use crate::support::{admin, client, fixtures_dir, send, serve_dir, CT};

const PREFIX: &str = "AWSCognitoIdentityProviderService";
/// A SigV4 Authorization header of the right structure (not verified here).
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000";

/// A fixture for `operation` answering `status` with `response`.
fn fixture(
    id: &str,
    operation: &str,
    request: &Value,
    status: u16,
    response: &Value,
) -> LoadedFixture {
    let error = response.get("__type").and_then(Value::as_str);
    let mut headers = json!({"content-type": CT});
    if let Some(e) = error {
        headers["x-amzn-errortype"] = json!(format!("{e}:"));
    }
    let text = serde_json::to_string_pretty(&json!({
        "tapedeck": 1,
        "id": id,
        "description": "test",
        "provenance": {"kind": "recorded", "endpoint": "test", "recorded_at": "2026-01-01T00:00:00Z", "tool": "test"},
        "request": {
            "method": "POST", "path": "/",
            "headers": {"content-type": CT, "x-amz-target": format!("{PREFIX}.{operation}")},
            "body": request
        },
        "response": {"status": status, "headers": headers, "body": response}
    }))
    .unwrap();
    let fixture = parse_fixture(id, &text).unwrap();
    LoadedFixture {
        origin: format!("{id}.json"),
        set: tapedeck::fixture::SetOrigin::Dir("test".into()),
        text,
        fixture,
    }
}

/// Sends one request to a server of `fixtures` and returns the status and the
/// rules of its journal entry's violations.
async fn rules_of(
    fixtures: Vec<LoadedFixture>,
    operation: &str,
    body: &Value,
    signed: bool,
) -> (u16, Vec<String>) {
    // Without fixtures of its own, the request goes to the reference set of
    // AdminForgetDevice, where nothing matches it either.
    let dir = fixtures_dir(fixtures.iter().map(|l| &l.fixture));
    let server = if fixtures.is_empty() {
        ReplayServer::start().await
    } else {
        serve_dir(dir.path()).await
    };
    let http = client();
    let target = format!("{PREFIX}.{operation}");
    let mut headers = vec![("content-type", CT), ("x-amz-target", target.as_str())];
    if signed {
        headers.push(("authorization", AUTH));
        headers.push(("x-amz-date", "20250101T000000Z"));
    }
    let answer = send(&http, server.uri(), "POST", "/", &headers, body.to_string()).await;
    let journal = admin(&http, server.uri(), "journal").await;
    let rules = journal["entries"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{}: {}",
                v["rule"].as_str().unwrap(),
                v["message"].as_str().unwrap()
            )
        })
        .collect();
    (answer.status.as_u16(), rules)
}

fn has(rules: &[String], rule: &str) -> bool {
    rules.iter().any(|r| r.starts_with(&format!("{rule}:")))
}

#[tokio::test]
async fn authtype_none_operations_are_not_asked_for_sigv4() {
    // ConfirmDevice is authorised by the access token in its body.
    let body = json!({"AccessToken": "token", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"});
    let (status, rules) = rules_of(vec![], "ConfirmDevice", &body, false).await;
    assert_eq!(status, 404);
    assert!(!rules.iter().any(|r| r.starts_with("sigv4/")), "{rules:?}");
    assert!(!has(&rules, "model/validation"), "{rules:?}");
    // AdminGetUser is not.
    let (_, rules) = rules_of(
        vec![],
        "AdminGetUser",
        &json!({"UserPoolId": "us-east-1_Ab1", "Username": "u"}),
        false,
    )
    .await;
    assert!(has(&rules, "sigv4/missing"), "{rules:?}");
}

#[tokio::test]
async fn the_body_is_validated_against_the_operation_the_target_names() {
    let (_, rules) = rules_of(vec![], "ListUserPools", &json!({"MaxResults": 10}), true).await;
    assert!(rules.is_empty(), "{rules:?}");
    let (_, rules) = rules_of(vec![], "ListUserPools", &json!({"MaxResults": 61}), true).await;
    assert_eq!(
        rules,
        ["model/validation: 1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60"]
    );
    let (_, rules) = rules_of(vec![], "ListUserPools", &json!({"MaxResults": "10"}), true).await;
    assert_eq!(
        rules,
        ["model/validation: SerializationException: STRING_VALUE cannot be converted to Integer (at 'maxResults')"]
    );
}

#[tokio::test]
async fn a_target_that_names_no_operation_is_reported() {
    let (_, rules) = rules_of(vec![], "ListUserPool", &json!({"MaxResults": 10}), true).await;
    assert_eq!(
        rules,
        [format!(
            "awsjson/unknown-operation: X-Amz-Target '{PREFIX}.ListUserPool' names no operation of the cognito-idp model (API 2016-04-18); did you mean 'ListUserPools'?"
        )]
    );
}

#[tokio::test]
async fn recorded_error_types_must_be_the_operations_own_or_common() {
    let request = json!({"UserPoolId": "us-east-1_Ab1", "Username": "u"});
    let modelled = fixture(
        "not-found",
        "AdminGetUser",
        &request,
        400,
        &json!({"__type": "UserNotFoundException", "message": "User does not exist."}),
    );
    let (status, rules) = rules_of(vec![modelled], "AdminGetUser", &request, true).await;
    assert_eq!((status, rules.len()), (400, 0), "{rules:?}");

    let common = fixture(
        "throttled",
        "AdminGetUser",
        &request,
        400,
        &json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
    );
    let (_, rules) = rules_of(vec![common], "AdminGetUser", &request, true).await;
    assert!(rules.is_empty(), "{rules:?}");

    // UsernameExistsException is AdminCreateUser's, not AdminGetUser's.
    let foreign = fixture(
        "exists",
        "AdminGetUser",
        &request,
        400,
        &json!({"__type": "UsernameExistsException", "message": "User account already exists"}),
    );
    let (status, rules) = rules_of(vec![foreign], "AdminGetUser", &request, true).await;
    assert_eq!(status, 400, "the recorded answer is served all the same");
    assert_eq!(
        rules,
        ["model/error-type: the fixture answers AdminGetUser with error type 'UsernameExistsException', which is neither an error the model declares for it nor a common AWS error"]
    );
}
