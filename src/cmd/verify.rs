//! `tapedeck verify`, `tapedeck diff` and `tapedeck coverage`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use tapedeck::fixture::LoadedFixture;
use tapedeck::net::{Client, Signer, Timeouts, Upstream};
use tapedeck::verify::{coverage, diff, verify, Level, Provision, Report, VerifyConfig};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The provider to check: an emulator, `tapedeck replay`, or an AWS endpoint.
    #[arg(long, value_name = "URL")]
    target: String,
    /// Fixture files, directories or `embedded:<set>` [default: embedded:reference].
    #[arg(long = "fixtures", value_name = "PATH")]
    fixtures: Vec<PathBuf>,
    /// `auto` creates each scenario's state on the target first and substitutes
    /// its ids; `none` sends the recorded requests as they are.
    #[arg(long, value_enum, default_value_t = ProvisionArg::None)]
    provision: ProvisionArg,
    /// `wire` compares what clients observe; `strict` also raw error type strings,
    /// the exact content type, and `{}` versus an empty body.
    #[arg(long, value_enum, default_value_t = LevelArg::Wire)]
    level: LevelArg,
    /// Only fixtures whose id matches this glob (`*` and `?`), e.g. 'unknown-*'.
    #[arg(long, value_name = "GLOB")]
    only: Option<String>,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    report_json: Option<PathBuf>,
    /// Write a JUnit XML report here (one test case per fixture).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a markdown summary here (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Signing region [default: from an AWS host name, else us-east-1].
    #[arg(long)]
    region: Option<String>,
    /// AWS profile for credentials (the standard chain; test credentials if none).
    #[arg(long)]
    profile: Option<String>,
    /// Keep the provisioned pool afterwards.
    #[arg(long)]
    keep: bool,
    /// Extra PEM CA certificates for an HTTPS target.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Seconds each request may take, from sending it to the whole answer
    /// (connecting takes at most 5 of them).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = super::at_least_one)]
    timeout: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProvisionArg {
    Auto,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LevelArg {
    Wire,
    Strict,
}

pub async fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let mut fixtures = super::load_sources(&args.fixtures, super::Empty::Never)?.fixtures;
    if let Some(glob) = &args.only {
        let re = glob_regex(glob)?;
        fixtures.retain(|f| re.is_match(&f.fixture.id));
        if fixtures.is_empty() {
            anyhow::bail!("--only '{glob}' matches no fixture id");
        }
    }
    // Report files are checked before the run, not after it.
    for (option, path) in [
        ("--report-json", &args.report_json),
        ("--junit", &args.junit),
        ("--markdown", &args.markdown),
    ] {
        if let Some(path) = path {
            super::check_output_file(option, path)?;
        }
    }
    let timeouts = Timeouts {
        connect: Duration::from_secs(args.timeout.min(5)),
        read: Duration::from_secs(args.timeout),
    };
    let upstream = Upstream::new(&args.target, args.ca_file.as_deref(), timeouts)?;
    let region = args
        .region
        .clone()
        .or_else(|| tapedeck::record::region_from_host(upstream.host()))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let signer = signer(args.profile.as_deref()).await;
    let config = VerifyConfig {
        client: Client::new(upstream, region),
        signer,
        provision: match args.provision {
            ProvisionArg::Auto => Provision::Auto,
            ProvisionArg::None => Provision::None,
        },
        level: match args.level {
            LevelArg::Wire => Level::Wire,
            LevelArg::Strict => Level::Strict,
        },
        keep: args.keep,
    };
    // One line per fixture as it starts (and per provisioning step), on a
    // terminal only: a slow target shows where it is.
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |line: String| {
        if terminal {
            eprintln!("verify: {line}");
        } else {
            tracing::debug!("{line}");
        }
    };
    let outcomes = match verify(&config, &fixtures, &mut progress).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = Report::new(&args.target, config.level, config.provision, outcomes);
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    super::print_out(&report.table(color));
    if let Some(p) = &args.report_json {
        super::write_file(p, &(serde_json::to_string_pretty(&report)? + "\n"))?;
    }
    if let Some(p) = &args.junit {
        super::write_file(p, &report.junit())?;
    }
    if let Some(p) = &args.markdown {
        super::write_file(p, &report.markdown())?;
    }
    Ok(if report.summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The standard chain, or fixed test credentials when it has none (emulators
/// and `tapedeck replay` accept any).
async fn signer(profile: Option<&str>) -> Signer {
    if let Ok(s) = Signer::load(profile).await {
        if s.credentials().await.is_ok() {
            return s;
        }
    }
    if profile.is_some() {
        tracing::warn!("no credentials for the profile; signing with test credentials");
    }
    Signer::fixed(aws_credential_types::Credentials::new(
        "AKIDTAPEDECKVERIFY",
        "tapedeck-verify-test-secret",
        None,
        None,
        "tapedeck",
    ))
}

/// `unknown-*` → `^unknown-.*$`.
fn glob_regex(glob: &str) -> anyhow::Result<regex::Regex> {
    let mut re = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Ok(regex::Regex::new(&re)?)
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The committed fixture set (directory, file, or embedded:<set>).
    old: PathBuf,
    /// The fresh recording.
    new: PathBuf,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = load_one(&args.old)?;
    let new = load_one(&args.new)?;
    let changes = diff::diff(&old, &new);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&changes)?);
    } else {
        for c in &changes {
            println!("{c}");
        }
        println!(
            "diff: {} change{}",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn load_one(path: &PathBuf) -> anyhow::Result<Vec<LoadedFixture>> {
    Ok(super::load_sources(std::slice::from_ref(path), super::Empty::Never)?.fixtures)
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Fixture files, directories or embedded:<set> [default: embedded:reference].
    paths: Vec<PathBuf>,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let fixtures = super::load_sources(&args.paths, super::Empty::Never)?.fixtures;
    let lines = coverage::coverage(&fixtures);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        print!("{}", coverage::table(&lines));
    }
    Ok(ExitCode::SUCCESS)
}
