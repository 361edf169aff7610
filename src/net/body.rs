//! Reading a request body with a size limit.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;

/// The largest body any tapedeck server accepts: 1 MiB. AdminForgetDevice
/// requests are a few hundred bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    Read(String),
}

impl BodyError {
    /// The status and `x-tapedeck-error` kind a server answers this with.
    pub fn status_and_kind(&self) -> (http::StatusCode, &'static str) {
        match self {
            BodyError::TooLarge { .. } => (http::StatusCode::PAYLOAD_TOO_LARGE, "body-too-large"),
            BodyError::Read(_) => (http::StatusCode::BAD_REQUEST, "body-unreadable"),
        }
    }
}

/// Reads a request's body within [`MAX_BODY`], refusing at once when its
/// `Content-Length` header already says it is larger.
pub async fn read_request_body(
    headers: &http::HeaderMap,
    body: Incoming,
) -> Result<Bytes, BodyError> {
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    read_limited(body, length, MAX_BODY).await
}

/// Reads the whole body, failing once it exceeds `limit` bytes. A declared
/// `Content-Length` over the limit fails before anything is read.
pub async fn read_limited(
    body: Incoming,
    content_length: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if content_length.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge { limit }),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}
