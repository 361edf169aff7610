//! `tapedeck capture` end to end against a stateful fake Cognito
//! (`tests/it/support/fake_cognito.rs`, on wiremock, loopback only).
//!
//! - The fake itself answers AdminForgetDevice like the reference corpus.
//! - A full capture observes every provokable scenario's expected outcome,
//!   writes lint-clean fixtures that replay, makes forget-remembered-device and
//!   device-already-forgotten a sequence (1, 2), and deletes its pool.
//! - `keep` leaves the pool (and `Provisioner::cleanup` finds it).
//! - Teardown happens after a failed step, after cancellation, and a failed
//!   DeleteUserPool is reported as left behind.
//! - `throttle_burst` stops at the first throttled answer and never sends more
//!   than N requests.
//! - The CLI: the AWS-endpoint guard (no TTY, no `--yes` → exit 2 before any
//!   credentials or network), `--dry-run`, and a whole run against the fake.

use crate::support;
use crate::support::fake_cognito;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rstest::rstest;
use serde_json::Value;

use fake_cognito::{FakeCognito, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use tapedeck::fixture::RequestKey;
use tapedeck::fixture::SequenceEnd;
use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::net::Signer;
use tapedeck::net::{Auth as CallAuth, Client};
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::scenario::catalog::{self, Auth, Provokable, Scenario, CATALOG};
use tapedeck::scenario::{capture, CaptureConfig, Coverage, Row};
use tapedeck::scenario::{Provisioner, StepError};
use tapedeck::ReplayServer;

const BIN: &str = env!("CARGO_BIN_EXE_tapedeck");
/// Upper bound for one whole capture against the fake.
const BUDGET: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

fn upstream(url: &str, timeouts: Timeouts) -> Upstream {
    Upstream::new(url, None, timeouts).expect("the fake's URL is a valid upstream")
}

fn config(fake: &FakeCognito, out: &Path) -> CaptureConfig {
    CaptureConfig {
        upstream: upstream(&fake.url(), Timeouts::default()),
        region: REGION.to_owned(),
        signer: fake_cognito::signer(),
        out: out.to_path_buf(),
        scenarios: CATALOG.iter().collect(),
        throttle_burst: None,
        keep: false,
        overwrite: false,
    }
}

/// Runs `capture` with no cancellation; returns the result and the progress lines.
async fn run(config: CaptureConfig) -> (Result<Coverage, StepError>, Vec<String>) {
    let mut lines = Vec::new();
    let mut progress = |line: String| lines.push(line);
    let result = tokio::time::timeout(
        BUDGET,
        capture(config, &mut progress, std::future::pending()),
    )
    .await
    .expect("capture finishes within its budget");
    (result, lines)
}

fn row<'a>(coverage: &'a Coverage, scenario: &str) -> &'a Row {
    coverage
        .rows
        .iter()
        .find(|r| r.scenario == scenario)
        .unwrap_or_else(|| panic!("no row for {scenario} in\n{}", coverage.table()))
}

fn provokable() -> impl Iterator<Item = &'static Scenario> {
    CATALOG.iter().filter(|s| s.provokable == Provokable::Yes)
}

/// What a faithful endpoint's answer to `s` looks like in the `observed` column.
fn expected_observed(s: &Scenario) -> String {
    match s.expected {
        None => "200 success".to_owned(),
        Some(t) => format!("400 {t}"),
    }
}

