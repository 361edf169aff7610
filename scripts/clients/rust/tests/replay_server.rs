//! A team's own tests, as they would be written: code that calls Cognito through
//! `aws-sdk-cognitoidentityprovider`, tested against `tapedeck::ReplayServer`
//! serving the recorded AdminForgetDevice contract (the embedded reference set).
//!
//! Each test starts a server, points the SDK at `server.uri()`, calls the code
//! under test, asserts what it returned, and asserts that every request it sent
//! matched a fixture and kept to the contract. The server is strict and checks
//! signatures with the test credentials, so a request that strays, or a client
//! that signs wrongly, fails the test even without `assert_clean`.
//!
//! Run with `cargo test --manifest-path scripts/clients/rust/Cargo.toml`
//! (scripts/test.sh does, after the client matrix has built this project).

use std::panic::{catch_unwind, AssertUnwindSafe};

use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::operation::admin_forget_device::AdminForgetDeviceError;
use aws_sdk_cognitoidentityprovider::Client;
use tapedeck::ReplayServer;

const POOL: &str = "us-east-1_TapeDeck1";
const DEVICE: &str = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001";
const ACCESS_KEY_ID: &str = "AKIDTAPEDECKCLIENT";
const SECRET_ACCESS_KEY: &str = "tapedeck-client-test-secret";

/// The code under test: forgets a user's device, and says whether there was
/// one to forget.
async fn forget_device(
    cognito: &Client,
    username: &str,
    device_key: &str,
) -> Result<bool, AdminForgetDeviceError> {
    let sent = cognito
        .admin_forget_device()
        .user_pool_id(POOL)
        .username(username)
        .device_key(device_key)
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        Err(e) => match e.into_service_error() {
            AdminForgetDeviceError::ResourceNotFoundException(_) => Ok(false),
            other => Err(other),
        },
    }
}

/// A strict server for the reference contract that recomputes signatures.
async fn server() -> ReplayServer {
    let credentials = format!("{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}");
    ReplayServer::builder()
        .strict(true)
        .verify_signature(credentials.parse().expect("valid test credentials"))
        .start()
        .await
        .expect("the replay server starts")
}

/// An SDK client pointed at the server, with test credentials: what an
/// application builds from `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`.
fn cognito(server: &ReplayServer) -> Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "test",
        ))
        .endpoint_url(server.uri())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn forgetting_a_remembered_device_succeeds() {
    let server = server().await;
    let cognito = cognito(&server);

    let forgotten = forget_device(&cognito, "tapedeck-user", DEVICE).await;

    assert_eq!(forgotten.ok(), Some(true));
    server.assert_clean();
}

#[tokio::test]
async fn forgetting_it_again_finds_nothing_to_forget() {
    let server = server().await;
    let cognito = cognito(&server);

    // The reference set answers this request 200, then ResourceNotFoundException.
    let first = forget_device(&cognito, "tapedeck-user", DEVICE).await;
    let second = forget_device(&cognito, "tapedeck-user", DEVICE).await;

    assert_eq!((first.ok(), second.ok()), (Some(true), Some(false)));
    server.assert_clean();
}

#[tokio::test]
async fn an_unknown_user_is_an_error() {
    let server = server().await;
    let cognito = cognito(&server);

    let outcome = forget_device(&cognito, "tapedeck-ghost", DEVICE).await;

    assert!(
        matches!(outcome, Err(AdminForgetDeviceError::UserNotFoundException(_))),
        "{outcome:?}"
    );
    server.assert_clean();
}

#[tokio::test]
async fn a_request_off_the_contract_fails_the_test_with_the_readable_report() {
    let server = ReplayServer::start().await;
    let cognito = cognito(&server);

    // No fixture has this user: tapedeck answers 404 and journals the near miss.
    let outcome = forget_device(&cognito, "nobody", DEVICE).await;
    assert!(outcome.is_err(), "{outcome:?}");

    let failed = catch_unwind(AssertUnwindSafe(|| server.assert_clean()));
    let report = failed.expect_err("an unmatched request fails assert_clean");
    let report = report
        .downcast_ref::<String>()
        .expect("the report is text");
    assert!(
        report.starts_with("tapedeck: 1 of 1 request matched no fixture"),
        "{report}"
    );
    assert!(report.contains("    /Username\n"), "{report}");
    // A username is sensitive: the report shows its mask, never the value.
    assert!(
        report.contains("      got:      ‹sensitive UsernameType, 6 characters›\n"),
        "{report}"
    );
    assert!(!report.contains("nobody"), "{report}");
}
