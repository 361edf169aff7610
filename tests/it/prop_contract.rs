//! Property tests of the contract layer: the error-type sanitiser and
//! extractor (`tapedeck::contract::awsjson`) and the validation messages
//! (`tapedeck::contract::validate`).
//!
//! The sanitiser is checked against executable reference models of the two
//! clients whose behaviour it stands in for, written from their source:
//!
//! - botocore `JSONParser._do_error_parse`: reads only the body's `__type`;
//!   `code.split(':', 1)[0]`, then `code.rsplit('#', 1)[1]`; no comma rule, no trim;
//! - the JavaScript SDK v3 `loadRestJsonErrorCode` (used by the awsJson 1.1
//!   protocol too): the `x-amzn-errortype` header, then the body's `code` (key
//!   matched case-insensitively), then `__type`; `sanitizeErrorCode` keeps the
//!   part before the first `,`, then before the first `:`, then
//!   `split("#")[1]`, the part after the FIRST `#`.
//!
//! Where the two clients disagree with each other (several `#`, a comma list,
//! surrounding whitespace, which source wins) the properties say exactly which
//! one tapedeck follows; see the report in `docs/security.md`.
//!
//! Case counts are modest (256) so the suite stays fast; raise them with
//! `PROPTEST_CASES=10000 cargo test --test it prop_contract::` for a longer run.

use proptest::prelude::*;
use regex::Regex;
use serde_json::{json, Map, Value};

use tapedeck::contract::model::{self, flagship};
use tapedeck::contract::{error_type, sanitize_error_type, ErrorTypeSource};
use tapedeck::contract::{validate, Constraint, Shown, Validation};

use crate::support::proptest_config::config;

// ---------------------------------------------------------------------------
// Reference models of the two clients.
// ---------------------------------------------------------------------------

/// botocore's sanitising of a `__type` value.
fn botocore_sanitize(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or_default();
    match code.rsplit_once('#') {
        Some((_, after)) => after,
        None => code,
    }
}

/// The JavaScript SDK v3's `sanitizeErrorCode`.
fn js_sanitize(raw: &str) -> &str {
    let v = raw.split(',').next().unwrap_or_default();
    let v = v.split(':').next().unwrap_or_default();
    if v.contains('#') {
        v.split('#').nth(1).unwrap_or_default()
    } else {
        v
    }
}

/// botocore's error code for a JSON error body, when it has a string `__type`
/// (without one, botocore uses the HTTP status code instead).
fn botocore_error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let t = v.as_object()?.get("__type")?.as_str()?;
    Some(botocore_sanitize(t).to_owned())
}

