//! Property tests of the on-disk layer: the canonical request key
//! (`tapedeck::fixture::canonical`) and the fixture loader and writer
//! (`tapedeck::fixture::parse_fixture`, `to_canonical_string`,
//! `write_atomic`).
//!
//! JSON documents are generated as values and then written out "noisily" —
//! keys in a random order, random whitespace between tokens, characters of
//! strings randomly `\u`-escaped (surrogate pairs beyond the BMP) or given
//! their short escapes — so every property compares one value in many
//! spellings.
//!
//! Case counts are modest (256) so the suite stays fast; raise them with
//! `PROPTEST_CASES=10000 cargo test --test it prop_fixture::` for a longer run.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value};

use tapedeck::fixture::{self, parse_fixture, Overwrite};
use tapedeck::fixture::{
    canonical_json, to_canonical_string, Body, Citation, Compare, Fixture, HeaderValue, Headers,
    MessageRule, Provenance, Request, RequestKey, Response, StatusRule,
};

use crate::support::proptest_config::config;

#[path = "../../src/fixture/spellings.rs"]
mod spellings;
use spellings::{exact_f64, json_string, json_value, noisy, rng_from, Noise};

/// Two JSON values are the same request body: equal, with numbers compared
/// as the canonical form does (`1` == `1.0`).
fn key_of(body: &[u8]) -> RequestKey {
    RequestKey::new(
        "POST",
        "/",
        "AWSCognitoIdentityProviderService.AdminForgetDevice",
        body,
    )
}

// ---------------------------------------------------------------------------
// The canonical request key.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Key order, whitespace and escapes never change the key, and the key of
    /// the raw bytes equals the key of the parsed value (the server uses one,
    /// fixtures the other).
    #[test]
    fn the_key_ignores_key_order_whitespace_and_escapes(v in json_value(), seed in any::<u64>()) {
        let mut rng = rng_from(seed);
        let compact = serde_json::to_string(&v).unwrap();
        let spelled = noisy(&v, Noise { integer_forms: false }, &mut rng);
        let reparsed: Value = serde_json::from_str(&spelled).expect("noisy JSON is JSON");
        prop_assert_eq!(&reparsed, &v, "the noisy writer changed the value: {}", spelled);
        let key = key_of(compact.as_bytes());
        prop_assert_eq!(&key_of(spelled.as_bytes()), &key, "{} vs {}", spelled, compact);
        prop_assert_eq!(
            &RequestKey::from_json("POST", "/", "AWSCognitoIdentityProviderService.AdminForgetDevice", &v),
            &key
        );
    }

    /// Integer spellings (`7`, `7.0`, `7e0`, `70e-1`) give one key.
    #[test]
    fn the_key_ignores_integer_spellings(v in json_value(), seed in any::<u64>()) {
        let mut rng = rng_from(seed);
        let plain = noisy(&v, Noise { integer_forms: false }, &mut rng);
        let respelled = noisy(&v, Noise { integer_forms: true }, &mut rng);
        prop_assert_eq!(key_of(plain.as_bytes()), key_of(respelled.as_bytes()), "{} vs {}", plain, respelled);
    }

    /// A float written in its shortest round-trip decimal form and in
    /// exponent form keys the same (`0.25` and `2.5e-1`).
    #[test]
    fn the_key_ignores_float_spellings(f in exact_f64()) {
        let a = format!("{{\"n\":{f:?}}}");
        let b = format!("{{\"n\":{f:e}}}");
        let c = format!("{{\"n\":{f:E}}}");
        prop_assert_eq!(key_of(a.as_bytes()), key_of(b.as_bytes()), "{} vs {}", a, b);
        prop_assert_eq!(key_of(a.as_bytes()), key_of(c.as_bytes()), "{} vs {}", a, c);
    }

    /// The canonical form is a fixed point: it parses back to a value whose
    /// canonical form is itself.
    #[test]
    fn canonical_json_is_idempotent(v in json_value()) {
        let once = canonical_json(&v);
        let back: Value = serde_json::from_str(&once).expect("canonical JSON is JSON");
        prop_assert_eq!(canonical_json(&back), once);
    }

    /// Different values give different keys: changing one string anywhere in a
    /// body changes its key.
    #[test]
    fn a_changed_member_changes_the_key(
        members in prop::collection::btree_map("[A-Za-z]{1,10}", json_string(), 1..5),
        pick in any::<prop::sample::Index>(),
        suffix in "[a-z0-9 \u{e9}\u{1f600}]{1,3}",
    ) {
        let original: Map<String, Value> = members.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let mut changed = original.clone();
        let key = pick.get(&members.keys().collect::<Vec<_>>()).to_string();
        let Some(Value::String(s)) = changed.get_mut(&key) else { unreachable!() };
        s.push_str(&suffix);
        let a = serde_json::to_vec(&Value::Object(original)).unwrap();
        let b = serde_json::to_vec(&Value::Object(changed)).unwrap();
        prop_assert_ne!(key_of(&a), key_of(&b));
    }

    /// The key never panics, on any bytes, method, path or target.
    #[test]
    fn the_key_never_panics(method in any::<String>(), path in any::<String>(),
                            target in any::<String>(),
                            body in prop::collection::vec(any::<u8>(), 0..512)) {
        let key = RequestKey::new(&method, &path, &target, &body);
        prop_assert!(key.as_bytes().starts_with(method.as_bytes()));
    }
}

