//! Fault injection for the recording proxy and the servers' HTTP parsing. Every
//! test ends the same way: the client got a clear answer (or a clear error),
//! and the output directory holds only whole, canonical, lint-clean fixtures —
//! no partial file, no temporary file, nothing written twice.
//!
//! | fault | how it is made | test |
//! |---|---|---|
//! | upstream resets mid-body | raw TCP upstream, `SO_LINGER 0` close after half a body | `an_upstream_reset_mid_body_…` |
//! | upstream resets before answering | the same, before any byte | `an_upstream_reset_before_answering_…` |
//! | upstream answers garbage | raw TCP upstream writing non-HTTP bytes | `an_upstream_answering_garbage_…` |
//! | output dir read-only mid-run | read-only bind mount, else `chattr +i`, else `chmod 0555` (see below) | `the_output_directory_turning_read_only_…` |
//! | output dir replaced mid-run | the directory renamed away and a regular file put in its place | `the_output_directory_replaced_by_a_file_…` |
//! | disk full | a 64 KiB tmpfs mounted on the output directory (root only) | `a_full_disk_…` |
//! | write error (any user) | `prlimit --fsize` on the `tapedeck record` binary: writes fail with EFBIG | `a_write_error_from_a_file_size_limit_…` |
//! | SIGKILL during writes | covered by `tests/it/record_kill.rs` (`kill_9_mid_burst_leaves_only_complete_lint_clean_fixtures`), not repeated here | — |
//! | request smuggling | raw requests with conflicting framing to replay and to the proxy | `smuggling_…` |
//!
//! Why these techniques: the tests run as root in CI, and root ignores
//! permission bits, so `chmod 0555` does not make a directory read-only for
//! it. A read-only bind mount (`mount --bind D D; mount -o remount,bind,ro D`)
//! makes every write fail with EROFS even for root; where mounting is not
//! allowed, `chattr +i` (EPERM even for root, on file systems that support
//! it) is tried, and only then permission bits (which do work for other
//! users). Each technique is undone by a guard, also when the test fails. The
//! disk-full test needs `mount -t tmpfs` (root); elsewhere it says so and
//! passes, and the file-size-limit test — which needs no privilege — injects
//! a write error on the same write path instead.

use crate::support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use http_body_util::BodyExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{CT, TARGET};
use tapedeck::fixture::redact::RedactConfig;
use tapedeck::fixture::to_canonical_string;
use tapedeck::fixture::{self, parse_fixture};
use tapedeck::net::Limits;
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::record::{Proxy, Recorder, RecorderConfig, Signing};
use tapedeck::ReplayServer;

const POOL: &str = "us-east-1_TapeDeck1";
const DEVICE: &str = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001";
const NOT_FOUND_BODY: &str =
    r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#;
/// No test may take longer than this, whatever the fault.
const BUDGET: Duration = Duration::from_secs(60);

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(BUDGET, f)
        .await
        .expect("the test finished within its time budget")
}

fn body_for(user: &str) -> String {
    format!(r#"{{"UserPoolId": "{POOL}", "Username": "{user}", "DeviceKey": "{DEVICE}"}}"#)
}

// ---------------------------------------------------------------------------
// The proxy under test, in process.
// ---------------------------------------------------------------------------

fn proxy_for(upstream: &str, out: &Path) -> Proxy {
    let upstream = Upstream::new(
        upstream,
        None,
        Timeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_secs(5),
        },
    )
    .expect("upstream URL is valid");
    let recorder = Recorder::new(RecorderConfig {
        out: out.to_path_buf(),
        overwrite: false,
        redact: RedactConfig {
            keep_usernames: true,
            ..RedactConfig::default()
        },
        endpoint: upstream.authority().to_owned(),
    });
    Proxy {
        upstream,
        recorder: Arc::new(recorder),
        signing: Signing::PassThrough,
    }
}

/// What the client got, and the proxy's one-line note of what happened.
struct Forwarded {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    note: String,
}

impl Forwarded {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    fn not_recorded(&self) -> bool {
        self.headers.get("x-tapedeck-warning") == Some(&HeaderValue::from_static("not-recorded"))
    }
}

