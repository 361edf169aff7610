//! `tapedeck verify`: the comparison rules, the runner, the reports and the CLI.
//!
//! - `tapedeck replay` (in process, reference corpus) verified against its own
//!   corpus passes 100% at `strict`; the table and the JSON report are pinned.
//! - Every comparison rule of `src/verify/compare.rs` is proven by pointing
//!   verify at a wiremock target that answers one crafted response and checking
//!   the exact `Difference` lines, at `wire` and at `strict`.
//! - `Provision::Auto` against the stateful fake Cognito of `support`: state is
//!   created, recorded ids are replaced by the target's in requests and messages,
//!   unprovokable scenarios are skipped with their reason, the pool is deleted.
//! - The JUnit XML is parsed (with roxmltree) and checked for
//!   what CI tools read; the markdown has the summary and one row per fixture.
//! - The binary: exit 0 / 1 / 2, report files, `--only`.
//!
//! Everything listens on 127.0.0.1; every wait is bounded.

use crate::support;
use crate::support::fake_cognito::{self, FakeCognito};

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::fixture::{to_canonical_string, HeaderValue, MessageRule};
use tapedeck::net::Signer;
use tapedeck::net::{Answer, Client};
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::verify::compare;
use tapedeck::verify::Report;
use tapedeck::verify::{verify, Level, Provision, VerifyConfig};
use tapedeck::verify::{Outcome, Verdict};
use tapedeck::ReplayServer;

const BIN: &str = env!("CARGO_BIN_EXE_tapedeck");
const CT: &str = "application/x-amz-json-1.1";
/// Upper bound for one run of the binary.
const RUN_BUDGET: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// One fixture of the embedded reference set, by id.
fn reference(id: &str) -> LoadedFixture {
    support::reference()
        .into_iter()
        .find(|l| l.fixture.id == id)
        .unwrap_or_else(|| panic!("reference fixture {id}"))
}

fn signer() -> Signer {
    Signer::fixed(aws_credential_types::Credentials::new(
        "AKIDVERIFYTEST",
        "verify-test-secret",
        None,
        None,
        "tests",
    ))
}

fn config(url: &str, provision: Provision, level: Level, keep: bool) -> VerifyConfig {
    VerifyConfig {
        client: Client::new(
            Upstream::new(url, None, Timeouts::default()).expect("upstream URL"),
            "us-east-1",
        ),
        signer: signer(),
        provision,
        level,
        keep,
    }
}

/// Runs verify, collecting the progress lines.
async fn run(config: &VerifyConfig, fixtures: &[LoadedFixture]) -> (Vec<Outcome>, Vec<String>) {
    let mut lines = Vec::new();
    let mut progress = |l: String| lines.push(l);
    let outcomes = tokio::time::timeout(
        Duration::from_secs(60),
        verify(config, fixtures, &mut progress),
    )
    .await
    .expect("verify finishes within 60 s")
    .expect("the target is reachable");
    (outcomes, lines)
}

