//! `kill -9` during a recording burst leaves only complete, lint-clean fixtures.
//!
//! `tapedeck record --no-resign --keep-usernames` (the binary) records in front of
//! a fast local upstream, `tapedeck replay`, which answers each of 300 distinct
//! usernames with a near-miss 404, so every exchange is recorded. The burst runs
//! 16 requests at a time; once 100 answers are in, the proxy gets SIGKILL. Then:
//!
//! - every answered exchange has its fixture on disk (the proxy writes before it
//!   answers);
//! - every `*.json` in the output directory loads, is in canonical form (so not
//!   truncated) and the directory lints clean;
//! - nothing else is there but hidden `.tapedeck-*.tmp` leftovers of atomic
//!   writes, which the loader ignores (checked with a planted, truncated one).

use crate::support;

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt as _, Full};
use tokio::sync::Semaphore;

use crate::support::{HttpClient, CT, TARGET};
use tapedeck::fixture::to_canonical_string;
use tapedeck::fixture::{self, parse_fixture};
use tapedeck::lint;

const REQUESTS: usize = 300;
const CONCURRENCY: usize = 16;
/// Answers received before the proxy is killed.
const KILL_AFTER: usize = 100;
/// Upper bound for the burst and the kill.
const BUDGET: Duration = Duration::from_secs(40);

use crate::support::process::Server;

fn username(i: usize) -> String {
    format!("tapedeck-burst-{i:03}")
}

/// One AdminForgetDevice request; `Err` when the connection fails (after the kill).
async fn forget(client: &HttpClient, url: &str, user: &str) -> Result<(u16, bool), String> {
    let body = format!(
        r#"{{"UserPoolId": "us-east-1_TapeDeck1", "Username": "{user}", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}}"#
    );
    let req = Request::post(format!("{url}/"))
        .header("content-type", CT)
        .header("x-amz-target", TARGET)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let recorded = !resp.headers().contains_key("x-tapedeck-warning");
    let status = resp.status().as_u16();
    resp.into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, recorded))
}

/// Fails with what went wrong in the request tasks, if anything did.
fn assert_no_problems(problems: &Mutex<Vec<String>>) {
    let problems = problems.lock().unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Fires the burst and SIGKILLs the proxy once [`KILL_AFTER`] answers are in.
/// Returns the usernames that got an answer before the kill.
async fn burst_then_kill(proxy: &mut Server) -> Vec<String> {
    let client = support::client();
    let answered = Arc::new(Mutex::new(Vec::new()));
    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::new();
    for i in 0..REQUESTS {
        let (client, url) = (client.clone(), proxy.url.clone());
        let (answered, problems) = (answered.clone(), problems.clone());
        let (count, gate) = (count.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore open");
            let user = username(i);
            match forget(&client, &url, &user).await {
                Ok((404, true)) => {
                    answered.lock().unwrap().push(user);
                    count.fetch_add(1, Ordering::SeqCst);
                }
                Ok((status, recorded)) => problems.lock().unwrap().push(format!(
                    "{user}: status {status} (expected the upstream's near-miss 404), recorded: {recorded}"
                )),
                Err(_) => {} // the proxy is gone
            }
        }));
    }
    let deadline = Instant::now() + BUDGET;
    while count.load(Ordering::SeqCst) < KILL_AFTER {
        assert_no_problems(&problems);
        assert!(
            Instant::now() < deadline,
            "only {} answers in {BUDGET:?}",
            count.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Child::kill is SIGKILL on Unix: no destructor, no flush, no graceful drain.
    proxy.child.kill().expect("kill -9 the proxy");
    let status = proxy.child.wait().expect("reap the proxy");
    assert_eq!(
        status.signal(),
        Some(9),
        "the proxy died of SIGKILL: {status:?}"
    );
    for task in tasks {
        tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), task)
            .await
            .expect("requests end after the kill")
            .expect("request task");
    }
    assert_no_problems(&problems);
    let answered = answered.lock().unwrap().clone();
    answered
}

/// Whether `name` is a leftover temporary file of an atomic write.
fn is_temp_leftover(name: &str) -> bool {
    name.starts_with(".tapedeck-") && name.ends_with(".tmp")
}

/// What a killed recording left in its output directory.
struct Leftovers {
    /// The usernames of the complete fixtures, sorted.
    users: Vec<String>,
    /// Hidden `.tapedeck-*.tmp` files of interrupted writes.
    temp_files: usize,
}

/// Every entry of `out` must be a complete `*.json` fixture in canonical form
/// (so not truncated) or a hidden temp leftover; anything else fails.
fn inspect(out: &Path) -> Leftovers {
    let mut left = Leftovers {
        users: Vec::new(),
        temp_files: 0,
    };
    for entry in fs::read_dir(out).expect("output directory exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if is_temp_leftover(&name) {
            left.temp_files += 1;
            continue;
        }
        assert!(
            name.ends_with(".json") && !name.starts_with('.'),
            "unexpected file {name} in the output directory"
        );
        let text = fs::read_to_string(&path).unwrap();
        let fixture =
            parse_fixture(&name, &text).unwrap_or_else(|e| panic!("truncated or broken: {e}"));
        assert_eq!(to_canonical_string(&fixture), text, "{name} is not whole");
        left.users.push(fixture.variables["username"].clone());
    }
    left.users.sort();
    left
}

/// The loader and lint see exactly the `fixtures` complete fixtures, also with
/// a truncated temp file planted next to them.
fn assert_loader_ignores_temp_files(out: &Path, fixtures: usize) {
    let some_fixture = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("at least one fixture");
    let text = fs::read_to_string(some_fixture).unwrap();
    fs::write(out.join(".tapedeck-planted.tmp"), &text[..text.len() / 2]).unwrap();
    let loaded = fixture::load_path(out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.len(), fixtures);
    assert!(
        loaded.iter().all(|l| !l.origin.contains("/.tapedeck-")),
        "a temp file was loaded"
    );
    let report = lint::lint(fixture::read_path(out).unwrap());
    assert!(report.is_clean(), "{:#?}", report.problems);
    assert_eq!(report.fixtures, fixtures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_burst_leaves_only_complete_lint_clean_fixtures() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recorded");
    let upstream = Server::start(&["replay"], dir.path().join("replay.log"));
    let mut proxy = Server::start(
        &[
            "record",
            "--upstream",
            &upstream.url,
            "--out",
            out.to_str().unwrap(),
            "--no-resign",
            "--keep-usernames",
        ],
        dir.path().join("record.log"),
    );

    let answered = burst_then_kill(&mut proxy).await;
    assert!(
        (KILL_AFTER..REQUESTS).contains(&answered.len()),
        "{} answers: the kill did not land mid-burst",
        answered.len()
    );

    let left = inspect(&out);
    eprintln!(
        "{} answered, {} fixtures on disk, {} temp leftovers",
        answered.len(),
        left.users.len(),
        left.temp_files
    );
    let mut distinct = left.users.clone();
    distinct.dedup();
    assert_eq!(distinct, left.users, "one fixture per request");
    assert!(
        left.users.iter().all(|u| u.starts_with("tapedeck-burst-")),
        "fixtures of requests nobody sent"
    );
    for user in &answered {
        assert!(
            left.users.binary_search(user).is_ok(),
            "{user} was answered but has no fixture"
        );
    }
    assert!(
        left.users.len() < REQUESTS,
        "every request was recorded: the kill came too late"
    );
    assert_loader_ignores_temp_files(&out, left.users.len());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}
