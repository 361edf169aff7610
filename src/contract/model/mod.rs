//! The cognito-idp service model: operations, shapes, constraints, errors,
//! sensitivity and authentication, read from the vendored botocore model.
//!
//! `models/cognito-idp/service-2.json.gz` (botocore 1.44.8, API version
//! 2016-04-18, protocol `json`; `models/cognito-idp/SOURCE.json` records its
//! source and sha256) is embedded in the binary without its documentation (see
//! `build.rs`) and parsed once, on first use of [`get`]. Nothing here is written
//! by hand except the protocol facts every awsJson 1.1 request shares and the
//! [`COMMON_ERRORS`] that AWS documents for every API but no service model lists.
//!
//! The model is not the truth about what a given endpoint answers — recorded
//! fixtures are — but it is what clients are built against, and what real
//! Cognito validates requests with.

mod errors;
mod load;
mod pattern;
mod sensitive;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use errors::{CommonError, ErrorInfo, Fault, COMMON_ERRORS};
pub(crate) use pattern::JavaPattern;
pub use sensitive::{SensitivePath, Step};

/// The awsJson 1.1 content type (the model's `jsonVersion` is `1.1`).
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The HTTP method and path of every awsJson request (each operation's `http`).
pub(crate) const METHOD: &str = "POST";
pub(crate) const PATH: &str = "/";
/// Headers that a client's SigV4 signature must cover.
pub(crate) const REQUIRED_SIGNED_HEADERS: [&str; 3] = ["host", "x-amz-date", "x-amz-target"];
/// `x-amz-target`, as a header name ready to look up.
pub(crate) static X_AMZ_TARGET: http::HeaderName = http::HeaderName::from_static("x-amz-target");
/// The flagship operation: it alone has an authored reference set, a scenario
/// catalog, `capture` and the client conformance matrix.
pub const FLAGSHIP: &str = "AdminForgetDevice";

/// The model, parsed on first use (a few milliseconds; see docs/benchmarks.md).
pub fn get() -> &'static Model {
    static MODEL: LazyLock<Model> = LazyLock::new(|| {
        let started = std::time::Instant::now();
        let model = load::embedded().unwrap_or_else(|e| panic!("the embedded service model: {e}"));
        tracing::debug!(
            elapsed_us = started.elapsed().as_micros() as u64,
            operations = model.operations.len(),
            shapes = model.shapes.len(),
            "service model loaded"
        );
        model
    });
    &MODEL
}

/// The flagship operation, AdminForgetDevice.
pub fn flagship() -> &'static Operation {
    get()
        .operation(FLAGSHIP)
        .expect("the model has AdminForgetDevice")
}

/// Looks an operation up by its `X-Amz-Target` value.
pub fn operation_for_target(target: &str) -> Option<&'static Operation> {
    get().operation_for_target(target)
}

/// The index of a shape in [`Model::shapes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShapeId(pub(crate) u32);

/// Service-wide facts of the model's `metadata`.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub api_version: String,
    /// `json` (awsJson) for cognito-idp.
    pub protocol: String,
    /// `1.1`.
    pub json_version: String,
    /// `AWSCognitoIdentityProviderService`: the `X-Amz-Target` prefix.
    pub target_prefix: String,
    /// The SigV4 credential-scope service: `signingName`, else `endpointPrefix`.
    pub signing_name: String,
    pub service_id: String,
    pub uid: String,
}

/// The whole service model.
#[derive(Debug)]
pub struct Model {
    pub(crate) metadata: Metadata,
    operations: Vec<Operation>,
    shapes: Vec<Shape>,
    operation_index: HashMap<Box<str>, usize>,
    shape_index: HashMap<Box<str>, ShapeId>,
}

impl Model {
    /// Every operation, in model order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// An operation by name (`AdminForgetDevice`).
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operation_index.get(name).map(|&i| &self.operations[i])
    }

    /// An operation by its `X-Amz-Target` value (`<prefix>.<name>`).
    pub fn operation_for_target(&self, target: &str) -> Option<&Operation> {
        let name = target
            .strip_prefix(self.metadata.target_prefix.as_str())?
            .strip_prefix('.')?;
        self.operation(name)
    }

    /// Every shape, in model order.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id.0 as usize]
    }

    /// A shape by name (`UsernameType`).
    pub fn shape_named(&self, name: &str) -> Option<&Shape> {
        self.shape_index.get(name).map(|&id| self.shape(id))
    }

    /// The shapes marked `sensitive`, in model order.
    pub fn sensitive_shapes(&self) -> impl Iterator<Item = &Shape> {
        self.shapes.iter().filter(|s| s.sensitive)
    }

    /// `<prefix>.<operation>`.
    pub(crate) fn target_prefix(&self) -> &str {
        &self.metadata.target_prefix
    }

    pub fn signing_name(&self) -> &str {
        &self.metadata.signing_name
    }

    /// An error by its sanitised type name: a modelled exception shape or one of
    /// [`COMMON_ERRORS`].
    pub fn error(&self, name: &str) -> Option<ErrorInfo<'_>> {
        if let Some(shape) = self.shape_named(name).filter(|s| s.error.is_some()) {
            return Some(ErrorInfo::Modelled(shape));
        }
        COMMON_ERRORS
            .iter()
            .find(|c| c.name == name)
            .map(ErrorInfo::Common)
    }
}

/// How an operation authenticates its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// SigV4 with IAM credentials (the model's default).
    Sigv4,
    /// `authtype: none`: no SigV4; Cognito authorises these by the access token,
    /// session or client id in the body (ConfirmDevice, InitiateAuth, SignUp, …).
    None,
}

