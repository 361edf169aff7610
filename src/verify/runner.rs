//! Sends each fixture's request to a target and compares the answer.
//!
//! Fixtures with the same request form a sequence and are sent in order. With
//! `Provision::Auto`, the state each scenario needs is created on the target
//! first (one pool and user per run, a fresh remembered device per sequence),
//! and the recorded pool id, username and device key are replaced by the
//! target's. With `Provision::None`, the recorded requests go out as they are.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::compare::{compare, describe, Difference, Level};
use super::shown::Shown;
use crate::fixture::set::SetOrigin;
use crate::fixture::store::LoadedFixture;
use crate::fixture::{Fixture, RequestKey};
use crate::net::awsjson::{Auth, CallError, Client};
use crate::net::credentials::Signer;
use crate::scenario::catalog::{self, Need, Provokable};
use crate::scenario::provision::{Provisioner, Session};

/// Whether to create scenario state on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provision {
    Auto,
    None,
}

/// What verify needs.
pub struct VerifyConfig {
    pub client: Client,
    pub signer: Signer,
    pub provision: Provision,
    pub level: Level,
    /// Keep the provisioned pool afterwards.
    pub keep: bool,
}

/// The verdict on one fixture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    Fail,
    Skip(String),
}

/// One fixture's result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub fixture: String,
    pub scenario: Option<String>,
    pub origin: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the fixture recorded, in one line.
    pub expected: String,
    /// What the target answered, in one line.
    pub got: Option<String>,
    pub differences: Vec<Difference>,
}

impl Outcome {
    /// `expected 400 UserNotFoundException 'User does not exist.', got 500 text/html`.
    pub fn headline(&self) -> String {
        match (&self.verdict, &self.got) {
            (Verdict::Skip(reason), _) => reason.clone(),
            (_, Some(got)) if !self.differences.is_empty() => {
                format!("expected {}, got {got}", self.expected)
            }
            (_, Some(got)) => got.clone(),
            (_, None) => self.expected.clone(),
        }
    }
}

/// Why verify could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the target is unreachable: {0}")]
    Unreachable(CallError),
}

/// Verifies every fixture against the target, in sequence order. `progress`
/// gets one line per fixture as it starts (`[3/18] unknown-user`), and a line
/// per provisioning step.
pub async fn verify(
    config: &VerifyConfig,
    fixtures: &[LoadedFixture],
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Vec<Outcome>, VerifyError> {
    if let Err(e) = config.client.upstream.probe().await {
        return Err(VerifyError::Unreachable(CallError::Upstream {
            operation: "connect".into(),
            error: e,
        }));
    }
    let mut session = Session::new(
        Provisioner::new(config.client.clone(), Auth::Signed(config.signer.clone())),
        config.client.region.clone(),
    );
    let mut outcomes = Vec::new();
    let result = run(config, fixtures, &mut session, &mut outcomes, progress).await;
    session.teardown(config.keep, progress).await;
    result.map(|()| outcomes)
}

async fn run(
    config: &VerifyConfig,
    fixtures: &[LoadedFixture],
    session: &mut Session,
    outcomes: &mut Vec<Outcome>,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), VerifyError> {
    let mut reached = false;
    let total = fixtures.len();
    let mut started = 0;
    for group in sequences(fixtures) {
        session.next_device();
        for loaded in group {
            let f = &loaded.fixture;
            started += 1;
            progress(format!("[{started}/{total}] {}", f.id));
            let scenario = f.scenario.as_deref().and_then(catalog::scenario);
            let shown = Shown::new(f, None);
            let mut outcome = Outcome {
                fixture: f.id.clone(),
                scenario: f.scenario.clone(),
                origin: loaded.origin.clone(),
                verdict: Verdict::Pass,
                expected: shown.text(&describe(
                    f.response.status,
                    &shown.recorded(&f.response.body.bytes().unwrap_or_default()),
                    f.response_header("x-amzn-errortype"),
                    f.response_header("content-type"),
                )),
                got: None,
                differences: Vec::new(),
            };
            let need = scenario.map_or(Need::Nothing, |s| s.needs);
            if config.provision == Provision::Auto {
                if let Some(s) = scenario {
                    let skip = match s.provokable {
                        Provokable::No(reason) => Some(reason.to_owned()),
                        Provokable::OptIn => {
                            Some("opt-in scenario (capture --throttle-burst)".to_owned())
                        }
                        Provokable::Yes => None,
                    };
                    if let Some(reason) = skip {
                        outcome.verdict = Verdict::Skip(reason);
                        outcomes.push(outcome);
                        continue;
                    }
                }
            }
            let pairs = if config.provision == Provision::Auto {
                match session.ensure(need, progress).await {
                    Ok(env) => substitutions(f, need, &env),
                    Err(missing) => {
                        outcome.verdict = Verdict::Skip(missing.to_string());
                        outcomes.push(outcome);
                        continue;
                    }
                }
            } else {
                Vec::new()
            };
            let body = request_body(f, &pairs);
            let target = f
                .request_header("x-amz-target")
                .unwrap_or(&crate::contract::model::flagship().target);
            let auth = auth_for(scenario.map(|s| s.auth), &config.signer).await;
            let answer = match config.client.send(target, body, &auth).await {
                Ok(a) => a,
                Err(e @ CallError::Upstream { .. }) if !reached => {
                    return Err(VerifyError::Unreachable(e))
                }
                Err(e) => {
                    outcome.verdict = Verdict::Fail;
                    outcome.got = Some(format!("no answer: {e}"));
                    outcomes.push(outcome);
                    continue;
                }
            };
            reached = true;
            let shown = Shown::new(f, Some(&answer.body));
            outcome.got = Some(
                shown.text(&describe(
                    answer.status.as_u16(),
                    &shown.answer(&answer.body),
                    answer
                        .headers
                        .get("x-amzn-errortype")
                        .and_then(|v| v.to_str().ok()),
                    answer
                        .headers
                        .get(http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok()),
                )),
            );
            outcome.differences = compare(f, &answer, config.level, &pairs);
            if !outcome.differences.is_empty() {
                outcome.verdict = Verdict::Fail;
            }
            outcomes.push(outcome);
        }
    }
    Ok(())
}

pub(crate) fn verdict_word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Skip(_) => "SKIP",
    }
}

