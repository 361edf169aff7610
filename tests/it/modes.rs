//! `replay --mode`: none, once, new-episodes and all, set by the flag or by
//! `TAPEDECK_MODE`, and the CI guard that refuses to reach an upstream when
//! `CI` is set. The upstream is wiremock, which counts what reaches it.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::support::process::{output_within, Server, BIN};
use crate::support::*;
use tapedeck::contract::model;
use tapedeck::fixture::redact::RedactConfig;
use tapedeck::fixture::sensitive::pseudonym;
use tapedeck::fixture::{self, SequenceEnd};
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::record::{Proxy, Recorder, RecorderConfig, Signing};
use tapedeck::replay::Settings;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate, Times};

const GHOST: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
const NOT_FOUND: &str = r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#;

fn newcomer() -> String {
    GHOST.replace("tapedeck-ghost", "tapedeck-newcomer")
}

/// A fake upstream answering every POST with `answer`, expecting `times`
/// requests (checked when it is dropped or verified; `..` for any number).
async fn upstream_expecting(times: impl Into<Times>, answer: ResponseTemplate) -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .expect(times)
        .mount(&upstream)
        .await;
    upstream
}
/// The upstream's answer to an unknown user.
fn user_not_found() -> ResponseTemplate {
    ResponseTemplate::new(400)
        .insert_header("content-type", CT)
        .insert_header("x-amzn-errortype", "UserNotFoundException:")
        .set_body_string(NOT_FOUND)
}

fn proxy(upstream: &MockServer, out: &Path) -> Proxy {
    Proxy {
        upstream: Upstream::new(&upstream.uri(), None, Timeouts::default()).unwrap(),
        recorder: Arc::new(Recorder::new(RecorderConfig {
            out: out.to_path_buf(),
            overwrite: false,
            redact: RedactConfig::default(),
            endpoint: "upstream".into(),
        })),
        signing: Signing::PassThrough,
    }
}

#[tokio::test]
async fn new_episodes_serves_what_it_recorded_in_the_same_run() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("tapedeck-newcomer"))
        .respond_with(user_not_found())
        // The second identical request must be served from the new fixture.
        .expect(1)
        .mount(&upstream)
        .await;
    let out = tempfile::tempdir().unwrap();
    let settings = Settings {
        on_miss: Some(Arc::new(proxy(&upstream, out.path()))),
        serve_recorded: Some(SequenceEnd::RepeatLast.into()),
        ..Settings::default()
    };
    let server = assemble(reference(), settings).await;
    let http = client();
    let url = server.url();

    // Recorded before: answered from the fixture; the upstream is never asked.
    let known = forget(&http, &url, GHOST).await;
    assert_eq!(known.status, 400);
    assert_eq!(known.json()["__type"], "UserNotFoundException");

    // New: forwarded, answered with the upstream's bytes, and recorded.
    let fresh = forget(&http, &url, &newcomer()).await;
    assert_eq!(fresh.status, 400);
    assert_eq!(fresh.header("x-tapedeck-error"), None);
    assert_eq!(fresh.body.as_ref(), NOT_FOUND.as_bytes());
    let recorded = fixture::load_path(out.path()).unwrap();
    assert_eq!(recorded.len(), 1);
    let id = recorded[0].fixture.id.clone();
    let body = recorded[0]
        .fixture
        .request
        .body
        .json()
        .unwrap()
        .into_owned();
    assert_eq!(
        body["Username"],
        pseudonym(
            "tapedeck-newcomer",
            model::get().shape_named("UsernameType")
        )
    );

    // The same request again, in the same run: served from what was recorded,
    // key order and spacing aside.
    let spelled = r#"{"Username":"tapedeck-newcomer","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001","UserPoolId":"us-east-1_TapeDeck1"}"#;
    for body in [newcomer(), spelled.to_owned()] {
        let again = forget(&http, &url, &body).await;
        assert_eq!(again.status, 400);
        assert_eq!(again.body.as_ref(), NOT_FOUND.as_bytes());
    }

    let journal = admin(&http, &url, "journal").await;
    let outcomes: Vec<&str> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["matched", "forwarded", "matched", "matched"]);
    let detail = journal["entries"][1]["detail"].as_str().unwrap();
    assert_eq!(detail, format!("recorded as {id}"));
    assert_eq!(journal["entries"][2]["fixture"], id.as_str());
    assert_eq!(journal["totals"]["unmatched"], 0);
    // The recorded fixture is listed with the others.
    let listed = admin(&http, &url, "fixtures").await;
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str()));
    let health = admin(&http, &url, "health").await;
    assert_eq!(health["fixtures"], reference().len() + 1);
    drop(server);
    upstream.verify().await;
}

