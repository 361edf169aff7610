//! `tapedeck lint` as a user runs it: the built binary, its output and its exit
//! codes (0 clean, 1 problems, 2 usage errors).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use tapedeck::fixture::SET_FILE;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/admin-forget-device");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tapedeck(args: &[&str], cwd: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tapedeck"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("tapedeck runs");
    Run {
        code: out.status.code().expect("tapedeck exited normally"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json")
            && path.file_name().is_some_and(|n| n != SET_FILE)
        {
            out.push(path);
        }
    }
}

/// The bundled fixtures on disk (every `*.json` but the sets' settings files),
/// sorted, and the number of sets (top-level directories of the corpus) they
/// are in.
fn corpus() -> (Vec<PathBuf>, usize) {
    let mut files = Vec::new();
    json_files(Path::new(CORPUS), &mut files);
    files.sort();
    let sets: BTreeSet<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(CORPUS).unwrap().iter().take(1).collect())
        .collect();
    assert!(!files.is_empty(), "no fixtures under {CORPUS}");
    (files, sets.len())
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Copies the first bundled fixture into a fresh directory after `plant` edits
/// it; returns the directory, the file and its text.
fn planted(plant: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf, String) {
    let (files, _) = corpus();
    let source = &files[0];
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(source).unwrap()).unwrap();
    plant(&mut doc);
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(source.file_name().unwrap());
    fs::write(&file, &text).unwrap();
    (dir, file, text)
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the text"))
        + 1
}

#[test]
fn no_arguments_lints_the_embedded_corpus_clean() {
    let (files, sets) = corpus();
    // From a directory with no fixtures: the corpus comes from the binary.
    let elsewhere = tempfile::tempdir().unwrap();
    let run = tapedeck(&["lint"], elsewhere.path());
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(
        run.stdout,
        format!(
            "lint: {} in {}: no problems\n",
            plural(files.len(), "fixture"),
            plural(sets, "set")
        )
    );
}

#[test]
fn corpus_directory_lints_clean() {
    let (files, _) = corpus();
    let run = tapedeck(&["lint", CORPUS], Path::new(CORPUS));
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let summary = run.stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with(&format!("lint: {} in ", plural(files.len(), "fixture"))),
        "{}",
        run.stdout
    );
    // Served together (`replay --fixtures` of the directory), the emulator
    // sets record some of the same requests: the later set's are shadowed.
    assert!(
        run.stdout.contains(": no problems; ")
            && run
                .stdout
                .ends_with(" shadowed by a set given earlier (replay serves that set's answer)\n"),
        "{}",
        run.stdout
    );
}

const ACCESS_KEY: &str = "AKIAZ7TAPEDECK0TEST1";

#[test]
fn planted_access_key_fails_naming_file_and_line() {
    let (dir, file, text) = planted(|doc| {
        doc["description"] = json!(format!("captured with {ACCESS_KEY} by mistake"));
    });
    let run = tapedeck(&["lint", &dir.path().display().to_string()], dir.path());
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let expected = format!(
        "{}:{}: secret/access-key-id: ",
        file.display(),
        line_of(&text, ACCESS_KEY)
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&expected)),
        "no line starting with {expected:?} in:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("1 fixture in 1 set: 1 problem\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(ACCESS_KEY) && !run.stderr.contains(ACCESS_KEY));
}

#[test]
fn planted_authorization_header_fails_naming_file_and_line() {
    let value = "AWS4-HMAC-SHA256 Credential=tapedeck/20261126/us-east-1/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let (dir, file, text) = planted(|doc| {
        doc["request"]["headers"]["authorization"] = json!(value);
    });
    let run = tapedeck(&["lint", &file.display().to_string()], dir.path());
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let expected = format!(
        "{}:{}: secret/credential-header: ",
        file.display(),
        line_of(&text, "\"authorization\":")
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&expected)),
        "no line starting with {expected:?} in:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains("0123456789abcdef"), "{}", run.stdout);
}

#[test]
fn json_format_is_one_document_with_a_problems_array() {
    let (dir, file, _) = planted(|doc| {
        doc["description"] = json!(format!("captured with {ACCESS_KEY} by mistake"));
    });
    let run = tapedeck(
        &[
            "lint",
            "--format",
            "json",
            &dir.path().display().to_string(),
        ],
        dir.path(),
    );
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout));
    let problems = report["problems"].as_array().expect("problems is an array");
    assert!(!problems.is_empty());
    for p in problems {
        assert_eq!(p["file"], json!(file.display().to_string()));
        assert!(p["line"].as_u64().is_some_and(|l| l >= 1), "{p}");
        assert!(p["rule"].is_string() && p["message"].is_string(), "{p}");
    }
    assert!(problems.iter().any(|p| p["rule"] == "secret/access-key-id"));
    assert_eq!(report["fixtures"], 1);
    assert!(!run.stdout.contains(ACCESS_KEY));

    // Clean: the same shape, with no problems.
    let (files, _) = corpus();
    let run = tapedeck(&["lint", "--format", "json"], dir.path());
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["fixtures"], files.len());
}

