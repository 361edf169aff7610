//! A real SigV4 check of the recording proxy: the `tapedeck record` binary in
//! front of moto 5.2.5, which verifies signatures once its bootstrap allowance
//! is spent (`scripts/moto.sh start`, see `scripts/moto_bootstrap.py`).
//!
//! - Re-signed by the proxy with moto's IAM key (the client's own Authorization
//!   is garbage), a request passes moto's signature check and reaches
//!   AdminForgetDevice, which moto does not implement: HTML 500.
//! - Forwarded untouched (`--no-resign`), a request the client signed with the
//!   right key id but a wrong secret gets 403 `SignatureDoesNotMatch`; signed with
//!   the right secret it passes (so the 403 is about the secret, nothing else).
//! - Both outcomes are recorded as lint-clean fixtures without the key, and the
//!   committed copies in `fixtures/admin-forget-device/moto-5.2.5/` still match
//!   what moto answers today.
//!
//! The tests read `MOTO_URL` and `MOTO_CREDENTIALS` (the `credentials.env` that
//! `scripts/moto.sh start` writes). Without them they skip, except under `CI`,
//! where they fail. To regenerate the committed set (moto running):
//!
//! ```sh
//! TAPEDECK_REGENERATE=1 cargo test --test it -- --ignored record_moto::regenerate
//! INSTA_UPDATE=always cargo test --test it corpus::   # then review the snapshots
//! ```

use crate::support;

use crate::support::process::Server;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use http::{HeaderMap, HeaderValue, Uri};
use regex::Regex;

use crate::support::{Answer, HttpClient, CT, TARGET};
use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::fixture::{to_canonical_string, Fixture, HeaderValue as FixtureHeader};
use tapedeck::sigv4;

const BIN: &str = env!("CARGO_BIN_EXE_tapedeck");
const COMMITTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/admin-forget-device/moto-5.2.5"
);
const REGION: &str = "us-east-1";
/// The client's Authorization when the proxy re-signs: well formed, worthless.
const GARBAGE_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDGARBAGE/20200101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000";
/// Upper bound for one exchange with the proxy and moto.
const EXCHANGE_BUDGET: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// moto, from the environment.
// ---------------------------------------------------------------------------

/// The moto server started by `scripts/moto.sh`, and the IAM key it created.
struct Moto {
    url: String,
    key_id: String,
    secret: String,
}

/// moto from `MOTO_URL` / `MOTO_CREDENTIALS`; `None` (skip) outside CI when unset.
fn moto() -> Option<Moto> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(url), Some(credentials)) = (var("MOTO_URL"), var("MOTO_CREDENTIALS")) else {
        assert!(
            var("CI").is_none(),
            "MOTO_URL and MOTO_CREDENTIALS are not set, but CI is: scripts/test.sh must start moto \
             (scripts/moto.sh start) and export MOTO_URL=$(scripts/moto.sh url) \
             MOTO_CREDENTIALS=target/moto/credentials.env before cargo test"
        );
        eprintln!("skipping: moto not running (run scripts/moto.sh start, then export MOTO_URL=$(scripts/moto.sh url) MOTO_CREDENTIALS=target/moto/credentials.env)");
        return None;
    };
    let text = fs::read_to_string(&credentials).unwrap_or_else(|e| {
        panic!("MOTO_CREDENTIALS={credentials}: {e} (run scripts/moto.sh start)")
    });
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("{credentials} has no {name}= line"))
    };
    Some(Moto {
        url: url.trim_end_matches('/').to_owned(),
        key_id: value("AWS_ACCESS_KEY_ID"),
        secret: value("AWS_SECRET_ACCESS_KEY"),
    })
}

// ---------------------------------------------------------------------------
// The two outcomes.
// ---------------------------------------------------------------------------

/// How the client's request is signed, and whether the proxy re-signs it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Signing {
    /// The client sends garbage; the proxy re-signs with moto's key.
    Resigned,
    /// The client signs with moto's key id and this secret; `--no-resign`.
    Client { right_secret: bool },
}

/// One recorded outcome: the request that provokes it and what moto answers.
struct Case {
    scenario: &'static str,
    username: &'static str,
    signing: Signing,
    status: u16,
    content_type: &'static str,
    /// Text the response body must contain.
    marker: &'static str,
    /// The committed fixture's description.
    description: &'static str,
}

