//! Validation results and their wording, as AWS prints them.
//!
//! One violation reads `Value 'x' at 'path' failed to satisfy constraint: …`;
//! a sensitive value is left out (`Value at 'username' failed …`) and a missing
//! one is `null` (`Value null at 'deviceKey' …`). Several are counted and joined:
//! `2 validation errors detected: …; …`. Evidence for each form (public
//! captures of real Cognito, or of AWS's shared Coral front end where no Cognito
//! capture is public) is in docs/validation.md.

use std::fmt;

/// One constraint a value failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    NotNull,
    /// Length of a string (Unicode scalar values), list, map or blob.
    MinLength(i64),
    MaxLength(i64),
    /// Value of a number.
    MinValue(i64),
    MaxValue(i64),
    /// The pattern as the model spells it.
    Pattern(&'static str),
    /// The enum's values, in model order.
    Enum(&'static [String]),
    /// Elements of a list of scalars broke their shape's constraints: every
    /// constraint of the element shape is listed, whichever failed.
    Elements(Vec<Constraint>),
    /// Keys of a map broke their shape's constraints (all listed).
    MapKeys(Vec<Constraint>),
    /// Values of a map broke their shape's constraints (all listed).
    MapValues(Vec<Constraint>),
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nested = |f: &mut fmt::Formatter<'_>, lead: &str, inner: &[Constraint]| {
            write!(f, "{lead} must satisfy constraint: [")?;
            for (i, c) in inner.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("]")
        };
        match self {
            Constraint::NotNull => f.write_str("Member must not be null"),
            Constraint::MinLength(n) => {
                write!(f, "Member must have length greater than or equal to {n}")
            }
            Constraint::MaxLength(n) => {
                write!(f, "Member must have length less than or equal to {n}")
            }
            Constraint::MinValue(n) => {
                write!(f, "Member must have value greater than or equal to {n}")
            }
            Constraint::MaxValue(n) => {
                write!(f, "Member must have value less than or equal to {n}")
            }
            Constraint::Pattern(p) => {
                write!(f, "Member must satisfy regular expression pattern: {p}")
            }
            Constraint::Enum(values) => {
                write!(
                    f,
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                )
            }
            Constraint::Elements(inner) => nested(f, "Member", inner),
            Constraint::MapKeys(inner) => nested(f, "Map keys", inner),
            Constraint::MapValues(inner) => nested(f, "Map value", inner),
        }
    }
}

/// How a violation shows the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Absent or JSON null: `Value null at …`.
    Null,
    /// Sensitive (or holding something sensitive): `Value at …`. The value is
    /// not kept, so it cannot be printed by mistake.
    Hidden,
    /// `Value '…' at …`, rendered as the service does.
    Text(String),
}

/// One failed constraint at one place of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where, as AWS prints it: `userPoolId`, `userAttributes.1.member.value`.
    pub path: String,
    pub value: Shown,
    pub constraint: Constraint,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Shown::Null => write!(f, "Value null at '{}'", self.path)?,
            Shown::Hidden => write!(f, "Value at '{}'", self.path)?,
            Shown::Text(v) => write!(f, "Value '{v}' at '{}'", self.path)?,
        }
        write!(f, " failed to satisfy constraint: {}", self.constraint)
    }
}

/// The result of validating a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// Every member satisfies the model.
    Valid,
    /// The body could not be deserialised: it is not a JSON object, or a member
    /// has a JSON type the model's shape cannot take (a string where an integer
    /// belongs). The service rejects these with a `SerializationException`
    /// before it validates anything, so this is the only problem reported.
    /// `message` is the service's text, which does not say where; `path` does
    /// (as validation paths are printed; empty for the body itself).
    Serialization { message: String, path: String },
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
            Validation::Serialization { .. } => Some("SerializationException"),
            Validation::Invalid(_) => Some("InvalidParameterException"),
        }
    }

    /// The individual violation texts (without the "N validation errors"
    /// prefix); a serialisation error says where, after the service's text.
    pub fn violation_texts(&self) -> Vec<String> {
        match self {
            Validation::Valid => vec![],
            Validation::Serialization { .. } => self.describe().into_iter().collect(),
            Validation::Invalid(v) => v.iter().map(ToString::to_string).collect(),
        }
    }

    /// The whole message, as the service would put it in the error body.
    pub fn message(&self) -> Option<String> {
        match self {
            Validation::Valid => None,
            Validation::Serialization { message, .. } => Some(message.clone()),
            Validation::Invalid(v) => Some(summary(v)),
        }
    }

    /// [`Validation::message`], and for a serialisation error where it is:
    /// `SerializationException: STRING_VALUE cannot be converted to Integer (at 'limit')`.
    /// What tapedeck reports; never holds a sensitive value.
    pub fn describe(&self) -> Option<String> {
        match self {
            Validation::Serialization { message, path } if path.is_empty() => {
                Some(format!("SerializationException: {message}"))
            }
            Validation::Serialization { message, path } => {
                Some(format!("SerializationException: {message} (at '{path}')"))
            }
            other => other.message(),
        }
    }
}

/// `"N validation error(s) detected: a; b"`.
pub(crate) fn summary(violations: &[Violation]) -> String {
    let n = violations.len();
    let plural = if n == 1 { "error" } else { "errors" };
    let parts: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{n} validation {plural} detected: {}", parts.join("; "))
}
