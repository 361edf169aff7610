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
