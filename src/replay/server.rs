//! The replay request path: read the body (bounded), check the contract, look
//! the canonical key up in the index, answer with the recorded bytes or a
//! near-miss report, and journal what happened.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::checks::{self, Inspected};
use super::index::{Found, Index, Lookup};
use super::journal::{self, Journal, Kept, Outcome, Record, Violation};
use super::nearmiss::{self, Probe};
use super::sigv4::Credentials;
use crate::contract::model;
use crate::fixture::RequestKey;
use crate::net::{self, Handler};

/// A request no fixture matched, handed to the miss handler.
#[derive(Debug, Clone)]
pub struct Missed {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// What a miss handler answers: the response, and a note for the journal.
pub type MissAnswer = Option<(Response<Full<Bytes>>, String)>;

/// The seam for `--on-miss forward`: something that can answer a request the
/// fixtures do not cover (the recording proxy forwards it and records the
/// exchange). Returning `None` falls back to the 404 near-miss answer.
pub trait MissHandler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        missed: Missed,
    ) -> Pin<Box<dyn Future<Output = MissAnswer> + Send + 'a>>;
}

/// Settings of one replay server.
pub struct Settings {
    pub verify: Option<Credentials>,
    /// Shut down after answering this many (non-admin) requests.
    pub exit_after: Option<u64>,
    pub on_miss: Option<Arc<dyn MissHandler>>,
    /// How many journal entries to keep.
    pub journal_capacity: usize,
    /// How many near misses to list.
    pub near_misses: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            verify: None,
            exit_after: None,
            on_miss: None,
            journal_capacity: 10_000,
            near_misses: 3,
        }
    }
}

/// The replay server's state.
pub struct Replay {
    pub index: Index,
    pub journal: Journal,
    pub settings: Settings,
    answered: AtomicU64,
    /// Notified when `exit_after` requests have been answered.
    pub done: Notify,
}

impl Replay {
    pub fn new(index: Index, settings: Settings) -> Self {
        Replay {
            journal: Journal::new(settings.journal_capacity),
            index,
            settings,
            answered: AtomicU64::new(0),
            done: Notify::new(),
        }
    }

    /// Rewinds sequences and clears the journal.
    pub fn reset(&self) {
        self.index.reset();
        self.journal.reset();
        self.answered.store(0, Ordering::Relaxed);
    }

