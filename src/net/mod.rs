//! Shared HTTP plumbing for every server in tapedeck: binding (loopback unless
//! asked otherwise), limits (connections, header read time, header and body size),
//! and graceful shutdown.

pub mod body;
pub mod listen;
pub mod server;

pub use body::{read_limited, BodyError, MAX_BODY};
pub use listen::{bind, BindError};
pub use server::{serve, Handler, Limits, Served};
