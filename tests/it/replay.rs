//! The replay server, live on a random port: byte-exact answers, sequences,
//! near misses, bad input, contract checks, the admin API, and load.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::*;
use rstest::rstest;
use serde_json::{json, Value};
use tapedeck::fixture;
use tapedeck::fixture::SequenceEnd;
use tapedeck::replay::VOLATILE_HEADERS;
use tapedeck::sigv4::Credentials;
use tapedeck::ReplayServer;

const FORGET: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;

/// Every bundled fixture's request, sent as a client would, gets the recorded
/// status, headers and body bytes, with fresh volatile headers.
#[rstest]
#[tokio::test]
async fn each_reference_fixture_round_trips_byte_exact(
    #[files("fixtures/admin-forget-device/reference/*.json")] path: PathBuf,
) {
    let loaded = fixture::load_path(&path).unwrap().remove(0);
    let fx = loaded.fixture.clone();
    let server = ReplayServer::start().await;
    let http = client();
    let body = fx.request.body.bytes().unwrap().into_owned();
    let mut headers: Vec<(&str, &str)> = fx
        .request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.first().unwrap()))
        .collect();
    headers.push(("authorization", "placeholder"));
    let mut answer = None;
    for _ in 0..fx.sequence.unwrap_or(1) {
        answer = Some(
            send(
                &http,
                server.uri(),
                &fx.request.method,
                &fx.request.path,
                &headers,
                body.clone(),
            )
            .await,
        );
    }
    let answer = answer.unwrap();
    assert_eq!(answer.status.as_u16(), fx.response.status, "{}", fx.id);
    assert_eq!(
        answer.body.as_ref(),
        fx.response.body.bytes().unwrap().as_ref(),
        "{}",
        fx.id
    );
    for (name, value) in &fx.response.headers {
        if VOLATILE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let got: Vec<&str> = answer
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let want: Vec<&str> = value.values().collect();
        assert_eq!(got, want, "{}: header {name}", fx.id);
    }
    let id = answer.header("x-amzn-requestid").expect("fresh request id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(
        answer.header("content-length"),
        Some(answer.body.len().to_string().as_str())
    );
    assert!(answer.header("date").is_some());
    let journal = admin(&http, server.uri(), "journal").await;
    let last = journal["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["fixture"], json!(fx.id));
}

#[tokio::test]
async fn request_ids_are_fresh_per_response() {
    let server = ReplayServer::start().await;
    let http = client();
    let ghost = FORGET.replace("tapedeck-user", "tapedeck-ghost");
    let a = forget(&http, server.uri(), &ghost).await;
    let b = forget(&http, server.uri(), &ghost).await;
    assert_eq!(a.body, b.body);
    assert_ne!(a.header("x-amzn-requestid"), b.header("x-amzn-requestid"));
}

#[tokio::test]
async fn matching_ignores_key_order_whitespace_escapes_and_other_headers() {
    let server = ReplayServer::start().await;
    let http = client();
    let reordered = "{\n \"DeviceKey\":\"us-east-1_0a1b2c3d-0000-4000-8000-000000000001\",\"Username\" : \"tapedeck-\\u0067host\",\"UserPoolId\":\"us-east-1_TapeDeck1\"}";
    let answer = send(
        &http,
        server.uri(),
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.1; charset=utf-8"),
            ("x-amz-target", TARGET),
            ("x-amz-date", "20200101T000000Z"),
            ("authorization", "AWS4-HMAC-SHA256 whatever"),
            ("user-agent", "something/1.0"),
        ],
        reordered,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["__type"], "UserNotFoundException");
}

