//! Shared HTTP plumbing: binding (loopback unless asked otherwise), limits
//! (connections, header read time, header and body size), graceful shutdown,
//! the pooled upstream client, credentials from the AWS chain, and the signed
//! awsJson client that provisioning uses.

pub mod awsjson;
pub mod body;
pub mod credentials;
pub mod listen;
pub mod server;
pub mod upstream;
pub mod watch;

pub use body::{read_limited, read_request_body, BodyError, MAX_BODY};
pub use listen::{bind, BindError};
pub use server::{serve, Handler, Limits, Served};
