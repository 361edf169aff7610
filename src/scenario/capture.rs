//! `tapedeck capture`: provoke every outcome the endpoint can produce, through the
//! in-process recording proxy, and say what happened to each scenario.
//!
//! State is built lazily, as the scenarios need it (pool, then user, then a
//! remembered device). A provisioning step the endpoint cannot do marks every
//! scenario that needs it, with the step's answer. The pool is deleted on every
//! way out — success, error, or cancellation — unless `keep` is set.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use serde::Serialize;

use super::catalog::{Auth, Provokable, Scenario};
use super::provision::{Provisioner, Session, StepError};
use crate::contract::awsjson::error_type;
use crate::contract::model;
use crate::fixture::redact::RedactConfig;
use crate::net::awsjson::{self, Client};
use crate::net::credentials::Signer;
use crate::net::upstream::Upstream;
use crate::record::proxy::SCENARIO_HEADER;
use crate::record::{Proxy, Recorder, RecorderConfig, Signing};

/// What `capture` needs.
pub struct CaptureConfig {
    pub upstream: Upstream,
    pub region: String,
    pub signer: Signer,
    pub out: PathBuf,
    pub scenarios: Vec<&'static Scenario>,
    pub throttle_burst: Option<u32>,
    pub keep: bool,
    pub overwrite: bool,
}

/// One line of the coverage table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub scenario: String,
    pub expected: String,
    /// `400 UserNotFoundException`, `500 text/html`, … or `-` when not run.
    pub observed: String,
    /// The fixture written (or matched), or why there is none.
    pub fixture: String,
}

/// The result of a capture run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub rows: Vec<Row>,
    /// Pools created and not deleted (with `keep`, or when deletion failed).
    pub left_behind: Vec<String>,
}