#[tokio::test]
async fn without_serve_recorded_every_miss_is_forwarded_again() {
    let upstream = upstream_expecting(2, user_not_found()).await;
    let out = tempfile::tempdir().unwrap();
    let settings = Settings {
        on_miss: Some(Arc::new(proxy(&upstream, out.path()))),
        ..Settings::default()
    };
    let server = assemble(reference(), settings).await;
    let http = client();
    for _ in 0..2 {
        let answer = forget(&http, &server.url(), &newcomer()).await;
        assert_eq!(answer.status, 400);
    }
    drop(server);
    upstream.verify().await;
}

#[tokio::test]
async fn forward_all_forwards_what_the_fixtures_would_answer() {
    let upstream = upstream_expecting(
        2,
        ResponseTemplate::new(200).insert_header("content-type", CT),
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let settings = Settings {
        on_miss: Some(Arc::new(proxy(&upstream, out.path()))),
        forward_all: true,
        ..Settings::default()
    };
    let server = assemble(reference(), settings).await;
    let http = client();
    // The reference set answers the ghost with UserNotFoundException; the
    // upstream says 200, and that is what the client gets, twice.
    for _ in 0..2 {
        assert_eq!(forget(&http, &server.url(), GHOST).await.status, 200);
    }
    let journal = admin(&http, &server.url(), "journal").await;
    assert_eq!(
        journal["totals"]["matched"], 2,
        "forwarded counts as answered"
    );
    assert_eq!(journal["entries"][1]["outcome"], "forwarded");
    drop(server);
    upstream.verify().await;
}

/// `tapedeck replay` with the given arguments, without CI or TAPEDECK_MODE
/// from the environment of the test run.
fn replay(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("replay")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("TAPEDECK_MODE")
        .env_remove("RUST_LOG");
    cmd
}

/// Runs `cmd` to its end: a usage error exits 2 at once; a server that
/// starts shuts down as its standard input (empty) closes, with 0.
fn run(mut cmd: Command) -> (Option<i32>, String) {
    let out = output_within(
        cmd.args(["--listen", "127.0.0.1:0", "--exit-on-stdin-close"]),
        Duration::from_secs(30),
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn set_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn new_episodes_on_the_command_line_records_into_the_fixtures_directory() {
    let upstream = upstream_expecting(1, user_not_found()).await;
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cassette");
    let mut cmd = replay(&["--fixtures", set.to_str().unwrap()]);
    cmd.args(["--upstream", &upstream.uri(), "--no-resign"])
        .env("TAPEDECK_MODE", "new-episodes");
    let server = Server::spawn(cmd, dir.path().join("replay.log"));
    let http = client();
    for _ in 0..3 {
        assert_eq!(forget(&http, &server.url, &newcomer()).await.status, 400);
    }
    let journal = admin(&http, &server.url, "journal").await;
    let outcomes: Vec<&str> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["forwarded", "matched", "matched"]);
    let log = server.log();
    assert!(
        log.contains("--mode new-episodes: requests no fixture matches are forwarded"),
        "{log}"
    );
    drop(server);
    upstream.verify().await;
    assert_eq!(set_files(&set).len(), 1, "{:?}", set_files(&set));
    assert_lints_clean(&set);
}

/// An upstream that answers the first request with 200 and every later one
/// with UserNotFoundException: forget, then forget again.
async fn forget_then_not_found() -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", CT))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .respond_with(user_not_found())
        .with_priority(2)
        .mount(&upstream)
        .await;
    upstream
}

#[tokio::test]
async fn once_records_a_missing_set_then_replays_it() {
    let upstream = forget_then_not_found().await;
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cassette");
    let set_arg = set.to_str().unwrap();

    // Missing: every request is forwarded and recorded, a repeated one too,
    // so the set keeps the sequence the upstream answered.
    let mut cmd = replay(&["--mode", "once", "--fixtures", set_arg]);
    cmd.args(["--upstream", &upstream.uri(), "--no-resign"]);
    let server = Server::spawn(cmd, dir.path().join("record.log"));
    let http = client();
    let statuses = [
        forget(&http, &server.url, &newcomer()).await.status,
        forget(&http, &server.url, &newcomer()).await.status,
    ];
    assert_eq!(statuses, [200, 400]);
    assert!(
        server
            .log()
            .contains("is missing or empty, so every request is forwarded"),
        "{}",
        server.log()
    );
    drop(server);
    assert_eq!(upstream.received_requests().await.unwrap().len(), 2);
    assert_eq!(set_files(&set).len(), 2);
    assert_lints_clean(&set);

    // Existing: replayed; the upstream is never asked, even in CI.
    let mut cmd = replay(&["--mode", "once", "--fixtures", set_arg]);
    cmd.args(["--upstream", &upstream.uri(), "--no-resign"])
        .env("CI", "true");
    let server = Server::spawn(cmd, dir.path().join("replay.log"));
    let statuses = [
        forget(&http, &server.url, &newcomer()).await.status,
        forget(&http, &server.url, &newcomer()).await.status,
    ];
    assert_eq!(statuses, [200, 400], "the recorded sequence, in order");
    let journal = admin(&http, &server.url, "journal").await;
    assert_eq!(journal["totals"]["matched"], 2);
    assert!(
        server.log().contains("exists, so it is replayed"),
        "{}",
        server.log()
    );
    drop(server);
    assert_eq!(upstream.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn once_records_an_empty_directory() {
    let upstream = upstream_expecting(.., user_not_found()).await;
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cassette");
    std::fs::create_dir(&set).unwrap();
    std::fs::write(set.join("tapedeck-set.json"), r#"{"tapedeck_set": 1}"#).unwrap();
    let mut cmd = replay(&["--mode", "once", "--out", set.to_str().unwrap()]);
    cmd.args(["--upstream", &upstream.uri(), "--no-resign"]);
    let server = Server::spawn(cmd, dir.path().join("record.log"));
    assert_eq!(forget(&client(), &server.url, GHOST).await.status, 400);
    drop(server);
    assert_eq!(upstream.received_requests().await.unwrap().len(), 1);
    assert_eq!(
        set_files(&set).len(),
        2,
        "the fixture beside tapedeck-set.json"
    );
}

#[tokio::test]
async fn all_forwards_everything_and_replaces_what_it_records_again() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cassette");
    let set_arg = set.to_str().unwrap();
    // A set recorded earlier: the newcomer (a sequence of two) and the ghost.
    let first = forget_then_not_found().await;
    let mut cmd = replay(&["--mode", "all", "--fixtures", set_arg]);
    cmd.args(["--upstream", &first.uri(), "--no-resign"]);
    let server = Server::spawn(cmd, dir.path().join("first.log"));
    let http = client();
    for body in [newcomer(), newcomer(), GHOST.to_owned()] {
        forget(&http, &server.url, &body).await;
    }
    drop(server);
    let before = set_files(&set);
    assert_eq!(before.len(), 3, "{before:?}");
    let ghost_file = before
        .iter()
        .find(|f| {
            std::fs::read_to_string(set.join(f))
                .unwrap()
                .contains(&pseudonym(
                    "tapedeck-ghost",
                    model::get().shape_named("UsernameType"),
                ))
        })
        .unwrap()
        .clone();

    // Again, with an upstream that now answers the newcomer differently: the
    // request is forwarded although the set has it, and its two old fixtures
    // give way to the one new one; the ghost, not sent, is kept.
    let second = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", CT)
                .insert_header("x-amzn-errortype", "TooManyRequestsException:")
                .set_body_string(
                    r#"{"__type":"TooManyRequestsException","message":"Rate exceeded"}"#,
                ),
        )
        .mount(&second)
        .await;
    let mut cmd = replay(&["--fixtures", set_arg, "--upstream", &second.uri()]);
    cmd.args(["--no-resign"]).env("TAPEDECK_MODE", "all");
    let server = Server::spawn(cmd, dir.path().join("second.log"));
    let answer = forget(&http, &server.url, &newcomer()).await;
    assert_eq!(answer.json()["__type"], "TooManyRequestsException");
    let journal = admin(&http, &server.url, "journal").await;
    assert_eq!(journal["entries"][0]["outcome"], "forwarded");
    drop(server);
    assert_eq!(second.received_requests().await.unwrap().len(), 1);

    let after = set_files(&set);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&ghost_file), "{after:?}");
    let replaced = after.iter().find(|f| **f != ghost_file).unwrap();
    assert!(replaced.starts_with("too-many-requests-"), "{replaced}");
    assert!(!before.contains(replaced));
    let loaded = fixture::load_path(&set.join(replaced)).unwrap();
    assert_eq!(loaded[0].fixture.sequence, None);
    assert_lints_clean(&set);
}

