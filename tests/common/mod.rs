//! Helpers shared by the integration tests: a replay server on a random port,
//! and a small HTTP client.
#![allow(dead_code)]

pub mod process;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use tapedeck::fixture::set::SequenceEnd;
use tapedeck::fixture::store::{self, LoadedFixture};
use tapedeck::net::{self, Limits};
use tapedeck::replay::{run, Index, Replay, Settings};

pub const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
pub const CT: &str = "application/x-amz-json-1.1";

/// The embedded reference set.
pub fn reference() -> Vec<LoadedFixture> {
    store::load_embedded("reference").expect("embedded reference set loads")
}

/// Starts a replay server on 127.0.0.1 with a random port.
pub async fn start(
    fixtures: Vec<LoadedFixture>,
    end: SequenceEnd,
    settings: Settings,
) -> run::Running {
    let index = Index::build(fixtures, |_| end).expect("index builds");
    let replay = Arc::new(Replay::new(index, settings));
    let listener = net::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    run::start(listener, replay, Limits::default(), std::future::pending()).unwrap()
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