const RESIGNED: Case = Case {
    scenario: "resigned-reaches-operation",
    username: "tapedeck-moto-resigned",
    signing: Signing::Resigned,
    status: 500,
    content_type: "text/html; charset=utf-8",
    marker: "<title>500 Internal Server Error</title>",
    description: "moto 5.2.5 verifying SigV4: a request re-signed by tapedeck record with the key of an IAM user allowed everything passes the signature check and reaches AdminForgetDevice, which moto does not implement: HTTP 500 with Werkzeug's HTML page",
};

const BAD_SIGNATURE: Case = Case {
    scenario: "bad-signature",
    username: "tapedeck-moto-bad-signature",
    signing: Signing::Client {
        right_secret: false,
    },
    status: 403,
    content_type: "text/html; charset=utf-8",
    marker: "<Code>SignatureDoesNotMatch</Code>",
    description: "moto 5.2.5 verifying SigV4: a request signed by the client with the right access key id but a wrong secret, forwarded untouched (--no-resign): HTTP 403 SignatureDoesNotMatch, an XML ErrorResponse served as text/html",
};

/// Not committed: the control for [`BAD_SIGNATURE`].
const RIGHT_SECRET: Case = Case {
    scenario: "client-signed-passed-through",
    username: "tapedeck-moto-client-signed",
    signing: Signing::Client { right_secret: true },
    ..RESIGNED
};

/// The committed outcomes, by scenario.
const COMMITTED_CASES: [&Case; 2] = [&RESIGNED, &BAD_SIGNATURE];

fn case_for(scenario: &str) -> &'static Case {
    COMMITTED_CASES
        .into_iter()
        .find(|c| c.scenario == scenario)
        .unwrap_or_else(|| panic!("no case for scenario '{scenario}'"))
}

fn body_for(username: &str) -> String {
    format!(
        r#"{{"UserPoolId": "us-east-1_TapeDeck1", "Username": "{username}", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}}"#
    )
}

// ---------------------------------------------------------------------------
// The proxy process.
// ---------------------------------------------------------------------------

/// Starts `tapedeck record` against moto, re-signing with moto's key or not.
fn recording(moto: &Moto, out: &Path, resign: bool) -> Server {
    let log = out.with_extension("log");
    let mut cmd = Command::new(BIN);
    cmd.args(["record", "--upstream", &moto.url, "--region", REGION])
        .arg("--out")
        .arg(out)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", out.with_extension("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            out.with_extension("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    if resign {
        cmd.env("AWS_ACCESS_KEY_ID", &moto.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &moto.secret);
    } else {
        cmd.arg("--no-resign");
    }
    Server::spawn(cmd, log)
}

/// The headers a client sends for `case`: garbage auth when the proxy re-signs,
/// else a real SigV4 signature over what the proxy forwards (host included).
fn client_headers(moto: &Moto, proxy: &str, case: &Case, body: &str) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_owned(), CT.to_owned()),
        ("x-amz-target".to_owned(), TARGET.to_owned()),
        ("x-tapedeck-scenario".to_owned(), case.scenario.to_owned()),
    ];
    match case.signing {
        Signing::Resigned => {
            headers.push(("authorization".into(), GARBAGE_AUTHORIZATION.into()));
            headers.push(("x-amz-date".into(), "20200101T000000Z".into()));
        }
        Signing::Client { right_secret } => {
            let secret = if right_secret {
                moto.secret.clone()
            } else {
                format!("wrong{}", &moto.secret[5..])
            };
            let creds = Credentials::new(&moto.key_id, secret, None, None, "record_moto");
            let uri: Uri = format!("{proxy}/").parse().expect("proxy URL");
            let mut to_sign = HeaderMap::new();
            for (name, value) in &headers[..2] {
                to_sign.insert(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            let host = uri.authority().expect("authority").as_str();
            to_sign.insert(http::header::HOST, HeaderValue::from_str(host).unwrap());
            let signed = sigv4::sign_headers(
                "POST",
                &uri,
                &to_sign,
                body.as_bytes(),
                REGION,
                SystemTime::now(),
                &creds,
            )
            .expect("the test signs");
            for (name, value) in signed {
                headers.push((name.to_string(), value.to_str().unwrap().to_owned()));
            }
        }
    }
    headers
}

/// Sends `body` for `case` through `proxy`.
async fn exchange(
    client: &HttpClient,
    moto: &Moto,
    proxy: &Server,
    case: &Case,
    body: &str,
) -> Answer {
    let headers = client_headers(moto, &proxy.url, case, body);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let send = support::send(client, &proxy.url, "POST", "/", &headers, body.to_owned());
    tokio::time::timeout(EXCHANGE_BUDGET, send)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no answer within {EXCHANGE_BUDGET:?}; proxy log:\n{}",
                proxy.log()
            )
        })
}

