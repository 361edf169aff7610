//! `tapedeck capture` against the real emulators the scripts start, pinning what
//! each one does today, and the committed capture sets made from them.
//!
//! - moto 5.2.5 (`scripts/moto.sh start`; `MOTO_URL`, `MOTO_CREDENTIALS`):
//!   provisioning works up to AdminInitiateAuth, which returns no
//!   NewDeviceMetadata, so the device scenarios cannot run; every
//!   AdminForgetDevice that passes moto's SigV4 check is an HTML 500 (unsigned
//!   requests pass it too); a wrong secret or an unknown key gets 403.
//! - cognito-local 5.3.0 (`scripts/cognito-local.sh start`; `COGNITO_LOCAL_URL`):
//!   provisioning works up to AdminInitiateAuth (the script's config turns off
//!   stock cognito-local's email-only usernames), which returns no
//!   NewDeviceMetadata; every AdminForgetDevice is 500
//!   `CognitoLocal#Unsupported`; no signature checks.
//!
//! Each emulator's coverage table is an insta snapshot (pool ids, fixture
//! hashes, run stamps and timestamps redacted). The committed sets —
//! `fixtures/admin-forget-device/moto-5.2.5/capture-*.json` and
//! `fixtures/admin-forget-device/cognito-local-5.3.0/capture-*.json` — are
//! compared with a fresh capture at the contract level (scenario → status and
//! error type or content type, and the request). Without the environment
//! variables the tests skip, except under `CI`, where they fail.
//!
//! To regenerate the committed sets (emulators running, variables exported):
//!
//! ```sh
//! TAPEDECK_REGENERATE=1 cargo test --test it -- --ignored capture_emulators::regenerate
//! INSTA_UPDATE=always cargo test --test it corpus::   # then review tests/it/snapshots/it__corpus__fixture-*-capture-*
//! ```

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde_json::json;

use tapedeck::contract::error_type;
use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::fixture::{to_canonical_string, Fixture};
use tapedeck::net::Signer;
use tapedeck::net::{Auth, Client};
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::scenario::catalog::{self, CATALOG};
use tapedeck::scenario::{capture, CaptureConfig, Coverage, Row};

const REGION: &str = "us-east-1";
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/admin-forget-device");
/// Upper bound for one whole capture against an emulator.
const BUDGET: Duration = Duration::from_secs(120);
/// The committed fixtures made by capture start with this (file name and id).
const PREFIX: &str = "capture-";

// ---------------------------------------------------------------------------
// The emulators, from the environment.
// ---------------------------------------------------------------------------

struct Emulator {
    /// `moto-5.2.5`: the set directory, also the snapshot name.
    set: &'static str,
    /// What the descriptions call it.
    label: &'static str,
    url: String,
    key_id: String,
    secret: String,
    /// The pool id the committed fixtures use instead of the run's.
    stable_pool: &'static str,
}

impl Emulator {
    fn committed_dir(&self) -> PathBuf {
        Path::new(CORPUS).join(self.set)
    }

    fn signer(&self) -> Signer {
        Signer::fixed(aws_credential_types::Credentials::new(
            &self.key_id,
            &self.secret,
            None,
            None,
            "capture-emulators",
        ))
    }

