//! Hashing for the index's maps: a quick hasher for long keys, and hashes of a
//! request's identity (method, path, target) with its body, as a JSON value or
//! as the exact bytes sent.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

use crate::fixture::RequestKey;

/// A hasher for request keys, which are long (method, path, target and body) and
/// looked up once per request: eight bytes a step instead of SipHash's one. The
/// keys in the map all come from fixtures, so a client cannot flood it with
/// colliding keys; a lookup costs one probe whatever the client sends.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl KeyHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // murmur3's fmix64, so that the high bits hashbrown uses are mixed too.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

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
