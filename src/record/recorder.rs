//! Turning one exchange into one fixture on disk.
//!
//! The recorder builds a format-v1 fixture (provenance `recorded`), redacts it
//! (fail closed: a secret left after redaction aborts the write), and writes it
//! atomically as `<outcome>-<hash>.json`. It also keeps sequences straight: a
//! request seen again with a different answer becomes the next step of a
//! sequence (the first fixture is rewritten with `sequence: 1`), and an answer
//! identical to the last one is not written twice. Fixtures already in the
//! output directory are taken into account, so runs can be repeated: their
//! sequences are continued ([`Recorder::new`]), or — to record a set afresh
//! (`replay --mode all`) — replaced, request by request, by what this run
//! records ([`Recorder::rerecording`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use sha2::{Digest as _, Sha256};

use super::tally::{NotRecorded, Tally};
use crate::contract::awsjson::error_type;
use crate::contract::model;
use crate::contract::validate::validate;
use crate::fixture::redact::{self, RedactConfig, RedactError};
use crate::fixture::store::{self, Overwrite, WriteError};
use crate::fixture::{
    Body, Compare, Fixture, HeaderValue, Headers, Provenance, Request, RequestKey, Response,
    CURRENT_VERSION,
};

/// One exchange as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub request_headers: HeaderMap,
    pub request_body: Bytes,
    pub status: StatusCode,
    pub response_headers: HeaderMap,
    pub response_body: Bytes,
    /// The signing region, kept as a variable.
    pub region: Option<String>,
    /// The scenario, when a driver such as `capture` names it.
    pub scenario: Option<String>,
}

/// Recorder settings.
#[derive(Debug, Clone)]
pub struct RecorderConfig {
    pub out: PathBuf,
    pub overwrite: bool,
    pub redact: RedactConfig,
    /// `host[:port]` of the endpoint, for provenance.
    pub endpoint: String,
}

/// What happened to an exchange.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Written {
        id: String,
        path: PathBuf,
        /// Every file this exchange wrote, as written: the new fixture, and the
        /// first step of its sequence when it was rewritten with `sequence: 1`.
        files: Vec<(PathBuf, Fixture)>,
    },
    /// The same request got the same answer as an existing fixture.
    Duplicate { of: String },
}

/// Why an exchange was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("redaction refused the fixture: {0}")]
    Redact(RedactError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot create {path}: {error}")]
    OutDir { path: String, error: std::io::Error },
}

struct Step {
    id: String,
    answer: String,
    fixture: Fixture,
}

/// Records exchanges into one directory.
pub struct Recorder {
    config: RecorderConfig,
    state: Mutex<State>,
    /// What became of each exchange, for the summary at shutdown.
    pub tally: Tally,
}

/// What the recorder knows of the directory.
#[derive(Default)]
struct State {
    /// The sequence of each request, as far as this recorder continues it.
    sequences: HashMap<RequestKey, Vec<Step>>,
    /// When re-recording: the files that held each request before this run, to
    /// be replaced when the run records that request.
    stale: HashMap<RequestKey, Vec<PathBuf>>,
}

impl Recorder {
    /// A recorder for `config.out` that continues the sequences of the
    /// fixtures already there: a request recorded before and answered
    /// differently now becomes the next step of its sequence.
    pub fn new(config: RecorderConfig) -> Recorder {
        let mut state = State::default();
        let mut existing = existing_fixtures(&config.out);
        existing.sort_by_key(|(_, f)| f.sequence.unwrap_or(1));
        for (_, f) in existing {
            state
                .sequences
                .entry(RequestKey::of(&f))
                .or_default()
                .push(Step {
                    id: f.id.clone(),
                    answer: answer_digest(&f),
                    fixture: f,
                });
        }
        Recorder {
            config,
            state: Mutex::new(state),
            tally: Tally::default(),
        }
    }

    /// A recorder for `config.out` that records the set afresh (`replay --mode
    /// all`): the first time this run records a request, the fixtures that held
    /// the same request before the run are removed (all the steps of its
    /// sequence), then the new one is written, whole, in their place. Fixtures
    /// of requests this run does not send are kept. Within the run, sequences
    /// form as usual.
    pub fn rerecording(config: RecorderConfig) -> Recorder {
        let mut state = State::default();
        for (path, f) in existing_fixtures(&config.out) {
            state
                .stale
                .entry(RequestKey::of(&f))
                .or_default()
                .push(path);
        }
        Recorder {
            config,
            state: Mutex::new(state),
            tally: Tally::default(),
        }
    }

