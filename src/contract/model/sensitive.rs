//! Where an operation's input or output holds sensitive values.
//!
//! A value is sensitive when its shape is marked `sensitive` in the model
//! (PasswordType, TokenModelType, SessionType, UsernameType, AttributeValueType,
//! AuthParametersType, …): everything at or below it is. Each operation's input
//! and output are searched once, when the model is loaded, through structures,
//! lists and maps, so that redaction, scanning and key normalisation need no
//! search of their own: they walk the paths here.

use std::fmt;

use serde_json::Value;

use super::{Kind, Shape, ShapeId};

/// One step from a structure towards a sensitive value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// A structure member, by its JSON name.
    Member(String),
    /// Every element of a list.
    Item,
    /// Every value of a map.
    MapValue,
}

/// The path to a sensitive value: `UserAttributes[].Value` (the `Value` of every
/// element of the `UserAttributes` list), `AuthParameters` (the whole map),
/// `ClientMetadata{}` (every value of a map).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SensitivePath {
    pub steps: Vec<Step>,
    /// The sensitive shape the path ends at (`PasswordType`). When a map's key
    /// shape is sensitive, the path ends at the map and names the key shape.
    pub shape: String,
}

impl fmt::Display for SensitivePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for step in &self.steps {
            match step {
                Step::Member(name) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                Step::Item => f.write_str("[]")?,
                Step::MapValue => f.write_str("{}")?,
            }
            first = false;
        }
        Ok(())
    }
}

impl SensitivePath {
    /// Every value at this path in `body` (a request or response body).
    pub fn find<'v>(&self, body: &'v Value) -> Vec<&'v Value> {
        let mut out = Vec::new();
        walk(body, &self.steps, &mut |v| out.push(v));
        out
    }

    /// Calls `f` on every value at this path in `body`, mutably.
    pub fn for_each_mut(&self, body: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        walk_mut(body, &self.steps, f);
    }
}

fn walk<'v>(value: &'v Value, steps: &[Step], f: &mut dyn FnMut(&'v Value)) {
    let Some((step, rest)) = steps.split_first() else {
        if !value.is_null() {
            f(value);
        }
        return;
    };
    match (step, value) {
        (Step::Member(name), Value::Object(map)) => {
            if let Some(v) = map.get(name) {
                walk(v, rest, f);
            }
        }
        (Step::Item, Value::Array(items)) => items.iter().for_each(|v| walk(v, rest, f)),
        (Step::MapValue, Value::Object(map)) => map.values().for_each(|v| walk(v, rest, f)),
        _ => {}
    }
}

fn walk_mut(value: &mut Value, steps: &[Step], f: &mut dyn FnMut(&mut Value)) {
    let Some((step, rest)) = steps.split_first() else {
        if !value.is_null() {
            f(value);
        }
        return;
    };
    match (step, value) {
        (Step::Member(name), Value::Object(map)) => {
            if let Some(v) = map.get_mut(name) {
                walk_mut(v, rest, f);
            }
        }
        (Step::Item, Value::Array(items)) => items.iter_mut().for_each(|v| walk_mut(v, rest, f)),
        (Step::MapValue, Value::Object(map)) => map.values_mut().for_each(|v| walk_mut(v, rest, f)),
        _ => {}
    }
}

/// The sensitive paths under `root` (an operation's input or output shape).
pub(super) fn paths(shapes: &[Shape], root: Option<ShapeId>) -> Vec<SensitivePath> {
    paths_where(shapes, root, &|s| s.sensitive)
}

/// The paths under `root` to every shape `wanted` picks (and to maps whose
/// key shape it picks), each search stopping at the first such shape.
pub(super) fn paths_where(
    shapes: &[Shape],
    root: Option<ShapeId>,
    wanted: &dyn Fn(&Shape) -> bool,
) -> Vec<SensitivePath> {
    let mut out = Vec::new();
    if let Some(root) = root {
        let mut steps = Vec::new();
        let mut stack = Vec::new();
        search(shapes, root, wanted, &mut steps, &mut stack, &mut out);
    }
    out
}

fn search(
    shapes: &[Shape],
    id: ShapeId,
    wanted: &dyn Fn(&Shape) -> bool,
    steps: &mut Vec<Step>,
    stack: &mut Vec<ShapeId>,
    out: &mut Vec<SensitivePath>,
) {
    let shape = &shapes[id.0 as usize];
    if wanted(shape) {
        out.push(SensitivePath {
            steps: steps.clone(),
            shape: shape.name.clone(),
        });
        return;
    }
    // A recursive shape is searched once along any one path.
    if stack.contains(&id) {
        return;
    }
    stack.push(id);
    match &shape.kind {
        Kind::Structure { members } => {
            for m in members {
                steps.push(Step::Member(m.name.clone()));
                search(shapes, m.target, wanted, steps, stack, out);
                steps.pop();
            }
        }
        Kind::List { member } => {
            steps.push(Step::Item);
            search(shapes, *member, wanted, steps, stack, out);
            steps.pop();
        }
        Kind::Map { key, value } => {
            let key_shape = &shapes[key.0 as usize];
            if wanted(key_shape) {
                out.push(SensitivePath {
                    steps: steps.clone(),
                    shape: key_shape.name.clone(),
                });
            } else {
                steps.push(Step::MapValue);
                search(shapes, *value, wanted, steps, stack, out);
                steps.pop();
            }
        }
        _ => {}
    }
    stack.pop();
}