/// Sends one AdminForgetDevice for `user` through the proxy's request path.
async fn forward(proxy: &Proxy, user: &str) -> Forwarded {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static(CT));
    headers.insert("x-amz-target", HeaderValue::from_static(TARGET));
    let answered = bounded(proxy.forward(
        Method::POST,
        &Uri::from_static("/"),
        headers,
        Bytes::from(body_for(user)),
    ))
    .await;
    let (parts, body) = answered.response.into_parts();
    let note = answered.note;
    Forwarded {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
        note,
    }
}

/// A tapedeck-made 502 naming the upstream failure.
fn assert_upstream_failed(got: &Forwarded) {
    assert_eq!(got.status, StatusCode::BAD_GATEWAY, "{}", got.note);
    assert_eq!(
        got.headers
            .get("x-tapedeck-error")
            .and_then(|v| v.to_str().ok()),
        Some("upstream-failed")
    );
    let json = got.json();
    assert_eq!(json["__type"], "TapedeckUpstreamFailed");
    let message = json["message"].as_str().unwrap();
    assert!(
        message.contains("failed mid-exchange"),
        "the message says what failed: {message}"
    );
    assert!(got.note.starts_with("not recorded: "), "{}", got.note);
}

// ---------------------------------------------------------------------------
// The output directory.
// ---------------------------------------------------------------------------

/// Whether `name` is the temporary file of an atomic write.
fn is_temp(name: &str) -> bool {
    name.starts_with(".tapedeck-") && name.ends_with(".tmp")
}

/// Every entry of `out` is a whole, canonical fixture; returns their
/// usernames, sorted. Fails on partial, temporary or stray files, and on a
/// directory that does not lint clean.
fn assert_only_whole_fixtures(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Vec::new();
    };
    let mut users = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!is_temp(&name), "a temporary file was left behind: {name}");
        assert!(
            name.ends_with(".json") && !name.starts_with('.'),
            "stray file {name}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let fixture = parse_fixture(&name, &text).unwrap_or_else(|e| panic!("corrupt: {e}"));
        assert_eq!(to_canonical_string(&fixture), text, "{name} is not whole");
        users.push(fixture.variables["username"].clone());
    }
    let report = tapedeck::lint::lint(fixture::read_path(out).unwrap());
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(report.is_clean(), "{}", problems.join("\n"));
    users.sort();
    users
}

/// Runs a command; true when it exits 0.
fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether this process can no longer create a file in `dir`.
fn unwritable(dir: &Path) -> bool {
    let probe = dir.join(".faults-probe");
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(_) => true,
    }
}

/// A directory made read-only by the strongest technique available; undone on drop.
enum ReadOnly {
    BindMount(PathBuf),
    Immutable(PathBuf),
    Permissions(PathBuf),
}

impl ReadOnly {
    fn make(dir: &Path) -> Option<ReadOnly> {
        use std::os::unix::fs::PermissionsExt as _;
        let d = dir.to_str().unwrap();
        if run("mount", &["--bind", d, d]) {
            if run("mount", &["-o", "remount,bind,ro", d]) && unwritable(dir) {
                return Some(ReadOnly::BindMount(dir.to_owned()));
            }
            run("umount", &[d]);
        }
        if run("chattr", &["+i", d]) {
            if unwritable(dir) {
                return Some(ReadOnly::Immutable(dir.to_owned()));
            }
            run("chattr", &["-i", d]);
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        if unwritable(dir) {
            return Some(ReadOnly::Permissions(dir.to_owned()));
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        None
    }

    fn technique(&self) -> &'static str {
        match self {
            ReadOnly::BindMount(_) => "a read-only bind mount (EROFS)",
            ReadOnly::Immutable(_) => "chattr +i (EPERM)",
            ReadOnly::Permissions(_) => "chmod 0555 (EACCES)",
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt as _;
        match self {
            ReadOnly::BindMount(d) => {
                let d = d.to_str().unwrap();
                if !run("umount", &[d]) {
                    run("umount", &["-l", d]);
                }
            }
            ReadOnly::Immutable(d) => {
                run("chattr", &["-i", d.to_str().unwrap()]);
            }
            ReadOnly::Permissions(d) => {
                let _ = std::fs::set_permissions(&*d, std::fs::Permissions::from_mode(0o755));
            }
        }
    }
}

/// A small tmpfs mounted on a directory; unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let options = format!("size={size},mode=0755");
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &options,
                "tapedeck-faults",
                dir.to_str().unwrap(),
            ],
        )
        .then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let d = self.0.to_str().unwrap();
        if !run("umount", &[d]) {
            run("umount", &["-l", d]);
        }
    }
}

