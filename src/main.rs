//! The `tapedeck` command line: parses arguments, then calls one function per
//! subcommand (see `cmd/`). Exit codes: 0 success, 1 the check found problems,
//! 2 usage errors (bad flags, unreadable paths, an address in use).

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Record-and-replay contract testing for Amazon Cognito user pools (cognito-idp).
///
/// tapedeck keeps the real behaviour of Cognito operations in JSON fixtures, serves
/// them as a stand-in Cognito endpoint, records new ones from real endpoints, and
/// checks emulators against them. Every operation of the service model is checked
/// (its input, its errors, its authentication); AdminForgetDevice, the flagship,
/// also has a bundled reference set, a scenario catalog and `capture`.
///
/// Quick start:
///   tapedeck replay                 serve the bundled reference contract on 127.0.0.1:4566
///   tapedeck record --upstream URL --out DIR
///                                   a recording proxy in front of a real endpoint
///   tapedeck capture --endpoint URL --out DIR
///                                   provoke and record every outcome an endpoint can produce
///   tapedeck verify --target URL    check an emulator or endpoint against the contract
///   tapedeck lint                   check fixture sets for mistakes and secrets
///
/// Set RUST_LOG to tune logging (e.g. RUST_LOG=tapedeck=debug); NO_COLOR turns
/// colour off. Exit codes: 0 success, 1 a check found problems, 2 usage errors.
#[derive(Debug, Parser)]
#[command(
    name = "tapedeck",
    version,
    propagate_version = true,
    verbatim_doc_comment
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve fixtures as a stand-in Cognito endpoint and report contract breaks.
    ///
    /// Each request is matched on method, path, X-Amz-Target and the canonical
    /// JSON body (key order, whitespace and escapes don't matter; signatures and
    /// dates never do) and answered with the recorded status, headers and bytes.
    /// Identical requests recorded with different outcomes are served in order.
    /// A request that matches nothing gets 404 with `x-tapedeck-error: no-match`
    /// and the nearest fixtures with a field-level diff.
    ///
    /// Every request is also checked against the contract of the operation its
    /// X-Amz-Target names (awsJson envelope, an operation of the model, the
    /// model's validation of its input in AWS's words, SigV4 structure unless the
    /// operation's authtype is none) and journaled. Admin API:
    /// GET /__tapedeck/health, /__tapedeck/fixtures, /__tapedeck/journal
    /// (?format=text: the readable report); POST /__tapedeck/reset starts a new
    /// journal window. --strict, --report and --junit judge the whole run, which
    /// no reset clears.
    ///
    /// Several --fixtures are served together: sequences stay within their set,
    /// and a request several sets record is answered by the set given first.
    /// Output paths are checked before the server listens.
    ///
    /// Record modes (--mode or TAPEDECK_MODE, as vcrpy, Polly and go-vcr name
    /// them): none replays only (the default); once records the set when it is
    /// missing or empty, else replays it; new-episodes forwards to --upstream
    /// and records what no fixture matches, and serves it from then on; all
    /// forwards and re-records every request. When CI is set, a mode that would
    /// reach the upstream is refused unless --allow-record-in-ci.
    ///
    /// Examples:
    ///   tapedeck replay --strict --report replay.json &
    ///   AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://127.0.0.1:4566 pytest
    ///
    ///   tapedeck replay --mode once --fixtures tests/cognito --upstream http://127.0.0.1:5000
    #[command(verbatim_doc_comment)]
    Replay(cmd::replay::ReplayArgs),
    /// Record real exchanges: a proxy that forwards to a real endpoint and writes a
    /// fixture per exchange.
    ///
    /// Point any AWS client at the proxy. Each request is stripped of the client's
    /// signature, re-signed with SigV4 for the upstream using the standard AWS
    /// credential chain (environment, --profile, SSO, web identity), forwarded,
    /// and the exchange written to --out as one fixture, atomically, whatever the
    /// operation (an invalid request gets its violations in expected_violations).
    /// Redaction fails closed: headers pass through an allowlist; every member the
    /// service model marks sensitive, in request and response, is replaced —
    /// secrets (passwords, tokens, sessions, codes, client secrets) by constant
    /// placeholders of the same shape (a JWT stays a decodable JWT), identifiers
    /// (usernames, attribute values, client ids) by deterministic pseudonyms
    /// (pseudonym_3f9a1c0b2d4e, …@example.invalid) — there and wherever else the
    /// same value occurs; account ids in ARNs are replaced. A value left where it
    /// cannot be rewritten, or a secret-scanner hit, aborts that write, loudly
    /// (the client still gets its answer, marked x-tapedeck-warning: not-recorded).
    /// At shutdown it says how many exchanges it recorded and how many it could
    /// not, and why; it exits 1 if any was not recorded, 2 if it cannot start
    /// (--out is checked, and created only once it listens).
    ///
    /// Example (a sandbox account, profile `sandbox`):
    ///   tapedeck record --upstream https://cognito-idp.us-east-1.amazonaws.com \
    ///       --profile sandbox --out fixtures/admin-forget-device/sandbox
    #[command(verbatim_doc_comment)]
    Record(cmd::record::RecordArgs),
    /// Check an emulator or endpoint against the recorded contract.
    ///
    /// Sends each fixture's request to --target (with --provision auto, after
    /// creating the state its scenario needs) and compares the answer: status,
    /// exception type (as clients sanitise it), message (by the fixture's rule),
    /// content type, success body, modelled extra members. Prints a PASS/FAIL/SKIP
    /// table; writes JSON, JUnit and markdown reports on request. Exit 0 when all
    /// pass, 1 on contract failures, 2 on usage errors or an unreachable target.
    ///
    /// Examples:
    ///   tapedeck verify --target http://127.0.0.1:4566 --level strict
    ///   tapedeck verify --target http://127.0.0.1:5000 --provision auto --junit moto.xml
    #[command(verbatim_doc_comment)]
    Verify(cmd::verify::VerifyArgs),
    /// Contract-level differences between two fixture sets; exits 1 on changes.
    ///
    /// Pairs fixtures by scenario and sequence position, and reports added,
    /// removed, changed outcome (status or error type) and changed message.
    /// Made for a nightly re-record: tapedeck diff committed/ fresh/
    Diff(cmd::verify::DiffArgs),
    /// What fixture sets cover, per operation: recorded, authored, missing.
    ///
    /// AdminForgetDevice first, with each scenario of its catalog, then every
    /// operation with a fixture: its success, each error the model declares for
    /// it and the common AWS errors, then answers the model does not declare.
    Coverage(cmd::verify::CoverageArgs),
    /// Provoke every outcome on a real endpoint and record it.
    ///
    /// Creates what each scenario needs (a user pool with device tracking, an app
    /// client, a user, a remembered device), sends each scenario's request through
    /// the in-process recording proxy, and deletes the pool at the end — on errors
    /// and Ctrl-C too — unless --keep. Ends with a coverage table: expected and
    /// observed outcome per scenario, and the fixture, or why there is none.
    /// Creating resources on an amazonaws.com endpoint asks first (or --yes).
    ///
    /// Examples:
    ///   tapedeck capture --endpoint http://127.0.0.1:5000 --out fixtures/admin-forget-device/moto-5.2.5
    ///   tapedeck capture --region us-east-1 --profile sandbox --out sandbox/ --dry-run
    ///   tapedeck capture --region us-east-1 --profile sandbox --cleanup
    #[command(verbatim_doc_comment)]
    Capture(cmd::capture::CaptureArgs),
    /// List the scenario catalog: what each outcome needs and expects.
    Scenarios,
    /// Check fixture sets: schema, model conformance (each fixture against its own
    /// operation), sequences, duplicate ids and secrets.
    ///
    /// With no PATH, lints every fixture set embedded in the binary. Each PATH is a
    /// fixture file, a directory searched recursively for *.json, or
    /// `embedded:<set>`, read as `replay --fixtures` reads it. Problems are
    /// printed as `file:line: rule: message`; fixtures that a set given earlier
    /// shadows (as replay would serve the same paths) are listed, not counted as
    /// problems. Exits 1 when there are problems, 2 on usage errors (a path that
    /// does not exist, or holds no fixture without --allow-empty).
    ///
    /// Example: tapedeck lint fixtures/admin-forget-device/reference
    Lint(cmd::lint::LintArgs),
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Lint(_) | Command::Diff(_) | Command::Coverage(_) | Command::Scenarios
    ) {
        quiet_on_closed_stdout();
    }
    let result = match cli.command {
        Command::Lint(args) => cmd::lint::run(args),
        Command::Replay(args) => runtime().and_then(|rt| rt.block_on(cmd::replay::run(args))),
        Command::Capture(args) => runtime().and_then(|rt| rt.block_on(cmd::capture::run(args))),
        Command::Verify(args) => runtime().and_then(|rt| rt.block_on(cmd::verify::run(args))),
        Command::Diff(args) => cmd::verify::run_diff(args),
        Command::Coverage(args) => cmd::verify::run_coverage(args),
        Command::Scenarios => Ok(cmd::capture::scenarios()),
        Command::Record(args) => runtime().and_then(|rt| rt.block_on(cmd::record::run(args))),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", cmd::error_text(&err));
            ExitCode::from(2)
        }
    }
}

/// For commands that only print: a reader that goes away (`tapedeck lint |
/// head`) ends the command quietly, as it ends any Unix filter, rather than
/// with a "failed printing to stdout" panic. (Rust ignores SIGPIPE; this
/// restores its default.) Commands that do more than print keep ignoring it,
/// and print with `cmd::print_out`.
fn quiet_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: signal(2) with SIG_DFL installs no handler; nothing else has
    // touched SIGPIPE's disposition at this point but the runtime's ignore.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,aws_config=error"));
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .init();
}
