//! Redaction of freshly recorded exchanges (`tapedeck::fixture::redact::redact`):
//! header allowlist, pseudonyms, account ids, and the fail-closed final checks.

use base64::Engine as _;
use serde_json::{json, Value};
use tapedeck::contract::model::{self, flagship};
use tapedeck::contract::{validate, Constraint, Validation};
use tapedeck::fixture::redact::{
    redact, RedactConfig, RedactError, Redactions, ACCOUNT_PLACEHOLDER, DEFAULT_HEADER_ALLOWLIST,
};
use tapedeck::fixture::sensitive::pseudonym;
use tapedeck::fixture::RequestKey;
use tapedeck::fixture::{load_embedded, to_canonical_string, Body, Fixture, HeaderValue};

const KEY: &str = "AKIAQWERTYUIOPASDFGH";

/// The pseudonym of a username.
fn user_p(user: &str) -> String {
    pseudonym(user, model::get().shape_named("UsernameType"))
}

/// The pseudonym of a device key (`--redact-field /DeviceKey`).
fn key_p(key: &str) -> String {
    pseudonym(key, model::get().shape_named("DeviceKeyType"))
}

/// Puts a secret somewhere in a fixture.
type Plant = fn(&mut Fixture);

fn reference(id: &str) -> Fixture {
    load_embedded("reference")
        .expect("the reference corpus loads")
        .into_iter()
        .find(|l| l.fixture.id == id)
        .unwrap_or_else(|| panic!("no reference fixture {id}"))
        .fixture
}

fn one(v: &str) -> HeaderValue {
    HeaderValue::One(v.to_owned())
}

fn names(headers: &tapedeck::fixture::Headers) -> Vec<&str> {
    headers.keys().map(String::as_str).collect()
}

/// `unknown-user` with a real-looking username echoed by the response message.
fn echoing(username: &str) -> Fixture {
    let mut f = reference("unknown-user");
    f.request.body.as_json_mut().unwrap()["Username"] = json!(username);
    f.variables.insert("username".into(), username.into());
    f.response.body = Body::from_bytes(
        serde_json::to_string(&json!({
            "__type": "UserNotFoundException",
            "message": format!("User {username} does not exist."),
        }))
        .unwrap()
        .as_bytes(),
    );
    f
}

fn request_json(f: &Fixture) -> Value {
    f.request
        .body
        .json()
        .expect("request body is JSON")
        .into_owned()
}

fn constraints(v: &Validation) -> Vec<Constraint> {
    match v {
        Validation::Invalid(vs) => vs.iter().map(|v| v.constraint.clone()).collect(),
        _ => vec![],
    }
}

