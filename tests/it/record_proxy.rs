//! The recording proxy (`tapedeck record`, `tapedeck::record`), end to end.
//!
//! Every test runs a real proxy on 127.0.0.1 (random port) in front of a real
//! upstream on 127.0.0.1: a wiremock server answering the way Cognito does, a
//! small TLS server with a generated CA, or a raw TCP listener that misbehaves.
//! A client sends AdminForgetDevice requests through the proxy, and the tests
//! check what the client got back and what was written to the output directory:
//!
//! - each outcome is passed through unchanged and recorded as one fixture that
//!   lints clean (pinned with insta snapshots);
//! - the proxy's SigV4 re-signing is checked by a wiremock matcher that
//!   recomputes the signature;
//! - no secret (the client's or the proxy's own) ends up in a fixture or a log;
//! - concurrent exchanges, sequences (also across a restart), TLS with
//!   `--ca-file`, upstream failures, an unwritable output directory, oversized
//!   bodies and refused redaction all behave as `src/record/proxy.rs` documents.

use crate::support;

use std::convert::Infallible;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Answer, HttpClient, CT, TARGET};
use tapedeck::fixture::redact::RedactConfig;
use tapedeck::fixture::{self, Fixture};
use tapedeck::net::Limits;
use tapedeck::net::Signer;
use tapedeck::net::{Timeouts, Upstream};
use tapedeck::record::{Proxy, Recorder, RecorderConfig, Signing};
use tapedeck::sigv4::{self, Authorization, Credentials};

const POOL: &str = "us-east-1_TapeDeck1";
const USER: &str = "tapedeck-user";
const DEVICE: &str = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001";

/// The credentials the proxy re-signs with, unless a test says otherwise.
const PROXY_AKID: &str = "AKIDPROXYEXAMPLE";
const PROXY_SECRET: &str = "proxySecretKeyForTapedeckRecordTests0000";

/// A signature no secret produces: the proxy must replace it.
const GARBAGE_SIGNATURE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Upper bound for any single test's network activity.
const TEST_BUDGET: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Requests and clients.
// ---------------------------------------------------------------------------

/// An AdminForgetDevice body the way boto3 writes it.
fn forget_body(user: &str, device_key: &str) -> String {
    format!(r#"{{"UserPoolId": "{POOL}", "Username": "{user}", "DeviceKey": "{device_key}"}}"#)
}

/// A client's own signature: valid in form, wrong in value.
fn client_authorization(akid: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={akid}/20261126/us-east-1/cognito-idp/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={GARBAGE_SIGNATURE}"
    )
}

/// Sends AdminForgetDevice through the proxy with the headers an SDK sends,
/// signed (badly) by the client with `akid` and carrying `token`.
async fn send_signed(
    client: &HttpClient,
    proxy: &str,
    body: &str,
    akid: &str,
    token: &str,
) -> Answer {
    let authorization = client_authorization(akid);
    let headers = [
        ("content-type", CT),
        ("x-amz-target", TARGET),
        ("authorization", authorization.as_str()),
        ("x-amz-date", "20261126T010203Z"),
        ("x-amz-security-token", token),
        (
            "user-agent",
            "Boto3/1.40.0 md/Botocore#1.40.0 tapedeck-test",
        ),
        ("accept-encoding", "gzip"),
    ];
    support::send(client, proxy, "POST", "/", &headers, body.to_owned()).await
}

/// [`send_signed`] with an ordinary client identity.
async fn send(client: &HttpClient, proxy: &str, body: &str) -> Answer {
    send_signed(
        client,
        proxy,
        body,
        "AKIDCLIENTEXAMPLE",
        "client-session-token",
    )
    .await
}

/// Runs `f` within [`TEST_BUDGET`], so no test can hang.
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(TEST_BUDGET, f)
        .await
        .expect("the test finished within its time budget")
}

// ---------------------------------------------------------------------------
// The proxy under test.
// ---------------------------------------------------------------------------

/// How a test proxy is set up.
struct ProxySetup {
    upstream: String,
    ca_file: Option<PathBuf>,
    read_timeout: Duration,
    signing: Signing,
    redact: RedactConfig,
}

impl ProxySetup {
    /// Re-signs with [`PROXY_AKID`]/[`PROXY_SECRET`], default redaction, 5 s timeouts.
    fn new(upstream: impl Into<String>) -> Self {
        ProxySetup {
            upstream: upstream.into(),
            ca_file: None,
            read_timeout: Duration::from_secs(5),
            signing: resign(PROXY_AKID, PROXY_SECRET, None),
            redact: RedactConfig::default(),
        }
    }
}

