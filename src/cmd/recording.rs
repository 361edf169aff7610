//! The recording options shared by `tapedeck record` and the recording modes
//! of `replay` (`--mode once|new-episodes|all`): where to forward, how to
//! sign, and how to record.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tapedeck::fixture::redact::RedactConfig;
use tapedeck::net::{Signer, Timeouts, Upstream};
use tapedeck::record::{Proxy, Recorder, RecorderConfig, Signing};

/// Where to forward and how to record: shared by `record` and `replay --mode`.
#[derive(Debug, Args)]
pub struct RecordOpts {
    /// The real endpoint: https://cognito-idp.<region>.amazonaws.com, or an emulator's URL.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Directory the fixtures are written to (created once the server listens;
    /// checked before). For `replay --mode`, the set recorded into [default:
    /// the one --fixtures directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Signing region [default: from the upstream host name, else the client's credential scope].
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile for the credentials used to re-sign (the standard chain otherwise).
    #[arg(long)]
    pub profile: Option<String>,
    /// Forward the client's signature untouched, for emulators that don't check it.
    #[arg(long)]
    pub no_resign: bool,
    /// Extra PEM CA certificates to trust for an HTTPS upstream (system roots are always trusted).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Replace existing fixture files of the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Keep one more header in fixtures (repeatable; credential headers are refused).
    #[arg(long = "keep-header", value_name = "NAME")]
    pub keep_headers: Vec<String>,
    /// Pseudonymise one more body member (and the variable of the same name), as a JSON pointer such as /DeviceKey (repeatable).
    #[arg(long = "redact-field", value_name = "POINTER")]
    pub redact_fields: Vec<String>,
    /// Keep usernames (UsernameType members, USERNAME entries) as they are instead of pseudonymising them; lint reports them.
    #[arg(long)]
    pub keep_usernames: bool,
    /// Seconds to wait for a connection to the upstream.
    #[arg(long, default_value_t = 5, value_name = "SECS", value_parser = super::at_least_one)]
    pub connect_timeout: u64,
    /// Seconds to wait for the upstream's whole answer.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = super::at_least_one)]
    pub read_timeout: u64,
}

impl RecordOpts {
    /// Builds the proxy these options describe, after checking that `--out`
    /// can be written (it is not created: the caller does that once it
    /// listens, with [`super::create_output_dir`]).
    pub async fn proxy(&self) -> anyhow::Result<Proxy> {
        let Some(out) = &self.out else {
            anyhow::bail!("recording needs both --upstream URL and --out DIR");
        };
        self.proxy_into(out, "--out", false).await
    }

    /// Builds the proxy these options describe, recording into `out` (named
    /// by `option` in messages), after checking it can be written; with
    /// `rerecord`, each request recorded replaces the fixtures that held it.
    pub async fn proxy_into(
        &self,
        out: &Path,
        option: &str,
        rerecord: bool,
    ) -> anyhow::Result<Proxy> {
        let Some(url) = &self.upstream else {
            anyhow::bail!("recording needs both --upstream URL and --out DIR");
        };
        super::check_output_dir(option, out)?;
        let timeouts = Timeouts {
            connect: Duration::from_secs(self.connect_timeout.max(1)),
            read: Duration::from_secs(self.read_timeout.max(1)),
        };
        let upstream = Upstream::new(url, self.ca_file.as_deref(), timeouts)?;
        let signing = if self.no_resign {
            Signing::PassThrough
        } else {
            let signer = Signer::load(self.profile.as_deref()).await?;
            // Fail at start, not on the first request, when there are no credentials.
            signer.credentials().await?;
            Signing::Resign {
                signer,
                region: self.region.clone(),
            }
        };
        let config = RecorderConfig {
            out: out.to_path_buf(),
            overwrite: self.overwrite,
            redact: RedactConfig {
                extra_headers: self.keep_headers.clone(),
                redact_fields: self.redact_fields.clone(),
                keep_usernames: self.keep_usernames,
            },
            endpoint: upstream.authority().to_owned(),
        };
        let recorder = match rerecord {
            true => Recorder::rerecording(config),
            false => Recorder::new(config),
        };
        Ok(Proxy {
            upstream,
            recorder: Arc::new(recorder),
            signing,
        })
    }
}