#[tokio::test]
async fn sequences_replay_in_order_then_repeat_the_last_and_reset_rewinds() {
    let server = ReplayServer::start().await;
    let http = client();
    let url = server.uri().to_owned();
    let statuses = |answers: &[Answer]| {
        answers
            .iter()
            .map(|a| a.status.as_u16())
            .collect::<Vec<_>>()
    };
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(forget(&http, &url, FORGET).await);
    }
    assert_eq!(statuses(&answers), [200, 400, 400]);
    assert!(answers[0].body.is_empty());
    assert_eq!(answers[2].json()["__type"], "ResourceNotFoundException");
    let reset = send(&http, &url, "POST", "/__tapedeck/reset", &[], "").await;
    assert_eq!(reset.status, 200);
    assert_eq!(admin(&http, &url, "journal").await["totals"]["requests"], 0);
    assert_eq!(forget(&http, &url, FORGET).await.status, 200);
    // Rewinding only the sequences keeps the journal.
    let only = send(
        &http,
        &url,
        "POST",
        "/__tapedeck/reset?only=sequences",
        &[],
        "",
    )
    .await;
    assert_eq!(only.status, 200);
    assert_eq!(forget(&http, &url, FORGET).await.status, 200);
    assert_eq!(admin(&http, &url, "journal").await["totals"]["requests"], 2);
    let bad = send(
        &http,
        &url,
        "POST",
        "/__tapedeck/reset?only=everything",
        &[],
        "",
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn sequence_end_error_reports_exhaustion() {
    let server = ReplayServer::builder()
        .sequence_end(SequenceEnd::Error)
        .start()
        .await
        .unwrap();
    let http = client();
    let url = server.uri().to_owned();
    assert_eq!(forget(&http, &url, FORGET).await.status, 200);
    assert_eq!(forget(&http, &url, FORGET).await.status, 400);
    let third = forget(&http, &url, FORGET).await;
    assert_eq!(third.status, 404);
    assert_eq!(third.header("x-tapedeck-error"), Some("sequence-exhausted"));
    let journal = admin(&http, &url, "journal").await;
    assert_eq!(journal["entries"][2]["outcome"], "exhausted");
    let rules = journal["entries"][2]["violations"].to_string();
    assert!(rules.contains("replay/sequence-exhausted"), "{rules}");
}

#[tokio::test]
async fn a_miss_lists_the_nearest_fixtures_with_a_field_diff() {
    let server = ReplayServer::start().await;
    let http = client();
    let body = FORGET.replace("tapedeck-user", "tapedeck-ghosty");
    let answer = forget(&http, server.uri(), &body).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.header("x-tapedeck-error"), Some("no-match"));
    insta::assert_json_snapshot!("near-miss-body", answer.json());
    let journal = admin(&http, server.uri(), "journal").await;
    assert_eq!(journal["entries"][0]["outcome"], "unmatched");
    assert_eq!(
        journal["entries"][0]["near_misses"][0]["fixture"],
        "unknown-user"
    );
}

#[tokio::test]
async fn a_wrong_target_ranks_behind_matching_targets_and_is_diffed() {
    let server = ReplayServer::start().await;
    let http = client();
    let answer = send(
        &http,
        server.uri(),
        "POST",
        "/",
        &[
            ("content-type", CT),
            (
                "x-amz-target",
                "AWSCognitoIdentityProviderService.AdminForgetDevices",
            ),
        ],
        FORGET,
    )
    .await;
    assert_eq!(answer.status, 404);
    let near = &answer.json()["near_misses"][0];
    assert_eq!(near["target_matches"], false);
    assert_eq!(near["diff"][0]["field"], "x-amz-target");
    let journal = admin(&http, server.uri(), "journal").await;
    let violations = journal["entries"][0]["violations"].as_array().unwrap();
    let unknown = violations
        .iter()
        .find(|v| v["rule"] == "awsjson/unknown-operation")
        .unwrap_or_else(|| panic!("{violations:?}"));
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .ends_with("did you mean 'AdminForgetDevice'?"),
        "{unknown}"
    );
    // The body is not validated against an operation that does not exist.
    assert!(
        !violations.iter().any(|v| v["rule"] == "model/validation"),
        "{violations:?}"
    );
}

#[rstest]
#[case::wrong_content_type(&[("content-type", "application/json"), ("x-amz-target", TARGET)], FORGET, 400, "content-type")]
#[case::no_content_type(&[("x-amz-target", TARGET)], FORGET, 400, "content-type")]
#[case::missing_target(&[("content-type", CT)], FORGET, 400, "missing-target")]
#[case::invalid_json(&[("content-type", CT), ("x-amz-target", TARGET)], "{\"UserPoolId\": ", 400, "invalid-json")]
#[tokio::test]
async fn non_awsjson_requests_get_a_precise_error(
    #[case] headers: &[(&str, &str)],
    #[case] body: &str,
    #[case] status: u16,
    #[case] kind: &str,
) {
    let server = ReplayServer::start().await;
    let http = client();
    let answer = send(&http, server.uri(), "POST", "/", headers, body.to_owned()).await;
    assert_eq!(answer.status.as_u16(), status);
    assert_eq!(answer.header("x-tapedeck-error"), Some(kind));
    assert_eq!(answer.json()["kind"], kind);
    let journal = admin(&http, server.uri(), "journal").await;
    assert_eq!(journal["entries"][0]["outcome"], "rejected");
    assert_eq!(journal["entries"][0]["kind"], kind);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_get_413() {
    let server = ReplayServer::start().await;
    let http = client();
    let big = format!("{{\"Username\": \"{}\"}}", "a".repeat(1024 * 1024));
    let answer = forget(&http, server.uri(), &big).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.header("x-tapedeck-error"), Some("body-too-large"));
    // The journal says why, as for the other rejections.
    let journal = admin(&http, server.uri(), "journal").await;
    assert_eq!(journal["entries"][0]["outcome"], "rejected");
    assert_eq!(journal["entries"][0]["kind"], "body-too-large");
    assert_eq!(
        journal["entries"][0]["message"],
        answer.json()["message"],
        "{journal}"
    );
    // Exactly at the limit is read (and then simply does not match).
    let at_limit = format!("{{\"U\":\"{}\"}}", "a".repeat(1024 * 1024 - 8));
    assert_eq!(at_limit.len(), 1024 * 1024);
    assert_eq!(forget(&http, server.uri(), &at_limit).await.status, 404);
}

