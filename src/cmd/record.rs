//! `tapedeck record`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tapedeck::net::{self, Limits};

use super::recording::RecordOpts;

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    opts: RecordOpts,
    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:4567")]
    listen: SocketAddr,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
}

pub async fn run(args: RecordArgs) -> anyhow::Result<ExitCode> {
    let proxy = Arc::new(args.opts.proxy().await?);
    let listener = net::bind(args.listen, args.allow_remote).await?;
    let addr = listener.local_addr()?;
    println!(
        "tapedeck record: listening on http://{addr}, forwarding to {} and writing fixtures to {}; point an SDK at it with AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://{addr}",
        proxy.upstream.authority(),
        proxy.recorder.out_dir().display()
    );
    net::serve(listener, proxy, Limits::default(), super::shutdown_signal()).await;
    Ok(ExitCode::SUCCESS)
}
