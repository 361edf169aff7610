//! Malformed fixtures and planted secrets, each built from one valid fixture by a
//! single mutation. The exact error a user sees is pinned by an insta snapshot;
//! the assertions around it check what the snapshot alone cannot (the error
//! names the file, the secret itself is never printed).

use std::fs;

use insta::assert_snapshot;
use rstest::rstest;
use serde_json::{json, Value};
use tapedeck::fixture::to_canonical_string;
use tapedeck::fixture::{parse_fixture, read_path};
use tapedeck::lint;

/// A valid fixture in canonical form.
const BASE: &str = include_str!("data/base-fixture.json");

/// The fixture text after setting (or, with `None`, removing) the member at a
/// JSON pointer. Members keep their order; a new member goes last. The result
/// is pretty-printed like a fixture, so line numbers in errors are meaningful.
fn edit(text: &str, pointer: &str, value: Option<Value>) -> String {
    let mut doc: Value = serde_json::from_str(text).expect("base is JSON");
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a '/'");
    let obj = doc
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"));
    match value {
        Some(v) => obj.insert(key.to_owned(), v),
        None => obj.remove(key),
    };
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

fn set(text: &str, pointer: &str, value: Value) -> String {
    edit(text, pointer, Some(value))
}

fn remove(text: &str, pointer: &str) -> String {
    edit(text, pointer, None)
}

#[test]
fn base_is_valid_canonical_and_lints_clean() {
    let fixture = parse_fixture("base.json", BASE).expect("base parses");
    assert_eq!(to_canonical_string(&fixture), BASE);
    // The editing helper itself leaves a valid fixture untouched.
    assert_eq!(set(BASE, "/id", json!("unknown-user")), BASE);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("unknown-user.json"), BASE).unwrap();
    let report = lint::lint(read_path(dir.path()).unwrap());
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.fixtures, 1);
}

#[rstest]
#[case::truncated("truncated", |t: &str| t[..t.len() / 2].to_owned())]
#[case::empty_file("empty-file", |_: &str| String::new())]
#[case::trailing_garbage("trailing-garbage", |t: &str| format!("{t}{{}}\n"))]
#[case::unquoted_key("unquoted-key", |t: &str| t.replacen("\"id\":", "id:", 1))]
#[case::status_as_string("status-as-string", |t: &str| set(t, "/response/status", json!("400")))]
#[case::headers_as_array("headers-as-array", |t: &str| set(t, "/request/headers", json!(["content-type: application/x-amz-json-1.1"])))]
#[case::version_2("version-2", |t: &str| set(t, "/tapedeck", json!(2)))]
#[case::version_as_string("version-as-string", |t: &str| set(t, "/tapedeck", json!("1")))]
#[case::missing_id("missing-id", |t: &str| remove(t, "/id"))]
#[case::missing_request("missing-request", |t: &str| remove(t, "/request"))]
#[case::missing_response_status("missing-response-status", |t: &str| remove(t, "/response/status"))]
#[case::unknown_field("unknown-field", |t: &str| set(t, "/comment", json!("recorded on a Tuesday")))]
#[case::unknown_request_field("unknown-request-field", |t: &str| set(t, "/request/query", json!("a=1")))]
#[case::two_body_forms("two-body-forms", |t: &str| set(t, "/response/body_text", json!("{}")))]
#[case::invalid_base64("invalid-base64", |t: &str| set(&remove(t, "/response/body"), "/response/body_base64", json!("not base64!")))]
#[case::uppercase_header_name("uppercase-header-name", |t: &str| set(t, "/request/headers/X-Amz-Date", json!("20261126T010000Z")))]
#[case::unsafe_id("unsafe-id", |t: &str| set(t, "/id", json!("../escape")))]
#[case::invalid_compare_regex("invalid-compare-regex", |t: &str| set(t, "/compare/message", json!({"regex": "User (does not exist"})))]
#[case::unknown_message_rule("unknown-message-rule", |t: &str| set(t, "/compare/message", json!("fuzzy")))]
#[case::sequence_zero("sequence-zero", |t: &str| set(t, "/sequence", json!(0)))]
#[case::citation_without_source("citation-without-source", |t: &str| set(t, "/provenance/sources", json!([{"support": "direct", "applies_to": ["response"]}])))]
#[case::citation_unknown_support("citation-unknown-support", |t: &str| set(t, "/provenance/sources", json!([{"support": "hearsay", "applies_to": ["response"]}])))]
#[case::status_rule_without_recorded_status("status-rule-without-recorded-status", |t: &str| set(t, "/compare/status", json!({"one_of": [403, 404]})))]
fn malformed(#[case] name: &str, #[case] mutate: fn(&str) -> String) {
    let text = mutate(BASE);
    assert_ne!(text, BASE, "the mutation changed nothing");
    let origin = format!("{name}.json");
    let err = parse_fixture(&origin, &text).expect_err("malformed fixture was accepted");
    assert_eq!(err.path(), origin, "the error does not name the file");
    assert!(err.to_string().starts_with(&format!("{origin}:")), "{err}");
    assert_snapshot!(name, err.to_string());
}

