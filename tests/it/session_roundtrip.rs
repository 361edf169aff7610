//! A team's boto3 session of many operations (scripts/clients/session.py:
//! CreateUserPool, CreateUserPoolClient, two AdminCreateUser with e-mail
//! addresses and a TemporaryPassword, AdminSetUserPassword, AdminInitiateAuth
//! with ADMIN_USER_PASSWORD_AUTH, AdminGetUser of each, ListUserPools,
//! ListUsers, AdminForgetDevice, AdminDeleteUser, AdminGetUser of the deleted
//! user, AdminDeleteUser, DeleteUserPool) recorded through `tapedeck record` in
//! front of moto with default options, then replayed by `tapedeck replay
//! --strict`.
//!
//! What it proves: every operation is recorded without an AdminForgetDevice
//! annotation and without any of the session's secrets or identifiers
//! (passwords, tokens, the usernames, the e-mail addresses, the app client id,
//! the users' sub); `lint` finds no problem at all; `coverage` lists each
//! operation; the session replays strictly — exit 0, every call matched, no
//! contract violation — both with the users it was recorded with and with
//! other users (the pseudonyms bind to whatever names this run sends, the two
//! users each finding their own fixtures); the caller-visible transcripts
//! agree call by call, its own usernames and e-mail addresses given back as it
//! sent them, tokens and server-made ids by form (a JWT is a JWT); no replay
//! report shows a sensitive value; `diff` pairs the set with itself and
//! `verify` passes every fixture against a replay of it.
//!
//! Needs moto (`scripts/moto.sh start`, `MOTO_URL`, `MOTO_CREDENTIALS`) and the
//! venv's boto3; skipped with a message without them, a failure when `CI` is set.
//! The transcripts hold the session's passwords and tokens: they stay in a
//! temporary directory and are never printed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tapedeck::fixture::sensitive::{is_inert, leaves, recognise, Side};

use crate::support::process::{output_within, Server, BIN};

/// The session's users as recorded, and as a second replay names them.
const NAMES: &str = "session-user,session-user-2";
const OTHER_NAMES: &str = "someone-else,someone-else-2";

/// What scripts/clients/session.py sends that must never be written: its
/// passwords, its usernames and the users' e-mail addresses.
const SESSION_VALUES: &[&str] = &[
    "Tmp-Passw0rd!",
    "Perm-Passw0rd!2",
    "session-user",
    "session-user@example.com",
    "session-user-2",
    "session-user-2@example.com",
];

/// moto's URL and the IAM key `scripts/moto.sh` created, or `None` (skip).
fn moto() -> Option<(String, String, String)> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(url), Some(credentials)) = (var("MOTO_URL"), var("MOTO_CREDENTIALS")) else {
        assert!(
            var("CI").is_none(),
            "MOTO_URL and MOTO_CREDENTIALS are not set, but CI is: scripts/test.sh must start moto first"
        );
        eprintln!(
            "skipping: moto not running (scripts/moto.sh start; export MOTO_URL MOTO_CREDENTIALS)"
        );
        return None;
    };
    let text = fs::read_to_string(&credentials).unwrap_or_else(|e| panic!("{credentials}: {e}"));
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("{credentials} has no {name}= line"))
    };
    Some((
        url,
        value("AWS_ACCESS_KEY_ID"),
        value("AWS_SECRET_ACCESS_KEY"),
    ))
}

fn python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh",
        python.display()
    );
    python
}

/// Runs the session with the users `names` against `endpoint`, writing its
/// transcript; returns the number of requests it sent.
fn session(endpoint: &str, transcript: &Path, names: &str) -> u64 {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/clients/session.py");
    let out = output_within(
        Command::new(python())
            .arg(script)
            .args(["--endpoint", endpoint, "--names", names, "--transcript"])
            .arg(transcript)
            .env_remove("AWS_PROFILE"),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the session failed against {endpoint}: {}",
        // boto3's traceback names the call; it holds no secret of the session.
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("requests: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in {stdout:?}"))
}

fn tapedeck(args: &[&str]) -> std::process::Output {
    output_within(
        Command::new(BIN).args(args).env("NO_COLOR", "1"),
        Duration::from_secs(60),
    )
}

