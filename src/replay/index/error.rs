//! Why an index could not be built.

/// Why an index could not be built. `origin`, `first` and `second` name
/// fixture files (or `embedded:<set>/<file>`).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A recorded response header is not a valid HTTP header.
    #[error("{origin}: response header '{name}' cannot be served: {reason}")]
    Header {
        /// The fixture.
        origin: String,
        /// The header's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A recorded status is not a valid HTTP status.
    #[error("{origin}: status {status} is not a valid HTTP status")]
    Status {
        /// The fixture.
        origin: String,
        /// The recorded status.
        status: u16,
    },
    /// A recorded response body cannot be decoded.
    #[error("{origin}: {message}")]
    Body {
        /// The fixture.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// Two fixtures of one request do not form a sequence.
    #[error("{first} and {second} have the same request but {reason}; give them distinct `sequence` numbers 1..n in one set (tapedeck lint explains)")]
    Sequence {
        /// One fixture.
        first: String,
        /// The other.
        second: String,
        /// Why they are not a sequence.
        reason: String,
    },
}
