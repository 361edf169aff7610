//! Helpers shared by the integration tests: a replay server on a random port,
//! and a small HTTP client; in submodules, the `tapedeck` binary as a process, a
//! stateful fake Cognito, and the proptest settings.
#![allow(dead_code)]

pub mod bodies;
pub mod fake_cognito;
pub mod planted;
pub mod process;
pub mod proptest_config;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use tapedeck::fixture::SequenceEnd;
use tapedeck::fixture::{self, LoadedFixture};
use tapedeck::net::{self, Limits};
use tapedeck::replay::{self, Index, Replay, Running, Settings};

pub const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
pub const CT: &str = "application/x-amz-json-1.1";

/// The embedded reference set.
pub fn reference() -> Vec<LoadedFixture> {
    fixture::load_embedded("reference").expect("embedded reference set loads")
}

/// Starts a replay server on 127.0.0.1 with a random port.
pub async fn start(fixtures: Vec<LoadedFixture>, end: SequenceEnd, settings: Settings) -> Running {
    let index = Index::build(fixtures, |_| end).expect("index builds");
    let replay = Arc::new(Replay::new(index, settings));
    let listener = net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    replay::start(listener, replay, Limits::default(), std::future::pending()).unwrap()
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