#[test]
fn a_recorded_multi_operation_session_replays_strictly() {
    let Some((moto_url, key_id, secret)) = moto() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures");

    // Record the session through the proxy, which re-signs with moto's key.
    let mut record = Command::new(BIN);
    record
        .args(["record", "--upstream", &moto_url, "--region", "us-east-1"])
        .arg("--out")
        .arg(&fixtures)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_ACCESS_KEY_ID", &key_id)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    let proxy = Server::spawn(record, dir.path().join("record.log"));
    let recorded = dir.path().join("recorded.json");
    let requests = session(&proxy.url, &recorded, NAMES);
    drop(proxy);
    assert_eq!(requests, 15);

    // One fixture per call (the deleted user's second AdminGetUser is the
    // second of a sequence), each for its own operation, none annotated with
    // another operation's violations.
    let mut operations = Vec::new();
    for entry in fs::read_dir(&fixtures).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        let f: Value = serde_json::from_str(&text).unwrap();
        let target = f["request"]["headers"]["x-amz-target"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            f.get("expected_violations").is_none(),
            "{target}: a valid request carries expected_violations"
        );
        assert!(
            !text.contains("deviceKey") || target.ends_with(".AdminForgetDevice"),
            "{target}"
        );
        operations.push(target.rsplit('.').next().unwrap().to_owned());
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "AdminCreateUser",
            "AdminCreateUser",
            "AdminDeleteUser",
            "AdminDeleteUser",
            "AdminForgetDevice",
            "AdminGetUser",
            "AdminGetUser",
            "AdminGetUser",
            "AdminInitiateAuth",
            "AdminSetUserPassword",
            "CreateUserPool",
            "CreateUserPoolClient",
            "DeleteUserPool",
            "ListUserPools",
            "ListUsers"
        ]
    );

    // No secret nor identifier of the session reached a fixture.
    let recorded_calls: Vec<Value> = serde_json::from_slice(&fs::read(&recorded).unwrap()).unwrap();
    let mut canaries: Vec<String> = SESSION_VALUES.iter().map(|v| (*v).to_owned()).collect();
    for call in &recorded_calls {
        let op = tapedeck::contract::model::get().operation(call["operation"].as_str().unwrap());
        for leaf in leaves(op, Side::Response, &call["response"]) {
            let text = leaf.text().into_owned();
            if !is_inert(leaf.key, &text) {
                canaries.push(text);
            }
        }
    }
    assert!(
        canaries.len() > SESSION_VALUES.len() + 4,
        "the tokens, the client id and the sub are canaries too"
    );
    for entry in fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        for (i, canary) in canaries.iter().enumerate() {
            assert!(
                !text.contains(canary.as_str()),
                "{}: sensitive value #{i} of the session was written",
                path.display()
            );
        }
    }

    // lint checks each fixture against its own operation: no problem at all.
    let fixtures_arg = fixtures.to_str().unwrap();
    let lint = tapedeck(&["lint", "--format", "json", fixtures_arg]);
    let report: Value = serde_json::from_slice(&lint.stdout).unwrap_or_else(|e| {
        panic!(
            "lint --format json: {e}: {}",
            String::from_utf8_lossy(&lint.stderr)
        )
    });
    let problems = report["problems"].as_array().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");

    // coverage groups by operation: each recorded one has a recorded outcome.
    let coverage = tapedeck(&["coverage", fixtures_arg, "--json"]);
    let lines: Value = serde_json::from_slice(&coverage.stdout).unwrap();
    for op in &operations {
        let recorded = lines
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["operation"] == op.as_str() && l["status"] == "recorded")
            .count();
        assert!(recorded >= 1, "{op}: no outcome recorded");
    }

    // Replay it strictly, for the same session and for one with other users:
    // every call is served, by binding the recorded pseudonyms to the names
    // and e-mail addresses this run sends.
    for names in [NAMES, OTHER_NAMES] {
        let (replayed, report, status) = replay(&fixtures, names, requests, dir.path());
        let report_text = report.to_string();
        for (i, canary) in canaries.iter().enumerate() {
            assert!(
                !report_text.contains(canary.as_str()),
                "sensitive value #{i} in the replay report"
            );
        }
        for name in names.split(',') {
            assert!(!report_text.contains(name), "{name} in the replay report");
        }
        let entries = report["entries"].as_array().unwrap();
        for e in entries {
            assert_eq!(e["outcome"], "matched", "{names}: {e:#}");
            assert_eq!(e["violations"], serde_json::json!([]), "{names}: {e:#}");
        }
        assert_eq!(report["totals"]["matched"], requests, "{names}");
        assert_eq!(status, Some(0), "{names}: replay --strict exit code");
        same_answers(&recorded_calls, &replayed, names);
    }

    // diff and verify work for any operation: the set against itself, and a
    // replay of it checked by verify (outputs not printed: they show bodies).
    let diff = tapedeck(&["diff", fixtures_arg, fixtures_arg]);
    assert_eq!(diff.status.code(), Some(0), "diff of a set with itself");
    assert!(String::from_utf8_lossy(&diff.stdout).contains("diff: 0 changes"));
    let mut replay = Command::new(BIN);
    replay
        .args(["replay", "--fixtures", fixtures_arg])
        .env("NO_COLOR", "1");
    let target = Server::spawn(replay, dir.path().join("verify-target.log"));
    let verify = tapedeck(&[
        "verify",
        "--target",
        &target.url,
        "--fixtures",
        fixtures_arg,
    ]);
    let summary = String::from_utf8_lossy(&verify.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        summary,
        format!("verify: {requests} fixtures, {requests} passed, 0 failed, 0 skipped")
    );
    assert_eq!(verify.status.code(), Some(0));
    drop(target);
}