// ---------------------------------------------------------------------------
// Misbehaving upstreams.
// ---------------------------------------------------------------------------

/// How a raw upstream misbehaves on each connection.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Writes these bytes, then resets the connection (RST, not FIN).
    WriteThenReset(&'static [u8]),
    /// Writes these bytes, then closes normally.
    WriteThenClose(&'static [u8]),
}

/// A raw TCP upstream on 127.0.0.1 that misbehaves on its first `bad`
/// connections and answers like Cognito afterwards. Serves at most 16.
async fn raw_upstream(how: Misbehaviour, bad: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for i in 0..16 {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let _ = support::read_http_request(&mut stream).await;
            if i >= bad {
                let ok = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: {CT}\r\nx-amzn-errortype: UserNotFoundException:\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{NOT_FOUND_BODY}",
                    NOT_FOUND_BODY.len()
                );
                let _ = stream.write_all(ok.as_bytes()).await;
                let _ = stream.shutdown().await;
                continue;
            }
            match how {
                Misbehaviour::WriteThenReset(bytes) => {
                    let _ = stream.write_all(bytes).await;
                    let _ = stream.flush().await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = stream.set_zero_linger();
                    drop(stream); // RST
                }
                Misbehaviour::WriteThenClose(bytes) => {
                    let _ = stream.write_all(bytes).await;
                    let _ = stream.shutdown().await;
                }
            }
        }
    });
    addr
}

