//! AWS-style validation of any operation's input, generated from the model.
//!
//! The service first deserialises the body against the input shape — a JSON
//! type the shape cannot take (a string where an integer belongs) stops it with
//! a `SerializationException` — then checks every constraint and reports all
//! violations in one `InvalidParameterException` message:
//!
//! ```text
//! 2 validation errors detected: Value null at 'deviceKey' failed to satisfy constraint: Member must not be null; Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128
//! ```
//!
//! What is checked, per shape: required members (absent and `null` alike),
//! string length (Unicode scalar values), list and map size, blob size (decoded
//! bytes), numeric range, pattern (see [`crate::contract::model::JavaPattern`]),
//! enum. Nested values are reported at the path AWS prints: structure members
//! joined with `.`, list elements as `name.N.member` (1-based), so
//! `userAttributes.1.member.value`. A list of scalars whose elements break their
//! shape is reported once at the list, with every constraint of the element
//! shape (`Member must satisfy constraint: [...]`); maps likewise (`Map keys must
//! satisfy constraint: [...]`, then `Map value must satisfy constraint: [...]`).
//!
//! Violations come in model order (members in declaration order, depth first;
//! within a value: length, pattern, enum). AWS's own order is not always the
//! model's (public captures show a hash order for both violations and enum
//! value sets), so compare violation *sets* where order matters. A sensitive
//! value, or a list or map holding one, is never printed. Unknown members are
//! ignored, as the service ignores them. docs/validation.md cites the evidence
//! for each form and says where there is none.

mod render;
mod violation;

use serde_json::{Map, Value};

use super::model::{self, Kind, Member, Model, Operation, Shape, ShapeId};
pub(crate) use render::render;
pub use violation::{Constraint, Shown, Validation, Violation};

/// Validates a request body against `op`'s input shape. An operation without an
/// input takes any JSON object.
pub fn validate(op: &Operation, body: &Value) -> Validation {
    let model = model::get();
    let Some(object) = body.as_object() else {
        return Validation::Serialization {
            message: format!(
                "Start of structure or map expected, found {}",
                json_kind(body)
            ),
            path: String::new(),
        };
    };
    let Some(input) = op.input else {
        return Validation::Valid;
    };
    let Kind::Structure { members } = &model.shape(input).kind else {
        return Validation::Valid;
    };
    let mut walk = Walk {
        model,
        out: Vec::new(),
    };
    match walk.structure(members, object, "") {
        Err((message, path)) => Validation::Serialization { message, path },
        Ok(()) if walk.out.is_empty() => Validation::Valid,
        Ok(()) => Validation::Invalid(walk.out),
    }
}

/// Validates a body sent with the `X-Amz-Target` value `target`; `None` when the
/// target names no operation of the model.
pub fn validate_target(target: &str, body: &Value) -> Option<Validation> {
    model::operation_for_target(target).map(|op| validate(op, body))
}

struct Walk {
    model: &'static Model,
    out: Vec<Violation>,
}

/// A JSON type the shape cannot take: the `SerializationException` message and
/// where.
type TypeError = (String, String);

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

impl Walk {
    fn structure(
        &mut self,
        members: &'static [Member],
        object: &Map<String, Value>,
        path: &str,
    ) -> Result<(), TypeError> {
        for m in members {
            let at = join(path, &m.wire_name);
            match object.get(&m.name) {
                None | Some(Value::Null) if m.required => self.out.push(Violation {
                    path: at,
                    value: Shown::Null,
                    constraint: Constraint::NotNull,
                }),
                None | Some(Value::Null) => {}
                Some(v) => self.value(m.target, v, at)?,
            }
        }
        Ok(())
    }

    fn value(&mut self, id: ShapeId, v: &Value, path: String) -> Result<(), TypeError> {
        let shape: &'static Shape = self.model.shape(id);
        match (&shape.kind, v) {
            (Kind::Structure { members }, Value::Object(o)) => self.structure(members, o, &path),
            (Kind::List { member }, Value::Array(items)) => self.list(id, *member, v, items, path),
            (Kind::Map { key, value }, Value::Object(o)) => self.map(id, *key, *value, v, o, path),
            _ => {
                let failed = scalar_failures(shape, v).map_err(|m| (m, path.clone()))?;
                for constraint in failed {
                    self.out.push(Violation {
                        path: path.clone(),
                        value: self.shown(id, v),
                        constraint,
                    });
                }
                Ok(())
            }
        }
    }

