//! An independent oracle for tapedeck's validation: botocore's own parameter
//! validator (`scripts/oracle/botocore_validate.py`, run by the test venv's
//! Python) and `tapedeck::contract::validate` must agree on randomly generated
//! bodies of every operation of the model.
//!
//! botocore checks what a client can check before sending: required members,
//! JSON types, minimum lengths and minimum values. On those the two must agree:
//!
//! - a JSON type botocore rejects ⟺ tapedeck reports a `SerializationException`;
//! - otherwise, the same missing required members (`Value null at …`), and the
//!   same minimum violations at the same paths; a minimum broken by an element of
//!   a list of scalars (or a map key or value) is reported by tapedeck once at
//!   the list or map (`Member must satisfy constraint: [...]`), so there the
//!   oracle's finding must have tapedeck's at the collection.
//!
//! Bodies hold no `null` and no unknown member (botocore rejects both; the
//! service treats a `null` as absent and ignores unknown members), no boolean
//! where a number belongs (Python's `bool` is an `int`) and no fraction where an
//! integer belongs. Maximums, patterns and enums are not botocore's business:
//! the table tests (`model_validation.rs`) and the evidence cover them, and so
//! do they the minimum size of a map, which botocore does not check.
//!
//! `ORACLE_SEED` and `ORACLE_CASES` (bodies per operation, default 12) vary the
//! run. Needs the venv (`scripts/setup-python.sh`): skipped with a message
//! without it, a failure when `CI` is set.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use tapedeck::contract::model::{self, Kind, Operation};
use tapedeck::contract::{validate, Constraint, Validation};

use crate::support::bodies::{generate, Rng};

/// The venv's Python, or `None` (skip) outside CI.
fn python() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("TAPEDECK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/bin/python"));
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing, but CI is set: scripts/test.sh must run scripts/setup-python.sh first",
        python.display()
    );
    eprintln!(
        "skipping: {} is missing (run scripts/setup-python.sh)",
        python.display()
    );
    None
}

/// What a validation says, in the oracle's terms.
#[derive(Debug, Default, PartialEq, Eq)]
struct Verdict {
    type_error: bool,
    required: BTreeSet<String>,
    minimum: BTreeSet<String>,
    /// Collections reported once for their elements, keys or values.
    collections: BTreeSet<String>,
}

/// The kind of the shape at a tapedeck path (`userAttributes.1.member.value`).
fn kind_at(op: &Operation, path: &str) -> &'static Kind {
    let m = model::get();
    let mut shape = op.input.expect("an input");
    let mut segments = path.split('.');
    while let Some(seg) = segments.next() {
        shape = match &m.shape(shape).kind {
            Kind::Structure { members } => {
                members
                    .iter()
                    .find(|mm| mm.wire_name == seg)
                    .unwrap_or_else(|| panic!("{path}"))
                    .target
            }
            Kind::List { member } | Kind::Map { value: member, .. } => {
                assert_eq!(segments.next(), Some("member"), "{path}");
                *member
            }
            _ => panic!("{path}: a scalar has no parts"),
        };
    }
    &m.shape(shape).kind
}

