//! `tapedeck replay` as a process: the start line, SIGTERM writes the reports,
//! `--strict` and `--exit-after` set the exit code, remote binds need opt-in.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tapedeck");
const GHOST: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;

/// Starts `tapedeck replay` on a random port and reads its start line.
fn spawn(args: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(BIN)
        .args(["replay", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("start line names the address")
        .to_owned();
    (child, url, line)
}

/// One request with a plain blocking TCP client (keeps the test free of async).
fn post(url: &str, body: &str) -> String {
    use std::io::{Read as _, Write as _};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.AdminForgetDevice\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn wait(child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "tapedeck replay did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn start_line_says_where_and_how_many() {
    let (mut child, url, line) = spawn(&[]);
    assert!(line.contains("18 fixtures"), "{line}");
    assert!(
        line.contains(&format!("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER={url}")),
        "{line}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[cfg(unix)]
#[test]
fn sigterm_drains_and_writes_both_reports() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let junit = dir.path().join("junit.xml");
    let (mut child, url, _) = spawn(&[
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(post(&url, GHOST).starts_with("HTTP/1.1 400"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(wait(&mut child), 0);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["totals"]["requests"], 1);
    assert_eq!(json["entries"][0]["fixture"], "unknown-user");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuite name="tapedeck replay" tests="1""#),
        "{xml}"
    );
    assert!(xml.contains("unknown-user"), "{xml}");
}

#[test]
fn strict_exit_after_fails_on_an_unmatched_request() {
    let (mut child, url, _) = spawn(&["--strict", "--exit-after", "2"]);
    post(&url, GHOST);
    let miss = post(&url, &GHOST.replace("ghost", "nobody"));
    assert!(miss.starts_with("HTTP/1.1 404"), "{miss}");
    assert!(
        miss.to_ascii_lowercase()
            .contains("x-tapedeck-error: no-match"),
        "{miss}"
    );
    assert_eq!(wait(&mut child), 1);
}

#[test]
fn non_strict_exit_after_succeeds_whatever_happened() {
    let (mut child, url, _) = spawn(&["--exit-after", "1"]);
    post(&url, &GHOST.replace("ghost", "nobody"));
    assert_eq!(wait(&mut child), 0);
}

#[test]
fn remote_addresses_need_allow_remote() {
    let out = Command::new(BIN)
        .args(["replay", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn bad_fixture_paths_and_credentials_are_usage_errors() {
    let out = Command::new(BIN)
        .args([
            "replay",
            "--listen",
            "127.0.0.1:0",
            "--fixtures",
            "/no/such/dir",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/dir"));
    let out = Command::new(BIN)
        .args(["replay", "--verify-signature", "no-colon-secret"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("no-colon-secret"));
}

#[test]
fn a_sets_tapedeck_set_json_declares_the_sequence_end() {
    let dir = tempfile::tempdir().unwrap();
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/admin-forget-device/reference"
    );
    for id in ["forget-remembered-device", "device-already-forgotten"] {
        std::fs::copy(
            format!("{reference}/{id}.json"),
            dir.path().join(format!("{id}.json")),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("tapedeck-set.json"),
        "{\"tapedeck_set\": 1, \"sequence_end\": \"error\"}\n",
    )
    .unwrap();
    let (mut child, url, line) = spawn(&["--fixtures", dir.path().to_str().unwrap()]);
    assert!(line.contains("2 fixtures"), "{line}");
    let forget = GHOST.replace("tapedeck-ghost", "tapedeck-user");
    let statuses: Vec<String> = (0..3)
        .map(|_| post(&url, &forget)[..12].to_owned())
        .collect();
    assert_eq!(statuses, ["HTTP/1.1 200", "HTTP/1.1 400", "HTTP/1.1 404"]);
    child.kill().unwrap();
    child.wait().unwrap();
}
