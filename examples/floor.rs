//! The benchmark floor: the least a server can do for the benchmark workload.
//!
//! A minimal hyper 1 server that reads the request body, parses it as JSON,
//! checks that the request is the recorded one (POST /, the AdminForgetDevice
//! `X-Amz-Target`, and the JSON body of `unknown-user`, compared as values so
//! key order and whitespace don't matter), and answers with the recorded 400
//! UserNotFoundException bytes. Anything else gets an empty 404. No journal, no
//! contract checks, no logging: `scripts/bench.sh` measures every server as a
//! ratio to this one.
//!
//! ```text
//! cargo run --release --example floor -- [--listen 127.0.0.1:0]
//! ```
//!
//! Prints `floor: listening on http://ADDR` once it accepts connections.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
const EXPECTED_BODY: &str = r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"tapedeck-ghost","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
const ANSWER: &[u8] = br#"{"__type":"UserNotFoundException","message":"User does not exist."}"#;

struct Floor {
    expected: Value,
}

impl Floor {
    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return status_only(StatusCode::BAD_REQUEST),
        };
        let target_ok = parts
            .headers
            .get("x-amz-target")
            .is_some_and(|v| v.as_bytes() == TARGET.as_bytes());
        let matched = parts.method == hyper::Method::POST
            && parts.uri.path() == "/"
            && target_ok
            && serde_json::from_slice::<Value>(&body).is_ok_and(|v| v == self.expected);
        if !matched {
            return status_only(StatusCode::NOT_FOUND);
        }
        let mut resp = Response::new(Full::new(Bytes::from_static(ANSWER)));
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        let h = resp.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        h.insert(
            "x-amzn-errortype",
            http::HeaderValue::from_static("UserNotFoundException:"),
        );
        resp
    }
}

fn status_only(status: StatusCode) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    resp
}

fn listen_arg() -> SocketAddr {
    let mut args = std::env::args().skip(1);
    let mut listen: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => {
                let v = args.next().expect("--listen needs an address");
                listen = v.parse().expect("--listen takes IP:PORT");
            }
            other => {
                eprintln!("floor: unknown argument {other}; usage: floor [--listen IP:PORT]");
                std::process::exit(2);
            }
        }
    }
    listen
}

fn main() {
    let listen = listen_arg();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(listen).await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        println!("floor: listening on http://{addr}");
        let floor = Arc::new(Floor {
            expected: serde_json::from_str(EXPECTED_BODY).expect("expected body is JSON"),
        });
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(a) => a,
                Err(_) => continue,
            };
            let _ = stream.set_nodelay(true);
            let floor = floor.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let floor = floor.clone();
                    async move { Ok::<_, Infallible>(floor.answer(req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
