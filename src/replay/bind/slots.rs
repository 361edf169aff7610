//! Where a fixture's request holds what recording replaced, and the
//! normalised key that finds such fixtures in one hash probe.
//!
//! Every string at a sensitive path of the operation's input (the model's
//! [`Operation::sensitive_input`], walked by [`leaves`]) is a *place*. In a
//! fixture, a place holds a pseudonym (an identifier the recorder replaced),
//! a placeholder (a secret it replaced) or a literal (an authored
//! `tapedeck-ghost`, an inert `true`). A fixture with at least one pseudonym
//! or placeholder has [`Slots`] and is matched by binding; any other is
//! literal and matched exactly, as before.
//!
//! The normalised body has every place's string replaced by [`MARK`]: a
//! request and a fixture that differ only in what their places hold have the
//! same normalised key.

use serde_json::Value;

use crate::contract::model::Operation;
use crate::fixture::sensitive::{leaves, recognise, sensitive_paths, Recognised, Side, Spot};
use crate::fixture::RequestKey;

/// What every place holds in a normalised body.
pub(crate) const MARK: &str = "\u{0}tapedeck:sensitive\u{0}";

/// What a place of a fixture's request holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Holds {
    /// A pseudonym: it stands for whatever value the client sends there,
    /// the same value wherever it recurs in a run.
    Pseudonym(Box<str>),
    /// A placeholder: any value matches, and nothing is bound.
    Placeholder,
    /// An ordinary value: the request must hold the same.
    Literal(Box<str>),
}

/// One place: a sensitive string of a fixture's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// RFC 6901 pointer into the request body (`/AuthParameters/USERNAME`).
    pub pointer: Box<str>,
    pub holds: Holds,
}

/// The places of a fixture's request that recording replaced, and its others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slots {
    pub places: Box<[Place]>,
}

impl Slots {
    /// The slots of a fixture's request body for `op`; `None` when no place
    /// holds a pseudonym or a placeholder (a literal fixture).
    pub(crate) fn of(op: &'static Operation, body: &Value) -> Option<Slots> {
        let places: Vec<Place> = leaves(Some(op), Side::Request, body)
            .into_iter()
            .filter_map(|leaf| {
                let Spot::Value(Value::String(s)) = leaf.spot else {
                    return None;
                };
                let holds = match recognise(s) {
                    Some(Recognised::Pseudonym(_)) => Holds::Pseudonym(s.as_str().into()),
                    Some(Recognised::Placeholder(_)) => Holds::Placeholder,
                    None => Holds::Literal(s.as_str().into()),
                };
                Some(Place {
                    pointer: leaf.pointer.into_boxed_str(),
                    holds,
                })
            })
            .collect();
        places
            .iter()
            .any(|p| !matches!(p.holds, Holds::Literal(_)))
            .then(|| Slots {
                places: places.into_boxed_slice(),
            })
    }

    /// Whether any place holds a pseudonym (and so binds).
    #[cfg(test)]
    pub(crate) fn binds(&self) -> bool {
        self.places
            .iter()
            .any(|p| matches!(p.holds, Holds::Pseudonym(_)))
    }

    /// The place at `pointer`, if it is one.
    pub(crate) fn at(&self, pointer: &str) -> Option<&Place> {
        self.places.iter().find(|p| &*p.pointer == pointer)
    }
}

/// `body` with the string of every place replaced by [`MARK`]; `None` when it
/// has no place. (Every string at or under the end of a sensitive path: the
/// strings [`leaves`] finds, without spelling out their pointers.)
pub(crate) fn normalised(op: &'static Operation, body: &Value) -> Option<Value> {
    let mut paths = sensitive_paths(op, Side::Request).peekable();
    paths.peek()?;
    let mut out = body.clone();
    let mut any = false;
    for path in paths {
        path.for_each_mut(&mut out, &mut |v| any |= mark(v));
    }
    any.then_some(out)
}

