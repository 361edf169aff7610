//! The fuzz targets of `fuzz/` on stable Rust: the very functions the
//! libFuzzer binaries call (`fuzz/src/lib.rs`, included here), run over
//!
//! - the seed corpus: the bundled fixtures, `fuzz/seeds/<target>/`, and — when
//!   a nightly fuzzing run (`scripts/fuzz.sh`) left them — every input in
//!   `fuzz/corpus/<target>/` and every crash in `fuzz/artifacts/<target>/`, so
//!   a crash found once stays a regression test;
//! - proptest-generated inputs: random bytes, mutated seeds, and structured
//!   requests.
//!
//! This is not coverage-guided fuzzing (that needs nightly and
//! `scripts/fuzz.sh`), but it keeps the targets compiling and their seeds
//! passing in every `cargo test`.

#[path = "../../fuzz/src/lib.rs"]
mod fuzz_targets;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{json, Value};
use tapedeck::net::ErrorKind;

use fuzz_targets::{decode_request, fixture_parser, reference_requests, replay_request, Served};

use crate::support::proptest_config::config;

const T: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
const CT: &str = "application/x-amz-json-1.1";

/// Every file in the given directories under `fuzz/` (missing ones are skipped).
fn files(dirs: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn reference_fixture_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/admin-forget-device/reference");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

#[test]
fn the_fixture_parser_target_passes_its_corpus() {
    let mut inputs = reference_fixture_files();
    let seeds = files(&["fuzz/seeds/fixture_parser"]);
    assert!(seeds.len() >= 5, "the committed seeds are there: {seeds:?}");
    inputs.extend(seeds);
    inputs.extend(files(&[
        "fuzz/corpus/fixture_parser",
        "fuzz/artifacts/fixture_parser",
    ]));
    for file in &inputs {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| fixture_parser(&data));
        assert!(
            outcome.is_ok(),
            "fixture_parser panicked on {}",
            file.display()
        );
    }
}

#[test]
fn the_replay_target_passes_its_corpus() {
    let seeds = files(&["fuzz/seeds/replay_request"]);
    assert!(seeds.len() >= 8, "the committed seeds are there: {seeds:?}");
    let mut all: Vec<Vec<u8>> = seeds.iter().map(|f| std::fs::read(f).unwrap()).collect();
    all.extend(
        files(&[
            "fuzz/corpus/replay_request",
            "fuzz/artifacts/replay_request",
        ])
        .iter()
        .map(|f| std::fs::read(f).unwrap()),
    );
    all.extend(reference_requests());
    for data in &all {
        let outcome = std::panic::catch_unwind(|| replay_request(data));
        assert!(
            outcome.is_ok(),
            "replay_request panicked on {:?}",
            String::from_utf8_lossy(data)
        );
    }
}

#[test]
fn the_seeds_reach_every_branch_of_the_request_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/replay_request");
    let run = |name: &str| {
        let data = std::fs::read(root.join(format!("{name}.req"))).unwrap();
        replay_request(&data).unwrap_or_else(|| panic!("{name} decodes"))
    };
    assert!(matches!(run("unknown-user"), Served::Hit { id, .. } if id == "unknown-user"));
    assert_eq!(
        run("near-miss"),
        Served::Miss {
            nearest: Some(("unknown-user".into(), 1))
        }
    );
    assert_eq!(
        run("wrong-content-type"),
        Served::Rejected {
            kind: ErrorKind::ContentType
        }
    );
    assert_eq!(
        run("missing-target"),
        Served::Rejected {
            kind: ErrorKind::MissingTarget
        }
    );
    assert_eq!(
        run("invalid-json"),
        Served::Rejected {
            kind: ErrorKind::InvalidJson
        }
    );
    assert!(matches!(run("signed-verify"), Served::Hit { .. }));
    // serde_json stops at 128 levels: a deeper body is "not valid JSON".
    assert_eq!(
        run("deep"),
        Served::Rejected {
            kind: ErrorKind::InvalidJson
        }
    );
    // The sequence (forget, then forget again) ends in `error` in the fuzz index.
    let first = reference_requests()
        .into_iter()
        .find(|r| String::from_utf8_lossy(r).contains("\"tapedeck-user\""))
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(replay_request(&first).unwrap());
    }
    assert!(seen.contains(&Served::Exhausted), "{seen:?}");
}

#[test]
fn every_reference_request_is_served_from_a_fixture() {
    for data in reference_requests() {
        let served = replay_request(&data).expect("a fixture's request decodes");
        match served {
            Served::Hit { status, .. } => assert!(status.as_u16() >= 200, "{status}"),
            Served::Exhausted => {}
            other => panic!("{other:?} for {}", String::from_utf8_lossy(&data)),
        }
    }
}

