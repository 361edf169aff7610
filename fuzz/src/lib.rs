//! The bodies of tapedeck's fuzz targets, shared by the libFuzzer binaries in
//! `fuzz_targets/` (nightly, `scripts/fuzz.sh`) and by the stable corpus replay
//! in `tests/it/prop_fuzz_corpus.rs`, which includes this file with `#[path]`.
//! It must therefore depend on nothing but `tapedeck` and the crates tapedeck
//! itself depends on (`http`, `serde_json`).
//!
//! Each function panics only when tapedeck breaks one of its own promises; any
//! input, however malformed, must be handled without a panic.

use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use serde_json::{json, Value};

use tapedeck::fixture::set::SequenceEnd;
use tapedeck::fixture::store::{self, parse_fixture};
use tapedeck::fixture::{to_canonical_string, RequestKey};
use tapedeck::net::{tapedeck_error, ErrorKind};
use tapedeck::replay::checks::{self, Inspected};
use tapedeck::replay::index::{Index, Lookup};
use tapedeck::replay::nearmiss::{self, Probe};
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
            let _ = tapedeck::lint::lint(vec![store::RawFixture {
                origin: origin.to_owned(),
                set: tapedeck::fixture::set::SetOrigin::Dir("fuzz".into()),
                stem: first.id.clone(),
                text: text.into_owned(),
            }]);
        }
    }
}

/// What the replay request path needs, built once: the bundled reference set
/// (sequences end in `error`, so the exhausted branch is reachable) and
/// credentials for `--verify-signature`.
struct ReplayState {
    index: Index,
    creds: Credentials,
}

static STATE: LazyLock<ReplayState> = LazyLock::new(|| ReplayState {
    index: Index::build(
        store::load_embedded("reference").expect("the embedded set loads"),
        |_| SequenceEnd::Error,
    )
    .expect("the reference index builds"),
    creds: "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        .parse()
        .expect("valid credentials"),
});

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
/// contract checks, the canonical key, the envelope decision, the index
/// lookup, and on a miss the near-miss report — the same calls, in the same
/// order, as `Replay::replay` in src/replay/server.rs. Returns what the
/// server would do.
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
}

/// [`replay_request`] for an already decoded request.
pub fn serve(req: &FuzzRequest) -> Served {
    let state = &*STATE;
    let target = req
        .headers
        .get("x-amz-target")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let json: Option<Value> = serde_json::from_slice(&req.body).ok();
    let inspected = Inspected {
        method: req.method.as_str(),
        uri: &req.uri,
        headers: &req.headers,
        body: &req.body,
        json: json.as_ref(),
    };
    let mut violations = checks::check(&inspected, req.verify.then_some(&state.creds));
    let target_str = target.as_deref().unwrap_or_default();
    let path = req.uri.path();
    let key = match &json {
        Some(v) => RequestKey::from_json(req.method.as_str(), path, target_str, v),
        None => RequestKey::new(req.method.as_str(), path, target_str, &req.body),
    };
    // The server keys parsed bodies with from_json and raw ones with new: the
    // two must agree, or a fixture and a request could key differently.
    assert_eq!(
        key,
        RequestKey::new(req.method.as_str(), path, target_str, &req.body),
        "from_json and new disagree"
    );
    for v in &violations {
        assert!(!v.rule.is_empty() && !v.message.is_empty(), "{v:?}");
    }
    if let Some((kind, message)) = checks::envelope_problem(&inspected) {
        let sent = req
            .headers
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.as_bytes());
        let recorded_as_is = state
            .index
            .peek(&key)
            .is_some_and(|p| p.fixture.request_header("content-type").map(str::as_bytes) == sent);
        if !recorded_as_is {
            let resp = tapedeck_error(kind, &message, None);
            assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
            assert_json_error(resp.body(), kind.wire_name());
            return Served::Rejected { kind };
        }
    }
    match state.index.lookup(&key) {
        Lookup::Hit {
            prepared,
            position,
            len,
        } => {
            assert!((1..=len).contains(&position));
            checks::excuse_expected(
                &mut violations,
                target
                    .as_deref()
                    .and_then(tapedeck::contract::model::operation_for_target),
                json.as_ref(),
                &prepared.fixture.expected_violations,
                None,
            );
            Served::Hit {
                id: prepared.fixture.id.clone(),
                status: prepared.status,
            }
        }
        Lookup::Exhausted { len, last, .. } => {
            assert!(len >= 2, "only sequences can be used up");
            let message = format!(
                "the sequence of {len} responses (last: {}) is used up",
                last.fixture.id
            );
            let resp = tapedeck_error(ErrorKind::SequenceExhausted, &message, None);
            assert_eq!(resp.status(), StatusCode::NOT_FOUND);
            assert_json_error(resp.body(), "sequence-exhausted");
            Served::Exhausted
        }
        Lookup::Miss => {
            let probe = Probe {
                method: req.method.as_str(),
                path,
                target: target.as_deref(),
                json: json.as_ref(),
                raw: &req.body,
                bindings: None,
            };
            let near = nearmiss::nearest(state.index.fixtures().iter(), &probe, 3);
            assert!(near.len() <= 3);
            for m in &near {
                // Zero differences would mean the key should have matched.
                assert_eq!(m.differences, m.diff.len());
                assert!(m.differences > 0, "a near miss without a difference: {m:?}");
            }
            let details = json!({ "near_misses": near });
            let resp = tapedeck_error(ErrorKind::NoMatch, "no fixture matches", Some(details));
            assert_eq!(resp.status(), StatusCode::NOT_FOUND);
            assert_json_error(resp.body(), "no-match");
            Served::Miss {
                nearest: near.first().map(|m| (m.fixture.clone(), m.differences)),
            }
        }
    }
}

/// A tapedeck-made error body is awsJson: JSON with `__type` and `kind`.
fn assert_json_error(body: &http_body_util::Full<bytes::Bytes>, kind: &str) {
    use http_body_util::BodyExt as _;
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};
    let mut body = body.clone();
    let mut frame = std::pin::pin!(body.frame());
    let Poll::Ready(Some(Ok(frame))) = frame.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    else {
        panic!("a Full body is ready at once");
    };
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
    STATE
        .index
        .fixtures()
        .iter()
        .map(|p| {
            let f = &p.fixture;
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