/// A wiremock target that answers every request with `template`.
async fn target(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// Verifies `fixture` against a target answering `template`, at `level`, and
/// returns the difference lines.
async fn differences(
    fixture: &LoadedFixture,
    template: ResponseTemplate,
    level: Level,
) -> Vec<String> {
    let server = target(template).await;
    let (outcomes, _) = run(
        &config(&server.uri(), Provision::None, level, false),
        std::slice::from_ref(fixture),
    )
    .await;
    assert_eq!(outcomes.len(), 1);
    let o = &outcomes[0];
    let lines: Vec<String> = o.differences.iter().map(ToString::to_string).collect();
    // The verdict follows the differences.
    let want = if lines.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    assert_eq!(o.verdict, want, "{lines:?}");
    lines
}

/// Differences at wire and at strict.
async fn both(fixture: &LoadedFixture, template: ResponseTemplate) -> (Vec<String>, Vec<String>) {
    (
        differences(fixture, template.clone(), Level::Wire).await,
        differences(fixture, template, Level::Strict).await,
    )
}

/// An awsJson error answer: `{"__type": ty, "message": message}` (members in
/// that order, compact), the awsJson content type, `x-amzn-ErrorMessage` (the
/// message, as Cognito sends it) and, if given, `x-amzn-ErrorType`.
fn error_answer(status: u16, ty: &str, header: Option<&str>, message: &str) -> ResponseTemplate {
    let body = json!({ "__type": ty, "message": message });
    let t = ResponseTemplate::new(status)
        .insert_header("content-type", CT)
        .insert_header("x-amzn-errormessage", message)
        .set_body_bytes(serde_json::to_vec(&body).unwrap());
    match header {
        Some(h) => t.insert_header("x-amzn-errortype", h),
        None => t,
    }
}

/// What the reference `unknown-user` fixture recorded, exactly.
fn user_not_found() -> ResponseTemplate {
    error_answer(
        400,
        "UserNotFoundException",
        Some("UserNotFoundException:"),
        "User does not exist.",
    )
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// A copy of a loaded fixture with an edited response body.
fn with_body(mut l: LoadedFixture, id: &str, edit: impl FnOnce(&mut Value)) -> LoadedFixture {
    let body = l.fixture.response.body.as_json_mut().expect("JSON body");
    edit(body);
    l.fixture.id = id.to_owned();
    l.text = to_canonical_string(&l.fixture);
    l
}

// ---------------------------------------------------------------------------
// Verify of tapedeck replay against its own corpus
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_of_the_reference_corpus_passes_strict_verification() {
    let server = ReplayServer::start().await;
    let url = server.uri().to_owned();
    let fixtures = support::reference();
    let (outcomes, _) = run(
        &config(&url, Provision::None, Level::Strict, false),
        &fixtures,
    )
    .await;
    assert_eq!(outcomes.len(), fixtures.len());
    for o in &outcomes {
        assert_eq!(
            o.verdict,
            Verdict::Pass,
            "{}: {:?}",
            o.fixture,
            o.differences
        );
        assert!(o.differences.is_empty());
    }
    let report = Report::new(&url, Level::Strict, Provision::None, outcomes);
    assert_eq!(
        (
            report.summary.passed,
            report.summary.failed,
            report.summary.skipped
        ),
        (18, 0, 0)
    );
    let table = report.table(false);
    assert!(!table.contains('\x1b'), "no colour when asked for none");
    assert!(report.table(true).contains("\x1b[32mPASS\x1b[0m"));
    // insta's `filters` feature is not enabled in Cargo.toml: redact by hand.
    let port = |t: &str| {
        regex::Regex::new(r"127\.0\.0\.1:\d+")
            .unwrap()
            .replace_all(t, "127.0.0.1:[port]")
            .into_owned()
    };
    insta::assert_snapshot!("verify-replay-reference-table", port(&table));
    insta::assert_snapshot!(
        "verify-replay-reference-report",
        port(&serde_json::to_string_pretty(&report).unwrap())
    );
}

// ---------------------------------------------------------------------------
// The comparison rules, one target answer at a time
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_faithful_answer_has_no_differences_at_either_level() {
    let f = reference("unknown-user");
    // Volatile headers the target adds are no part of the contract.
    let answer = user_not_found()
        .insert_header("x-amzn-requestid", "0b6f1c1e-0000-4000-8000-000000000000")
        .insert_header("date", "Thu, 01 Jan 2099 00:00:00 GMT")
        .insert_header("connection", "close")
        .insert_header("x-something-new", "1");
    assert_eq!(both(&f, answer).await, (vec![], vec![]));
}

#[tokio::test]
async fn status_differs() {
    let f = reference("unknown-user");
    let answer = error_answer(
        404,
        "UserNotFoundException",
        Some("UserNotFoundException:"),
        "User does not exist.",
    );
    let (wire, strict) = both(&f, answer).await;
    assert_eq!(wire, strings(&["status: expected 400, got 404"]));
    assert_eq!(strict, wire);
}

#[tokio::test]
async fn error_type_differs() {
    let f = reference("unknown-user");
    let answer = error_answer(
        400,
        "ResourceNotFoundException",
        Some("ResourceNotFoundException:"),
        "User does not exist.",
    );
    let (wire, strict) = both(&f, answer).await;
    assert_eq!(
        wire,
        strings(&["error-type: expected UserNotFoundException, got ResourceNotFoundException"])
    );
    assert_eq!(
        strict,
        strings(&[
            "error-type: expected UserNotFoundException, got ResourceNotFoundException",
            "raw-error-type: expected 'UserNotFoundException', got 'ResourceNotFoundException'",
            "error-header: expected 'UserNotFoundException:', got 'ResourceNotFoundException:'",
        ])
    );
}

#[tokio::test]
async fn an_answer_without_an_error_type_is_error_type_none() {
    let f = reference("unknown-user");
    let answer = ResponseTemplate::new(400)
        .insert_header("content-type", "text/html; charset=utf-8")
        .set_body_bytes("<html><body>Bad Request</body></html>");
    let (wire, strict) = both(&f, answer).await;
    assert_eq!(
        wire,
        strings(&[
            "error-type: expected UserNotFoundException, got none",
            "message: expected 'User does not exist.', got none",
            "content-type: expected 'application/x-amz-json-1.1', got 'text/html; charset=utf-8'",
        ])
    );
    assert_eq!(
        strict,
        strings(&[
            "error-type: expected UserNotFoundException, got none",
            "raw-error-type: expected 'UserNotFoundException', got none",
            "error-header: expected 'UserNotFoundException:', got none",
            "message: expected 'User does not exist.', got none",
            "message-header: expected 'User does not exist.', got none",
            "content-type: expected 'application/x-amz-json-1.1', got 'text/html; charset=utf-8'",
        ])
    );
}

#[tokio::test]
async fn a_namespaced_error_type_with_a_suffix_is_equal_at_wire_and_differs_at_strict() {
    let f = reference("unknown-user");
    let raw = "aws.cognito#UserNotFoundException:http://internal.amazon.com/coral/com.amazon.coral.validate/";
    let answer = error_answer(
        400,
        raw,
        Some("UserNotFoundException:"),
        "User does not exist.",
    );
    let (wire, strict) = both(&f, answer).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        vec![format!(
            "raw-error-type: expected 'UserNotFoundException', got '{raw}'"
        )]
    );
}

#[tokio::test]
async fn the_error_header_differs_only_at_strict() {
    let f = reference("unknown-user");
    let no_colon = error_answer(
        400,
        "UserNotFoundException",
        Some("UserNotFoundException"),
        "User does not exist.",
    );
    let (wire, strict) = both(&f, no_colon).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&["error-header: expected 'UserNotFoundException:', got 'UserNotFoundException'"])
    );

    let absent = error_answer(400, "UserNotFoundException", None, "User does not exist.");
    let (wire, strict) = both(&f, absent).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&["error-header: expected 'UserNotFoundException:', got none"])
    );
}

#[tokio::test]
async fn the_error_type_may_come_from_the_header_alone_at_wire() {
    // Like the JS SDK: no `__type` in the body, the header names the type.
    let f = reference("unknown-user");
    let answer = ResponseTemplate::new(400)
        .insert_header("content-type", CT)
        .insert_header("x-amzn-errortype", "UserNotFoundException:")
        .insert_header("x-amzn-errormessage", "User does not exist.")
        .set_body_bytes(r#"{"message":"User does not exist."}"#);
    let (wire, strict) = both(&f, answer).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&["raw-error-type: expected 'UserNotFoundException', got none"])
    );
}