/// A float in a fixture body must survive loading and writing unchanged, and
/// a fixture's float must key like the same float in a request. With
/// serde_json's default (fast, not correctly rounded) float parser, these
/// values come back one ULP off, so the canonical key of a fixture differs
/// from the key of a request that spells the same number, and every
/// load-and-write cycle (the recorder rewrites step 1 of a sequence from what
/// it loaded) moves the number. Fix: `serde_json = { version = "1", features =
/// ["preserve_order", "float_roundtrip"] }` in Cargo.toml.
#[test]
fn floats_survive_a_load_and_write_cycle() {
    for f in [
        -2.074706473283092e306f64,
        1.8922845715585926e-308,
        1_405_075_080_090_180.2,
    ] {
        let text = format!("{f:e}");
        let back: f64 = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f, "{text} read back as {back:?}");
        let v: Value = serde_json::from_str(&format!("{{\"n\":{text}}}")).unwrap();
        let canonical = canonical_json(&v);
        let again: Value = serde_json::from_str(&canonical).unwrap();
        assert_eq!(canonical_json(&again), canonical);
    }
}

#[test]
fn deeply_nested_bodies_neither_overflow_nor_panic() {
    for depth in [127, 128, 129, 10_000, 200_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let body = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let key = key_of(body.as_bytes());
            // serde_json refuses more than 128 levels, so deep bodies key on their bytes.
            let raw = key.as_bytes().windows(4).any(|w| w == b"raw:");
            assert_eq!(raw, depth > 127, "depth {depth}");
        }
    }
}

// ---------------------------------------------------------------------------
// Fixtures.
// ---------------------------------------------------------------------------

fn safe_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-][A-Za-z0-9._-]{0,30}"
}

fn headers() -> impl Strategy<Value = Headers> {
    prop::collection::btree_map(
        "[a-z][a-z0-9-]{0,15}",
        prop_oneof![
            3 => "[ -~]{0,30}".prop_map(HeaderValue::One),
            1 => prop::collection::vec("[ -~]{0,10}", 0..3).prop_map(HeaderValue::Many),
            1 => any::<String>().prop_map(HeaderValue::One),
        ],
        0..4,
    )
}

fn body_fields() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => Just(Body::default()),
        3 => json_value().prop_map(Body::Json),
        1 => any::<String>().prop_map(Body::Text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Body::from_bytes(&b)),
    ]
}

fn provenance() -> impl Strategy<Value = Provenance> {
    prop_oneof![
        ("[a-z0-9.:]{1,20}", "[0-9TZ:-]{1,20}", "[a-z0-9 .]{1,12}").prop_map(
            |(endpoint, recorded_at, tool)| Provenance::Recorded {
                endpoint,
                recorded_at,
                tool
            }
        ),
        (
            prop::collection::vec(citation(), 0..3),
            prop::collection::vec(any::<String>(), 0..2)
        )
            .prop_map(|(sources, basis)| Provenance::Authored { sources, basis }),
    ]
}

fn citation() -> impl Strategy<Value = Citation> {
    let paths = || prop::collection::vec("[a-z_.-]{0,20}", 0..3);
    let text = || prop::option::of(any::<String>());
    prop_oneof![
        (any::<String>(), text(), paths(), text()).prop_map(|(source, quote, applies_to, note)| {
            Citation::Direct {
                source,
                quote,
                applies_to,
                note,
            }
        }),
        (any::<String>(), any::<String>(), text(), paths(), text()).prop_map(
            |(source, inferred_from, quote, applies_to, note)| Citation::Inferred {
                source,
                inferred_from,
                quote,
                applies_to,
                note,
            }
        ),
        (paths(), any::<String>())
            .prop_map(|(applies_to, note)| Citation::Unsourced { applies_to, note }),
    ]
}