/// The JavaScript SDK's error code: header, then `code` (any case), then `__type`.
fn js_error_code(body: &[u8], header: Option<&str>) -> Option<String> {
    if let Some(h) = header {
        return Some(js_sanitize(h).to_owned());
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    let map = v.as_object()?;
    let code = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("code"))
        .map(|(_, v)| v);
    for candidate in [code, map.get("__type")].into_iter().flatten() {
        if let Some(s) = candidate.as_str() {
            return Some(js_sanitize(s).to_owned());
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------

/// Any string, biased towards the separators the sanitiser cares about.
fn raw_error_type() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[A-Za-z0-9_.]{0,12}",
        2 => Just("#".to_owned()),
        2 => Just(":".to_owned()),
        2 => Just(",".to_owned()),
        1 => "[ \t\r\n]{1,2}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|parts| parts.concat())
}

/// An error type as real endpoints write it: `[namespace#]Name[:suffix]`.
fn realistic_error_type() -> impl Strategy<Value = (String, String)> {
    (
        prop::option::of("[a-z][a-z0-9]{0,8}(\\.[a-z][a-z0-9]{0,8}){0,3}"),
        "[A-Z][A-Za-z0-9]{0,30}",
        prop::option::of(prop_oneof![
            Just(String::new()),
            "http://[a-z.]{1,20}/[a-z/]{0,12}",
            "[A-Za-z0-9 ]{1,12}",
        ]),
    )
        .prop_map(|(ns, name, suffix)| {
            let mut raw = String::new();
            if let Some(ns) = ns {
                raw.push_str(&ns);
                raw.push('#');
            }
            raw.push_str(&name);
            if let Some(s) = suffix {
                raw.push(':');
                raw.push_str(&s);
            }
            (raw, name)
        })
}

proptest! {
    #![proptest_config(config())]

    // -- The sanitiser ------------------------------------------------------

    #[test]
    fn sanitizing_is_idempotent_and_strips_every_separator(raw in raw_error_type()) {
        let once = sanitize_error_type(&raw);
        prop_assert_eq!(sanitize_error_type(once), once);
        prop_assert!(!once.contains(['#', ':', ',']), "{:?} -> {:?}", raw, once);
        prop_assert_eq!(once.trim(), once, "no surrounding whitespace");
        // It only ever cuts: the result is a piece of the input.
        prop_assert!(raw.contains(once));
    }

    #[test]
    fn sanitizing_never_panics_on_any_string(raw in any::<String>()) {
        let _ = sanitize_error_type(&raw);
    }

    /// tapedeck = botocore applied to the first comma-separated item, trimmed.
    /// (botocore has no comma rule: it reads `__type`, which never holds a list.)
    #[test]
    fn sanitizing_agrees_with_botocore_on_the_first_list_item(raw in raw_error_type()) {
        let first = raw.split(',').next().unwrap_or_default();
        prop_assert_eq!(sanitize_error_type(&raw), botocore_sanitize(first).trim());
    }

    /// tapedeck = the JavaScript SDK, trimmed, whenever the name part has at most
    /// one `#`. With several, JS keeps the part after the first `#` and
    /// tapedeck (like botocore) the part after the last.
    #[test]
    fn sanitizing_agrees_with_the_js_sdk_when_there_is_one_namespace(raw in raw_error_type()) {
        let name_part = raw.split(',').next().unwrap_or_default().split(':').next().unwrap_or_default();
        let ours = sanitize_error_type(&raw);
        if name_part.matches('#').count() <= 1 {
            prop_assert_eq!(ours, js_sanitize(&raw).trim());
        } else {
            prop_assert_eq!(ours, botocore_sanitize(name_part).trim());
        }
    }

    /// On what endpoints really send, all three agree exactly.
    #[test]
    fn all_three_agree_on_realistic_error_types((raw, name) in realistic_error_type()) {
        prop_assert_eq!(sanitize_error_type(&raw), name.as_str());
        prop_assert_eq!(botocore_sanitize(&raw), name.as_str());
        prop_assert_eq!(js_sanitize(&raw), name.as_str());
    }

    // -- Extracting the error type of a response ----------------------------

    #[test]
    fn error_type_never_panics(body in prop::collection::vec(any::<u8>(), 0..256),
                               header in prop::option::of(any::<String>())) {
        if let Some(t) = error_type(&body, header.as_deref()) {
            prop_assert!(!t.name.is_empty());
            prop_assert_eq!(t.name.as_str(), sanitize_error_type(&t.raw));
        }
    }

    /// A body with `__type`: tapedeck reports what botocore reports (botocore
    /// never looks at `code` or the header).
    #[test]
    fn a_body_type_is_read_like_botocore((raw, name) in realistic_error_type(),
                                         code in prop::option::of(realistic_error_type()),
                                         header in prop::option::of(realistic_error_type()),
                                         message in any::<String>()) {
        let mut body = json!({ "__type": raw, "message": message });
        if let Some((code, _)) = &code {
            body["code"] = json!(code);
        }
        let bytes = serde_json::to_vec(&body).unwrap();
        let header = header.map(|(h, _)| h);
        let got = error_type(&bytes, header.as_deref()).expect("a __type is found");
        prop_assert_eq!(got.source, ErrorTypeSource::Type);
        prop_assert_eq!(Some(got.name.clone()), botocore_error_code(&bytes));
        prop_assert_eq!(got.name, name);
    }

    /// With a single source of the error type, tapedeck and the JavaScript SDK
    /// agree whichever source it is.
    #[test]
    fn a_single_source_is_read_like_the_js_sdk((raw, name) in realistic_error_type(),
                                               source in 0..3usize) {
        let (body, header) = match source {
            0 => (json!({ "__type": raw }).to_string().into_bytes(), None),
            1 => (json!({ "code": raw }).to_string().into_bytes(), None),
            _ => (b"<html><body>Bad Gateway</body></html>".to_vec(), Some(raw.as_str())),
        };
        let got = error_type(&body, header).expect("the one source is found");
        prop_assert_eq!(Some(got.name.clone()), js_error_code(&body, header));
        prop_assert_eq!(got.name, name);
    }
}

// ---------------------------------------------------------------------------
// Validation messages.
// ---------------------------------------------------------------------------

/// Independent reference patterns, anchored. `\w` is ASCII in the Java regular
/// expressions the service uses.
struct Reference {
    patterns: Vec<Regex>,
}

impl Reference {
    fn new() -> Self {
        let patterns = [
            r"^[A-Za-z0-9_-]+_[0-9a-zA-Z]+$",
            r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$",
            r"^[A-Za-z0-9_-]+_[0-9a-f-]+$",
        ]
        .iter()
        .map(|p| Regex::new(p).unwrap())
        .collect();
        Reference { patterns }
    }

    /// The (wire name, constraint kind) pairs a body must produce, in order.
    fn expected(&self, body: &Map<String, Value>) -> Vec<(&'static str, &'static str)> {
        let limits = [(1, 55), (1, 128), (1, 55)];
        let mut out = Vec::new();
        for (i, member) in members().iter().enumerate() {
            match body.get(member.name) {
                None | Some(Value::Null) => out.push((member.wire_name, "not-null")),
                Some(Value::String(s)) => {
                    let len = s.chars().count();
                    if len < limits[i].0 {
                        out.push((member.wire_name, "min"));
                    }
                    if len > limits[i].1 {
                        out.push((member.wire_name, "max"));
                    }
                    if !self.patterns[i].is_match(s) {
                        out.push((member.wire_name, "pattern"));
                    }
                }
                Some(_) => unreachable!("the strategy only makes strings and nulls"),
            }
        }
        out
    }
}

fn kind(c: &Constraint) -> &'static str {
    match c {
        Constraint::NotNull => "not-null",
        Constraint::MinLength(_) => "min",
        Constraint::MaxLength(_) => "max",
        Constraint::Pattern(_) => "pattern",
        _ => "other",
    }
}

/// The flagship's input members, read from the model.
struct M {
    name: &'static str,
    wire_name: &'static str,
    max: usize,
}

fn members() -> Vec<M> {
    let m = model::get();
    flagship()
        .input_members()
        .iter()
        .map(|mm| M {
            name: mm.name.as_str(),
            wire_name: mm.wire_name.as_str(),
            max: m.shape(mm.target).max.unwrap() as usize,
        })
        .collect()
}

/// Strings around the model's limits: valid ids, multi-byte characters at
/// exactly the length limits, whitespace, control characters, anything.
fn member_value(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "[a-z]{2}-[a-z]{4,9}-[0-9]_[0-9a-f-]{1,36}",
        1 => "[a-zA-Z0-9_-]{1,8}_[A-Za-z0-9]{1,8}",
        1 => Just(String::new()),
        1 => prop::sample::select(vec!['é', '😀', 'ß', '中', 'Z']).prop_flat_map(move |c| {
            prop::sample::select(vec![max - 1, max, max + 1]).prop_map(move |n| c.to_string().repeat(n))
        }),
        1 => "[ \t\n]{0,3}[a-z_]{0,5}[ \t\n]{0,3}",
        1 => "\\PC{0,20}",
        1 => any::<String>(),
    ]
}

