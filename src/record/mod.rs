//! The recording proxy: client → [`proxy`] (strip the client's signature,
//! re-sign with [`credentials`]) → [`upstream`] → [`recorder`] (redact, scan,
//! atomic write) → the upstream's answer back to the client.

pub mod credentials;
pub mod proxy;
pub mod recorder;
pub mod upstream;

pub use proxy::{Proxy, Signing};
pub use recorder::{Recorder, RecorderConfig};
pub use upstream::{Timeouts, Upstream};