#[test]
fn headers_outside_the_allowlist_are_dropped_on_both_halves() {
    let mut f = reference("unknown-user");
    for (name, value) in [
        ("host", "cognito-idp.us-east-1.amazonaws.com"),
        ("x-amz-date", "20261126T010000Z"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAABCDEFGHIJKLMNOP/20261126/us-east-1/cognito-idp/aws4_request"),
        ("x-amz-security-token", "FwoGZXIvYXdzEXAMPLE"),
        ("user-agent", "Boto3/1.35.0"),
        ("X-Trace-Id", "trace-1"),
    ] {
        f.request.headers.insert(name.into(), one(value));
    }
    for (name, value) in [
        ("x-amzn-requestid", "1b2c"),
        ("date", "Thu, 26 Nov 2026 01:00:00 GMT"),
        ("set-cookie", "session=abc"),
        ("content-length", "60"),
    ] {
        f.response.headers.insert(name.into(), one(value));
    }
    let config = RedactConfig {
        extra_headers: vec!["X-Trace-ID".into()],
        ..RedactConfig::default()
    };
    let done = redact(&mut f, &config).expect("redacts");
    assert_eq!(
        names(&f.request.headers),
        ["content-type", "x-amz-target", "x-trace-id"]
    );
    assert_eq!(f.request_header("x-trace-id"), Some("trace-1"));
    assert_eq!(
        names(&f.response.headers),
        ["content-type", "x-amzn-errormessage", "x-amzn-errortype"]
    );
    assert_eq!(
        done.dropped_headers,
        [
            "authorization",
            "content-length",
            "date",
            "host",
            "set-cookie",
            "user-agent",
            "x-amz-date",
            "x-amz-security-token",
            "x-amzn-requestid",
        ]
    );
    let text = to_canonical_string(&f);
    assert!(
        !text.contains("AKIA") && !text.contains("session=abc"),
        "{text}"
    );
}

#[test]
fn default_allowlist_keeps_every_listed_header() {
    let mut f = reference("unknown-user");
    for name in DEFAULT_HEADER_ALLOWLIST {
        f.response.headers.insert((*name).to_owned(), one("v"));
    }
    let done = redact(&mut f, &RedactConfig::default()).unwrap();
    assert!(
        done.dropped_headers.is_empty(),
        "{:?}",
        done.dropped_headers
    );
    assert_eq!(f.response.headers.len(), DEFAULT_HEADER_ALLOWLIST.len());
}

#[test]
fn username_is_pseudonymised_in_request_and_echoing_response_consistently() {
    let user = "alice@example.com";
    let p = user_p(user);
    assert_eq!(
        p, "pseudonym_48835f09f743@example.invalid",
        "an e-mail stays an e-mail"
    );

    let mut a = echoing(user);
    assert!(
        a.response.body.as_json().is_some(),
        "compact JSON is stored as body"
    );
    let done = redact(&mut a, &RedactConfig::default()).unwrap();
    assert_eq!(done.pseudonymised, 1);
    assert_eq!(request_json(&a)["Username"], json!(p));
    let message = a.response.body.as_json().expect("still stored as body")["message"].clone();
    assert_eq!(message, json!(format!("User {p} does not exist.")));
    assert_eq!(a.variables["username"], p);
    assert!(!to_canonical_string(&a).contains("alice"));

    // A second fixture with the same user, its request as boto3 writes it (body_text).
    let mut b = reference("device-already-forgotten");
    b.variables.insert("username".into(), user.into());
    let boto3 = format!(
        r#"{{"UserPoolId": "us-east-1_TapeDeck1", "Username": "{user}", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}}"#
    );
    b.request.body = Body::from_bytes(boto3.as_bytes());
    assert!(b.request.body.as_text().is_some());
    redact(&mut b, &RedactConfig::default()).unwrap();
    assert_eq!(
        b.request.body.as_text(),
        Some(boto3.replace(user, &p).as_str()),
        "spacing and key order are kept, only the value changes"
    );
    assert_eq!(b.variables["username"], p);
}

#[test]
fn identical_requests_keep_identical_match_keys() {
    let user = "bob.smith";
    let mut a = echoing(user);
    let mut b = echoing(user);
    let body = serde_json::to_string(a.request.body.as_json().unwrap()).unwrap();
    b.request.body = Body::from_bytes(body.replace(",", ", ").as_bytes());
    assert!(b.request.body.as_text().is_some());
    let before = RequestKey::of(&a);
    assert_eq!(before, RequestKey::of(&b));
    redact(&mut a, &RedactConfig::default()).unwrap();
    redact(&mut b, &RedactConfig::default()).unwrap();
    assert_eq!(RequestKey::of(&a), RequestKey::of(&b));
    assert_ne!(
        RequestKey::of(&a),
        before,
        "the key is computed over the pseudonym"
    );

    let mut again = echoing(user);
    redact(&mut again, &RedactConfig::default()).unwrap();
    assert_eq!(again, a, "redaction is deterministic");
}

#[test]
fn pseudonyms_are_stable_across_builds() {
    // Pinned: changing these changes the match keys of every committed fixture.
    assert_eq!(user_p("tapedeck-user"), "pseudonym_4200c2cfb977");
    assert_eq!(
        key_p("us-east-1_0a1b2c3d-0000-4000-8000-000000000001"),
        "pseudonym_d63efbbf21a9"
    );
    assert_eq!(key_p("not-a-device-key"), "pseudonym-0ae0860c56a0");
    assert_eq!(pseudonym("v", None), "pseudonym_bc33edf96fa2");
    assert_ne!(user_p("a"), user_p("b"));
    assert_eq!(
        user_p("a"),
        pseudonym("a", model::get().shape_named("AttributeValueType")),
        "the same value has the same pseudonym in every member"
    );
}

#[test]
fn keep_usernames_leaves_usernames_alone() {
    let user = "alice@example.com";
    let mut f = echoing(user);
    let original = f.clone();
    let config = RedactConfig {
        keep_usernames: true,
        ..RedactConfig::default()
    };
    let done = redact(&mut f, &config).unwrap();
    assert_eq!(done.pseudonymised, 0);
    assert_eq!(f, original);

    // An explicit /Username field still wins.
    let config = RedactConfig {
        keep_usernames: true,
        redact_fields: vec!["/Username".into()],
        ..RedactConfig::default()
    };
    redact(&mut f, &config).unwrap();
    assert_eq!(request_json(&f)["Username"], json!(user_p(user)));
}

#[test]
fn redact_fields_pseudonymise_device_keys_everywhere() {
    let config = RedactConfig {
        redact_fields: vec!["/DeviceKey".into()],
        ..RedactConfig::default()
    };
    // A malformed key: echoed by the message and by expected_violations.
    let mut f = reference("malformed-device-key");
    let p = key_p("not-a-device-key");
    let done = redact(&mut f, &config).unwrap();
    assert_eq!(done.pseudonymised, 2, "username and device key");
    assert_eq!(request_json(&f)["DeviceKey"], json!(p));
    assert_eq!(f.variables["device_key"], p);
    let message = f.response.body.json().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(&format!("Value '{p}' at 'deviceKey'")),
        "{message}"
    );
    assert!(f.expected_violations[0].contains(&p));
    assert_eq!(
        validate(flagship(), &request_json(&f)).violation_texts(),
        f.expected_violations
    );
    assert!(!to_canonical_string(&f).contains("not-a-device-key"));

    // A well-formed key gets a well-formed pseudonym.
    let mut f = reference("unknown-device-key");
    redact(&mut f, &config).unwrap();
    let key = request_json(&f)["DeviceKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pseudonym_"), "{key}");
    assert_eq!(validate(flagship(), &request_json(&f)), Validation::Valid);
}

