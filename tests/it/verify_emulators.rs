//! `verify --provision auto` of the reference contract against real emulators,
//! pinning exactly how far each is from it:
//!
//! - moto 5.2.5 (`scripts/moto.sh start`; env `MOTO_URL`, and `MOTO_CREDENTIALS`,
//!   the `KEY=VALUE` file with the IAM key moto created, since it checks SigV4);
//! - cognito-local 5.3.0 (`scripts/cognito-local.sh start`; env `COGNITO_LOCAL_URL`).
//!
//! Both run on 127.0.0.1. When a variable is missing the test prints
//! "skipping: …" and passes, except under `CI`, where it fails naming the script
//! that should have started the emulator. Pool ids, generated usernames and
//! ports are filtered out of the snapshots; everything else is pinned, so an
//! emulator upgrade that changes an answer shows up as a snapshot diff.

use std::time::Duration;

use tapedeck::fixture;
use tapedeck::net::Client;
use tapedeck::net::Signer;
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::verify::Outcome;
use tapedeck::verify::Report;
use tapedeck::verify::{verify, Level, Provision, VerifyConfig};

/// The emulator URL in `var`; `None` (skip) when unset outside CI.
fn endpoint(var: &str, script: &str) -> Option<String> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match set(var) {
        Some(url) => Some(url),
        None => {
            assert!(
                set("CI").is_none(),
                "{var} is not set, but CI is: scripts/test.sh must start the emulator with \
                 `{script} start` and export {var}=$({script} url) before cargo test"
            );
            eprintln!(
                "skipping: {var} is not set (start the emulator with `{script} start`, \
                 then export {var}=$({script} url))"
            );
            None
        }
    }
}

/// `KEY=VALUE` lines (blank lines and `#` comments ignored, `export ` and
/// surrounding quotes tolerated).
fn env_file(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("MOTO_CREDENTIALS={path}: {e} (run scripts/moto.sh start)"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            Some((
                k.trim().to_owned(),
                v.trim().trim_matches(|c| c == '"' || c == '\'').to_owned(),
            ))
        })
        .collect()
}

fn signer(key_id: &str, secret: &str) -> Signer {
    Signer::fixed(aws_credential_types::Credentials::new(
        key_id, secret, None, None, "tests",
    ))
}

/// Verifies the embedded reference set against `url` with provisioning.
async fn verify_reference(url: &str, signer: Signer) -> Report {
    let config = VerifyConfig {
        client: Client::new(
            Upstream::new(url, None, Timeouts::default()).expect("emulator URL"),
            "us-east-1",
        ),
        signer,
        provision: Provision::Auto,
        level: Level::Wire,
        keep: false,
    };
    let fixtures = fixture::load_embedded("reference").expect("reference set");
    let mut progress = |line: String| eprintln!("  {line}");
    let outcomes: Vec<Outcome> = tokio::time::timeout(
        Duration::from_secs(120),
        verify(&config, &fixtures, &mut progress),
    )
    .await
    .expect("verify finishes within 120 s")
    .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(outcomes.len(), fixtures.len());
    Report::new(url, Level::Wire, Provision::Auto, outcomes)
}

/// Replaces what differs between runs: ports, generated pool ids and resource
/// names. (insta's `filters` feature is not enabled in Cargo.toml, so by hand.)
fn redact(text: &str) -> String {
    let mut out = text.to_owned();
    for (pattern, with) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        // moto: region + 32 hex digits; cognito-local: local_ + 8 characters.
        (r"us-east-1_[0-9a-f]{32}", "[moto-pool-id]"),
        (r"local_[0-9A-Za-z]{8}", "[cognito-local-pool-id]"),
        // Every resource tapedeck creates: tapedeck-<yyyymmdd>t<hhmmss>-…
        (r"tapedeck-\d{8}t\d{6}", "tapedeck-[run]"),
    ] {
        out = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_5_2_5_against_the_reference_contract() {
    let Some(url) = endpoint("MOTO_URL", "scripts/moto.sh") else {
        return;
    };
    let credentials = std::env::var("MOTO_CREDENTIALS").unwrap_or_default();
    assert!(
        !credentials.is_empty(),
        "MOTO_URL is set but MOTO_CREDENTIALS is not: export \
         MOTO_CREDENTIALS=target/moto/credentials.env (written by scripts/moto.sh start)"
    );
    let vars = env_file(&credentials);
    let get = |k: &str| {
        vars.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{credentials} has no {k}"))
    };
    let report = verify_reference(
        &url,
        signer(&get("AWS_ACCESS_KEY_ID"), &get("AWS_SECRET_ACCESS_KEY")),
    )
    .await;
    assert!(
        report.summary.failed > 0,
        "moto was reached: {}",
        report.table(false)
    );
    insta::assert_snapshot!("verify-moto-5.2.5-table", redact(&report.table(false)));
    insta::assert_snapshot!("verify-moto-5.2.5-junit", redact(&report.junit()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_local_5_3_0_against_the_reference_contract() {
    let Some(url) = endpoint("COGNITO_LOCAL_URL", "scripts/cognito-local.sh") else {
        return;
    };
    // cognito-local checks no signatures; any key works.
    let report = verify_reference(&url, signer("AKIDCOGNITOLOCAL", "cognito-local-any")).await;
    assert!(
        report.summary.failed > 0,
        "cognito-local was reached: {}",
        report.table(false)
    );
    insta::assert_snapshot!(
        "verify-cognito-local-5.3.0-table",
        redact(&report.table(false))
    );
}