    async fn replay(&self, req: hyper::Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let n = self.journal.next_number();
        let target = parts
            .headers
            .get(&checks::X_AMZ_TARGET)
            .map(checks::text_of);
        let mut entry = Record {
            n,
            at: SystemTime::now(),
            method: parts.method.clone(),
            path: journal::text(parts.uri.path()),
            // Set once the fixtures are looked up: a matched group knows its
            // operation's target, which the journal then borrows.
            target: None,
            status: 0,
            outcome: Kept::Other(Outcome::Rejected {
                kind: String::new(),
                message: String::new(),
            }),
            violations: Vec::new(),
        };
        let body = match net::read_request_body(&parts.headers, body).await {
            Ok(b) => b,
            Err(e) => {
                let (status, kind) = e.status_and_kind();
                entry.target = target.as_deref().map(journal::text);
                return self.finish(entry, tapedeck_error(status, kind, &e.to_string(), None));
            }
        };
        let target_str = target.as_deref().unwrap_or_default();
        let (method, path) = (parts.method.as_str(), parts.uri.path());
        // The fixtures of this request, if any (they also know the model's
        // validation of its body). Usually the body is a recorded one, byte for
        // byte, and need not be parsed: it is the recorded value. Otherwise the
        // parsed body is looked up by value, as recorded, then by canonical key.
        let parsed: Option<Value>;
        let (found, json) = match self.index.find_sent(method, path, target_str, &body) {
            Some((found, recorded)) => (Some(found), Some(recorded)),
            None => {
                parsed = serde_json::from_slice(&body).ok();
                let found = parsed
                    .as_ref()
                    .and_then(|v| self.index.find_value(method, path, target_str, v))
                    .or_else(|| {
                        let key = match &parsed {
                            Some(v) => RequestKey::from_json(method, path, target_str, v),
                            None => RequestKey::new(method, path, target_str, &body),
                        };
                        self.index.find(&key)
                    });
                (found, parsed.as_ref())
            }
        };
        entry.target = target
            .as_deref()
            .map(|t| match found.and_then(|f| f.operation()) {
                Some(op) => std::borrow::Cow::Borrowed(op.target.as_str()),
                None => journal::text(t),
            });
        let inspected = Inspected {
            method,
            uri: &parts.uri,
            headers: &parts.headers,
            body: &body,
            json,
        };
        let known = checks::Known {
            operation: found.and_then(|f| f.operation()),
            validation: found.and_then(|f| f.validation()),
        };
        let checked = checks::check_all(&inspected, self.settings.verify.as_ref(), known);
        let operation = checked.operation;
        entry.violations = checked.violations;
        if let Some((kind, message)) = checked.envelope {
            if !recorded_as_is(found, &parts.headers) {
                entry.outcome = Kept::Other(Outcome::Rejected {
                    kind: kind.to_owned(),
                    message: message.clone(),
                });
                return self.finish(
                    entry,
                    tapedeck_error(StatusCode::BAD_REQUEST, kind, &message, None),
                );
            }
        }
        let response = match found.map_or(Lookup::Miss, |f| f.take()) {
            Lookup::Hit {
                prepared,
                position,
                len,
            } => {
                checks::excuse_expected(
                    &mut entry.violations,
                    operation,
                    json,
                    &prepared.fixture.expected_violations,
                    known.validation,
                );
                if let Some(e) = &prepared.unmodelled_error {
                    entry
                        .violations
                        .push(Violation::new("model/error-type", e.to_string()));
                }
                let response = recorded_response(prepared);
                entry.outcome = Kept::Matched {
                    fixture: prepared.number,
                    position,
                    of: len,
                };
                response
            }
            Lookup::Exhausted { len, last } => {
                let message = format!(
                    "the sequence of {len} responses for this request (last: {}) is used up and the fixture set's sequence_end is 'error'; POST /__tapedeck/reset rewinds it",
                    last.fixture.id
                );
                entry.outcome = Kept::Other(Outcome::Exhausted {
                    last: last.fixture.id.clone(),
                    of: len,
                });
                entry
                    .violations
                    .push(Violation::new("replay/sequence-exhausted", message.clone()));
                tapedeck_error(StatusCode::NOT_FOUND, "sequence-exhausted", &message, None)
            }
            Lookup::Miss => {
                let missed = Missed {
                    method: parts.method.clone(),
                    uri: parts.uri.clone(),
                    headers: parts.headers.clone(),
                    body: body.clone(),
                };
                let forwarded = match &self.settings.on_miss {
                    Some(h) => h.handle(missed).await,
                    None => None,
                };
                match forwarded {
                    Some((resp, detail)) => {
                        entry.outcome = Kept::Other(Outcome::Forwarded { detail });
                        resp
                    }
                    None => self.miss(&inspected, target.as_deref(), &mut entry),
                }
            }
        };
        self.finish(entry, response)
    }

