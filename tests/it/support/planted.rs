//! Random exchanges of any operation with a sensitive input or output, with a
//! distinctive value planted at every sensitive path: for the redaction
//! properties (tests/it/prop_redaction.rs), and for anything that must prove a
//! recorded exchange still replays (plant, record, replay the request).
//!
//! Planted values take the forms real ones do — plain text, e-mail, phone,
//! UUID, JWT, six-digit code, too long — and the wrongly typed ones clients
//! send by mistake (a number, a list, an object); an object whose key is the
//! planted value is the one form redaction must refuse.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use tapedeck::contract::model::{self, Operation, SensitivePath, Step};

use super::bodies::{generate, Rng};

/// Every planted value contains this, except numbers and the shaped forms,
/// whose whole text is searched instead.
pub const MARK: &str = "Zq7Plant";

/// One generated exchange.
#[derive(Debug, Clone)]
pub struct Planted {
    pub operation: &'static Operation,
    pub request: Value,
    pub response: Value,
    /// The texts that must not be written: each planted value (the JWT whole
    /// and the mark inside it).
    pub values: Vec<String>,
    /// Whether a planted value is an object (its keys are values redaction
    /// cannot rewrite: it must refuse the write).
    pub in_key: bool,
}

/// Operations whose input or output holds something sensitive.
pub fn sensitive_operations() -> Vec<&'static Operation> {
    model::get()
        .operations()
        .iter()
        .filter(|op| !op.sensitive_input().is_empty() || !op.sensitive_output().is_empty())
        .collect()
}

/// Sets the value at `steps` (creating what is missing on the way) to `value`.
pub fn plant(body: &mut Value, steps: &[Step], value: Value) {
    let Some((step, rest)) = steps.split_first() else {
        *body = value;
        return;
    };
    match step {
        Step::Member(name) => {
            if !body.is_object() {
                *body = Value::Object(Map::new());
            }
            let slot = body
                .as_object_mut()
                .unwrap()
                .entry(name.clone())
                .or_insert(Value::Null);
            plant(slot, rest, value);
        }
        Step::Item => {
            if body.as_array().is_none_or(|a| a.is_empty()) {
                *body = json!([{}]);
            }
            for item in body.as_array_mut().unwrap() {
                plant(item, rest, value.clone());
            }
        }
        Step::MapValue => {
            if body.as_object().is_none_or(|o| o.is_empty()) {
                *body = json!({ "k": {} });
            }
            for v in body.as_object_mut().unwrap().values_mut() {
                plant(v, rest, value.clone());
            }
        }
    }
}

fn jwt(subject: &str) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(json!({"alg": "RS256", "kid": "k"})),
        part(json!({"sub": subject, "email": format!("{subject}@example.org")})),
        URL_SAFE_NO_PAD.encode(subject)
    )
}

/// A value for a path, of one of the forms above; the texts to search for.
fn value(rng: &mut Rng, path: &SensitivePath, n: u64) -> (Value, Vec<String>, bool) {
    let mark = format!("{MARK}{n}x{}", rng.below(1_000_000));
    let text = |s: String| (json!(s.clone()), vec![s], false);
    match path.shape.as_str() {
        "AuthParametersType" | "ChallengeResponsesType" => {
            let keys = [
                "USERNAME",
                "PASSWORD",
                "SECRET_HASH",
                "SRP_A",
                "SMS_MFA_CODE",
                "NEW_PASSWORD",
                "SOMETHING_NEW",
            ];
            let mut map = Map::new();
            let mut found = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                if rng.chance(60) {
                    let v = format!("{mark}{k}{i}");
                    map.insert((*k).to_owned(), json!(v.clone()));
                    found.push(v);
                }
            }
            return (Value::Object(map), found, false);
        }
        "UserContextDataType" => {
            let data = format!("{mark}data");
            let ip = format!("198.51.{}.{}", rng.below(256), rng.below(256));
            return (
                json!({"IpAddress": ip, "EncodedData": data}),
                vec![data, ip],
                false,
            );
        }
        _ => {}
    }
    match rng.below(11) {
        0 => text(format!("{mark}@example.org")),
        1 => text(format!("+4915{:09}", rng.below(1_000_000_000))),
        2 => {
            let id = uuid::Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next()));
            text(id.hyphenated().to_string())
        }
        3 => {
            let token = jwt(&mark);
            (json!(token.clone()), vec![token, mark], false)
        }
        4 => text(format!("{mark}{}", "y".repeat(rng.below(300) as usize))),
        5 => text(format!("{mark} with spaces")),
        6 => {
            let n = 900_000_000 + rng.below(99_999_999);
            (json!(n), vec![n.to_string()], false)
        }
        7 => (
            json!([format!("{mark}-in-a-list")]),
            vec![format!("{mark}-in-a-list")],
            false,
        ),
        // Keys inside a sensitive value cannot be rewritten: any object
        // where a scalar belongs is refused.
        8 => (
            json!({"k": format!("{mark}-in-a-map")}),
            vec![format!("{mark}-in-a-map")],
            true,
        ),
        9 => (
            json!({format!("{mark}-as-a-key"): "v"}),
            vec![format!("{mark}-as-a-key")],
            true,
        ),
        _ => text(mark),
    }
}

/// A random exchange of `op` with a value planted at every sensitive path.
pub fn planted(rng: &mut Rng, op: &'static Operation) -> Planted {
    let mut out = Planted {
        operation: op,
        request: json!({}),
        response: json!({}),
        values: Vec::new(),
        in_key: false,
    };
    for (root, paths, body) in [
        (op.input, op.sensitive_input(), &mut out.request),
        (op.output, op.sensitive_output(), &mut out.response),
    ] {
        if let Some(root) = root {
            *body = generate(rng, root, 0);
        }
        if !body.is_object() {
            *body = json!({});
        }
        for path in paths {
            let n = rng.next();
            let (v, texts, in_key) = value(rng, path, n);
            plant(body, &path.steps, v);
            out.values.extend(texts);
            out.in_key |= in_key;
        }
    }
    out
}