/// A fixture written before citations existed: its `basis` still loads, is
/// written back unchanged, and lint reports it, once, on the line of `basis`,
/// and nothing else about its provenance.
#[test]
fn a_fixture_with_the_old_basis_loads_round_trips_and_is_reported() {
    let text = set(
        BASE,
        "/provenance",
        json!({"kind": "authored", "basis": ["AWS API Reference, AdminForgetDevice"]}),
    );
    let fixture = parse_fixture("old.json", &text).expect("a basis still loads");
    assert_eq!(
        to_canonical_string(&fixture),
        text,
        "basis is kept as it is"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unknown-user.json");
    fs::write(&file, &text).unwrap();
    let report = lint::lint(read_path(dir.path()).unwrap());
    let basis_line = text.lines().position(|l| l.contains("\"basis\"")).unwrap() + 1;
    let lines: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [format!(
            "{}:{basis_line}: provenance/basis: 'basis' is the old list of uncited sources: give each fact its address in 'provenance.sources' ({{support, source, quote, applies_to}}; see docs/fixture-format.md#provenance)",
            file.display()
        )]
    );

    // With sources added, a leftover basis is still reported, and only it.
    let both = set(BASE, "/provenance/basis", json!(["leftover"]));
    fs::write(&file, &both).unwrap();
    let report = lint::lint(read_path(dir.path()).unwrap());
    let rules: Vec<&str> = report.problems.iter().map(|p| p.rule.as_str()).collect();
    assert_eq!(rules, ["provenance/basis"]);
}

/// An AWS access key id in an error message, the way a careless capture of an
/// IAM error would carry it.
const ACCESS_KEY: &str = "AKIAZ7TAPEDECK0TEST1";
/// The signature of a captured SigV4 `Authorization` header.
const SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
/// A real-looking account id inside an ARN (redaction writes 000000000000).
const ACCOUNT: &str = "123456789012";

#[rstest]
#[case::access_key_in_message(
    "secret-access-key-in-message",
    |t: &str| set(t, "/response/body/message", json!(format!("The security token included in the request is invalid: {ACCESS_KEY}"))),
    &[ACCESS_KEY],
)]
#[case::authorization_header(
    "secret-authorization-header",
    |t: &str| set(t, "/request/headers/authorization", json!(format!("AWS4-HMAC-SHA256 Credential=tapedeck/20261126/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={SIGNATURE}"))),
    &[SIGNATURE],
)]
#[case::account_id_in_arn(
    "secret-account-id-in-arn",
    |t: &str| set(t, "/response/body/message", json!(format!("User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: cognito-idp:AdminForgetDevice"))),
    &[ACCOUNT],
)]
fn planted_secret(
    #[case] name: &str,
    #[case] mutate: fn(&str) -> String,
    #[case] secrets: &[&str],
) {
    let text = mutate(BASE);
    for secret in secrets {
        assert!(text.contains(secret), "the mutation did not plant {secret}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unknown-user.json");
    fs::write(&file, &text).unwrap();

    let report = lint::lint(read_path(dir.path()).unwrap());
    let mut lines: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    lines.push(report.summary());
    let output = lines.join("\n");

    // The finding names the file and the line the secret is on.
    let secret_line = text
        .lines()
        .position(|l| l.contains(secrets[0]))
        .expect("secret is in the text")
        + 1;
    let expected_prefix = format!("{}:{secret_line}: secret/", file.display());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string().starts_with(&expected_prefix)),
        "no secret finding at {expected_prefix}…:\n{output}"
    );
    for secret in secrets {
        assert!(
            !output.contains(secret),
            "the lint output repeats the secret {secret}:\n{output}"
        );
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains(secret), "the JSON report repeats {secret}");
    }

    let shown = output.replace(&dir.path().display().to_string(), "<tmp>");
    let tmp = std::env::temp_dir().display().to_string();
    assert!(!shown.contains(&tmp), "{shown}");
    assert_snapshot!(name, shown);
}