#[tokio::test]
async fn invalid_requests_are_violations_unless_the_fixture_records_them() {
    let server = ReplayServer::start().await;
    let http = client();
    let url = server.uri().to_owned();
    // Recorded on purpose: malformed-device-key expects exactly this violation.
    let malformed = FORGET.replace(
        "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
        "not-a-device-key",
    );
    assert_eq!(forget(&http, &url, &malformed).await.status, 400);
    // Not recorded: a different malformed key is a miss and a validation violation.
    let other = FORGET.replace("us-east-1_0a1b2c3d-0000-4000-8000-000000000001", "nope");
    assert_eq!(forget(&http, &url, &other).await.status, 404);
    let journal = admin(&http, &url, "journal").await;
    let rules = |i: usize| -> Vec<String> {
        journal["entries"][i]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        !rules(0).contains(&"model/validation".to_owned()),
        "{:?}",
        rules(0)
    );
    assert!(
        rules(1).contains(&"model/validation".to_owned()),
        "{:?}",
        rules(1)
    );
    let message = journal["entries"][1]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule"] == "model/validation")
        .unwrap()["message"]
        .clone();
    assert_eq!(
        message,
        json!(
            r"1 validation error detected: Value 'nope' at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-f-]+"
        )
    );
}

#[tokio::test]
async fn verify_signature_accepts_a_correct_client_and_flags_a_wrong_one() {
    let server = ReplayServer::builder()
        .verify_signature(
            "AKIDTAPEDECKTEST:test-secret-key"
                .parse::<Credentials>()
                .unwrap(),
        )
        .start()
        .await
        .unwrap();
    let http = client();
    let url = server.uri().to_owned();
    let ghost = FORGET.replace("tapedeck-user", "tapedeck-ghost");
    for secret in ["test-secret-key", "wrong-secret-key"] {
        let headers = signed_headers(&url, &ghost, secret);
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            send(&http, &url, "POST", "/", &refs, ghost.clone())
                .await
                .status,
            400
        );
    }
    let journal = admin(&http, &url, "journal").await;
    assert_eq!(journal["entries"][0]["violations"], json!([]));
    assert_eq!(
        journal["entries"][1]["violations"][0]["rule"],
        "sigv4/signature"
    );
    let text = journal.to_string();
    assert!(!text.contains("wrong-secret-key") && !text.contains("test-secret-key"));
}

#[tokio::test]
async fn admin_api_lists_fixtures_and_explains_unknown_routes() {
    let server = ReplayServer::start().await;
    let http = client();
    let url = server.uri().to_owned();
    let health = admin(&http, &url, "health").await;
    assert_eq!(
        health,
        json!({"status": "ok", "fixtures": reference().len()})
    );
    let fixtures = admin(&http, &url, "fixtures").await;
    let unknown_user = fixtures
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "unknown-user")
        .unwrap()
        .clone();
    assert_eq!(unknown_user["error_type"], "UserNotFoundException");
    assert_eq!(unknown_user["status"], 400);
    let nope = send(&http, &url, "GET", "/__tapedeck/nope", &[], "").await;
    assert_eq!(nope.status, 404);
    assert!(nope.json()["error"]
        .as_str()
        .unwrap()
        .contains("/__tapedeck/health"));
    let wrong = send(&http, &url, "GET", "/__tapedeck/reset", &[], "").await;
    assert_eq!(wrong.status, 405);
    // Admin requests are not journaled.
    assert_eq!(admin(&http, &url, "journal").await["totals"]["requests"], 0);
}