#[test]
fn every_reference_fixture_redacts_and_keeps_its_contract() {
    let config = RedactConfig {
        redact_fields: vec!["/DeviceKey".into(), "/UserPoolId".into()],
        ..RedactConfig::default()
    };
    let fixtures = load_embedded("reference").unwrap();
    assert!(fixtures.len() >= 10);
    for loaded in fixtures {
        let mut f = loaded.fixture.clone();
        let id = f.id.clone();
        redact(&mut f, &config).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            validate(flagship(), &request_json(&f)).violation_texts(),
            f.expected_violations,
            "{id}: the request breaks the same constraints as before"
        );
        assert_eq!(
            f.response.body.as_json().is_some(),
            loaded.fixture.response.body.as_json().is_some(),
            "{id}: storage form kept"
        );
        let text = to_canonical_string(&f);
        for var in ["username", "device_key", "user_pool_id"] {
            if let Some(original) = loaded.fixture.variables.get(var) {
                assert!(
                    !text.contains(original.as_str()),
                    "{id}: {var} left in\n{text}"
                );
            }
        }
    }
}

#[test]
fn account_ids_in_arns_are_replaced_in_bodies_headers_and_variables() {
    let account = "123456789012";
    let mut f = reference("access-denied");
    let message = f.response.body.json().unwrap()["message"]
        .as_str()
        .unwrap()
        .replace(ACCOUNT_PLACEHOLDER, account);
    assert_eq!(message.matches(account).count(), 2);
    f.response.body.as_json_mut().unwrap()["message"] = json!(message);
    f.variables.insert("account_id".into(), account.into());
    f.response.headers.insert(
        "x-amzn-query-error".into(),
        one(&format!(
            "arn:aws-cn:sts::{account}:assumed-role/tapedeck/x;Sender"
        )),
    );
    assert!(!tapedeck::fixture::redact::scan(&to_canonical_string(&f)).is_empty());

    let done = redact(&mut f, &RedactConfig::default()).unwrap();
    assert_eq!(done.account_ids, 4);
    let text = to_canonical_string(&f);
    assert!(!text.contains(account), "{text}");
    assert_eq!(f.variables["account_id"], ACCOUNT_PLACEHOLDER);
    assert_eq!(
        f.response_header("x-amzn-query-error"),
        Some("arn:aws-cn:sts::000000000000:assumed-role/tapedeck/x;Sender")
    );
    assert!(f.response.body.as_json().is_some());
    assert!(tapedeck::fixture::redact::scan(&text).is_empty());
}

