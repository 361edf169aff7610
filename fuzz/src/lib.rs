//! The bodies of tapedeck's fuzz targets, shared by the libFuzzer binaries in
//! `fuzz_targets/` (nightly, `scripts/fuzz.sh`) and by the stable corpus replay
//! in `tests/it/prop_fuzz_corpus.rs`, which includes this file with `#[path]`.
//! It must therefore depend on nothing but `tapedeck` and the crates tapedeck
//! itself depends on (`bytes`, `http`, `http-body-util`, `serde_json`).
//!
//! Each function panics only when tapedeck breaks one of its own promises; any
//! input, however malformed, must be handled without a panic.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use http_body_util::Full;
use serde_json::Value;

use tapedeck::fixture::SequenceEnd;
use tapedeck::fixture::{self, parse_fixture};
use tapedeck::fixture::{to_canonical_string, RequestKey};
use tapedeck::net::ErrorKind;
use tapedeck::replay::Outcome;
use tapedeck::replay::Report;
use tapedeck::replay::{Index, Replay, Settings};
use tapedeck::sigv4::Credentials;

/// The fixture parser: any text either loads or fails with an error that
/// names the file; what loads is written back canonically, and the canonical
/// text loads to the same fixture and writes to the same bytes.
pub fn fixture_parser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let origin = "fuzz.json";
    match parse_fixture(origin, &text) {
        Err(e) => {
            assert_eq!(e.path(), origin, "a load error must name its file");
            assert!(e.line() >= 1, "a load error names a 1-based line: {e}");
            let _ = e.to_string();
            let _ = e.message();
        }
        Ok(first) => {
            let canonical = to_canonical_string(&first);
            let second = parse_fixture(origin, &canonical)
                .unwrap_or_else(|e| panic!("the canonical text of a loaded fixture fails: {e}"));
            // serde_json's default parser may read a float back one ULP off
            // (tests/it/prop_fixture.rs, floats_survive_a_load_and_write_cycle):
            // only then may the second load differ.
            let same = second == first && to_canonical_string(&second) == canonical;
            assert!(
                same || has_float(&first),
                "not byte-identical after one canonicalisation"
            );
            // The match key and the lint rules must cope with anything that loads.
            let _ = RequestKey::of(&first);
            let _ = tapedeck::lint::lint(vec![fixture::RawFixture {
                origin: origin.to_owned(),
                set: tapedeck::fixture::SetOrigin::Dir("fuzz".into()),
                stem: first.id.clone(),
                text: text.into_owned(),
            }]);
        }
    }
}

/// The replay servers a request goes to, built once per thread (so that tests
/// running side by side see their own sequences and journal): the bundled
/// reference set, whose sequences end in `error` so that the exhausted branch
/// is reachable, with and without `--verify-signature`. Their journals keep
/// one entry: the request just answered.
struct ReplayState {
    plain: Replay,
    verifying: Replay,
}

thread_local! {
    static STATE: ReplayState = ReplayState {
        plain: replay(None),
        verifying: replay(Some(
            "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
                .parse()
                .expect("valid credentials"),
        )),
    };
}

fn replay(verify: Option<Credentials>) -> Replay {
    let fixtures = fixture::load_embedded("reference").expect("the embedded set loads");
    let index = Index::build(fixtures, |_| SequenceEnd::Error).expect("the reference index builds");
    let settings = Settings {
        verify,
        journal_capacity: 1,
        ..Settings::default()
    };
    Replay::new(index, settings)
}

/// A request decoded from fuzz input, already past hyper's parser: only
/// methods, URIs and headers that `http` accepts reach the handler.
pub struct FuzzRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Also recompute the signature, as `--verify-signature` does.
    pub verify: bool,
}

/// Decodes `METHOD PATH\nname: value\n…\n\nbody`. The first byte, if it is
/// `!`, turns signature verification on. Returns `None` for what hyper would
/// refuse before tapedeck's code runs (a bad method, URI or header).
pub fn decode_request(data: &[u8]) -> Option<FuzzRequest> {
    let (verify, data) = match data.split_first() {
        Some((b'!', rest)) => (true, rest),
        _ => (false, data),
    };
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next().unwrap_or_default();
    let (method, path) = match request_line.iter().position(|&b| b == b' ') {
        Some(i) => (&request_line[..i], &request_line[i + 1..]),
        None => (request_line, &b"/"[..]),
    };
    let method = Method::from_bytes(method).ok()?;
    let uri = Uri::try_from(path).ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&line[..colon]).ok()?;
        let value = line[colon + 1..].trim_ascii_start();
        let value = HeaderValue::from_bytes(value).ok()?;
        headers.append(name, value);
    }
    if body.len() > tapedeck::net::MAX_BODY {
        return None; // answered 413 before any of this runs
    }
    Some(FuzzRequest {
        method,
        uri,
        headers,
        body: body.to_vec(),
        verify,
    })
}

/// The replay server's request path for one request, without a socket:
/// [`Replay::answer`], what the server calls once it has read a request.
/// Returns what the server did.
pub fn replay_request(data: &[u8]) -> Option<Served> {
    let req = decode_request(data)?;
    Some(serve(&req))
}