#[test]
fn in_ci_a_mode_that_reaches_the_upstream_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = "http://127.0.0.1:9";
    for (mode, how) in [
        (
            "new-episodes",
            "would forward the requests no fixture matches",
        ),
        ("all", "would forward every request"),
        (
            "once",
            "is missing or empty, so --mode once would record it",
        ),
    ] {
        let set = dir.path().join(mode);
        let set_arg = set.to_str().unwrap();
        let mut cmd = replay(&["--mode", mode, "--fixtures", set_arg]);
        cmd.args(["--upstream", upstream, "--no-resign"])
            .env("CI", "true");
        let (code, err) = run(cmd);
        assert_eq!(code, Some(2), "{mode}: {err}");
        assert!(
            err.contains("CI is set:") && err.contains(how),
            "{mode}: {err}"
        );
        assert!(err.contains("--allow-record-in-ci"), "{err}");
        assert!(!set.exists(), "{mode}: nothing was created");

        // TAPEDECK_MODE is refused just the same.
        let mut cmd = replay(&["--fixtures", set_arg, "--upstream", upstream]);
        cmd.arg("--no-resign")
            .env("CI", "1")
            .env("TAPEDECK_MODE", mode);
        assert_eq!(run(cmd).0, Some(2), "TAPEDECK_MODE={mode}");

        // Allowed on purpose, or CI set to the empty string: it starts.
        let mut cmd = replay(&["--mode", mode, "--fixtures", set_arg]);
        cmd.args([
            "--upstream",
            upstream,
            "--no-resign",
            "--allow-record-in-ci",
        ])
        .env("CI", "true");
        let (code, err) = run(cmd);
        assert_eq!(code, Some(0), "{mode} --allow-record-in-ci: {err}");
        let mut cmd = replay(&["--mode", mode, "--fixtures", set_arg]);
        cmd.args(["--upstream", upstream, "--no-resign"])
            .env("CI", "");
        assert_eq!(run(cmd).0, Some(0), "{mode} with CI empty");
    }
    // Replaying is never refused.
    let mut cmd = replay(&["--mode", "none"]);
    cmd.env("CI", "true");
    assert_eq!(run(cmd).0, Some(0));
}

