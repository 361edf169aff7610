//! The replay request path: read the body (bounded), check the contract, look
//! the canonical key up in the index, answer with the recorded bytes or a
//! near-miss report, and journal what happened.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use hyper::body::Incoming;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::admin;
use super::bind::{Bindings, Slots, Used};
use super::checks::{self, Inspected};
use super::index::{EndPolicy, Found, Index, Lookup, Prepared};
use super::journal::{self, Entry, FixtureNo, Journal, Outcome, Totals, Violation};
use super::nearmiss::{self, Probe};
use super::tuning::request_id;
use crate::fixture::RequestKey;
use crate::net::{self, tapedeck_error, ErrorKind, MissHandler, Missed};
use crate::sigv4::Credentials;

/// Settings of one replay server.
pub struct Settings {
    /// Also recompute each request's signature with these credentials.
    pub verify: Option<Credentials>,
    /// Shut down after answering this many (non-admin) requests.
    pub exit_after: Option<u64>,
    /// What answers a request no fixture matches (the recording proxy, which
    /// forwards it and records the exchange); `None`: the 404 answer naming
    /// the nearest fixtures.
    pub on_miss: Option<Arc<dyn MissHandler>>,
    /// Hand every request to `on_miss`, matched or not (`--mode all`).
    pub forward_all: bool,
    /// Serve what `on_miss` records from then on, with this sequence policy
    /// (`--mode new-episodes`); `None`: every later miss is handed over again.
    pub serve_recorded: Option<EndPolicy>,
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
            forward_all: false,
            serve_recorded: None,
            journal_capacity: 10_000,
            near_misses: 3,
        }
    }
}

/// A request body the replay path reads: hyper's as it arrives, within the
/// size limit, or one already read whole ([`Replay::answer`]). Generic, so
/// that the listener's path stays one future: a second async function around
/// the replay path cost it about 400 instructions per request (callgrind).
pub(super) trait RequestBody {
    /// The whole body, or why it cannot be had.
    fn read(
        self,
        headers: &http::HeaderMap,
    ) -> impl Future<Output = Result<Bytes, net::BodyError>> + Send + '_;
}

impl RequestBody for Incoming {
    fn read(
        self,
        headers: &http::HeaderMap,
    ) -> impl Future<Output = Result<Bytes, net::BodyError>> + Send + '_ {
        net::read_request_body(headers, self)
    }
}

impl RequestBody for Bytes {
    fn read(
        self,
        _: &http::HeaderMap,
    ) -> impl Future<Output = Result<Bytes, net::BodyError>> + Send + '_ {
        std::future::ready(if self.len() > net::MAX_BODY {
            Err(net::BodyError::TooLarge {
                limit: net::MAX_BODY,
            })
        } else {
            Ok(self)
        })
    }
}

/// The replay server's state.
pub struct Replay {
    pub(crate) index: Index,
    pub(crate) journal: Journal,
    /// What each pseudonym stands for in this run.
    pub(crate) bindings: Bindings,
    pub(crate) settings: Settings,
    answered: AtomicU64,
    /// Notified when `exit_after` requests have been answered.
    pub(crate) done: Notify,
}

impl Replay {
    /// A server of `index`'s fixtures.
    pub fn new(index: Index, settings: Settings) -> Self {
        Replay {
            journal: Journal::new(settings.journal_capacity),
            bindings: Bindings::default(),
            index,
            settings,
            answered: AtomicU64::new(0),
            done: Notify::new(),
        }
    }

    /// Rewinds sequences, forgets bindings and starts a new journal window.
    /// The run goes on: its counters and unclean requests (what `--strict`,
    /// the report and JUnit use) and the count towards `exit_after` are kept.
    pub fn reset(&self) {
        self.index.reset();
        self.bindings.reset();
        self.journal.reset();
    }

    /// The run's counters, since the server started: what `--strict`, the
    /// reports and the summary line judge. A reset never clears them.
    pub fn run_totals(&self) -> Totals {
        self.journal.run_totals()
    }