/// Cognito repeats the message in `x-amzn-errormessage`: the header is kept,
/// and what redaction replaces in the body it replaces there too, in raw and in
/// escaped form, so no username or account id reaches the fixture through it.
#[test]
fn the_error_message_header_is_kept_and_rewritten_like_the_body() {
    let user = "alice&bob@example.com";
    let p = user_p(user);
    let account = "123456789012";
    let mut f = echoing(user);
    let message = format!("User {user} does not exist.");
    f.response.headers.insert(
        "x-amzn-errormessage".into(),
        HeaderValue::Many(vec![
            message.clone(),
            // The same value HTML-escaped, and an ARN with an account id.
            "User alice&amp;bob@example.com does not exist.".into(),
            format!("User: arn:aws:iam::{account}:user/{user} is not authorized"),
        ]),
    );
    let done = redact(&mut f, &RedactConfig::default()).expect("redacts");
    assert_eq!(done.pseudonymised, 1);
    assert_eq!(done.account_ids, 1);
    let kept: Vec<&str> = f.response.headers["x-amzn-errormessage"].values().collect();
    assert_eq!(
        kept,
        [
            format!("User {p} does not exist."),
            format!("User {p} does not exist."),
            format!("User: arn:aws:iam::000000000000:user/{p} is not authorized"),
        ]
    );
    assert_eq!(
        f.response.body.json().unwrap()["message"],
        json!(kept[0]),
        "the header still equals the body's message"
    );
    let text = to_canonical_string(&f);
    for secret in ["alice", account] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

#[test]
fn account_ids_in_a_text_body_are_replaced() {
    let mut f = reference("access-denied");
    let html = "<html><p>arn:aws:iam::210987654321:user/x</p></html>";
    f.response.body = Body::from_bytes(html.as_bytes());
    let done = redact(&mut f, &RedactConfig::default()).unwrap();
    assert_eq!(done.account_ids, 1);
    assert_eq!(
        f.response.body.as_text(),
        Some("<html><p>arn:aws:iam::000000000000:user/x</p></html>")
    );
}

#[test]
fn forbidden_extra_headers_are_refused() {
    for name in [
        "authorization",
        "Authorization",
        "x-amz-security-token",
        "X-Amz-Date",
        "x-amz-content-sha256",
        "cookie",
        "Set-Cookie",
    ] {
        let mut f = reference("unknown-user");
        let original = f.clone();
        let config = RedactConfig {
            extra_headers: vec!["x-ok".into(), name.into()],
            ..RedactConfig::default()
        };
        match redact(&mut f, &config) {
            Err(RedactError::ForbiddenHeader { name: got }) => {
                assert_eq!(got, name.to_ascii_lowercase())
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(f, original, "nothing changed on error");
    }
    let config = RedactConfig {
        extra_headers: vec!["bad header".into()],
        ..RedactConfig::default()
    };
    assert!(matches!(
        redact(&mut reference("unknown-user"), &config),
        Err(RedactError::InvalidHeaderName { .. })
    ));
}

#[test]
fn bad_pointers_are_refused_with_their_name() {
    for pointer in ["DeviceKey", "", "/a~2b", "/Device~"] {
        let config = RedactConfig {
            redact_fields: vec!["/DeviceKey".into(), pointer.into()],
            ..RedactConfig::default()
        };
        let err = redact(&mut reference("unknown-user"), &config).unwrap_err();
        match &err {
            RedactError::InvalidPointer { pointer: got, .. } => assert_eq!(got, pointer),
            other => panic!("{pointer:?}: {other:?}"),
        }
        assert!(err.to_string().contains(&format!("'{pointer}'")), "{err}");
    }
    // Escapes are fine, and a pointer that finds nothing is not an error.
    let config = RedactConfig {
        redact_fields: vec!["/a~1b/c~0d".into(), "/Nested/0/Key".into()],
        ..RedactConfig::default()
    };
    redact(&mut reference("unknown-user"), &config).unwrap();
}

#[test]
fn a_planted_access_key_fails_closed_without_repeating_it() {
    let cases: [(&str, Plant); 5] = [
        ("allowed request header", |f| {
            f.request.headers.insert(
                "content-type".into(),
                one(&format!("application/x-amz-json-1.1; k={KEY}")),
            );
        }),
        ("extra header", |f| {
            f.response.headers.insert("x-debug".into(), one(KEY));
        }),
        ("response body", |f| {
            f.response.body.as_json_mut().unwrap()["message"] =
                json!(format!("key {KEY} is invalid"));
        }),
        ("response body_text", |f| {
            f.response.body = Body::from_bytes(format!("<p>{KEY}</p>").as_bytes());
        }),
        ("response body_base64", |f| {
            let mut bytes = vec![0xff, 0xfe, b' '];
            bytes.extend_from_slice(KEY.as_bytes());
            f.response.body = Body::from_bytes(&bytes);
            assert!(matches!(f.response.body, Body::Base64(_)));
        }),
    ];
    let config = RedactConfig {
        extra_headers: vec!["x-debug".into()],
        ..RedactConfig::default()
    };
    for (place, plant) in cases {
        let mut f = reference("unknown-user");
        plant(&mut f);
        let before = f.clone();
        let err = redact(&mut f, &config).expect_err(place);
        let RedactError::SecretFound { rule, line, .. } = &err else {
            panic!("{place}: {err:?}");
        };
        assert_eq!(*rule, "secret/access-key-id", "{place}");
        assert!(*line > 1, "{place}: line {line}");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(
                !shown.contains(KEY) && !shown.contains(&KEY[4..]),
                "{place}: {shown}"
            );
        }
        assert!(err.to_string().contains("secret/access-key-id"), "{err}");
        assert_eq!(f, before, "{place}: fixture untouched on error");
    }
}

#[test]
fn secret_found_names_the_line_of_the_secret() {
    let mut f = reference("unknown-user");
    f.response.body.as_json_mut().unwrap()["message"] = json!(format!("key {KEY}"));
    let text = to_canonical_string(&f);
    let expected = text[..text.find(KEY).unwrap()].matches('\n').count() + 1;
    match redact(&mut f, &RedactConfig::default()) {
        Err(RedactError::SecretFound { line, others, .. }) => {
            assert_eq!(line, expected);
            assert_eq!(others, 0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pseudonymised_usernames_stay_valid_for_the_model() {
    for user in [
        "tapedeck-user",
        "zoë.o'brien+test@example.com",
        "用户",
        "x",
        &"u".repeat(128),
    ] {
        let mut f = echoing(user);
        assert_eq!(
            validate(flagship(), &request_json(&f)),
            Validation::Valid,
            "{user}"
        );
        redact(&mut f, &RedactConfig::default()).unwrap();
        let got = request_json(&f)["Username"].as_str().unwrap().to_owned();
        assert_ne!(got, user);
        assert_eq!(
            validate(flagship(), &request_json(&f)),
            Validation::Valid,
            "{user} → {got}"
        );
    }
    // Invalid usernames stay invalid in the same way.
    for user in [
        "has space",
        &"u".repeat(129),
        &format!("{} tab", "u".repeat(200)),
    ] {
        let body =
            json!({"UserPoolId": "us-east-1_A1", "Username": user, "DeviceKey": "us-east-1_0a"});
        let p = user_p(user);
        let mut after = body.clone();
        after["Username"] = json!(p);
        assert_ne!(constraints(&validate(flagship(), &body)), vec![]);
        assert_eq!(
            constraints(&validate(flagship(), &body)),
            constraints(&validate(flagship(), &after)),
            "{p}"
        );
        assert_eq!(
            validate(flagship(), &body).violation_texts(),
            validate(flagship(), &after).violation_texts()
        );
    }
}

#[test]
fn base64_bodies_are_left_alone_but_checked() {
    let mut f = reference("unknown-user");
    let bytes = [0xffu8, 0xfe, 0x00, b'o', b'k'];
    f.response.body = Body::from_bytes(&bytes);
    let stored = f.response.body.clone();
    redact(&mut f, &RedactConfig::default()).unwrap();
    assert_eq!(f.response.body, stored);

    // A binary body that holds the username cannot be rewritten: refuse it.
    let mut f = echoing("carol");
    let mut bytes = vec![0xffu8, 0xfe, b' '];
    bytes.extend_from_slice(b"user carol");
    f.response.body = Body::Base64(base64::engine::general_purpose::STANDARD.encode(&bytes));
    let err = redact(&mut f, &RedactConfig::default()).unwrap_err();
    assert!(
        matches!(&err, RedactError::ValueRemains { kind, location } if kind == "UsernameType" && location == "response body, at its binary (body_base64) bytes"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("carol"), "{err}");
}

#[test]
fn empty_and_null_usernames_are_left_alone_and_wrong_types_redacted() {
    for value in [json!(""), Value::Null, json!(true)] {
        let mut f = reference("unknown-user");
        f.variables.remove("username");
        f.request.body.as_json_mut().unwrap()["Username"] = value.clone();
        let original = f.clone();
        let done = redact(&mut f, &RedactConfig::default()).unwrap();
        assert_eq!(done, Redactions::default(), "{value}");
        assert_eq!(f, original, "{value}");
    }
    // A number where the username belongs becomes 0; strings inside a list are
    // pseudonymised; a key inside an object cannot be rewritten: refused.
    for (value, expected) in [
        (json!(42), Some(json!(0))),
        (json!(["a"]), Some(json!([user_p("a")]))),
        (json!({"a": "b"}), None),
    ] {
        let mut f = reference("unknown-user");
        f.variables.remove("username");
        f.request.body.as_json_mut().unwrap()["Username"] = value.clone();
        match (redact(&mut f, &RedactConfig::default()), expected) {
            (Ok(_), Some(want)) => assert_eq!(request_json(&f)["Username"], want, "{value}"),
            (Err(RedactError::ValueRemains { kind, location }), None) => {
                assert_eq!(kind, "UsernameType");
                assert_eq!(location, "request body, at an object key in /Username");
            }
            (other, _) => panic!("{value}: {other:?}"),
        }
    }
}

#[test]
fn text_bodies_are_rewritten_in_every_escaped_form() {
    let user = "tom&jerry";
    let p = user_p(user);
    let mut f = echoing(user);
    f.response.body = Body::from_bytes(
        b"<html><p>No user tom&amp;jerry</p><script>var u = \"tom&jerry\";</script></html>",
    );
    redact(&mut f, &RedactConfig::default()).unwrap();
    assert_eq!(
        f.response.body.as_text(),
        Some(format!("<html><p>No user {p}</p><script>var u = \"{p}\";</script></html>").as_str())
    );

    // JSON text with an escaped value and odd spacing: decoded, replaced, spacing kept.
    let mut f = echoing("alice");
    f.response.body = Body::from_bytes(
        br#"{ "__type" : "UserNotFoundException", "message" : "User \u0061lice does not exist." }"#,
    );
    redact(&mut f, &RedactConfig::default()).unwrap();
    let p = user_p("alice");
    assert_eq!(
        f.response.body.as_text(),
        Some(format!(r#"{{ "__type" : "UserNotFoundException", "message" : "User {p} does not exist." }}"#).as_str())
    );
}

#[test]
fn only_whole_occurrences_are_replaced() {
    let user = "bob";
    let p = user_p(user);
    let mut f = echoing(user);
    f.response.body.as_json_mut().unwrap()["message"] = json!("bobcat and bob, not bob_2 (bob)");
    redact(&mut f, &RedactConfig::default()).unwrap();
    assert_eq!(
        f.response.body.as_json().unwrap()["message"],
        json!(format!("bobcat and {p}, not bob_2 ({p})"))
    );
}

#[test]
fn a_value_left_in_an_object_key_is_refused() {
    let mut f = echoing("dave");
    f.response.body = Body::Json(json!({"__type": "X", "dave": true}));
    let err = redact(&mut f, &RedactConfig::default()).unwrap_err();
    assert!(
        matches!(&err, RedactError::ValueRemains { location, .. } if location == "response body, at an object key in /"),
        "{err:?}"
    );
}

#[test]
fn a_bare_account_id_from_variables_is_replaced_everywhere() {
    let account = "123456789012";
    let mut f = reference("unknown-user");
    f.variables.insert("account_id".into(), account.into());
    f.response.body.as_json_mut().unwrap()["message"] = json!(format!(
        "Account {account} is not allowed; 1234567890123 is not an account"
    ));
    let done = redact(&mut f, &RedactConfig::default()).unwrap();
    assert_eq!(
        done.account_ids, 2,
        "variable and message; the 13-digit number is left"
    );
    assert_eq!(f.variables["account_id"], ACCOUNT_PLACEHOLDER);
    assert_eq!(
        f.response.body.as_json().unwrap()["message"],
        json!("Account 000000000000 is not allowed; 1234567890123 is not an account")
    );
}