/// Re-signing with fixed credentials for us-east-1.
fn resign(akid: &str, secret: &str, token: Option<&str>) -> Signing {
    let creds = aws_credential_types::Credentials::new(
        akid,
        secret,
        token.map(str::to_owned),
        None,
        "test",
    );
    Signing::Resign {
        signer: Signer::fixed(creds),
        region: Some("us-east-1".into()),
    }
}

/// Starts a proxy writing to `out`; returns its base URL. The server stops
/// when the test's runtime does.
async fn start_proxy(setup: ProxySetup, out: &Path) -> String {
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        read: setup.read_timeout,
    };
    let upstream = Upstream::new(&setup.upstream, setup.ca_file.as_deref(), timeouts)
        .expect("upstream URL is valid");
    let recorder = Recorder::new(RecorderConfig {
        out: out.to_path_buf(),
        overwrite: false,
        redact: setup.redact,
        endpoint: upstream.authority().to_owned(),
    });
    let proxy = Proxy {
        upstream,
        recorder: Arc::new(recorder),
        signing: setup.signing,
    };
    let listener = tapedeck::net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tapedeck::net::serve(
        listener,
        Arc::new(proxy),
        Limits::default(),
        std::future::pending(),
    ));
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------
// The output directory.
// ---------------------------------------------------------------------------

/// Every file under `dir`, recursively, sorted (none if `dir` does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The fixtures in `out`, parsed, sorted by file name.
fn fixtures_in(out: &Path) -> Vec<Fixture> {
    fixture::load_path(out)
        .expect("every recorded fixture loads")
        .into_iter()
        .map(|l| l.fixture)
        .collect()
}

/// The one fixture in `out`.
fn only_fixture(out: &Path) -> Fixture {
    let files = files_under(out);
    assert_eq!(
        files.len(),
        1,
        "expected exactly one file in the out dir: {files:?}"
    );
    fixtures_in(out).pop().unwrap()
}

/// A fixture as JSON with what changes from run to run replaced: the time, the
/// upstream's random port (in provenance and description).
fn stable_view(fixture: &Fixture) -> Value {
    let tapedeck::fixture::Provenance::Recorded { endpoint, tool, .. } = &fixture.provenance else {
        panic!(
            "a recorded fixture has recorded provenance: {:?}",
            fixture.provenance
        );
    };
    assert!(endpoint.starts_with("127.0.0.1:"), "{endpoint}");
    assert!(tool.starts_with("tapedeck "), "{tool}");
    let mut v = serde_json::to_value(fixture).unwrap();
    v["provenance"]["recorded_at"] = json!("[time]");
    v["provenance"]["endpoint"] = json!("[endpoint]");
    v["provenance"]["tool"] = json!("[tool]");
    let description = fixture.description.replace(endpoint.as_str(), "[endpoint]");
    v["description"] = json!(description);
    v
}

// ---------------------------------------------------------------------------
// Upstreams that are not wiremock.
// ---------------------------------------------------------------------------

/// A 127.0.0.1 port with nothing listening on it.
async fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A raw TCP upstream: for each of at most `connections` connections, reads
/// the request (head and Content-Length body, within 5 s), writes `reply`
/// verbatim and closes.
async fn raw_upstream(reply: &'static [u8], connections: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let _ = support::read_http_request(&mut stream).await;
            let _ = stream.write_all(reply).await;
            let _ = stream.shutdown().await;
        }
    });
    addr
}

/// A CA and a server certificate for `localhost` and 127.0.0.1 signed by it.
struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn generate_pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tapedeck test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let mut params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

/// An HTTPS upstream on 127.0.0.1 answering every request like Cognito does
/// for an unknown user. Serves at most 8 connections; counts the requests it
/// answered (a failed handshake is not one).
async fn tls_upstream(config: Arc<rustls::ServerConfig>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answered = Arc::new(AtomicUsize::new(0));
    let counter = answered.clone();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let counter = counter.clone();
                        async move {
                            let _ = req.into_body().collect().await;
                            counter.fetch_add(1, Ordering::SeqCst);
                            let resp = http::Response::builder()
                            .status(400)
                            .header("content-type", CT)
                            .header("x-amzn-errortype", "UserNotFoundException:")
                            .body(Full::new(Bytes::from_static(
                                br#"{"__type":"UserNotFoundException","message":"User does not exist."}"#,
                            )))
                            .unwrap();
                            Ok::<_, Infallible>(resp)
                        }
                    },
                );
                let io = hyper_util::rt::TokioIo::new(tls);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    (port, answered)
}

// ---------------------------------------------------------------------------
// Cognito's answers, as wiremock responses.
// ---------------------------------------------------------------------------

/// One answer of an upstream: status, content type, `x-amzn-ErrorType`, body bytes.
#[derive(Debug, Clone, Copy)]
struct Answered {
    status: u16,
    content_type: &'static str,
    error_type: Option<&'static str>,
    body: &'static str,
}