// ---------------------------------------------------------------------------
// 1. The upstream resets the connection.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_reset_mid_body_gives_502_no_fixture_and_the_proxy_recovers() {
    const HALF: &[u8] = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 68\r\n\r\n{\"__type\":\"UserNotFoundExc";
    let addr = raw_upstream(Misbehaviour::WriteThenReset(HALF), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let proxy = proxy_for(&format!("http://{addr}"), &out);

    let got = forward(&proxy, "tapedeck-reset").await;
    assert_upstream_failed(&got);
    assert!(
        got.json()["message"]
            .as_str()
            .unwrap()
            .contains("reading the response body"),
        "the message says the body broke off: {}",
        got.json()["message"]
    );
    assert!(
        assert_only_whole_fixtures(&out).is_empty(),
        "nothing is recorded"
    );

    // The broken connection is not reused: the next exchange is recorded.
    let next = forward(&proxy, "tapedeck-after-reset").await;
    assert_eq!(next.status, StatusCode::BAD_REQUEST, "{}", next.note);
    assert!(next.note.starts_with("recorded as "), "{}", next.note);
    assert_eq!(assert_only_whole_fixtures(&out), ["tapedeck-after-reset"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_reset_before_answering_gives_502_and_no_fixture() {
    let addr = raw_upstream(Misbehaviour::WriteThenReset(b""), 2).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let proxy = proxy_for(&format!("http://{addr}"), &out);

    let got = forward(&proxy, "tapedeck-reset").await;
    assert_upstream_failed(&got);
    assert!(assert_only_whole_fixtures(&out).is_empty());
}

// ---------------------------------------------------------------------------
// 2. The upstream answers with something that is not HTTP.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_answering_garbage_gives_502_and_no_fixture() {
    const GARBAGE: [&[u8]; 5] = [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not a TLS hello either",
        b"HTTP/1.1 200 OK\r\ncontent-length: twelve\r\n\r\n{}",
        b"HTTP/1.1 2000 Whatever\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
    ];
    for garbage in GARBAGE {
        let addr = raw_upstream(Misbehaviour::WriteThenClose(garbage), 1).await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let proxy = proxy_for(&format!("http://{addr}"), &out);

        let got = forward(&proxy, "tapedeck-garbage").await;
        assert_upstream_failed(&got);
        assert!(
            assert_only_whole_fixtures(&out).is_empty(),
            "{:?} was recorded",
            String::from_utf8_lossy(garbage)
        );
    }
}

/// An answer larger than the proxy accepts (1 MiB) is refused whole, not
/// recorded truncated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_answer_over_one_mebibyte_gives_502_and_no_fixture() {
    let size = tapedeck::net::MAX_RESPONSE + 1;
    let mut answer =
        format!("HTTP/1.1 400 Bad Request\r\ncontent-type: {CT}\r\ncontent-length: {size}\r\n\r\n")
            .into_bytes();
    answer.extend(std::iter::repeat_n(b'x', size));
    let addr = raw_upstream(Misbehaviour::WriteThenClose(answer.leak()), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let proxy = proxy_for(&format!("http://{addr}"), &out);

    let got = forward(&proxy, "tapedeck-huge").await;
    assert_upstream_failed(&got);
    assert!(assert_only_whole_fixtures(&out).is_empty());
}

// ---------------------------------------------------------------------------
// 3. The output directory becomes unwritable mid-run.
// ---------------------------------------------------------------------------

/// An upstream answering the ghost user with UserNotFound, and anything else
/// first with success, then (the same request again) with ResourceNotFound:
/// so a repeated request becomes a two-step sequence.
async fn cognito_like_upstream() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("tapedeck-forget-twice"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", CT))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("tapedeck-forget-twice"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", CT)
                .insert_header("x-amzn-errortype", "ResourceNotFoundException:")
                .set_body_string(
                    r#"{"__type":"ResourceNotFoundException","message":"Device does not exist."}"#,
                ),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", CT)
                .insert_header("x-amzn-errortype", "UserNotFoundException:")
                .set_body_string(NOT_FOUND_BODY),
        )
        .with_priority(3)
        .mount(&server)
        .await;
    server
}

/// The bytes of every file in `dir`, by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_output_directory_turning_read_only_mid_run_loses_no_fixture() {
    let upstream = cognito_like_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let proxy = proxy_for(&upstream.uri(), &out);

    // Before: two exchanges recorded, one of them the first step of a sequence.
    assert!(forward(&proxy, "tapedeck-before")
        .await
        .note
        .starts_with("recorded as "));
    let first = forward(&proxy, "tapedeck-forget-twice").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.note.starts_with("recorded as "), "{}", first.note);
    let before = snapshot(&out);

    let guard = ReadOnly::make(&out).expect("some technique makes the directory read-only");
    println!("read-only by {}", guard.technique());

    // During: the client still gets the upstream's answer, marked not
    // recorded, and the note names the directory and the OS error. The second
    // step of the sequence needs step 1 rewritten: that fails too, and leaves
    // step 1 as it was.
    for user in ["tapedeck-during", "tapedeck-forget-twice"] {
        let got = forward(&proxy, user).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{user}: {}", got.note);
        assert!(got.not_recorded(), "{user}: {}", got.note);
        assert!(got.note.starts_with("not recorded: "), "{}", got.note);
        assert!(
            got.note.contains(&out.display().to_string()),
            "the note names where: {}",
            got.note
        );
        let os_error = [
            "Read-only file system",
            "Operation not permitted",
            "Permission denied",
        ];
        assert!(
            os_error.iter().any(|e| got.note.contains(e)),
            "the note says why: {}",
            got.note
        );
    }
    assert_eq!(
        snapshot(&out),
        before,
        "nothing on disk changed while read-only"
    );
    drop(guard);

    // After: recording resumes, and the sequence is completed on retry.
    assert!(forward(&proxy, "tapedeck-after")
        .await
        .note
        .starts_with("recorded as "));
    let second = forward(&proxy, "tapedeck-forget-twice").await;
    assert!(second.note.starts_with("recorded as "), "{}", second.note);
    assert_eq!(
        assert_only_whole_fixtures(&out),
        [
            "tapedeck-after",
            "tapedeck-before",
            "tapedeck-forget-twice",
            "tapedeck-forget-twice"
        ]
    );
    let sequences: Vec<Option<u32>> = fixture::load_path(&out)
        .unwrap()
        .iter()
        .filter(|f| f.fixture.variables["username"] == "tapedeck-forget-twice")
        .map(|f| f.fixture.sequence)
        .collect();
    let mut sequences = sequences;
    sequences.sort();
    assert_eq!(sequences, [Some(1), Some(2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_output_directory_replaced_by_a_file_mid_run_loses_no_fixture() {
    let upstream = cognito_like_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let moved = dir.path().join("out.moved");
    let proxy = proxy_for(&upstream.uri(), &out);

    assert!(forward(&proxy, "tapedeck-before")
        .await
        .note
        .starts_with("recorded as "));
    std::fs::rename(&out, &moved).unwrap();
    std::fs::write(&out, "not a directory").unwrap();

    let got = forward(&proxy, "tapedeck-during").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.not_recorded(), "{}", got.note);
    assert!(
        got.note.contains(&out.display().to_string()),
        "{}",
        got.note
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "not a directory");

    std::fs::remove_file(&out).unwrap();
    std::fs::rename(&moved, &out).unwrap();
    assert!(forward(&proxy, "tapedeck-after")
        .await
        .note
        .starts_with("recorded as "));
    assert_eq!(
        assert_only_whole_fixtures(&out),
        ["tapedeck-after", "tapedeck-before"]
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["out"], "nothing written next to the directory");
}

// ---------------------------------------------------------------------------
// 4. The disk fills up.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_whole_fixtures_only_and_recording_resumes_once_space_is_freed() {
    let upstream = cognito_like_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let Some(tmpfs) = Tmpfs::mount(&out, "64k") else {
        println!(
            "skipped: `mount -t tmpfs` is not allowed here (not root?); \
             a_write_error_from_a_file_size_limit_* injects the write error instead"
        );
        return;
    };
    let proxy = proxy_for(&upstream.uri(), &out);

    // Fill the 64 KiB until a write fails: each fixture takes a 4 KiB page.
    let mut recorded = Vec::new();
    let mut refused = None;
    for i in 0..64 {
        let user = format!("tapedeck-fill-{i:02}");
        let got = forward(&proxy, &user).await;
        assert_eq!(
            got.status,
            StatusCode::BAD_REQUEST,
            "the client is answered"
        );
        if got.not_recorded() {
            refused = Some((user, got.note));
            break;
        }
        assert!(got.note.starts_with("recorded as "), "{}", got.note);
        recorded.push(user);
    }
    let (refused_user, note) = refused.expect("64 KiB fills up within 64 fixtures");
    assert!(!recorded.is_empty(), "some fixtures fit");
    assert!(
        note.contains("No space left on device"),
        "the note says why: {note}"
    );
    assert!(
        note.contains(&out.display().to_string()),
        "and where: {note}"
    );
    // Whole fixtures only: the failed one left no partial or temporary file.
    assert_eq!(assert_only_whole_fixtures(&out), recorded);

    // Still full: refused again, still clean.
    assert!(forward(&proxy, &refused_user).await.not_recorded());
    assert_eq!(assert_only_whole_fixtures(&out), recorded);

    // Free some space: the refused exchange is recorded on retry.
    let victim = fixture::load_path(&out)
        .unwrap()
        .into_iter()
        .find(|f| f.fixture.variables["username"] == recorded[0])
        .unwrap();
    std::fs::remove_file(&victim.origin).unwrap();
    let retry = forward(&proxy, &refused_user).await;
    assert!(retry.note.starts_with("recorded as "), "{}", retry.note);
    let mut expected: Vec<String> = recorded[1..].to_vec();
    expected.push(refused_user);
    expected.sort();
    assert_eq!(assert_only_whole_fixtures(&out), expected);
    drop(tmpfs);
}

/// `tapedeck record` (the binary) under a file-size limit: every fixture write
/// fails with EFBIG. Needs no privilege, so it runs everywhere `prlimit`
/// (util-linux) exists. SIGXFSZ is ignored (inherited through exec), so the
/// write fails instead of killing the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_error_from_a_file_size_limit_is_reported_and_leaves_no_file() {
    if !run("prlimit", &["--version"]) {
        println!("skipped: prlimit (util-linux) is not installed");
        return;
    }
    let upstream = cognito_like_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; exec prlimit --fsize=512 -- \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_tapedeck"),
            "record",
            "--upstream",
            &upstream.uri(),
            "--out",
            out.to_str().unwrap(),
            "--no-resign",
            "--keep-usernames",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tapedeck record starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ']).next())
        .unwrap_or_else(|| panic!("unexpected start line: {line:?}"))
        .to_owned();

    let client = support::client();
    let answer = bounded(support::forget(&client, &url, &body_for("tapedeck-efbig"))).await;
    let _ = child.kill();
    let _ = child.wait();
    let log = log.join().unwrap();

    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "the client is answered"
    );
    assert_eq!(answer.header("x-tapedeck-warning"), Some("not-recorded"));
    assert!(
        log.contains("exchange NOT recorded") && log.contains("File too large"),
        "the log says what and why:\n{log}"
    );
    assert!(assert_only_whole_fixtures(&out).is_empty());
}