/// Records `case` (with its own request body) into `out`; returns the answer.
async fn record_case(moto: &Moto, out: &Path, case: &Case) -> Answer {
    let proxy = recording(moto, out, case.signing == Signing::Resigned);
    exchange(
        &support::client(),
        moto,
        &proxy,
        case,
        &body_for(case.username),
    )
    .await
}

// ---------------------------------------------------------------------------
// Fixture checks.
// ---------------------------------------------------------------------------

fn load(dir: &Path) -> Vec<LoadedFixture> {
    fixture::load_path(dir).unwrap_or_else(|e| panic!("{e}"))
}

/// The one fixture of `dir` recorded for `scenario`.
fn recorded(dir: &Path, scenario: &str) -> Fixture {
    let mut found: Vec<Fixture> = load(dir)
        .into_iter()
        .map(|l| l.fixture)
        .filter(|f| f.scenario.as_deref() == Some(scenario))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "fixtures for scenario {scenario} in {}",
        dir.display()
    );
    found.remove(0)
}

/// [`support::assert_lints_clean`], and the directory is not empty.
fn assert_lints_clean(dir: &Path) {
    let report = support::assert_lints_clean(dir);
    assert!(report.fixtures > 0, "nothing to lint in {}", dir.display());
}

fn body_text(f: &Fixture) -> String {
    String::from_utf8(f.response.body.bytes().expect("body decodes").into_owned())
        .expect("UTF-8 body")
}

/// The answer the client got is the one `case` expects.
fn assert_answer(got: &Answer, case: &Case) {
    let body = String::from_utf8_lossy(&got.body);
    assert_eq!(
        got.status.as_u16(),
        case.status,
        "{}: {body}",
        case.scenario
    );
    assert_eq!(
        got.header("content-type"),
        Some(case.content_type),
        "{}",
        case.scenario
    );
    assert!(
        body.contains(case.marker),
        "{}: no {:?} in {body}",
        case.scenario,
        case.marker
    );
}

/// The recorded fixture describes `case`'s answer and carries no credential.
fn assert_fixture(f: &Fixture, case: &Case, moto: &Moto) {
    assert_eq!(f.response.status, case.status, "{}", f.id);
    assert_eq!(
        f.response_header("content-type"),
        Some(case.content_type),
        "{}",
        f.id
    );
    assert!(
        body_text(f).contains(case.marker),
        "{}: {}",
        f.id,
        body_text(f)
    );
    assert_eq!(f.variables.get("region").map(String::as_str), Some(REGION));
    let text = to_canonical_string(f);
    assert!(
        !text.contains(&moto.key_id),
        "{}: the access key id was recorded",
        f.id
    );
    assert!(
        !text.contains(&moto.secret),
        "{}: the secret was recorded",
        f.id
    );
}

/// Request ids and dates, should moto ever put them in a body.
fn without_volatile(body: &str) -> String {
    let re = Regex::new(r"(?i)(<RequestId>)[^<]*(</RequestId>)|(requestid)(\W+)[0-9a-z-]{16,}")
        .expect("regex compiles");
    re.replace_all(body, "$1$3$4…$2").into_owned()
}

/// Response headers that belong to the contract (the recorder already drops the rest).
fn stable_headers(f: &Fixture) -> Vec<(String, FixtureHeader)> {
    const VOLATILE: [&str; 4] = ["date", "x-amzn-requestid", "content-length", "connection"];
    f.response
        .headers
        .iter()
        .filter(|(name, _)| !VOLATILE.contains(&name.as_str()))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

// ---------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn resigned_request_passes_motos_signature_check() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("resigned");
    let got = record_case(&moto, &out, &RESIGNED).await;
    assert_answer(&got, &RESIGNED);
    assert_fixture(&recorded(&out, RESIGNED.scenario), &RESIGNED, &moto);
    assert_lints_clean(&out);
}

