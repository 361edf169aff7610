//! Helpers shared by the integration tests: fixtures in a directory for a
//! `tapedeck::ReplayServer`, and a small HTTP client; in submodules, the `tapedeck` binary as a process, a
//! stateful fake Cognito, and the proptest settings.
#![allow(dead_code)]

pub mod bodies;
pub mod fake_cognito;
pub mod planted;
pub mod process;
pub mod proptest_config;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use tapedeck::fixture::{self, Fixture, LoadedFixture, SequenceEnd};
use tapedeck::net::{self, Limits};
use tapedeck::replay::{self, Index, Replay, Running, Settings};
use tapedeck::ReplayServer;

pub const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
pub const CT: &str = "application/x-amz-json-1.1";

/// The embedded reference set.
pub fn reference() -> Vec<LoadedFixture> {
    fixture::load_embedded("reference").expect("embedded reference set loads")
}

/// A replay server of `fixtures` (their sets' sequences repeat their last
/// response) on 127.0.0.1 at a free port, put together from its public pieces
/// as `tapedeck replay` does: for what [`tapedeck::ReplayServer`] has no
/// option for, a miss handler (the record modes).
pub async fn assemble(fixtures: Vec<LoadedFixture>, settings: Settings) -> Running {
    let index = Index::build(fixtures, |_| SequenceEnd::RepeatLast).expect("index builds");
    let replay = Arc::new(Replay::new(index, settings));
    let listener = net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    replay::start(listener, replay, Limits::default(), std::future::pending()).unwrap()
}

/// A [`ReplayServer`] of the fixtures in `dir` (a directory or one file).
pub async fn serve_dir(dir: &Path) -> ReplayServer {
    ReplayServer::builder()
        .fixtures(dir)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A directory holding `fixtures`, one file each, for a
/// [`tapedeck::ReplayServer`] to serve.
pub fn fixtures_dir<'a>(fixtures: impl IntoIterator<Item = &'a Fixture>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for f in fixtures {
        fixture::write_atomic(dir.path(), f, fixture::Overwrite::Never)
            .unwrap_or_else(|e| panic!("{}: {e}", f.id));
    }
    dir
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("response body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends one request.
pub async fn send(
    client: &HttpClient,
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("{url}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(body.into())).unwrap())
        .await
        .expect("request reaches the server");
    let (parts, body) = resp.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// Sends an AdminForgetDevice request with the awsJson headers.
pub async fn forget(client: &HttpClient, url: &str, body: &str) -> Answer {
    send(
        client,
        url,
        "POST",
        "/",
        &[("content-type", CT), ("x-amz-target", TARGET)],
        body.to_owned(),
    )
    .await
}

/// The headers an SDK sends with AdminForgetDevice `body` to `url`, signed
/// with the access key `AKIDTAPEDECKTEST` and `secret`.
pub fn signed_headers(url: &str, body: &str, secret: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("content-type".into(), CT.into()),
        ("x-amz-target".into(), TARGET.into()),
    ];
    out.extend(signing_headers(url, body, secret));
    out
}

/// The headers SigV4 adds to AdminForgetDevice `body` sent to `url` (its
/// content type and target signed too), with the access key
/// `AKIDTAPEDECKTEST` and `secret`.
pub fn signing_headers(url: &str, body: &str, secret: &str) -> Vec<(String, String)> {
    let uri: http::Uri = format!("{url}/").parse().unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", CT.parse().unwrap());
    headers.insert("x-amz-target", TARGET.parse().unwrap());
    headers.insert("host", uri.authority().unwrap().as_str().parse().unwrap());
    let creds =
        aws_credential_types::Credentials::new("AKIDTAPEDECKTEST", secret, None, None, "test");
    let signed = tapedeck::sigv4::sign_headers(
        "POST",
        &uri,
        &headers,
        body.as_bytes(),
        "us-east-1",
        std::time::SystemTime::now(),
        &creds,
    )
    .unwrap();
    signed
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

/// Sends AdminForgetDevice `body`, signed as an SDK signs it (see
/// [`signed_headers`]): a request that keeps to the contract when a fixture
/// has `body`.
pub async fn signed_forget(client: &HttpClient, url: &str, body: &str) -> Answer {
    let headers = signed_headers(url, body, "test-secret-key");
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    send(client, url, "POST", "/", &refs, body.to_owned()).await
}

/// GETs an admin route and parses the JSON.
pub async fn admin(client: &HttpClient, url: &str, route: &str) -> Value {
    send(
        client,
        url,
        "GET",
        &format!("/__tapedeck/{route}"),
        &[],
        Bytes::new(),
    )
    .await
    .json()
}

/// Asserts that the fixtures in `dir` lint clean, listing every problem, and
/// hands back the report.
pub fn assert_lints_clean(dir: &std::path::Path) -> tapedeck::lint::Report {
    let report = tapedeck::lint::lint(fixture::read_path(dir).expect("fixture directory readable"));
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(
        report.is_clean(),
        "lint problems in {} ({}):\n{}",
        dir.display(),
        report.summary(),
        problems.join("\n")
    );
    report
}

/// Reads one HTTP/1.1 request (head and Content-Length body, at most 64 KiB)
/// from a raw upstream's connection, giving up after 5 s.
pub async fn read_http_request(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        while buf.len() < 64 * 1024 {
            let Ok(n) = stream.read(&mut chunk).await else {
                break;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), read).await;
    buf
}