fn load(dir: &Path) -> Vec<LoadedFixture> {
    fixture::load_path(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// The coverage table without what differs between runs (pool ids, fixture
/// hashes, run stamps). insta's `filters` feature is not enabled in this crate,
/// so the redaction is done here.
fn redacted(table: &str) -> String {
    let mut text = table.to_owned();
    for (pattern, replacement) in [
        (r"us-east-1_Fake\d+", "[pool]"),
        (r"\b([a-z][a-z-]*)-[0-9a-f]{8}\b", "$1-[hash]"),
        (r"tapedeck-\d{8}t\d{6}", "tapedeck-[run]"),
    ] {
        text = regex::Regex::new(pattern)
            .expect("filter compiles")
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}

// ---------------------------------------------------------------------------
// The fake itself.
// ---------------------------------------------------------------------------

/// The fake answers every provokable reference request (plus `throttled`,
/// with the knob) exactly like the reference fixture: status, content type,
/// `x-amzn-errortype`, and body (the whole body when the fixture compares
/// messages exactly, the `__type` otherwise).
#[tokio::test]
async fn fake_answers_admin_forget_device_like_the_reference_corpus() {
    let fake = FakeCognito::start().await;
    fake.seed(
        "us-east-1_TapeDeck1",
        "tapedeck-user",
        "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
    );
    let client = Client::new(upstream(&fake.url(), Timeouts::default()), REGION);
    let signed_with = |key: &str, secret: &str| {
        CallAuth::Signed(Signer::fixed(aws_credential_types::Credentials::new(
            key, secret, None, None, "test",
        )))
    };
    let mut reference = support::reference();
    // The sequence first (its state is the seeded device), throttled last (the
    // knob throttles everything after it).
    reference.sort_by_key(|l| {
        let f = &l.fixture;
        (
            f.sequence.is_none(),
            f.id == "throttled",
            f.sequence,
            f.id.clone(),
        )
    });
    let mut compared = Vec::new();
    for f in reference.iter().map(|l| &l.fixture) {
        let scenario = catalog::scenario(f.scenario.as_deref().unwrap_or(&f.id))
            .unwrap_or_else(|| panic!("reference fixture {} has no catalog scenario", f.id));
        match scenario.provokable {
            Provokable::Yes => {}
            Provokable::OptIn => fake.throttle_forget_after(0),
            Provokable::No(_) => continue,
        }
        let auth = match scenario.auth {
            Auth::Signed => signed_with(ACCESS_KEY_ID, SECRET_ACCESS_KEY),
            Auth::WrongSecret => signed_with(ACCESS_KEY_ID, "not-the-fakes-secret"),
            Auth::UnknownKey => signed_with("AKIDNOBODYKNOWS00000", SECRET_ACCESS_KEY),
            Auth::Unsigned => CallAuth::Unsigned,
        };
        let body = f.request.body.bytes().expect("reference body").into_owned();
        let got = client
            .send(
                "AWSCognitoIdentityProviderService.AdminForgetDevice",
                Bytes::from(body),
                &auth,
            )
            .await
            .expect("the fake answers");
        let id = &f.id;
        assert_eq!(got.status.as_u16(), f.response.status, "{id}");
        for h in ["content-type", "x-amzn-errortype"] {
            assert_eq!(
                got.headers.get(h).and_then(|v| v.to_str().ok()),
                f.response_header(h),
                "{id}: {h}"
            );
        }
        let want = f.response.body.bytes().unwrap().into_owned();
        match f.compare.message {
            tapedeck::fixture::MessageRule::Exact => {
                assert_eq!(
                    String::from_utf8_lossy(&got.body),
                    String::from_utf8_lossy(&want),
                    "{id}: body"
                );
            }
            _ => {
                let want: Value = serde_json::from_slice(&want).unwrap();
                assert_eq!(got.json().unwrap()["__type"], want["__type"], "{id}");
            }
        }
        compared.push(id.clone());
    }
    // Every provokable scenario and throttled, including both steps of the sequence.
    assert_eq!(compared.len(), provokable().count() + 1, "{compared:?}");
    assert_eq!(
        compared[..2],
        ["forget-remembered-device", "device-already-forgotten"]
    );
}

/// The fake checks what a real endpoint checks on the way to a remembered
/// device: unknown tokens, missing or bogus verifiers, wrong passwords.
#[tokio::test]
async fn fake_refuses_bad_provisioning_requests() {
    let fake = FakeCognito::start().await;
    let client = Client::new(upstream(&fake.url(), Timeouts::default()), REGION);
    let auth = CallAuth::Signed(fake_cognito::signer());
    let call = |op: &'static str, body: Value, auth: CallAuth| {
        let client = client.clone();
        async move { client.call(op, &body, &auth).await.expect("fake answers") }
    };
    let confirm = |token: &str, verifier: &str| {
        serde_json::json!({
            "AccessToken": token, "DeviceKey": "us-east-1_x",
            "DeviceSecretVerifierConfig": { "PasswordVerifier": verifier, "Salt": "AQID" }
        })
    };
    let got = call(
        "ConfirmDevice",
        confirm("unknown-token", "AgM="),
        CallAuth::Unsigned,
    )
    .await;
    assert_eq!(got.error_type().as_deref(), Some("NotAuthorizedException"));
    // Unsigned provisioning calls are refused, as AWS would.
    let got = call(
        "CreateUserPool",
        serde_json::json!({"PoolName": "p"}),
        CallAuth::Unsigned,
    )
    .await;
    assert_eq!(
        got.error_type().as_deref(),
        Some("MissingAuthenticationTokenException")
    );
    assert!(fake.pool_ids().is_empty());
    // A real pool, user and token; then bad verifiers.
    let provisioner = Provisioner::new(client.clone(), auth.clone());
    let pool = provisioner.create_pool().await.expect("pool");
    provisioner
        .create_user(&pool, "tapedeck-u")
        .await
        .expect("user");
    let wrong = call(
        "AdminInitiateAuth",
        serde_json::json!({
            "UserPoolId": pool.id, "ClientId": pool.client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "tapedeck-u", "PASSWORD": "wrong"}
        }),
        auth.clone(),
    )
    .await;
    assert_eq!(
        wrong.error_type().as_deref(),
        Some("NotAuthorizedException")
    );
    let token = fake.state().tokens.keys().next().cloned();
    assert_eq!(token, None, "no token for a wrong password");
    fake.seed(&pool.id, "tapedeck-u", "us-east-1_unused");
    let device = provisioner
        .remember_device(&pool, "tapedeck-u", "Seeded-1!")
        .await
        .expect("remember a device with the seeded password");
    let token = fake.state().tokens.keys().next().cloned().expect("a token");
    for (verifier, why) in [("", "empty"), ("%%%", "not base64"), ("AQ==", "is 1")] {
        let mut body = confirm(&token, verifier);
        body["DeviceKey"] = Value::String(device.key.clone());
        let got = call("ConfirmDevice", body, CallAuth::Unsigned).await;
        assert_eq!(
            got.error_type().as_deref(),
            Some("InvalidParameterException"),
            "verifier {why}"
        );
    }
    let st = fake.state();
    let remembered = &st.pools[&pool.id].users["tapedeck-u"].devices[&device.key];
    assert!(
        remembered.confirmed,
        "the provisioner's verifier was accepted"
    );
}

// ---------------------------------------------------------------------------
// A whole capture.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn capture_observes_every_provokable_scenario_and_cleans_up() {
    let fake = FakeCognito::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("captured");
    let (result, lines) = run(config(&fake, &out)).await;
    let coverage = result.expect("capture succeeds against the fake");
    let table = coverage.table();

    // One row per catalog scenario, in catalog order.
    let ids: Vec<&str> = coverage.rows.iter().map(|r| r.scenario.as_str()).collect();
    let catalog_ids: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
    assert_eq!(ids, catalog_ids);
    for s in CATALOG {
        let r = row(&coverage, s.id);
        assert_eq!(r.expected, s.expected_label(), "{}", s.id);
        match s.provokable {
            Provokable::Yes => {
                assert_eq!(r.observed, expected_observed(s), "{}\n{table}", s.id)
            }
            Provokable::OptIn => {
                assert_eq!(r.observed, "-");
                assert!(r.fixture.contains("--throttle-burst"), "{}", r.fixture);
            }
            Provokable::No(why) => {
                assert_eq!(r.observed, "-");
                assert_eq!(r.fixture, why);
            }
        }
    }

    // The pool is gone, and the device really was remembered, then forgotten once.
    assert!(
        coverage.left_behind.is_empty(),
        "{:?}",
        coverage.left_behind
    );
    assert_eq!(fake.pool_ids(), Vec::<String>::new(), "{lines:#?}");
    assert_eq!(fake.count("CreateUserPool"), 1);
    assert_eq!(fake.count("DeleteUserPool"), 1);
    assert_eq!(
        fake.operations().last().map(String::as_str),
        Some("DeleteUserPool")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DeleteUserPool us-east-1_Fake") && l.ends_with("ok")),
        "{lines:#?}"
    );
    {
        let st = fake.state();
        assert_eq!(st.forgotten.len(), 1, "one device forgotten");
        let (_, user, device) = &st.forgotten[0];
        assert!(device.confirmed, "the forgotten device had been confirmed");
        assert!(user.starts_with("tapedeck-"), "{user}");
        assert!(st.tokens.is_empty());
    }
    // Nothing was sent to AdminForgetDevice but the provokable scenarios.
    assert_eq!(fake.count("AdminForgetDevice"), provokable().count());

    // The fixtures: one per provokable scenario, named in the table, lint clean,
    // without the fake's key.
    let loaded = load(&out);
    assert_eq!(loaded.len(), provokable().count(), "{table}");
    for s in provokable() {
        let r = row(&coverage, s.id);
        let f = loaded
            .iter()
            .find(|l| l.fixture.id == r.fixture)
            .unwrap_or_else(|| panic!("{}: no fixture {} written", s.id, r.fixture));
        assert_eq!(f.fixture.scenario.as_deref(), Some(s.id));
        assert!(!f.text.contains(ACCESS_KEY_ID), "{}", f.origin);
    }
    support::assert_lints_clean(&out);

    // forget, then forget again: one request, a sequence of two.
    let by_scenario = |id: &str| {
        &loaded
            .iter()
            .find(|l| l.fixture.scenario.as_deref() == Some(id))
            .unwrap()
            .fixture
    };
    let first = by_scenario("forget-remembered-device");
    let second = by_scenario("device-already-forgotten");
    assert_eq!(RequestKey::of(first), RequestKey::of(second));
    assert_eq!((first.sequence, second.sequence), (Some(1), Some(2)));
    assert_eq!(first.response.status, 200);
    assert!(first.response.body.bytes().unwrap().is_empty());
    assert_eq!(
        second.response.body.json().unwrap()["message"],
        "Device does not exist."
    );

    // They replay: each request, in catalog order, gets the recorded answer.
    let server = ReplayServer::builder()
        .fixtures(&out)
        .sequence_end(SequenceEnd::Error)
        .start()
        .await
        .unwrap();
    let http = support::client();
    for s in provokable() {
        let f = &loaded
            .iter()
            .find(|l| l.fixture.id == row(&coverage, s.id).fixture)
            .unwrap()
            .fixture;
        let body = f.request.body.bytes().unwrap().into_owned();
        let got = support::forget(&http, server.uri(), std::str::from_utf8(&body).unwrap()).await;
        assert_eq!(got.status.as_u16(), f.response.status, "{}", s.id);
        assert_eq!(
            got.body,
            f.response.body.bytes().unwrap().into_owned(),
            "{}",
            s.id
        );
    }

    insta::assert_snapshot!("coverage-table", redacted(&table));
}