/// Groups fixtures by request key (scoped by set), each group in sequence
/// order, groups in the order their first fixture was given.
fn sequences(fixtures: &[LoadedFixture]) -> Vec<Vec<&LoadedFixture>> {
    let mut order: Vec<(SetOrigin, RequestKey)> = Vec::new();
    let mut groups: BTreeMap<(SetOrigin, RequestKey), Vec<&LoadedFixture>> = BTreeMap::new();
    for f in fixtures {
        let key = (f.set.clone(), RequestKey::of(&f.fixture));
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(f);
    }
    order
        .into_iter()
        .map(|k| {
            let mut g = groups.remove(&k).unwrap_or_default();
            g.sort_by_key(|f| f.fixture.sequence.unwrap_or(1));
            g
        })
        .collect()
}

/// Recorded value → target value, for the state the scenario's need provides.
fn substitutions(f: &Fixture, need: Need, env: &catalog::Env) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut add = |var: &str, to: &str, applies: bool| {
        if let (true, Some(from)) = (applies, f.variables.get(var)) {
            pairs.push((from.clone(), to.to_owned()));
        }
    };
    add("user_pool_id", &env.pool_id, need >= Need::Pool);
    add("username", &env.username, need >= Need::User);
    add(
        "device_key",
        &env.device_key,
        need >= Need::RememberedDevice,
    );
    pairs
}

/// The recorded request bytes, or — when values are substituted — the body with
/// every string equal to a recorded value replaced.
fn request_body(f: &Fixture, pairs: &[(String, String)]) -> Bytes {
    let raw = f.request.body.bytes().unwrap_or_default().into_owned();
    if pairs.is_empty() {
        return Bytes::from(raw);
    }
    match serde_json::from_slice::<Value>(&raw) {
        Ok(mut v) => {
            replace_strings(&mut v, pairs);
            Bytes::from(serde_json::to_vec(&v).expect("JSON serialises"))
        }
        Err(_) => Bytes::from(raw),
    }
}

fn replace_strings(v: &mut Value, pairs: &[(String, String)]) {
    match v {
        Value::String(s) => {
            if let Some((_, to)) = pairs.iter().find(|(from, _)| from == s) {
                *s = to.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| replace_strings(i, pairs)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_strings(i, pairs)),
        _ => {}
    }
}

/// The signing a scenario calls for: real credentials, a wrong secret, an
/// unknown key, or none.
async fn auth_for(auth: Option<catalog::Auth>, signer: &Signer) -> Auth {
    let key_id = match signer.credentials().await {
        Ok(c) => c.access_key_id().to_owned(),
        Err(_) => "AKIATAPEDECKVERIFY00".to_owned(),
    };
    match auth
        .unwrap_or(catalog::Auth::Signed)
        .signer(signer, &key_id)
    {
        Some(s) => Auth::Signed(s),
        None => Auth::Unsigned,
    }
}
