//! [`ReplayServer`]: a replay server inside a test process, started in one
//! call and checked like wiremock's `MockServer`; and [`JournalSnapshot`],
//! what it has seen.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;

use super::builder::ReplayServerBuilder;
use super::journal::{Entry, Totals};
use super::readable;
use super::run::Running;
use super::server::Replay;

/// A replay server running in the background of a test, on 127.0.0.1 at a
/// port of its own: point the code under test (an AWS SDK client) at
/// [`uri`](Self::uri), then check what it sent with
/// [`assert_clean`](Self::assert_clean).
///
/// It serves until it is dropped. A [`strict`](ReplayServerBuilder::strict)
/// server also checks itself then, and panics with the readable report if a
/// request matched no fixture or broke the contract. Like
/// `tapedeck replay --strict`, it judges the whole run: a
/// [`reset`](Self::reset) between tests does not forgive what came before it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = tapedeck::ReplayServer::start().await;
/// // AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, or the SDK's endpoint_url:
/// let endpoint = server.uri();
/// # assert_eq!(endpoint, format!("http://{}", server.address()));
/// // … run the code under test against `endpoint` …
/// server.assert_clean();
/// # }
/// ```
pub struct ReplayServer {
    replay: Arc<Replay>,
    uri: String,
    address: SocketAddr,
    strict: bool,
    /// Dropping it stops the server (its stop signal's sender goes with it).
    _running: Running,
}

impl ReplayServer {
    /// Starts a server for the embedded reference set of AdminForgetDevice.
    /// Use [`builder`](Self::builder) for other fixtures, strict mode, the
    /// sequence end policy or signature verification.
    ///
    /// # Panics
    ///
    /// If no port on 127.0.0.1 can be bound, or outside a tokio runtime.
    pub async fn start() -> ReplayServer {
        match ReplayServer::builder().start().await {
            Ok(server) => server,
            Err(e) => panic!("tapedeck: cannot start a replay server: {e}"),
        }
    }

    /// A builder, to choose the fixtures and the checks.
    pub fn builder() -> ReplayServerBuilder {
        ReplayServerBuilder::default()
    }

    pub(super) fn new(replay: Arc<Replay>, running: Running, strict: bool) -> ReplayServer {
        ReplayServer {
            uri: running.url(),
            address: running.addr,
            replay,
            strict,
            _running: running,
        }
    }

    /// `http://127.0.0.1:<port>`: the endpoint to give the code under test.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The address the server listens on.
    pub fn address(&self) -> &SocketAddr {
        &self.address
    }

    /// What the server has seen since it started or was last
    /// [`reset`](Self::reset), as `GET /__tapedeck/journal` shows it.
    ///
    /// ```
    /// # async fn send(address: &std::net::SocketAddr, body: &str) -> std::io::Result<String> {
    /// #     use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    /// #     let mut stream = tokio::net::TcpStream::connect(address).await?;
    /// #     let head = format!("POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: AWSCognitoIdentityProviderService.AdminForgetDevice\r\nx-amz-date: 20260101T000000Z\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", "0".repeat(64), body.len());
    /// #     stream.write_all(head.as_bytes()).await?;
    /// #     let mut response = String::new();
    /// #     stream.read_to_string(&mut response).await?;
    /// #     Ok(response)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # let server = tapedeck::ReplayServer::start().await;
    /// # let body = r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"nobody","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    /// # send(server.address(), body).await?;
    /// // One request, for a user no fixture has:
    /// let journal = server.journal();
    /// assert_eq!(journal.totals.unmatched, 1);
    /// let tapedeck::Outcome::Unmatched { near_misses } = &journal.entries[0].outcome else {
    ///     panic!("{journal}");
    /// };
    /// assert_eq!(near_misses[0].diff[0].field, "/Username");
    /// # Ok(())
    /// # }
    /// ```
    pub fn journal(&self) -> JournalSnapshot {
        let replay = &self.replay;
        JournalSnapshot {
            totals: replay.journal.totals(),
            run: replay.journal.run_totals(),
            entries: replay.journal.entries(&replay.index.fixtures()),
        }
    }