#[tokio::test]
async fn keep_leaves_the_pool_and_cleanup_finds_it() {
    let fake = FakeCognito::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake, dir.path());
    cfg.keep = true;
    cfg.scenarios = vec![catalog::scenario("unknown-user").unwrap()];
    let (result, lines) = run(cfg).await;
    let coverage = result.unwrap();
    assert_eq!(
        row(&coverage, "unknown-user").observed,
        "400 UserNotFoundException"
    );
    let pools = fake.pool_ids();
    assert_eq!(pools.len(), 1);
    assert_eq!(coverage.left_behind, pools);
    assert_eq!(fake.count("DeleteUserPool"), 0);
    assert!(lines.iter().any(|l| l.contains("--keep")), "{lines:#?}");
    // `capture --cleanup`'s library half removes it (and only tapedeck-* pools).
    fake.state().pools.insert(
        "us-east-1_Other".into(),
        fake_cognito::Pool {
            id: "us-east-1_Other".into(),
            name: "somebody-elses-pool".into(),
            tracks_devices: false,
            clients: Default::default(),
            users: Default::default(),
        },
    );
    let p = Provisioner::new(
        Client::new(upstream(&fake.url(), Timeouts::default()), REGION),
        CallAuth::Signed(fake_cognito::signer()),
    );
    assert_eq!(p.cleanup().await.unwrap(), pools);
    assert_eq!(fake.pool_ids(), vec!["us-east-1_Other".to_owned()]);
}