impl Answered {
    /// The answer as a wiremock response, with the headers real endpoints add
    /// and that never belong in a fixture.
    fn template(&self) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(self.status)
            .set_body_raw(self.body, self.content_type)
            .insert_header("x-amzn-RequestId", REQUEST_ID)
            .insert_header("date", "Thu, 26 Nov 2026 01:02:03 GMT")
            .insert_header("set-cookie", "session=upstream-cookie; Path=/; HttpOnly")
            .insert_header("server", "Server");
        if let Some(ty) = self.error_type {
            t = t.insert_header("x-amzn-ErrorType", ty);
        }
        t
    }
}

const REQUEST_ID: &str = "4a1c0b2d-0000-4000-8000-00000000beef";

const SUCCESS: Answered = Answered {
    status: 200,
    content_type: CT,
    error_type: None,
    body: "",
};
const USER_NOT_FOUND: Answered = Answered {
    status: 400,
    content_type: CT,
    error_type: Some("UserNotFoundException:"),
    body: r#"{"__type":"UserNotFoundException","message":"User does not exist."}"#,
};
const DEVICE_NOT_FOUND: Answered = Answered {
    status: 400,
    content_type: CT,
    error_type: Some("ResourceNotFoundException:"),
    body: r#"{"__type":"ResourceNotFoundException","message":"Device does not exist."}"#,
};
const INVALID_DEVICE_KEY: Answered = Answered {
    status: 400,
    content_type: CT,
    error_type: Some("InvalidParameterException:"),
    body: r#"{"__type":"InvalidParameterException","message":"1 validation error detected: Value 'not-a-device-key' at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-f-]+"}"#,
};
const INTERNAL_ERROR: Answered = Answered {
    status: 500,
    content_type: CT,
    error_type: Some("InternalErrorException:"),
    body: r#"{"__type":"InternalErrorException","message":"Internal error."}"#,
};
/// moto 5.2.5's answer to AdminForgetDevice (not implemented): Werkzeug's HTML 500.
const MOTO_HTML_500: Answered = Answered {
    status: 500,
    content_type: "text/html; charset=utf-8",
    error_type: None,
    body: "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n",
};

/// A wiremock upstream answering every AdminForgetDevice POST with `answer`.
async fn wiremock_upstream(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("x-amz-target", TARGET))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// The client got exactly what the upstream sent.
fn assert_passed_through(got: &Answer, expected: &Answered) {
    assert_eq!(
        got.status.as_u16(),
        expected.status,
        "status passed through"
    );
    assert_eq!(
        got.body,
        expected.body.as_bytes(),
        "body passed through byte for byte"
    );
    assert_eq!(got.header("content-type"), Some(expected.content_type));
    assert_eq!(
        got.header("x-amzn-requestid"),
        Some(REQUEST_ID),
        "upstream headers reach the client"
    );
}

// ---------------------------------------------------------------------------
// 1. Each outcome, the way AWS answers it.
// ---------------------------------------------------------------------------

#[rstest::rstest]
#[case::success("success", USER, DEVICE, SUCCESS)]
#[case::user_not_found("user-not-found", "tapedeck-ghost", DEVICE, USER_NOT_FOUND)]
#[case::device_not_found(
    "device-not-found",
    USER,
    "us-east-1_ffffffff-0000-4000-8000-000000000000",
    DEVICE_NOT_FOUND
)]
#[case::malformed_device_key("malformed-device-key", USER, "not-a-device-key", INVALID_DEVICE_KEY)]
#[case::internal_error("internal-error", USER, DEVICE, INTERNAL_ERROR)]
#[case::moto_html_500("moto-html-500", USER, DEVICE, MOTO_HTML_500)]
#[tokio::test]
async fn each_outcome_is_passed_through_and_recorded_as_one_clean_fixture(
    #[case] name: &str,
    #[case] user: &str,
    #[case] device_key: &str,
    #[case] answer: Answered,
) {
    let upstream = wiremock_upstream(answer.template()).await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;
    let body = forget_body(user, device_key);

    let got = bounded(send(&support::client(), &proxy, &body)).await;

    assert_passed_through(&got, &answer);
    assert_eq!(
        got.header("x-tapedeck-warning"),
        None,
        "recorded without trouble"
    );
    let received = upstream.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].body,
        body.as_bytes(),
        "the upstream got the client's body unchanged"
    );
    assert_eq!(
        received[0].headers.get("accept-encoding").unwrap(),
        "identity",
        "the proxy asks for an uncompressed answer, which redaction can read"
    );

    let fixture = only_fixture(out.path());
    for volatile in [
        "x-amzn-requestid",
        "date",
        "set-cookie",
        "server",
        "content-length",
    ] {
        assert!(
            fixture.response_header(volatile).is_none(),
            "{volatile} was recorded"
        );
    }
    for dropped in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "user-agent",
        "host",
    ] {
        assert!(
            fixture.request_header(dropped).is_none(),
            "{dropped} was recorded"
        );
    }
    assert_eq!(
        fixture.response.body.bytes().unwrap().as_ref(),
        answer.body.as_bytes()
    );
    support::assert_lints_clean(out.path());
    insta::assert_json_snapshot!(format!("outcome-{name}"), stable_view(&fixture));
}