    pub fn out_dir(&self) -> &Path {
        &self.config.out
    }

    /// Builds, redacts and writes the fixture of one exchange, and counts what
    /// became of it in [`Recorder::tally`]. Blocking (fsync): call it from a
    /// blocking task.
    pub fn record(&self, exchange: &Exchange) -> Result<Recorded, RecordError> {
        let recorded = self.write(exchange);
        match &recorded {
            Ok(Recorded::Written { .. }) => self.tally.written(),
            Ok(Recorded::Duplicate { .. }) => self.tally.duplicate(),
            Err(e @ RecordError::Redact(_)) => {
                self.tally
                    .not_recorded(NotRecorded::Redaction, &e.to_string());
            }
            Err(e) => self.tally.not_recorded(NotRecorded::Write, &e.to_string()),
        }
        recorded
    }

    fn write(&self, exchange: &Exchange) -> Result<Recorded, RecordError> {
        let mut fixture = self.build(exchange);
        redact::redact(&mut fixture, &self.config.redact).map_err(RecordError::Redact)?;
        let key = RequestKey::of(&fixture);
        let answer = answer_digest(&fixture);
        std::fs::create_dir_all(&self.config.out).map_err(|error| RecordError::OutDir {
            path: self.config.out.display().to_string(),
            error,
        })?;
        let mut state = self.state.lock().expect("recorder lock");
        let State { sequences, stale } = &mut *state;
        let steps = sequences.entry(key.clone()).or_default();
        if let Some(last) = steps.last() {
            if last.answer == answer {
                return Ok(Recorded::Duplicate {
                    of: last.id.clone(),
                });
            }
        }
        let position = steps.len() + 1;
        fixture.id = format!(
            "{}-{}",
            outcome_name(&fixture),
            short_hash(&key, &answer, position)
        );
        let mode = if self.config.overwrite {
            Overwrite::Replace
        } else {
            Overwrite::Never
        };
        let mut files = Vec::new();
        if position > 1 {
            fixture.sequence = Some(position as u32);
            // The first step becomes `sequence: 1`; memory follows the disk only
            // once the file is written, so a failed write is retried next time.
            if let Some(first) = steps.first().filter(|s| s.fixture.sequence.is_none()) {
                let mut numbered = first.fixture.clone();
                numbered.sequence = Some(1);
                let path = store::write_atomic(&self.config.out, &numbered, Overwrite::Replace)?;
                steps[0].fixture = numbered.clone();
                files.push((path, numbered));
            }
        }
        let target = self.config.out.join(format!("{}.json", fixture.id));
        let mode = match stale.remove(&key) {
            // Re-recording: the request's old files go first, so that the set
            // never holds both (which would not load: the same request twice
            // without sequence numbers). A file of the same name is replaced
            // by the atomic rename itself.
            Some(old) => {
                for path in old.iter().filter(|p| **p != target) {
                    remove_replaced(path)?;
                }
                Overwrite::Replace
            }
            None => mode,
        };
        let path = store::write_atomic(&self.config.out, &fixture, mode)?;
        let id = fixture.id.clone();
        files.push((path.clone(), fixture.clone()));
        steps.push(Step {
            id: id.clone(),
            answer,
            fixture,
        });
        Ok(Recorded::Written { id, path, files })
    }

