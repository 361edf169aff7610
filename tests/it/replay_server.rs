//! `tapedeck::ReplayServer` as a Rust test uses it: each method, the
//! builder's options and the errors that name what is at fault, and the
//! strict check when the server is dropped.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde_json::json;
use tapedeck::{Credentials, Outcome, ReplayServer, SequenceEnd, StartError};

use crate::support::*;

/// The first request of the reference set's sequence: 200, then 400 (the
/// device is forgotten).
const FORGET: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
/// A user no fixture has: one field away from `unknown-user`.
const NOBODY: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "nobody", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;

/// The text a panic carried.
fn message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "(not text)".to_owned(), |s| (*s).to_owned()),
    }
}

/// The readable report the server's admin API gives.
async fn readable(server: &ReplayServer) -> String {
    let answer = send(
        &client(),
        server.uri(),
        "GET",
        "/__tapedeck/journal?format=text",
        &[],
        bytes::Bytes::new(),
    )
    .await;
    String::from_utf8(answer.body.to_vec()).unwrap()
}

/// A copy of the reference set in a directory of its own, with `set_file` as
/// its tapedeck-set.json, if any.
fn reference_dir(set_file: Option<&str>) -> tempfile::TempDir {
    let fixtures = reference();
    let dir = fixtures_dir(fixtures.iter().map(|loaded| &loaded.fixture));
    if let Some(text) = set_file {
        std::fs::write(dir.path().join("tapedeck-set.json"), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn start_serves_the_reference_set_on_loopback_at_a_free_port() {
    let a = ReplayServer::start().await;
    let b = ReplayServer::start().await;
    for server in [&a, &b] {
        assert_eq!(server.address().ip().to_string(), "127.0.0.1");
        assert_ne!(server.address().port(), 0);
        let health = admin(&client(), server.uri(), "health").await;
        assert_eq!(health["fixtures"], json!(reference().len()), "{health}");
    }
    assert_ne!(a.address().port(), b.address().port());
    let answer = signed_forget(&client(), a.uri(), FORGET).await;
    assert_eq!(answer.status, 200);
    a.assert_clean();
}

#[tokio::test]
async fn uri_is_the_endpoint_to_point_a_client_at() {
    let server = ReplayServer::start().await;
    assert_eq!(server.uri(), format!("http://{}", server.address()));
    let ghost = FORGET.replace("tapedeck-user", "tapedeck-ghost");
    let answer = signed_forget(&client(), server.uri(), &ghost).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["__type"], "UserNotFoundException");
}

#[test]
fn a_server_and_its_journal_go_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<ReplayServer>();
    shared::<tapedeck::JournalSnapshot>();
    shared::<StartError>();
}

#[tokio::test]
async fn address_is_where_it_listens() {
    let server = ReplayServer::start().await;
    let stream = tokio::net::TcpStream::connect(server.address()).await;
    assert!(stream.is_ok(), "{stream:?}");
    assert!(server.address().ip().is_loopback());
    assert!(format!("{server:?}").contains(server.uri()), "{server:?}");
}

#[tokio::test]
async fn journal_lists_each_request_with_its_outcome_as_the_admin_api_does() {
    let server = ReplayServer::start().await;
    let http = client();
    assert!(server.journal().entries.is_empty());
    assert!(server.journal().is_clean());
    signed_forget(&http, server.uri(), FORGET).await;
    signed_forget(&http, server.uri(), NOBODY).await;
    let journal = server.journal();
    let t = journal.totals;
    assert_eq!((t.requests, t.matched, t.unmatched), (2, 1, 1));
    assert!(!journal.is_clean());
    match &journal.entries[0].outcome {
        Outcome::Matched {
            fixture,
            position,
            of,
        } => assert_eq!(
            (fixture.as_str(), *position, *of),
            ("forget-remembered-device", 1, 2)
        ),
        other => panic!("{other:?}"),
    }
    match &journal.entries[1].outcome {
        Outcome::Unmatched { near_misses } => {
            // Three fixtures are one field away; each differs in the user.
            assert_eq!(near_misses.len(), 3, "{near_misses:?}");
            for near in near_misses {
                assert_eq!(near.differences, 1, "{near:?}");
                assert_eq!(near.diff[0].field, "/Username");
                // A username is sensitive: the journal shows its mask.
                assert_eq!(
                    near.diff[0].got,
                    Some(json!("‹sensitive UsernameType, 6 characters›"))
                );
            }
        }
        other => panic!("{other:?}"),
    }
    // The same JSON as GET /__tapedeck/journal (admin requests are not journaled).
    let shown = admin(&http, server.uri(), "journal").await;
    assert_eq!(serde_json::to_value(&journal).unwrap(), shown);
    // Displayed, it is the readable report.
    assert_eq!(journal.to_string(), readable(&server).await);
}

#[tokio::test]
async fn reset_rewinds_sequences_and_clears_the_journal() {
    let server = ReplayServer::start().await;
    let http = client();
    assert_eq!(signed_forget(&http, server.uri(), FORGET).await.status, 200);
    assert_eq!(signed_forget(&http, server.uri(), FORGET).await.status, 400);
    signed_forget(&http, server.uri(), NOBODY).await;
    server.reset();
    let journal = server.journal();
    assert!(journal.entries.is_empty(), "{journal:?}");
    assert_eq!(journal.totals, tapedeck::Totals::default());
    // The run goes on: its counters are not cleared.
    assert_eq!(journal.run.requests, 3);
    assert_eq!(journal.run.unmatched, 1);
    assert_eq!(signed_forget(&http, server.uri(), FORGET).await.status, 200);
    let journal = server.journal();
    assert_eq!((journal.entries[0].n, journal.entries[0].run_n), (1, 4));
    server.assert_clean();
}

#[tokio::test]
async fn assert_clean_passes_a_clean_run_and_panics_with_the_readable_report() {
    let server = ReplayServer::start().await;
    let http = client();
    server.assert_clean();
    signed_forget(&http, server.uri(), FORGET).await;
    server.assert_clean();
    signed_forget(&http, server.uri(), NOBODY).await;
    let report = readable(&server).await;
    let panicked = catch_unwind(AssertUnwindSafe(|| server.assert_clean()));
    let text = message(panicked.expect_err("an unmatched request fails the check"));
    assert_eq!(text, report);
    assert!(
        text.starts_with("tapedeck: 1 of 2 requests matched no fixture"),
        "{text}"
    );
    assert!(
        text.contains("(1 field differs)\n    /Username\n      expected: \"tapedeck-"),
        "{text}"
    );
    assert!(
        text.contains("\n      got:      ‹sensitive UsernameType, 6 characters›\n"),
        "{text}"
    );
    assert!(!text.contains("nobody"), "{text}");
    // An unsigned request matches, but breaks the contract: that fails it too.
    server.reset();
    forget(&http, server.uri(), FORGET).await;
    let panicked = catch_unwind(AssertUnwindSafe(|| server.assert_clean()));
    let text = message(panicked.expect_err("a contract violation fails the check"));
    assert!(text.contains("sigv4/missing"), "{text}");
}

#[tokio::test]
async fn a_strict_server_dropped_after_an_unmatched_request_panics_with_the_report() {
    let server = ReplayServer::builder().strict(true).start().await.unwrap();
    signed_forget(&client(), server.uri(), NOBODY).await;
    let report = readable(&server).await;
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(server)));
    let text = message(dropped.expect_err("a strict server checks itself when dropped"));
    assert_eq!(text, report);
    assert!(text.contains("no fixture matched"), "{text}");
}