/// A distinctive user name: the test can tell it apart from every other value.
fn sensitive_username() -> impl Strategy<Value = String> {
    prop_oneof![
        "Zq-SECRET-[a-z0-9]{4,12}",
        "Zq SECRET [a-z ]{0,12}\t",
        "Zq-SECRET-é{120,140}",
        "Zq-SECRET-[a-z]{130,140}",
        "Zq-SECRET-\\PC{0,10}",
    ]
}

fn body_strategy() -> impl Strategy<Value = (Map<String, Value>, Option<String>)> {
    let member = |max: usize| {
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            4 => member_value(max).prop_map(|s| Some(Value::String(s))),
        ]
    };
    (
        member(55),
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            4 => sensitive_username().prop_map(|s| Some(Value::String(s))),
        ],
        member(55),
        prop::option::of(("[A-Za-z]{1,10}", any::<String>())),
    )
        .prop_map(|(pool, user, device, extra)| {
            let mut map = Map::new();
            let username = match &user {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            for (name, v) in [
                ("UserPoolId", pool),
                ("Username", user),
                ("DeviceKey", device),
            ] {
                if let Some(v) = v {
                    map.insert(name.to_owned(), v);
                }
            }
            if let Some((k, v)) = extra {
                map.entry(k).or_insert(Value::String(v));
            }
            (map, username)
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn validation_messages_count_order_and_keep_the_username_secret(
        (body, username) in body_strategy()
    ) {
        let reference = Reference::new();
        let expected = reference.expected(&body);
        let result = validate(flagship(), &Value::Object(body.clone()));
        let Validation::Invalid(violations) = &result else {
            prop_assert!(expected.is_empty(), "valid, but the model expects {:?}", expected);
            prop_assert!(result.is_valid());
            prop_assert_eq!(result.message(), None);
            return Ok(());
        };
        // The same violations as the reference model, in model order, with
        // length before pattern within a member.
        let got: Vec<(&str, &str)> = violations
            .iter()
            .map(|v| (v.path.as_str(), kind(&v.constraint)))
            .collect();
        prop_assert_eq!(&got, &expected);

        // The count prefix matches the number of violations, in the right number.
        let message = result.message().expect("an invalid body has a message");
        let n = violations.len();
        let prefix = format!(
            "{n} validation {} detected: ",
            if n == 1 { "error" } else { "errors" }
        );
        prop_assert!(message.starts_with(&prefix), "{:?} does not start with {:?}", message, prefix);
        prop_assert_eq!(result.violation_texts().len(), n);
        prop_assert_eq!(message, format!("{prefix}{}", result.violation_texts().join("; ")));

        // The sensitive member's value never appears: not in the message, not
        // in a violation's text, not in the Debug of the validation.
        if let Some(user) = &username {
            let message = result.message().unwrap();
            prop_assert!(!message.contains(user.as_str()), "the username leaked: {:?}", message);
            prop_assert!(!message.contains("Zq-SECRET") && !message.contains("Zq SECRET"), "{:?}", message);
            for text in result.violation_texts() {
                prop_assert!(!text.contains("SECRET"), "{:?}", text);
            }
            for v in violations.iter().filter(|v| v.path == "username") {
                prop_assert!(v.to_string().starts_with("Value at 'username' failed"), "{}", v);
            }
        }
        // Non-sensitive values are quoted verbatim.
        for v in violations.iter().filter(|v| v.path != "username") {
            let shown = match &v.value {
                Shown::Text(value) => format!("Value '{value}' at '{}'", v.path),
                Shown::Null => format!("Value null at '{}'", v.path),
                Shown::Hidden => unreachable!("only the username is sensitive: {v}"),
            };
            prop_assert!(v.to_string().starts_with(&shown), "{} / {}", v, shown);
        }
    }

    /// Lengths count Unicode scalar values, not bytes nor UTF-16 units: a value
    /// of exactly `max` characters of any width passes the length check, one
    /// more fails it.
    #[test]
    fn lengths_count_unicode_scalar_values(
        c in prop::sample::select(vec!['a', 'é', 'ß', '中', '😀', '\u{301}']),
        member in 0..3usize,
        extra in 0..2usize,
    ) {
        let m = &members()[member];
        let value = c.to_string().repeat(m.max + extra);
        let mut body = json!({
            "UserPoolId": "us-east-1_TapeDeck1",
            "Username": "tapedeck-user",
            "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
        });
        body[m.name] = json!(value);
        let too_long = match validate(flagship(), &body) {
            Validation::Invalid(v) => v.iter().any(|v| v.path == m.wire_name
                && v.constraint == Constraint::MaxLength(m.max as i64)),
            _ => false,
        };
        prop_assert_eq!(too_long, extra == 1, "{} × {:?} ({} bytes)", m.max + extra, c, value.len());
    }

    /// A member of the wrong JSON type is a serialization error that names the
    /// member and its type, never its value.
    #[test]
    fn a_non_string_member_is_a_serialization_error_without_its_value(
        member in 0..3usize,
        value in prop_oneof![
            (100_000_000_000i64..999_999_999_999).prop_map(|n| json!(n)),
            Just(json!(true)),
            "Zq-SECRET-[a-z]{4}".prop_map(|s| json!([s])),
            "Zq-SECRET-[a-z]{4}".prop_map(|s| json!({ "v": s })),
        ],
    ) {
        let m = &members()[member];
        let mut body = json!({
            "UserPoolId": "us-east-1_TapeDeck1",
            "Username": "tapedeck-user",
            "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
        });
        body[m.name] = value.clone();
        let result = validate(flagship(), &body);
        prop_assert!(matches!(result, Validation::Serialization { .. }), "{:?}", result);
        prop_assert_eq!(result.error_type(), Some("SerializationException"));
        let message = result.describe().unwrap();
        prop_assert!(message.contains(&format!("(at '{}')", m.wire_name)), "{}", message);
        prop_assert!(!message.contains("SECRET"), "{}", message);
        if let Some(n) = value.as_i64() {
            prop_assert!(!message.contains(&n.to_string()), "{}", message);
        }
    }
}

#[test]
fn the_reference_models_match_the_clients_documented_examples() {
    // botocore: "com.aws.dynamodb.vAPI#ProvisionedThroughputExceededException"
    assert_eq!(
        botocore_sanitize("com.aws.dynamodb.vAPI#ProvisionedThroughputExceededException"),
        "ProvisionedThroughputExceededException"
    );
    // The JavaScript SDK's protocol tests.
    assert_eq!(
        js_sanitize("aws.protocoltests.restjson#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/"),
        "FooError"
    );
    assert_eq!(js_sanitize("FooError,BarError"), "FooError");
    // Where they differ, and what tapedeck does.
    let raw = "a#b#UserNotFoundException";
    assert_eq!(js_sanitize(raw), "b");
    assert_eq!(botocore_sanitize(raw), "UserNotFoundException");
    assert_eq!(sanitize_error_type(raw), "UserNotFoundException");
    assert_eq!(botocore_sanitize(" X "), " X ");
    assert_eq!(sanitize_error_type(" X "), "X");
}

/// The JavaScript SDK reads the header first; tapedeck reads the body's
/// `__type` first, like botocore. They only differ when the sources disagree,
/// which no real endpoint does; this pins what tapedeck reports then.
#[test]
fn when_the_sources_disagree_the_body_type_wins() {
    let body = br#"{"__type":"UserNotFoundException","code":"CodeException"}"#;
    let header = Some("HeaderException:");
    let ours = error_type(body, header).unwrap();
    assert_eq!(ours.name, "UserNotFoundException");
    assert_eq!(
        botocore_error_code(body).as_deref(),
        Some("UserNotFoundException")
    );
    assert_eq!(
        js_error_code(body, header).as_deref(),
        Some("HeaderException")
    );
    assert_eq!(js_error_code(body, None).as_deref(), Some("CodeException"));
}