/// What tapedeck says; map sizes are left out (botocore does not check them:
/// `ParamValidator._validate_map` has no range check, while the service does).
fn tapedeck_verdict(op: &Operation, v: &Validation) -> Verdict {
    let mut out = Verdict::default();
    match v {
        Validation::Valid => {}
        Validation::Serialization { .. } => out.type_error = true,
        Validation::Invalid(violations) => {
            for v in violations {
                match &v.constraint {
                    Constraint::NotNull => {
                        out.required.insert(v.path.clone());
                    }
                    Constraint::MinLength(_)
                        if matches!(kind_at(op, &v.path), Kind::Map { .. }) => {}
                    Constraint::MinLength(_) | Constraint::MinValue(_) => {
                        out.minimum.insert(v.path.clone());
                    }
                    Constraint::Elements(_) | Constraint::MapKeys(_) | Constraint::MapValues(_) => {
                        out.collections.insert(v.path.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// Where a botocore name (`.UserAttributes[0].Name`, `.Tags (key: k)`) points:
/// tapedeck's path, and whether it is an element, key or value of a
/// collection of scalars (reported at the collection).
fn locate(op: &Operation, name: &str) -> (String, bool) {
    let m = model::get();
    let mut shape = op.input.expect("an input");
    let mut path = String::new();
    let mut rest = name;
    let join = |path: &str, seg: &str| {
        if path.is_empty() {
            seg.to_owned()
        } else {
            format!("{path}.{seg}")
        }
    };
    while !rest.is_empty() {
        match &m.shape(shape).kind {
            Kind::Structure { members } => {
                let r = rest.strip_prefix('.').unwrap_or_else(|| panic!("{name}"));
                let end = r.find(['.', '[', ' ']).unwrap_or(r.len());
                let member = members
                    .iter()
                    .find(|mm| mm.name == r[..end])
                    .unwrap_or_else(|| panic!("{name}"));
                path = join(&path, &lower_first(&member.name));
                shape = member.target;
                rest = &r[end..];
            }
            Kind::List { member } => {
                let r = rest.strip_prefix('[').unwrap_or_else(|| panic!("{name}"));
                let end = r.find(']').unwrap_or_else(|| panic!("{name}"));
                let i: usize = r[..end].parse().unwrap();
                if m.shape(*member).is_scalar() {
                    return (path, true);
                }
                path = format!("{path}.{}.member", i + 1);
                shape = *member;
                rest = &r[end + 1..];
            }
            Kind::Map { value, .. } => {
                if rest.starts_with(" (key: ") || m.shape(*value).is_scalar() {
                    return (path, true);
                }
                let r = rest.strip_prefix('.').unwrap_or_else(|| panic!("{name}"));
                let end = r.find(['.', '[', ' ']).unwrap_or(r.len());
                path = format!("{path}.{}.member", &r[..end]);
                shape = *value;
                rest = &r[end..];
            }
            _ => panic!("{name}: a scalar has no parts"),
        }
    }
    (path, false)
}

#[test]
fn botocore_and_tapedeck_agree_on_required_members_types_and_minimums() {
    let Some(python) = python() else { return };
    let seed: u64 = std::env::var("ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7a9e_dec5);
    let per_op: usize = std::env::var("ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let m = model::get();
    let mut rng = Rng(seed);
    let mut cases: Vec<(&Operation, Value)> = Vec::new();
    for op in m.operations() {
        let Some(input) = op.input else { continue };
        for _ in 0..per_op {
            let mut body = generate(&mut rng, input, 0);
            if !body.is_object() {
                body = json!({});
            }
            cases.push((op, body));
        }
    }
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/oracle/botocore_validate.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases
        .iter()
        .map(|(op, body)| json!({"operation": op.name, "params": body}).to_string() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let header: Value =
        serde_json::from_str(&lines.next().expect("a header line").unwrap()).unwrap();
    let source: Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/cognito-idp/SOURCE.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        header["sha256"], source["sha256"],
        "botocore validates against another model: {header}"
    );

    let (mut disagreements, mut invalid, mut type_errors) = (Vec::new(), 0, 0);
    for (op, body) in &cases {
        let line = lines.next().expect("one answer per case").unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap();
        let mut oracle = Verdict::default();
        let mut element_minimums = BTreeSet::new();
        for e in answer["errors"].as_array().unwrap() {
            let name = e["name"].as_str().unwrap();
            match e["type"].as_str().unwrap() {
                "invalid type" => oracle.type_error = true,
                "missing required field" => {
                    let (at, _) = locate(op, name);
                    let field = lower_first(e["required"].as_str().unwrap());
                    oracle.required.insert(if at.is_empty() {
                        field
                    } else {
                        format!("{at}.{field}")
                    });
                }
                "invalid length" | "invalid range" => {
                    let (at, element) = locate(op, name);
                    if element {
                        element_minimums.insert(at);
                    } else {
                        oracle.minimum.insert(at);
                    }
                }
                other => panic!("{}: botocore reports '{other}' for {body}", op.name),
            }
        }
        let ours = tapedeck_verdict(op, &validate(op, body));
        invalid += usize::from(ours != Verdict::default());
        type_errors += usize::from(ours.type_error);
        let agree = if oracle.type_error || ours.type_error {
            oracle.type_error == ours.type_error
        } else {
            oracle.required == ours.required
                && oracle.minimum == ours.minimum
                && element_minimums.is_subset(&ours.collections)
        };
        if !agree {
            disagreements.push(format!(
                "{} {body}\n  botocore: {oracle:?} elements {element_minimums:?}\n  tapedeck: {ours:?}",
                op.name
            ));
        }
    }
    writer.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success(), "the oracle script failed");
    assert!(
        disagreements.is_empty(),
        "{} of {} bodies disagree (seed {seed}):\n{}",
        disagreements.len(),
        cases.len(),
        disagreements
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The generator must exercise both sides: plenty of invalid bodies, some
    // type errors, and plenty of valid ones.
    assert!(cases.len() >= 1000, "{}", cases.len());
    assert!(
        invalid * 10 >= cases.len(),
        "only {invalid} of {} bodies are invalid",
        cases.len()
    );
    assert!(
        type_errors * 50 >= cases.len(),
        "only {type_errors} type errors"
    );
    assert!(
        invalid * 10 <= cases.len() * 9,
        "{invalid} of {} bodies are invalid",
        cases.len()
    );
}
