//! `replay --on-miss forward`: serve what is recorded, forward and record what is new.

use std::sync::Arc;

use crate::support::*;
use tapedeck::fixture::redact::RedactConfig;
use tapedeck::fixture::set::SequenceEnd;
use tapedeck::fixture::store;
use tapedeck::record::{Proxy, Recorder, RecorderConfig, Signing, Timeouts, Upstream};
use tapedeck::replay::Settings;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GHOST: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;

#[tokio::test]
async fn recorded_requests_are_served_and_new_ones_forwarded_and_recorded() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("tapedeck-newcomer"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", CT)
                .insert_header("x-amzn-errortype", "UserNotFoundException:")
                .set_body_string(
                    r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#,
                ),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let out = tempfile::tempdir().unwrap();
    let proxy = Proxy {
        upstream: Upstream::new(&upstream.uri(), None, Timeouts::default()).unwrap(),
        recorder: Arc::new(Recorder::new(RecorderConfig {
            out: out.path().to_path_buf(),
            overwrite: false,
            redact: RedactConfig {
                keep_usernames: true,
                ..RedactConfig::default()
            },
            endpoint: "upstream".into(),
        })),
        signing: Signing::PassThrough,
    };
    let settings = Settings {
        on_miss: Some(Arc::new(proxy)),
        ..Settings::default()
    };
    let server = start(reference(), SequenceEnd::RepeatLast, settings).await;
    let http = client();
    let url = server.url();

    // Recorded: answered from the fixture; the upstream is never asked.
    let known = forget(&http, &url, GHOST).await;
    assert_eq!(known.status, 400);
    assert_eq!(known.json()["__type"], "UserNotFoundException");

    // New: forwarded, answered with the upstream's bytes, and recorded.
    let newcomer = GHOST.replace("tapedeck-ghost", "tapedeck-newcomer");
    let fresh = forget(&http, &url, &newcomer).await;
    assert_eq!(fresh.status, 400);
    assert_eq!(fresh.header("x-tapedeck-error"), None);
    assert_eq!(
        fresh.body.as_ref(),
        br#"{"__type":"UserNotFoundException","message":"User does not exist."}"#
    );

    let recorded = store::load_path(out.path()).unwrap();
    assert_eq!(recorded.len(), 1);
    let body = recorded[0]
        .fixture
        .request
        .body
        .json()
        .unwrap()
        .into_owned();
    assert_eq!(body["Username"], "tapedeck-newcomer");

    let journal = admin(&http, &url, "journal").await;
    assert_eq!(journal["entries"][0]["outcome"], "matched");
    assert_eq!(journal["entries"][1]["outcome"], "forwarded");
    let detail = journal["entries"][1]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("recorded as user-not-found-"),
        "{detail}"
    );
    assert_eq!(journal["totals"]["unmatched"], 0);
}

#[test]
fn forward_needs_upstream_and_out() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tapedeck"))
        .args([
            "replay",
            "--listen",
            "127.0.0.1:0",
            "--on-miss",
            "forward",
            "--no-resign",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--upstream") && err.contains("--out"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tapedeck"))
        .args([
            "replay",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--on-miss forward"));
}