#[test]
fn recording_modes_need_an_upstream_and_a_set_directory() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cassette");
    let set_arg = set.to_str().unwrap();
    let (code, err) = run(replay(&["--mode", "new-episodes", "--fixtures", set_arg]));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--mode new-episodes forwards requests: pass --upstream URL"),
        "{err}"
    );
    for args in [
        &["--mode", "all", "--upstream", "http://127.0.0.1:9"][..],
        &[
            "--mode",
            "new-episodes",
            "--upstream",
            "http://127.0.0.1:9",
            "--fixtures",
            "embedded:reference",
        ],
    ] {
        let (code, err) = run(replay(args));
        assert_eq!(code, Some(2), "{args:?}");
        assert!(
            err.contains(
                "records into a set directory: pass --out DIR, or a single --fixtures DIR"
            ),
            "{err}"
        );
    }
    let (code, err) = run(replay(&["--mode", "sometimes"]));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("possible values: none, once, new-episodes, all"),
        "{err}"
    );
    // --mode none takes the recording options and says it does not use them.
    let (code, err) = run(replay(&["--upstream", "http://127.0.0.1:9"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("--mode none replays only: --upstream and --out are not used"),
        "{err}"
    );
}

#[test]
fn on_miss_was_replaced_by_mode() {
    for (old, new) in [
        ("forward", "--mode new-episodes"),
        ("not-found", "--mode none"),
    ] {
        let (code, err) = run(replay(&["--on-miss", old]));
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!("--on-miss was replaced by --mode: use {new}")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_recording_run_says_what_it_recorded_and_fails_when_it_could_not() {
    let upstream = upstream_expecting(.., user_not_found()).await;
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cassette");
    let set_arg = set.to_str().unwrap();
    let mut cmd = replay(&["--mode", "all", "--fixtures", set_arg]);
    cmd.args(["--upstream", &upstream.uri(), "--no-resign"]);
    let mut server = Server::spawn(cmd, dir.path().join("recorded.log"));
    let http = client();
    for body in [GHOST.to_owned(), GHOST.to_owned(), newcomer()] {
        assert_eq!(forget(&http, &server.url, &body).await.status, 400);
    }
    assert_eq!(server.terminate(), Some(0));
    let log = server.log();
    assert!(
        log.contains(&format!(
            "tapedeck replay: recording into {set_arg}: 3 exchanges: 3 recorded (2 new fixtures, 1 the same as a fixture already there), 0 not recorded"
        )),
        "{log}"
    );

    // An upstream that cannot be reached: the run fails, and says why.
    let mut cmd = replay(&["--mode", "all", "--fixtures", set_arg]);
    cmd.args(["--upstream", "http://127.0.0.1:9", "--no-resign"]);
    let mut server = Server::spawn(cmd, dir.path().join("unreachable.log"));
    assert_eq!(forget(&http, &server.url, GHOST).await.status, 502);
    assert_eq!(server.terminate(), Some(1));
    let log = server.log();
    assert!(log.contains("1 exchange: 0 recorded"), "{log}");
    assert!(log.contains("1 not recorded"), "{log}");
}
