//! The recording proxy: forward each request to the upstream (re-signed with
//! SigV4 unless `--no-resign`), record the exchange, and answer the client with
//! exactly what the upstream said.
//!
//! Failures are answered in the awsJson error shape, with `x-tapedeck-error`:
//! 502 `TapedeckUpstreamUnreachable` or `TapedeckUpstreamFailed`, 504
//! `TapedeckUpstreamTimeout`, 413 for a body over 1 MiB. When the exchange
//! cannot be recorded (output directory not writable, redaction refused it),
//! the client still gets the upstream's answer, marked
//! `x-tapedeck-warning: not-recorded`, and the log says why.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;

use super::recorder::{Exchange, Recorded, Recorder};
use super::tally::NotRecorded;
use crate::net::credentials::Signer;
use crate::net::upstream::{Upstream, UpstreamError};
use crate::net::{
    self, tapedeck_error, Answered, ErrorKind, Handler, MissAnswer, MissHandler, Missed,
};
use crate::sigv4::{self, Authorization};

/// Request headers that carry the client's signature: removed before re-signing.
pub(crate) const SIGNATURE_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// Hop-by-hop headers, never forwarded in either direction.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A request header a driver such as `capture` sets to name the scenario of an
/// exchange; the proxy removes it before forwarding.
pub const SCENARIO_HEADER: &str = "x-tapedeck-scenario";

/// How requests are signed for the upstream.
#[derive(Clone, Debug)]
pub enum Signing {
    /// Strip the client's signature and sign afresh.
    Resign {
        signer: Signer,
        region: Option<String>,
    },
    /// Forward the client's signature untouched (for emulators that ignore it).
    PassThrough,
}

/// The proxy's state.
pub struct Proxy {
    pub upstream: Upstream,
    pub recorder: Arc<Recorder>,
    pub signing: Signing,
}

impl Proxy {
    /// Forwards one request and records the exchange. Returns the client's
    /// response, a one-line note of what happened, and the fixture files
    /// written.
    pub async fn forward(
        &self,
        method: Method,
        uri: &Uri,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> Answered {
        let unrecorded = |response, note: String| Answered {
            response,
            note,
            recorded: Vec::new(),
        };
        let scenario = headers
            .remove(SCENARIO_HEADER)
            .and_then(|v| v.to_str().ok().map(str::to_owned));
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
        let upstream_uri = self.upstream.uri_for(path_and_query);
        let client_headers = headers.clone();
        for h in HOP_BY_HOP {
            headers.remove(h);
        }
        // A compressed answer would be stored as opaque base64, out of reach of
        // redaction and the secret scan: ask for the plain body. (SDKs don't sign
        // Accept-Encoding, so a passed-through signature still holds.)
        headers.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        let mut region = None;
        if let Signing::Resign {
            signer,
            region: fixed,
        } = &self.signing
        {
            region = fixed
                .clone()
                .or_else(|| region_from_host(self.upstream.host()))
                .or_else(|| region_from_scope(&client_headers));
            let Some(signing_region) = region.clone() else {
                let msg = "cannot tell which region to sign for: pass --region, or sign the client's requests with a credential scope";
                self.recorder.tally.not_recorded(NotRecorded::Signing, msg);
                return unrecorded(tapedeck_error(ErrorKind::NoRegion, msg, None), msg.into());
            };
            for h in SIGNATURE_HEADERS {
                headers.remove(h);
            }
            headers.insert(
                http::header::HOST,
                HeaderValue::from_str(self.upstream.authority())
                    .expect("authority is a valid header"),
            );
            let signed = match signer.credentials().await {
                Ok(creds) => sigv4::sign_headers(
                    method.as_str(),
                    &upstream_uri,
                    &headers,
                    &body,
                    &signing_region,
                    SystemTime::now(),
                    &creds,
                )
                .map_err(|f| f.message),
                Err(e) => Err(e.to_string()),
            };
            match signed {
                Ok(extra) => {
                    for (name, value) in extra {
                        headers.insert(name, value);
                    }
                }
                Err(reason) => {
                    tracing::error!("cannot sign the request for the upstream: {reason}");
                    self.recorder
                        .tally
                        .not_recorded(NotRecorded::Signing, &reason);
                    return unrecorded(
                        tapedeck_error(ErrorKind::SigningFailed, &reason, None),
                        "not forwarded: signing failed".into(),
                    );
                }
            }
        } else if let Some(scope) = region_from_scope(&client_headers) {
            region = Some(scope);
        }
        let answer = self
            .upstream
            .send(method.clone(), upstream_uri, headers, body.clone())
            .await;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("{e}");
                self.recorder
                    .tally
                    .not_recorded(NotRecorded::Upstream, &e.to_string());
                let kind = match &e {
                    UpstreamError::Unreachable { .. } => ErrorKind::UpstreamUnreachable,
                    UpstreamError::Timeout { .. } => ErrorKind::UpstreamTimeout,
                    UpstreamError::Failed { .. } => ErrorKind::UpstreamFailed,
                };
                return unrecorded(
                    tapedeck_error(kind, &e.to_string(), None),
                    format!("not recorded: {e}"),
                );
            }
        };
        let exchange = Exchange {
            method: method.to_string(),
            path: uri.path().to_owned(),
            request_headers: client_headers,
            request_body: body,
            status: answer.status,
            response_headers: answer.headers.clone(),
            response_body: answer.body.clone(),
            region,
            scenario,
        };
        let recorder = self.recorder.clone();
        let outcome = tokio::task::spawn_blocking(move || recorder.record(&exchange))
            .await
            .unwrap_or_else(|e| {
                let message = format!("the recording task failed: {e}");
                self.recorder
                    .tally
                    .not_recorded(NotRecorded::Write, &message);
                Err(super::recorder::RecordError::OutDir {
                    path: self.recorder.out_dir().display().to_string(),
                    error: std::io::Error::other(message),
                })
            });
        let mut resp = Response::new(Full::new(answer.body));
        *resp.status_mut() = answer.status;
        for (name, value) in &answer.headers {
            if !HOP_BY_HOP.contains(&name.as_str()) && name != http::header::CONTENT_LENGTH {
                resp.headers_mut().append(name.clone(), value.clone());
            }
        }
        let mut recorded = Vec::new();
        let note = match outcome {
            Ok(Recorded::Written { id, path, files }) => {
                tracing::info!(fixture = %id, status = answer.status.as_u16(), "recorded {}", path.display());
                recorded = files;
                format!("recorded as {id}")
            }
            Ok(Recorded::Duplicate { of }) => {
                tracing::info!(fixture = %of, "same answer as an existing fixture; not written again");
                format!("same as {of}")
            }
            Err(e) => {
                tracing::error!("exchange NOT recorded: {e}");
                resp.headers_mut().insert(
                    HeaderName::from_static("x-tapedeck-warning"),
                    HeaderValue::from_static("not-recorded"),
                );
                format!("not recorded: {e}")
            }
        };
        Answered {
            response: resp,
            note,
            recorded,
        }
    }
}

