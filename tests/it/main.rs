//! The integration tests, as one binary: every module links the crate once, so
//! the suite builds and links one test executable instead of one per file.
//!
//! A new test goes into the module of its area below; a new area gets a module
//! with a one-line comment saying what belongs there. Helpers shared by several
//! modules live in `support`. Snapshots are in `snapshots/`, named
//! `it__<module>__<name>.snap`.

// Helpers: fixtures in a directory for a ReplayServer, an HTTP client, the
// `tapedeck` binary as a process, a stateful fake Cognito, the proptest settings.
mod support;

// Fixtures on disk: the bundled corpus and its JSON Schema.
mod corpus;
// Malformed fixtures and planted secrets: the exact load and lint errors.
mod malformed;
// Redaction of freshly recorded exchanges.
mod redact;
// Model-driven redaction: every sensitive shape, maps, placeholders' shapes, fail-closed refusals.
mod redact_model;
// Properties of redaction over random bodies of many operations: no planted value survives.
mod prop_redaction;
// One canary per sensitive shape through record, replay, diff and verify, logs at trace.
mod canary;
// Properties of the request key and the fixture loader and writer.
mod prop_fixture;

// The contract model: AWS's validation messages.
mod validation;
// Validation of any operation: one table row per constraint kind, in AWS's wording.
mod model_validation;
// botocore's own parameter validator as an oracle, on random bodies of every operation.
mod model_oracle;
// No validation text shows a value planted at a sensitive path of any operation.
mod prop_validation_secrets;
// `lint` checks each fixture against its own operation.
mod lint_operations;
// Properties of the error-type sanitiser and the validation messages.
mod prop_contract;

// The replay server in process: answers, sequences, near misses, admin API, load.
mod replay;
// `tapedeck::ReplayServer` as a Rust test uses it: each method, the builder, strict drops.
mod replay_server;
// Replay's contract checks per operation: validation, authtype, unknown targets, error types.
mod replay_operations;
// `tapedeck replay` as a process: start line, reports, exit codes, binds.
mod replay_cli;
// Several fixture sets at once: per-set sequences, the first set given answers.
mod replay_sets;
// What the Python and npm wrappers rely on: --announce json, --exit-on-stdin-close, journal?format=text.
mod replay_wrappers;
// The server limits shared by replay and record: head timeout, head size, connection cap.
mod net_limits;
// `replay --mode`: none, once, new-episodes, all; TAPEDECK_MODE; the CI guard.
mod modes;
// Replay honours what record replaced: pseudonyms bind, placeholders match, values come back.
mod bindings;
// Property: a fixture record writes still replays the request it came from.
mod prop_roundtrip;

// The recording proxy end to end against wiremock, TLS and misbehaving upstreams.
mod record_proxy;
// Fault injection: upstream resets and garbage, a read-only or vanished output directory.
mod faults;
// SIGKILL during a recording burst leaves only whole, lint-clean fixtures.
mod record_kill;
// Recording through a real SigV4 check: the proxy in front of moto.
mod record_moto;
// Re-signing credentials from a named profile of the shared credentials file.
mod record_profile;
// Recording what `tapedeck replay` serves gives back the reference contract.
mod record_roundtrip;
// A boto3 session of many operations recorded in front of moto, replayed with --strict.
mod session_roundtrip;

// `tapedeck capture` against the fake Cognito: scenarios, provisioning, teardown.
mod capture_fake;
// `tapedeck capture` against moto and cognito-local, and the sets made from them.
mod capture_emulators;

// `tapedeck verify`: comparison rules, provisioning, reports, the CLI.
mod verify;
// `verify --provision auto` of the reference contract against moto and cognito-local.
mod verify_emulators;

// `tapedeck diff` and `tapedeck coverage` through the binary.
mod diff_coverage;
// `tapedeck lint` through the binary: output and exit codes.
mod cli_lint;
// Mistakes on the command line: exit 2 before anything happens, with one clear line.
mod cli_refusals;
// What record and verify say as they go and when they end: summaries, timeouts, progress.
mod cli_runs;

// The fuzz targets of `fuzz/` over their seed corpus and generated inputs, on stable.
mod prop_fuzz_corpus;