    fn build(&self, x: &Exchange) -> Fixture {
        let request_json: Option<serde_json::Value> = serde_json::from_slice(&x.request_body).ok();
        let mut variables = BTreeMap::new();
        if let Some(body) = request_json.as_ref().and_then(|v| v.as_object()) {
            for (member, var) in [
                ("UserPoolId", "user_pool_id"),
                ("Username", "username"),
                ("DeviceKey", "device_key"),
            ] {
                if let Some(s) = body.get(member).and_then(|v| v.as_str()) {
                    variables.insert(var.to_owned(), s.to_owned());
                }
            }
        }
        if let Some(region) = &x.region {
            variables.insert("region".to_owned(), region.clone());
        }
        // Validated against the operation the target names; a target the model
        // does not know gets no annotation (replay and lint report it).
        let operation = x
            .request_headers
            .get(&model::X_AMZ_TARGET)
            .and_then(|v| v.to_str().ok())
            .and_then(model::operation_for_target);
        let expected_violations = operation
            .zip(request_json.as_ref())
            .map(|(op, v)| validate(op, v).violation_texts())
            .unwrap_or_default();
        let found = error_type(
            &x.response_body,
            x.response_headers
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok()),
        );
        let outcome = match (&found, x.status.is_success()) {
            (Some(t), _) => t.name.clone(),
            (None, true) => "success".to_owned(),
            (None, false) => format!("no error type ({})", content_type(&x.response_headers)),
        };
        Fixture {
            tapedeck: CURRENT_VERSION,
            id: String::new(),
            scenario: x.scenario.clone(),
            description: format!(
                "Recorded from {}: HTTP {} {outcome}",
                self.config.endpoint,
                x.status.as_u16()
            ),
            sequence: None,
            provenance: Provenance::Recorded {
                endpoint: self.config.endpoint.clone(),
                recorded_at: humantime::format_rfc3339_millis(std::time::SystemTime::now())
                    .to_string(),
                tool: format!("tapedeck {}", env!("CARGO_PKG_VERSION")),
            },
            variables,
            expected_violations,
            request: Request {
                method: x.method.clone(),
                path: x.path.clone(),
                headers: headers_of(&x.request_headers),
                body: Body::from_bytes(&x.request_body),
            },
            response: Response {
                status: x.status.as_u16(),
                headers: headers_of(&x.response_headers),
                body: Body::from_bytes(&x.response_body),
            },
            compare: Compare::default(),
        }
    }
}

/// The fixtures already in `dir`, with their files. A file that does not load
/// is left alone (and said so), not a reason to forget the rest. Temporary
/// files of interrupted writes are removed first.
fn existing_fixtures(dir: &Path) -> Vec<(PathBuf, Fixture)> {
    remove_stale_temp_files(dir);
    let mut out = Vec::new();
    for raw in store::read_path(dir).unwrap_or_default() {
        match raw.parse() {
            Ok(loaded) => out.push((PathBuf::from(loaded.origin), loaded.fixture)),
            Err(e) => tracing::warn!("ignoring a file that is not a fixture: {e}"),
        }
    }
    out
}

/// Removes a fixture that a re-recorded one replaces (already gone is fine).
fn remove_replaced(path: &Path) -> Result<(), RecordError> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::info!("re-recording: removed {}", path.display());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(RecordError::Write(WriteError::Io {
            path: path.display().to_string(),
            error,
        })),
    }
}

/// Temporary files of writes that a crash interrupted (`.tapedeck-*.tmp`):
/// loaders ignore them, and a new recorder removes them.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".tapedeck-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Every header, lowercase, repeated values kept in order. Redaction then drops
/// what is not on the allowlist.
fn headers_of(map: &HeaderMap) -> Headers {
    let mut out = Headers::new();
    for name in map.keys() {
        let values: Vec<String> = map
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let value = match values.len() {
            1 => HeaderValue::One(values.into_iter().next().unwrap_or_default()),
            _ => HeaderValue::Many(values),
        };
        out.insert(name.as_str().to_owned(), value);
    }
    out
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type")
        .to_owned()
}

/// What a client sees of the answer: status, kept headers, body bytes.
fn answer_digest(f: &Fixture) -> String {
    let mut h = Sha256::new();
    h.update(f.response.status.to_be_bytes());
    h.update(serde_json::to_vec(&f.response.headers).unwrap_or_default());
    h.update(f.response.body.bytes().unwrap_or_default());
    hex(&h.finalize()[..])
}

fn short_hash(key: &RequestKey, answer: &str, position: usize) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update(answer.as_bytes());
    h.update(position.to_be_bytes());
    hex(&h.finalize()[..4])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `UserNotFoundException` → `user-not-found`; success → `success`; anything
/// else → `status-<code>`.
fn outcome_name(f: &Fixture) -> String {
    let bytes = f.response.body.bytes().unwrap_or_default();
    let found = error_type(&bytes, f.response_header("x-amzn-errortype"));
    match found {
        Some(t) => kebab(t.name.trim_end_matches("Exception")),
        None if (200..300).contains(&f.response.status) => "success".to_owned(),
        None => format!("status-{}", f.response.status),
    }
}

fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-').to_owned();
    if trimmed.is_empty() {
        "error".to_owned()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests;