impl Handler for Proxy {
    async fn handle(
        &self,
        req: hyper::Request<Incoming>,
        _peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = match net::read_request_body(&parts.headers, body).await {
            Ok(b) => b,
            Err(e) => {
                return tapedeck_error(e.kind(), &e.to_string(), None);
            }
        };
        self.forward(parts.method, &parts.uri, parts.headers, body)
            .await
            .response
    }
}

/// The recording modes' seam: a request replay does not answer from its
/// fixtures is forwarded and recorded.
impl MissHandler for Proxy {
    fn handle<'a>(
        &'a self,
        missed: Missed,
    ) -> Pin<Box<dyn Future<Output = MissAnswer> + Send + 'a>> {
        Box::pin(async move {
            Some(
                self.forward(missed.method, &missed.uri, missed.headers, missed.body)
                    .await,
            )
        })
    }
}

/// `cognito-idp.<region>.amazonaws.com` (and `-fips`, and `.amazonaws.com.cn`).
pub fn region_from_host(host: &str) -> Option<String> {
    let rest = host
        .strip_prefix("cognito-idp.")
        .or_else(|| host.strip_prefix("cognito-idp-fips."))?;
    let (region, domain) = rest.split_once('.')?;
    (domain.starts_with("amazonaws.com") && !region.is_empty()).then(|| region.to_owned())
}

/// The region of the client's own credential scope, if it signed.
fn region_from_scope(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    Authorization::parse(value)
        .ok()
        .map(|a| a.region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_from_aws_host_names() {
        assert_eq!(
            region_from_host("cognito-idp.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_host("cognito-idp-fips.us-east-1.amazonaws.com").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            region_from_host("cognito-idp.cn-north-1.amazonaws.com.cn").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_from_host("127.0.0.1"), None);
        assert_eq!(region_from_host("cognito-idp.example.com"), None);
    }
}
