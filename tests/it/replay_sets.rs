//! Several fixture sets served at once: sequences are scoped to a set, the set
//! given first answers a request that several record, the start line says how
//! many fixtures that shadows, and `lint` of the same sets says the same. Also
//! what a used-up sequence says about where its policy was set.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tapedeck::fixture::{self, Overwrite};

use crate::support::process::{output_within, post_forget, Server, BIN};

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/admin-forget-device/reference"
);
const FORGET: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-user", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Set A: the reference's forget-then-forget-again sequence. Set B: one
/// fixture for the same request, answering UserNotFoundException.
fn two_sets(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    for id in ["forget-remembered-device", "device-already-forgotten"] {
        std::fs::copy(
            format!("{REFERENCE}/{id}.json"),
            a.join(format!("{id}.json")),
        )
        .unwrap();
    }
    let mut gone = fixture::load_path(&Path::new(REFERENCE).join("unknown-user.json"))
        .unwrap()
        .remove(0)
        .fixture;
    gone.id = "user-gone".into();
    gone.request.body.as_json_mut().unwrap()["Username"] = "tapedeck-user".into();
    fixture::write_atomic(&b, &gone, Overwrite::Never).unwrap();
    (a, b)
}

fn error_type(answer: &str) -> &str {
    answer
        .split("\"__type\":")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or("(none)")
}

#[test]
fn several_sets_load_together_and_the_first_given_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_sets(dir.path());
    let log = dir.path().join("a-first.log");
    let mut server = Server::start(&["replay", "--fixtures", s(&a), "--fixtures", s(&b)], log);
    let answers: Vec<String> = (0..3).map(|_| post_forget(&server.url, FORGET)).collect();
    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert_eq!(error_type(&answers[1]), "ResourceNotFoundException");
    assert_eq!(error_type(&answers[2]), "ResourceNotFoundException");
    let _ = server.child.kill();

    let mut cmd = Command::new(BIN);
    cmd.args(["replay", "--fixtures", s(&b), "--fixtures", s(&a)])
        .env("NO_COLOR", "1");
    let server = Server::spawn(cmd, dir.path().join("b-first.log"));
    for _ in 0..2 {
        assert_eq!(
            error_type(&post_forget(&server.url, FORGET)),
            "UserNotFoundException"
        );
    }
    drop(server);

    for (order, shadowed) in [([&a, &b], 1), ([&b, &a], 2)] {
        let out = output_within(
            Command::new(BIN)
                .args(["replay", "--listen", "127.0.0.1:0", "--exit-on-stdin-close"])
                .args(["--fixtures", s(order[0]), "--fixtures", s(order[1])]),
            Duration::from_secs(30),
        );
        let line = String::from_utf8_lossy(&out.stdout);
        assert!(
            line.contains(&format!(
                "with 3 fixtures from {}, {} ({shadowed} shadowed: a set given earlier records the same request)",
                order[0].display(),
                order[1].display()
            )),
            "{line}"
        );
        let lint = output_within(
            Command::new(BIN).args(["lint", s(order[0]), s(order[1])]),
            Duration::from_secs(30),
        );
        let text = String::from_utf8_lossy(&lint.stdout);
        assert_eq!(lint.status.code(), Some(0), "{text}");
        let plural = if shadowed == 1 { "" } else { "s" };
        assert!(
            text.contains(&format!(
                "lint: 3 fixtures in 2 sets: no problems; {shadowed} fixture{plural} shadowed by a set given earlier"
            )),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| l.contains(": shadowed: ")).count(),
            shadowed,
            "{text}"
        );
    }
}

#[test]
fn the_bundled_sets_serve_together() {
    let out = output_within(
        Command::new(BIN).args([
            "replay",
            "--listen",
            "127.0.0.1:0",
            "--exit-on-stdin-close",
            "--fixtures",
            "embedded:reference",
            "--fixtures",
            "embedded:moto-5.2.5",
            "--fixtures",
            "embedded:cognito-local-5.3.0",
        ]),
        Duration::from_secs(30),
    );
    let line = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{line}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(line.contains("with 40 fixtures from embedded:reference, embedded:moto-5.2.5, embedded:cognito-local-5.3.0 (10 shadowed"), "{line}");
}

#[test]
fn a_used_up_sequence_names_where_its_policy_was_set() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_sets(dir.path());
    // On the command line.
    let server = Server::start(
        &["replay", "--fixtures", s(&a), "--sequence-end", "error"],
        dir.path().join("cli.log"),
    );
    let mut third = String::new();
    for _ in 0..3 {
        third = post_forget(&server.url, FORGET);
    }
    assert!(third.starts_with("HTTP/1.1 404"), "{third}");
    assert!(
        third.contains("is used up and --sequence-end is 'error'"),
        "{third}"
    );
    drop(server);
    // In the set's file.
    let set_file = a.join("tapedeck-set.json");
    std::fs::write(
        &set_file,
        "{\"tapedeck_set\": 1, \"sequence_end\": \"error\"}\n",
    )
    .unwrap();
    let server = Server::start(&["replay", "--fixtures", s(&a)], dir.path().join("set.log"));
    let mut third = String::new();
    for _ in 0..3 {
        third = post_forget(&server.url, FORGET);
    }
    assert!(
        third.contains(&format!(
            "is used up and {} sets sequence_end to 'error'",
            set_file.display()
        )),
        "{third}"
    );
}

#[test]
fn contract_violations_log_at_warn_as_misses_do() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["replay"], dir.path().join("replay.log"));
    // Unsigned: a SigV4 violation, on a request that matches.
    let answer = post_forget(&server.url, FORGET);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let line = loop {
        if let Some(l) = server
            .log()
            .lines()
            .find(|l| l.contains("contract violation"))
        {
            break l.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no violation logged: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(line.contains(" WARN "), "{line}");
}

#[test]
fn a_set_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_sets(dir.path());
    let inner = a.join("forget-remembered-device.json");
    let out = output_within(
        Command::new(BIN).args([
            "replay",
            "--listen",
            "127.0.0.1:0",
            "--exit-on-stdin-close",
            "--fixtures",
            s(&a),
            "--fixtures",
            s(&a),
            "--fixtures",
            s(&inner),
        ]),
        Duration::from_secs(30),
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(line.contains("with 2 fixtures from"), "{line}");
    assert!(
        log.contains("2 of its 2 fixture files were already read from a source given earlier"),
        "{log}"
    );
    let lint = output_within(
        Command::new(BIN).args(["lint", s(&a), s(&a)]),
        Duration::from_secs(30),
    );
    let text = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(0), "{text}");
    assert!(
        text.contains("lint: 2 fixtures in 1 set: no problems"),
        "{text}"
    );
}