/// One operation of the model.
#[derive(Debug)]
pub struct Operation {
    /// `AdminForgetDevice`.
    pub name: String,
    /// `AWSCognitoIdentityProviderService.AdminForgetDevice`.
    pub target: String,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// The modelled errors, in model order.
    pub errors: Vec<ShapeId>,
    pub auth: Auth,
    sensitive_input: Vec<SensitivePath>,
    sensitive_output: Vec<SensitivePath>,
}

impl Operation {
    /// Whether the operation declares the error `name` (a sanitised type).
    pub fn declares_error(&self, name: &str) -> bool {
        let model = get();
        self.errors.iter().any(|&e| model.shape(e).name == name)
    }

    /// The modelled errors' shapes, in model order.
    pub fn error_shapes(&self) -> impl Iterator<Item = &'static Shape> + '_ {
        let model = get();
        self.errors.iter().map(move |&e| model.shape(e))
    }

    /// Whether a response of this operation may carry the error type `name`:
    /// one of its modelled errors, or a [`COMMON_ERRORS`] entry.
    pub fn allows_error(&self, name: &str) -> bool {
        self.declares_error(name) || COMMON_ERRORS.iter().any(|c| c.name == name)
    }

    /// Where the input holds sensitive values, at any depth (see [`SensitivePath`]).
    pub fn sensitive_input(&self) -> &[SensitivePath] {
        &self.sensitive_input
    }

    /// Where the output holds sensitive values, at any depth.
    pub fn sensitive_output(&self) -> &[SensitivePath] {
        &self.sensitive_output
    }

    /// The input structure's members, in model order (none without an input).
    pub fn input_members(&self) -> &'static [Member] {
        let model = get();
        match self.input.map(|id| &model.shape(id).kind) {
            Some(Kind::Structure { members }) => members,
            _ => &[],
        }
    }
}

/// A numeric bound of a shape: a length (strings, lists, maps, blobs) or a
/// value (numbers), as the model states it.
pub type Bound = i64;

/// What kind of value a shape is.
#[derive(Debug)]
pub enum Kind {
    Structure {
        members: Vec<Member>,
    },
    List {
        member: ShapeId,
    },
    Map {
        key: ShapeId,
        value: ShapeId,
    },
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Blob,
    Timestamp,
    /// A free-form JSON document (`"document": true` structures).
    Document,
}

/// One member of a structure.
#[derive(Debug)]
pub struct Member {
    /// Name in the JSON body (`UserPoolId`).
    pub name: String,
    /// Name in validation messages: the first letter lower-cased (`userPoolId`,
    /// `sMSMfaSettings`), as AWS prints it.
    pub wire_name: String,
    pub target: ShapeId,
    pub required: bool,
}

/// One shape and its constraints.
#[derive(Debug)]
pub struct Shape {
    pub name: String,
    pub kind: Kind,
    /// Never printed nor written in clear (passwords, tokens, usernames, …).
    pub sensitive: bool,
    /// Minimum length (strings count Unicode scalar values) or value.
    pub min: Option<Bound>,
    /// Maximum length or value.
    pub max: Option<Bound>,
    /// The pattern as the model (and AWS's messages) spell it.
    pub pattern: Option<String>,
    pub enum_values: Option<Vec<String>>,
    /// `Some` for exception shapes: who is at fault.
    pub error: Option<Fault>,
    /// The pattern translated to the `regex` crate's syntax, compiled on first use.
    pub(crate) regex: std::sync::OnceLock<Result<JavaPattern, String>>,
}

impl Shape {
    /// Whether `value` matches the shape's pattern (`true` without one). A
    /// pattern that cannot be translated matches everything, with a warning; a
    /// test compiles every pattern of the model, so this does not happen.
    pub fn pattern_matches(&self, value: &str) -> bool {
        let Some(java) = &self.pattern else {
            return true;
        };
        match self.regex.get_or_init(|| JavaPattern::compile(java)) {
            Ok(p) => p.matches(value),
            Err(e) => {
                tracing::warn!(shape = %self.name, "{e}; the pattern is not checked");
                true
            }
        }
    }

    /// Whether the shape is scalar: not a structure, list, map or document.
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self.kind,
            Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. } | Kind::Document
        )
    }
}

impl Model {
    /// The paths under `root` (an operation's input or output) to every shape
    /// `wanted` picks, as [`Operation::sensitive_input`] gives them for the
    /// shapes marked `sensitive`.
    pub fn paths_to(
        &self,
        root: Option<ShapeId>,
        wanted: &dyn Fn(&Shape) -> bool,
    ) -> Vec<SensitivePath> {
        sensitive::paths_where(&self.shapes, root, wanted)
    }

    /// Whether a value of shape `id` is or holds something sensitive, at any depth.
    pub(crate) fn holds_sensitive(&self, id: ShapeId) -> bool {
        fn go(m: &Model, id: ShapeId, seen: &mut Vec<ShapeId>) -> bool {
            let shape = m.shape(id);
            if shape.sensitive {
                return true;
            }
            if seen.contains(&id) {
                return false;
            }
            seen.push(id);
            match &shape.kind {
                Kind::Structure { members } => members.iter().any(|mm| go(m, mm.target, seen)),
                Kind::List { member } => go(m, *member, seen),
                Kind::Map { key, value } => go(m, *key, seen) || go(m, *value, seen),
                _ => false,
            }
        }
        go(self, id, &mut Vec::new())
    }
}

#[cfg(test)]
mod tests;