#[tokio::test]
async fn wrong_secret_forwarded_untouched_gets_signature_does_not_match() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("passed-through");
    let proxy = recording(&moto, &out, false);
    let client = support::client();
    for case in [&BAD_SIGNATURE, &RIGHT_SECRET] {
        let got = exchange(&client, &moto, &proxy, case, &body_for(case.username)).await;
        assert_answer(&got, case);
        assert_fixture(&recorded(&out, case.scenario), case, &moto);
    }
    assert_eq!(load(&out).len(), 2);
    assert_lints_clean(&out);
}

/// The committed fixtures this file owns (the `capture-*` ones belong to
/// tests/it/capture_emulators.rs).
fn own_fixtures() -> Vec<tapedeck::fixture::LoadedFixture> {
    load(Path::new(COMMITTED))
        .into_iter()
        .filter(|l| !l.fixture.id.starts_with("capture-"))
        .collect()
}

/// The committed set is what the proxy records from moto today: same status,
/// same contract headers, same body but for volatile parts.
#[tokio::test]
async fn committed_moto_fixtures_match_what_moto_answers_today() {
    let Some(moto) = moto() else { return };
    let committed = own_fixtures();
    assert_eq!(
        committed.len(),
        COMMITTED_CASES.len(),
        "fixtures of this test in {COMMITTED}"
    );
    let dir = tempfile::tempdir().unwrap();
    let client = support::client();
    for old in committed.iter().map(|l| &l.fixture) {
        let scenario = old
            .scenario
            .as_deref()
            .expect("committed moto fixtures name their scenario");
        let case = case_for(scenario);
        assert_fixture(old, case, &moto);
        let out = dir.path().join(scenario);
        let proxy = recording(&moto, &out, case.signing == Signing::Resigned);
        let body = String::from_utf8(old.request.body.bytes().unwrap().into_owned()).unwrap();
        let got = exchange(&client, &moto, &proxy, case, &body).await;
        assert_answer(&got, case);
        let new = recorded(&out, scenario);
        assert_eq!(new.response.status, old.response.status, "{scenario}");
        assert_eq!(stable_headers(&new), stable_headers(old), "{scenario}");
        assert_eq!(
            without_volatile(&body_text(&new)),
            without_volatile(&body_text(old)),
            "{scenario}"
        );
    }
}

/// The committed set lints clean with the binary, as a user would run it.
#[test]
fn committed_moto_fixtures_lint_clean() {
    let out = Command::new(BIN)
        .args(["lint", COMMITTED])
        .env("NO_COLOR", "1")
        .output()
        .expect("tapedeck lint runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = load(Path::new(COMMITTED)).len();
    assert!(
        stdout.contains(&format!("lint: {total} fixtures in 1 set: no problems")),
        "{stdout}"
    );
    let scenarios: Vec<Option<String>> = own_fixtures()
        .into_iter()
        .map(|l| l.fixture.scenario)
        .collect();
    for case in COMMITTED_CASES {
        assert!(
            scenarios.contains(&Some(case.scenario.to_owned())),
            "{} missing",
            case.scenario
        );
    }
}

/// Rewrites `fixtures/admin-forget-device/moto-5.2.5/` from a fresh recording.
#[tokio::test]
#[ignore = "writes the committed fixtures: TAPEDECK_REGENERATE=1 cargo test --test it -- --ignored record_moto::regenerate"]
async fn regenerate_committed_moto_fixtures() {
    assert_eq!(
        std::env::var("TAPEDECK_REGENERATE").as_deref(),
        Ok("1"),
        "set TAPEDECK_REGENERATE=1 to rewrite {COMMITTED}"
    );
    let moto = moto().expect("moto must be running to regenerate (scripts/moto.sh start)");
    let dir = tempfile::tempdir().unwrap();
    let committed = Path::new(COMMITTED);
    fs::create_dir_all(committed).unwrap();
    for entry in fs::read_dir(committed).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // capture-*.json belong to tests/it/capture_emulators.rs.
        if path.extension().is_some_and(|e| e == "json") && !name.starts_with("capture-") {
            fs::remove_file(path).unwrap();
        }
    }
    for case in COMMITTED_CASES {
        let out = dir.path().join(case.scenario);
        assert_answer(&record_case(&moto, &out, case).await, case);
        let mut f = recorded(&out, case.scenario);
        assert_fixture(&f, case, &moto);
        f.id = case.scenario.to_owned();
        f.description = case.description.to_owned();
        fs::write(
            committed.join(format!("{}.json", f.id)),
            to_canonical_string(&f),
        )
        .unwrap();
    }
    assert_lints_clean(committed);
}