// ---------------------------------------------------------------------------
// 2. SigV4 re-signing, checked by recomputing the signature upstream.
// ---------------------------------------------------------------------------

/// A wiremock matcher that accepts a request only if its SigV4 signature
/// verifies with `creds` (and, when `token` is set, only if it carries that
/// session token under the signature).
struct SignedBy {
    creds: Credentials,
    token: Option<&'static str>,
}

impl SignedBy {
    fn new(akid: &str, secret: &str, token: Option<&'static str>) -> Self {
        SignedBy {
            creds: format!("{akid}:{secret}").parse().expect("AKID:SECRET"),
            token,
        }
    }
}

impl wiremock::Match for SignedBy {
    fn matches(&self, req: &wiremock::Request) -> bool {
        let uri: Uri = req
            .url
            .as_str()
            .parse()
            .expect("wiremock gives a valid URL");
        let headers: &HeaderMap = &req.headers;
        if let Some(token) = self.token {
            let signed = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Authorization::parse(v).ok())
                .is_some_and(|a| a.signed_header_names().any(|h| h == "x-amz-security-token"));
            let carried = headers
                .get("x-amz-security-token")
                .and_then(|v| v.to_str().ok());
            if !signed || carried != Some(token) {
                return false;
            }
        }
        sigv4::verify_signature(req.method.as_str(), &uri, headers, &req.body, &self.creds).is_ok()
    }
}

/// An upstream that answers 200 only to requests `matcher` accepts, and 418
/// to anything else, so a bad signature is visible to the client.
async fn verifying_upstream(matcher: SignedBy) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(matcher)
        .respond_with(SUCCESS.template())
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_string("signature did not verify"))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_proxy_replaces_the_clients_signature_with_one_that_verifies() {
    let upstream = verifying_upstream(SignedBy::new(PROXY_AKID, PROXY_SECRET, None)).await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert_eq!(got.status, StatusCode::OK, "upstream said: {:?}", got.body);
    let received = upstream.received_requests().await.unwrap();
    let auth = received[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        !auth.contains(GARBAGE_SIGNATURE),
        "the client's signature was forwarded"
    );
    assert!(
        auth.contains(&format!("Credential={PROXY_AKID}/")),
        "{auth}"
    );
    assert!(
        received[0].headers.get("x-amz-security-token").is_none(),
        "the client's session token was forwarded without the proxy having one"
    );
}

#[tokio::test]
async fn the_sigv4_matcher_rejects_a_proxy_signing_with_other_credentials() {
    let upstream = verifying_upstream(SignedBy::new(PROXY_AKID, PROXY_SECRET, None)).await;
    let out = tempfile::tempdir().unwrap();
    let mut setup = ProxySetup::new(upstream.uri());
    setup.signing = resign(
        PROXY_AKID,
        "someOtherSecretKeyThatTheUpstreamDoesNotKnow",
        None,
    );
    let proxy = start_proxy(setup, out.path()).await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert_eq!(
        got.status.as_u16(),
        418,
        "a signature made with another secret must not verify"
    );
}

#[tokio::test]
async fn the_proxys_session_token_is_forwarded_under_the_signature() {
    const TOKEN: &str = "FwoGZXIvYXdzEXAMPLEproxySessionToken+/=";
    let upstream = verifying_upstream(SignedBy::new(PROXY_AKID, PROXY_SECRET, Some(TOKEN))).await;
    let out = tempfile::tempdir().unwrap();
    let mut setup = ProxySetup::new(upstream.uri());
    setup.signing = resign(PROXY_AKID, PROXY_SECRET, Some(TOKEN));
    let proxy = start_proxy(setup, out.path()).await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert_eq!(got.status, StatusCode::OK, "upstream said: {:?}", got.body);
    let received = upstream.received_requests().await.unwrap();
    let tokens: Vec<_> = received[0]
        .headers
        .get_all("x-amz-security-token")
        .iter()
        .collect();
    assert_eq!(
        tokens,
        [TOKEN],
        "exactly the proxy's token, not the client's"
    );
}

// ---------------------------------------------------------------------------
// 3. Secrets: never in a fixture, never in the log.
// ---------------------------------------------------------------------------

