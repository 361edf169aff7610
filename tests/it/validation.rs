//! The model's validation messages, in AWS's exact wording.

use rstest::rstest;
use serde_json::{json, Value};
use tapedeck::contract::model::flagship;
use tapedeck::contract::{validate, Validation};

const POOL: &str = "us-east-1_TapeDeck1";
const DEVICE: &str = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001";

fn body(pool: Value, user: Value, device: Value) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in [
        ("UserPoolId", pool),
        ("Username", user),
        ("DeviceKey", device),
    ] {
        if !v.is_null() {
            map.insert(k.to_owned(), v);
        }
    }
    Value::Object(map)
}

fn message(v: Value) -> Option<String> {
    validate(flagship(), &v).message()
}

#[rstest]
#[case::plain_ascii("tapedeck-user")]
#[case::email("alice@example.com")]
#[case::accented("zoë-ångström")]
#[case::cjk("ユーザー名")]
#[case::emoji_symbol("🎛️tape")]
#[case::exactly_128_multibyte(&"é".repeat(128))]
#[case::exactly_128_four_byte(&"😀".repeat(128))]
fn valid_usernames_pass(#[case] user: &str) {
    assert_eq!(
        validate(flagship(), &body(json!(POOL), json!(user), json!(DEVICE))),
        Validation::Valid
    );
}

#[rstest]
#[case::pool_55(55, true)]
#[case::pool_56(56, false)]
fn user_pool_id_length_boundary(#[case] len: usize, #[case] ok: bool) {
    let pool = format!("us-east-1_{}", "A".repeat(len - "us-east-1_".len()));
    assert_eq!(pool.chars().count(), len);
    let got = message(body(json!(pool), json!("u"), json!(DEVICE)));
    if ok {
        assert_eq!(got, None);
    } else {
        assert_eq!(
            got.as_deref(),
            Some(format!("1 validation error detected: Value '{pool}' at 'userPoolId' failed to satisfy constraint: Member must have length less than or equal to 55").as_str())
        );
    }
}

#[rstest]
#[case::device_55(55, true)]
#[case::device_56(56, false)]
fn device_key_length_boundary(#[case] len: usize, #[case] ok: bool) {
    let device = format!("us-east-1_{}", "a".repeat(len - "us-east-1_".len()));
    let got = message(body(json!(POOL), json!("u"), json!(device)));
    if ok {
        assert_eq!(got, None);
    } else {
        assert_eq!(
            got.as_deref(),
            Some(format!("1 validation error detected: Value '{device}' at 'deviceKey' failed to satisfy constraint: Member must have length less than or equal to 55").as_str())
        );
    }
}

#[rstest]
#[case::ascii_128("a", 128, true)]
#[case::ascii_129("a", 129, false)]
#[case::two_byte_128("é", 128, true)]
#[case::two_byte_129("é", 129, false)]
#[case::four_byte_128("😀", 128, true)]
#[case::four_byte_129("😀", 129, false)]
fn username_length_counts_scalar_values(#[case] unit: &str, #[case] n: usize, #[case] ok: bool) {
    let user = unit.repeat(n);
    let got = message(body(json!(POOL), json!(user), json!(DEVICE)));
    if ok {
        assert_eq!(got, None);
    } else {
        assert_eq!(
            got.as_deref(),
            Some("1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128")
        );
    }
}

#[test]
fn pattern_violation_quotes_the_value_and_pattern() {
    assert_eq!(
        message(body(json!(POOL), json!("u"), json!("x"))).as_deref(),
        Some(
            r"1 validation error detected: Value 'x' at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-f-]+"
        )
    );
    assert_eq!(
        message(body(json!("pool id"), json!("u"), json!(DEVICE))).as_deref(),
        Some(
            r"1 validation error detected: Value 'pool id' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"
        )
    );
}

#[test]
fn device_key_hex_part_is_lowercase_only() {
    let upper = "us-east-1_0A1B2C3D";
    assert!(!validate(flagship(), &body(json!(POOL), json!("u"), json!(upper))).is_valid());
    assert!(validate(
        flagship(),
        &body(json!(POOL), json!("u"), json!("us-east-1_0a1b2c3d"))
    )
    .is_valid());
}

#[test]
fn word_class_is_ascii_like_java() {
    // Java's \w is [a-zA-Z_0-9]: an accented letter before the '_' fails.
    assert!(!validate(
        flagship(),
        &body(json!("é-east-1_Abc"), json!("u"), json!(DEVICE))
    )
    .is_valid());
}

#[test]
fn missing_members_are_null() {
    assert_eq!(
        message(body(json!(POOL), json!("u"), Value::Null)).as_deref(),
        Some("1 validation error detected: Value null at 'deviceKey' failed to satisfy constraint: Member must not be null")
    );
}

#[test]
fn sensitive_username_never_echoes_its_value() {
    let m = message(body(json!(POOL), json!("has space"), json!(DEVICE))).unwrap();
    assert_eq!(
        m,
        r"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+"
    );
    assert!(!m.contains("has space"));
}

#[test]
fn several_violations_are_counted_and_joined_in_model_order() {
    let m = message(body(Value::Null, json!(""), json!("x"))).unwrap();
    assert_eq!(
        m,
        concat!(
            "4 validation errors detected: ",
            "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; ",
            "Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1; ",
            r"Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+; ",
            r"Value 'x' at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-f-]+"
        )
    );
    let two = message(body(json!(POOL), Value::Null, Value::Null)).unwrap();
    assert!(
        two.starts_with("2 validation errors detected: Value null at 'username'"),
        "{two}"
    );
}

#[test]
fn wrong_json_types_are_serialization_errors() {
    let v = validate(
        flagship(),
        &json!({"UserPoolId": POOL, "Username": 5, "DeviceKey": DEVICE}),
    );
    assert_eq!(v.error_type(), Some("SerializationException"));
    assert_eq!(
        validate(flagship(), &json!([1])).error_type(),
        Some("SerializationException")
    );
    assert_eq!(
        validate(flagship(), &body(json!(POOL), json!("u"), json!("x"))).error_type(),
        Some("InvalidParameterException")
    );
}

#[test]
fn unknown_members_are_ignored() {
    let v = json!({"UserPoolId": POOL, "Username": "u", "DeviceKey": DEVICE, "Extra": 1});
    assert!(validate(flagship(), &v).is_valid());
}
