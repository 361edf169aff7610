//! `tapedeck record`: checks `--out` and the credentials, listens, creates
//! `--out`, forwards and records until Ctrl-C or SIGTERM, then says how many
//! exchanges it recorded and how many it could not (exit 1 if any).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tapedeck::net::{self, Limits};

use super::recording::RecordOpts;

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    opts: RecordOpts,
    /// Address to listen on, as IP:PORT or HOST:PORT (`localhost:4567`; every
    /// address the host resolves to must be loopback). Port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:4567")]
    listen: String,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
}

pub async fn run(args: RecordArgs) -> anyhow::Result<ExitCode> {
    let proxy = Arc::new(args.opts.proxy().await?);
    let listener = net::bind_spec(&args.listen, args.allow_remote).await?;
    super::create_output_dir("--out", proxy.recorder.out_dir())?;
    let addr = listener.local_addr()?;
    println!(
        "tapedeck record: listening on http://{addr}, forwarding to {} and writing fixtures to {}; point an SDK at it with AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://{addr}",
        proxy.upstream.authority(),
        proxy.recorder.out_dir().display()
    );
    let signal = async {
        super::shutdown_signal().await;
        tracing::info!("shutting down: draining open connections");
    };
    net::serve(listener, proxy.clone(), Limits::default(), signal).await;
    let counts = proxy.recorder.tally.counts();
    eprintln!("tapedeck record: {}", counts.summary());
    Ok(if counts.not_recorded() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
