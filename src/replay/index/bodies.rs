//! The recorded JSON request bodies, found without building a canonical key:
//! by the exact bytes a client sends (no parse at all), or by the parsed value.
//!
//! A client replaying its own recording sends the bytes it sent then, and SDKs
//! serialise a body one way: compactly (the JS and Rust SDKs) or with Python's
//! `json.dumps` spacing (botocore, the AWS CLI). Each recorded body is kept in
//! those forms; a request whose body is one of them is the recorded request,
//! and its body *is* the recorded value, so the server need not parse it. Any
//! other spelling of the same JSON (another key order, other spacing or
//! escapes) is found by value, and failing that by canonical key.

use std::sync::Arc;

use serde_json::Value;

use super::hash::{bytes_hash, value_hash, HashedMap};
use super::Prepared;
use crate::fixture::Body;

/// A recorded request with a JSON body.
#[derive(Debug)]
pub(super) struct Recorded {
    /// Its group in the index.
    pub(super) group: usize,
    /// Its `x-amz-target` ("" when it has none).
    target: Box<str>,
    prepared: Arc<Prepared>,
}

impl Recorded {
    fn is(&self, method: &str, path: &str, target: &str) -> bool {
        let request = &self.prepared.fixture.request;
        request.method == method && request.path == path && &*self.target == target
    }

    /// The recorded body.
    pub(super) fn body(&self) -> &Value {
        match &self.prepared.fixture.request.body {
            Body::Json(v) => v,
            _ => unreachable!("only JSON bodies are recorded here"),
        }
    }
}

/// Every recorded JSON body, by value and by the bytes SDKs send for it.
#[derive(Debug, Default)]
pub(super) struct Bodies {
    recorded: Vec<Recorded>,
    /// Indices into `recorded` by [`value_hash`].
    by_value: HashedMap<Vec<u32>>,
    /// Indices into `recorded`, with the bytes, by [`bytes_hash`].
    by_bytes: HashedMap<Vec<(u32, Box<[u8]>)>>,
}

impl Bodies {
    /// Adds a fixture of `group` whose request has a JSON body.
    pub(super) fn add(&mut self, group: usize, target: &str, prepared: &Arc<Prepared>) {
        let request = &prepared.fixture.request;
        let Body::Json(body) = &request.body else {
            return;
        };
        let at = u32::try_from(self.recorded.len()).expect("fewer than 2^32 fixtures");
        let (method, path) = (request.method.as_str(), request.path.as_str());
        self.by_value
            .entry(value_hash(method, path, target, body))
            .or_default()
            .push(at);
        for form in wire_forms(body) {
            let sent = self
                .by_bytes
                .entry(bytes_hash(method, path, target, &form))
                .or_default();
            if !sent.iter().any(|(_, b)| **b == *form) {
                sent.push((at, form.into_boxed_slice()));
            }
        }
        self.recorded.push(Recorded {
            group,
            target: target.into(),
            prepared: prepared.clone(),
        });
    }

    /// The recorded request whose body is exactly these bytes (in a form an SDK
    /// sends), with the same method, path and target.
    pub(super) fn by_bytes(
        &self,
        method: &str,
        path: &str,
        target: &str,
        body: &[u8],
    ) -> Option<&Recorded> {
        let sent = self.by_bytes.get(&bytes_hash(method, path, target, body))?;
        sent.iter()
            .map(|(at, bytes)| (&self.recorded[*at as usize], bytes))
            .find(|(r, bytes)| &bytes[..] == body && r.is(method, path, target))
            .map(|(r, _)| r)
    }

    /// The recorded request whose body equals this value (key order aside), with
    /// the same method, path and target.
    pub(super) fn by_value(
        &self,
        method: &str,
        path: &str,
        target: &str,
        body: &Value,
    ) -> Option<&Recorded> {
        let candidates = self.by_value.get(&value_hash(method, path, target, body))?;
        candidates
            .iter()
            .map(|at| &self.recorded[*at as usize])
            .find(|r| r.is(method, path, target) && same_value(r.body(), body))
    }
}