/// A header line the decoder accepts, biased to the headers the checks read.
fn header_line() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("content-type".to_owned()),
        Just("x-amz-target".to_owned()),
        Just("authorization".to_owned()),
        Just("x-amz-date".to_owned()),
        Just("x-amz-security-token".to_owned()),
        Just("x-amz-content-sha256".to_owned()),
        Just("host".to_owned()),
        "[a-z-]{1,12}",
    ];
    let value = prop_oneof![
        Just(CT.to_owned()),
        Just(T.to_owned()),
        Just("20261126T010203Z".to_owned()),
        "AWS4-HMAC-SHA256 Credential=[A-Z]{0,4}(/[a-z0-9-]{0,10}){0,6}, SignedHeaders=[a-z;-]{0,40}, Signature=[0-9a-f]{60,66}",
        "[ -~]{0,40}",
    ];
    (name, value).prop_map(|(n, v)| format!("{n}: {v}"))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let member = prop_oneof![
        Just(json!("us-east-1_TapeDeck1")),
        Just(json!("tapedeck-ghost")),
        Just(json!("us-east-1_0a1b2c3d-0000-4000-8000-000000000001")),
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        Just(Value::Null),
    ];
    prop_oneof![
        prop::collection::btree_map(
            prop::sample::select(vec!["UserPoolId", "Username", "DeviceKey", "Other"]),
            member,
            0..4,
        )
        .prop_map(|m| serde_json::to_vec(&m).unwrap()),
        prop::collection::vec(any::<u8>(), 0..300),
    ]
}

fn rng_from(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// A few random byte edits: what libFuzzer's mutators do, without the guidance.
fn mutate(data: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = rng_from(seed);
    let mut out = data.to_vec();
    for _ in 0..rng.random_range(1..6) {
        let at = rng.random_range(0..=out.len());
        match rng.random_range(0..4) {
            0 if at < out.len() => out[at] = rng.random(),
            1 => out.insert(at, rng.random()),
            2 if at < out.len() => {
                out.remove(at);
            }
            _ => {
                let from = rng.random_range(0..=out.len());
                let len = rng.random_range(0..16).min(out.len() - from);
                let chunk = out[from..from + len].to_vec();
                out.splice(at..at, chunk);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_fixture_parser_target_survives_random_bytes(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        fixture_parser(&data);
    }

    #[test]
    fn the_fixture_parser_target_survives_mutated_fixtures(pick in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let files = reference_fixture_files();
        let data = std::fs::read(pick.get(&files)).unwrap();
        fixture_parser(&mutate(&data, seed));
    }

    #[test]
    fn the_replay_target_survives_random_bytes(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = replay_request(&data);
    }

    #[test]
    fn the_replay_target_survives_mutated_requests(pick in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let requests = reference_requests();
        let _ = replay_request(&mutate(pick.get(&requests).as_slice(), seed));
    }

    #[test]
    fn the_replay_target_survives_structured_requests(
        verify in any::<bool>(),
        method in prop::sample::select(vec!["POST", "GET", "PUT", "DELETE", "PATCH", "X-CUSTOM"]),
        path in prop_oneof![Just("/".to_owned()), "/[a-z_%?=&/]{0,20}"],
        headers in prop::collection::vec(header_line(), 0..8),
        body in body(),
    ) {
        let mut data = Vec::new();
        if verify {
            data.push(b'!');
        }
        data.extend_from_slice(format!("{method} {path}\n{}\n\n", headers.join("\n")).as_bytes());
        data.extend_from_slice(&body);
        if decode_request(&data).is_some() {
            prop_assert!(replay_request(&data).is_some());
        }
    }

    /// A request one body member away from a reference fixture is a miss
    /// whose nearest fixture is exactly one difference away.
    #[test]
    fn one_changed_member_gives_a_near_miss_one_difference_away(
        member in prop::sample::select(vec!["UserPoolId", "Username", "DeviceKey"]),
        suffix in "[a-z0-9]{1,6}",
    ) {
        let body = json!({
            "UserPoolId": "us-east-1_TapeDeck1",
            "Username": "tapedeck-ghost",
            "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
        });
        let mut changed = body.clone();
        let old = changed[member].as_str().unwrap().to_owned();
        changed[member] = json!(format!("{old}-zz{suffix}"));
        let data = format!("POST /\ncontent-type: {CT}\nx-amz-target: {T}\n\n{changed}");
        let served = replay_request(data.as_bytes()).unwrap();
        let Served::Miss { nearest: Some((_, differences)) } = served else {
            return Err(TestCaseError::fail(format!("{served:?}")));
        };
        prop_assert_eq!(differences, 1);
    }
}