#[tokio::test]
async fn a_clean_strict_server_is_dropped_quietly() {
    let server = ReplayServer::builder().strict(true).start().await.unwrap();
    signed_forget(&client(), server.uri(), FORGET).await;
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(server)));
    assert!(dropped.is_ok());
}

/// As `tapedeck replay --strict` does since issue 19, the run counts: a reset
/// starts a new window for `assert_clean`, and forgives nothing at the end.
#[tokio::test]
async fn a_reset_does_not_hide_an_unmatched_request_from_the_strict_drop_check() {
    let server = ReplayServer::builder().strict(true).start().await.unwrap();
    signed_forget(&client(), server.uri(), NOBODY).await;
    server.reset();
    server.assert_clean();
    signed_forget(&client(), server.uri(), FORGET).await;
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(server)));
    let text = message(dropped.expect_err("the run had an unmatched request"));
    assert!(
        text.contains("1 of the run's 2 requests matched no fixture and 0 broke"),
        "{text}"
    );
    assert!(text.contains("before the last reset"), "{text}");
}

#[tokio::test]
async fn a_server_that_is_not_strict_does_not_check_itself_when_dropped() {
    let server = ReplayServer::start().await;
    signed_forget(&client(), server.uri(), NOBODY).await;
    assert!(catch_unwind(AssertUnwindSafe(move || drop(server))).is_ok());
}

