//! `tapedeck replay`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use tapedeck::fixture::set::SequenceEnd;
use tapedeck::net::{self, Limits};
use tapedeck::replay::report::Report;
use tapedeck::replay::{run, Index, Replay, Settings};
use tapedeck::sigv4::Credentials;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Fixture files, directories, or `embedded:<set>` [default: embedded:reference].
    /// Repeat to serve several sets.
    #[arg(long = "fixtures", value_name = "PATH")]
    fixtures: Vec<PathBuf>,
    /// Serve a fixture directory that holds no fixture (otherwise a usage error).
    #[arg(long)]
    allow_empty: bool,
    /// Address to listen on, as IP:PORT or HOST:PORT (`localhost:4566`; every
    /// address the host resolves to must be loopback). Port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:4566")]
    listen: String,
    /// Allow listening on a non-loopback address (exposes fixtures and journal).
    #[arg(long)]
    allow_remote: bool,
    /// What to serve once a sequence is used up; overrides the sets' tapedeck-set.json.
    #[arg(long, value_enum)]
    sequence_end: Option<SequenceEndArg>,
    /// Also recompute each request's SigV4 signature with these credentials
    /// (AKID:SECRET), proving a client signs correctly. Use test credentials only.
    #[arg(
        long,
        value_name = "AKID:SECRET",
        env = "TAPEDECK_VERIFY_SIGNATURE",
        hide_env_values = true
    )]
    verify_signature: Option<String>,
    /// Exit 1 at shutdown if any request of the run was unmatched or broke the
    /// contract (POST /__tapedeck/reset does not clear the run).
    #[arg(long)]
    strict: bool,
    /// Shut down after answering N requests, N ≥ 1 (admin requests do not
    /// count; resets do not restart the count).
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    exit_after: Option<u64>,
    /// Write the JSON report of the run here at shutdown (checked before the
    /// server starts).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Write a JUnit XML report of the run here at shutdown (one test case per
    /// request; checked before the server starts).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Most open connections at once.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_connections: usize,
    /// Seconds a client may take to send its request headers.
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = super::at_least_one)]
    header_timeout: u64,
    /// What to do with a request no fixture matches: answer 404 (not-found), or
    /// forward it to --upstream and record the exchange into --out (forward).
    #[arg(long, value_enum, default_value_t = OnMiss::NotFound)]
    on_miss: OnMiss,
    #[command(flatten)]
    record: super::recording::RecordOpts,
    /// How to announce the listening address on stdout: one line for people
    /// (text), or one JSON object for programs that start the server (json:
    /// `{"url": …, "address": …, "pid": …, "fixtures": …, "shadowed": …, "sources": …,
    /// "version": …}`).
    #[arg(long, value_enum, default_value_t = Announce::Text)]
    announce: Announce,
    /// Shut down (as on SIGTERM) when standard input reaches its end: a wrapper
    /// that holds the other end of a pipe takes the server with it when it dies,
    /// even by SIGKILL.
    #[arg(long)]
    exit_on_stdin_close: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Announce {
    /// `tapedeck replay: listening on http://…` for people.
    Text,
    /// One JSON object on one line, for programs.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnMiss {
    /// Answer 404 with the nearest fixtures.
    NotFound,
    /// Forward to --upstream and record into --out.
    Forward,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SequenceEndArg {
    /// Serve the last response again.
    RepeatLast,
    /// Answer 404 `sequence-exhausted`.
    Error,
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let empty = if args.allow_empty {
        super::Empty::Allow
    } else {
        super::Empty::Refuse
    };
    let super::Sources {
        fixtures,
        label,
        policies,
    } = super::load_sources(&args.fixtures, empty)?;
    let forced = args.sequence_end.map(|s| match s {
        SequenceEndArg::RepeatLast => SequenceEnd::RepeatLast,
        SequenceEndArg::Error => SequenceEnd::Error,
    });
    let index = Index::build(fixtures, |set| super::policy_of(&policies, set, forced))?;
    let count = index.len();
    let shadowed = index.shadowed();
    // Parsed here rather than by clap, whose errors would echo the secret.
    let verify = match &args.verify_signature {
        Some(text) => Some(
            text.parse::<Credentials>()
                .map_err(|e| anyhow::anyhow!("--verify-signature: {e}"))?,
        ),
        None => None,
    };
    // Every output path is checked before anything starts: a path that cannot
    // be written stops the server now, not at shutdown with the run lost.
    if let Some(path) = &args.report {
        super::check_output_file("--report", path)?;
    }
    if let Some(path) = &args.junit {
        super::check_output_file("--junit", path)?;
    }
    let on_miss: Option<Arc<dyn tapedeck::replay::MissHandler>> = match args.on_miss {
        OnMiss::NotFound => {
            if args.record.upstream.is_some() || args.record.out.is_some() {
                anyhow::bail!("--upstream and --out only apply with --on-miss forward");
            }
            None
        }
        OnMiss::Forward => Some(Arc::new(args.record.proxy().await?)),
    };
    let settings = Settings {
        verify,
        on_miss,
        exit_after: args.exit_after,
        ..Settings::default()
    };
    let replay = Arc::new(Replay::new(index, settings));
    let listener = net::bind_spec(&args.listen, args.allow_remote).await?;
    if let (OnMiss::Forward, Some(out)) = (args.on_miss, &args.record.out) {
        super::create_output_dir("--out", out)?;
    }
    let limits = Limits {
        max_connections: args.max_connections.max(1),
        header_read_timeout: Duration::from_secs(args.header_timeout.max(1)),
        ..Limits::default()
    };
    let stdin_closed = args.exit_on_stdin_close.then(stdin_closed);
    let signal = async move {
        match stdin_closed {
            Some(closed) => tokio::select! {
                _ = super::shutdown_signal() => {}
                _ = closed => tracing::info!("standard input closed"),
            },
            None => super::shutdown_signal().await,
        }
        tracing::info!("shutting down: draining open connections");
    };
    let running = run::start(listener, replay.clone(), limits, signal)?;
    let url = running.url();
    match args.announce {
        Announce::Text => println!(
            "tapedeck replay: listening on {url} with {count} fixture{} from {label}{}; point an SDK at it with AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER={url}",
            if count == 1 { "" } else { "s" },
            match shadowed {
                0 => String::new(),
                n => format!(" ({n} shadowed: a set given earlier records the same request)"),
            }
        ),
        Announce::Json => println!(
            "{}",
            serde_json::json!({
                "url": url,
                "address": running.addr.to_string(),
                "pid": std::process::id(),
                "fixtures": count,
                "shadowed": shadowed,
                "sources": label,
                "version": env!("CARGO_PKG_VERSION"),
            })
        ),
    }
    // A wrapper reading the line must get it now, whatever stdout is.
    std::io::Write::flush(&mut std::io::stdout())?;
    let served = running.wait().await;
    // The run, which no reset touches: what --strict, the reports and the
    // summary line are made of.
    let t = replay.journal.run_totals();
    // Each file is tried even if another fails (a directory removed during
    // the run); the summary line is printed whatever happens.
    let mut failed = Vec::new();
    if args.report.is_some() || args.junit.is_some() {
        let report = Report::of(&replay);
        if let Some(path) = &args.report {
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            failed.extend(super::write_file(path, &text).err());
        }
        if let Some(path) = &args.junit {
            failed.extend(super::write_file(path, &report.junit()).err());
        }
    }
    eprintln!(
        "tapedeck replay: {} request{}, {} matched, {} unmatched, {} with contract violations{}",
        t.requests,
        if t.requests == 1 { "" } else { "s" },
        t.matched,
        t.unmatched,
        t.with_violations,
        if served.drained {
            ""
        } else {
            " (some connections were cut at the drain timeout)"
        }
    );
    if let Some(last) = failed.pop() {
        for e in failed {
            eprintln!("error: {}", super::error_text(&e));
        }
        return Err(last);
    }
    Ok(if args.strict && !t.is_clean() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Completes when standard input reaches its end (or fails). The read runs on
/// a plain thread rather than tokio's blocking pool, whose threads the runtime
/// would wait for at exit while the wrapper still holds the pipe open.
fn stdin_closed() -> tokio::sync::oneshot::Receiver<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::Read as _;
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(());
    });
    rx
}
