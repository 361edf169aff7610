//! `tapedeck capture` and `tapedeck scenarios`.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use tapedeck::net::{Auth, Client, Signer, Timeouts, Upstream};
use tapedeck::scenario::catalog::{self, Provokable, CATALOG};
use tapedeck::scenario::{capture, CaptureConfig, Provisioner};

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("where")
        .required(true)
        .multiple(true)
        .args(["endpoint", "region"])
))]
pub struct CaptureArgs {
    /// The endpoint: an emulator's URL, or https://cognito-idp.<region>.amazonaws.com.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The region [default for a non-AWS --endpoint: us-east-1]. Alone, it picks the
    /// AWS endpoint of that region.
    #[arg(long)]
    region: Option<String>,
    /// AWS profile for credentials (the standard chain otherwise).
    #[arg(long)]
    profile: Option<String>,
    /// Directory the fixtures are written to.
    #[arg(long, value_name = "DIR", required_unless_present_any = ["dry_run", "cleanup"])]
    out: Option<PathBuf>,
    /// Only these scenarios (comma-separated ids; see `tapedeck scenarios`).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    scenarios: Vec<String>,
    /// Provoke TooManyRequestsException with at most N requests (off by default).
    #[arg(long, value_name = "N")]
    throttle_burst: Option<u32>,
    /// Keep the pool afterwards instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// Don't ask before creating resources in an AWS account.
    #[arg(long)]
    yes: bool,
    /// Print the plan and exit without calling the endpoint.
    #[arg(long)]
    dry_run: bool,
    /// Delete leftover pools named tapedeck-* and exit.
    #[arg(long)]
    cleanup: bool,
    /// Replace existing fixture files of the same name.
    #[arg(long)]
    overwrite: bool,
    /// Extra PEM CA certificates for an HTTPS endpoint.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
}

pub fn scenarios() -> ExitCode {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:33} {:42} {:13} {:38} provokable",
        "scenario", "needs", "auth", "expected"
    );
    for s in CATALOG {
        let provokable = match s.provokable {
            Provokable::Yes => "yes".to_owned(),
            Provokable::OptIn => "opt-in (--throttle-burst)".to_owned(),
            Provokable::No(why) => format!("no: {why}"),
        };
        let auth = serde_json::to_value(s.auth)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:33} {:42} {:13} {:38} {provokable}",
            s.id,
            s.needs.describe(),
            auth,
            s.expected_label()
        );
        let _ = writeln!(out, "    {}", s.description);
    }
    ExitCode::SUCCESS
}

pub async fn run(args: CaptureArgs) -> anyhow::Result<ExitCode> {
    let url = match (&args.endpoint, &args.region) {
        (Some(url), _) => url.clone(),
        (None, Some(region)) => format!("https://cognito-idp.{region}.amazonaws.com"),
        (None, None) => anyhow::bail!("pass --endpoint URL or --region R"),
    };
    let selected: Vec<&'static catalog::Scenario> = if args.scenarios.is_empty() {
        CATALOG.iter().collect()
    } else {
        args.scenarios
            .iter()
            .map(|id| {
                catalog::scenario(id).with_context(|| {
                    let ids: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
                    format!(
                        "--scenarios: unknown scenario '{id}' (known: {})",
                        ids.join(", ")
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    let upstream = Upstream::new(
        &url,
        args.ca_file.as_deref(),
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(30),
        },
    )?;
    let region = args
        .region
        .clone()
        .or_else(|| tapedeck::record::region_from_host(upstream.host()))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let is_aws =
        upstream.host().ends_with("amazonaws.com") || upstream.host().ends_with("amazonaws.com.cn");
    if args.dry_run {
        let mut plan = format!("capture plan for {url} (region {region}):\n");
        for s in &selected {
            plan.push_str(&format!(
                "  {:33} needs {:42} expects {}\n",
                s.id,
                s.needs.describe(),
                s.expected_label()
            ));
        }
        plan.push_str("creates at most: one user pool (tapedeck-<time>-pool) with an app client, one user, one device; deletes them at the end unless --keep\n");
        super::print_out(&plan);
        return Ok(ExitCode::SUCCESS);
    }
    if let (Some(out), false) = (&args.out, args.cleanup) {
        super::check_output_dir("--out", out)?;
    }
    if is_aws && !args.yes && !confirm(&url)? {
        eprintln!("capture: nothing created (answer 'y', or pass --yes)");
        return Ok(ExitCode::from(2));
    }
    let signer = Signer::load(args.profile.as_deref()).await?;
    signer.credentials().await?;
    if args.cleanup {
        let p = Provisioner::new(Client::new(upstream, region), Auth::Signed(signer));
        let deleted = p.cleanup().await?;
        super::print_out(&format!(
            "capture --cleanup: deleted {} pool(s){}\n",
            deleted.len(),
            if deleted.is_empty() {
                String::new()
            } else {
                format!(": {}", deleted.join(", "))
            }
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let out = args.out.clone().context("--out DIR is required")?;
    let config = CaptureConfig {
        upstream,
        region,
        signer,
        out,
        scenarios: selected,
        throttle_burst: args.throttle_burst,
        keep: args.keep,
        overwrite: args.overwrite,
    };
    let mut progress = |line: String| eprintln!("capture: {line}");
    let coverage = capture(config, &mut progress, super::shutdown_signal()).await?;
    super::print_out(&coverage.table());
    if !coverage.left_behind.is_empty() {
        eprintln!(
            "capture: pools left behind: {}",
            coverage.left_behind.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks before creating resources in an AWS account; refuses when there is no
/// terminal to ask on.
fn confirm(url: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{url} is an AWS endpoint: capture creates a user pool, a user and a device there; pass --yes to allow it (no terminal to ask on)");
    }
    eprint!("capture will create a user pool, a user and a device at {url}, and delete them at the end. Continue? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