const CANARY_CLIENT_AKID: &str = "AKIACANARYCANARY0001";
const CANARY_CLIENT_TOKEN: &str = "CANARY-TOKEN-client-0123456789abcdef";
const CANARY_SECRET: &str = "CANARYSECRETcanarysecretCANARYSECRETcana";
const CANARY_SESSION_TOKEN: &str = "CANARYSESSIONTOKENproxy0123456789+/=";
const CANARIES: [&str; 4] = [
    CANARY_CLIENT_AKID,
    CANARY_CLIENT_TOKEN,
    CANARY_SECRET,
    CANARY_SESSION_TOKEN,
];

/// A `tapedeck record` child process, killed when dropped.
struct RecordProcess {
    child: Child,
    url: String,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl RecordProcess {
    /// Starts the binary with `args`, `env`, and stderr going to `stderr`;
    /// waits (at most 30 s) for its start line to learn the address.
    fn start(args: &[&str], env: &[(&str, &str)], stderr: &Path) -> RecordProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tapedeck"));
        cmd.arg("record")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).unwrap());
        let mut child = cmd.spawn().expect("the tapedeck binary starts");
        let stdout = child.stdout.take().unwrap();
        let (first_line, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut all = String::new();
            for (i, line) in BufReader::new(stdout).lines().take(1000).enumerate() {
                let Ok(line) = line else { break };
                if i == 0 {
                    let _ = first_line.send(line.clone());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let mut process = RecordProcess {
            child,
            url: String::new(),
            stdout: Some(reader),
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!(
                    "no start line; stderr: {}",
                    std::fs::read_to_string(stderr).unwrap_or_default()
                )
            });
        let addr = line
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split([',', ' ']).next())
            .unwrap_or_else(|| panic!("unexpected start line: {line}"));
        process.url = addr.to_owned();
        process
    }

    /// Kills the process and returns everything it wrote to stdout.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stdout
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for RecordProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Panics if any canary occurs in `text`; `place` says where the text is from.
fn assert_no_canary(place: &str, text: &str) {
    for canary in CANARIES {
        assert!(
            !text.contains(canary),
            "{place} contains the secret {canary}"
        );
    }
    assert!(
        !text.contains("CANARY"),
        "{place} contains part of a canary secret"
    );
}

/// Cognito's `x-amzn-ErrorMessage` reaches the client as sent and is recorded,
/// with the username it echoes replaced by the pseudonym the body gets.
#[tokio::test]
async fn the_error_message_header_is_recorded_with_the_username_pseudonymised() {
    let user = "alice.real@example.com";
    let message = format!("User {user} does not exist.");
    let body = json!({ "__type": "UserNotFoundException", "message": message }).to_string();
    let upstream = wiremock_upstream(
        ResponseTemplate::new(400)
            .set_body_raw(body, CT)
            .insert_header("x-amzn-ErrorType", "UserNotFoundException:")
            .insert_header("x-amzn-ErrorMessage", message.as_str()),
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(user, DEVICE))).await;
    assert_eq!(got.header("x-tapedeck-warning"), None, "recorded");
    assert_eq!(got.header("x-amzn-errormessage"), Some(message.as_str()));

    let fixture = only_fixture(out.path());
    let p = tapedeck::fixture::sensitive::pseudonym(
        user,
        tapedeck::contract::model::get().shape_named("UsernameType"),
    );
    let recorded = format!("User {p} does not exist.");
    assert_eq!(
        fixture.response_header("x-amzn-errormessage"),
        Some(recorded.as_str())
    );
    assert_eq!(
        fixture.response.body.json().unwrap()["message"],
        json!(recorded)
    );
    for file in files_under(out.path()) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("alice"), "{}:\n{text}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_neither_the_fixtures_nor_the_log() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::body_string_contains("tapedeck-ghost"))
        .respond_with(USER_NOT_FOUND.template())
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .respond_with(SUCCESS.template())
        .mount(&upstream)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stderr = dir.path().join("stderr.log");
    let missing = dir.path().join("no-such-aws-file");
    let (upstream_url, out_arg, missing) = (
        upstream.uri(),
        out.display().to_string(),
        missing.display().to_string(),
    );
    let proxy = RecordProcess::start(
        &[
            "--upstream",
            &upstream_url,
            "--out",
            &out_arg,
            "--listen",
            "127.0.0.1:0",
            "--region",
            "us-east-1",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", PROXY_AKID),
            ("AWS_SECRET_ACCESS_KEY", CANARY_SECRET),
            ("AWS_SESSION_TOKEN", CANARY_SESSION_TOKEN),
            ("AWS_CONFIG_FILE", &missing),
            ("AWS_SHARED_CREDENTIALS_FILE", &missing),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("RUST_LOG", "trace"),
            ("NO_COLOR", "1"),
        ],
        &stderr,
    );

    let client = support::client();
    for user in [USER, "tapedeck-ghost"] {
        let body = forget_body(user, DEVICE);
        let got = bounded(send_signed(
            &client,
            &proxy.url,
            &body,
            CANARY_CLIENT_AKID,
            CANARY_CLIENT_TOKEN,
        ))
        .await;
        assert_eq!(
            got.header("x-tapedeck-warning"),
            None,
            "{user}: {:?}",
            got.body
        );
        assert_no_canary(
            "the response to the client",
            &format!("{:?} {:?}", got.headers, got.body),
        );
    }
    let stdout = proxy.stop();

    // The canaries did flow: the upstream got the proxy's session token.
    let received = upstream.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].headers.get("x-amz-security-token").unwrap(),
        CANARY_SESSION_TOKEN
    );
    let files = files_under(&out);
    assert_eq!(files.len(), 2, "one fixture per exchange: {files:?}");
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_no_canary(&file.display().to_string(), &text);
    }
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        log.lines().count() > 5,
        "RUST_LOG=trace logs something:\n{log}"
    );
    assert_no_canary("stderr", &log);
    assert_no_canary("stdout", &stdout);
}