fn compare() -> impl Strategy<Value = Compare> {
    (
        prop_oneof![
            Just(MessageRule::Exact),
            Just(MessageRule::Ignore),
            "[A-Za-z .]{0,10}(\\.\\*)?".prop_map(MessageRule::Regex),
        ],
        prop::collection::vec("(/[a-z]{1,5}){1,2}", 0..2),
        prop::option::of(prop::collection::vec(100u16..600, 0..3)),
    )
        .prop_map(|(message, ignore_paths, status)| Compare {
            message,
            // The recorded status is added to a list when the fixture is built.
            status: status.map_or(StatusRule::Exact, StatusRule::OneOf),
            ignore_paths,
        })
}

fn fixture() -> impl Strategy<Value = Fixture> {
    (
        (
            safe_id(),
            prop::option::of(json_string()),
            any::<String>(),
            prop::option::of(1u32..10),
            provenance(),
            prop::collection::btree_map("[a-z_]{1,12}", any::<String>(), 0..4),
            prop::collection::vec(any::<String>(), 0..2),
        ),
        (
            prop::sample::select(vec!["POST", "GET", "PUT"]),
            "/[a-z/]{0,10}",
            headers(),
            body_fields(),
        ),
        (100u16..600, headers(), body_fields()),
        compare(),
    )
        .prop_map(
            |(
                (id, scenario, description, sequence, provenance, variables, expected_violations),
                (method, path, req_headers, req_body),
                (status, resp_headers, resp_body),
                mut compare,
            )| {
                if let StatusRule::OneOf(list) = &mut compare.status {
                    if !list.contains(&status) {
                        list.push(status);
                    }
                }
                Fixture {
                    tapedeck: 1,
                    id,
                    scenario,
                    description,
                    sequence,
                    provenance,
                    variables: variables.into_iter().collect::<BTreeMap<_, _>>(),
                    expected_violations,
                    request: Request {
                        method: method.to_owned(),
                        path,
                        headers: req_headers,
                        body: req_body,
                    },
                    response: Response {
                        status,
                        headers: resp_headers,
                        body: resp_body,
                    },
                    compare,
                }
            },
        )
}

/// The bundled reference fixtures' texts: the seeds for mutation.
fn reference_texts() -> Vec<String> {
    fixture::read_embedded("reference")
        .expect("the embedded set exists")
        .into_iter()
        .map(|r| r.text)
        .collect()
}