/// Replaces every string at or under `v` by [`MARK`]; whether there was one.
fn mark(v: &mut Value) -> bool {
    match v {
        Value::String(s) => {
            MARK.clone_into(s);
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |any, item| mark(item) | any),
        Value::Object(map) => map.values_mut().fold(false, |any, item| mark(item) | any),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The normalised key of a request: its canonical key with every place's
/// string replaced by [`MARK`]; `None` when it has no place.
pub(crate) fn normalised_key(
    method: &str,
    path: &str,
    target: &str,
    op: &'static Operation,
    body: &Value,
) -> Option<RequestKey> {
    normalised(op, body).map(|b| RequestKey::from_json(method, path, target, &b))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::contract::model;
    use crate::fixture::sensitive::{placeholder, pseudonym};

    fn op(name: &str) -> &'static Operation {
        model::get().operation(name).unwrap()
    }

    #[test]
    fn recorded_places_are_slots_and_authored_ones_literal() {
        let user = pseudonym("alice", None);
        let password = placeholder("PasswordType", None, None, "hunter2!");
        let body = json!({
            "UserPoolId": "us-east-1_A",
            "Username": user,
            "TemporaryPassword": password,
            "UserAttributes": [{"Name": "email_verified", "Value": "true"}]
        });
        let slots = Slots::of(op("AdminCreateUser"), &body).unwrap();
        let places: Vec<(&str, &Holds)> = slots
            .places
            .iter()
            .map(|p| (&*p.pointer, &p.holds))
            .collect();
        assert!(places.contains(&("/Username", &Holds::Pseudonym(user.as_str().into()))));
        assert!(places.contains(&("/TemporaryPassword", &Holds::Placeholder)));
        assert!(places.contains(&("/UserAttributes/0/Value", &Holds::Literal("true".into()))));
        assert!(slots.binds());

        let authored =
            json!({"UserPoolId": "us-east-1_A", "Username": "tapedeck-ghost", "DeviceKey": "k_1"});
        assert_eq!(Slots::of(op("AdminForgetDevice"), &authored), None);
    }

    #[test]
    fn requests_differing_only_in_places_share_a_normalised_key() {
        let forget = op("AdminForgetDevice");
        let key = |b: &Value| normalised_key("POST", "/", &forget.target, forget, b).unwrap();
        let a = json!({"UserPoolId": "us-east-1_A", "Username": "alice", "DeviceKey": "k_1"});
        let b = json!({"DeviceKey": "k_1", "Username": pseudonym("bob", None), "UserPoolId": "us-east-1_A"});
        let c = json!({"UserPoolId": "us-east-1_B", "Username": "alice", "DeviceKey": "k_1"});
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
        // A number where a string belongs is not a place: it stays in the key.
        let d = json!({"UserPoolId": "us-east-1_A", "Username": 7, "DeviceKey": "k_1"});
        assert_eq!(normalised(forget, &d), None);
        // Map entries are places one by one; their keys stay.
        let auth = op("AdminInitiateAuth");
        let e = json!({"AuthParameters": {"USERNAME": "alice", "PASSWORD": "x"}});
        let n = normalised(auth, &e).unwrap();
        assert_eq!(
            n,
            json!({"AuthParameters": {"USERNAME": MARK, "PASSWORD": MARK}})
        );
    }

    #[test]
    fn normalising_marks_exactly_the_strings_leaves_finds() {
        fn walk(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
            match (a, b) {
                (Value::Object(x), Value::Object(y)) => {
                    for (k, v) in x {
                        walk(v, &y[k], format!("{at}/{k}"), out);
                    }
                }
                (Value::Array(x), Value::Array(y)) => {
                    for (i, (v, w)) in x.iter().zip(y).enumerate() {
                        walk(v, w, format!("{at}/{i}"), out);
                    }
                }
                (x, y) if x != y => out.push(at),
                _ => {}
            }
        }
        let create = op("AdminCreateUser");
        let body = json!({
            "UserPoolId": "us-east-1_A",
            "Username": "alice",
            "TemporaryPassword": ["wrongly", {"typed": "value", "n": 3}],
            "UserAttributes": [{"Name": "email", "Value": "a@example.com"}, {"Name": "n", "Value": 7}],
            "ClientMetadata": {"k": "v"},
            "MessageAction": "SUPPRESS"
        });
        let mut strings: Vec<String> = leaves(Some(create), Side::Request, &body)
            .into_iter()
            .filter(|l| matches!(l.spot, Spot::Value(Value::String(_))))
            .map(|l| l.pointer)
            .collect();
        strings.sort();
        let mut differ = Vec::new();
        walk(
            &body,
            &normalised(create, &body).unwrap(),
            String::new(),
            &mut differ,
        );
        differ.sort();
        assert_eq!(differ, strings);
        assert!(
            strings.contains(&"/TemporaryPassword/1/typed".to_owned()),
            "{strings:?}"
        );
    }
}