// ---------------------------------------------------------------------------
// 4. Concurrency.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_exchanges_give_two_hundred_complete_fixtures() {
    const N: usize = 200;
    let upstream = wiremock_upstream(USER_NOT_FOUND.template()).await;
    let out = tempfile::tempdir().unwrap();
    let mut setup = ProxySetup::new(upstream.uri());
    setup.redact.keep_usernames = true;
    let proxy = start_proxy(setup, out.path()).await;

    let client = support::client();
    let mut exchanges = tokio::task::JoinSet::new();
    for i in 0..N {
        let (client, proxy) = (client.clone(), proxy.clone());
        exchanges.spawn(async move {
            send(
                &client,
                &proxy,
                &forget_body(&format!("tapedeck-parallel-{i:03}"), DEVICE),
            )
            .await
        });
    }
    let answers = bounded(exchanges.join_all()).await;
    for got in &answers {
        assert_passed_through(got, &USER_NOT_FOUND);
        assert_eq!(got.header("x-tapedeck-warning"), None, "{:?}", got.body);
    }

    let files = files_under(out.path());
    let stray: Vec<_> = files
        .iter()
        .filter(|f| {
            f.extension().is_none_or(|e| e != "json")
                || f.file_name().unwrap().to_string_lossy().starts_with('.')
        })
        .collect();
    assert!(stray.is_empty(), "temporary or stray files left: {stray:?}");
    assert_eq!(files.len(), N);
    let mut users: Vec<String> = fixtures_in(out.path())
        .iter()
        .map(|f| f.variables["username"].clone())
        .collect();
    users.sort();
    let expected: Vec<String> = (0..N)
        .map(|i| format!("tapedeck-parallel-{i:03}"))
        .collect();
    assert_eq!(users, expected, "one fixture per request");
    support::assert_lints_clean(out.path());
}

// ---------------------------------------------------------------------------
// 5. Sequences.
// ---------------------------------------------------------------------------

/// An upstream that answers the first `successes` requests with SUCCESS and
/// every later one with DEVICE_NOT_FOUND.
async fn succeeds_then_not_found(successes: u64) -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(SUCCESS.template())
        .up_to_n_times(successes)
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .respond_with(DEVICE_NOT_FOUND.template())
        .mount(&upstream)
        .await;
    upstream
}

#[tokio::test]
async fn the_same_request_with_a_new_answer_becomes_the_next_step_of_a_sequence() {
    let upstream = succeeds_then_not_found(1).await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;
    let client = support::client();
    let body = forget_body(USER, DEVICE);

    let first = bounded(send(&client, &proxy, &body)).await;
    let second = bounded(send(&client, &proxy, &body)).await;
    let third = bounded(send(&client, &proxy, &body)).await;

    assert_passed_through(&first, &SUCCESS);
    assert_passed_through(&second, &DEVICE_NOT_FOUND);
    assert_passed_through(&third, &DEVICE_NOT_FOUND);
    let mut fixtures = fixtures_in(out.path());
    assert_eq!(
        fixtures.len(),
        2,
        "the repeated answer is not written again"
    );
    fixtures.sort_by_key(|f| f.sequence);
    let steps: Vec<_> = fixtures
        .iter()
        .map(|f| (f.sequence, f.response.status))
        .collect();
    assert_eq!(steps, [(Some(1), 200), (Some(2), 400)]);
    assert_eq!(
        fixtures[0].request, fixtures[1].request,
        "one request, two answers"
    );
    support::assert_lints_clean(out.path());
}