/// The bytes SDKs send for a body: compact JSON (what `serde_json` and
/// `JSON.stringify` write) and, when the body has only plain ASCII strings and no
/// fractions (so that escapes and number forms cannot differ), Python's
/// `json.dumps` default with `", "` and `": "` (what botocore writes). Each parses
/// back to exactly `body`.
pub(super) fn wire_forms(body: &Value) -> Vec<Vec<u8>> {
    let compact = serde_json::to_vec(body).expect("a JSON value always serialises");
    let mut forms = vec![compact];
    if plain(body) {
        let mut spaced = Vec::with_capacity(forms[0].len() + 16);
        let mut writer = serde_json::Serializer::with_formatter(&mut spaced, PythonSpacing);
        serde::Serialize::serialize(body, &mut writer).expect("a JSON value always serialises");
        if spaced != forms[0] {
            forms.push(spaced);
        }
    }
    forms
}

/// Whether every string of `v` is printable ASCII without `"` or `\` (written
/// alike by every JSON writer) and every number is an integer.
fn plain(v: &Value) -> bool {
    let plain_str = |s: &str| {
        s.bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    };
    match v {
        Value::Null | Value::Bool(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::String(s) => plain_str(s),
        Value::Array(items) => items.iter().all(plain),
        Value::Object(map) => map.iter().all(|(k, item)| plain_str(k) && plain(item)),
    }
}

/// Python's `json.dumps` separators: `", "` between members and items, `": "`
/// after a key.
struct PythonSpacing;

impl serde_json::ser::Formatter for PythonSpacing {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        python_separator(writer, first)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        python_separator(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

/// `", "` before every item or member but the first.
fn python_separator<W: ?Sized + std::io::Write>(
    writer: &mut W,
    first: bool,
) -> std::io::Result<()> {
    if first {
        Ok(())
    } else {
        writer.write_all(b", ")
    }
}

/// `a == b`, quicker when objects list their members in the same order (as a
/// client sending a recorded body again does): compared pairwise, without looking
/// each member up.
fn same_value(a: &Value, b: &Value) -> bool {
    if let (Value::Object(x), Value::Object(y)) = (a, b) {
        if x.len() == y.len() && x.keys().zip(y.keys()).all(|(kx, ky)| kx == ky) {
            return x
                .values()
                .zip(y.values())
                .all(|(vx, vy)| same_value(vx, vy));
        }
    }
    a == b
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_bodies_have_a_compact_and_a_python_form() {
        let body = json!({"UserPoolId": "us-east-1_A", "Username": "u", "N": [1, 2]});
        let forms: Vec<String> = wire_forms(&body)
            .into_iter()
            .map(|f| String::from_utf8(f).unwrap())
            .collect();
        assert_eq!(
            forms,
            [
                r#"{"UserPoolId":"us-east-1_A","Username":"u","N":[1,2]}"#,
                r#"{"UserPoolId": "us-east-1_A", "Username": "u", "N": [1, 2]}"#,
            ]
        );
    }

    #[test]
    fn escapes_and_fractions_keep_only_the_compact_form() {
        for body in [
            json!({"a": "é", "b": 1}),
            json!({"a": "x\"y", "b": 1}),
            json!({"a": 1.5, "b": 1}),
            json!(["\n", 1]),
        ] {
            assert_eq!(wire_forms(&body).len(), 1, "{body}");
        }
        // One member, no separator: both forms are the same bytes, kept once.
        assert_eq!(wire_forms(&json!({})).len(), 1);
    }

    #[test]
    fn every_form_parses_back_to_the_body() {
        for body in [
            json!({"UserPoolId": "us-east-1_A", "Username": "é\u{1}", "DeviceKey": "k"}),
            json!({"a": [1, -2, 3.25, 1e300, null, true], "b": {"c": "d"}}),
        ] {
            for form in wire_forms(&body) {
                assert_eq!(serde_json::from_slice::<Value>(&form).unwrap(), body);
            }
        }
    }
}