impl Coverage {
    /// The coverage table, aligned, one scenario per line.
    pub fn table(&self) -> String {
        let header = Row {
            scenario: "scenario".into(),
            expected: "expected".into(),
            observed: "observed".into(),
            fixture: "fixture, or why not".into(),
        };
        let rows: Vec<&Row> = std::iter::once(&header).chain(&self.rows).collect();
        let w = |f: fn(&Row) -> &str| rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
        let (a, b, c) = (w(|r| &r.scenario), w(|r| &r.expected), w(|r| &r.observed));
        let mut out = String::new();
        for r in rows {
            let line = format!(
                "{:a$}  {:b$}  {:c$}  {}",
                r.scenario, r.expected, r.observed, r.fixture
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Runs the capture. `progress` gets one line per step; `cancel` completing
/// stops the run (the teardown still happens).
pub async fn capture(
    config: CaptureConfig,
    progress: &mut (dyn FnMut(String) + Send),
    cancel: impl Future<Output = ()>,
) -> Result<Coverage, StepError> {
    let auth = awsjson::Auth::Signed(config.signer.clone());
    let provisioner = Provisioner::new(
        Client::new(config.upstream.clone(), config.region.clone()),
        auth,
    );
    let mut session = Session::new(provisioner, config.region.clone());
    let mut coverage = Coverage::default();
    let run = run_scenarios(&config, &mut session, &mut coverage, progress);
    tokio::pin!(cancel);
    let outcome = tokio::select! {
        r = run => r,
        _ = &mut cancel => {
            progress("cancelled: tearing down".to_owned());
            Ok(())
        }
    };
    coverage
        .left_behind
        .extend(session.teardown(config.keep, progress).await);
    outcome.map(|()| coverage)
}

async fn run_scenarios(
    config: &CaptureConfig,
    session: &mut Session,
    coverage: &mut Coverage,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), StepError> {
    let recorder = Arc::new(Recorder::new(RecorderConfig {
        out: config.out.clone(),
        overwrite: config.overwrite,
        // Capture's users are synthetic (`tapedeck-…`): keep them readable.
        redact: RedactConfig {
            keep_usernames: true,
            ..RedactConfig::default()
        },
        endpoint: config.upstream.authority().to_owned(),
    }));
    let real = config
        .signer
        .credentials()
        .await
        .map_err(|e| awsjson::CallError::Credentials(e.to_string()))?;
    let proxy = |signing: Signing| Proxy {
        upstream: config.upstream.clone(),
        recorder: recorder.clone(),
        signing,
    };
    let resign = |signer: Signer| Signing::Resign {
        signer,
        region: Some(config.region.clone()),
    };
    let via_auth = |auth: Auth| {
        proxy(match auth.signer(&config.signer, real.access_key_id()) {
            Some(signer) => resign(signer),
            None => Signing::PassThrough,
        })
    };
    let proxies = [
        Auth::Signed,
        Auth::WrongSecret,
        Auth::UnknownKey,
        Auth::Unsigned,
    ]
    .map(|auth| (auth, via_auth(auth)));

    for scenario in &config.scenarios {
        let row = |observed: &str, fixture: String| Row {
            scenario: scenario.id.to_owned(),
            expected: scenario.expected_label().to_owned(),
            observed: observed.to_owned(),
            fixture,
        };
        let burst = match (scenario.provokable, config.throttle_burst) {
            (Provokable::No(reason), _) => {
                coverage.rows.push(row("-", reason.to_owned()));
                continue;
            }
            (Provokable::OptIn, None) => {
                coverage
                    .rows
                    .push(row("-", "opt-in: pass --throttle-burst N".to_owned()));
                continue;
            }
            (Provokable::OptIn, Some(n)) => n.max(1),
            (Provokable::Yes, _) => 1,
        };
        let env = match session.ensure(scenario.needs, progress).await {
            Ok(env) => env,
            Err(missing) => {
                coverage.rows.push(row("-", missing.to_string()));
                continue;
            }
        };
        let via = &proxies
            .iter()
            .find(|(auth, _)| *auth == scenario.auth)
            .expect("every auth mode has a proxy")
            .1;
        let body =
            Bytes::from(serde_json::to_vec(&scenario.request(&env)).expect("JSON serialises"));
        let mut observed = String::new();
        let mut note = String::new();
        for _ in 0..burst {
            let answered = via
                .forward(
                    Method::POST,
                    &Uri::from_static("/"),
                    headers(scenario.id),
                    body.clone(),
                )
                .await;
            let (resp, n) = (answered.response, answered.note);
            let (parts, bytes) = {
                let (p, b) = resp.into_parts();
                (
                    p,
                    http_body_util::BodyExt::collect(b)
                        .await
                        .map(|c| c.to_bytes())
                        .unwrap_or_default(),
                )
            };
            let found = error_type(
                &bytes,
                parts
                    .headers
                    .get("x-amzn-errortype")
                    .and_then(|v| v.to_str().ok()),
            );
            observed = match (&found, parts.status.is_success()) {
                (Some(t), _) => format!("{} {}", parts.status.as_u16(), t.name),
                (None, true) => format!("{} success", parts.status.as_u16()),
                (None, false) => format!(
                    "{} {}",
                    parts.status.as_u16(),
                    parts
                        .headers
                        .get(http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("no content type")
                ),
            };
            note = n;
            if found.as_ref().map(|t| t.name.as_str()) == scenario.expected {
                break;
            }
        }
        progress(format!("{} ... {observed} ({note})", scenario.id));
        let fixture = note
            .strip_prefix("recorded as ")
            .or_else(|| note.strip_prefix("same as "))
            .map_or(note.clone(), str::to_owned);
        coverage.rows.push(row(&observed, fixture));
    }
    Ok(())
}

fn headers(scenario: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(model::CONTENT_TYPE),
    );
    h.insert(
        "x-amz-target",
        HeaderValue::from_str(&model::flagship().target).expect("targets are ASCII"),
    );
    h.insert(
        SCENARIO_HEADER,
        HeaderValue::from_str(scenario).expect("scenario ids are ASCII"),
    );
    h
}
