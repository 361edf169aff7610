//! `tapedeck diff` and `tapedeck coverage`, through the binary.
//!
//! - diff of the reference set against itself: no changes, exit 0;
//! - diff against an edited copy (one fixture removed, one added, one status and
//!   one message changed, and every pool id different, embedded in messages
//!   too): exactly those four changes, exit 1, text output pinned;
//! - the pool-id changes are invisible only thanks to variable substitution: the
//!   same message edit without the variables is reported;
//! - coverage of the reference set: every catalog scenario with a fixture is
//!   `authored`, every modelled error covered (pinned);
//! - coverage of reference + the moto 5.2.5 set: `recorded` exactly where a moto
//!   fixture names a scenario (or records an error type).

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};

use tapedeck::contract::error_type;
use tapedeck::contract::model::flagship;
use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::scenario::catalog::CATALOG;

const BIN: &str = env!("CARGO_BIN_EXE_tapedeck");
const MOTO_SET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/admin-forget-device/moto-5.2.5"
);

/// Runs the binary, killed after 60 s.
fn tapedeck(args: &[&str]) -> Output {
    support::process::output_within(
        Command::new(BIN)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG"),
        Duration::from_secs(60),
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn reference() -> Vec<LoadedFixture> {
    fixture::load_embedded("reference").expect("embedded reference set")
}

/// The reference set as files in a temporary directory, each text passed
/// through `edit(id, text)`; `None` leaves the file out.
fn copy_reference(edit: impl Fn(&str, &str) -> Option<String>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for l in reference() {
        if let Some(text) = edit(&l.fixture.id, &l.text) {
            std::fs::write(dir.path().join(format!("{}.json", l.fixture.id)), text).unwrap();
        }
    }
    dir
}

/// Edits a fixture's JSON text.
fn edit_json(text: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    f(&mut v);
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn the_reference_set_against_itself_has_no_changes() {
    let on_disk = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/admin-forget-device/reference"
    );
    let out = tapedeck(&["diff", "embedded:reference", on_disk]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "diff: 0 changes\n");
    let out = tapedeck(&["diff", "embedded:reference", "embedded:reference", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!([])
    );
}

/// A re-recording: new pool ids everywhere (also inside messages), and four
/// real contract changes.
fn edited_copy() -> tempfile::TempDir {
    let dir = copy_reference(|id, text| {
        // Fresh pool ids, in variables, requests and messages alike.
        let text = text
            .replace("us-east-1_TapeDeck1", "us-east-1_ReRecord7")
            .replace("us-east-1_NoSuchPool", "us-east-1_Gone0000");
        match id {
            "throttled" => None,
            "unknown-user" => Some(edit_json(&text, |v| v["response"]["status"] = json!(404))),
            "unknown-device-key" => Some(edit_json(&text, |v| {
                v["response"]["body"]["message"] = json!("Device not found.")
            })),
            _ => Some(text),
        }
    });
    // A new outcome: an expired session token.
    let unknown_user = reference()
        .into_iter()
        .find(|l| l.fixture.id == "unknown-user")
        .unwrap();
    let added = edit_json(&unknown_user.text, |v| {
        v["id"] = json!("expired-token");
        v["scenario"] = json!("expired-token");
        v["description"] = json!("A request signed with an expired session token");
        v["variables"]["username"] = json!("tapedeck-expired");
        v["request"]["body"]["Username"] = json!("tapedeck-expired");
        v["response"]["headers"]["x-amzn-errortype"] = json!("ExpiredTokenException:");
        v["response"]["body"] = json!({
            "__type": "ExpiredTokenException",
            "message": "The security token included in the request is expired"
        });
    });
    std::fs::write(dir.path().join("expired-token.json"), added).unwrap();
    dir
}

#[test]
fn an_edited_copy_shows_exactly_its_changes() {
    let dir = edited_copy();
    let new = path(dir.path());
    let out = tapedeck(&["diff", "embedded:reference", &new]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text,
        "+ added    expired-token: 400 ExpiredTokenException\n\
         - removed  throttled: 400 TooManyRequestsException\n\
         ~ message  unknown-device-key: 'Device does not exist.' -> 'Device not found.'\n\
         ~ outcome  unknown-user: 400 UserNotFoundException -> 404 UserNotFoundException\n\
         diff: 4 changes\n"
    );
    insta::assert_snapshot!("diff-edited-reference", text);

    let out = tapedeck(&["diff", "embedded:reference", &new, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let changes: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        changes,
        json!([
            { "change": "added", "key": "expired-token", "outcome": "400 ExpiredTokenException" },
            { "change": "removed", "key": "throttled", "outcome": "400 TooManyRequestsException" },
            { "change": "message", "key": "unknown-device-key",
              "old": "Device does not exist.", "new": "Device not found." },
            { "change": "outcome", "key": "unknown-user",
              "old": "400 UserNotFoundException", "new": "404 UserNotFoundException" },
        ])
    );
}

#[test]
fn a_pool_id_in_a_message_is_a_change_unless_the_variables_explain_it() {
    // Only the message names another pool; the variables still say NoSuchPool.
    let dir = copy_reference(|id, text| {
        Some(match id {
            "unknown-user-pool" => edit_json(text, |v| {
                v["response"]["body"]["message"] =
                    json!("User pool us-east-1_Gone0000 does not exist.")
            }),
            _ => text.to_owned(),
        })
    });
    let out = tapedeck(&["diff", "embedded:reference", &path(dir.path())]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "~ message  unknown-user-pool: 'User pool us-east-1_NoSuchPool does not exist.' -> \
         'User pool us-east-1_Gone0000 does not exist.'\ndiff: 1 change\n"
    );
}

#[test]
fn a_re_recording_in_another_region_has_no_message_changes() {
    let dir = copy_reference(|_, text| {
        Some(
            text.replace("us-east-1_TapeDeck1", "eu-west-1_ReRecord7")
                .replace("us-east-1_NoSuchPool", "eu-west-1_Gone0000")
                .replace("us-east-1", "eu-west-1"),
        )
    });
    let out = tapedeck(&["diff", "embedded:reference", &path(dir.path())]);
    assert_eq!(stdout(&out), "diff: 0 changes\n");
}

/// A set of the given fixtures (id → JSON text) in a temporary directory.
fn set_of(fixtures: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (id, text) in fixtures {
        std::fs::write(dir.path().join(format!("{id}.json")), text).unwrap();
    }
    dir
}

fn reference_text(id: &str) -> String {
    reference()
        .into_iter()
        .find(|l| l.fixture.id == id)
        .unwrap()
        .text
}

/// `unknown-user` answered with a 500 of the given content type and text body.
fn unknown_user_answered(content_type: &str, body_text: &str) -> String {
    edit_json(&reference_text("unknown-user"), |v| {
        v["response"] = json!({
            "status": 500,
            "headers": { "content-type": content_type },
            "body_text": body_text,
        });
    })
}

#[test]
fn an_error_without_a_type_is_described_by_its_content_type() {
    let old = set_of(&[("unknown-user", reference_text("unknown-user"))]);
    let html = set_of(&[(
        "unknown-user",
        unknown_user_answered("text/html; charset=utf-8", "<html>oops</html>"),
    )]);
    let out = tapedeck(&["diff", &path(old.path()), &path(html.path())]);
    assert_eq!(
        stdout(&out),
        "~ outcome  unknown-user: 400 UserNotFoundException -> 500 text/html; charset=utf-8\n\
         diff: 1 change\n"
    );
    let plain = set_of(&[("unknown-user", unknown_user_answered("text/plain", "oops"))]);
    let out = tapedeck(&["diff", &path(html.path()), &path(plain.path())]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn two_fixtures_of_one_scenario_are_both_compared() {
    let again = |message: &str| {
        edit_json(&reference_text("unknown-user"), |v| {
            v["id"] = json!("unknown-user-again");
            v["variables"]["username"] = json!("tapedeck-ghost-2");
            v["request"]["body"]["Username"] = json!("tapedeck-ghost-2");
            v["response"]["body"]["message"] = json!(message);
        })
    };
    // Loaded in path order, `unknown-user-again.json` comes first, and the
    // later `unknown-user.json` replaces it under the key `unknown-user`.
    let old = set_of(&[
        ("unknown-user", reference_text("unknown-user")),
        ("unknown-user-again", again("User does not exist.")),
    ]);
    let new = set_of(&[
        ("unknown-user", reference_text("unknown-user")),
        ("unknown-user-again", again("No such user.")),
    ]);
    let out = tapedeck(&["diff", &path(old.path()), &path(new.path())]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

// ---------------------------------------------------------------------------
// coverage
// ---------------------------------------------------------------------------

/// `tapedeck coverage --json` lines as (kind, name) → (status, fixtures).
fn coverage_json(args: &[&str]) -> Vec<(String, String, String, Vec<String>)> {
    let mut all = vec!["coverage"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = tapedeck(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["name"].as_str().unwrap().to_owned(),
                l["status"].as_str().unwrap().to_owned(),
                l["fixtures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn error_types(set: &[LoadedFixture]) -> BTreeSet<String> {
    set.iter()
        .filter_map(|l| {
            let body = l.fixture.response.body.bytes().unwrap_or_default();
            error_type(&body, l.fixture.response_header("x-amzn-errortype")).map(|t| t.name)
        })
        .collect()
}

#[test]
fn coverage_of_the_reference_set() {
    let out = tapedeck(&["coverage"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("coverage-reference", stdout(&out));

    let reference = reference();
    let lines = coverage_json(&[]);
    let scenarios: Vec<_> = lines.iter().filter(|l| l.0 == "scenario").collect();
    assert_eq!(
        scenarios.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        CATALOG.iter().map(|s| s.id).collect::<Vec<_>>(),
        "one line per catalog scenario, in catalog order"
    );
    for (_, name, status, fixtures) in &scenarios {
        let named: Vec<String> = reference
            .iter()
            .filter(|l| l.fixture.scenario.as_deref() == Some(name))
            .map(|l| l.fixture.id.clone())
            .collect();
        let want = if named.is_empty() {
            "missing"
        } else {
            "authored"
        };
        assert_eq!((status.as_str(), fixtures), (want, &named), "{name}");
    }
    for e in flagship().error_shapes() {
        let line = lines
            .iter()
            .find(|l| l.0 == "error" && l.1 == e.name)
            .unwrap_or_else(|| panic!("{} has a line", e.name));
        assert_eq!(
            line.2, "authored",
            "every modelled error is covered: {}",
            e.name
        );
    }
}

#[test]
fn coverage_of_reference_and_moto_is_recorded_where_moto_answers_so() {
    let moto = fixture::load_path(Path::new(MOTO_SET)).expect("moto set loads");
    let moto_scenarios: BTreeSet<String> = moto
        .iter()
        .filter_map(|l| l.fixture.scenario.clone())
        .collect();
    assert!(
        moto_scenarios.contains("bad-signature"),
        "the committed moto set records bad-signature"
    );
    let moto_errors = error_types(&moto);
    let alone = coverage_json(&[]);
    let mut both = coverage_json(&["embedded:reference", MOTO_SET]);
    // moto's answers that no model error names (its HTML 500 pages) come on
    // lines of their own, after the reference set's, made of moto's fixtures only.
    let extra = both.split_off(alone.len());
    assert!(!extra.is_empty());
    for (kind, name, status, fixtures) in &extra {
        assert_eq!(
            (kind.as_str(), status.as_str()),
            ("unmodelled", "recorded"),
            "{name}"
        );
        for id in fixtures {
            assert!(moto.iter().any(|l| &l.fixture.id == id), "{name}: {id}");
        }
    }
    let mut recorded = 0;
    for (a, b) in alone.iter().zip(&both) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        // A scenario is covered by what answers as it expects: moto answers
        // none of them so (see the next test), so only error lines change.
        if a.0 != "scenario" && moto_errors.contains(&a.1) {
            recorded += 1;
            assert_eq!(b.2, "recorded", "{} {}", b.0, b.1);
            let moto_ids: Vec<&String> = moto
                .iter()
                .filter(|l| error_types(std::slice::from_ref(l)).contains(&a.1))
                .map(|l| &l.fixture.id)
                .collect();
            for id in moto_ids {
                assert!(b.3.contains(id), "{} lists {id}: {:?}", b.1, b.3);
            }
        } else {
            assert_eq!((&b.2, &b.3), (&a.2, &a.3), "{} {} unchanged", b.0, b.1);
        }
    }
    // moto's recordings name no error type the model declares (they are
    // HTML or XML pages): its answers are all on the `unmodelled` lines.
    assert_eq!(recorded, 0, "{moto_errors:?}");
}

#[test]
fn coverage_shows_what_a_scenario_fixture_answered_when_it_differs() {
    let out = tapedeck(&["coverage", MOTO_SET, "--json"]);
    let lines: Value = serde_json::from_slice(&out.stdout).unwrap();
    let unknown_user = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "scenario" && l["name"] == "unknown-user")
        .unwrap();
    // moto's HTML 500 for unknown-user is not a recording of UserNotFoundException.
    assert_eq!(
        unknown_user,
        &serde_json::json!({
            "operation": "AdminForgetDevice",
            "kind": "scenario",
            "name": "unknown-user",
            "status": "differs",
            "fixtures": [],
            "expected": "UserNotFoundException",
            "differs": [{"fixture": "capture-unknown-user", "observed": "HTTP 500 without an error type"}]
        })
    );
    let table = tapedeck(&["coverage", MOTO_SET]);
    let text = String::from_utf8_lossy(&table.stdout);
    let row = text
        .lines()
        .find(|l| l.contains(" scenario ") && l.contains(" unknown-user "))
        .unwrap();
    assert!(row.contains(" differs "), "{row}");
    assert!(
        row.ends_with("✗ capture-unknown-user (answered HTTP 500 without an error type, not UserNotFoundException)"),
        "{row}"
    );
}

#[test]
fn coverage_with_no_fixture_for_a_scenario_says_missing() {
    let dir = copy_reference(|id, text| (id != "throttled").then(|| text.to_owned()));
    let lines = coverage_json(&[&path(dir.path())]);
    let find = |kind: &str, name: &str| {
        lines
            .iter()
            .find(|l| l.0 == kind && l.1 == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("scenario", "throttled").2, "missing");
    assert!(find("scenario", "throttled").3.is_empty());
    assert_eq!(find("error", "TooManyRequestsException").2, "missing");
    assert_eq!(find("scenario", "unknown-user").2, "authored");
}
