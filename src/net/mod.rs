//! Shared HTTP plumbing: binding (loopback unless asked otherwise), limits
//! (connections, header read time, header and body size), graceful shutdown,
//! the pooled upstream client, credentials from the AWS chain, the signed
//! awsJson client that provisioning uses, tapedeck's own error answers, and the
//! seam between replay and record (`miss`).

pub(crate) mod awsjson;
pub(crate) mod body;
pub(crate) mod credentials;
pub(crate) mod listen;
pub(crate) mod miss;
pub(crate) mod server;
pub(crate) mod tapedeck_error;
pub(crate) mod upstream;
pub(crate) mod watch;

pub use awsjson::{Answer, Auth, CallError, Client};
pub use body::MAX_BODY;
pub(crate) use body::{read_request_body, BodyError};
pub use credentials::{CredentialsError, Signer};
pub use listen::{bind, bind_spec, BindError};
pub use miss::{Answered, MissAnswer, MissHandler, Missed};
pub use server::{serve, Handler, Limits, Served};
pub(crate) use tapedeck_error::tapedeck_error;
pub use tapedeck_error::ErrorKind;
pub use upstream::{SetupError, Timeouts, Upstream, UpstreamError, UpstreamResponse, MAX_RESPONSE};
