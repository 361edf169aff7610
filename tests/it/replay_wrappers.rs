//! What the language wrappers (the pytest plugin, the npm helper) rely on in
//! `tapedeck replay`: `--announce json` names the port the server picked,
//! `--exit-on-stdin-close` ties the server's life to the wrapper's, and
//! `GET /__tapedeck/journal?format=text` is the readable report they all show.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::process::BIN;
use serde_json::Value;
use tapedeck::ReplayServer;

/// Starts `tapedeck replay --announce json` on port 0 with stdin a pipe, and
/// parses its announcement.
fn start(extra: &[&str]) -> (Child, Value) {
    let mut child = Command::new(BIN)
        .args(["replay", "--listen", "127.0.0.1:0", "--announce", "json"])
        .args(extra)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tapedeck starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("announcement");
    let announced: Value = match serde_json::from_str(&line) {
        Ok(v) => v,
        Err(e) => {
            let _ = child.kill();
            panic!("the announcement {line:?} is not JSON: {e}");
        }
    };
    (child, announced)
}

/// GET over a plain socket: (status line, body).
fn get(address: &str, path: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(address).expect("server accepts");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.lines().next().unwrap_or_default().to_owned();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

fn wait_exit(child: &mut Child, budget: Duration) -> Option<i32> {
    let deadline = Instant::now() + budget;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn announce_json_names_the_port_the_server_picked() {
    let (mut child, announced) = start(&[]);
    let url = announced["url"].as_str().expect("url");
    let address = announced["address"].as_str().expect("address");
    assert_eq!(url, format!("http://{address}"));
    assert!(address.starts_with("127.0.0.1:"), "{announced}");
    assert_ne!(
        address, "127.0.0.1:0",
        "the real port, not the one asked for"
    );
    assert_eq!(announced["pid"], child.id());
    assert_eq!(announced["fixtures"], 18);
    assert_eq!(announced["sources"], "embedded:reference");
    assert_eq!(announced["version"], env!("CARGO_PKG_VERSION"));
    let (status, body) = get(address, "/__tapedeck/health");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("\"ok\""), "{body}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn closing_stdin_stops_the_server_like_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let (mut child, announced) = start(&[
        "--exit-on-stdin-close",
        "--report",
        report.to_str().unwrap(),
    ]);
    let address = announced["address"].as_str().unwrap().to_owned();
    assert!(get(&address, "/__tapedeck/health").0.contains("200"));
    drop(child.stdin.take());
    let code = wait_exit(&mut child, Duration::from_secs(10));
    if code.is_none() {
        let _ = child.kill();
    }
    assert_eq!(code, Some(0), "exits, cleanly, once stdin closes");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        written["clean"], true,
        "the report is written as on SIGTERM"
    );
}

#[test]
fn without_the_flag_stdin_does_not_matter() {
    let (mut child, announced) = start(&[]);
    drop(child.stdin.take());
    let code = wait_exit(&mut child, Duration::from_millis(700));
    let alive = code.is_none();
    let health = get(announced["address"].as_str().unwrap(), "/__tapedeck/health").0;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(alive, "exited with {code:?} although stdin is not watched");
    assert!(health.contains("200"), "{health}");
}

#[tokio::test]
async fn the_readable_journal_names_the_nearest_fixture_and_field() {
    let server = ReplayServer::start().await;
    let url = server.uri().to_owned();
    let client = support::client();
    let text = |route: &'static str| {
        let (client, url) = (client.clone(), url.clone());
        async move { support::send(&client, &url, "GET", route, &[], bytes::Bytes::new()).await }
    };

    let empty = text("/__tapedeck/journal?format=text").await;
    assert_eq!(empty.header("x-tapedeck-problems"), Some("0"));
    assert_eq!(empty.body, "tapedeck: no requests\n");

    let ghosty = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghosty", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    assert_eq!(support::forget(&client, &url, ghosty).await.status, 404);
    let ghost = ghosty.replace("ghosty", "ghost");
    assert_eq!(support::forget(&client, &url, &ghost).await.status, 400);

    let report = text("/__tapedeck/journal?format=text").await;
    assert_eq!(report.status, 200);
    assert_eq!(
        report.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // Both broke the contract: the first matched nothing, and neither is signed.
    assert_eq!(report.header("x-tapedeck-problems"), Some("2"));
    let body = String::from_utf8(report.body.to_vec()).unwrap();
    assert!(
        body.starts_with(
            "tapedeck: 2 of 2 requests matched no fixture or broke the recorded contract\n"
        ),
        "{body}"
    );
    assert!(
        body.contains(
            "nearest fixture: 'unknown-user' (1 field differs)\n    /Username\n      expected: \"tapedeck-ghost\"\n      got:      ‹sensitive UsernameType, 15 characters›\n"
        ),
        "{body}"
    );
    assert!(
        !body.contains("ghosty"),
        "the client's username is not shown: {body}"
    );
    assert!(
        body.contains("\nrequest 2: POST / AWSCognitoIdentityProviderService.AdminForgetDevice → 400: answered from 'unknown-user'\n  contract violations:\n    sigv4/missing: "),
        "{body}"
    );
    // The JSON journal is unchanged, with or without ?format=json.
    let json = text("/__tapedeck/journal?format=json").await.json();
    assert_eq!(json["entries"].as_array().map(Vec::len), Some(2));

    let reset = support::send(
        &client,
        &url,
        "POST",
        "/__tapedeck/reset",
        &[],
        bytes::Bytes::new(),
    )
    .await;
    assert_eq!(reset.status, 200);
    let after = text("/__tapedeck/journal?format=text").await;
    assert_eq!(after.header("x-tapedeck-problems"), Some("0"));

    let unknown = text("/__tapedeck/journal?format=xml").await;
    assert_eq!(unknown.status, 400);
    assert!(
        String::from_utf8_lossy(&unknown.body).contains("unknown journal option 'format=xml'"),
        "{:?}",
        unknown.body
    );
}
