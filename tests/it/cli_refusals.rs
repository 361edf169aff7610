//! Mistakes on the command line stop a command before it does anything: exit
//! 2, one line naming the path, option or address at fault and why, and
//! nothing created. Each test here was checked to fail without its fix.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::process::{output_within, BIN};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tapedeck(args: &[&str]) -> Run {
    let out = output_within(
        Command::new(BIN)
            .args(args)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1"),
        Duration::from_secs(60),
    );
    Run {
        code: out.status.code().expect("tapedeck exited normally"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Every line of `stderr` says each thing once: no OS error, and no cause,
/// shown twice (`…: Address already in use (os error 98): Address already in
/// use (os error 98)`).
fn assert_said_once(stderr: &str) {
    for line in stderr.lines() {
        let parts: Vec<&str> = line.split(": ").collect();
        for (i, part) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].contains(part) || part.len() < 8,
                "'{part}' is said twice in: {line}"
            );
        }
        assert!(line.matches("(os error").count() <= 1, "{line}");
    }
}

#[test]
fn os_errors_and_causes_are_said_once() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let run = tapedeck(&["replay", "--listen", &addr]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("cannot listen on {addr}: Address already in use")),
        "{}",
        run.stderr
    );
    assert_said_once(&run.stderr);
    let run = tapedeck(&["lint", "/no/such/dir"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/no/such/dir"), "{}", run.stderr);
    assert_said_once(&run.stderr);
    let run = tapedeck(&["replay", "--fixtures", "/no/such/dir"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_said_once(&run.stderr);
}

#[test]
fn an_empty_fixture_directory_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("fixtuers");
    std::fs::create_dir(&empty).unwrap();
    for args in [
        vec!["lint", s(&empty)],
        vec!["replay", "--listen", "127.0.0.1:0", "--fixtures", s(&empty)],
        vec![
            "verify",
            "--target",
            "http://127.0.0.1:1",
            "--fixtures",
            s(&empty),
        ],
        vec!["coverage", s(&empty)],
    ] {
        let run = tapedeck(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("{}: holds no fixture", empty.display())),
            "{args:?}: {}",
            run.stderr
        );
        // Only the commands that have the flag mention it.
        let has_flag = matches!(args[0], "lint" | "replay");
        assert_eq!(
            run.stderr.contains("--allow-empty"),
            has_flag,
            "{}",
            run.stderr
        );
        assert!(!run.stdout.contains("listening"), "{}", run.stdout);
    }
    let run = tapedeck(&["lint", "--allow-empty", s(&empty)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = tapedeck(&[
        "replay",
        "--allow-empty",
        "--listen",
        "127.0.0.1:0",
        "--fixtures",
        s(&empty),
        "--exit-on-stdin-close",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("with 0 fixtures"), "{}", run.stdout);
}

#[test]
fn lint_reads_what_replay_reads() {
    // `embedded:<set>` names, as `replay --fixtures` takes them.
    let run = tapedeck(&["lint", "embedded:reference"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("lint: 18 fixtures in 1 set: no problems"),
        "{}",
        run.stdout
    );
    let run = tapedeck(&["lint", "embedded:nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no embedded fixture set named 'nope'"),
        "{}",
        run.stderr
    );
    // A response header that HTTP cannot carry: replay could not serve the
    // fixture, so it does not load, for lint either.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/admin-forget-device/reference/unknown-user.json"
    ))
    .unwrap()
    .replace(
        "\"x-amzn-errormessage\": \"User does not exist.\"",
        "\"x-amzn-errormessage\": \"User does\\nnot exist.\"",
    );
    std::fs::write(dir.path().join("unknown-user.json"), text).unwrap();
    let lint = tapedeck(&["lint", s(dir.path())]);
    assert_eq!(lint.code, 1, "{}", lint.stdout);
    assert!(
        lint.stdout
            .contains("schema: response.headers.x-amzn-errormessage: an HTTP header value"),
        "{}",
        lint.stdout
    );
    let replay = tapedeck(&[
        "replay",
        "--listen",
        "127.0.0.1:0",
        "--fixtures",
        s(dir.path()),
    ]);
    assert_eq!(replay.code, 2, "{}", replay.stderr);
    assert!(
        replay
            .stderr
            .contains("response.headers.x-amzn-errormessage: an HTTP header value"),
        "{}",
        replay.stderr
    );
}

/// No error of tapedeck's shows its cause in its message and returns it as its
/// `source()` too: printed as a chain, the cause would be said twice.
#[test]
fn error_types_show_their_cause_once() {
    use std::error::Error;
    use tapedeck::fixture::{LoadError, WriteError};
    use tapedeck::net::{BindError, CallError, UpstreamError};
    use tapedeck::record::RecordError;

    fn io() -> std::io::Error {
        std::io::Error::from_raw_os_error(13)
    }
    let errors: Vec<Box<dyn Error>> = vec![
        Box::new(LoadError::Io {
            path: "f.json".into(),
            error: io(),
        }),
        Box::new(WriteError::Io {
            path: "f.json".into(),
            error: io(),
        }),
        Box::new(BindError::Io {
            addr: "127.0.0.1:1".parse().unwrap(),
            error: io(),
        }),
        Box::new(CallError::Upstream {
            operation: "AdminForgetDevice".into(),
            error: UpstreamError::Timeout {
                upstream: "127.0.0.1:1".into(),
                secs: 1,
            },
        }),
        Box::new(RecordError::OutDir {
            path: "out".into(),
            error: io(),
        }),
        Box::new(RecordError::Write(WriteError::Io {
            path: "f.json".into(),
            error: io(),
        })),
    ];
    for e in errors {
        let shown = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            assert!(
                !shown.contains(&c.to_string()),
                "{shown:?} also returns its cause {c:?} as source()"
            );
            cause = c.source();
        }
    }
}

/// Nothing at `path`, and nothing hidden beside it (a probe or temporary file).
fn assert_nothing_created(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "left behind in {}: {left:?}",
        dir.display()
    );
}

#[test]
fn every_output_path_is_checked_before_the_server_listens() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_file = file.join("report.json");
    let missing = dir.path().join("no-such-dir").join("report.json");
    for (args, said) in [
        (
            vec!["replay", "--report", s(&under_file)],
            format!(
                "--report {}: cannot write there: {} is not a directory",
                under_file.display(),
                file.display()
            ),
        ),
        (
            vec!["replay", "--junit", s(&missing)],
            format!("--junit {}: cannot write there: ", missing.display()),
        ),
        (
            vec!["replay", "--report", s(dir.path())],
            format!(
                "--report {}: is a directory; name a file",
                dir.path().display()
            ),
        ),
        (
            vec![
                "record",
                "--upstream",
                "http://127.0.0.1:9",
                "--no-resign",
                "--out",
                s(&under_file),
            ],
            format!(
                "--out {}: cannot create it: {} is not a directory",
                under_file.display(),
                file.display()
            ),
        ),
        (
            vec![
                "verify",
                "--target",
                "http://127.0.0.1:9",
                "--report-json",
                s(&under_file),
            ],
            format!("--report-json {}: cannot write there", under_file.display()),
        ),
        (
            vec![
                "verify",
                "--target",
                "http://127.0.0.1:9",
                "--markdown",
                s(&missing),
            ],
            format!("--markdown {}: cannot write there", missing.display()),
        ),
        (
            vec![
                "capture",
                "--endpoint",
                "http://127.0.0.1:9",
                "--out",
                s(&under_file),
            ],
            format!("--out {}: cannot create it", under_file.display()),
        ),
    ] {
        let mut args = args;
        if args[0] != "verify" && args[0] != "capture" {
            args.extend(["--listen", "127.0.0.1:0"]);
        }
        let run = tapedeck(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&said),
            "{args:?}: expected {said:?} in:\n{}",
            run.stderr
        );
        assert!(!run.stdout.contains("listening"), "{}", run.stdout);
        assert!(!run.stdout.contains("verify:"), "{}", run.stdout);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the file the test made"
    );
}