#[tokio::test]
async fn a_restarted_proxy_continues_the_sequences_already_on_disk() {
    let upstream = succeeds_then_not_found(2).await;
    let out = tempfile::tempdir().unwrap();
    let client = support::client();
    let body = forget_body(USER, DEVICE);

    let first_run = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;
    assert_passed_through(&bounded(send(&client, &first_run, &body)).await, &SUCCESS);
    let second_run = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;
    let again = bounded(send(&client, &second_run, &body)).await;
    let then = bounded(send(&client, &second_run, &body)).await;

    assert_passed_through(&again, &SUCCESS);
    assert_eq!(
        again.header("x-tapedeck-warning"),
        None,
        "a known answer is a duplicate, not a clash"
    );
    assert_passed_through(&then, &DEVICE_NOT_FOUND);
    let mut fixtures = fixtures_in(out.path());
    fixtures.sort_by_key(|f| f.sequence);
    let steps: Vec<_> = fixtures
        .iter()
        .map(|f| (f.sequence, f.response.status))
        .collect();
    assert_eq!(steps, [(Some(1), 200), (Some(2), 400)]);
    support::assert_lints_clean(out.path());
}

// ---------------------------------------------------------------------------
// 6. TLS upstreams.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_upstream_is_trusted_with_its_ca_file_and_refused_without() {
    let pki = generate_pki();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let (port, answered) = tls_upstream(pki.server).await;
    let client = support::client();
    let body = forget_body("tapedeck-ghost", DEVICE);

    // With --ca-file: forwarded over TLS and recorded.
    let trusted_out = dir.path().join("trusted");
    let mut setup = ProxySetup::new(format!("https://localhost:{port}"));
    setup.ca_file = Some(ca_file);
    let proxy = start_proxy(setup, &trusted_out).await;
    let got = bounded(send(&client, &proxy, &body)).await;
    assert_eq!(got.status.as_u16(), 400, "{:?}", got.body);
    assert_eq!(got.json()["__type"], "UserNotFoundException");
    assert_eq!(answered.load(Ordering::SeqCst), 1);
    let fixture = only_fixture(&trusted_out);
    assert!(matches!(
        &fixture.provenance,
        tapedeck::fixture::Provenance::Recorded { endpoint, .. } if *endpoint == format!("localhost:{port}")
    ));
    support::assert_lints_clean(&trusted_out);

    // Without it: the certificate is not trusted, nothing is sent, nothing recorded.
    let untrusted_out = dir.path().join("untrusted");
    let proxy = start_proxy(
        ProxySetup::new(format!("https://localhost:{port}")),
        &untrusted_out,
    )
    .await;
    let got = bounded(send(&client, &proxy, &body)).await;
    assert_tapedeck_error(&got, StatusCode::BAD_GATEWAY, "upstream-unreachable");
    let message = got.json()["message"].as_str().unwrap().to_ascii_lowercase();
    assert!(
        message.contains("certificate"),
        "the message says why: {message}"
    );
    assert_eq!(
        answered.load(Ordering::SeqCst),
        1,
        "no request reached the untrusted upstream"
    );
    assert!(files_under(&untrusted_out).is_empty());
}

// ---------------------------------------------------------------------------
// 7. Upstream failures.
// ---------------------------------------------------------------------------

/// A tapedeck-made error: status, `x-tapedeck-error` kind, and the awsJson
/// `__type` derived from the kind (`upstream-timeout` → `TapedeckUpstreamTimeout`).
fn assert_tapedeck_error(got: &Answer, status: StatusCode, kind: &str) {
    assert_eq!(got.status, status, "{:?}", got.body);
    assert_eq!(got.header("x-tapedeck-error"), Some(kind));
    let json = got.json();
    assert_eq!(json["kind"], kind);
    let ty: String = std::iter::once("Tapedeck".to_owned())
        .chain(
            kind.split('-')
                .map(|w| w[..1].to_ascii_uppercase() + &w[1..]),
        )
        .collect();
    assert_eq!(json["__type"], ty.as_str(), "{json}");
    assert_eq!(got.header("x-amzn-errortype"), Some(ty.as_str()));
}

#[tokio::test]
async fn an_upstream_that_is_down_gives_502_unreachable_and_no_fixture() {
    let port = dead_port().await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(
        ProxySetup::new(format!("http://127.0.0.1:{port}")),
        out.path(),
    )
    .await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert_tapedeck_error(&got, StatusCode::BAD_GATEWAY, "upstream-unreachable");
    assert!(files_under(out.path()).is_empty());
}