// ---------------------------------------------------------------------------
// 5. Request smuggling and framing.
// ---------------------------------------------------------------------------

/// Writes `raw` to `addr` and reads until the server closes (at most 5 s).
fn exchange_raw(addr: SocketAddr, raw: &[u8]) -> (String, bool) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw).unwrap();
    let mut buf = Vec::new();
    let closed = s.read_to_end(&mut buf).is_ok();
    (String::from_utf8_lossy(&buf).into_owned(), closed)
}

fn responses_in(text: &str) -> usize {
    text.matches("HTTP/1.1 ").count()
}

fn smuggling_request(framing: &str, body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {CT}\r\nX-Amz-Target: {TARGET}\r\n{framing}\r\n{body}"
    )
    .into_bytes()
}

/// A second request hidden after the first one's body, as a smuggler would
/// send it: a replay request for the ghost user.
fn hidden_request() -> String {
    let body = body_for("tapedeck-ghost");
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {CT}\r\nX-Amz-Target: {TARGET}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_content_length_with_chunked_is_read_as_chunked_and_the_connection_closed() {
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and a server
    // that processes such a message must close the connection after it.
    // hyper does exactly that, so the bytes after the chunked body are never
    // read as a request, whichever header comes first.
    let server = ReplayServer::start().await;
    let addr = *server.address();
    let hidden = hidden_request();
    for framing in [
        format!(
            "Content-Length: {}\r\nTransfer-Encoding: chunked\r\n",
            5 + hidden.len()
        ),
        format!(
            "Transfer-Encoding: chunked\r\nContent-Length: {}\r\n",
            5 + hidden.len()
        ),
    ] {
        let raw = smuggling_request(&framing, &format!("0\r\n\r\n{hidden}"));
        let (text, closed) = tokio::task::spawn_blocking(move || exchange_raw(addr, &raw))
            .await
            .unwrap();
        assert!(closed, "the server closed the connection");
        assert_eq!(responses_in(&text), 1, "exactly one answer:\n{text}");
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
        // The one request had an empty (chunked) body: not the ghost user.
        assert!(!text.contains("UserNotFoundException"), "{text}");
    }
    let journal = support::admin(&support::client(), server.uri(), "journal").await;
    let n = journal["entries"].as_array().map_or(0, Vec::len);
    assert_eq!(n, 2, "one request per connection, no hidden one: {journal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_ambiguous_framing_is_refused_with_400() {
    let server = ReplayServer::start().await;
    let addr = *server.address();
    let body = body_for("tapedeck-ghost");
    let n = body.len();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "two different Content-Lengths",
            smuggling_request(&format!("Content-Length: {n}\r\nContent-Length: {}\r\n", n + 10), &body),
        ),
        (
            "a Content-Length list",
            smuggling_request(&format!("Content-Length: {n}, {n}\r\n"), &body),
        ),
        (
            "a signed Content-Length",
            smuggling_request(&format!("Content-Length: +{n}\r\n"), &body),
        ),
        (
            "Transfer-Encoding not ending in chunked",
            smuggling_request("Transfer-Encoding: chunked, gzip\r\n", &body),
        ),
        (
            "an obfuscated Transfer-Encoding",
            smuggling_request(&format!("Transfer-Encoding: xchunked\r\nContent-Length: {n}\r\n"), &body),
        ),
        (
            "whitespace before the colon",
            smuggling_request(&format!("Transfer-Encoding : chunked\r\nContent-Length: {n}\r\n"), &body),
        ),
        (
            "Transfer-Encoding in HTTP/1.0",
            format!(
                "POST / HTTP/1.0\r\nContent-Type: {CT}\r\nX-Amz-Target: {TARGET}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            )
            .into_bytes(),
        ),
        (
            "an overflowing chunk size",
            smuggling_request("Transfer-Encoding: chunked\r\n", "fffffffffffffffffff\r\nx\r\n0\r\n\r\n"),
        ),
    ];
    for (what, raw) in cases {
        let (text, closed) = tokio::task::spawn_blocking(move || exchange_raw(addr, &raw))
            .await
            .unwrap();
        assert!(closed, "{what}: the connection is closed");
        assert!(
            text.starts_with("HTTP/1.1 400"),
            "{what}: refused with 400, got:\n{text}"
        );
        assert!(responses_in(&text) <= 1, "{what}: {text}");
        assert!(
            !text.contains("UserNotFoundException"),
            "{what}: the body was served:\n{text}"
        );
    }
    // Two equal Content-Length headers are one length (RFC 9110 §8.6): allowed.
    let raw = smuggling_request(
        &format!("Content-Length: {n}\r\nContent-Length: {n}\r\nConnection: close\r\n"),
        &body,
    );
    let (text, _) = tokio::task::spawn_blocking(move || exchange_raw(addr, &raw))
        .await
        .unwrap();
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(
        text.contains("UserNotFoundException"),
        "the ghost user's fixture: {text}"
    );
}

/// The proxy reads the whole body and sends the upstream a fresh
/// Content-Length: whatever framing the client used, the upstream sees one
/// request, never the client's Transfer-Encoding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_through_the_proxy_is_reframed_for_the_upstream() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = listener.local_addr().unwrap();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        for _ in 0..4 {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let seen_tx = seen_tx.clone();
            tokio::spawn(async move {
                let mut all = Vec::new();
                let mut chunk = [0u8; 4096];
                // Answer every request on the connection; record all bytes.
                loop {
                    let read =
                        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut chunk))
                            .await;
                    let Ok(Ok(n)) = read else { break };
                    if n == 0 {
                        break;
                    }
                    all.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&all).into_owned();
                    let answered = text.matches("HTTP/1.1\r\n").count();
                    let ok = format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: {CT}\r\nx-amzn-errortype: UserNotFoundException:\r\ncontent-length: {}\r\n\r\n{NOT_FOUND_BODY}",
                        NOT_FOUND_BODY.len()
                    );
                    for _ in 0..answered {
                        let _ = stream.write_all(ok.as_bytes()).await;
                    }
                    all.clear();
                    let _ = seen_tx.send(text.into_bytes());
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let proxy = proxy_for(&format!("http://{upstream_addr}"), &out);
    let listener = tapedeck::net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    tokio::spawn(tapedeck::net::serve(
        listener,
        Arc::new(proxy),
        Limits::default(),
        std::future::pending(),
    ));

    let body = body_for("tapedeck-chunked");
    let hidden = hidden_request();
    let chunked = format!("{:x}\r\n{body}\r\n0\r\n\r\n{hidden}", body.len());
    let raw = smuggling_request(
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        &chunked,
    );
    let (text, closed) = tokio::task::spawn_blocking(move || exchange_raw(proxy_addr, &raw))
        .await
        .unwrap();
    assert!(closed);
    assert_eq!(responses_in(&text), 1, "{text}");

    let mut upstream_saw = String::new();
    while let Ok(Some(bytes)) = tokio::time::timeout(Duration::from_secs(2), seen_rx.recv()).await {
        upstream_saw.push_str(&String::from_utf8_lossy(&bytes));
    }
    let lower = upstream_saw.to_ascii_lowercase();
    assert_eq!(
        lower.matches("post / http/1.1").count(),
        1,
        "{upstream_saw}"
    );
    assert!(!lower.contains("transfer-encoding"), "{upstream_saw}");
    assert!(
        lower.contains(&format!("content-length: {}", body.len())),
        "{upstream_saw}"
    );
    assert!(
        upstream_saw.ends_with(&body),
        "the whole, de-chunked body: {upstream_saw}"
    );
    assert!(
        !upstream_saw.contains("tapedeck-ghost"),
        "the hidden request: {upstream_saw}"
    );
    assert_eq!(assert_only_whole_fixtures(&out), ["tapedeck-chunked"]);
}

// ---------------------------------------------------------------------------
// 6. CPU amplification through near misses.
// ---------------------------------------------------------------------------

/// A request just under the 1 MiB body cap that matches no fixture must not
/// cost seconds of CPU. Today it does: `nearmiss::edit_distance`
/// (src/replay/nearmiss.rs) runs Levenshtein — O(n·m) — between the
/// request's 1 MiB value and every fixture's value, so one request holds a
/// worker thread for ~5 s in a debug build (~0.5 s in release), and a few
/// such requests stall the server. Fix: skip or cap the edit distance when
/// either side is long (e.g. over 256 characters, rank by length difference).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_mebibyte_unmatched_value_is_answered_within_two_seconds() {
    let server = ReplayServer::start().await;
    let huge = "u".repeat(tapedeck::net::MAX_BODY - 200);
    let started = std::time::Instant::now();
    let answer = bounded(support::forget(
        &support::client(),
        server.uri(),
        &body_for(&huge),
    ))
    .await;
    let took = started.elapsed();
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        took < Duration::from_secs(2),
        "a near-miss answer took {took:?}"
    );
}