#[tokio::test]
async fn a_strict_server_dropped_while_the_test_panics_lets_the_test_failure_through() {
    let server = ReplayServer::builder().strict(true).start().await.unwrap();
    signed_forget(&client(), server.uri(), NOBODY).await;
    let failed = catch_unwind(AssertUnwindSafe(move || {
        let _server = server;
        panic!("the test's own failure");
    }));
    assert_eq!(message(failed.unwrap_err()), "the test's own failure");
}

#[tokio::test]
async fn builder_fixtures_serves_a_directory_with_its_sequence_end() {
    let dir = reference_dir(Some(r#"{"tapedeck_set": 1, "sequence_end": "error"}"#));
    let server = ReplayServer::builder()
        .fixtures(dir.path())
        .start()
        .await
        .unwrap();
    let http = client();
    let statuses = [
        signed_forget(&http, server.uri(), FORGET).await.status,
        signed_forget(&http, server.uri(), FORGET).await.status,
    ];
    assert_eq!(statuses, [200, 400]);
    let used_up = signed_forget(&http, server.uri(), FORGET).await;
    assert_eq!(used_up.status, 404);
    assert_eq!(
        used_up.header("x-tapedeck-error"),
        Some("sequence-exhausted")
    );

    // sequence_end overrides what the set says.
    let server = ReplayServer::builder()
        .fixtures(dir.path())
        .sequence_end(SequenceEnd::RepeatLast)
        .start()
        .await
        .unwrap();
    for expected in [200, 400, 400] {
        let got = signed_forget(&http, server.uri(), FORGET).await.status;
        assert_eq!(got, expected);
    }
    // And the other way round, for a set that says nothing.
    let server = ReplayServer::builder()
        .sequence_end(SequenceEnd::Error)
        .start()
        .await
        .unwrap();
    for expected in [200, 400, 404] {
        let got = signed_forget(&http, server.uri(), FORGET).await.status;
        assert_eq!(got, expected);
    }
}

#[tokio::test]
async fn builder_embedded_and_fixtures_add_up() {
    let moto = tapedeck::fixture::load_embedded("moto-5.2.5")
        .unwrap()
        .len();
    let one = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/admin-forget-device/reference/not-authorized.json");
    let server = ReplayServer::builder()
        .embedded("moto-5.2.5")
        .fixtures(&one)
        .start()
        .await
        .unwrap();
    let health = admin(&client(), server.uri(), "health").await;
    assert_eq!(health["fixtures"], json!(moto + 1));
    let not_authorized = FORGET.replace("tapedeck-user", "tapedeck-not-authorized");
    let answer = signed_forget(&client(), server.uri(), &not_authorized).await;
    assert_eq!(answer.json()["__type"], "NotAuthorizedException");
    // `embedded:<set>` given as a path names an embedded set, as on the command line.
    let server = ReplayServer::builder()
        .fixtures("embedded:moto-5.2.5")
        .start()
        .await
        .unwrap();
    let health = admin(&client(), server.uri(), "health").await;
    assert_eq!(health["fixtures"], json!(moto));
}

#[tokio::test]
async fn builder_verify_signature_flags_a_wrong_signature() {
    let credentials: Credentials = "AKIDTAPEDECKTEST:test-secret-key".parse().unwrap();
    let server = ReplayServer::builder()
        .verify_signature(credentials)
        .start()
        .await
        .unwrap();
    let http = client();
    signed_forget(&http, server.uri(), FORGET).await;
    server.assert_clean();
    let headers = signed_headers(server.uri(), FORGET, "wrong-secret-key");
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    send(&http, server.uri(), "POST", "/", &refs, FORGET).await;
    let journal = server.journal();
    let rules: Vec<&str> = journal.entries[1]
        .violations
        .iter()
        .map(|v| v.rule.as_str())
        .collect();
    assert_eq!(rules, ["sigv4/signature"]);
    // Without it, only the structure is checked: the wrong secret goes unseen.
    let server = ReplayServer::start().await;
    send(&http, server.uri(), "POST", "/", &refs, FORGET).await;
    server.assert_clean();
}

#[tokio::test]
async fn builder_errors_name_what_is_at_fault() {
    let missing = Path::new("no/such/fixtures");
    let e = ReplayServer::builder()
        .fixtures(missing)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StartError::Load { fixtures, .. } if fixtures == "no/such/fixtures"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("cannot load the fixtures no/such/fixtures: no/such/fixtures: "),
        "{e}"
    );

    let e = ReplayServer::builder()
        .embedded("nope")
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("embedded:nope") && text.contains("reference"),
        "{text}"
    );

    let empty = tempfile::tempdir().unwrap();
    let e = ReplayServer::builder()
        .fixtures(empty.path())
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StartError::NoFixtures { fixtures } if fixtures == &empty.path().display().to_string()),
        "{e:?}"
    );

    let dir = reference_dir(Some(r#"{"tapedeck_set": 1, "sequence_end": "loop"}"#));
    let e = ReplayServer::builder()
        .fixtures(dir.path())
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("tapedeck-set.json") && text.contains("sequence_end"),
        "{text}"
    );
    // Even when the builder says what to do at a sequence's end.
    let e = ReplayServer::builder()
        .fixtures(dir.path())
        .sequence_end(SequenceEnd::Error)
        .start()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("tapedeck-set.json"), "{e}");

    let dir = reference_dir(None);
    let broken = dir.path().join("unknown-user.json");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(
        &broken,
        text.replace("\"status\": 400", "\"status\": \"400\""),
    )
    .unwrap();
    let e = ReplayServer::builder()
        .fixtures(dir.path())
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&format!("{}:", broken.display())) && text.contains("response.status"),
        "{text}"
    );

    // Two fixtures of the same request, neither in a sequence: the index says which.
    let dir = reference_dir(None);
    let mut twin = reference()
        .into_iter()
        .find(|l| l.fixture.id == "unknown-user")
        .unwrap()
        .fixture;
    twin.id = "unknown-user-twin".into();
    tapedeck::fixture::write_atomic(dir.path(), &twin, tapedeck::fixture::Overwrite::Never)
        .unwrap();
    let e = ReplayServer::builder()
        .fixtures(dir.path())
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, StartError::Index { .. }), "{e:?}");
    assert!(
        text.contains("unknown-user.json") && text.contains("unknown-user-twin.json"),
        "{text}"
    );
}

#[tokio::test]
#[should_panic(
    expected = "tapedeck: 1 of 1 request matched no fixture or broke the recorded contract"
)]
async fn a_strict_server_fails_the_test_it_is_dropped_in() {
    let server = ReplayServer::builder().strict(true).start().await.unwrap();
    signed_forget(&client(), server.uri(), NOBODY).await;
}
