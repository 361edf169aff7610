//! Credentials for re-signing come from the standard AWS chain: here, a named
//! profile in the shared credentials file, as `tapedeck record --profile P` uses,
//! and the container endpoint, which the chain reaches through the HTTP client
//! tapedeck gives it (rustls on ring, see `net::credentials`).
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

/// Runs `test` (this binary's test of that name) again in a child process
/// whose AWS environment is `env` alone, and checks that it ran and passed.
fn in_child(test: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(IN_CHILD, "1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (name, value) in env {
        child.env(name, value);
    }
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
    in_child(
        "record_profile::a_named_profile_signs_and_its_signature_verifies",
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_os_str()),
            ("AWS_CONFIG_FILE", config.as_os_str()),
        ],
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

/// The container endpoint (ECS, EKS Pod Identity) is read over HTTP by the
/// chain's own client: a fake endpoint on loopback hands out credentials, and
/// the signer gets them. This proves the client tapedeck configures for the
/// chain works, as the SSO and STS providers use the same one over HTTPS.
#[test]
fn container_credentials_come_through_the_chains_http_client() {
    if std::env::var_os(IN_CHILD).is_some() {
        return tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(container_credentials_in_this_process());
    }
    use wiremock::matchers::{method, path};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let endpoint = runtime.block_on(async {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(method("GET"))
            .and(path("/credentials"))
            .respond_with(
                wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "AccessKeyId": "AKIDFROMCONTAINER",
                    "SecretAccessKey": "container-secret",
                    "Token": "container-session",
                    "Expiration": "2099-01-01T00:00:00Z",
                })),
            )
            .expect(1..)
            .mount(&server)
            .await;
        server
    });
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("{}/credentials", endpoint.uri());
    in_child(
        "record_profile::container_credentials_come_through_the_chains_http_client",
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.as_ref()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("none").as_os_str(),
            ),
            ("AWS_CONFIG_FILE", dir.path().join("none").as_os_str()),
        ],
    );
    // The fake endpoint's expectation (called at least once) is checked here.
    runtime.block_on(endpoint.verify());
}

async fn container_credentials_in_this_process() {
    let signer = Signer::load(None).await.unwrap();
    let creds = signer.credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "AKIDFROMCONTAINER");
    assert_eq!(creds.session_token(), Some("container-session"));
}
