//! The admin API under `/__tapedeck/`: `health`, `fixtures`, `journal`,
//! `bindings` (GET) and `reset` (POST; rewinds sequences, forgets bindings and
//! starts a new journal window, or only one of them with `?only=sequences`,
//! `?only=bindings` or `?only=journal`). `journal` shows the window (its
//! `totals` and `entries`) and the run's counters (`run`, which a reset never
//! clears); `journal?format=text` is the [`super::readable`] report of the
//! window, with its problem count in `x-tapedeck-problems`. `bindings` lists
//! each bound pseudonym with the request that bound it and the length of its
//! value, never the value. Admin requests are not journaled and never match
//! fixtures.

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, Uri};
use http_body_util::Full;
use serde::Serialize;
use serde_json::json;

use super::server::Replay;

/// The path prefix of the admin API.
pub(crate) const PREFIX: &str = "/__tapedeck/";

/// One fixture as `fixtures` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct FixtureSummary<'a> {
    pub(crate) id: &'a str,
    pub(crate) scenario: Option<&'a str>,
    pub(crate) sequence: Option<u32>,
    pub(crate) status: u16,
    pub(crate) error_type: Option<String>,
    pub(crate) origin: &'a str,
}

pub(crate) fn handle(replay: &Replay, method: &Method, uri: &Uri) -> Response<Full<Bytes>> {
    let route = uri.path().trim_start_matches(PREFIX).trim_end_matches('/');
    match (method, route) {
        (&Method::GET, "health") => respond(
            StatusCode::OK,
            &json!({ "status": "ok", "fixtures": replay.index.len() }),
        ),
        (&Method::GET, "fixtures") => {
            let fixtures = replay.index.fixtures();
            let list: Vec<FixtureSummary<'_>> = fixtures
                .iter()
                .map(|p| FixtureSummary {
                    id: &p.fixture.id,
                    scenario: p.fixture.scenario.as_deref(),
                    sequence: p.fixture.sequence,
                    status: p.status.as_u16(),
                    error_type: crate::contract::error_type(
                        &p.body,
                        p.headers
                            .get("x-amzn-errortype")
                            .and_then(|v| v.to_str().ok()),
                    )
                    .map(|t| t.name),
                    origin: &p.origin,
                })
                .collect();
            respond(StatusCode::OK, &list)
        }
        (&Method::GET, "journal") => match uri.query() {
            None | Some("" | "format=json") => respond(
                StatusCode::OK,
                &json!({
                    "totals": replay.journal.totals(),
                    "run": replay.journal.run_totals(),
                    "entries": replay.journal.entries(&replay.index.fixtures()),
                }),
            ),
            Some("format=text") => readable(&replay.journal.entries(&replay.index.fixtures())),
            Some(other) => respond(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("unknown journal option '{other}': use no query (JSON), ?format=json or ?format=text") }),
            ),
        },
        (&Method::GET, "bindings") => respond(StatusCode::OK, &replay.bindings.list()),
        (&Method::POST, "reset") => match uri.query() {
            None | Some("") => {
                replay.reset();
                respond(
                    StatusCode::OK,
                    &json!({ "reset": ["sequences", "bindings", "journal"] }),
                )
            }
            Some("only=sequences") => {
                replay.index.reset();
                respond(StatusCode::OK, &json!({ "reset": ["sequences"] }))
            }
            Some("only=bindings") => {
                replay.bindings.reset();
                respond(StatusCode::OK, &json!({ "reset": ["bindings"] }))
            }
            Some("only=journal") => {
                replay.journal.reset();
                respond(StatusCode::OK, &json!({ "reset": ["journal"] }))
            }
            Some(other) => respond(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("unknown reset option '{other}': use no query (all three), ?only=sequences, ?only=bindings or ?only=journal") }),
            ),
        },
        (_, "health" | "fixtures" | "journal" | "bindings" | "reset") => respond(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({ "error": format!("{} is not allowed here: use GET for health, fixtures, journal and bindings, POST for reset", method) }),
        ),
        _ => respond(
            StatusCode::NOT_FOUND,
            &json!({ "error": format!("unknown admin route '{}'; try {PREFIX}health, {PREFIX}fixtures, {PREFIX}journal, {PREFIX}bindings or POST {PREFIX}reset", uri.path()) }),
        ),
    }
}

/// The readable report of `entries`, as text; `x-tapedeck-problems` counts the
/// requests that matched no fixture or broke the contract (0: all clean).
fn readable(entries: &[super::journal::Entry]) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(super::readable::render(entries))));
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        "x-tapedeck-problems",
        HeaderValue::from(super::readable::problems(entries)),
    );
    resp
}

fn respond<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Full<Bytes>> {
    let mut bytes = serde_json::to_vec_pretty(body).expect("admin bodies serialise");
    bytes.push(b'\n');
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
