//! The seam of the recording modes of `replay` (`--mode new-episodes`, `all`):
//! a request the replay server does not answer from its fixtures ([`Missed`]),
//! and something that can answer it ([`MissHandler`]; the recording proxy
//! forwards it and records the exchange). Here, between the two, so that
//! neither depends on the other.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

use crate::fixture::Fixture;

/// A request no fixture matched, handed to the miss handler.
#[derive(Debug, Clone)]
pub struct Missed {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// How a miss handler answered a request.
#[derive(Debug)]
pub struct Answered {
    pub response: Response<Full<Bytes>>,
    /// A note for the journal (`recorded as user-not-found-3fa1c2d0`).
    pub note: String,
    /// The fixture files written for the exchange, as written (none when it was
    /// not recorded, or was a duplicate): the replay server serves them from
    /// then on.
    pub recorded: Vec<(PathBuf, Fixture)>,
}

/// What a miss handler answers; `None` falls back to the 404 near-miss answer.
pub type MissAnswer = Option<Answered>;

/// Something that can answer a request the fixtures do not cover. Returning
/// `None` falls back to the 404 near-miss answer.
pub trait MissHandler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        missed: Missed,
    ) -> Pin<Box<dyn Future<Output = MissAnswer> + Send + 'a>>;
}
