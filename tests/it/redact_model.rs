//! Model-driven redaction (`fixture::redact` with `fixture::sensitive`): each
//! sensitive shape is replaced by the form its class calls for, map entries
//! key by key, placeholders keep the shape valid (a JWT stays a decodable
//! JWT), pseudonyms are consistent across exchanges, and whatever redaction
//! cannot rewrite refuses the write without naming the value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rstest::rstest;
use serde_json::{json, Value};
use tapedeck::contract::model;
use tapedeck::contract::validate;
use tapedeck::fixture::redact::{redact, RedactConfig, RedactError};
use tapedeck::fixture::sensitive::{
    placeholder, recognise, PlaceholderForm, PseudonymForm, Recognised,
};
use tapedeck::fixture::{to_canonical_string, Body, Fixture, HeaderValue};

/// A recorded fixture of `operation` with these bodies.
pub fn exchange(operation: &str, request: &Value, response: &Value) -> Fixture {
    let text = json!({
        "tapedeck": 1,
        "id": "x",
        "description": "test",
        "provenance": {"kind": "recorded", "endpoint": "127.0.0.1:1", "recorded_at": "2026-11-30T00:00:00Z", "tool": "tapedeck test"},
        "request": {"method": "POST", "path": "/", "headers": {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": format!("AWSCognitoIdentityProviderService.{operation}")}},
        "response": {"status": 200, "headers": {"content-type": "application/x-amz-json-1.1"}},
    });
    let mut f: Fixture = serde_json::from_value(text).unwrap();
    f.request.body = Body::from_bytes(request.to_string().as_bytes());
    f.response.body = Body::from_bytes(response.to_string().as_bytes());
    f
}

fn bodies(f: &Fixture) -> (Value, Value) {
    (
        f.request.body.json().unwrap().into_owned(),
        f.response.body.json().unwrap().into_owned(),
    )
}

fn done(mut f: Fixture) -> Fixture {
    redact(&mut f, &RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    f
}

fn pseudonym(v: &Value) -> PseudonymForm {
    match v.as_str().and_then(recognise) {
        Some(Recognised::Pseudonym(form)) => form,
        other => panic!("{v} is not a pseudonym: {other:?}"),
    }
}

fn placeholder_form(v: &Value) -> PlaceholderForm {
    match v.as_str().and_then(recognise) {
        Some(Recognised::Placeholder(form)) => form,
        other => panic!("{v} is not a placeholder: {other:?}"),
    }
}

fn jwt(claims: Value) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", part(json!({"alg": "RS256"})), part(claims))
}

const POOL: &str = "us-east-1_Abc123";

/// One row per sensitive shape: (operation, request, response, pointer into
/// the request or response, whether the replacement is a pseudonym).
#[rstest]
#[case::username("AdminGetUser", json!({"UserPoolId": POOL, "Username": "alice"}), json!({"Username": "alice"}), "/Username", true)]
#[case::attribute_value("AdminCreateUser", json!({"UserPoolId": POOL, "Username": "u1", "UserAttributes": [{"Name": "email", "Value": "alice@example.org"}]}), json!({}), "/UserAttributes/0/Value", true)]
#[case::client_id("DescribeUserPoolClient", json!({"UserPoolId": POOL, "ClientId": "4tq1b5c7d9e2f3g4h5i6j7k8l9"}), json!({}), "/ClientId", true)]
#[case::session_ip("AdminListUserSessions", json!({"UserPoolId": POOL, "Username": "u1"}), json!({"Sessions": [{"LastIPAddress": "192.0.2.44"}]}), "/Sessions/0/LastIPAddress", true)]
#[case::password("AdminSetUserPassword", json!({"UserPoolId": POOL, "Username": "u1", "Password": "Hunter2-Hunter2"}), json!({}), "/Password", false)]
#[case::token("GetUser", json!({"AccessToken": jwt(json!({"sub": "alice"}))}), json!({"Username": "u1"}), "/AccessToken", false)]
#[case::derived_token("GetDerivedToken", json!({"ClientId": "c1", "SubjectToken": "opaque-subject-token", "SubjectTokenType": "urn:x"}), json!({}), "/SubjectToken", false)]
#[case::session("RespondToAuthChallenge", json!({"ClientId": "c1", "ChallengeName": "SMS_MFA", "Session": "AYABeJ8xN0rFq2c5y5Y9dAxx"}), json!({}), "/Session", false)]
#[case::secret_hash("ForgotPassword", json!({"ClientId": "c1", "Username": "u1", "SecretHash": "q1w2e3r4t5y6u7i8o9p0abc="}), json!({}), "/SecretHash", false)]
#[case::client_secret("CreateUserPoolClient", json!({"UserPoolId": POOL, "ClientName": "app"}), json!({"UserPoolClient": {"ClientSecret": "1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p"}}), "/UserPoolClient/ClientSecret", false)]
#[case::secret_code("AssociateSoftwareToken", json!({}), json!({"SecretCode": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}), "/SecretCode", false)]
#[case::user_code("VerifySoftwareToken", json!({"UserCode": "482913"}), json!({"Status": "SUCCESS"}), "/UserCode", false)]
#[case::auth_parameters("AdminInitiateAuth", json!({"UserPoolId": POOL, "ClientId": "c1", "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": {"PASSWORD": "Hunter2-Hunter2"}}), json!({}), "/AuthParameters/PASSWORD", false)]
#[case::challenge_responses("RespondToAuthChallenge", json!({"ClientId": "c1", "ChallengeName": "SMS_MFA", "ChallengeResponses": {"SMS_MFA_CODE": "123456"}}), json!({}), "/ChallengeResponses/SMS_MFA_CODE", false)]
#[case::user_context_data("InitiateAuth", json!({"ClientId": "c1", "AuthFlow": "USER_SRP_AUTH", "UserContextData": {"EncodedData": "fingerprint-data"}}), json!({}), "/UserContextData/EncodedData", false)]
fn each_sensitive_shape_is_replaced_by_its_class_s_form(
    #[case] operation: &str,
    #[case] request: Value,
    #[case] response: Value,
    #[case] pointer: &str,
    #[case] identifier: bool,
) {
    let original = exchange(operation, &request, &response);
    let (before_req, before_resp) = bodies(&original);
    let f = done(original);
    let (req, resp) = bodies(&f);
    let (before, after) = match req.pointer(pointer) {
        Some(v) => (before_req.pointer(pointer).unwrap(), v),
        None => (
            before_resp.pointer(pointer).unwrap(),
            resp.pointer(pointer).unwrap(),
        ),
    };
    assert_ne!(before, after, "{operation} {pointer}");
    if identifier {
        pseudonym(after);
    } else {
        placeholder_form(after);
    }
    let text = to_canonical_string(&f);
    assert!(!text.contains(before.as_str().unwrap()), "{text}");
    // Validation of the stored request is what it was of the original.
    let op = model::get().operation(operation).unwrap();
    assert_eq!(
        validate(op, &req).violation_texts(),
        validate(op, &before_req).violation_texts(),
        "{operation}: {req}"
    );
    assert_eq!(f.expected_violations, validate(op, &req).violation_texts());
}

#[test]
fn identifiers_keep_their_shape() {
    let sub = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let f = done(exchange(
        "AdminGetUser",
        &json!({"UserPoolId": POOL, "Username": sub}),
        &json!({"Username": sub, "UserAttributes": [
            {"Name": "sub", "Value": sub},
            {"Name": "email", "Value": "Zoë.O'Brien+test@example.co.uk"},
            {"Name": "phone_number", "Value": "+447700900123"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:tier", "Value": "1"},
            {"Name": "locale", "Value": ""},
        ]}),
    ));
    let (req, resp) = bodies(&f);
    let attrs = &resp["UserAttributes"];
    assert_eq!(pseudonym(&req["Username"]), PseudonymForm::Uuid);
    assert_eq!(
        req["Username"], attrs[0]["Value"],
        "the same value, the same pseudonym"
    );
    assert_eq!(resp["Username"], req["Username"]);
    assert!(uuid::Uuid::parse_str(attrs[0]["Value"].as_str().unwrap()).is_ok());
    assert_eq!(pseudonym(&attrs[1]["Value"]), PseudonymForm::Email);
    assert!(attrs[1]["Value"]
        .as_str()
        .unwrap()
        .ends_with("@example.invalid"));
    assert_eq!(pseudonym(&attrs[2]["Value"]), PseudonymForm::Phone);
    assert!(attrs[2]["Value"].as_str().unwrap().starts_with("+999"));
    assert_eq!(
        attrs[3]["Value"], "true",
        "values that identify nobody stay"
    );
    assert_eq!(attrs[5]["Value"], "");
    assert_eq!(
        pseudonym(&attrs[4]["Value"]),
        PseudonymForm::Text,
        "short values are replaced where they are"
    );
    assert_eq!(
        f.request_header("content-type"),
        Some("application/x-amz-json-1.1"),
        "'1' is not replaced as a word"
    );
}

#[test]
fn map_entries_are_classified_key_by_key() {
    let f = done(exchange(
        "AdminRespondToAuthChallenge",
        &json!({"UserPoolId": POOL, "ClientId": "c1", "ChallengeName": "SELECT_MFA_TYPE", "ChallengeResponses": {
            "USERNAME": "alice", "ANSWER": "SMS_MFA", "SECRET_HASH": "h4sh", "DEVICE_KEY": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
            "SOMETHING_NEW": "value-nobody-listed", "userAttributes.email": "alice@example.org"}}),
        &json!({"ChallengeName": "SMS_MFA", "Session": "s".repeat(40)}),
    ));
    let (req, resp) = bodies(&f);
    let r = &req["ChallengeResponses"];
    assert_eq!(pseudonym(&r["USERNAME"]), PseudonymForm::Text);
    assert_eq!(r["ANSWER"], "SMS_MFA", "a challenge name hides nothing");
    assert_eq!(
        resp["ChallengeName"], "SMS_MFA",
        "and is not rewritten elsewhere"
    );
    assert_eq!(r["SECRET_HASH"], "tapedeck_redacted_secret_hash");
    assert_eq!(
        r["SOMETHING_NEW"], "tapedeck_redacted_something_new",
        "unknown keys are secrets"
    );
    assert_eq!(pseudonym(&r["DEVICE_KEY"]), PseudonymForm::Text);
    assert_eq!(pseudonym(&r["userAttributes.email"]), PseudonymForm::Email);
    assert_eq!(placeholder_form(&resp["Session"]), PlaceholderForm::Text);

    // --keep-usernames keeps USERNAME entries too, and nothing else.
    let mut f = exchange(
        "AdminInitiateAuth",
        &json!({"UserPoolId": POOL, "ClientId": "c1", "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": "pw-alice-1"}}),
        &json!({}),
    );
    let config = RedactConfig {
        keep_usernames: true,
        ..RedactConfig::default()
    };
    redact(&mut f, &config).unwrap();
    let (req, _) = bodies(&f);
    assert_eq!(req["AuthParameters"]["USERNAME"], "alice");
    assert_eq!(
        req["AuthParameters"]["PASSWORD"],
        "tapedeck_redacted_password"
    );
    assert_eq!(pseudonym(&req["ClientId"]), PseudonymForm::Text);
}

#[test]
fn a_placeholder_jwt_decodes_and_hides_every_claim() {
    let access =
        jwt(json!({"sub": "alice-sub", "username": "alice", "email": "alice@example.org"}));
    let f = done(exchange(
        "AdminInitiateAuth",
        &json!({"UserPoolId": POOL, "ClientId": "c1", "AuthFlow": "ADMIN_USER_PASSWORD_AUTH"}),
        &json!({"AuthenticationResult": {"AccessToken": access, "IdToken": jwt(json!({"sub": "bob"})),
                "RefreshToken": "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.a.b.c.d", "ExpiresIn": 3600}}),
    ));
    let (_, resp) = bodies(&f);
    let result = &resp["AuthenticationResult"];
    assert_eq!(
        placeholder_form(&result["AccessToken"]),
        PlaceholderForm::Jwt
    );
    assert_eq!(
        result["AccessToken"], result["IdToken"],
        "constant: not derived from the token"
    );
    assert_eq!(
        placeholder_form(&result["RefreshToken"]),
        PlaceholderForm::Jwe
    );
    assert_eq!(result["ExpiresIn"], 3600);
    let token = result["AccessToken"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], "https://tapedeck.invalid");
    assert!(claims["exp"].as_u64().unwrap() > 4_000_000_000);
    let text = to_canonical_string(&f);
    for leak in ["alice", "bob", "example.org"] {
        assert!(!text.contains(leak), "{leak}");
    }
}

#[test]
fn a_secret_repeated_elsewhere_is_replaced_there_too() {
    let mut f = exchange(
        "AdminSetUserPassword",
        &json!({"UserPoolId": POOL, "Username": "u1", "Password": "Hunter2-Hunter2"}),
        &json!({"__type": "InvalidPasswordException", "message": "Password Hunter2-Hunter2 is too weak"}),
    );
    f.response.headers.insert(
        "x-amzn-errormessage".into(),
        HeaderValue::One("Password Hunter2%2DHunter2 is too weak".replace("%2D", "-")),
    );
    let f = done(f);
    let (_, resp) = bodies(&f);
    assert_eq!(
        resp["message"],
        "Password tapedeck_redacted_password is too weak"
    );
    assert_eq!(
        f.response_header("x-amzn-errormessage"),
        Some("Password tapedeck_redacted_password is too weak")
    );
}

#[test]
fn identifiers_echoed_in_challenge_parameters_and_provider_details_are_replaced() {
    let f = done(exchange(
        "AdminInitiateAuth",
        &json!({"UserPoolId": POOL, "ClientId": "c1", "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": "pw-alice-1"}}),
        &json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ChallengeParameters": {
            "USER_ID_FOR_SRP": "7c1e2f3a-sub-of-alice",
            "userAttributes": "{\"email_verified\":\"true\",\"email\":\"alice@example.org\"}",
            "requiredAttributes": "[]"}}),
    ));
    let (_, resp) = bodies(&f);
    let params = &resp["ChallengeParameters"];
    pseudonym(&params["USER_ID_FOR_SRP"]);
    let attrs: Value = serde_json::from_str(params["userAttributes"].as_str().unwrap()).unwrap();
    assert_eq!(attrs["email_verified"], "true");
    assert_eq!(pseudonym(&attrs["email"]), PseudonymForm::Email);
    assert_eq!(params["requiredAttributes"], "[]");

    let f = done(exchange(
        "DescribeIdentityProvider",
        &json!({"UserPoolId": POOL, "ProviderName": "Google"}),
        &json!({"IdentityProvider": {"ProviderName": "Google", "ProviderDetails": {
            "client_id": "1234.apps.googleusercontent.com", "client_secret": "GOCSPX-real-secret-value"}}}),
    ));
    let (_, resp) = bodies(&f);
    let details = &resp["IdentityProvider"]["ProviderDetails"];
    assert_eq!(details["client_secret"], "tapedeck_redacted_value");
    assert_eq!(details["client_id"], "1234.apps.googleusercontent.com");
}