#[test]
fn nonexistent_path_is_a_usage_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-fixtures");
    let shown = missing.display().to_string();
    let run = tapedeck(&["lint", &shown], dir.path());
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(&shown),
        "stderr does not name the path:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_broken_tapedeck_set_json_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/admin-forget-device/reference/unknown-user.json"
    );
    std::fs::copy(src, dir.path().join("unknown-user.json")).unwrap();
    std::fs::write(
        dir.path().join("tapedeck-set.json"),
        "{\"tapedeck_set\": 1, \"sequence_end\": \"loop\"}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tapedeck"))
        .args(["lint", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tapedeck-set.json:1: set-file: sequence_end"),
        "{text}"
    );
}

/// The bundled `reference/unknown-user.json` after `edit`, alone in a fresh
/// directory; returns the directory, the file and its text.
fn authored(edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf, String) {
    let source = Path::new(CORPUS).join("reference/unknown-user.json");
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(source).unwrap()).unwrap();
    edit(&mut doc);
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unknown-user.json");
    fs::write(&file, &text).unwrap();
    (dir, file, text)
}

/// Removes `path` from every citation's applies_to (a citation left with
/// nothing keeps `response.body.message`, which others cite too).
fn uncite(doc: &mut Value, path: &str) {
    for c in doc["provenance"]["sources"].as_array_mut().unwrap() {
        let paths = c["applies_to"].as_array_mut().unwrap();
        paths.retain(|p| p != path);
        if paths.is_empty() {
            paths.push(json!("response.body.message"));
        }
    }
}

#[test]
fn an_authored_fact_without_a_source_is_reported_on_its_own_line() {
    let (dir, file, text) = authored(|doc| {
        uncite(doc, "response.headers.x-amzn-errormessage");
        uncite(doc, "response.status");
    });
    let run = tapedeck(&["lint", &dir.path().display().to_string()], dir.path());
    assert_eq!(run.code, 1, "stdout:\n{}", run.stdout);
    let hint = "no source is cited for this fact: name it in the applies_to of a 'provenance.sources' entry (support \"none\" when no public source shows it)";
    let header_line = line_of(&text, "\"x-amzn-errormessage\": \"User does not exist.\"");
    let status_line = line_of(&text, "\"status\": 400");
    assert_eq!(
        run.stdout,
        format!(
            "{f}:{status_line}: provenance/uncited: response.status: {hint}\n\
             {f}:{header_line}: provenance/uncited: response.headers.x-amzn-errormessage: {hint}\n\
             lint: 1 fixture in 1 set: 2 problems\n",
            f = file.display()
        )
    );
}

#[test]
fn an_authored_fixture_that_cites_nothing_is_one_finding() {
    let (dir, file, text) = authored(|doc| {
        doc["provenance"] = json!({ "kind": "authored" });
    });
    let run = tapedeck(&["lint", &dir.path().display().to_string()], dir.path());
    assert_eq!(run.code, 1, "stdout:\n{}", run.stdout);
    assert_eq!(
        run.stdout,
        format!(
            "{}:{}: provenance/uncited: an authored fixture cites no source: list them in 'provenance.sources', with support \"none\" for facts no public source shows\n\
             lint: 1 fixture in 1 set: 1 problem\n",
            file.display(),
            line_of(&text, "\"provenance\"")
        )
    );
    // A recorded fixture needs no citations: its endpoint is its source.
    let (dir, _, _) = authored(|doc| {
        doc["provenance"] = json!({
            "kind": "recorded",
            "endpoint": "cognito-idp.us-east-1.amazonaws.com",
            "recorded_at": "2026-11-26T01:00:00Z",
            "tool": "tapedeck 0.1.0"
        });
    });
    let run = tapedeck(&["lint", &dir.path().display().to_string()], dir.path());
    assert_eq!(run.code, 0, "stdout:\n{}", run.stdout);
}

