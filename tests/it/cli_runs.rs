//! What long-running commands say as they go and when they end: `record`'s
//! summary of what it recorded and could not (exit 1 if anything was not
//! recorded), under its own log target; `verify`'s per-request timeout and its
//! progress lines on a terminal.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::process::{output_within, post_forget, Server, BIN};

const GHOST: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `tapedeck record` in front of `upstream`, writing into `out`.
fn record_into(upstream: &str, out: &Path, log: std::path::PathBuf) -> Server {
    Server::start(
        &[
            "record",
            "--upstream",
            upstream,
            "--no-resign",
            "--out",
            s(out),
        ],
        log,
    )
}

#[cfg(unix)]
#[test]
fn record_says_what_it_recorded_and_what_it_could_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut upstream = Server::start(&["replay"], dir.path().join("upstream.log"));
    let mut record = record_into(&upstream.url, &out, dir.path().join("record.log"));
    // Recorded, then the same answer again (not written twice).
    assert!(post_forget(&record.url, GHOST).starts_with("HTTP/1.1 400"));
    assert!(post_forget(&record.url, GHOST).starts_with("HTTP/1.1 400"));
    // The output directory becomes a file: the next fixture cannot be written.
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::write(&out, "").unwrap();
    let unwritten = post_forget(&record.url, &GHOST.replace("ghost", "ghosty"));
    assert!(
        unwritten
            .to_ascii_lowercase()
            .contains("x-tapedeck-warning: not-recorded"),
        "{unwritten}"
    );
    // The upstream goes away: nothing to record.
    upstream.child.kill().unwrap();
    upstream.child.wait().unwrap();
    assert!(post_forget(&record.url, GHOST).starts_with("HTTP/1.1 502"));
    assert_eq!(record.terminate(), Some(1), "{}", record.log());
    let log = record.log();
    assert!(
        log.contains("tapedeck record: 4 exchanges: 2 recorded (1 new fixture, 1 the same as a fixture already there), 2 not recorded\n"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "\n  1 × no answer from the upstream: cannot reach the upstream {}",
            upstream.url.trim_start_matches("http://")
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "\n  1 × cannot write the fixture: cannot create {}: ",
            out.display()
        )),
        "{log}"
    );
    // Its own log target, not replay's or the shared command module's.
    assert!(
        log.contains(" INFO tapedeck::cmd::record: shutting down"),
        "{log}"
    );
    assert!(!log.contains("tapedeck::cmd::replay"), "{log}");

    // All recorded: exit 0.
    let out = dir.path().join("out2");
    let upstream = Server::start(&["replay"], dir.path().join("upstream2.log"));
    let mut record = record_into(&upstream.url, &out, dir.path().join("record2.log"));
    assert!(post_forget(&record.url, GHOST).starts_with("HTTP/1.1 400"));
    assert_eq!(record.terminate(), Some(0), "{}", record.log());
    assert!(
        record.log().contains("tapedeck record: 1 exchange: 1 recorded (1 new fixture, 0 the same as a fixture already there), 0 not recorded"),
        "{}",
        record.log()
    );
}

/// A target that accepts connections and never answers.
fn silent_target() -> (std::thread::JoinHandle<()>, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if let Ok((stream, _)) = listener.accept() {
                open.push(stream);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    (held, url)
}

#[test]
fn verify_gives_up_on_a_silent_target_after_its_timeout() {
    let (_held, url) = silent_target();
    let started = Instant::now();
    let out = output_within(
        Command::new(BIN)
            .args([
                "verify",
                "--target",
                &url,
                "--timeout",
                "1",
                "--only",
                "unknown-user",
            ])
            .env("NO_COLOR", "1"),
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(stderr.contains("did not answer within 1 s"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn verify_shows_one_progress_line_per_fixture_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let target = Server::start(&["replay"], dir.path().join("target.log"));
    let verify = format!("{BIN} verify --target {} --only 'unknown-*'", target.url);
    // Not a terminal: the table only.
    let plain = output_within(
        Command::new("sh")
            .args(["-c", &verify])
            .env("NO_COLOR", "1"),
        Duration::from_secs(30),
    );
    assert_eq!(plain.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(!stderr.contains("verify: ["), "{stderr}");
    // A terminal (script(1) gives it one): one line per fixture as it starts.
    let tty = output_within(
        Command::new("script")
            .args(["-qec", &verify, "/dev/null"])
            .env("NO_COLOR", "1"),
        Duration::from_secs(30),
    );
    let shown = String::from_utf8_lossy(&tty.stdout).replace('\r', "");
    assert_eq!(tty.status.code(), Some(0), "{shown}");
    let lines: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("verify: ["))
        .collect();
    assert_eq!(
        lines,
        [
            "verify: [1/4] unknown-access-key",
            "verify: [2/4] unknown-device-key",
            "verify: [3/4] unknown-user-pool",
            "verify: [4/4] unknown-user"
        ],
        "{shown}"
    );
}
