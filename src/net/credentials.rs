//! Credentials for re-signing, from the standard AWS chain through aws-config:
//! environment variables, the shared config and credentials files (with
//! `--profile`), SSO, web identity, container and instance metadata. The
//! provider caches and refreshes what it resolves.

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// Why no credentials could be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("no AWS credentials found{profile}: {reason}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, or run with --no-resign for an endpoint that does not check signatures")]
    Missing { profile: String, reason: String },
}

/// A source of credentials for signing.
#[derive(Clone, Debug)]
pub struct Signer {
    provider: SharedCredentialsProvider,
    profile: Option<String>,
}

impl Signer {
    /// Loads the standard chain, for `profile` if given.
    pub async fn load(profile: Option<&str>) -> Result<Signer, CredentialsError> {
        // The region only steers the credential chain's own AWS calls (SSO and STS
        // read theirs from the profile); fixing it skips a slow, noisy lookup of
        // the instance metadata service.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            // rustls on *ring*, the crypto the proxy's upstream client already
            // links: the binary carries one TLS stack, not two.
            .http_client(
                aws_smithy_http_client::Builder::new()
                    .tls_provider(Provider::Rustls(CryptoMode::Ring))
                    .build_https(),
            );
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        let config = loader.load().await;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| CredentialsError::Missing {
                profile: profile_note(profile),
                reason: "the default chain is not available".into(),
            })?;
        Ok(Signer {
            provider,
            profile: profile.map(str::to_owned),
        })
    }

    /// A signer with fixed credentials (tests, and callers that have them).
    pub fn fixed(credentials: Credentials) -> Signer {
        Signer {
            provider: SharedCredentialsProvider::new(credentials),
            profile: None,
        }
    }

    /// The current credentials, refreshed by the provider when they expire.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.provider
            .provide_credentials()
            .await
            .map_err(|e| CredentialsError::Missing {
                profile: profile_note(self.profile.as_deref()),
                reason: e.to_string(),
            })
    }
}

fn profile_note(profile: Option<&str>) -> String {
    profile.map_or_else(String::new, |p| format!(" for profile '{p}'"))
}