/// A provisioning step that fails marks the scenarios needing it with the
/// step's answer; the others still run; the pool is still deleted.
#[tokio::test]
async fn teardown_after_a_failed_admin_initiate_auth() {
    let fake = FakeCognito::start().await;
    fake.fail(
        "AdminInitiateAuth",
        500,
        "InternalErrorException",
        "injected failure",
    );
    let dir = tempfile::tempdir().unwrap();
    let (result, lines) = run(config(&fake, dir.path())).await;
    let coverage = result.expect("a failed step is not a failed capture");
    for id in ["forget-remembered-device", "device-already-forgotten"] {
        let r = row(&coverage, id);
        assert_eq!(r.observed, "-", "{id}");
        assert!(
            r.fixture.starts_with("endpoint lacks AdminInitiateAuth: "),
            "{id}: {}",
            r.fixture
        );
        assert!(
            r.fixture.contains("InternalErrorException"),
            "{}",
            r.fixture
        );
    }
    for s in provokable().filter(|s| s.needs != catalog::Need::RememberedDevice) {
        assert_eq!(
            row(&coverage, s.id).observed,
            expected_observed(s),
            "{}",
            s.id
        );
    }
    assert_eq!(
        fake.count("AdminInitiateAuth"),
        1,
        "a failed step is tried once"
    );
    assert_eq!(fake.count("ConfirmDevice"), 0);
    assert_eq!(fake.count("DeleteUserPool"), 1, "{lines:#?}");
    assert!(fake.pool_ids().is_empty());
    assert!(coverage.left_behind.is_empty());
}