    fn client(&self) -> Client {
        Client::new(upstream(&self.url), REGION)
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `None` (skip) when `vars` are unset outside CI; a loud failure under CI.
fn missing(vars: &str, script: &str, export: &str) -> Option<Emulator> {
    assert!(
        var("CI").is_none(),
        "{vars} not set, but CI is: scripts/test.sh must run `{script} start` and export {export} before cargo test"
    );
    eprintln!("skipping: {vars} not set (run `{script} start`, then export {export})");
    None
}

fn moto() -> Option<Emulator> {
    let (Some(url), Some(credentials)) = (var("MOTO_URL"), var("MOTO_CREDENTIALS")) else {
        return missing(
            "MOTO_URL and MOTO_CREDENTIALS",
            "scripts/moto.sh",
            "MOTO_URL=$(scripts/moto.sh url) MOTO_CREDENTIALS=target/moto/credentials.env",
        );
    };
    let text = fs::read_to_string(&credentials).unwrap_or_else(|e| {
        panic!("MOTO_CREDENTIALS={credentials}: {e} (run scripts/moto.sh start)")
    });
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
            .unwrap_or_else(|| panic!("{credentials} has no {name}= line"))
    };
    Some(Emulator {
        set: "moto-5.2.5",
        label: "moto 5.2.5 (server mode, verifying SigV4)",
        url: url.trim_end_matches('/').to_owned(),
        key_id: value("AWS_ACCESS_KEY_ID"),
        secret: value("AWS_SECRET_ACCESS_KEY"),
        stable_pool: "us-east-1_TapeDeck1",
    })
}

fn cognito_local() -> Option<Emulator> {
    let Some(url) = var("COGNITO_LOCAL_URL") else {
        return missing(
            "COGNITO_LOCAL_URL",
            "scripts/cognito-local.sh",
            "COGNITO_LOCAL_URL=$(scripts/cognito-local.sh url)",
        );
    };
    Some(Emulator {
        set: "cognito-local-5.3.0",
        label: "cognito-local 5.3.0",
        url: url.trim_end_matches('/').to_owned(),
        // cognito-local checks no signatures; any key will do.
        key_id: "AKIDCOGNITOLOCAL0001".into(),
        secret: "cognito-local-checks-no-signatures".into(),
        stable_pool: "local_TapeDeck",
    })
}

fn upstream(url: &str) -> Upstream {
    Upstream::new(url, None, Timeouts::default()).expect("the emulator URL is a valid upstream")
}

// ---------------------------------------------------------------------------
// Capturing.
// ---------------------------------------------------------------------------

struct Run {
    coverage: Coverage,
    progress: Vec<String>,
    fixtures: Vec<LoadedFixture>,
}

/// Every catalog scenario (no throttling burst) into `out`.
async fn run_capture(emulator: &Emulator, out: &Path) -> Run {
    let config = CaptureConfig {
        upstream: upstream(&emulator.url),
        region: REGION.to_owned(),
        signer: emulator.signer(),
        out: out.to_path_buf(),
        scenarios: CATALOG.iter().collect(),
        throttle_burst: None,
        keep: false,
        overwrite: false,
    };
    let mut progress = Vec::new();
    let mut push = |line: String| progress.push(line);
    let coverage = tokio::time::timeout(BUDGET, capture(config, &mut push, std::future::pending()))
        .await
        .unwrap_or_else(|_| panic!("capture against {} took over {BUDGET:?}", emulator.url))
        .unwrap_or_else(|e| panic!("capture against {} failed: {e}", emulator.url));
    let fixtures = if out.exists() {
        fixture::load_path(out).expect("captured fixtures load")
    } else {
        Vec::new()
    };
    Run {
        coverage,
        progress,
        fixtures,
    }
}

fn row<'a>(coverage: &'a Coverage, scenario: &str) -> &'a Row {
    coverage
        .rows
        .iter()
        .find(|r| r.scenario == scenario)
        .unwrap_or_else(|| panic!("no row for {scenario}:\n{}", coverage.table()))
}

