//! Credentials for re-signing come from the standard AWS chain: here, a named
//! profile in the shared credentials file, as `tapedeck record --profile P` uses.
//!
//! The chain reads process-wide environment variables, and the other tests of
//! this binary run in the same process, so the test runs itself again as a
//! child process of the test binary with the environment it needs, rather than
//! changing the environment under its neighbours.

use std::process::Command;
use std::time::{Duration, SystemTime};

use tapedeck::net::Signer;
use tapedeck::sigv4::{self, Credentials};

use crate::support::process::output_within;

/// Set in the child's environment: run the test body rather than the child.
const IN_CHILD: &str = "TAPEDECK_TEST_PROFILE_CHILD";
const TEST: &str = "record_profile::a_named_profile_signs_and_its_signature_verifies";

#[test]
fn a_named_profile_signs_and_its_signature_verifies() {
    if std::env::var_os(IN_CHILD).is_some() {
        return tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(named_profile_in_this_process());
    }
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIDDEFAULTPROFILE\naws_secret_access_key = default-secret\n\n\
         [sandbox]\naws_access_key_id = AKIDSANDBOXPROFILE\naws_secret_access_key = sandbox-secret\n",
    )
    .unwrap();
    std::fs::write(&config, "[profile sandbox]\nregion = eu-west-1\n").unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(IN_CHILD, "1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = output_within(&mut child, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The filter matched the test, so it ran: not a vacuous pass.
    assert!(
        stdout.contains("test result: ok. 1 passed; 0 failed"),
        "{stdout}\n{stderr}"
    );
}

/// The test proper, in a process whose environment points the chain at the
/// files written above.
async fn named_profile_in_this_process() {
    let signer = Signer::load(Some("sandbox")).await.unwrap();
    let creds = signer.credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "AKIDSANDBOXPROFILE");

    let uri: http::Uri = "http://127.0.0.1:9/".parse().unwrap();
    let body = br#"{"UserPoolId":"us-east-1_TapeDeck1","Username":"u","DeviceKey":"us-east-1_0a"}"#;
    let mut headers = http::HeaderMap::new();
    headers.insert("host", "127.0.0.1:9".parse().unwrap());
    headers.insert(
        "content-type",
        "application/x-amz-json-1.1".parse().unwrap(),
    );
    headers.insert(
        "x-amz-target",
        "AWSCognitoIdentityProviderService.AdminForgetDevice"
            .parse()
            .unwrap(),
    );
    for (name, value) in sigv4::sign_headers(
        "POST",
        &uri,
        &headers,
        body,
        "us-east-1",
        SystemTime::now(),
        &creds,
    )
    .unwrap()
    {
        headers.insert(name, value);
    }
    let sandbox: Credentials = "AKIDSANDBOXPROFILE:sandbox-secret".parse().unwrap();
    assert_eq!(
        sigv4::verify_signature("POST", &uri, &headers, body, &sandbox),
        Ok(())
    );
    let default: Credentials = "AKIDDEFAULTPROFILE:default-secret".parse().unwrap();
    assert!(sigv4::verify_signature("POST", &uri, &headers, body, &default).is_err());

    // A profile that does not exist is a clear error, not a silent fallback.
    let missing = Signer::load(Some("no-such-profile")).await.unwrap();
    let err = missing.credentials().await.unwrap_err().to_string();
    assert!(err.contains("no-such-profile"), "{err}");
}