/// A step that never answers (the upstream read timeout ends it) is a failed
/// step like any other.
#[tokio::test]
async fn teardown_after_a_hanging_admin_initiate_auth() {
    let fake = FakeCognito::start().await;
    fake.hang("AdminInitiateAuth", Duration::from_secs(120));
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake, dir.path());
    cfg.upstream = upstream(
        &fake.url(),
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(1),
        },
    );
    cfg.scenarios = vec![
        catalog::scenario("forget-remembered-device").unwrap(),
        catalog::scenario("unknown-user").unwrap(),
    ];
    let started = Instant::now();
    let (result, _) = run(cfg).await;
    assert!(started.elapsed() < Duration::from_secs(30));
    let coverage = result.unwrap();
    let r = row(&coverage, "forget-remembered-device");
    assert!(
        r.fixture.starts_with("endpoint lacks AdminInitiateAuth: ")
            && r.fixture.contains("did not answer within 1 s"),
        "{}",
        r.fixture
    );
    assert_eq!(
        row(&coverage, "unknown-user").observed,
        "400 UserNotFoundException"
    );
    assert_eq!(fake.count("DeleteUserPool"), 1);
    assert!(fake.pool_ids().is_empty());
}

/// DeleteUserPool failing is reported, and the pool is named as left behind.
#[tokio::test]
async fn a_failed_delete_is_reported_as_left_behind() {
    let fake = FakeCognito::start().await;
    fake.fail("DeleteUserPool", 400, "NotAuthorizedException", "injected");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake, dir.path());
    cfg.scenarios = vec![catalog::scenario("unknown-user").unwrap()];
    let (result, lines) = run(cfg).await;
    let coverage = result.unwrap();
    assert_eq!(coverage.left_behind, fake.pool_ids());
    assert_eq!(coverage.left_behind.len(), 1);
    assert!(
        lines.iter().any(|l| l.contains("DeleteUserPool")
            && l.contains("FAILED")
            && l.contains("--cleanup")),
        "{lines:#?}"
    );
}

/// Cancelled once the pool exists, while the next step hangs: capture returns
/// promptly, sends no AdminForgetDevice, and still deletes the pool.
#[tokio::test]
async fn cancellation_after_the_pool_is_created_still_deletes_it() {
    let fake = FakeCognito::start().await;
    fake.hang("AdminCreateUser", Duration::from_secs(120));
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut tx = Some(tx);
    let mut lines = Vec::new();
    let mut progress = |line: String| {
        if line.starts_with("CreateUserPool") {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        }
        lines.push(line);
    };
    let started = Instant::now();
    let result = tokio::time::timeout(
        BUDGET,
        capture(config(&fake, dir.path()), &mut progress, async {
            let _ = rx.await;
        }),
    )
    .await
    .expect("cancellation ends the run");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let coverage = result.expect("a cancelled capture still reports");
    assert!(tx.is_none(), "the pool was created: {lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("cancelled")),
        "{lines:#?}"
    );
    assert!(
        coverage.rows.len() < CATALOG.len(),
        "the run stopped early:\n{}",
        coverage.table()
    );
    assert_eq!(fake.count("AdminForgetDevice"), 0);
    assert_eq!(fake.count("DeleteUserPool"), 1, "{lines:#?}");
    assert!(fake.pool_ids().is_empty());
    assert!(coverage.left_behind.is_empty());
}

