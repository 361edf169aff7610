//! Random request bodies for any operation of the model, around each shape's
//! bounds, with an occasional JSON type the shape cannot take. Never a `null`
//! nor an unknown member, never a boolean or a fraction where a number belongs
//! (see tests/it/model_oracle.rs for why).

use serde_json::{json, Map, Value};
use tapedeck::contract::model::{self, Kind, Operation, Shape, ShapeId};

/// SplitMix64: a small, seedable generator (the run must be reproducible).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

/// Lengths or values around a shape's bounds.
fn around(rng: &mut Rng, min: Option<i64>, max: Option<i64>, default: (i64, i64)) -> i64 {
    let mut options = vec![default.0, default.1];
    if let Some(m) = min {
        options.extend([m - 1, m, m + 1]);
    }
    if let Some(m) = max.filter(|m| *m <= 300) {
        options.extend([m, m + 1]);
    }
    rng.pick(&options)
}

fn text(rng: &mut Rng, len: i64) -> String {
    let alphabet = ['a', 'b', 'Z', '7', '_', 'é', '中', '😀'];
    (0..len.max(0)).map(|_| rng.pick(&alphabet)).collect()
}

/// A JSON value of the wrong type for a shape (one botocore rejects).
fn wrong_type(rng: &mut Rng, shape: &Shape) -> Option<Value> {
    Some(match shape.kind {
        Kind::String | Kind::Blob => {
            rng.pick(&[json!(12), json!(true), json!(["x"]), json!({"a": "b"})])
        }
        Kind::Integer | Kind::Long | Kind::Float | Kind::Double => {
            rng.pick(&[json!("12"), json!(["1"]), json!({"a": 1})])
        }
        Kind::Boolean => rng.pick(&[json!("true"), json!(1), json!([true])]),
        Kind::Structure { .. } | Kind::Map { .. } => rng.pick(&[json!("x"), json!(3), json!([{}])]),
        Kind::List { .. } => rng.pick(&[json!("x"), json!(3), json!({"a": 1})]),
        Kind::Timestamp | Kind::Document => return None,
    })
}

/// The operations whose input holds something sensitive: the ones the
/// redaction and validation properties draw from.
pub fn sensitive_operations() -> Vec<&'static Operation> {
    model::get()
        .operations()
        .iter()
        .filter(|op| !op.sensitive_input().is_empty())
        .collect()
}

/// A body (or part of one) of shape `id`.
pub fn generate(rng: &mut Rng, id: ShapeId, depth: usize) -> Value {
    let m = model::get();
    let shape = m.shape(id);
    if rng.chance(3) {
        if let Some(v) = wrong_type(rng, shape) {
            return v;
        }
    }
    match &shape.kind {
        Kind::String => match &shape.enum_values {
            Some(values) if rng.chance(80) => {
                json!(values[rng.below(values.len() as u64) as usize])
            }
            _ => {
                let len = around(rng, shape.min, shape.max, (1, 6));
                json!(text(rng, len))
            }
        },
        Kind::Integer | Kind::Long | Kind::Float | Kind::Double => {
            json!(around(rng, shape.min, shape.max, (-3, 40)))
        }
        Kind::Boolean => json!(rng.chance(50)),
        Kind::Blob => {
            use base64::Engine as _;
            let len = around(rng, shape.min, shape.max, (0, 5)).max(0) as usize;
            json!(base64::engine::general_purpose::STANDARD.encode(vec![7u8; len]))
        }
        Kind::Timestamp => json!(1_700_000_000),
        Kind::Document => json!({}),
        Kind::Structure { members } => {
            let mut out = Map::new();
            if depth > 4 {
                return Value::Object(out);
            }
            for mm in members {
                let keep = if mm.required { 85 } else { 45 };
                if rng.chance(keep) {
                    out.insert(mm.name.clone(), generate(rng, mm.target, depth + 1));
                }
            }
            Value::Object(out)
        }
        Kind::List { member } => {
            if depth > 4 {
                return json!([]);
            }
            let len = around(rng, shape.min, shape.max.filter(|m| *m <= 6), (0, 2)).clamp(0, 7);
            Value::Array(
                (0..len)
                    .map(|_| generate(rng, *member, depth + 1))
                    .collect(),
            )
        }
        Kind::Map { key, value } => {
            let key_shape = m.shape(*key);
            let mut out = Map::new();
            for i in 0..rng.below(3) {
                let len = around(rng, key_shape.min, key_shape.max, (1, 3)).clamp(0, 8);
                let mut k = if len == 0 {
                    String::new()
                } else {
                    format!("k{i}")
                };
                while (k.len() as i64) < len {
                    k.push('a');
                }
                out.insert(k, generate(rng, *value, depth + 1));
            }
            Value::Object(out)
        }
    }
}