    fn list(
        &mut self,
        id: ShapeId,
        member: ShapeId,
        whole: &Value,
        items: &[Value],
        path: String,
    ) -> Result<(), TypeError> {
        let element = self.model.shape(member);
        if element.is_scalar() {
            let mut broken = false;
            for item in items.iter().filter(|i| !i.is_null()) {
                broken |= !scalar_failures(element, item)
                    .map_err(|m| (m, path.clone()))?
                    .is_empty();
            }
            self.size(id, items.len(), whole, &path);
            if broken {
                self.out.push(Violation {
                    value: self.shown(id, whole),
                    path,
                    constraint: Constraint::Elements(all_constraints(element)),
                });
            }
            return Ok(());
        }
        self.size(id, items.len(), whole, &path);
        for (i, item) in items.iter().enumerate() {
            if !item.is_null() {
                self.value(member, item, format!("{path}.{}.member", i + 1))?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn map(
        &mut self,
        id: ShapeId,
        key: ShapeId,
        value: ShapeId,
        whole: &Value,
        object: &Map<String, Value>,
        path: String,
    ) -> Result<(), TypeError> {
        let key_shape = self.model.shape(key);
        let value_shape = self.model.shape(value);
        self.size(id, object.len(), whole, &path);
        let mut keys_broken = false;
        for k in object.keys() {
            keys_broken |= !scalar_failures(key_shape, &Value::String(k.clone()))
                .map_err(|m| (m, path.clone()))?
                .is_empty();
        }
        if keys_broken {
            self.out.push(Violation {
                path: path.clone(),
                value: self.shown(id, whole),
                constraint: Constraint::MapKeys(all_constraints(key_shape)),
            });
        }
        if value_shape.is_scalar() {
            let mut broken = false;
            for (k, v) in object.iter().filter(|(_, v)| !v.is_null()) {
                broken |= !scalar_failures(value_shape, v)
                    .map_err(|m| (m, format!("{path}.{k}")))?
                    .is_empty();
            }
            if broken {
                self.out.push(Violation {
                    value: self.shown(id, whole),
                    path,
                    constraint: Constraint::MapValues(all_constraints(value_shape)),
                });
            }
            return Ok(());
        }
        // No public capture shows the path of a nested map value; the key is
        // used as a list index is.
        for (k, v) in object {
            if !v.is_null() {
                self.value(value, v, format!("{path}.{k}.member"))?;
            }
        }
        Ok(())
    }

    /// The size constraints of a list or map.
    fn size(&mut self, id: ShapeId, len: usize, whole: &Value, path: &str) {
        let shape = self.model.shape(id);
        let len = len as i64;
        let mut push = |constraint| {
            self.out.push(Violation {
                path: path.to_owned(),
                value: if self.model.holds_sensitive(id) {
                    Shown::Hidden
                } else {
                    Shown::Text(render(whole))
                },
                constraint,
            })
        };
        if let Some(min) = shape.min.filter(|m| len < *m) {
            push(Constraint::MinLength(min));
        }
        if let Some(max) = shape.max.filter(|m| len > *m) {
            push(Constraint::MaxLength(max));
        }
    }

    fn shown(&self, id: ShapeId, v: &Value) -> Shown {
        if self.model.holds_sensitive(id) {
            Shown::Hidden
        } else {
            Shown::Text(render(v))
        }
    }
}

/// The constraints of a scalar shape that `value` breaks, in reporting order;
/// none when its JSON type does not fit the shape (that is a serialisation
/// error, see [`validate`]).
pub(crate) fn scalar_constraints(shape: &'static Shape, value: &Value) -> Vec<Constraint> {
    scalar_failures(shape, value).unwrap_or_default()
}

/// The constraints a scalar value breaks, in reporting order (length, value,
/// pattern, enum); or the serialisation error if its JSON type does not fit.
fn scalar_failures(shape: &'static Shape, v: &Value) -> Result<Vec<Constraint>, String> {
    let mut out = Vec::new();
    let mut range = |measure: f64, length: bool| {
        if let Some(min) = shape.min.filter(|m| measure < *m as f64) {
            out.push(if length {
                Constraint::MinLength(min)
            } else {
                Constraint::MinValue(min)
            });
        }
        if let Some(max) = shape.max.filter(|m| measure > *m as f64) {
            out.push(if length {
                Constraint::MaxLength(max)
            } else {
                Constraint::MaxValue(max)
            });
        }
    };
    match (&shape.kind, v) {
        (Kind::String, Value::String(s)) => {
            range(s.chars().count() as f64, true);
            if !shape.pattern_matches(s) {
                out.push(Constraint::Pattern(
                    shape.pattern.as_deref().unwrap_or_default(),
                ));
            }
            if let Some(values) = &shape.enum_values {
                if !values.iter().any(|e| e == s) {
                    out.push(Constraint::Enum(values));
                }
            }
        }
        (Kind::Integer | Kind::Long | Kind::Float | Kind::Double, Value::Number(n)) => {
            range(n.as_f64().unwrap_or_default(), false);
        }
        (Kind::Blob, Value::String(s)) => {
            use base64::Engine as _;
            if s.len() % 4 != 0 {
                return Err(format!(
                    "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
                    s.len()
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| "only base-64-encoded strings are convertible to bytes".to_owned())?;
            range(bytes.len() as f64, true);
        }
        (Kind::Boolean, Value::Bool(_))
        | (Kind::Timestamp, Value::Number(_) | Value::String(_))
        | (Kind::Document, _) => {}
        (kind, other) => return Err(type_error(kind, other)),
    }
    Ok(out)
}

/// Every constraint of a scalar shape, in the order AWS lists them inside
/// `must satisfy constraint: [...]`: maximum before minimum, then pattern, enum.
fn all_constraints(shape: &'static Shape) -> Vec<Constraint> {
    let mut out = Vec::new();
    let length = !matches!(
        shape.kind,
        Kind::Integer | Kind::Long | Kind::Float | Kind::Double
    );
    if let Some(max) = shape.max {
        out.push(if length {
            Constraint::MaxLength(max)
        } else {
            Constraint::MaxValue(max)
        });
    }
    if let Some(min) = shape.min {
        out.push(if length {
            Constraint::MinLength(min)
        } else {
            Constraint::MinValue(min)
        });
    }
    if let Some(p) = &shape.pattern {
        out.push(Constraint::Pattern(p));
    }
    if let Some(values) = &shape.enum_values {
        out.push(Constraint::Enum(values));
    }
    out
}

/// The `SerializationException` message for a JSON value the shape cannot take.
/// Cognito's own text is used where a public capture shows it (a number for a
/// string); the rest follows the Coral front end AWS's JSON services share, as
/// DynamoDB shows it. See docs/validation.md.
fn type_error(kind: &Kind, found: &Value) -> String {
    let java = match kind {
        Kind::String => "String",
        Kind::Integer => "Integer",
        Kind::Long => "Long",
        Kind::Float => "Float",
        Kind::Double => "Double",
        Kind::Boolean => "Boolean",
        Kind::Timestamp => "Date",
        Kind::Blob => return "only base-64-encoded strings are convertible to bytes".into(),
        Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. } | Kind::Document => {
            return match found {
                Value::Array(_) => "Start of list found where not expected".into(),
                Value::Object(_) => "Start of structure or map found where not expected".into(),
                _ => "Unexpected field type".into(),
            }
        }
    };
    match found {
        Value::Number(_) if java == "String" => {
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String".into()
        }
        Value::Number(n) if n.is_f64() => format!("DECIMAL_VALUE cannot be converted to {java}"),
        Value::Number(_) => format!("NUMBER_VALUE cannot be converted to {java}"),
        Value::Bool(true) => format!("TRUE_VALUE cannot be converted to {java}"),
        Value::Bool(false) => format!("FALSE_VALUE cannot be converted to {java}"),
        Value::String(_) if java == "Boolean" => "Unexpected token received from parser".into(),
        Value::String(_) => format!("STRING_VALUE cannot be converted to {java}"),
        Value::Array(_) => format!("Unrecognized collection type class java.lang.{java}"),
        Value::Object(_) => "Start of structure or map found where not expected".into(),
        Value::Null => format!("null cannot be converted to {java}"),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
