//! tapedeck: record-and-replay contract testing for the Amazon Cognito Identity
//! Provider (cognito-idp): every operation of the service model, with
//! `AdminForgetDevice` as the flagship (reference set, scenario catalog, capture).
//!
//! In a Rust test, [`ReplayServer`] serves recorded fixtures as a stand-in
//! Cognito endpoint, the way wiremock's `MockServer` serves mocks: start it,
//! point the code under test at [`ReplayServer::uri`], and assert that every
//! request it sent matched a fixture and kept to the recorded contract.
//!
//! ```
//! use tapedeck::ReplayServer;
//! use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! // Arrange: the bundled reference contract, on 127.0.0.1 at a free port.
//! let server = ReplayServer::start().await;
//!
//! // Act: what an AWS SDK pointed at `server.uri()` sends to forget a device.
//! // (The signature's structure is checked; the builder's `verify_signature`
//! // recomputes it too.)
//! let body = r#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"tapedeck-user","DeviceKey":"us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
//! let request = format!(
//!     "POST / HTTP/1.1\r\n\
//!      host: {host}\r\n\
//!      content-type: application/x-amz-json-1.1\r\n\
//!      x-amz-target: AWSCognitoIdentityProviderService.AdminForgetDevice\r\n\
//!      x-amz-date: 20260101T000000Z\r\n\
//!      authorization: AWS4-HMAC-SHA256 \
//!        Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-idp/aws4_request, \
//!        SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={signature}\r\n\
//!      content-length: {length}\r\n\
//!      connection: close\r\n\r\n{body}",
//!     host = server.address(),
//!     signature = "0".repeat(64),
//!     length = body.len(),
//! );
//! let mut stream = tokio::net::TcpStream::connect(server.address()).await?;
//! stream.write_all(request.as_bytes()).await?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response).await?;
//! assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
//!
//! // Assert: every request matched a fixture and kept to the contract; if
//! // not, this panics with the readable report (nearest fixtures, the fields
//! // that differ, each broken rule).
//! server.assert_clean();
//! # Ok(())
//! # }
//! ```
//!
//! With the AWS SDK for Rust, the request comes from the client instead:
//! `aws_sdk_cognitoidentityprovider::config::Builder::endpoint_url(server.uri())`
//! (the README's "In Rust tests" shows a whole test, and
//! `scripts/clients/rust/tests/replay_server.rs` runs it). Other fixtures,
//! strict mode (the server checks itself when dropped), the sequence end policy
//! and signature verification are [`ReplayServer::builder`]'s.
//!
//! # Layout
//!
//! One module per stage of the data flow, each re-exporting what its users
//! need; their files are private. In data-flow order:
//!
//! - [`contract`]: what Cognito promises: the vendored service model, AWS-worded validation of any operation's input, awsJson error types.
//! - [`fixture`]: the on-disk format: fixture types, loading, atomic writes, the canonical request key, redaction, the secret scanner, and [`fixture::sensitive`]: where the model's sensitive values are, and the pseudonyms and placeholders that replace them.
//! - [`lint`]: checks fixture sets: schema, model conformance, sequences, provenance, secrets.
//! - [`sigv4`]: SigV4: checks a request's signing headers, recomputes a signature, signs afresh.
//! - [`net`]: shared HTTP plumbing: loopback binding, limits, the upstream client, AWS credentials, the signed awsJson client, tapedeck's own error answers.
//! - [`replay`]: the replay server: [`ReplayServer`] for tests, and the pieces it is made of for programs like `tapedeck replay`; it binds the pseudonyms of recorded requests to the values a client sends.
//! - [`record`]: the recording proxy: re-signs, forwards, then redacts, scans and writes each exchange as a fixture; the record modes of `tapedeck replay --mode`.
//! - [`scenario`]: AdminForgetDevice's scenario catalog, the provisioning of each scenario's state, and `capture`.
//! - [`verify`]: checks an emulator or endpoint against fixtures, and compares (`diff`) and summarises (`coverage`) sets.
//! - `junit` (internal): the JUnit XML that the replay and verify reports share.
//!
//! `contract` and `fixture` know nothing of servers; everything after them
//! builds on them.

#![warn(unreachable_pub)]

pub mod contract;
pub mod fixture;
pub(crate) mod junit;
pub mod lint;
pub mod net;
pub mod record;
#[warn(missing_docs)]
pub mod replay;
pub mod scenario;
pub mod sigv4;
pub mod verify;

pub use fixture::SequenceEnd;
pub use net::ErrorKind;
pub use replay::{
    Entry, FieldDiff, JournalSnapshot, NearMiss, Outcome, ReplayServer, ReplayServerBuilder,
    StartError, Totals, Used, Violation,
};
pub use sigv4::Credentials;
