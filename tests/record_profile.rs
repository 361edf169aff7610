//! Credentials for re-signing come from the standard AWS chain: here, a named
//! profile in the shared credentials file, as `tapedeck record --profile P` uses.
//! (Its own test binary: it sets process-wide environment variables.)

use std::time::SystemTime;

use tapedeck::net::credentials::Signer;
use tapedeck::sigv4::{self, Credentials};

#[tokio::test]
async fn a_named_profile_signs_and_its_signature_verifies() {
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
    // SAFETY of the test: this binary has one test, so nothing reads the
    // environment concurrently.
    unsafe {
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
        ] {
            std::env::remove_var(var);
        }
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
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