#[tokio::test]
async fn an_upstream_slower_than_the_read_timeout_gives_504_and_no_fixture() {
    let upstream = wiremock_upstream(SUCCESS.template().set_delay(Duration::from_secs(3))).await;
    let out = tempfile::tempdir().unwrap();
    let mut setup = ProxySetup::new(upstream.uri());
    setup.read_timeout = Duration::from_secs(1);
    let proxy = start_proxy(setup, out.path()).await;

    let started = std::time::Instant::now();
    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "answered after the timeout, not the upstream"
    );
    assert_tapedeck_error(&got, StatusCode::GATEWAY_TIMEOUT, "upstream-timeout");
    assert!(files_under(out.path()).is_empty());
}

#[tokio::test]
async fn an_upstream_that_closes_mid_body_gives_502_failed_and_no_fixture() {
    const PARTIAL: &[u8] = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 200\r\n\r\n{\"__type\":\"UserNotFoundException\",";
    let addr = raw_upstream(PARTIAL, 1).await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(format!("http://{addr}")), out.path()).await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert_tapedeck_error(&got, StatusCode::BAD_GATEWAY, "upstream-failed");
    assert!(files_under(out.path()).is_empty());
}

// ---------------------------------------------------------------------------
// 8.–10. The client gets its answer even when nothing can be recorded.
// ---------------------------------------------------------------------------

/// An output path the process cannot write to: a read-only directory, or,
/// where permissions do not stop this process (root), a path below a file.
fn unwritable_out(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let read_only = dir.join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::File::create(read_only.join("probe")).is_err() {
        return read_only;
    }
    println!("a 0o555 directory is writable here (running as root?): using a path below a regular file instead");
    let file = dir.join("file.txt");
    std::fs::write(&file, "not a directory").unwrap();
    file.join("sub")
}

#[tokio::test]
async fn an_unwritable_output_directory_still_answers_marked_not_recorded() {
    let upstream = wiremock_upstream(USER_NOT_FOUND.template()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = unwritable_out(dir.path());
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), &out).await;

    let got = bounded(send(
        &support::client(),
        &proxy,
        &forget_body("tapedeck-ghost", DEVICE),
    ))
    .await;

    assert_passed_through(&got, &USER_NOT_FOUND);
    assert_eq!(got.header("x-tapedeck-warning"), Some("not-recorded"));
    let written: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json" || e == "tmp"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_with_413_before_the_upstream() {
    let upstream = MockServer::start().await;
    Mock::given(any())
        .respond_with(SUCCESS.template())
        .expect(0)
        .mount(&upstream)
        .await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;
    let oversized = format!(
        r#"{{"UserPoolId": "{POOL}", "Username": "{}"}}"#,
        "u".repeat(tapedeck::net::MAX_BODY)
    );

    let got = bounded(send(&support::client(), &proxy, &oversized)).await;

    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(got.header("x-tapedeck-error"), Some("body-too-large"));
    assert_eq!(got.json()["__type"], "TapedeckBodyTooLarge");
    upstream.verify().await;
    assert!(files_under(out.path()).is_empty());
}

#[tokio::test]
async fn a_secret_in_the_answer_is_passed_on_but_never_written() {
    const LEAKY: Answered = Answered {
        status: 400,
        content_type: CT,
        error_type: Some("NotAuthorizedException:"),
        body: r#"{"__type":"NotAuthorizedException","message":"Access key AKIAABCDEFGHIJKLMNOP is not allowed to call AdminForgetDevice."}"#,
    };
    let upstream = wiremock_upstream(LEAKY.template()).await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;

    let got = bounded(send(&support::client(), &proxy, &forget_body(USER, DEVICE))).await;

    assert_passed_through(&got, &LEAKY);
    assert_eq!(got.header("x-tapedeck-warning"), Some("not-recorded"));
    assert!(
        files_under(out.path()).is_empty(),
        "redaction must fail closed"
    );
}

/// A username the answer repeats as an object key cannot be rewritten: the
/// client gets the answer, marked, and nothing is written.
#[tokio::test]
async fn a_sensitive_value_redaction_cannot_rewrite_is_passed_on_but_never_written() {
    const KEYED: Answered = Answered {
        status: 400,
        content_type: CT,
        error_type: Some("UserNotFoundException:"),
        body: r#"{"__type":"UserNotFoundException","message":"User does not exist.","alice.keyed@example.org":true}"#,
    };
    let upstream = wiremock_upstream(KEYED.template()).await;
    let out = tempfile::tempdir().unwrap();
    let proxy = start_proxy(ProxySetup::new(upstream.uri()), out.path()).await;

    let got = bounded(send(
        &support::client(),
        &proxy,
        &forget_body("alice.keyed@example.org", DEVICE),
    ))
    .await;

    assert_passed_through(&got, &KEYED);
    assert_eq!(got.header("x-tapedeck-warning"), Some("not-recorded"));
    assert!(
        files_under(out.path()).is_empty(),
        "redaction must fail closed"
    );
}
