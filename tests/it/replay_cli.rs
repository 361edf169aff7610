//! `tapedeck replay` as a process: the start line, SIGTERM writes the reports,
//! `--strict` and `--exit-after` set the exit code, remote binds need opt-in.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::process::post_forget_signed;

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
        if Instant::now() >= deadline {
            // Not left running after the test fails.
            let _ = child.kill();
            let _ = child.wait();
            panic!("tapedeck replay did not exit");
        }
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

/// A bodyless request to an admin route; the response's body.
fn admin(url: &str, method: &str, route: &str) -> String {
    use std::io::{Read as _, Write as _};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} /__tapedeck/{route} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// The `name` attributes of a JUnit document's test cases.
fn case_names(xml: &str) -> Vec<String> {
    xml.split("<testcase ")
        .skip(1)
        .filter_map(|case| case.split(" name=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_reset_never_makes_a_dirty_run_clean() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let junit = dir.path().join("junit.xml");
    let (mut child, url, _) = spawn(&[
        "--strict",
        "--exit-after",
        "3",
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(post(&url, &GHOST.replace("ghost", "ghosty")).starts_with("HTTP/1.1 404"));
    let reset: serde_json::Value = serde_json::from_str(&admin(&url, "POST", "reset")).unwrap();
    assert_eq!(
        reset["reset"],
        serde_json::json!(["sequences", "bindings", "journal"])
    );
    assert!(post_forget_signed(&url, GHOST).starts_with("HTTP/1.1 400"));
    // The window starts again; the run does not.
    let journal: serde_json::Value = serde_json::from_str(&admin(&url, "GET", "journal")).unwrap();
    assert_eq!(journal["totals"]["requests"], 1, "{journal}");
    assert_eq!(journal["totals"]["unmatched"], 0, "{journal}");
    assert_eq!(journal["run"]["requests"], 2, "{journal}");
    assert_eq!(journal["run"]["unmatched"], 1, "{journal}");
    assert_eq!(journal["entries"][0]["n"], 1, "{journal}");
    assert_eq!(journal["entries"][0]["run_n"], 2, "{journal}");
    // --exit-after counts the run too: the third request ends it.
    assert!(post_forget_signed(&url, GHOST).starts_with("HTTP/1.1 400"));
    assert_eq!(wait(&mut child), 1, "--strict fails the dirty run");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["clean"], false, "{json}");
    assert_eq!(json["resets"], 1, "{json}");
    assert_eq!(json["totals"]["requests"], 3, "{json}");
    assert_eq!(json["totals"]["unmatched"], 1, "{json}");
    assert_eq!(json["totals"]["dropped"], 0, "{json}");
    let listed: Vec<(u64, &str)> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["run_n"].as_u64().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [(1, "unmatched"), (2, "matched"), (3, "matched")]);
    assert_eq!(
        json["entries"][0]["near_misses"][0]["fixture"], "unknown-user",
        "the failing request is there in full: {json}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"tests="3" failures="1""#), "{xml}");
    assert!(
        xml.contains(r#"<testcase classname="tapedeck.replay" name="request 1: AWSCognitoIdentityProviderService.AdminForgetDevice">"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure message="answered 404: no fixture matched: no fixture matched; nearest &apos;unknown-user&apos; differs in /Username">"#),
        "{xml}"
    );
}

#[test]
fn junit_names_are_the_same_whatever_happened() {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (run, bodies) in [
        ("a", [GHOST, &GHOST.replace("ghost", "ghosty")]),
        ("b", [&GHOST.replace("ghost", "ghosty"), GHOST]),
    ] {
        let junit = dir.path().join(format!("{run}.xml"));
        let (mut child, url, _) = spawn(&["--exit-after", "2", "--junit", junit.to_str().unwrap()]);
        for body in bodies {
            post_forget_signed(&url, body);
        }
        assert_eq!(wait(&mut child), 0);
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains(r#"failures="1""#), "{xml}");
        assert!(
            xml.contains("<system-out>answered 400 from &apos;unknown-user&apos;</system-out>"),
            "what a passing request did is its output: {xml}"
        );
        names.push(case_names(&xml));
    }
    assert_eq!(
        names[0],
        [
            "request 1: AWSCognitoIdentityProviderService.AdminForgetDevice",
            "request 2: AWSCognitoIdentityProviderService.AdminForgetDevice"
        ]
    );
    assert_eq!(names[0], names[1], "the outcome is not part of the name");
}

#[cfg(unix)]
#[test]
fn a_report_that_cannot_be_written_at_shutdown_loses_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let report = gone.join("report.json");
    let junit = dir.path().join("junit.xml");
    let (child, url, _) = spawn(&[
        "--exit-after",
        "1",
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    // Checked at start; removed during the run.
    std::fs::remove_dir(&gone).unwrap();
    post(&url, GHOST);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("tapedeck replay: 1 request, 1 matched"),
        "the summary is printed: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: cannot write {}: No such file or directory",
            report.display()
        )),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("request 1: "),
        "the JUnit file is still written"
    );
}
