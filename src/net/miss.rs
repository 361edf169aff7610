//! The seam of `replay --on-miss forward`: a request the replay server's
//! fixtures do not cover ([`Missed`]), and something that can answer it
//! ([`MissHandler`]; the recording proxy forwards it and records the exchange).
//! Here, between the two, so that neither depends on the other.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

/// A request no fixture matched, handed to the miss handler.
#[derive(Debug, Clone)]
pub struct Missed {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// What a miss handler answers: the response, and a note for the journal.
pub type MissAnswer = Option<(Response<Full<Bytes>>, String)>;

/// Something that can answer a request the fixtures do not cover. Returning
/// `None` falls back to the 404 near-miss answer.
pub trait MissHandler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        missed: Missed,
    ) -> Pin<Box<dyn Future<Output = MissAnswer> + Send + 'a>>;
}