/// `throttle_burst = n` against an endpoint that throttles after `k` requests:
/// the burst stops at the first throttled answer and never exceeds `n`.
#[rstest]
#[case::throttles_within_the_burst(3, 10, 4, "400 TooManyRequestsException")]
#[case::throttles_at_once(0, 5, 1, "400 TooManyRequestsException")]
#[case::never_throttles(20, 5, 5, "400 ResourceNotFoundException")]
#[case::burst_of_one(20, 1, 1, "400 ResourceNotFoundException")]
#[tokio::test]
async fn throttle_burst_is_bounded(
    #[case] k: usize,
    #[case] n: u32,
    #[case] sent: usize,
    #[case] observed: &str,
) {
    let fake = FakeCognito::start().await;
    fake.throttle_forget_after(k);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake, dir.path());
    cfg.scenarios = vec![catalog::scenario("throttled").unwrap()];
    cfg.throttle_burst = Some(n);
    let (result, _) = run(cfg).await;
    let coverage = result.unwrap();
    assert_eq!(fake.count("AdminForgetDevice"), sent);
    assert_eq!(row(&coverage, "throttled").observed, observed);
    let throttled_answers = fake
        .calls()
        .iter()
        .filter(|c| c.error_type.as_deref() == Some("TooManyRequestsException"))
        .count();
    assert!(throttled_answers <= 1, "kept going after being throttled");
    support::assert_lints_clean(dir.path());
    assert!(fake.pool_ids().is_empty());
}

/// In a full run the throttled burst has its own request (its own device key),
/// so its answers form their own sequence — the first not yet throttled, the
/// next throttled — and never join unknown-device-key's; the set lints clean.
#[tokio::test]
async fn throttle_burst_in_a_full_run_records_its_own_sequence() {
    let fake = FakeCognito::start().await;
    // 9 AdminForgetDevice calls come before `throttled` in catalog order; the
    // 10th (the burst's first) still passes, the 11th is throttled.
    let before = CATALOG
        .iter()
        .take_while(|s| s.id != "throttled")
        .filter(|s| s.provokable == Provokable::Yes)
        .count();
    assert_eq!(before, 9);
    fake.throttle_forget_after(before + 1);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake, dir.path());
    cfg.throttle_burst = Some(5);
    let (result, _) = run(cfg).await;
    let coverage = result.unwrap();
    assert_eq!(
        row(&coverage, "throttled").observed,
        "400 TooManyRequestsException"
    );
    // Auth failures are answered before throttling, so the rest still hold.
    for s in provokable() {
        assert_eq!(
            row(&coverage, s.id).observed,
            expected_observed(s),
            "{}",
            s.id
        );
    }
    assert_eq!(fake.count("AdminForgetDevice"), provokable().count() + 2);
    support::assert_lints_clean(dir.path());
    let loaded = load(dir.path());
    let fixture = |id: &str| {
        &loaded
            .iter()
            .find(|l| l.fixture.id == row(&coverage, id).fixture)
            .unwrap_or_else(|| panic!("{id}: no fixture"))
            .fixture
    };
    let (unknown, throttled) = (fixture("unknown-device-key"), fixture("throttled"));
    assert_ne!(RequestKey::of(unknown), RequestKey::of(throttled));
    assert_eq!((unknown.sequence, throttled.sequence), (None, Some(2)));
    assert_eq!(throttled.scenario.as_deref(), Some("throttled"));
    let first = loaded
        .iter()
        .find(|l| {
            RequestKey::of(&l.fixture) == RequestKey::of(throttled) && l.fixture.sequence == Some(1)
        })
        .expect("the burst's first, unthrottled answer is step 1");
    assert_eq!(first.fixture.response.status, 400);
    assert!(fake.pool_ids().is_empty());
}