/// One random edit of a text: delete, duplicate or replace a range, or insert
/// a JSON-ish token.
fn mutate(text: &str, seed: u64) -> String {
    let mut rng = rng_from(seed);
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..4) {
        let len = bytes.len().max(1);
        let at = rng.random_range(0..len).min(bytes.len());
        let span = rng.random_range(0..16).min(bytes.len() - at);
        match rng.random_range(0..5) {
            0 => {
                bytes.drain(at..at + span);
            }
            1 => {
                let copy = bytes[at..at + span].to_vec();
                bytes.splice(at..at, copy);
            }
            2 => {
                const TOKENS: [&str; 14] = [
                    "{",
                    "}",
                    "[",
                    "]",
                    ",",
                    ":",
                    "\"",
                    "null",
                    "1e999",
                    "-0",
                    "\\u0000",
                    "\"body_text\": \"x\",",
                    "\"sequence\": 0,",
                    "\u{1F600}",
                ];
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                bytes.splice(at..at, t.bytes());
            }
            3 => {
                for b in bytes.iter_mut().skip(at).take(span) {
                    *b = rng.random();
                }
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// If `text` loads, writing it gives canonical text that loads to the same
/// fixture and writes to the same bytes.
fn assert_round_trip(text: &str) -> Result<bool, TestCaseError> {
    let Ok(first) = parse_fixture("prop.json", text) else {
        return Ok(false);
    };
    let canonical = to_canonical_string(&first);
    let second = parse_fixture("prop.json", &canonical).map_err(|e| {
        TestCaseError::fail(format!("canonical text does not load: {e}\n{canonical}"))
    })?;
    prop_assert_eq!(
        &second,
        &first,
        "loading the canonical text changed the fixture"
    );
    prop_assert_eq!(
        to_canonical_string(&second),
        canonical,
        "not byte-identical"
    );
    Ok(true)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_loader_never_panics_on_any_string(text in any::<String>()) {
        let _ = parse_fixture("prop.json", &text);
    }

    #[test]
    fn the_loader_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_fixture("prop.json", &String::from_utf8_lossy(&bytes));
    }

    /// Mutants of the real fixtures exercise the deeper paths (version
    /// checks, field checks, base64, regex): none panics, and any that still
    /// loads round-trips.
    #[test]
    fn mutated_reference_fixtures_never_panic_and_round_trip(pick in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let texts = reference_texts();
        let text = mutate(pick.get(&texts).as_str(), seed);
        if let Err(e) = parse_fixture("prop.json", &text) {
            // Every error names the file and a line inside it.
            prop_assert_eq!(e.path(), "prop.json");
            prop_assert!(e.line() >= 1 && e.line() <= text.lines().count().max(1) + 1, "{} (of {} lines)", e, text.lines().count());
        }
        assert_round_trip(&text)?;
    }

    /// Every generated fixture, in any spelling, loads to itself; and its
    /// canonical text round-trips byte-identically.
    #[test]
    fn generated_fixtures_load_and_round_trip_byte_identically(f in fixture(), seed in any::<u64>()) {
        let mut rng = rng_from(seed);
        let value = serde_json::to_value(&f).unwrap();
        let spelled = noisy(&value, Noise { integer_forms: false }, &mut rng);
        let loaded = parse_fixture("prop.json", &spelled)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{spelled}")))?;
        prop_assert_eq!(&loaded, &f);
        prop_assert!(assert_round_trip(&spelled)?);
        prop_assert!(assert_round_trip(&to_canonical_string(&f))?);
    }

    /// The body forms keep the wire bytes exactly, whatever the bytes.
    #[test]
    fn body_forms_keep_any_bytes_exactly(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        any::<String>().prop_map(String::into_bytes),
    ]) {
        // One form at most: the type has room for no more.
        let fields = Body::from_bytes(&bytes);
        let back = fields.bytes().unwrap();
        prop_assert_eq!(back.as_ref(), &bytes[..]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: config().cases.div_ceil(8), ..config() })]

    /// What the writer puts on disk is exactly the canonical text, loads back
    /// to the same fixture, and leaves no temporary file.
    #[test]
    fn written_files_load_back_identically(f in fixture()) {
        let dir = tempfile::tempdir().unwrap();
        let path = fixture::write_atomic(dir.path(), &f, Overwrite::Never).unwrap();
        let on_disk = std::fs::read_to_string(&path).unwrap();
        prop_assert_eq!(&on_disk, &to_canonical_string(&f));
        let loaded = fixture::load_path(dir.path()).unwrap();
        prop_assert_eq!(loaded.len(), 1);
        prop_assert_eq!(&loaded[0].fixture, &f);
        let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        prop_assert_eq!(names, vec![format!("{}.json", f.id)]);
    }

    /// An id that is not a safe file name is refused before anything is written.
    #[test]
    fn unsafe_ids_never_reach_the_disk(mut f in fixture(), id in prop_oneof![
        "\\.[a-z.]{0,5}",
        "[a-z]{0,4}/[a-z.]{0,6}",
        "\\.\\./[a-z]{1,6}",
        "[a-z]{0,3}[\\\\:\u{0}\n ][a-z]{0,3}",
        Just(String::new()),
    ]) {
        f.id = id;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("out");
        std::fs::create_dir(&sub).unwrap();
        let err = fixture::write_atomic(&sub, &f, Overwrite::Replace).unwrap_err();
        prop_assert!(matches!(err, fixture::WriteError::UnsafeId { .. }), "{}", err);
        prop_assert_eq!(std::fs::read_dir(&sub).unwrap().count(), 0);
        prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // And the loader refuses such an id in a file.
        let text = to_canonical_string(&f);
        prop_assert!(parse_fixture("prop.json", &text).is_err());
    }
}

/// A fixture's `compare.message` regex is untrusted input: the regex crate
/// compiles it with a size limit (a pattern that would blow up is refused at
/// load) and matches in time linear in the text (no catastrophic
/// backtracking), so a hostile fixture cannot hang `tapedeck`.
#[test]
fn hostile_compare_regexes_are_refused_or_harmless() {
    let base = fixture::read_embedded("reference")
        .unwrap()
        .into_iter()
        .find(|r| r.stem == "unknown-user")
        .unwrap()
        .text;
    let with_regex = |re: &str| {
        let mut v: Value = serde_json::from_str(&base).unwrap();
        v["compare"]["message"] = serde_json::json!({ "regex": re });
        serde_json::to_string_pretty(&v).unwrap()
    };
    // Too big once compiled: refused when the fixture loads, quickly.
    let started = std::time::Instant::now();
    let err =
        parse_fixture("hostile.json", &with_regex("((((a{100}){100}){100}){100})")).unwrap_err();
    assert!(err.to_string().contains("compare.message.regex"), "{err}");
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // Catastrophic for a backtracking engine, linear here.
    let evil = "(a+)+$|(a|aa)+b|(.*a){20}";
    assert!(parse_fixture("evil.json", &with_regex(evil)).is_ok());
    let re = regex::Regex::new(evil).unwrap();
    let text = format!("{}!", "a".repeat(100_000));
    let started = std::time::Instant::now();
    let _ = re.is_match(&text);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}