#[test]
fn redaction_is_deterministic_consistent_and_idempotent() {
    let a = done(exchange(
        "AdminCreateUser",
        &json!({"UserPoolId": POOL, "Username": "carol", "UserAttributes": [{"Name": "email", "Value": "carol@example.org"}]}),
        &json!({"User": {"Username": "carol"}}),
    ));
    let b = done(exchange(
        "ListUsers",
        &json!({"UserPoolId": POOL}),
        &json!({"Users": [{"Username": "carol", "Attributes": [{"Name": "email", "Value": "carol@example.org"}]}]}),
    ));
    let (ra, _) = bodies(&a);
    let (_, rb) = bodies(&b);
    assert_eq!(
        ra["Username"], rb["Users"][0]["Username"],
        "across exchanges"
    );
    assert_eq!(
        ra["UserAttributes"][0]["Value"],
        rb["Users"][0]["Attributes"][0]["Value"]
    );
    let again = done(a.clone());
    assert_eq!(again, a, "redacting a redacted fixture changes nothing");
}

#[test]
fn an_unknown_operation_is_redacted_by_member_name() {
    let f = done(exchange(
        "SomeFutureOperation",
        &json!({"UserPoolId": POOL, "NewPassword": "Hunter2-Hunter2", "Nested": {"user_name": "dave", "OneTimeCode": "992817"}}),
        &json!({"RefreshToken": "opaque-refresh-token-value", "Status": "OK"}),
    ));
    let (req, resp) = bodies(&f);
    placeholder_form(&req["NewPassword"]);
    pseudonym(&req["Nested"]["user_name"]);
    placeholder_form(&req["Nested"]["OneTimeCode"]);
    placeholder_form(&resp["RefreshToken"]);
    assert_eq!(req["UserPoolId"], POOL);
    assert_eq!(resp["Status"], "OK");
}