/// What the server did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// 400: not awsJson (content type, target, JSON), and no fixture recorded it so.
    Rejected { kind: ErrorKind },
    /// Answered from this fixture.
    Hit { id: String, status: StatusCode },
    /// 404: the sequence for this request is used up.
    Exhausted,
    /// 404: no fixture matches; the nearest one, if any.
    Miss { nearest: Option<(String, usize)> },
    /// A route of the admin API under `/__tapedeck/` (not journaled).
    Admin { status: StatusCode },
}

/// [`replay_request`] for an already decoded request.
pub fn serve(req: &FuzzRequest) -> Served {
    let target = req
        .headers
        .get("x-amz-target")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let target = target.as_deref().unwrap_or_default();
    let path = req.uri.path();
    // The server keys parsed bodies with from_json and raw ones with new: the
    // two must agree, or a fixture and a request could key differently.
    if let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
        assert_eq!(
            RequestKey::from_json(req.method.as_str(), path, target, &v),
            RequestKey::new(req.method.as_str(), path, target, &req.body),
            "from_json and new disagree"
        );
    }
    let mut request = http::Request::new(Bytes::from(req.body.clone()));
    *request.method_mut() = req.method.clone();
    *request.uri_mut() = req.uri.clone();
    *request.headers_mut() = req.headers.clone();
    STATE.with(|state| {
        let replay = if req.verify {
            &state.verifying
        } else {
            &state.plain
        };
        let before = Report::of(replay).totals;
        let response = ready(replay.answer(request));
        let status = response.status();
        let mut report = Report::of(replay);
        let journaled = report.totals.requests == before.requests + 1;
        let Some(entry) = report.entries.pop().filter(|_| journaled) else {
            assert!(
                path.starts_with("/__tapedeck/"),
                "only admin requests go unjournaled: {path}"
            );
            return Served::Admin { status };
        };
        assert_eq!(
            entry.status,
            status.as_u16(),
            "the journal has the status sent"
        );
        for v in &entry.violations {
            assert!(!v.rule.is_empty() && !v.message.is_empty(), "{v:?}");
        }
        let kind = response
            .headers()
            .get("x-tapedeck-error")
            .map(|v| v.to_str().expect("a wire name").to_owned());
        match entry.outcome {
            Outcome::Matched {
                fixture,
                position,
                of,
            } => {
                assert!((1..=of).contains(&position));
                assert_eq!(kind, None, "a recorded answer is not tapedeck's own");
                Served::Hit {
                    id: fixture,
                    status,
                }
            }
            Outcome::Exhausted { of, .. } => {
                assert!(of >= 2, "only sequences can be used up");
                assert_eq!(status, StatusCode::NOT_FOUND);
                assert_json_error(response.body(), "sequence-exhausted");
                Served::Exhausted
            }
            Outcome::Unmatched { near_misses } => {
                assert!(near_misses.len() <= 3);
                for m in &near_misses {
                    // Zero differences would mean the key should have matched.
                    assert_eq!(m.differences, m.diff.len());
                    assert!(m.differences > 0, "a near miss without a difference: {m:?}");
                }
                assert_eq!(status, StatusCode::NOT_FOUND);
                assert_json_error(response.body(), "no-match");
                Served::Miss {
                    nearest: near_misses
                        .first()
                        .map(|m| (m.fixture.clone(), m.differences)),
                }
            }
            Outcome::Rejected { kind, .. } => {
                assert_eq!(status, kind.status());
                assert_json_error(response.body(), kind.wire_name());
                Served::Rejected { kind }
            }
            Outcome::Forwarded { .. } => unreachable!("no miss handler is set"),
        }
    })
}

/// The output of a future that needs no waiting: the replay path awaits
/// nothing unless a miss handler is set.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the replay path waited on something"),
    }
}

/// A tapedeck-made error body is awsJson: JSON with `__type` and `kind`.
fn assert_json_error(body: &Full<Bytes>, kind: &str) {
    use http_body_util::BodyExt as _;
    let mut body = body.clone();
    let frame = ready(body.frame())
        .expect("a body")
        .expect("a Full body cannot fail");
    let data = frame.into_data().expect("a data frame");
    let v: Value = serde_json::from_slice(&data).expect("tapedeck errors are JSON");
    assert_eq!(v["kind"], kind);
    assert!(v["__type"]
        .as_str()
        .is_some_and(|t| t.starts_with("Tapedeck")));
}

/// Whether a fixture's bodies hold a number that is not an integer.
fn has_float(f: &tapedeck::fixture::Fixture) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.is_f64(),
            Value::Array(items) => items.iter().any(walk),
            Value::Object(map) => map.values().any(walk),
            _ => false,
        }
    }
    [&f.request.body, &f.response.body]
        .into_iter()
        .filter_map(|b| b.as_json())
        .any(walk)
}

/// The request of each reference fixture, encoded for [`decode_request`]:
/// the seed corpus of the replay target (each one a hit).
pub fn reference_requests() -> Vec<Vec<u8>> {
    fixture::load_embedded("reference")
        .expect("the embedded set loads")
        .iter()
        .map(|loaded| {
            let f = &loaded.fixture;
            let mut out = format!("{} {}\n", f.request.method, f.request.path).into_bytes();
            for (name, value) in &f.request.headers {
                for v in value.values() {
                    out.extend_from_slice(format!("{name}: {v}\n").as_bytes());
                }
            }
            out.push(b'\n');
            out.extend_from_slice(&f.request.body.bytes().expect("valid body"));
            out
        })
        .collect()
}
