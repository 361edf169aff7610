//! `tapedeck replay`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use tapedeck::fixture::{SequenceEnd, SetOrigin, Source};
use tapedeck::net::{self, Limits};
use tapedeck::record::{self, Effect, Mode};
use tapedeck::replay::{self, Index, Replay, Report, Settings};
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
    /// Record mode, as vcrpy, Polly and go-vcr name them. none: replay only.
    /// once: record the set (--out, or the one --fixtures directory) when it is
    /// missing or empty, as `all` does, else replay it. new-episodes: serve what
    /// matches, forward the rest to --upstream and record it into the set, and
    /// serve what was recorded from then on. all: forward and record every
    /// request; each one recorded replaces the set's old fixtures of the same
    /// request, the others are kept.
    #[arg(long, value_enum, env = "TAPEDECK_MODE", default_value_t = ModeArg::None)]
    mode: ModeArg,
    /// Allow a mode that reaches --upstream although CI is set.
    #[arg(long)]
    allow_record_in_ci: bool,
    /// Replaced by --mode (forward is new-episodes, not-found is none).
    #[arg(long, hide = true, value_name = "WHAT")]
    on_miss: Option<String>,
    #[command(flatten)]
    record: super::recording::RecordOpts,
    /// How to announce the listening address on stdout: one line for people
    /// (text), or one JSON object for programs that start the server (json:
    /// `{"url": …, "address": …, "pid": …, "fixtures": …, "shadowed": …, "sources": …,
    /// "mode": …, "version": …}`).
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
enum ModeArg {
    /// Replay only.
    None,
    /// Record the set when it is missing or empty, else replay it.
    Once,
    /// Serve matches; forward, record and serve misses.
    NewEpisodes,
    /// Forward and re-record every request.
    All,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::None => Mode::None,
            ModeArg::Once => Mode::Once,
            ModeArg::NewEpisodes => Mode::NewEpisodes,
            ModeArg::All => Mode::All,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SequenceEndArg {
    /// Serve the last response again.
    RepeatLast,
    /// Answer 404 `sequence-exhausted`.
    Error,
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    if let Some(old) = &args.on_miss {
        let instead = match old.as_str() {
            "forward" => "--mode new-episodes",
            _ => "--mode none",
        };
        anyhow::bail!(
            "--on-miss was replaced by --mode: use {instead} (--on-miss forward is --mode new-episodes, --on-miss not-found is --mode none)"
        );
    }
    let plan = Plan::of(&args)?;
    let super::Sources {
        fixtures,
        label,
        policies,
    } = plan.load(&args)?;
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
    let proxy = match &plan.set {
        Some(set) if plan.effect.reaches_upstream() => {
            let rerecord = plan.effect == Effect::RecordAll;
            let proxy = args
                .record
                .proxy_into(set, plan.set_option(&args), rerecord);
            Some(Arc::new(proxy.await?))
        }
        _ => None,
    };
    // What was recorded, for the summary at shutdown.
    let recorder = proxy.as_ref().map(|p| p.recorder.clone());
    let on_miss = proxy.map(|p| p as Arc<dyn tapedeck::net::MissHandler>);
    let serve_recorded = match (&plan.set, plan.effect) {
        (Some(set), Effect::RecordMisses) => {
            let set = SetOrigin::Dir(set.clone());
            Some(match (forced, policies.iter().any(|(s, _)| *s == set)) {
                (None, false) if set_exists_as_dir(&set) => super::declared_policy(&set)?,
                _ => super::policy_of(&policies, &set, forced),
            })
        }
        _ => None,
    };
    let settings = Settings {
        verify,
        on_miss,
        forward_all: plan.effect == Effect::RecordAll,
        serve_recorded,
        exit_after: args.exit_after,
        ..Settings::default()
    };
    let replay = Arc::new(Replay::new(index, settings));
    let listener = net::bind_spec(&args.listen, args.allow_remote).await?;
    if let (Some(set), true) = (&plan.set, plan.effect.reaches_upstream()) {
        super::create_output_dir(plan.set_option(&args), set)?;
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
    let running = replay::start(listener, replay.clone(), limits, signal)?;
    let url = running.url();
    // Before the start line, so that whoever reads that line finds it in the log.
    if let Some(note) = plan.note(&args) {
        eprintln!("tapedeck replay: {note}");
    }
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
                "mode": plan.mode.name(),
                "version": env!("CARGO_PKG_VERSION"),
            })
        ),
    }
    // A wrapper reading the line must get it now, whatever stdout is.
    std::io::Write::flush(&mut std::io::stdout())?;
    let served = running.wait().await;
    // The run, which no reset touches: what --strict, the reports and the
    // summary line are made of.
    let t = replay.run_totals();
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
    // A recording mode says what it recorded, as `tapedeck record` does, and
    // fails (exit 1) when an exchange could not be recorded.
    let mut unrecorded = 0;
    if let (Some(recorder), Some(set)) = (&recorder, &plan.set) {
        let counts = recorder.tally.counts();
        eprintln!(
            "tapedeck replay: recording into {}: {}",
            set.display(),
            counts.summary()
        );
        unrecorded = counts.not_recorded();
    }
    Ok(if (args.strict && !t.is_clean()) || unrecorded > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What this run does: the mode, the set it records into, and what the mode
/// does with that set.
struct Plan {
    mode: Mode,
    /// The set directory the recording modes write to (`--out`, else the one
    /// `--fixtures` directory); `None` with `--mode none`.
    set: Option<PathBuf>,
    effect: Effect,
}

impl Plan {
    /// Decides, before anything is loaded or bound: refuses a recording mode
    /// without a set directory or an upstream, and — when `CI` is set — any
    /// run that would reach the upstream, unless allowed.
    fn of(args: &ReplayArgs) -> anyhow::Result<Plan> {
        let mode = Mode::from(args.mode);
        if mode == Mode::None {
            return Ok(Plan {
                mode,
                set: None,
                effect: Effect::Replay,
            });
        }
        let set = match (&args.record.out, &args.fixtures[..]) {
            (Some(out), _) => out.clone(),
            (None, [one]) if matches!(Source::from_arg(one), Source::Path(_)) && !one.is_file() => {
                one.clone()
            }
            _ => anyhow::bail!(
                "--mode {mode} records into a set directory: pass --out DIR, or a single --fixtures DIR"
            ),
        };
        let effect = mode.effect(record::set_exists(&set));
        if effect.reaches_upstream() {
            let Some(upstream) = &args.record.upstream else {
                anyhow::bail!(
                    "--mode {mode} forwards requests: pass --upstream URL (a sandbox account's endpoint, or an emulator)"
                );
            };
            if record::in_ci() && !args.allow_record_in_ci {
                let what = match (mode, effect) {
                    (Mode::Once, _) => format!(
                        "the set {} is missing or empty, so --mode once would record it",
                        set.display()
                    ),
                    (_, Effect::RecordMisses) => {
                        format!("--mode {mode} would forward the requests no fixture matches")
                    }
                    _ => format!("--mode {mode} would forward every request"),
                };
                anyhow::bail!(
                    "CI is set: {what} to {upstream}. In CI, replay what is committed (--mode none), or pass --allow-record-in-ci to record there on purpose"
                );
            }
        }
        Ok(Plan {
            mode,
            set: Some(set),
            effect,
        })
    }

    /// The fixtures to serve: none when every request is forwarded; else the
    /// `--fixtures` sources (the embedded reference set when there are none
    /// and nothing is recorded), and the set recorded into, when it exists.
    fn load(&self, args: &ReplayArgs) -> anyhow::Result<super::Sources> {
        let nothing = |label: String| super::Sources {
            fixtures: Vec::new(),
            label,
            policies: Vec::new(),
        };
        let Some(set) = &self.set else {
            let empty = match args.allow_empty {
                true => super::Empty::Allow,
                false => super::Empty::Refuse,
            };
            return super::load_sources(&args.fixtures, empty);
        };
        if self.effect == Effect::RecordAll {
            return Ok(nothing(format!(
                "nothing (every request is recorded into {})",
                set.display()
            )));
        }
        // The set may not exist yet: it is created when the first exchange
        // is recorded.
        let exists = set.exists();
        let mut sources: Vec<PathBuf> = args
            .fixtures
            .iter()
            .filter(|s| *s != set || exists)
            .cloned()
            .collect();
        if exists && !sources.contains(set) {
            sources.push(set.clone());
        }
        if sources.is_empty() {
            return Ok(nothing(set.display().to_string()));
        }
        // The set recorded into may hold nothing yet.
        super::load_sources(&sources, super::Empty::Allow)
    }

    /// The option that named the set, for messages: `--out`, or `--fixtures`.
    fn set_option(&self, args: &ReplayArgs) -> &'static str {
        match args.record.out {
            Some(_) => "--out",
            None => "--fixtures",
        }
    }

    /// A line for stderr saying what the mode does in this run, if anything
    /// but replaying.
    fn note(&self, args: &ReplayArgs) -> Option<String> {
        let set = self.set.as_deref().map(Path::display);
        let upstream = args.record.upstream.as_deref().unwrap_or("-");
        match (self.mode, self.effect, set) {
            (Mode::None, _, _) if args.record.upstream.is_some() || args.record.out.is_some() => {
                Some("--mode none replays only: --upstream and --out are not used".to_owned())
            }
            (Mode::Once, Effect::Replay, Some(set)) => Some(format!(
                "--mode once: the set {set} exists, so it is replayed (as --mode none)"
            )),
            (Mode::Once, _, Some(set)) => Some(format!(
                "--mode once: the set {set} is missing or empty, so every request is forwarded to {upstream} and recorded into it (as --mode all)"
            )),
            (Mode::NewEpisodes, _, Some(set)) => Some(format!(
                "--mode new-episodes: requests no fixture matches are forwarded to {upstream}, recorded into {set}, and served from then on"
            )),
            (Mode::All, _, Some(set)) => Some(format!(
                "--mode all: every request is forwarded to {upstream} and recorded into {set}, replacing the set's old fixtures of the same request"
            )),
            _ => None,
        }
    }
}

/// Whether a set is a directory that exists (whose `tapedeck-set.json`, if
/// any, then says its sequence policy).
fn set_exists_as_dir(set: &SetOrigin) -> bool {
    matches!(set, SetOrigin::Dir(dir) if dir.is_dir())
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