    /// Answers one request that has been read whole, as the server does: a
    /// route of the admin API under `/__tapedeck/`, or the replay path
    /// (contract checks, the fixture lookup, the journal). For a program that
    /// takes requests some other way than [`start`](super::start)'s listener,
    /// and for the fuzz targets.
    pub async fn answer(&self, request: http::Request<Bytes>) -> Response<Full<Bytes>> {
        if request.uri().path().starts_with(admin::PREFIX) {
            return admin::handle(self, request.method(), request.uri());
        }
        self.replay(request).await
    }

    /// Answers one (non-admin) request: reads its body (for hyper's, within
    /// the size limit), checks it, looks it up, journals it.
    pub(super) async fn replay<B: RequestBody>(
        &self,
        req: http::Request<B>,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let (n, window_n) = self.journal.next_number();
        let at = SystemTime::now();
        let target = parts
            .headers
            .get(&checks::X_AMZ_TARGET)
            .map(checks::text_of);
        // The target is journaled once the fixtures are looked up: a matched
        // group knows its operation's target, which the journal then borrows.
        let journaled = |target: Option<Cow<'static, str>>,
                         outcome: Outcome<FixtureNo>,
                         violations: Vec<Violation>| Entry {
            n: window_n,
            run_n: n,
            at,
            method: parts.method.clone(),
            path: journal::text(parts.uri.path()),
            target,
            status: 0,
            outcome,
            violations,
            bindings: Vec::new(),
        };
        let body = match body.read(&parts.headers).await {
            Ok(b) => b,
            Err(e) => {
                let message = e.to_string();
                let response = tapedeck_error(e.kind(), &message, None);
                let outcome = Outcome::Rejected {
                    kind: e.kind(),
                    message,
                };
                let target = target.as_deref().map(journal::text);
                return self.finish(journaled(target, outcome, Vec::new()), response);
            }
        };
        let target_str = target.as_deref().unwrap_or_default();
        let (method, path) = (parts.method.as_str(), parts.uri.path());
        // The fixtures of this request, if any (they also know the model's
        // validation of its body). Usually the body is a recorded one, byte for
        // byte, and need not be parsed: it is the recorded value. Otherwise
        // see `Replay::find`. With `forward_all`, fixtures answer nothing.
        let sent = match self.settings.forward_all {
            true => None,
            false => self.index.find_sent(method, path, target_str, &body),
        };
        let parsed: Option<Value> = match sent {
            Some((f, _)) if f.is_literal() => None,
            _ => serde_json::from_slice(&body).ok(),
        };
        let json = match sent {
            Some((_, recorded)) => Some(recorded),
            None => parsed.as_ref(),
        };
        let added = match (sent, self.settings.forward_all) {
            (_, true) => None,
            (Some((f, _)), false) if f.is_literal() => None,
            _ => self.index.added(),
        };
        let mut used: Vec<Used> = Vec::new();
        let found = match (sent, self.settings.forward_all) {
            (Some((f, _)), _) if f.is_literal() => Some(f),
            (_, true) => None,
            (sent, false) => {
                let request = Request {
                    method,
                    path,
                    target: target_str,
                    body: &body,
                    json,
                    n,
                };
                self.find(&request, sent.map(|(f, _)| f), added.as_deref(), &mut used)
            }
        };
        let journal_target = target
            .as_deref()
            .map(|t| match found.and_then(|f| f.operation()) {
                Some(op) => Cow::Borrowed(op.target.as_str()),
                None => journal::text(t),
            });
        let inspected = Inspected {
            method,
            uri: &parts.uri,
            headers: &parts.headers,
            body: &body,
            json,
        };
        // A group's validation is of its recorded body: the request's own
        // when it matched exactly, not when it matched by binding.
        let known = checks::Known {
            operation: found.and_then(|f| f.operation()),
            validation: found.filter(Found::is_literal).and_then(|f| f.validation()),
        };
        let checked = checks::check_all(&inspected, self.settings.verify.as_ref(), known);
        let operation = checked.operation;
        let mut violations = checked.violations;
        if let Some((kind, message)) = checked.envelope {
            if !recorded_as_is(found, &parts.headers) {
                let response = tapedeck_error(kind, &message, None);
                let outcome = Outcome::Rejected { kind, message };
                return self.finish(journaled(journal_target, outcome, violations), response);
            }
        }
        let (outcome, response) = match found.map_or(Lookup::Miss, |f| f.take()) {
            Lookup::Hit {
                prepared,
                position,
                len,
            } => {
                checks::excuse_expected(
                    &mut violations,
                    operation,
                    json,
                    &prepared.fixture.expected_violations,
                    known.validation,
                );
                if let Some(e) = &prepared.unmodelled_error {
                    violations.push(Violation::new("model/error-type", e.to_string()));
                }
                let outcome = Outcome::Matched {
                    fixture: prepared.number,
                    position,
                    of: len,
                };
                (outcome, self.recorded_response(prepared))
            }
            Lookup::Exhausted { len, last, policy } => {
                let message = format!(
                    "the sequence of {len} responses for this request (last: {}) is used up and {policy}; POST /__tapedeck/reset rewinds it",
                    last.fixture.id
                );
                violations.push(Violation::new("replay/sequence-exhausted", message.clone()));
                let outcome = Outcome::Exhausted {
                    last: last.fixture.id.clone(),
                    of: len,
                };
                (
                    outcome,
                    tapedeck_error(ErrorKind::SequenceExhausted, &message, None),
                )
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
                    Some(answered) => {
                        if let Some(end) = &self.settings.serve_recorded {
                            self.serve_recorded(answered.recorded, end.clone(), json, n);
                        }
                        let detail = answered.note;
                        (Outcome::Forwarded { detail }, answered.response)
                    }
                    None => self.miss(&inspected, target.as_deref(), n),
                }
            }
        };
        let mut entry = journaled(journal_target, outcome, violations);
        entry.bindings = used;
        self.finish(entry, response)
    }

    /// The fixtures of a request that is not, byte for byte, a recorded
    /// literal one: by its parsed value (as recorded; `sent`, when its bytes
    /// are those of a recorded request with pseudonyms), among the fixtures
    /// loaded at start-up, then among those added since; then, if the request
    /// differs from fixtures only where recording replaced values, by binding
    /// (`used` gets what it bound or used); last by canonical key (`1.0` and
    /// `1` are one number). Out of line: the usual request never comes here.
    #[inline(never)]
    fn find<'a>(
        &'a self,
        req: &Request<'_>,
        sent: Option<Found<'a>>,
        added: Option<&'a crate::replay::index::Added>,
        used: &mut Vec<Used>,
    ) -> Option<Found<'a>> {
        let (method, path, target) = (req.method, req.path, req.target);
        let by_value = |index: &'a Index| {
            req.json
                .and_then(|v| index.find_value(method, path, target, v))
        };
        let exact = sent.or_else(|| by_value(&self.index)).or_else(|| {
            let added = &added?.index;
            added
                .find_sent(method, path, target, req.body)
                .map(|(f, _)| f)
                .or_else(|| by_value(added))
        });
        if let Some(f) = exact.filter(Found::is_literal) {
            return Some(f);
        }
        let slotted =
            exact.is_some() || self.index.has_slots() || added.is_some_and(|a| a.index.has_slots());
        if let (true, Some(json)) = (slotted, req.json) {
            if let Some(f) = self.by_binding(req, json, exact, added, used) {
                return Some(f);
            }
        }
        let key = match req.json {
            Some(v) => RequestKey::from_json(method, path, target, v),
            None => RequestKey::new(method, path, target, req.body),
        };
        let by_key = self
            .index
            .find(&key)
            .or_else(|| added.and_then(|a| a.index.find(&key)))?;
        match (by_key.is_literal(), req.json) {
            (true, _) => Some(by_key),
            (false, Some(json)) => self.by_binding(req, json, Some(by_key), added, used),
            (false, None) => None,
        }
    }

    /// The fixtures that differ from the request only where recording
    /// replaced values, and whose pseudonyms can stand for the request's
    /// values (see [`crate::replay::bind`]): the one chosen, with what the
    /// request bound or used in `used`.
    fn by_binding<'a>(
        &'a self,
        req: &Request<'_>,
        json: &Value,
        exact: Option<Found<'a>>,
        added: Option<&'a crate::replay::index::Added>,
        used: &mut Vec<Used>,
    ) -> Option<Found<'a>> {
        let (method, path, target) = (req.method, req.path, req.target);
        let mut candidates = self.index.candidates(method, path, target, json, exact);
        if let Some(a) = added {
            for f in a.index.candidates(method, path, target, json, None) {
                if !candidates.iter().any(|c| c.same(&f)) {
                    candidates.push(f);
                }
            }
        }
        let slots: Vec<&Slots> = candidates.iter().filter_map(|f| f.slots()).collect();
        let (i, bound) = self.bindings.choose(&slots, json, req.n)?;
        *used = bound;
        Some(candidates[i])
    }

    /// Serves fixtures recorded in this run from now on, their pseudonyms
    /// bound to the values of the request (`json`) they were recorded from.
    fn serve_recorded(
        &self,
        recorded: Vec<(std::path::PathBuf, crate::fixture::Fixture)>,
        end: EndPolicy,
        json: Option<&Value>,
        n: u64,
    ) {
        let slots: Vec<Slots> = recorded
            .iter()
            .filter_map(|(_, f)| {
                let op = f
                    .request_header("x-amz-target")
                    .and_then(crate::contract::model::operation_for_target)?;
                Slots::of(op, &*f.request.body.json()?)
            })
            .collect();
        if let Err(e) = self.index.add(recorded, end) {
            tracing::warn!("recorded, but not served in this run: {e}");
            return;
        }
        if let Some(json) = json {
            for s in &slots {
                self.bindings.bind_recorded(s, json, n);
            }
        }
    }

    /// The recorded response, with a fresh request id, and the values bound
    /// to the pseudonyms it mentions given back. hyper adds `Date` and the
    /// correct `Content-Length`.
    #[inline]
    fn recorded_response(&self, p: &Prepared) -> Response<Full<Bytes>> {
        match &p.mentions {
            None => recorded_response(p),
            Some(mentions) => self.given_back(p, mentions),
        }
    }

    /// [`Replay::recorded_response`] of a fixture whose answer mentions
    /// pseudonyms: the bound ones replaced.
    #[inline(never)]
    fn given_back(
        &self,
        p: &Prepared,
        mentions: &crate::replay::bind::Mentions,
    ) -> Response<Full<Bytes>> {
        let values = self.bindings.values(mentions.names());
        let body = mentions
            .body(&p.body, &values)
            .unwrap_or_else(|| p.body.clone());
        let mut resp = Response::new(Full::new(body));
        *resp.status_mut() = p.status;
        let mut headers = p.response_headers(request_id());
        mentions.headers(&mut headers, &values);
        *resp.headers_mut() = headers;
        resp
    }

    /// The near-miss answer to a request no fixture matches.
    fn miss(
        &self,
        req: &Inspected<'_>,
        target: Option<&str>,
        n: u64,
    ) -> (Outcome<FixtureNo>, Response<Full<Bytes>>) {
        let probe = Probe {
            method: req.method,
            path: req.uri.path(),
            target,
            json: req.json,
            raw: req.body,
            bindings: Some(&self.bindings),
        };
        let near = nearmiss::nearest(
            self.index.fixtures().iter(),
            &probe,
            self.settings.near_misses,
        );
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
        tracing::warn!(request = n, target = target.unwrap_or("-"), "{message}");
        let details = json!({ "near_misses": near });
        let response = tapedeck_error(ErrorKind::NoMatch, &message, Some(details));
        (Outcome::Unmatched { near_misses: near }, response)
    }

    fn finish(
        &self,
        mut entry: Entry<FixtureNo>,
        response: Response<Full<Bytes>>,
    ) -> Response<Full<Bytes>> {
        entry.status = response.status().as_u16();
        // At WARN, as a miss is: either makes a strict run fail.
        for v in &entry.violations {
            tracing::warn!(request = entry.run_n, rule = %v.rule, "contract violation: {}", v.message);
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

/// A request as [`Replay::find`] looks it up.
struct Request<'r> {
    method: &'r str,
    path: &'r str,
    target: &'r str,
    body: &'r [u8],
    /// The parsed body; `None` when it is not JSON.
    json: Option<&'r Value>,
    /// Its number in the journal.
    n: u64,
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
#[inline]
fn recorded_response(p: &Prepared) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(p.body.clone()));
    *resp.status_mut() = p.status;
    *resp.headers_mut() = p.response_headers(request_id());
    resp
}
