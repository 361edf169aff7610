//! The index's byte-exact lookup against the canonical key, on generated
//! bodies in many spellings (moved here from the integration tests: it checks
//! [`Index::find_sent`], which is not public).

use proptest::prelude::*;
use serde_json::Value;

use super::Index;
use crate::fixture::spellings::{json_value, noisy, rng_from, Noise};
use crate::fixture::{Body, LoadedFixture, RequestKey, SequenceEnd};

/// The key of a request with this body.
fn key_of(body: &[u8]) -> RequestKey {
    RequestKey::new("POST", "/", TARGET, body)
}

const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";

/// The bundled unknown-user fixture, to give generated bodies to.
fn unknown_user() -> LoadedFixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/admin-forget-device/reference/unknown-user.json"
    );
    crate::fixture::load_path(std::path::Path::new(path))
        .unwrap()
        .remove(0)
}

/// Python's `json.dumps(v)` (what botocore sends), written here independently,
/// for values whose strings need no escapes and whose numbers are integers.
fn python_dumps(v: &Value) -> Option<String> {
    let plain = |s: &str| {
        s.bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
            .then(|| format!("\"{s}\""))
    };
    Some(match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(_) => return None,
        Value::String(s) => plain(s)?,
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(python_dumps)
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, item)| Some(format!("{}: {}", plain(k)?, python_dumps(item)?)))
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        ),
    })
}

proptest! {
    // A quarter of the cases the other properties run (256, or PROPTEST_CASES).
    #![proptest_config(ProptestConfig {
        cases: ProptestConfig::default().cases.div_ceil(4),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// `Index::find_sent` agrees with the canonical key: the bytes SDKs send for
    /// a recorded body (compact; botocore's spacing when it applies) find it
    /// and hand back exactly the value parsing them gives, and no other
    /// spelling ever finds what the canonical key would not.
    #[test]
    fn byte_exact_lookup_agrees_with_the_canonical_key(body in json_value(), seed in any::<u64>()) {
        let mut loaded = unknown_user();
        loaded.fixture.request.body = Body::Json(body.clone());
        let index = Index::build(vec![loaded], |_| SequenceEnd::RepeatLast).unwrap();
        let mut sdk_forms = vec![serde_json::to_string(&body).unwrap()];
        sdk_forms.extend(python_dumps(&body));
        for sent in &sdk_forms {
            let (found, value) = index
                .find_sent("POST", "/", TARGET, sent.as_bytes())
                .ok_or_else(|| TestCaseError::fail(format!("not found: {sent}")))?;
            prop_assert_eq!(value, &serde_json::from_str::<Value>(sent).unwrap());
            prop_assert_eq!(&found.first().fixture.id, "unknown-user");
        }
        prop_assert!(index.find_sent("POST", "/", "Other.Target", sdk_forms[0].as_bytes()).is_none());
        let spelled = noisy(&body, Noise { integer_forms: true }, &mut rng_from(seed));
        if let Some((_, value)) = index.find_sent("POST", "/", TARGET, spelled.as_bytes()) {
            prop_assert_eq!(value, &serde_json::from_str::<Value>(&spelled).unwrap());
            prop_assert!(index.find(&key_of(spelled.as_bytes())).is_some(), "{}", spelled);
        }
    }
}
