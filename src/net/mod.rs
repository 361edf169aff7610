//! Shared HTTP plumbing: binding (loopback unless asked otherwise), limits
//! (connections, header read time, header and body size), graceful shutdown,
//! the pooled upstream client, credentials from the AWS chain, the signed
//! awsJson client that provisioning uses, tapedeck's own error answers, and the
//! seam between replay and record (`miss`).

pub mod awsjson;
pub mod body;
pub mod credentials;
pub mod listen;
pub mod miss;
pub mod server;
pub mod tapedeck_error;
pub mod upstream;
pub mod watch;

pub use body::{read_limited, read_request_body, BodyError, MAX_BODY};
pub use listen::{bind, bind_spec, BindError};
pub use miss::{Answered, MissAnswer, MissHandler, Missed};
pub use server::{serve, Handler, Limits, Served};
pub use tapedeck_error::{tapedeck_error, ErrorKind};