/// The coverage table without what differs between runs.
fn redacted(table: &str) -> String {
    let mut text = table.to_owned();
    for (pattern, replacement) in [
        (r"\b[a-z]{2}-[a-z]+-\d_[0-9a-f]{32}\b", "[pool]"),
        (r"\blocal_[0-9A-Za-z]{8}\b", "[pool]"),
        (r"\b([a-z][a-z0-9-]*)-[0-9a-f]{8}\b", "$1-[hash]"),
        (r"tapedeck-\d{8}t\d{6}", "tapedeck-[run]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]"),
    ] {
        text = Regex::new(pattern)
            .expect("filter compiles")
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}

/// What the coverage table's `observed` column says about a fixture's answer:
/// `400 UserNotFoundException`, `200 success`, `500 text/html; charset=utf-8`.
fn contract_label(f: &Fixture) -> String {
    let body = f.response.body.bytes().expect("body decodes");
    let status = f.response.status;
    match error_type(&body, f.response_header("x-amzn-errortype")) {
        Some(t) => format!("{status} {}", t.name),
        None if (200..300).contains(&status) => format!("{status} success"),
        None => format!(
            "{status} {}",
            f.response_header("content-type")
                .unwrap_or("no content type")
        ),
    }
}

/// The run's own pool id, from the captured fixtures' variables (every other
/// pool id in the catalog is a fixed one).
fn run_pool(fixtures: &[LoadedFixture]) -> Option<String> {
    let fixed = [format!("{REGION}_NoSuchPool"), "not-a-pool-id".to_owned()];
    let mut pools: Vec<String> = fixtures
        .iter()
        .filter_map(|l| l.fixture.variables.get("user_pool_id").cloned())
        .filter(|p| !fixed.contains(p))
        .collect();
    pools.sort();
    pools.dedup();
    assert!(pools.len() <= 1, "more than one pool in one run: {pools:?}");
    pools.pop()
}

/// The committed form of a captured fixture: id and file name `capture-<scenario>`,
/// the run's pool id and username replaced by stable ones, a description that
/// says where it comes from.
fn committed_form(emulator: &Emulator, fixtures: &[LoadedFixture]) -> BTreeMap<String, Fixture> {
    let pool = run_pool(fixtures);
    let run_user = Regex::new(r"tapedeck-\d{8}t\d{6}-user").unwrap();
    let mut out = BTreeMap::new();
    for l in fixtures {
        let scenario_id = l
            .fixture
            .scenario
            .clone()
            .unwrap_or_else(|| panic!("{}: capture names the scenario", l.origin));
        let scenario = catalog::scenario(&scenario_id).expect("a catalog scenario");
        let mut text = to_canonical_string(&l.fixture);
        if let Some(pool) = &pool {
            text = text.replace(pool.as_str(), emulator.stable_pool);
        }
        text = run_user.replace_all(&text, "tapedeck-user").into_owned();
        let mut f = fixture::parse_fixture(&l.origin, &text).expect("still a fixture");
        f.id = format!("{PREFIX}{scenario_id}");
        f.description = format!(
            "{} via tapedeck capture, scenario {scenario_id} ({}): HTTP {}",
            emulator.label,
            scenario.description,
            contract_label(&f)
        );
        assert!(
            out.insert(f.id.clone(), f).is_none(),
            "two fixtures for scenario {scenario_id}"
        );
    }
    out
}

/// The committed capture fixtures of a set, by id.
fn committed(emulator: &Emulator) -> BTreeMap<String, Fixture> {
    let dir = emulator.committed_dir();
    fixture::load_path(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .into_iter()
        .filter(|l| l.fixture.id.starts_with(PREFIX))
        .map(|l| (l.fixture.id.clone(), l.fixture))
        .collect()
}

/// The pools the emulator lists now.
async fn listed_pools(emulator: &Emulator) -> Vec<String> {
    let answer = emulator
        .client()
        .call(
            "ListUserPools",
            &json!({ "MaxResults": 60 }),
            &Auth::Signed(emulator.signer()),
        )
        .await
        .expect("ListUserPools answers");
    assert!(answer.status.is_success(), "{}", answer.summary());
    answer.json().expect("JSON")["UserPools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["Id"].as_str().map(str::to_owned))
        .collect()
}

/// Neither emulator remembers a device (AdminInitiateAuth gives no
/// NewDeviceMetadata), so the scenarios that need one are not captured: each
/// row says why, without leaking the tokens it did get.
fn assert_no_remembered_device(c: &Coverage) {
    for id in ["forget-remembered-device", "device-already-forgotten"] {
        let r = row(c, id);
        assert_eq!(r.observed, "-");
        assert!(
            r.fixture.starts_with(
                "endpoint lacks AdminInitiateAuth: AdminInitiateAuth failed: 200 without AuthenticationResult.NewDeviceMetadata"
            ),
            "{id}: {}",
            r.fixture
        );
        assert!(!r.fixture.contains("eyJ"), "a token leaked: {}", r.fixture);
    }
}

/// The checks every emulator run shares: the pool was created and deleted,
/// the fixtures lint clean, each row names its fixture, and the table is pinned.
async fn check_run(emulator: &Emulator, run: &Run, out: &Path) {
    let table = run.coverage.table();
    assert!(
        run.coverage.left_behind.is_empty(),
        "{:?}",
        run.coverage.left_behind
    );
    let pool = run_pool(&run.fixtures).expect("the run created a pool (unknown-user uses it)");
    assert!(
        run.progress
            .iter()
            .any(|l| l.starts_with(&format!("DeleteUserPool {pool}")) && l.ends_with("ok")),
        "{:#?}",
        run.progress
    );
    assert!(
        !listed_pools(emulator).await.contains(&pool),
        "{pool} still listed"
    );
    support::assert_lints_clean(out);
    for r in run.coverage.rows.iter().filter(|r| r.observed != "-") {
        let f = run
            .fixtures
            .iter()
            .find(|l| l.fixture.id == r.fixture)
            .unwrap_or_else(|| panic!("{}: no fixture {}", r.scenario, r.fixture));
        assert_eq!(contract_label(&f.fixture), r.observed, "{}", r.scenario);
    }
    insta::assert_snapshot!(format!("coverage-{}", emulator.set), redacted(&table));
}

// ---------------------------------------------------------------------------
// moto.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn moto_capture_coverage() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = run_capture(&moto, dir.path()).await;
    let c = &run.coverage;
    assert_no_remembered_device(c);
    for r in c.rows.iter().filter(|r| r.observed != "-") {
        let want = match r.scenario.as_str() {
            "bad-signature" | "unknown-access-key" => "403 text/html; charset=utf-8",
            _ => "500 text/html; charset=utf-8",
        };
        assert_eq!(r.observed, want, "{}", r.scenario);
    }
    check_run(&moto, &run, dir.path()).await;
}

// ---------------------------------------------------------------------------
// cognito-local.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cognito_local_capture_coverage() {
    let Some(local) = cognito_local() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = run_capture(&local, dir.path()).await;
    let c = &run.coverage;
    assert_no_remembered_device(c);
    let observed: Vec<&Row> = c.rows.iter().filter(|r| r.observed != "-").collect();
    assert!(!observed.is_empty());
    for r in observed {
        assert_eq!(r.observed, "500 Unsupported", "{}", r.scenario);
    }
    check_run(&local, &run, dir.path()).await;
}

// ---------------------------------------------------------------------------
// The committed sets.
// ---------------------------------------------------------------------------

/// The committed `capture-*` fixtures of `emulator` say what a fresh capture
/// observes: the same scenarios, each with the same status and error type (or
/// content type), for the same request.
async fn committed_matches_fresh(emulator: Emulator) {
    let old = committed(&emulator);
    assert!(
        !old.is_empty(),
        "no {PREFIX}*.json in {}: regenerate (see this file's docs)",
        emulator.committed_dir().display()
    );
    let dir = tempfile::tempdir().unwrap();
    let run = run_capture(&emulator, dir.path()).await;
    let fresh = committed_form(&emulator, &run.fixtures);
    let summary = |set: &BTreeMap<String, Fixture>| -> BTreeMap<String, (Option<String>, String)> {
        set.iter()
            .map(|(id, f)| (id.clone(), (f.scenario.clone(), contract_label(f))))
            .collect()
    };
    assert_eq!(
        summary(&fresh),
        summary(&old),
        "{} answers differently from the committed set; if that is intended, regenerate it\n{}",
        emulator.label,
        run.coverage.table()
    );
    for (id, f) in &fresh {
        let o = &old[id];
        assert_eq!(f.request, o.request, "{id}: request");
        assert_eq!(f.variables, o.variables, "{id}: variables");
        assert_eq!(f.sequence, o.sequence, "{id}: sequence");
    }
}

#[tokio::test]
async fn committed_moto_capture_set_matches_a_fresh_capture() {
    let Some(moto) = moto() else { return };
    committed_matches_fresh(moto).await;
}

#[tokio::test]
async fn committed_cognito_local_capture_set_matches_a_fresh_capture() {
    let Some(local) = cognito_local() else { return };
    committed_matches_fresh(local).await;
}

/// Needs no emulator: the committed capture sets are well formed — lint clean
/// with their neighbours, canonical, one fixture per scenario named
/// `capture-<scenario>`, no run-specific pool ids or usernames.
#[test]
fn committed_capture_sets_are_stable_and_lint_clean() {
    let run_stamp = Regex::new(r"tapedeck-\d{8}t\d{6}").unwrap();
    for (set, pool) in [
        ("moto-5.2.5", "us-east-1_TapeDeck1"),
        ("cognito-local-5.3.0", "local_TapeDeck"),
    ] {
        let dir = Path::new(CORPUS).join(set);
        support::assert_lints_clean(&dir);
        let loaded = fixture::load_path(&dir).unwrap();
        let captured: Vec<&LoadedFixture> = loaded
            .iter()
            .filter(|l| l.fixture.id.starts_with(PREFIX))
            .collect();
        assert!(
            captured.len() >= 5,
            "{set}: {} capture fixtures",
            captured.len()
        );
        let mut pools_used = Vec::new();
        for l in captured {
            let f = &l.fixture;
            let scenario = f.scenario.as_deref().expect("scenario named");
            assert!(catalog::scenario(scenario).is_some(), "{}", l.origin);
            assert_eq!(f.id, format!("{PREFIX}{scenario}"), "{}", l.origin);
            assert_eq!(
                to_canonical_string(f),
                l.text,
                "{} is not canonical",
                l.origin
            );
            assert!(!run_stamp.is_match(&l.text), "{} has a run stamp", l.origin);
            if let Some(p) = f.variables.get("user_pool_id") {
                pools_used.push(p.clone());
            }
        }
        assert!(
            pools_used.iter().any(|p| p == pool),
            "{set}: {pools_used:?}"
        );
    }
}

/// Rewrites the committed `capture-*.json` of every emulator that is running.
#[tokio::test]
#[ignore = "writes the committed fixtures: TAPEDECK_REGENERATE=1 cargo test --test it -- --ignored capture_emulators::regenerate"]
async fn regenerate_committed_capture_sets() {
    assert_eq!(
        var("TAPEDECK_REGENERATE").as_deref(),
        Some("1"),
        "set TAPEDECK_REGENERATE=1 to rewrite the committed capture sets"
    );
    let emulators: Vec<Emulator> = [moto(), cognito_local()].into_iter().flatten().collect();
    assert!(
        !emulators.is_empty(),
        "no emulator running: start scripts/moto.sh and/or scripts/cognito-local.sh and export their variables"
    );
    for emulator in emulators {
        let dir = tempfile::tempdir().unwrap();
        let run = run_capture(&emulator, dir.path()).await;
        let fixtures = committed_form(&emulator, &run.fixtures);
        assert!(!fixtures.is_empty(), "{}: nothing captured", emulator.label);
        let target = emulator.committed_dir();
        fs::create_dir_all(&target).unwrap();
        for entry in fs::read_dir(&target).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(PREFIX) && name.ends_with(".json") {
                fs::remove_file(&path).unwrap();
            }
        }
        for (id, f) in &fixtures {
            fs::write(target.join(format!("{id}.json")), to_canonical_string(f)).unwrap();
        }
        support::assert_lints_clean(&target);
        eprintln!(
            "{}: wrote {} fixtures to {}\n{}",
            emulator.label,
            fixtures.len(),
            target.display(),
            run.coverage.table()
        );
    }
}
