//! The recording proxy: client → [`proxy`] (strip the client's signature,
//! re-sign with credentials from [`crate::net::credentials`]) → the upstream
//! ([`crate::net::upstream`]) → [`recorder`] (redact, scan, atomic write) → the
//! upstream's answer back to the client. [`mode`]: the record modes of
//! `replay` (none, once, new-episodes, all).

pub mod mode;
pub mod proxy;
pub mod recorder;
pub mod tally;

pub use crate::net::{credentials, upstream};

pub use mode::{Effect, Mode};
pub use proxy::{Proxy, Signing};
pub use recorder::{Recorder, RecorderConfig};
pub use tally::{Counts, NotRecorded, Tally};
pub use upstream::{Timeouts, Upstream};
