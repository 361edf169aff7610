//! Prepares what the binary embeds:
//!
//! - the bundled fixture sets (`fixtures/admin-forget-device/<set>/*.json`), so
//!   `tapedeck replay` and `tapedeck lint` work from any directory. Cargo reruns
//!   this when a fixture is added, changed or removed, which also makes rstest's
//!   `#[files]` pick up new fixtures;
//! - the vendored cognito-idp service model (`models/cognito-idp/service-2.json.gz`,
//!   969 KB of JSON once inflated, most of it documentation): its `documentation`
//!   members are dropped, the rest is written as compact JSON (about 200 KB) and
//!   deflated (about 20 KB), which `contract::model` inflates and parses once, on
//!   first use. Key order is kept: validation reports members in model order.
//!
//! It also lists every file it embeds, relative to the package root, in
//! `$OUT_DIR/embedded-files.txt`: scripts/check-package.sh checks that
//! `cargo package` ships each of them.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// The vendored model, relative to the package root.
const MODEL: &str = "models/cognito-idp/service-2.json.gz";

fn main() {
    embed_model();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("fixtures/admin-forget-device");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("pub(super) static CORPUS: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file.strip_prefix(&root).expect("under root");
        let rel = rel.to_string_lossy().replace('\\', "/");
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            rel,
            file.display().to_string()
        ));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    fs::write(out_dir.join("corpus.rs"), out).expect("write corpus.rs");
    let mut embedded = vec![MODEL.to_owned()];
    for file in &files {
        let rel = file.strip_prefix(manifest).expect("under the package root");
        embedded.push(rel.to_string_lossy().replace('\\', "/"));
    }
    embedded.push(String::new());
    fs::write(out_dir.join("embedded-files.txt"), embedded.join("\n"))
        .expect("write embedded-files.txt");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
}

/// Writes `$OUT_DIR/cognito-idp.json.deflate` (raw deflate of the model without
/// its documentation) and `$OUT_DIR/cognito-idp.len` (the inflated length).
fn embed_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL);
    println!("cargo:rerun-if-changed={}", path.display());
    let gz = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut text)
        .unwrap_or_else(|e| panic!("{}: not gzip: {e}", path.display()));
    let mut model: serde_json::Value = serde_json::from_slice(&text)
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    strip_documentation(&mut model);
    let compact = serde_json::to_vec(&model).expect("JSON serialises");
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&compact).expect("deflate");
    let deflated = encoder.finish().expect("deflate");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("cognito-idp.json.deflate"), deflated).expect("write model");
    fs::write(out.join("cognito-idp.len"), compact.len().to_string()).expect("write length");
}

/// Drops every `documentation` member (operations, shapes, members, the service).
fn strip_documentation(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.shift_remove("documentation");
            for v in map.values_mut() {
                strip_documentation(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_documentation),
        _ => {}
    }
}