/// The reference `unknown-user` fixture written to `dir` as `<id>.json` with
/// `compare.message` set to `rule` (a JSON value: "exact", "ignore",
/// {"regex": "…"}).
fn write_with_rule(dir: &Path, id: &str, rule: Value) {
    let mut v: Value = serde_json::from_str(&reference("unknown-user").text).unwrap();
    v["id"] = json!(id);
    v["request"]["body"]["Username"] = json!(format!("tapedeck-ghost-{id}"));
    v["variables"]["username"] = json!(format!("tapedeck-ghost-{id}"));
    v["compare"]["message"] = rule;
    std::fs::write(
        dir.join(format!("{id}.json")),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
}

#[tokio::test]
async fn message_rules_exact_ignore_and_regex() {
    let dir = tempfile::tempdir().unwrap();
    write_with_rule(dir.path(), "msg-exact", json!("exact"));
    write_with_rule(dir.path(), "msg-ignore", json!("ignore"));
    write_with_rule(
        dir.path(),
        "msg-regex",
        json!({ "regex": r"^User does not exist\.?$" }),
    );
    let loaded = fixture::load_path(dir.path()).expect("edited fixtures load");
    let by_id = |id: &str| loaded.iter().find(|l| l.fixture.id == id).unwrap().clone();
    let (exact, ignore, regex) = (by_id("msg-exact"), by_id("msg-ignore"), by_id("msg-regex"));
    assert_eq!(exact.fixture.compare.message, MessageRule::Exact);
    assert_eq!(ignore.fixture.compare.message, MessageRule::Ignore);
    assert!(matches!(
        regex.fixture.compare.message,
        MessageRule::Regex(_)
    ));

    let says = |m: &str| {
        error_answer(
            400,
            "UserNotFoundException",
            Some("UserNotFoundException:"),
            m,
        )
    };
    // The recorded text: every rule agrees.
    for f in [&exact, &ignore, &regex] {
        assert_eq!(
            both(f, says("User does not exist.")).await,
            (vec![], vec![])
        );
    }
    // Without the full stop: exact differs, the regex allows it.
    let m = says("User does not exist");
    assert_eq!(
        differences(&exact, m.clone(), Level::Wire).await,
        strings(&["message: expected 'User does not exist.', got 'User does not exist'"])
    );
    assert_eq!(
        differences(&ignore, m.clone(), Level::Strict).await,
        Vec::<String>::new()
    );
    assert_eq!(
        differences(&regex, m, Level::Strict).await,
        Vec::<String>::new()
    );
    // Another text: only ignore accepts it.
    let m = says("No such user");
    assert_eq!(
        differences(&exact, m.clone(), Level::Wire).await,
        strings(&["message: expected 'User does not exist.', got 'No such user'"])
    );
    assert_eq!(
        differences(&ignore, m.clone(), Level::Strict).await,
        Vec::<String>::new()
    );
    assert_eq!(
        differences(&regex, m, Level::Wire).await,
        strings(&[
            r"message: expected a message matching /^User does not exist\.?$/, got 'No such user'"
        ])
    );
    // No message at all.
    let none = ResponseTemplate::new(400)
        .insert_header("content-type", CT)
        .insert_header("x-amzn-errortype", "UserNotFoundException:")
        .set_body_bytes(r#"{"__type":"UserNotFoundException"}"#);
    assert_eq!(
        differences(&exact, none.clone(), Level::Wire).await,
        strings(&["message: expected 'User does not exist.', got none"])
    );
    assert_eq!(
        differences(&regex, none.clone(), Level::Wire).await,
        strings(&[r"message: expected a message matching /^User does not exist\.?$/, got none"])
    );
    assert_eq!(
        differences(&ignore, none, Level::Wire).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_message_regex_may_match_anywhere_unless_anchored() {
    // `regex` is a search, not a full match: document-worthy, so pinned.
    let dir = tempfile::tempdir().unwrap();
    write_with_rule(
        dir.path(),
        "unanchored",
        json!({ "regex": "does not exist" }),
    );
    let f = fixture::load_path(dir.path()).unwrap().remove(0);
    let answer = error_answer(
        400,
        "UserNotFoundException",
        Some("UserNotFoundException:"),
        "Something else entirely: it does not exist, really",
    );
    assert_eq!(
        differences(&f, answer, Level::Strict).await,
        Vec::<String>::new()
    );
}

/// A canned awsJson answer for `compare()`.
fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    Answer {
        status: http::StatusCode::from_u16(status).unwrap(),
        headers: map,
        body: bytes::Bytes::copy_from_slice(body.as_bytes()),
    }
}

#[test]
fn messages_are_compared_after_substituting_the_targets_values() {
    // The reference unknown-user-pool message embeds the recorded pool id.
    let f = reference("unknown-user-pool").fixture;
    let got = answer(
        400,
        &[
            ("content-type", CT),
            ("x-amzn-errortype", "ResourceNotFoundException:"),
            (
                "x-amzn-errormessage",
                "User pool us-east-1_Target42 does not exist.",
            ),
        ],
        r#"{"__type":"ResourceNotFoundException","message":"User pool us-east-1_Target42 does not exist."}"#,
    );
    let pairs = vec![(
        "us-east-1_NoSuchPool".to_owned(),
        "us-east-1_Target42".to_owned(),
    )];
    for level in [Level::Wire, Level::Strict] {
        assert_eq!(compare(&f, &got, level, &pairs), vec![]);
    }
    // Without the substitution the message differs ...
    let lines = |d: Vec<tapedeck::verify::Difference>| {
        d.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    assert_eq!(
        lines(compare(&f, &got, Level::Wire, &[])),
        strings(&["message: expected 'User pool us-east-1_NoSuchPool does not exist.', got 'User pool us-east-1_Target42 does not exist.'"])
    );
    // ... and with another target value the expected text shows the substitution.
    let other = vec![(
        "us-east-1_NoSuchPool".to_owned(),
        "us-east-1_Other7".to_owned(),
    )];
    assert_eq!(
        lines(compare(&f, &got, Level::Wire, &other)),
        strings(&["message: expected 'User pool us-east-1_Other7 does not exist.', got 'User pool us-east-1_Target42 does not exist.'"])
    );

    // A regex rule is substituted too.
    let mut re = f.clone();
    re.compare.message =
        MessageRule::Regex(r"^User pool us-east-1_NoSuchPool does not exist\.$".into());
    assert_eq!(compare(&re, &got, Level::Strict, &pairs), vec![]);
    assert_eq!(
        lines(compare(&re, &got, Level::Strict, &[])),
        strings(&[
            r"message: expected a message matching /^User pool us-east-1_NoSuchPool does not exist\.$/, got 'User pool us-east-1_Target42 does not exist.'",
            r"message-header: expected a message matching /^User pool us-east-1_NoSuchPool does not exist\.$/, got 'User pool us-east-1_Target42 does not exist.'",
        ])
    );
    // The header is substituted like the body: an exact rule at strict.
    assert_eq!(
        lines(compare(&f, &got, Level::Strict, &[])),
        strings(&[
            "message: expected 'User pool us-east-1_NoSuchPool does not exist.', got 'User pool us-east-1_Target42 does not exist.'",
            "message-header: expected 'User pool us-east-1_NoSuchPool does not exist.', got 'User pool us-east-1_Target42 does not exist.'",
        ])
    );
}

#[tokio::test]
async fn the_message_header_is_compared_by_the_message_rule_at_strict_only() {
    // Exact (unknown-user): absent, or another text, differs at strict only.
    let f = reference("unknown-user");
    let without = ResponseTemplate::new(400)
        .insert_header("content-type", CT)
        .insert_header("x-amzn-errortype", "UserNotFoundException:")
        .set_body_bytes(r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#);
    let (wire, strict) = both(&f, without.clone()).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&["message-header: expected 'User does not exist.', got none"])
    );
    let other = without
        .clone()
        .insert_header("x-amzn-errormessage", "User not found.");
    let (wire, strict) = both(&f, other).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&["message-header: expected 'User does not exist.', got 'User not found.'"])
    );
    // A fixture without the header fails a target that sends one, at strict.
    let mut bare = f.clone();
    bare.fixture.response.headers.remove("x-amzn-errormessage");
    assert_eq!(
        differences(&bare, user_not_found(), Level::Strict).await,
        strings(&["message-header: expected none, got 'User does not exist.'"])
    );
    assert_eq!(
        differences(&bare, without, Level::Strict).await,
        Vec::<String>::new()
    );

    // Ignore (not-authorized): any text, but the header must be there.
    let f = reference("not-authorized");
    let says = |m: &str| {
        error_answer(
            400,
            "NotAuthorizedException",
            Some("NotAuthorizedException:"),
            m,
        )
    };
    assert_eq!(
        both(&f, says("Access Token has been revoked")).await,
        (vec![], vec![])
    );
    let silent = ResponseTemplate::new(400)
        .insert_header("content-type", CT)
        .insert_header("x-amzn-errortype", "NotAuthorizedException:")
        .set_body_bytes(r#"{"__type":"NotAuthorizedException","message":"x"}"#);
    assert_eq!(
        differences(&f, silent, Level::Strict).await,
        strings(&["message-header: expected any message, got none"])
    );

    // Regex (throttled): both public texts pass; another one differs, in the
    // body at both levels and in the header at strict.
    let f = reference("throttled");
    let says = |m: &str| {
        error_answer(
            400,
            "TooManyRequestsException",
            Some("TooManyRequestsException:"),
            m,
        )
    };
    for m in ["Rate exceeded", "Too many requests"] {
        assert_eq!(both(&f, says(m)).await, (vec![], vec![]), "{m}");
    }
    let (wire, strict) = both(&f, says("Slow down")).await;
    let body = "message: expected a message matching /^(Rate exceeded|Too many requests)$/, got 'Slow down'";
    assert_eq!(wire, strings(&[body]));
    assert_eq!(
        strict,
        strings(&[
            body,
            "message-header: expected a message matching /^(Rate exceeded|Too many requests)$/, got 'Slow down'",
        ])
    );
}

#[tokio::test]
async fn the_device_fixtures_want_a_message_that_names_the_device() {
    // AdminForgetDevice's own wording is not public: any message with the word.
    let f = reference("unknown-device-key");
    let says = |m: &str| {
        error_answer(
            400,
            "ResourceNotFoundException",
            Some("ResourceNotFoundException:"),
            m,
        )
    };
    for m in [
        "Device does not exist.",
        "Device not found",
        "No such device.",
    ] {
        assert_eq!(both(&f, says(m)).await, (vec![], vec![]), "{m}");
    }
    // Not another resource, and not the operation's name inside a word.
    for m in [
        "User pool us-east-1_TapeDeck1 does not exist.",
        "Cognito Local unsupported feature: Unsupported x-amz-target header \"AdminForgetDevice\"",
    ] {
        assert_eq!(
            differences(&f, says(m), Level::Wire).await,
            vec![format!(
                r"message: expected a message matching /(?i)\bdevice\b/, got '{m}'"
            )],
        );
    }
}

#[tokio::test]
async fn a_status_list_accepts_any_of_its_statuses() {
    // unsigned: the real status is not public, 400 or 403.
    let f = reference("unsigned");
    let says = |status| {
        error_answer(
            status,
            "MissingAuthenticationTokenException",
            Some("MissingAuthenticationTokenException:"),
            "Missing Authentication Token",
        )
    };
    for status in [400, 403] {
        assert_eq!(both(&f, says(status)).await, (vec![], vec![]), "{status}");
    }
    let (wire, strict) = both(&f, says(401)).await;
    assert_eq!(
        wire,
        strings(&["status: expected one of 400, 403, got 401"])
    );
    assert_eq!(strict, wire);
}

#[tokio::test]
async fn content_type_media_type_at_wire_whole_value_at_strict() {
    let f = reference("unknown-user");
    let with_ct = |ct: &str| {
        ResponseTemplate::new(400)
            .insert_header("content-type", ct)
            .insert_header("x-amzn-errortype", "UserNotFoundException:")
            .insert_header("x-amzn-errormessage", "User does not exist.")
            .set_body_bytes(
                r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#,
            )
    };
    let (wire, strict) = both(&f, with_ct("application/x-amz-json-1.1; charset=utf-8")).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&["content-type: expected 'application/x-amz-json-1.1', got 'application/x-amz-json-1.1; charset=utf-8'"])
    );
    let (wire, strict) = both(&f, with_ct("Application/X-Amz-Json-1.1")).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(
        strict,
        strings(&[
            "content-type: expected 'application/x-amz-json-1.1', got 'Application/X-Amz-Json-1.1'"
        ])
    );
    let (wire, strict) = both(&f, with_ct("application/json")).await;
    let line = "content-type: expected 'application/x-amz-json-1.1', got 'application/json'";
    assert_eq!(wire, strings(&[line]));
    assert_eq!(strict, strings(&[line]));
    let missing = ResponseTemplate::new(400)
        .insert_header("x-amzn-errortype", "UserNotFoundException:")
        .set_body_bytes(r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#);
    let (wire, _) = both(&f, missing).await;
    assert_eq!(
        wire,
        strings(&["content-type: expected 'application/x-amz-json-1.1', got none"])
    );
}

#[tokio::test]
async fn success_body_empty_and_braces_are_equal_at_wire_only() {
    let f = reference("forget-remembered-device");
    let ok = |body: &str| {
        ResponseTemplate::new(200)
            .insert_header("content-type", CT)
            .set_body_bytes(body.to_owned())
    };
    assert_eq!(both(&f, ok("")).await, (vec![], vec![]));
    let (wire, strict) = both(&f, ok("{}")).await;
    assert_eq!(wire, Vec::<String>::new());
    assert_eq!(strict, strings(&["body: expected an empty body, got '{}'"]));
    let (wire, strict) = both(&f, ok(r#"{"Status":"forgotten"}"#)).await;
    let line = r#"body: expected an empty body, got '{"Status":"forgotten"}'"#;
    assert_eq!(wire, strings(&[line]));
    assert_eq!(strict, strings(&[line]));
    // An error where success was recorded.
    let (wire, _) = both(
        &f,
        error_answer(
            400,
            "ResourceNotFoundException",
            Some("ResourceNotFoundException:"),
            "Device does not exist.",
        ),
    )
    .await;
    assert_eq!(
        wire,
        strings(&[
            "status: expected 200, got 400",
            "error-type: expected none, got ResourceNotFoundException",
            r#"body: expected an empty body, got '{"__type":"ResourceNotFoundException","message":"Device does not exist."}'"#,
        ])
    );
}

#[tokio::test]
async fn modelled_extra_members_such_as_reason_code_are_compared() {
    let base = reference("malformed-device-key");
    let recorded = with_body(base.clone(), "with-reason-code", |b| {
        b["reasonCode"] = json!("INVALID_PARAMETER");
    });
    let message = base
        .fixture
        .response
        .body
        .as_json()
        .unwrap()
        .get("message")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let answer_with = |extra: Option<Value>| {
        let mut b = json!({ "__type": "InvalidParameterException", "message": message });
        if let Some(x) = extra {
            b["reasonCode"] = x;
        }
        ResponseTemplate::new(400)
            .insert_header("content-type", CT)
            .insert_header("x-amzn-errortype", "InvalidParameterException:")
            .insert_header("x-amzn-errormessage", message.as_str())
            .set_body_bytes(serde_json::to_vec(&b).unwrap())
    };
    assert_eq!(
        both(&recorded, answer_with(Some(json!("INVALID_PARAMETER")))).await,
        (vec![], vec![])
    );
    let (wire, strict) = both(&recorded, answer_with(None)).await;
    assert_eq!(
        wire,
        strings(&[r#"member:reasonCode: expected "INVALID_PARAMETER", got absent"#])
    );
    assert_eq!(strict, wire);
    assert_eq!(
        differences(&recorded, answer_with(Some(json!("OTHER"))), Level::Wire).await,
        strings(&[r#"member:reasonCode: expected "INVALID_PARAMETER", got "OTHER""#])
    );
    // A member the fixture does not record is not compared.
    assert_eq!(
        differences(&base, answer_with(Some(json!("ANYTHING"))), Level::Strict).await,
        Vec::<String>::new()
    );
    // `compare.ignore_paths` leaves a recorded member out.
    let mut ignored = recorded.clone();
    ignored.fixture.compare.ignore_paths = vec!["/reasonCode".into()];
    assert_eq!(
        differences(&ignored, answer_with(Some(json!("OTHER"))), Level::Strict).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn volatile_and_other_headers_are_never_compared() {
    // The fixture records volatile headers; the target sends different ones.
    let mut f = reference("unknown-user");
    for (k, v) in [
        ("date", "Wed, 25 Nov 2026 01:00:00 GMT"),
        ("x-amzn-requestid", "11111111-1111-4111-8111-111111111111"),
        ("content-length", "999"),
        ("connection", "keep-alive"),
    ] {
        f.fixture
            .response
            .headers
            .insert(k.to_owned(), HeaderValue::One(v.to_owned()));
    }
    let answer = user_not_found()
        .insert_header("x-amzn-requestid", "22222222-2222-4222-8222-222222222222")
        .insert_header("date", "Thu, 01 Jan 2099 00:00:00 GMT")
        .insert_header("connection", "close");
    assert_eq!(both(&f, answer).await, (vec![], vec![]));
}

// ---------------------------------------------------------------------------
// Provision::Auto against the fake Cognito
// ---------------------------------------------------------------------------

/// The fake Cognito, with UserNotFoundException naming the pool ("User does
/// not exist in pool X."), so that a message embeds a recorded id.
async fn start_fake() -> FakeCognito {
    let fake = FakeCognito::start().await;
    fake.name_the_pool_in_user_not_found();
    fake
}

/// A verify configuration whose signer holds the fake Cognito's credentials.
fn fake_config(fake: &FakeCognito, provision: Provision, level: Level, keep: bool) -> VerifyConfig {
    VerifyConfig {
        signer: fake_cognito::signer(),
        ..config(&fake.url(), provision, level, keep)
    }
}

/// Reference fixtures for the provisioning tests, with an unknown-user whose
/// message embeds the recorded pool id.
fn provisioning_fixtures() -> Vec<LoadedFixture> {
    let in_pool = "User does not exist in pool us-east-1_TapeDeck1.";
    let mut unknown_user = with_body(reference("unknown-user"), "unknown-user", |b| {
        b["message"] = json!(in_pool);
    });
    unknown_user.fixture.response.headers.insert(
        "x-amzn-errormessage".into(),
        HeaderValue::One(in_pool.into()),
    );
    vec![
        reference("unknown-user-pool"),
        reference("forget-remembered-device"),
        reference("device-already-forgotten"),
        reference("unknown-device-key"),
        unknown_user,
        reference("not-authorized"),
        reference("throttled"),
    ]
}

fn verdicts(outcomes: &[Outcome]) -> Vec<(String, Verdict)> {
    outcomes
        .iter()
        .map(|o| (o.fixture.clone(), o.verdict.clone()))
        .collect()
}

#[tokio::test]
async fn provision_auto_creates_state_substitutes_ids_and_cleans_up() {
    let fake = start_fake().await;
    let (outcomes, progress) = run(
        &fake_config(&fake, Provision::Auto, Level::Strict, false),
        &provisioning_fixtures(),
    )
    .await;
    let not_provokable = "not provokable on demand; authored from the model";
    assert_eq!(
        verdicts(&outcomes),
        vec![
            ("unknown-user-pool".into(), Verdict::Pass),
            ("forget-remembered-device".into(), Verdict::Pass),
            ("device-already-forgotten".into(), Verdict::Pass),
            ("unknown-device-key".into(), Verdict::Pass),
            ("unknown-user".into(), Verdict::Pass),
            (
                "not-authorized".into(),
                Verdict::Skip(not_provokable.into())
            ),
            (
                "throttled".into(),
                Verdict::Skip("opt-in scenario (capture --throttle-burst)".into())
            ),
        ],
        "{outcomes:#?}"
    );
    // The message came back with the target's pool id, and still passed.
    let uu = outcomes
        .iter()
        .find(|o| o.fixture == "unknown-user")
        .unwrap();
    assert_eq!(
        uu.got.as_deref(),
        Some("400 UserNotFoundException 'User does not exist in pool us-east-1_Fake00001.'")
    );
    assert_eq!(
        fake.operations(),
        strings(&[
            "AdminForgetDevice",
            "CreateUserPool",
            "CreateUserPoolClient",
            "AdminCreateUser",
            "AdminSetUserPassword",
            "AdminInitiateAuth",
            "ConfirmDevice",
            "AdminForgetDevice",
            "AdminForgetDevice",
            "AdminForgetDevice",
            "AdminForgetDevice",
            "DeleteUserPool",
        ])
    );
    assert!(
        fake.pool_ids().is_empty(),
        "the pool is deleted: {:?}",
        fake.pool_ids()
    );
    let users: Vec<String> = fake
        .calls()
        .iter()
        .filter(|c| c.operation == "AdminCreateUser")
        .map(|c| c.body["Username"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        users[0].starts_with("tapedeck-") && users[0].ends_with("-user"),
        "{users:?}"
    );
    assert!(
        progress
            .iter()
            .any(|l| l == "DeleteUserPool us-east-1_Fake00001 ... ok"),
        "{progress:#?}"
    );
}

#[tokio::test]
async fn without_provisioning_the_recorded_ids_go_out_as_they_are() {
    // The same fixtures, Provision::None: the recorded pool does not exist on the
    // target, so everything that needs state fails, and nothing is skipped.
    let fake = start_fake().await;
    let (outcomes, _) = run(
        &fake_config(&fake, Provision::None, Level::Wire, false),
        &provisioning_fixtures(),
    )
    .await;
    assert_eq!(
        verdicts(&outcomes),
        vec![
            ("unknown-user-pool".into(), Verdict::Pass),
            ("forget-remembered-device".into(), Verdict::Fail),
            ("device-already-forgotten".into(), Verdict::Fail),
            ("unknown-device-key".into(), Verdict::Fail),
            ("unknown-user".into(), Verdict::Fail),
            ("not-authorized".into(), Verdict::Fail),
            ("throttled".into(), Verdict::Fail),
        ]
    );
    let calls = fake.operations();
    assert!(calls.iter().all(|c| c == "AdminForgetDevice"), "{calls:?}");
    assert_eq!(calls.len(), 7);
}

#[tokio::test]
async fn provision_auto_keep_leaves_the_pool() {
    let fake = start_fake().await;
    let (outcomes, progress) = run(
        &fake_config(&fake, Provision::Auto, Level::Wire, true),
        &[reference("unknown-device-key")],
    )
    .await;
    assert_eq!(outcomes[0].verdict, Verdict::Pass);
    assert_eq!(fake.pool_ids(), strings(&["us-east-1_Fake00001"]));
    assert!(!fake.operations().contains(&"DeleteUserPool".to_owned()));
    assert!(progress.contains(&"keeping pool us-east-1_Fake00001 (--keep)".to_owned()));
}

#[tokio::test]
async fn a_provisioning_step_the_target_refuses_is_tried_once_and_named_in_every_skip() {
    let fake = start_fake().await;
    fake.fail(
        "CreateUserPool",
        400,
        "LimitExceededException",
        "Pools & <quotas> \"full\"",
    );
    let (outcomes, _) = run(
        &fake_config(&fake, Provision::Auto, Level::Wire, false),
        &provisioning_fixtures(),
    )
    .await;
    let lacks = "endpoint lacks CreateUserPool: CreateUserPool failed: 400 LimitExceededException 'Pools & <quotas> \"full\"'";
    assert_eq!(
        verdicts(&outcomes)[..5],
        vec![
            ("unknown-user-pool".into(), Verdict::Pass),
            (
                "forget-remembered-device".into(),
                Verdict::Skip(lacks.into())
            ),
            (
                "device-already-forgotten".into(),
                Verdict::Skip(lacks.into())
            ),
            ("unknown-device-key".into(), Verdict::Skip(lacks.into())),
            ("unknown-user".into(), Verdict::Skip(lacks.into())),
        ][..]
    );
    assert_eq!(
        fake.operations(),
        strings(&["AdminForgetDevice", "CreateUserPool"]),
        "the failed step is remembered, not retried; no pool, no DeleteUserPool"
    );
}

// ---------------------------------------------------------------------------
// Reports: JUnit XML and markdown
// ---------------------------------------------------------------------------

/// An XML element, as far as these reports need.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("<{}> has no attribute {name}", self.name))
    }

    fn all(&self, name: &str) -> Vec<&Element> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

/// Reads a JUnit document into an [`Element`] tree. Panics unless it starts
/// with the XML declaration and is well-formed XML, which roxmltree checks: no
/// raw `<` or `&` in text or attributes, no unknown entity, matching tags, one
/// root element, no duplicate attribute.
fn parse_xml(xml: &str) -> Element {
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "XML declaration first"
    );
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("malformed XML: {e}"));
    element(doc.root_element())
}

/// One element: its attributes, its child elements, and its text (all of its
/// text nodes, entities resolved).
fn element(node: roxmltree::Node<'_, '_>) -> Element {
    Element {
        name: node.tag_name().name().to_owned(),
        attrs: node
            .attributes()
            .map(|a| (a.name().to_owned(), a.value().to_owned()))
            .collect(),
        children: node
            .children()
            .filter(roxmltree::Node::is_element)
            .map(element)
            .collect(),
        text: node
            .children()
            .filter(roxmltree::Node::is_text)
            .filter_map(|t| t.text())
            .collect(),
    }
}

#[test]
fn the_xml_reader_rejects_what_ci_tools_would() {
    for bad in [
        "<a x=\"1 & 2\"/>",
        "<a>1 < 2</a>",
        "<a><b></a></b>",
        "<a x=\"&bogus;\"/>",
        "<a/><b/>",
    ] {
        let doc = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{bad}");
        assert!(
            std::panic::catch_unwind(|| parse_xml(&doc)).is_err(),
            "accepted {bad}"
        );
    }
}

/// A run with one pass, one fail and two skips, with `&`, `<`, quotes and a
/// `|` in the messages.
async fn mixed_run() -> (String, Vec<Outcome>) {
    let server = MockServer::start().await;
    let responder = |req: &Request| {
        let target = req
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        if target.ends_with(".CreateUserPool") {
            return error_answer(
                400,
                "LimitExceededException",
                Some("LimitExceededException:"),
                "Pools & <quotas> \"full\"",
            );
        }
        if body["DeviceKey"] == "not-a-device-key" {
            return error_answer(
                400,
                "InvalidParameterException",
                Some("InvalidParameterException:"),
                "Bad & <worse> \"key\" | 'pipe'",
            );
        }
        error_answer(
            400,
            "ResourceNotFoundException",
            Some("ResourceNotFoundException:"),
            "User pool us-east-1_NoSuchPool does not exist.",
        )
    };
    Mock::given(any())
        .respond_with(responder)
        .mount(&server)
        .await;
    let fixtures = vec![
        reference("unknown-user-pool"),
        reference("malformed-device-key"),
        reference("unknown-user"),
        reference("internal-error"),
    ];
    let (outcomes, _) = run(
        &config(&server.uri(), Provision::Auto, Level::Wire, false),
        &fixtures,
    )
    .await;
    (server.uri(), outcomes)
}

#[tokio::test]
async fn junit_has_the_structure_ci_tools_read() {
    let (url, outcomes) = mixed_run().await;
    let report = Report::new(&url, Level::Wire, Provision::Auto, outcomes.clone());
    let xml = report.junit();
    let root = parse_xml(&xml);
    assert_eq!(root.name, "testsuites");
    let suites = root.all("testsuite");
    assert_eq!(suites.len(), 1, "one <testsuite>");
    let suite = suites[0];
    assert_eq!(suite.attr("name"), format!("tapedeck verify {url}"));
    assert_eq!(
        (
            suite.attr("tests"),
            suite.attr("failures"),
            suite.attr("skipped"),
            suite.attr("errors")
        ),
        ("4", "1", "2", "0")
    );
    assert_eq!(
        (
            root.attr("tests"),
            root.attr("failures"),
            root.attr("skipped")
        ),
        ("4", "1", "2")
    );
    let cases = suite.all("testcase");
    assert_eq!(cases.len(), outcomes.len(), "one <testcase> per fixture");
    assert_eq!(cases.len(), suite.children.len());
    for (case, o) in cases.iter().zip(&outcomes) {
        assert_eq!(case.attr("name"), o.fixture);
        assert_eq!(
            case.attr("classname"),
            format!("tapedeck.verify.{}", o.scenario.as_deref().unwrap())
        );
        match &o.verdict {
            Verdict::Pass => assert!(case.children.is_empty(), "{case:?}"),
            Verdict::Fail => {
                assert_eq!(case.children.len(), 1);
                let failure = &case.children[0];
                assert_eq!(failure.name, "failure");
                assert_eq!(failure.attr("message"), o.headline());
                let text: Vec<String> = o.differences.iter().map(ToString::to_string).collect();
                assert_eq!(failure.text, text.join("\n"));
            }
            Verdict::Skip(reason) => {
                assert_eq!(case.children.len(), 1);
                let skipped = &case.children[0];
                assert_eq!(skipped.name, "skipped");
                assert_eq!(skipped.attr("message"), reason);
            }
        }
    }
    // The awkward characters made it through, escaped, and back.
    let failure = &cases[1].children[0];
    assert!(failure
        .attr("message")
        .contains("Bad & <worse> \"key\" | 'pipe'"));
    assert!(xml.contains("Bad &amp; &lt;worse&gt; &quot;key&quot; | &apos;pipe&apos;"));
    assert!(cases[2].children[0]
        .attr("message")
        .contains("Pools & <quotas> \"full\""));
    assert_eq!(
        cases[3].children[0].attr("message"),
        "not provokable on demand; authored from the model"
    );
}

#[tokio::test]
async fn markdown_has_the_summary_and_one_row_per_fixture() {
    let (url, outcomes) = mixed_run().await;
    let report = Report::new(&url, Level::Wire, Provision::Auto, outcomes.clone());
    let md = report.markdown();
    assert!(
        md.starts_with(&format!("### tapedeck verify: `{url}`\n\n")),
        "{md}"
    );
    assert!(
        md.contains("\nverify: 4 fixtures, 1 passed, 1 failed, 2 skipped\n"),
        "{md}"
    );
    assert!(
        md.contains("\n| fixture | result | details |\n|---|---|---|\n"),
        "{md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), outcomes.len(), "{md}");
    let icons = ["✅ PASS", "❌ FAIL", "⏭️ SKIP", "⏭️ SKIP"];
    for ((row, o), icon) in rows.iter().zip(&outcomes).zip(icons) {
        assert!(
            row.starts_with(&format!("| `{}` | {icon} | ", o.fixture)),
            "{row}"
        );
        // Exactly four column separators: a `|` in a message is escaped.
        let unescaped = row.replace("\\|", "");
        assert_eq!(unescaped.matches('|').count(), 4, "{row}");
    }
    assert!(
        rows[1].contains(r#"Bad & <worse> "key" \| 'pipe'"#),
        "{}",
        rows[1]
    );
}

// ---------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------

/// Runs the tapedeck binary with test credentials (no AWS config files, no
/// instance metadata), killing it after [`RUN_BUDGET`].
fn tapedeck(args: &[&str]) -> Output {
    support::process::output_within(
        Command::new(BIN)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDVERIFYCLITEST")
            .env("AWS_SECRET_ACCESS_KEY", "verify-cli-test-secret")
            .env("AWS_CONFIG_FILE", "/nonexistent/tapedeck-test/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/tapedeck-test/credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("RUST_LOG"),
        RUN_BUDGET,
    )
}

async fn tapedeck_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tapedeck(&args)
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_a_passing_target_exits_0_and_writes_every_report() {
    let server = ReplayServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let out = tapedeck_async(vec![
        "verify".into(),
        "--target".into(),
        server.uri().to_owned(),
        "--level".into(),
        "strict".into(),
        "--report-json".into(),
        path("report.json"),
        "--junit".into(),
        path("junit.xml"),
        "--markdown".into(),
        path("summary.md"),
    ])
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.ends_with("verify: 18 fixtures, 18 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PASS  ")).count(),
        18
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(path("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["summary"],
        json!({ "passed": 18, "failed": 0, "skipped": 0 })
    );
    assert_eq!(report["level"], "strict");
    assert_eq!(report["provision"], "none");
    assert_eq!(report["target"], server.uri());
    assert_eq!(report["outcomes"].as_array().unwrap().len(), 18);

    let junit = parse_xml(&std::fs::read_to_string(path("junit.xml")).unwrap());
    let suite = junit.all("testsuite")[0];
    assert_eq!((suite.attr("tests"), suite.attr("failures")), ("18", "0"));

    let md = std::fs::read_to_string(path("summary.md")).unwrap();
    assert!(md.contains("verify: 18 fixtures, 18 passed, 0 failed, 0 skipped"));
    assert_eq!(md.lines().filter(|l| l.starts_with("| `")).count(), 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_a_failing_target_exits_1_and_still_writes_the_reports() {
    let server = target(
        ResponseTemplate::new(500)
            .insert_header("content-type", "text/html; charset=utf-8")
            .set_body_bytes("<!doctype html><title>500 Internal Server Error</title>"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml").to_string_lossy().into_owned();
    let json_path = dir
        .path()
        .join("report.json")
        .to_string_lossy()
        .into_owned();
    let out = tapedeck_async(vec![
        "verify".into(),
        "--target".into(),
        server.uri(),
        "--only".into(),
        "unknown-user*".into(),
        "--junit".into(),
        junit.clone(),
        "--report-json".into(),
        json_path.clone(),
    ])
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("FAIL  ")).count(),
        2,
        "--only 'unknown-user*' is unknown-user and unknown-user-pool: {stdout}"
    );
    assert!(stdout.contains(
        "FAIL  unknown-user       expected 400 UserNotFoundException 'User does not exist.', got 500 text/html; charset=utf-8\n"
    ), "{stdout}");
    assert!(
        stdout.contains("      - status: expected 400, got 500\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("verify: 2 fixtures, 0 passed, 2 failed, 0 skipped\n"));
    let suite_xml = std::fs::read_to_string(&junit).unwrap();
    let root = parse_xml(&suite_xml);
    assert_eq!(root.all("testsuite")[0].attr("failures"), "2");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(report["outcomes"][0]["result"], "FAIL");
    assert_eq!(report["outcomes"][0]["differences"][0]["aspect"], "status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_an_unreachable_target_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = tapedeck_async(vec![
        "verify".into(),
        "--target".into(),
        "http://127.0.0.1:1".into(),
        "--junit".into(),
        junit.to_string_lossy().into_owned(),
    ])
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: the target is unreachable: ") && stderr.contains("127.0.0.1:1"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no table: {}", text(&out.stdout));
    assert!(!junit.exists(), "no report for a run that did not happen");
}

#[test]
fn cli_only_matching_nothing_exits_2_with_a_clear_message() {
    let out = tapedeck(&[
        "verify",
        "--target",
        "http://127.0.0.1:1",
        "--only",
        "nope*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: --only 'nope*' matches no fixture id\n"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_only_selects_by_glob() {
    let server = ReplayServer::start().await;
    let out = tapedeck_async(vec![
        "verify".into(),
        "--target".into(),
        server.uri().to_owned(),
        "--only".into(),
        "malformed-??????-*".into(),
    ])
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let ids: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("PASS  "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["malformed-device-key"],
        "'?' is one character: {stdout}"
    );
}

// ---------------------------------------------------------------------------
// Known bugs, pinned so that fixing them flips these on (see the report).
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_table_lists_the_difference_of_a_single_difference_failure() {
    let f = reference("unknown-user");
    let server = target(error_answer(
        400,
        "UserNotFoundException",
        Some("UserNotFoundException"),
        "User does not exist.",
    ))
    .await;
    let (outcomes, _) = run(
        &config(&server.uri(), Provision::None, Level::Strict, false),
        &[f],
    )
    .await;
    let table = Report::new(&server.uri(), Level::Strict, Provision::None, outcomes).table(false);
    assert!(
        table.contains(
            "- error-header: expected 'UserNotFoundException:', got 'UserNotFoundException'"
        ),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_an_unreachable_target_exits_2_with_provisioning_too() {
    let out = tapedeck_async(vec![
        "verify".into(),
        "--target".into(),
        "http://127.0.0.1:1".into(),
        "--provision".into(),
        "auto".into(),
        "--only".into(),
        "forget-*".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[test]
fn a_substituted_value_is_literal_inside_a_message_regex() {
    let mut f = reference("unknown-user-pool").fixture;
    f.compare.message =
        MessageRule::Regex(r"^User pool us-east-1_NoSuchPool does not exist\.$".into());
    // A target whose ids carry regex metacharacters (a '+' here).
    let got = answer(
        400,
        &[
            ("content-type", CT),
            ("x-amzn-errortype", "ResourceNotFoundException:"),
        ],
        r#"{"__type":"ResourceNotFoundException","message":"User pool local_a+b does not exist."}"#,
    );
    let pairs = vec![("us-east-1_NoSuchPool".to_owned(), "local_a+b".to_owned())];
    assert_eq!(compare(&f, &got, Level::Wire, &pairs), vec![]);
}

#[test]
fn a_nested_ignore_path_is_ignored_on_both_sides() {
    let mut f = reference("unknown-user").fixture;
    f.response.body = tapedeck::fixture::Body::Json(json!({
        "__type": "UserNotFoundException",
        "message": "User does not exist.",
        "details": { "pool": "p", "requestTime": "2026-11-26T01:00:00Z" }
    }));
    f.compare.ignore_paths = vec!["/details/requestTime".into()];
    let got = answer(
        400,
        &[
            ("content-type", CT),
            ("x-amzn-errortype", "UserNotFoundException:"),
        ],
        r#"{"__type":"UserNotFoundException","message":"User does not exist.","details":{"pool":"p","requestTime":"2099-01-01T00:00:00Z"}}"#,
    );
    assert_eq!(compare(&f, &got, Level::Wire, &[]), vec![]);
}

/// A success body differs: the difference shows both bodies with every
/// sensitive value that could hurt masked, short ones included, and the
/// recorded pseudonyms as they are.
#[test]
fn a_differing_body_is_shown_without_the_target_s_sensitive_values() {
    let mut f = reference("forget-remembered-device").fixture;
    f.request.headers.insert(
        "x-amz-target".into(),
        tapedeck::fixture::HeaderValue::One(
            "AWSCognitoIdentityProviderService.AdminGetUser".into(),
        ),
    );
    f.request.body = tapedeck::fixture::Body::Json(
        serde_json::json!({"UserPoolId": "us-east-1_A", "Username": "pseudonym_0123456789ab"}),
    );
    f.response.body =
        tapedeck::fixture::Body::Json(serde_json::json!({"Username": "pseudonym_0123456789ab"}));
    let got = answer(
        200,
        &[("content-type", CT)],
        r#"{"Username":"al","UserAttributes":[{"Name":"email","Value":"al@example.org"}]}"#,
    );
    let diffs = compare(&f, &got, Level::Wire, &[]);
    let body = diffs
        .iter()
        .find(|d| d.aspect == "body")
        .expect("the bodies differ");
    assert!(body.expected.contains("pseudonym_0123456789ab"), "{body}");
    assert!(
        !body.got.contains("\"al\"") && !body.got.contains("al@example"),
        "{body}"
    );
    assert!(
        body.got.contains("‹sensitive UsernameType, 2 characters›"),
        "{body}"
    );
}