/// Replays the session with `names` against `tapedeck replay --strict` of
/// `fixtures`: its transcript, the JSON report and the exit code.
fn replay(
    fixtures: &Path,
    names: &str,
    requests: u64,
    dir: &Path,
) -> (Vec<Value>, Value, Option<i32>) {
    let tag = names.replace(',', "+");
    let report = dir.join(format!("report-{tag}.json"));
    let mut replay = Command::new(BIN);
    replay
        .args(["replay", "--strict", "--exit-after", &requests.to_string()])
        .arg("--fixtures")
        .arg(fixtures)
        .arg("--report")
        .arg(&report)
        .env("NO_COLOR", "1");
    let mut server = Server::spawn(replay, dir.join(format!("replay-{tag}.log")));
    let transcript = dir.join(format!("replayed-{tag}.json"));
    assert_eq!(session(&server.url, &transcript, names), requests);
    let status = wait(&mut server.child, Duration::from_secs(30));
    let report: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    let calls = serde_json::from_slice(&fs::read(&transcript).unwrap()).unwrap();
    (calls, report, status)
}

/// What a value is, for comparing values the replay cannot give back as they
/// were (tokens, server-made ids) with what the recording got.
fn form(value: &str) -> &'static str {
    let jose = |n: usize| {
        let parts: Vec<&str> = value.split('.').collect();
        parts.len() == n
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            && base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0])
                .ok()
                .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
                .is_some_and(|h| h.is_object())
    };
    if jose(3) {
        "a JWT"
    } else if jose(5) {
        "a JWE"
    } else if uuid::Uuid::parse_str(value).is_ok() && value.len() == 36 {
        "a UUID"
    } else if value.contains('@') {
        "an e-mail address"
    } else {
        "text"
    }
}

/// The replayed answers are the recorded ones, call by call: equal but for
/// their sensitive values, where the caller's own usernames and e-mail
/// addresses come back as this run sent them, and every other sensitive value
/// (tokens, the app client id, the users' sub) has the recorded one's form.
/// Compared without printing them: they hold the session's tokens.
fn same_answers(recorded: &[Value], replayed: &[Value], names: &str) {
    let own: Vec<(String, String)> = NAMES
        .split(',')
        .zip(names.split(','))
        .flat_map(|(r, n)| {
            [
                (r.to_owned(), n.to_owned()),
                (format!("{r}@example.com"), format!("{n}@example.com")),
            ]
        })
        .collect();
    assert_eq!(recorded.len(), replayed.len());
    for (i, (x, y)) in recorded.iter().zip(replayed).enumerate() {
        let op = x["operation"].as_str().unwrap();
        assert_eq!(y["operation"], op, "call {i}");
        assert_eq!(y["error"], x["error"], "call {i}: {op}");
        let model_op = tapedeck::contract::model::get().operation(op);
        let (mut x, mut y) = (x["response"].clone(), y["response"].clone());
        let got: Vec<(String, String)> = leaves(model_op, Side::Response, &y)
            .iter()
            .map(|l| (l.pointer.clone(), l.text().into_owned()))
            .collect();
        let expected: Vec<(String, String)> = leaves(model_op, Side::Response, &x)
            .iter()
            .map(|l| (l.pointer.clone(), l.text().into_owned()))
            .collect();
        assert_eq!(
            got.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            expected.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "call {i}: {op}: the same sensitive members"
        );
        for ((pointer, was), (_, is)) in expected.iter().zip(&got) {
            match own.iter().find(|(r, _)| r == was) {
                Some((_, mine)) => assert!(
                    is == mine,
                    "call {i}: {op} {pointer}: not the caller's own value back"
                ),
                None if is_inert(None, was) => assert!(is == was, "call {i}: {op} {pointer}"),
                None => {
                    assert!(
                        recognise(is).is_some(),
                        "call {i}: {op} {pointer}: neither the caller's value, nor a pseudonym or placeholder"
                    );
                    assert_eq!(form(is), form(was), "call {i}: {op} {pointer}");
                }
            }
        }
        for (pointer, _) in &expected {
            *x.pointer_mut(pointer).unwrap() = Value::from("(sensitive)");
            *y.pointer_mut(pointer).unwrap() = Value::from("(sensitive)");
        }
        assert!(x == y, "call {i}: {op} answered differently on replay");
    }
}

/// Waits for a child to exit, at most `budget`; its exit code.
fn wait(child: &mut std::process::Child, budget: Duration) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            started.elapsed() < budget,
            "replay did not exit after its requests"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
