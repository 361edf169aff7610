//! A small signed awsJson 1.1 client: `call("CreateUserPool", &body)` POSTs to the
//! endpoint with the right target and content type, signs with SigV4 (or not),
//! and returns the answer read whole, with the error type clients would see.
//! Provisioning uses it; so do `verify` and `capture` for their own calls.

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::Value;

use super::credentials::Signer;
use super::upstream::{Upstream, UpstreamError};
use crate::contract::awsjson::{error_message, error_type};
use crate::contract::model;
use crate::sigv4;

/// How a call is signed.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Signed with credentials from this signer.
    Signed(Signer),
    /// No Authorization header at all.
    Unsigned,
}

/// An awsJson answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The sanitised error type, if the answer names one.
    pub fn error_type(&self) -> Option<String> {
        let header = self
            .headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok());
        error_type(&self.body, header).map(|t| t.name)
    }

    /// One line a person can read: `200`, `400 UserNotFoundException 'User does
    /// not exist.'`, `500 text/html`.
    pub fn summary(&self) -> String {
        let status = self.status.as_u16();
        match self.error_type() {
            Some(t) => match error_message(&self.body) {
                Some(m) => format!("{status} {t} '{}'", truncate(&m, 160)),
                None => format!("{status} {t}"),
            },
            None if self.status.is_success() => status.to_string(),
            None => {
                let ct = self
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("no content type");
                format!("{status} {ct}")
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// A client for one endpoint and region.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) upstream: Upstream,
    pub(crate) region: String,
}

impl Client {
    pub fn new(upstream: Upstream, region: impl Into<String>) -> Self {
        Client {
            upstream,
            region: region.into(),
        }
    }

    /// Calls `operation` (e.g. `CreateUserPool`) with `body`.
    pub async fn call(
        &self,
        operation: &str,
        body: &Value,
        auth: &Auth,
    ) -> Result<Answer, CallError> {
        let bytes = Bytes::from(serde_json::to_vec(body).expect("JSON serialises"));
        let target = format!("{}.{operation}", model::get().target_prefix());
        self.send(&target, bytes, auth).await
    }

    /// Sends `body` exactly as given, with the full `X-Amz-Target` value `target`.
    pub async fn send(&self, target: &str, bytes: Bytes, auth: &Auth) -> Result<Answer, CallError> {
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        let headers = self.request_headers(target, &bytes, auth).await?;
        let uri = self.upstream.uri_for("/");
        let answer = self
            .upstream
            .send(Method::POST, uri, headers, bytes)
            .await
            .map_err(|e| CallError::Upstream {
                operation,
                error: e,
            })?;
        Ok(Answer {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        })
    }

    /// The headers of an awsJson request for `target`, signed per `auth`.
    pub(crate) async fn request_headers(
        &self,
        target: &str,
        body: &[u8],
        auth: &Auth,
    ) -> Result<HeaderMap, CallError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(model::CONTENT_TYPE),
        );
        headers.insert(
            "x-amz-target",
            HeaderValue::from_str(target).map_err(|_| CallError::Operation(target.to_owned()))?,
        );
        headers.insert(
            http::header::HOST,
            HeaderValue::from_str(self.upstream.authority()).expect("authority is a valid header"),
        );
        if let Auth::Signed(signer) = auth {
            let creds = signer
                .credentials()
                .await
                .map_err(|e| CallError::Credentials(e.to_string()))?;
            let uri = self.upstream.uri_for("/");
            let signed = sigv4::sign_headers(
                "POST",
                &uri,
                &headers,
                body,
                &self.region,
                SystemTime::now(),
                &creds,
            )
            .map_err(|f| CallError::Credentials(f.message))?;
            for (name, value) in signed {
                headers.insert(name, value);
            }
        }
        Ok(headers)
    }
}

/// Why a call got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{operation}: {error}")]
    Upstream {
        operation: String,
        error: UpstreamError,
    },
    #[error("cannot sign: {0}")]
    Credentials(String),
    #[error("'{0}' is not a valid operation name")]
    Operation(String),
}