/// Redaction refuses what it cannot rewrite, naming the kind and place, never
/// the value, and leaves the fixture as it was.
#[rstest]
#[case::key_inside_a_sensitive_value(
    "AdminSetUserPassword",
    json!({"UserPoolId": POOL, "Username": "u1", "Password": {"Hunter2-Hunter2": 1}}),
    json!({}),
    None,
    "request body, at an object key in /Password"
)]
#[case::secret_as_a_key_in_the_answer(
    "AdminSetUserPassword",
    json!({"UserPoolId": POOL, "Username": "u1", "Password": "Hunter2-Hunter2"}),
    json!({"Hunter2-Hunter2": "seen"}),
    None,
    "response body, at an object key in /"
)]
#[case::secret_inside_a_longer_word(
    "AdminSetUserPassword",
    json!({"UserPoolId": POOL, "Username": "u1", "Password": "Hunter2-Hunter2"}),
    json!({"message": "xHunter2-Hunter2x"}),
    None,
    "response body, at /message"
)]
#[case::secret_in_a_binary_answer(
    "AdminSetUserPassword",
    json!({"UserPoolId": POOL, "Username": "u1", "Password": "Hunter2-Hunter2"}),
    json!(null),
    Some(b"\xff\xfe password Hunter2-Hunter2".as_slice()),
    "response body, at its binary (body_base64) bytes"
)]
fn what_redaction_cannot_rewrite_refuses_the_write(
    #[case] operation: &str,
    #[case] request: Value,
    #[case] response: Value,
    #[case] binary: Option<&[u8]>,
    #[case] location: &str,
) {
    let mut f = exchange(operation, &request, &response);
    if let Some(bytes) = binary {
        f.response.body = Body::from_bytes(bytes);
        assert!(matches!(f.response.body, Body::Base64(_)));
    }
    let before = f.clone();
    let err = redact(&mut f, &RedactConfig::default()).unwrap_err();
    match &err {
        RedactError::ValueRemains { kind, location: at } => {
            assert_eq!(kind, "PasswordType");
            assert_eq!(at, location);
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("Hunter2"), "{err}");
    assert_eq!(f, before, "untouched");
}

#[test]
fn a_protocol_header_holding_a_value_refuses_the_write() {
    let mut f = exchange(
        "AdminGetUser",
        &json!({"UserPoolId": POOL, "Username": "json"}),
        &json!({}),
    );
    let err = redact(&mut f, &RedactConfig::default()).unwrap_err();
    assert!(
        matches!(&err, RedactError::ValueRemains { kind, location } if kind == "UsernameType" && location.starts_with("'request', at /headers/content-type")),
        "{err:?}"
    );
}

#[test]
fn a_request_body_that_is_not_json_is_refused_where_secrets_belong() {
    let mut f = exchange("AdminSetUserPassword", &json!({}), &json!({}));
    f.request.body = Body::from_bytes(b"Password=Hunter2-Hunter2&Username=u1");
    let err = redact(&mut f, &RedactConfig::default()).unwrap_err();
    assert!(
        matches!(&err, RedactError::Unparseable { half: "request", operation } if operation == "AdminSetUserPassword"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("Hunter2"));
    // An operation whose input holds nothing sensitive records any body.
    let mut f = exchange("ListUserPools", &json!({}), &json!({}));
    f.request.body = Body::from_bytes(b"not json");
    redact(&mut f, &RedactConfig::default()).unwrap();
}

#[test]
fn every_secret_shape_has_a_valid_recognised_placeholder() {
    let m = model::get();
    for shape in m.sensitive_shapes().filter(|s| s.is_scalar()) {
        let value = "x".repeat(shape.min.unwrap_or(1).max(1) as usize);
        let p = placeholder(&shape.name, None, Some(shape), &value);
        assert!(recognise(&p).is_some(), "{}: {p}", shape.name);
    }
}