    fn miss(
        &self,
        req: &Inspected<'_>,
        target: Option<&str>,
        entry: &mut Record,
    ) -> Response<Full<Bytes>> {
        let probe = Probe {
            method: req.method,
            path: req.uri.path(),
            target,
            json: req.json,
            raw: req.body,
        };
        let near = nearmiss::nearest(self.index.fixtures(), &probe, self.settings.near_misses);
        let message = match near.first() {
            Some(best) => format!(
                "no fixture matches this request; nearest is '{}' ({} difference{}: {})",
                best.fixture,
                best.differences,
                if best.differences == 1 { "" } else { "s" },
                best.diff
                    .iter()
                    .map(|d| d.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "no fixture matches this request (no fixtures are loaded)".to_owned(),
        };
        tracing::warn!(
            request = entry.n,
            target = target.unwrap_or("-"),
            "{message}"
        );
        let details = json!({ "near_misses": near });
        entry.outcome = Kept::Other(Outcome::Unmatched { near_misses: near });
        tapedeck_error(StatusCode::NOT_FOUND, "no-match", &message, Some(details))
    }

    fn finish(&self, mut entry: Record, response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
        entry.status = response.status().as_u16();
        for v in &entry.violations {
            tracing::info!(request = entry.n, rule = %v.rule, "contract violation: {}", v.message);
        }
        self.journal.record(entry);
        // Counted only when needed: a counter every request writes is a cache
        // line that every core's requests pass back and forth.
        if let Some(limit) = self.settings.exit_after {
            if self.answered.fetch_add(1, Ordering::Relaxed) + 1 >= limit {
                self.done.notify_one();
            }
        }
        response
    }
}

impl Handler for Replay {
    async fn handle(
        &self,
        req: hyper::Request<Incoming>,
        _peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        if req.uri().path().starts_with(super::admin::PREFIX) {
            return super::admin::handle(self, req).await;
        }
        self.replay(req).await
    }
}

/// Whether a fixture recorded this very request, envelope and all: same key
/// and same content type. Such a request is served even though it is not
/// proper awsJson, because the fixture says what the endpoint did with it.
fn recorded_as_is(found: Option<Found<'_>>, headers: &http::HeaderMap) -> bool {
    let sent = headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.as_bytes());
    found.is_some_and(|f| {
        f.first()
            .fixture
            .request_header("content-type")
            .map(str::as_bytes)
            == sent
    })
}

/// The recorded response, with a fresh request id. hyper adds `Date` and the
/// correct `Content-Length`.
fn recorded_response(p: &super::index::Prepared) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(p.body.clone()));
    *resp.status_mut() = p.status;
    *resp.headers_mut() = p.response_headers(request_id());
    resp
}

/// A fresh `x-amzn-requestid`: a random (version 4) UUID, as AWS sends. The random
/// bits come from a per-thread generator seeded once from the operating system,
/// rather than a `getrandom` system call per response.
fn request_id() -> HeaderValue {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0);
    }
    // splitmix64: every seed gives a full-period sequence of well-mixed outputs.
    fn next(state: &Cell<u64>) -> u64 {
        let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let (hi, lo) = STATE.with(|s| (next(s), next(s)));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_le_bytes());
    bytes[8..].copy_from_slice(&lo.to_le_bytes());
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text)).expect("uuid is ASCII")
}

/// `no-match` → `TapedeckNoMatch`: the `__type` of a tapedeck-made error.
pub fn error_type_name(kind: &str) -> String {
    let mut name = String::from("Tapedeck");
    for word in kind.split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// A tapedeck-made error: awsJson-shaped, so SDKs surface `__type`, plus the
/// `x-tapedeck-error` header naming the kind.
pub fn tapedeck_error(
    status: StatusCode,
    kind: &str,
    message: &str,
    details: Option<Value>,
) -> Response<Full<Bytes>> {
    let ty = error_type_name(kind);
    let mut body = json!({ "__type": ty, "message": message, "kind": kind });
    if let (Some(Value::Object(extra)), Value::Object(map)) = (details, &mut body) {
        map.extend(extra);
    }
    let bytes = serde_json::to_vec_pretty(&body).expect("JSON serialises");
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(model::CONTENT_TYPE),
    );
    h.insert(
        "x-amzn-errortype",
        HeaderValue::from_str(&ty).expect("ASCII"),
    );
    h.insert(
        "x-tapedeck-error",
        HeaderValue::from_str(kind).expect("ASCII"),
    );
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_type_names_follow_the_kind() {
        assert_eq!(super::error_type_name("no-match"), "TapedeckNoMatch");
        assert_eq!(
            super::error_type_name("upstream-unreachable"),
            "TapedeckUpstreamUnreachable"
        );
        assert_eq!(
            super::error_type_name("content-type"),
            "TapedeckContentType"
        );
    }
}
