//! AWS-style validation of an AdminForgetDevice request body.
//!
//! The service checks each member against the model and reports every violation in
//! one `InvalidParameterException` message:
//!
//! ```text
//! 1 validation error detected: Value 'x' at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-f-]+
//! ```
//!
//! Members are reported in model order; within a member, length before pattern
//! (the order public captures of Cognito show). Lengths count Unicode scalar values.
//! `\w` means `[0-9A-Za-z_]`, as in the Java regular expressions the service uses;
//! the `\p{..}` classes are Unicode general categories. A sensitive member's value is
//! never printed. Unknown members are ignored, as the service ignores them.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::model::{Member, MEMBERS};

/// One constraint of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    NotNull,
    MinLength(usize),
    MaxLength(usize),
    Pattern(&'static str),
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::NotNull => f.write_str("Member must not be null"),
            Constraint::MinLength(n) => {
                write!(f, "Member must have length greater than or equal to {n}")
            }
            Constraint::MaxLength(n) => {
                write!(f, "Member must have length less than or equal to {n}")
            }
            Constraint::Pattern(p) => {
                write!(f, "Member must satisfy regular expression pattern: {p}")
            }
        }
    }
}

/// One failed constraint of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub member: &'static Member,
    /// The offending value; `None` when the member is null or absent.
    pub value: Option<String>,
    pub constraint: Constraint,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.member.wire_name;
        match &self.value {
            None => write!(f, "Value null at '{at}'")?,
            Some(_) if self.member.sensitive => write!(f, "Value at '{at}'")?,
            Some(v) => write!(f, "Value '{v}' at '{at}'")?,
        }
        write!(f, " failed to satisfy constraint: {}", self.constraint)
    }
}

/// The result of validating a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// Every member satisfies the model.
    Valid,
    /// The body is JSON but not a structure, or a member has a JSON type other than
    /// string: the service rejects these while deserialising, before validation.
    Serialization(String),
    /// One or more constraint violations, in reporting order.
    Invalid(Vec<Violation>),
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        matches!(self, Validation::Valid)
    }

    /// The error type the service answers with, if the body is not valid.
    pub fn error_type(&self) -> Option<&'static str> {
        match self {
            Validation::Valid => None,
            Validation::Serialization(_) => Some("SerializationException"),
            Validation::Invalid(_) => Some("InvalidParameterException"),
        }
    }

    /// The individual violation texts (without the "N validation errors" prefix).
    pub fn violation_texts(&self) -> Vec<String> {
        match self {
            Validation::Valid => vec![],
            Validation::Serialization(m) => vec![m.clone()],
            Validation::Invalid(v) => v.iter().map(ToString::to_string).collect(),
        }
    }

    /// The whole message, as the service would put it in the error body.
    pub fn message(&self) -> Option<String> {
        match self {
            Validation::Valid => None,
            Validation::Serialization(m) => Some(m.clone()),
            Validation::Invalid(v) => Some(summary(v)),
        }
    }
}

/// `"N validation error(s) detected: a; b"`.
pub fn summary(violations: &[Violation]) -> String {
    let n = violations.len();
    let plural = if n == 1 { "error" } else { "errors" };
    let parts: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{n} validation {plural} detected: {}", parts.join("; "))
}

/// Compiled member patterns, anchored, with Java's ASCII `\w`.
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    MEMBERS
        .iter()
        .map(|m| {
            let java = m.pattern.replace(r"\w", "0-9A-Za-z_");
            Regex::new(&format!("^(?:{java})$")).expect("model patterns compile")
        })
        .collect()
});

/// Validates a request body against the AdminForgetDevice input model.
pub fn validate(body: &Value) -> Validation {
    let Some(object) = body.as_object() else {
        return Validation::Serialization(format!(
            "Start of structure or map expected, found {}",
            json_kind(body)
        ));
    };
    let mut violations = Vec::new();
    for (member, pattern) in MEMBERS.iter().zip(PATTERNS.iter()) {
        match object.get(member.name) {
            None | Some(Value::Null) => {
                if member.required {
                    violations.push(Violation {
                        member,
                        value: None,
                        constraint: Constraint::NotNull,
                    });
                }
            }
            Some(Value::String(s)) => check_string(member, pattern, s, &mut violations),
            Some(other) => {
                return Validation::Serialization(format!(
                    "Member {} must be a string, found {}",
                    member.name,
                    json_kind(other)
                ))
            }
        }
    }
    if violations.is_empty() {
        Validation::Valid
    } else {
        Validation::Invalid(violations)
    }
}

fn check_string(member: &'static Member, pattern: &Regex, s: &str, out: &mut Vec<Violation>) {
    let len = s.chars().count();
    let mut push = |constraint| {
        out.push(Violation {
            member,
            value: Some(s.to_owned()),
            constraint,
        })
    };
    if len < member.min {
        push(Constraint::MinLength(member.min));
    }
    if len > member.max {
        push(Constraint::MaxLength(member.max));
    }
    if !pattern.is_match(s) {
        push(Constraint::Pattern(member.pattern));
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
