//! Hashing for the index's maps: hashes of a request's identity (method, path,
//! target) with its body, as a JSON value or as the exact bytes sent, with
//! [`KeyHasher`] (see [`crate::replay::tuning`]).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

use crate::fixture::RequestKey;
pub(crate) use crate::replay::tuning::KeyHasher;

pub(super) type KeyMap<V> = HashMap<RequestKey, V, BuildHasherDefault<KeyHasher>>;

/// A map keyed by an already computed [`KeyHasher`] hash.
pub(super) type HashedMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// A request's method, path and target, hashed unambiguously (lengths first).
fn identity(method: &str, path: &str, target: &str) -> KeyHasher {
    let mut h = KeyHasher::default();
    h.write(method.as_bytes());
    h.write_usize(path.len());
    h.write(path.as_bytes());
    h.write_usize(target.len());
    h.write(target.as_bytes());
    h
}

/// A hash of a request's method, path, target and exact body bytes.
pub(super) fn bytes_hash(method: &str, path: &str, target: &str, body: &[u8]) -> u64 {
    let mut h = identity(method, path, target);
    h.write_usize(body.len());
    h.write(body);
    h.finish()
}

/// A hash of a request's method, path, target and JSON body that agrees with
/// `Value`'s equality: object members are combined in any order. Equal values hash
/// alike; values that are only canonically equal (`1` and `1.0`) may not.
pub(super) fn value_hash(method: &str, path: &str, target: &str, body: &Value) -> u64 {
    let mut h = identity(method, path, target);
    h.write_u64(hash_json(body));
    h.finish()
}

fn hash_json(v: &Value) -> u64 {
    let mut h = KeyHasher::default();
    match v {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => h.write_u8(1 + u8::from(*b)),
        Value::Number(n) => {
            h.write_u8(3);
            if let Some(u) = n.as_u64() {
                h.write_u64(u);
            } else if let Some(i) = n.as_i64() {
                h.write_u64(i as u64 ^ 0x8000_0000_0000_0000);
            } else if let Some(f) = n.as_f64() {
                h.write_u64(f.to_bits());
            }
        }
        Value::String(s) => {
            h.write_u8(4);
            h.write_usize(s.len());
            h.write(s.as_bytes());
        }
        Value::Array(items) => {
            h.write_u8(5);
            h.write_usize(items.len());
            for item in items {
                h.write_u64(hash_json(item));
            }
        }
        Value::Object(map) => {
            h.write_u8(6);
            h.write_usize(map.len());
            // Members in any order: a sum of per-member hashes.
            let mut sum = 0u64;
            for (k, item) in map {
                let mut m = KeyHasher::default();
                m.write_usize(k.len());
                m.write(k.as_bytes());
                m.write_u64(hash_json(item));
                sum = sum.wrapping_add(m.finish());
            }
            h.write_u64(sum);
        }
    }
    h.finish()
}