/// A generated corpus of 10,000 fixtures, each with its own username and status.
fn big_corpus(n: usize) -> (tempfile::TempDir, Vec<tapedeck::fixture::LoadedFixture>) {
    let template = reference()
        .into_iter()
        .find(|f| f.fixture.id == "unknown-user")
        .unwrap()
        .fixture;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let mut f = template.clone();
        f.id = format!("user-{i:05}");
        let body = f.request.body.as_json_mut().unwrap();
        body["Username"] = Value::String(format!("load-user-{i}"));
        f.response.body.as_json_mut().unwrap()["message"] = Value::String(format!("user {i}"));
        fixture::write_atomic(dir.path(), &f, fixture::Overwrite::Never).unwrap();
    }
    let loaded = fixture::load_path(dir.path()).unwrap();
    (dir, loaded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_against_ten_thousand_fixtures_all_match() {
    let (dir, corpus) = big_corpus(10_000);
    assert_eq!(corpus.len(), 10_000);
    let server = serve_dir(dir.path()).await;
    let http = client();
    let url = server.uri().to_owned();
    let mut tasks = Vec::new();
    for k in 0..1000usize {
        let (http, url) = (http.clone(), url.clone());
        let i = (k * 7919) % 10_000;
        tasks.push(tokio::spawn(async move {
            let body = FORGET.replace("tapedeck-user", &format!("load-user-{i}"));
            let answer = forget(&http, &url, &body).await;
            (i, answer.status.as_u16(), answer.json())
        }));
    }
    let run = async {
        for t in tasks {
            let (i, status, body) = t.await.unwrap();
            assert_eq!(status, 400);
            assert_eq!(body["message"], format!("user {i}"));
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("bounded in time");
    let totals = admin(&http, &url, "journal").await["totals"].clone();
    assert_eq!(totals["matched"], 1000);
    assert_eq!(totals["unmatched"], 0);
}

/// The unknown-user request's body, spelled the ways clients spell JSON: each
/// is the same request and gets the recorded answer (compact and botocore's
/// spacing are found by their bytes, the rest by value or canonical key).
#[rstest]
#[case::compact(r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"tapedeck-ghost","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#)]
#[case::botocore(r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#)]
#[case::reordered(r#"{"DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001","Username":"tapedeck-ghost","UserPoolId":"us-east-1_TapeDeck1"}"#)]
#[case::pretty("{\n  \"UserPoolId\" : \"us-east-1_TapeDeck1\",\n  \"Username\" : \"tapedeck-ghost\",\n  \"DeviceKey\" : \"us-east-1_0a1b2c3d-0000-4000-8000-000000000001\"\n}\n")]
#[case::escaped(r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"\u0074apedeck-ghost","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#)]
#[tokio::test]
async fn a_recorded_body_matches_however_it_is_spelled(#[case] body: &str) {
    let server = ReplayServer::start().await;
    let http = client();
    let answer = forget(&http, server.uri(), body).await;
    assert_eq!(answer.status, 400, "{:?}", answer.body);
    assert_eq!(answer.json()["__type"], "UserNotFoundException");
    let journal = admin(&http, server.uri(), "journal").await;
    assert_eq!(
        journal["entries"][0]["fixture"], "unknown-user",
        "{journal}"
    );
}

/// A body that arrives in several pieces (chunked, written apart) is read whole
/// and matched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_in_several_chunks_is_read_whole() {
    use std::io::{Read as _, Write as _};
    let server = ReplayServer::start().await;
    let addr = *server.address();
    let body = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    let text = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {CT}\r\nX-Amz-Target: {TARGET}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        for piece in [&body[..20], &body[20..70], &body[70..]] {
            s.write_all(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes())
                .unwrap();
            s.flush().unwrap();
            std::thread::sleep(Duration::from_millis(30));
        }
        s.write_all(b"0\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("UserNotFoundException"), "{text}");
}

/// `x-amzn-errormessage` goes out once, byte for byte as recorded, including
/// bytes outside ASCII and the quotes, brackets and backslashes messages carry.
#[tokio::test]
async fn the_error_message_header_is_served_byte_for_byte() {
    let message = "1 validation error detected: Value 'ünïcødé \"x\"' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+";
    let mut loaded = reference()
        .into_iter()
        .find(|l| l.fixture.id == "unknown-user")
        .unwrap();
    let headers = &mut loaded.fixture.response.headers;
    headers.insert(
        "x-amzn-errormessage".into(),
        tapedeck::fixture::HeaderValue::One(message.into()),
    );
    let dir = fixtures_dir([&loaded.fixture]);
    let server = serve_dir(dir.path()).await;
    let ghost = FORGET.replace("tapedeck-user", "tapedeck-ghost");
    let answer = forget(&client(), server.uri(), &ghost).await;
    let got: Vec<&[u8]> = answer
        .headers
        .get_all("x-amzn-errormessage")
        .iter()
        .map(http::HeaderValue::as_bytes)
        .collect();
    assert_eq!(got, [message.as_bytes()]);

    // Every reference error fixture sends it, equal to the body's message.
    let server2 = ReplayServer::start().await;
    for f in reference().iter().map(|l| &l.fixture) {
        let Some(body) = f.response.body.json() else {
            continue;
        };
        let recorded = f.response_header("x-amzn-errormessage");
        assert_eq!(
            recorded,
            body.get("message").and_then(Value::as_str),
            "{}: the header repeats the message",
            f.id
        );
    }
    let answer = forget(&client(), server2.uri(), &ghost).await;
    assert_eq!(
        answer.header("x-amzn-errormessage"),
        Some("User does not exist.")
    );
}
