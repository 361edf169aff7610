//! The recording proxy: client → [`Proxy`] (strip the client's signature,
//! re-sign with credentials from a [`Signer`](crate::net::Signer)) → the
//! [`Upstream`](crate::net::Upstream) → [`Recorder`] (redact, scan, atomic
//! write, counted in a [`Tally`]) → the upstream's answer back to the client.
//! [`Mode`]: the record modes of `replay` (none, once, new-episodes, all).

pub(crate) mod mode;
pub(crate) mod proxy;
pub(crate) mod recorder;
pub(crate) mod tally;

pub use mode::{in_ci, set_exists, Effect, Mode, UnknownMode};
pub use proxy::{region_from_host, Proxy, Signing, SCENARIO_HEADER};
pub use recorder::{Exchange, RecordError, Recorded, Recorder, RecorderConfig};
pub use tally::{Counts, NotRecorded, Tally};
