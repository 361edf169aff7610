//! Reading the embedded model: inflate, parse the botocore JSON, resolve shape
//! references, and work out each operation's sensitive paths.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::{Auth, Fault, Kind, Member, Metadata, Model, Operation, Shape, ShapeId};

/// The model without its documentation, raw-deflated by `build.rs`.
static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cognito-idp.json.deflate"));
/// Its inflated length.
static EMBEDDED_LEN: &str = include_str!(concat!(env!("OUT_DIR"), "/cognito-idp.len"));

/// Why the model could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error("cannot inflate the embedded model: {0}")]
    Inflate(String),
    #[error("the model is not valid JSON of the botocore form: {0}")]
    Json(serde_json::Error),
    #[error("shape '{0}' is referenced but not defined")]
    UnknownShape(String),
    #[error("shape '{shape}': {message}")]
    Shape { shape: String, message: String },
}

/// Inflates and parses the embedded model.
pub(crate) fn embedded() -> Result<Model, LoadError> {
    let limit: usize = EMBEDDED_LEN
        .trim()
        .parse()
        .map_err(|e| LoadError::Inflate(format!("bad length: {e}")))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(EMBEDDED, limit)
        .map_err(|e| LoadError::Inflate(format!("{e:?}")))?;
    parse(&json)
}

/// Parses a botocore service model (`service-2.json`).
pub(crate) fn parse(json: &[u8]) -> Result<Model, LoadError> {
    let raw: RawModel = serde_json::from_slice(json).map_err(LoadError::Json)?;
    build(raw)
}

/// A JSON object read as a list of pairs, in document order.
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry()? {
                    out.push(pair);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawModel {
    metadata: RawMetadata,
    operations: Ordered<RawOperation>,
    shapes: Ordered<RawShape>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    api_version: String,
    protocol: String,
    #[serde(default)]
    json_version: String,
    target_prefix: String,
    endpoint_prefix: String,
    signing_name: Option<String>,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    uid: String,
}

#[derive(serde::Deserialize)]
struct RawRef {
    shape: String,
}

#[derive(serde::Deserialize)]
struct RawOperation {
    name: String,
    input: Option<RawRef>,
    output: Option<RawRef>,
    #[serde(default)]
    errors: Vec<RawRef>,
    authtype: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    members: Option<Ordered<RawRef>>,
    #[serde(default)]
    required: Vec<String>,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    enum_values: Option<Vec<String>>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    exception: bool,
    #[serde(default)]
    fault: bool,
    #[serde(default)]
    document: bool,
}

fn build(raw: RawModel) -> Result<Model, LoadError> {
    let shape_index: HashMap<Box<str>, ShapeId> = raw
        .shapes
        .0
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str().into(), ShapeId(i as u32)))
        .collect();
    let id = |name: &str| {
        shape_index
            .get(name)
            .copied()
            .ok_or_else(|| LoadError::UnknownShape(name.to_owned()))
    };
    let mut shapes = Vec::with_capacity(raw.shapes.0.len());
    for (name, s) in raw.shapes.0 {
        let bad = |message: String| LoadError::Shape {
            shape: name.clone(),
            message,
        };
        let kind = match s.kind.as_str() {
            "structure" if s.document => Kind::Document,
            "structure" => {
                let mut members = Vec::new();
                for (member, target) in s.members.map(|m| m.0).unwrap_or_default() {
                    members.push(Member {
                        wire_name: lower_first(&member),
                        required: s.required.contains(&member),
                        target: id(&target.shape)?,
                        name: member,
                    });
                }
                if let Some(r) = s
                    .required
                    .iter()
                    .find(|r| !members.iter().any(|m| &&m.name == r))
                {
                    return Err(bad(format!("requires '{r}', which is not a member")));
                }
                Kind::Structure { members }
            }
            "list" => Kind::List {
                member: id(&s
                    .member
                    .ok_or_else(|| bad("a list without a member".into()))?
                    .shape)?,
            },
            "map" => Kind::Map {
                key: id(&s
                    .key
                    .ok_or_else(|| bad("a map without a key".into()))?
                    .shape)?,
                value: id(&s
                    .value
                    .ok_or_else(|| bad("a map without a value".into()))?
                    .shape)?,
            },
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "boolean" => Kind::Boolean,
            "blob" => Kind::Blob,
            "timestamp" => Kind::Timestamp,
            other => return Err(bad(format!("unsupported type '{other}'"))),
        };
        let bound = |v: Option<f64>| -> Result<Option<i64>, LoadError> {
            match v {
                Some(f) if f.fract() != 0.0 || f.abs() > 9.0e15 => {
                    Err(bad(format!("bound {f} is not an integer")))
                }
                Some(f) => Ok(Some(f as i64)),
                None => Ok(None),
            }
        };
        shapes.push(Shape {
            min: bound(s.min)?,
            max: bound(s.max)?,
            kind,
            sensitive: s.sensitive,
            pattern: s.pattern,
            enum_values: s.enum_values,
            error: s.exception.then_some(if s.fault {
                Fault::Server
            } else {
                Fault::Client
            }),
            regex: std::sync::OnceLock::new(),
            name,
        });
    }
    let mut operations = Vec::with_capacity(raw.operations.0.len());
    let mut operation_index = HashMap::new();
    for (key, op) in raw.operations.0 {
        let input = op.input.map(|r| id(&r.shape)).transpose()?;
        let output = op.output.map(|r| id(&r.shape)).transpose()?;
        let errors = op
            .errors
            .iter()
            .map(|r| id(&r.shape))
            .collect::<Result<Vec<_>, _>>()?;
        let auth = match op.authtype.as_deref() {
            Some("none") => Auth::None,
            _ => Auth::Sigv4,
        };
        operation_index.insert(key.into_boxed_str(), operations.len());
        operations.push(Operation {
            target: format!("{}.{}", raw.metadata.target_prefix, op.name),
            sensitive_input: super::sensitive::paths(&shapes, input),
            sensitive_output: super::sensitive::paths(&shapes, output),
            name: op.name,
            input,
            output,
            errors,
            auth,
        });
    }
    let m = raw.metadata;
    Ok(Model {
        metadata: Metadata {
            signing_name: m.signing_name.unwrap_or(m.endpoint_prefix),
            api_version: m.api_version,
            protocol: m.protocol,
            json_version: m.json_version,
            target_prefix: m.target_prefix,
            service_id: m.service_id,
            uid: m.uid,
        },
        operations,
        shapes,
        operation_index,
        shape_index,
    })
}

/// `UserPoolId` → `userPoolId`; `SMSMfaSettings` → `sMSMfaSettings`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
