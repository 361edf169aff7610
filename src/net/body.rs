//! Reading a request body with a size limit.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;

/// The largest body any tapedeck server accepts: 1 MiB. AdminForgetDevice
/// requests are a few hundred bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    Read(String),
}

impl BodyError {
    /// The kind of error a server answers this with.
    pub(crate) fn kind(&self) -> super::ErrorKind {
        match self {
            BodyError::TooLarge { .. } => super::ErrorKind::BodyTooLarge,
            BodyError::Read(_) => super::ErrorKind::BodyUnreadable,
        }
    }
}

/// Reads a request's body within [`MAX_BODY`], refusing at once when its
/// `Content-Length` header already says it is larger.
pub(crate) async fn read_request_body(
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
///
/// A small body usually arrives whole in its first frame: that frame's bytes
/// are the body, taken as they are. Anything longer is gathered frame by frame.
pub(crate) async fn read_limited(
    mut body: Incoming,
    content_length: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let too_large = || BodyError::TooLarge { limit };
    if content_length.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // `whole` holds the only frame so far; from a second frame on, `gathered`
    // holds them all.
    let mut whole = Bytes::new();
    let mut gathered = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers: not part of the body
        };
        if whole.len() + gathered.len() + data.len() > limit {
            return Err(too_large());
        }
        if whole.is_empty() && gathered.is_empty() {
            whole = data;
        } else {
            gathered.extend_from_slice(&std::mem::take(&mut whole));
            gathered.extend_from_slice(&data);
        }
    }
    Ok(if gathered.is_empty() {
        whole
    } else {
        gathered.freeze()
    })
}