#[test]
fn citations_that_name_nothing_or_cite_no_address_are_reported_where_they_are() {
    let (dir, _, text) = authored(|doc| {
        let sources = doc["provenance"]["sources"].as_array_mut().unwrap();
        sources[0]["applies_to"]
            .as_array_mut()
            .unwrap()
            .push(json!("response.body.mesage"));
        sources[1]["source"] = json!("localstack issue 3201");
        sources.push(json!({"support": "none", "applies_to": [], "note": " "}));
    });
    let run = tapedeck(&["lint", &dir.path().display().to_string()], dir.path());
    assert_eq!(run.code, 1, "stdout:\n{}", run.stdout);
    // Each finding is on the line of what is wrong: the misspelt path, the entry.
    let mesage = line_of(&text, "\"response.body.mesage\"");
    assert!(
        run.stdout.contains(&format!(":{mesage}: provenance/applies-to: provenance.sources[0]: 'response.body.mesage' names nothing in this fixture")),
        "{}",
        run.stdout
    );
    let shown = run
        .stdout
        .replace(&dir.path().display().to_string(), "<tmp>");
    insta::assert_snapshot!("lint-citation-problems", shown);
}

/// A fixture of `operation` whose sensitive members hold these values.
fn sensitive_fixture(dir: &Path, name: &str, provenance: Value, request: Value, response: Value) {
    let f = json!({
        "tapedeck": 1,
        "id": name,
        "description": "sensitive members",
        "provenance": provenance,
        "request": {"method": "POST", "path": "/", "headers": {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "AWSCognitoIdentityProviderService.AdminInitiateAuth"}, "body": request},
        "response": {"status": 200, "headers": {"content-type": "application/x-amz-json-1.1"}, "body": response},
    });
    fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&f).unwrap(),
    )
    .unwrap();
}

#[test]
fn sensitive_members_holding_real_values_are_flagged_without_repeating_them() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = json!({"kind": "recorded", "endpoint": "127.0.0.1:1", "recorded_at": "2026-11-30T00:00:00Z", "tool": "tapedeck 0.1.0"});
    let request = |user: &str, password: &str, client: &str| {
        json!({"UserPoolId": "us-east-1_Abc", "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": user, "PASSWORD": password}})
    };
    let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.c2ln";
    // Recorded in clear: username, password, client id and token are all flagged.
    sensitive_fixture(
        dir.path(),
        "clear",
        recorded.clone(),
        request("alice", "Hunter2-Hunter2", "4tq1b5c7d9e2f3"),
        json!({"AuthenticationResult": {"AccessToken": token}}),
    );
    // Recorded by tapedeck: pseudonyms and placeholders, and a synthetic user.
    sensitive_fixture(
        dir.path(),
        "redacted",
        recorded,
        request(
            "tapedeck-user",
            "tapedeck_redacted_password",
            "pseudonym_0123456789ab",
        ),
        json!({"AuthenticationResult": {"AccessToken": *tapedeck::fixture::sensitive::placeholder::JWT}}),
    );
    let run = tapedeck(
        &["lint", "--format", "json", dir.path().to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let found: BTreeSet<(String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let file = p["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            let message = p["message"].as_str().unwrap();
            assert_eq!(p["rule"], "secret/sensitive-member", "{p}");
            for leak in ["alice", "Hunter2", "4tq1b5", token] {
                assert!(!message.contains(leak), "{message}");
            }
            (
                file,
                message.split(' ').take(3).collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        "request body /ClientId",
        "request body /AuthParameters/USERNAME",
        "request body /AuthParameters/PASSWORD",
        "response body /AuthenticationResult/AccessToken",
    ]
    .into_iter()
    .map(|m| ("clear.json".to_owned(), m.to_owned()))
    .collect();
    assert_eq!(found, expected);

    // Authored: invented identifiers are the author's; a secret must still be a placeholder.
    let authored = tempfile::tempdir().unwrap();
    sensitive_fixture(
        authored.path(),
        "authored",
        json!({"kind": "authored", "sources": [{"support": "direct", "source": "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminInitiateAuth.html", "quote": "AuthenticationResult", "applies_to": ["response.status", "response.headers.content-type", "response.body"]}]}),
        request("invented-user", "Passw0rd!", "invented-client"),
        json!({}),
    );
    let run = tapedeck(
        &[
            "lint",
            "--format",
            "json",
            authored.path().to_str().unwrap(),
        ],
        authored.path(),
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let sensitive: Vec<&Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["rule"] == "secret/sensitive-member")
        .collect();
    assert_eq!(sensitive.len(), 1, "{sensitive:#?}");
    assert!(sensitive[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("request body /AuthParameters/PASSWORD"));
}