// ---------------------------------------------------------------------------
// The CLI.
// ---------------------------------------------------------------------------

/// An environment in which no AWS credentials can be found, and nothing is
/// read from the user's own AWS configuration.
fn no_aws(cmd: &mut Command, home: &Path) {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
}

/// Against an AWS endpoint, without a terminal and without `--yes`, capture
/// refuses with exit 2 at once: before loading credentials (none exist here, and
/// the error is the guard's, not the credential chain's) and before any request.
#[test]
fn cli_refuses_an_aws_endpoint_without_yes_and_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cmd = Command::new(BIN);
    cmd.args([
        "capture",
        "--endpoint",
        "https://cognito-idp.us-east-1.amazonaws.com",
        "--out",
    ])
    .arg(&out);
    no_aws(&mut cmd, dir.path());
    let started = Instant::now();
    let output = cmd.output().expect("tapedeck runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(stderr.contains("AWS endpoint"), "{stderr}");
    assert!(
        !stderr.contains("credentials"),
        "guard comes first: {stderr}"
    );
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "nothing written");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The same with --region alone (which picks the AWS endpoint).
    let mut cmd = Command::new(BIN);
    cmd.args(["capture", "--region", "eu-west-1", "--out"])
        .arg(&out);
    no_aws(&mut cmd, dir.path());
    let output = cmd.output().expect("tapedeck runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cognito-idp.eu-west-1.amazonaws.com"),
        "{stderr}"
    );
}

/// `--dry-run` prints the plan and calls nothing (no credentials needed).
#[test]
fn cli_dry_run_prints_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args([
        "capture",
        "--endpoint",
        "https://cognito-idp.us-east-1.amazonaws.com",
        "--dry-run",
        "--scenarios",
        "unknown-user,forget-remembered-device",
    ]);
    no_aws(&mut cmd, dir.path());
    let output = cmd.output().expect("tapedeck runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "capture plan for https://cognito-idp.us-east-1.amazonaws.com (region us-east-1):"
    );
    assert!(
        lines[1].trim_start().starts_with("unknown-user "),
        "{stdout}"
    );
    assert!(
        lines[1].contains("expects UserNotFoundException"),
        "{stdout}"
    );
    assert!(
        lines[2]
            .trim_start()
            .starts_with("forget-remembered-device "),
        "{stdout}"
    );
    assert!(lines[2].contains("expects success"), "{stdout}");
    assert!(stdout.contains("deletes them at the end"), "{stdout}");
    assert_eq!(lines.len(), 4, "{stdout}");

    // An unknown scenario id is a usage error naming the known ones.
    let mut cmd = Command::new(BIN);
    cmd.args([
        "capture",
        "--region",
        "us-east-1",
        "--dry-run",
        "--scenarios",
        "no-such-scenario",
    ]);
    no_aws(&mut cmd, dir.path());
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no-such-scenario") && stderr.contains("unknown-user"),
        "{stderr}"
    );
}

/// The binary, against the fake (not an AWS host: no confirmation), with
/// credentials from the environment: exit 0, the coverage table on stdout,
/// progress on stderr, fixtures written, pool deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_captures_against_the_fake() {
    let fake = FakeCognito::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cmd = Command::new(BIN);
    cmd.args(["capture", "--endpoint", &fake.url(), "--out"])
        .arg(&out)
        .args(["--scenarios", "unknown-user,unknown-user-pool,unsigned"]);
    no_aws(&mut cmd, dir.path());
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("tapedeck runs"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("scenario"), "{stdout}");
    assert_eq!(lines.len(), 4, "{stdout}");
    for (line, observed) in lines[1..].iter().zip([
        "400 UserNotFoundException",
        "400 ResourceNotFoundException",
        "400 MissingAuthenticationTokenException",
    ]) {
        assert!(line.contains(observed), "{stdout}");
    }
    assert!(stderr.contains("capture: DeleteUserPool"), "{stderr}");
    assert_eq!(load(&out).len(), 3);
    support::assert_lints_clean(&out);
    assert!(fake.pool_ids().is_empty());
    assert_eq!(fake.count("DeleteUserPool"), 1);
}