#[test]
fn a_command_that_refuses_to_start_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = dir.path().join("report.json");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    for (listen, said) in [
        (busy.as_str(), "Address already in use"),
        ("0.0.0.0:0", "--allow-remote"),
    ] {
        let record = tapedeck(&[
            "record",
            "--upstream",
            "http://127.0.0.1:9",
            "--no-resign",
            "--out",
            s(&out),
            "--listen",
            listen,
        ]);
        assert_eq!(record.code, 2, "{}", record.stderr);
        assert!(record.stderr.contains(said), "{}", record.stderr);
        let replay = tapedeck(&[
            "replay",
            "--report",
            s(&report),
            "--junit",
            s(&report.with_extension("xml")),
            "--mode",
            "new-episodes",
            "--allow-record-in-ci",
            "--upstream",
            "http://127.0.0.1:9",
            "--no-resign",
            "--out",
            s(&out),
            "--listen",
            listen,
        ]);
        assert_eq!(replay.code, 2, "{}", replay.stderr);
        assert!(replay.stderr.contains(said), "{}", replay.stderr);
        assert_nothing_created(dir.path());
    }
}

#[test]
fn listen_takes_host_names_and_exit_after_at_least_one() {
    let run = tapedeck(&["replay", "--listen", "localhost:0", "--exit-on-stdin-close"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("listening on http://127.0.0.1:")
            || run.stdout.contains("listening on http://[::1]:"),
        "{}",
        run.stdout
    );
    let run = tapedeck(&["replay", "--listen", "localhost"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot listen on localhost: expected HOST:PORT"),
        "{}",
        run.stderr
    );
    let run = tapedeck(&[
        "record",
        "--upstream",
        "http://127.0.0.1:9",
        "--no-resign",
        "--out",
        "x",
        "--listen",
        "localhost",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected HOST:PORT"), "{}", run.stderr);
    let run = tapedeck(&["replay", "--exit-after", "0"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value '0' for '--exit-after <N>': must be 1 or more"),
        "{}",
        run.stderr
    );
    let run = tapedeck(&["verify", "--target", "http://127.0.0.1:9", "--timeout", "0"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("must be 1 or more"), "{}", run.stderr);
}

#[test]
fn capture_without_arguments_names_either_endpoint_or_region() {
    let run = tapedeck(&["capture"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("<--endpoint <URL>|--region <REGION>>"),
        "{}",
        run.stderr
    );
    // --region alone is enough.
    let run = tapedeck(&["capture", "--region", "us-east-1", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("capture plan for https://cognito-idp.us-east-1.amazonaws.com"),
        "{}",
        run.stdout
    );
}
