//! The recorder's cost per exchange, without the network: records one exchange
//! N times (the first is written; every further one is built, redacted,
//! scanned and found to be a duplicate, as in `scripts/bench.sh`'s record
//! run). Instructions per exchange are the difference of two callgrind runs
//! divided by N; the numbers are in docs/benchmarks.md:
//!
//! ```text
//! cargo build --release --example record_cost
//! valgrind --tool=callgrind target/release/examples/record_cost auth 0
//! valgrind --tool=callgrind target/release/examples/record_cost auth 100
//! ```
//!
//! `forget` is an AdminForgetDevice that gets UserNotFoundException; `auth` an
//! AdminInitiateAuth answered with an access token, an id token and a refresh
//! token (the largest answers a session records).
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use tapedeck::fixture::redact::RedactConfig;
use tapedeck::record::{Exchange, Recorder, RecorderConfig};

fn jwt(sub: &str) -> String {
    let e = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.{}",
        e(json!({"kid": "abc", "alg": "RS256"})),
        e(
            json!({"sub": sub, "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc", "client_id": "4tq1b5c7d9e2f3g4h5i6j7k8l9", "origin_jti": "f1e2d3c4", "event_id": "a1b2c3d4", "token_use": "access", "scope": "aws.cognito.signin.user.admin", "auth_time": 1767225600, "exp": 1767229200, "iat": 1767225600, "jti": "0f8fad5b-d9cb-469f-a165-70867728950e", "username": "session-user"})
        ),
        "x".repeat(342)
    )
}

fn exchange(which: &str) -> Exchange {
    let (target, request, response) = match which {
        "forget" => ("AdminForgetDevice",
            r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "session-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#.to_owned(),
            r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#.to_owned()),
        _ => ("AdminInitiateAuth",
            json!({"UserPoolId": "us-east-1_Abc", "ClientId": "4tq1b5c7d9e2f3g4h5i6j7k8l9", "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": "session-user", "PASSWORD": "Perm-Passw0rd!2"}}).to_string(),
            json!({"ChallengeParameters": {}, "AuthenticationResult": {"AccessToken": jwt("a1"), "ExpiresIn": 3600, "TokenType": "Bearer",
                   "RefreshToken": format!("eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.{}.{}.{}.{}", "a".repeat(342), "b".repeat(16), "c".repeat(1500), "d".repeat(22)),
                   "IdToken": jwt("a1")}}).to_string()),
    };
    let mut rh = HeaderMap::new();
    rh.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    rh.insert(
        "x-amz-target",
        HeaderValue::from_str(&format!("AWSCognitoIdentityProviderService.{target}")).unwrap(),
    );
    rh.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000"));
    rh.insert("x-amz-date", HeaderValue::from_static("20261130T000000Z"));
    let mut sh = HeaderMap::new();
    sh.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    sh.insert(
        "x-amzn-requestid",
        HeaderValue::from_static("0f8fad5b-d9cb-469f-a165-70867728950e"),
    );
    let status = if which == "forget" { 400 } else { 200 };
    Exchange {
        method: "POST".into(),
        path: "/".into(),
        request_headers: rh,
        request_body: Bytes::from(request),
        status: StatusCode::from_u16(status).unwrap(),
        response_headers: sh,
        response_body: Bytes::from(response),
        region: Some("us-east-1".into()),
        scenario: None,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap();
    let n: usize = args.next().unwrap().parse().unwrap();
    let dir = std::env::temp_dir().join(format!("redact-bench-{}", std::process::id()));
    let recorder = Recorder::new(RecorderConfig {
        out: dir.clone(),
        overwrite: false,
        redact: RedactConfig::default(),
        endpoint: "127.0.0.1:1".into(),
    });
    let x = exchange(&which);
    // Warm: the model, the first write.
    recorder.record(&x).unwrap();
    for _ in 0..n {
        std::hint::black_box(recorder.record(&x).unwrap());
    }
    let _ = std::fs::remove_dir_all(dir);
}