    /// Rewinds every sequence to its first response, forgets what each
    /// pseudonym was bound to and starts a new journal window, as
    /// `POST /__tapedeck/reset` does: for the next test of a server that
    /// several share. The run's counters ([`JournalSnapshot::run`]) go on.
    ///
    /// ```
    /// # async fn send(address: &std::net::SocketAddr, body: &str) -> std::io::Result<String> {
    /// #     use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    /// #     let mut stream = tokio::net::TcpStream::connect(address).await?;
    /// #     let head = format!("POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: AWSCognitoIdentityProviderService.AdminForgetDevice\r\nx-amz-date: 20260101T000000Z\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", "0".repeat(64), body.len());
    /// #     stream.write_all(head.as_bytes()).await?;
    /// #     let mut response = String::new();
    /// #     stream.read_to_string(&mut response).await?;
    /// #     Ok(response)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # let server = tapedeck::ReplayServer::start().await;
    /// let forget = r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"tapedeck-user","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    /// // The reference set answers this request 200, then (the device is gone) 400.
    /// assert!(send(server.address(), forget).await?.starts_with("HTTP/1.1 200"));
    /// assert!(send(server.address(), forget).await?.starts_with("HTTP/1.1 400"));
    /// server.reset();
    /// assert!(send(server.address(), forget).await?.starts_with("HTTP/1.1 200"));
    /// assert_eq!(server.journal().totals.requests, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn reset(&self) {
        self.replay.reset();
    }

    /// Panics with the readable report (the one `tapedeck replay`'s
    /// `GET /__tapedeck/journal?format=text`, the pytest plugin and the npm
    /// package show) if any request since the start or the last
    /// [`reset`](Self::reset) matched no fixture or broke the contract.
    ///
    /// ```should_panic
    /// # async fn send(address: &std::net::SocketAddr, body: &str) -> std::io::Result<String> {
    /// #     use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    /// #     let mut stream = tokio::net::TcpStream::connect(address).await?;
    /// #     let head = format!("POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: AWSCognitoIdentityProviderService.AdminForgetDevice\r\nx-amz-date: 20260101T000000Z\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", "0".repeat(64), body.len());
    /// #     stream.write_all(head.as_bytes()).await?;
    /// #     let mut response = String::new();
    /// #     stream.read_to_string(&mut response).await?;
    /// #     Ok(response)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # let server = tapedeck::ReplayServer::start().await;
    /// # let body = r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"nobody","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    /// # send(server.address(), body).await?;
    /// // After a request no fixture matches, this panics with:
    /// //
    /// // tapedeck: 1 of 1 request matched no fixture or broke the recorded contract
    /// //
    /// // request 1: POST / AWSCognitoIdentityProviderService.AdminForgetDevice → 404: no fixture matched
    /// //   nearest fixture: 'device-already-forgotten' (1 field differs)
    /// //     /Username
    /// //       expected: "tapedeck-user"
    /// //       got:      ‹sensitive UsernameType, 6 characters›
    /// //   also near: 'forget-remembered-device' (differs in /Username); 'unknown-user' (differs in /Username)
    /// server.assert_clean();
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_clean(&self) {
        if let Some(report) = self.journal().problems_report() {
            panic!("{report}");
        }
    }
}

impl Drop for ReplayServer {
    /// Stops the server; a strict one first checks its whole run (resets do
    /// not forgive), unless the thread is already panicking.
    fn drop(&mut self) {
        if !self.strict || std::thread::panicking() {
            return;
        }
        let journal = self.journal();
        if let Some(report) = journal.problems_report() {
            panic!("{report}");
        }
        // As `tapedeck replay --strict` does, the whole run counts: a reset
        // starts a new window for assert_clean, but does not forgive.
        let run = journal.run;
        if !run.is_clean() {
            panic!(
                "tapedeck: {} of the run's {} requests matched no fixture and {} broke the recorded contract, all before the last reset (call assert_clean before each reset to see them)",
                run.unmatched, run.requests, run.with_violations
            );
        }
    }
}

impl fmt::Debug for ReplayServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayServer")
            .field("uri", &self.uri)
            .field("fixtures", &self.replay.index.len())
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

/// What a [`ReplayServer`] has seen since it started or was last reset (the
/// journal's window): exact counters, and the most recent requests (the
/// server keeps the last 10,000); and the counters of the whole run, which a
/// reset does not clear. It serialises as `GET /__tapedeck/journal` shows it;
/// it displays as the readable report of the window.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct JournalSnapshot {
    /// Counters over every request since the start or the last reset.
    pub totals: Totals,
    /// Counters over every request since the server started.
    pub run: Totals,
    /// The kept requests since the start or the last reset, oldest first.
    pub entries: Vec<Entry>,
}

impl JournalSnapshot {
    /// Whether every request since the start or the last reset matched a
    /// fixture and kept to the contract.
    pub fn is_clean(&self) -> bool {
        self.totals.is_clean()
    }

    /// The readable report, or `None` when every request kept to the contract.
    fn problems_report(&self) -> Option<String> {
        if self.is_clean() {
            return None;
        }
        let mut text = readable::render(&self.entries);
        if readable::problems(&self.entries) == 0 {
            let t = self.totals;
            text.push_str(&format!(
                "… but {} of the {} requests since the start matched no fixture and {} broke the contract, before the {} kept ones\n",
                t.unmatched, t.requests, t.with_violations, self.entries.len()
            ));
        }
        Some(text)
    }
}

impl fmt::Display for JournalSnapshot {
    /// The readable report: a headline, then each request that matched no
    /// fixture or broke the contract, with its nearest fixtures and the fields
    /// that differ, and every broken rule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&readable::render(&self.entries))
    }
}
