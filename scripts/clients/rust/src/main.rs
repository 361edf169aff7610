//! The AWS SDK for Rust against `tapedeck replay --strict`: every fixture of a set
//! through `aws-sdk-cognitoidentityprovider`'s AdminForgetDevice, with the SDK's
//! default retry configuration (aws-config `BehaviorVersion::latest()`).
//!
//! Usage: sdk-runner [--bin target/debug/tapedeck] [--fixtures DIR]...
//!
//! Prints the same JSON lines as the Python and JavaScript runners (see
//! scripts/clients/common.py, which documents the protocol); exits 1 on a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_forget_device::AdminForgetDeviceError;
use serde_json::{json, Value};

const CLIENT: &str = "rust-sdk";
const ACCESS_KEY_ID: &str = "AKIDTAPEDECKCLIENT";
const SECRET_ACCESS_KEY: &str = "tapedeck-client-test-secret";
const REGION: &str = "us-east-1";
const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
/// Besides every `AWS_*` variable (a profile, AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, ...),
/// settings from the caller's environment that would change what the SDK does.
const PROXIES: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];
const LOCK: &str = include_str!("../Cargo.lock");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn emit(v: Value) {
    println!("{v}");
}

/// The version of a package in this project's Cargo.lock.
fn locked(name: &str) -> String {
    let needle = format!("name = \"{name}\"\n");
    LOCK.split("[[package]]")
        .find(|p| p.contains(&needle))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "?".into())
}

// ---- fixtures --------------------------------------------------------------

fn load_set(dir: &Path) -> Result<Vec<Value>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n != "tapedeck-set.json")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

fn response_json(fixture: &Value) -> Option<Value> {
    let resp = &fixture["response"];
    if let Some(body) = resp.get("body") {
        return Some(body.clone());
    }
    let text = resp.get("body_text").and_then(Value::as_str)?;
    serde_json::from_str(text).ok()
}

fn sanitize(raw: &str) -> String {
    let first = raw.split(',').next().unwrap_or_default();
    let before_colon = first.split(':').next().unwrap_or_default();
    before_colon
        .rsplit('#')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn expected_outcome(fixture: &Value) -> String {
    if let Some(t) = response_json(fixture)
        .as_ref()
        .and_then(|b| b.get("__type"))
        .and_then(Value::as_str)
    {
        let name = sanitize(t);
        if !name.is_empty() {
            return name;
        }
    }
    let status = fixture["response"]["status"].as_u64().unwrap_or(0);
    if status < 300 {
        "success".into()
    } else {
        format!("HTTP {status}")
    }
}

fn member(fixture: &Value, key: &str) -> Option<String> {
    let req = &fixture["request"];
    let body = match req.get("body") {
        Some(b) => b.clone(),
        None => req
            .get("body_text")
            .and_then(Value::as_str)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null),
    };
    body.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// `sent`: the SDK's own account (false: refused before sending); `c.transport`: an
/// error that came from no response; `attempts`: what the server saw.
fn verdict(fixture: &Value, expected: &str, c: &Called, attempts: usize) -> &'static str {
    let invalid_on_purpose = fixture
        .get("expected_violations")
        .and_then(Value::as_array)
        .is_some_and(|v| !v.is_empty());
    let code = c.code.as_deref();
    let ok = match (c.sent, expected) {
        (false, _) if invalid_on_purpose && attempts == 0 => return "skip",
        (false, _) => return "fail",
        _ if c.transport || attempts == 0 => return "fail",
        (true, "success") => code.is_none(),
        (true, e) if e.starts_with("HTTP ") => code.is_some(),
        (true, e) => code == Some(e),
    };
    if ok {
        "pass"
    } else {
        "fail"
    }
}

// ---- the replay server -----------------------------------------------------

struct Replay {
    child: Child,
    url: String,
    addr: String,
    report: PathBuf,
}

impl Replay {
    fn start(bin: &Path, fixtures: &Path) -> Result<Replay, String> {
        let report = std::env::temp_dir().join(format!(
            "tapedeck-rust-sdk-{}-{}.json",
            std::process::id(),
            fixtures.file_name().unwrap_or_default().to_string_lossy()
        ));
        let _ = std::fs::remove_file(&report);
        let mut child = Command::new(bin)
            .args([
                "replay",
                "--listen",
                "127.0.0.1:0",
                "--strict",
                "--fixtures",
            ])
            .arg(fixtures)
            .arg("--report")
            .arg(&report)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(|w| w.trim_end_matches([';', ',']).to_owned());
        let Some(url) = url else {
            let _ = child.kill();
            return Err(format!("tapedeck replay did not start: {line:?}"));
        };
        let addr = url.trim_start_matches("http://").to_owned();
        Ok(Replay {
            child,
            url,
            addr,
            report,
        })
    }

    fn admin(&self, method: &str, route: &str) -> Value {
        let attempt = || -> std::io::Result<Value> {
            let mut s = TcpStream::connect(&self.addr)?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            write!(
                s,
                "{method} /__tapedeck/{route} HTTP/1.0\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
                self.addr
            )?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf)?;
            let split = buf
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(buf.len(), |i| i + 4);
            serde_json::from_slice(&buf[split..]).map_err(std::io::Error::other)
        };
        attempt().unwrap_or_else(|e| panic!("admin {method} {route}: {e}"))
    }

    fn rewind(&self) {
        self.admin("POST", "reset?only=sequences");
    }

    fn requests(&self) -> u64 {
        self.admin("GET", "journal")["totals"]["requests"]
            .as_u64()
            .unwrap_or(0)
    }

    fn entries_after(&self, n: u64) -> Vec<Value> {
        match self.admin("GET", "journal")["entries"].take() {
            Value::Array(all) => all
                .into_iter()
                .filter(|e| e["n"].as_u64().unwrap_or(0) > n)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// SIGTERM, wait, and read the report: the server's verdict on this client.
    fn stop(mut self) -> Value {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        let code = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code().unwrap_or(-1),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().map_or(-1, |s| s.code().unwrap_or(-1));
                }
            }
        };
        let report: Value = std::fs::read_to_string(&self.report)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let _ = std::fs::remove_file(&self.report);
        if report.is_null() {
            return json!({"exit": code, "clean": false, "requests": 0, "problems": ["no report"]});
        }
        let problems: Vec<Value> = report["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| {
                e["outcome"] != "matched"
                    || e["violations"].as_array().is_some_and(|v| !v.is_empty())
            })
            .cloned()
            .collect();
        json!({
            "exit": code,
            "clean": report["clean"] == true && code == 0,
            "requests": report["totals"]["requests"],
            "problems": problems,
        })
    }
}

// ---- the SDK ---------------------------------------------------------------

/// Points the SDK at the server through the environment, as an application would.
fn set_client_env(url: &str) {
    let scrubbed: Vec<_> = std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| {
            let k = k.to_string_lossy();
            k.starts_with("AWS_") || PROXIES.contains(&k.as_ref())
        })
        .collect();
    for name in scrubbed {
        std::env::remove_var(name);
    }
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        (ENDPOINT_ENV, url),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(k, v);
    }
}

struct Called {
    sent: bool,
    transport: bool,
    code: Option<String>,
    surfaced: String,
    detail: String,
}

/// One AdminForgetDevice through a fresh client: the default credential chain (the
/// environment), region and endpoint from the environment, and the default retry
/// configuration. Only timeouts are set, to keep the run bounded.
async fn call(fixture: &Value) -> Called {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(15))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        )
        .load()
        .await;
    let client = aws_sdk_cognitoidentityprovider::Client::new(&conf);
    let result = client
        .admin_forget_device()
        .set_user_pool_id(member(fixture, "UserPoolId"))
        .set_username(member(fixture, "Username"))
        .set_device_key(member(fixture, "DeviceKey"))
        .send()
        .await;
    match result {
        Ok(_) => Called {
            sent: true,
            transport: false,
            code: None,
            surfaced: "success".into(),
            detail: String::new(),
        },
        Err(SdkError::ServiceError(se)) => {
            let e = se.err();
            let code = e.code().map(str::to_owned);
            let variant = match e {
                AdminForgetDeviceError::InternalErrorException(_) => "InternalErrorException",
                AdminForgetDeviceError::InvalidParameterException(_) => "InvalidParameterException",
                AdminForgetDeviceError::InvalidUserPoolConfigurationException(_) => {
                    "InvalidUserPoolConfigurationException"
                }
                AdminForgetDeviceError::NotAuthorizedException(_) => "NotAuthorizedException",
                AdminForgetDeviceError::OperationNotEnabledException(_) => {
                    "OperationNotEnabledException"
                }
                AdminForgetDeviceError::ResourceNotFoundException(_) => "ResourceNotFoundException",
                AdminForgetDeviceError::TooManyRequestsException(_) => "TooManyRequestsException",
                AdminForgetDeviceError::UserNotFoundException(_) => "UserNotFoundException",
                _ => "Unhandled",
            };
            let surfaced = match (&code, variant) {
                (Some(c), v) if c == v => v.to_owned(),
                (Some(c), v) => format!("{v}[{c}]"),
                (None, v) => format!("{v}[no code, HTTP {}]", se.raw().status().as_u16()),
            };
            Called {
                sent: true,
                transport: false,
                code: code.or_else(|| Some(format!("HTTP {}", se.raw().status().as_u16()))),
                surfaced,
                detail: e.message().unwrap_or_default().to_owned(),
            }
        }
        Err(SdkError::ConstructionFailure(e)) => Called {
            sent: false,
            transport: false,
            code: None,
            surfaced: "client-side: SdkError::ConstructionFailure".into(),
            detail: format!("{:?}", e),
        },
        Err(other) => {
            // ResponseError: an answer the SDK could not parse; the others got none.
            let (kind, transport) = match &other {
                SdkError::ResponseError(_) => ("SdkError::ResponseError", false),
                SdkError::TimeoutError(_) => ("SdkError::TimeoutError", true),
                SdkError::DispatchFailure(_) => ("SdkError::DispatchFailure", true),
                _ => ("SdkError", true),
            };
            Called {
                sent: true,
                transport,
                code: Some(kind.into()),
                surfaced: kind.into(),
                detail: format!("{}", DisplayErrorContext(&other)),
            }
        }
    }
}

// ---- main ------------------------------------------------------------------

fn run_set(bin: &Path, dir: &Path) -> Result<bool, String> {
    let set = dir
        .canonicalize()
        .unwrap_or_else(|_| dir.to_owned())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fixtures = load_set(dir)?;
    if fixtures.is_empty() {
        return Err(format!("no fixtures under {}", dir.display()));
    }
    let server = Replay::start(bin, dir)?;
    // Before the runtime exists, so no other thread reads the environment meanwhile.
    set_client_env(&server.url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut ok = true;
    for fixture in &fixtures {
        let id = fixture["id"].as_str().unwrap_or_default();
        server.rewind();
        for _ in 1..fixture["sequence"].as_u64().unwrap_or(1) {
            rt.block_on(call(fixture));
        }
        let before = server.requests();
        let started = Instant::now();
        let called = rt.block_on(call(fixture));
        let seconds = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
        let entries = server.entries_after(before);
        let expected = expected_outcome(fixture);
        let mut result = verdict(fixture, &expected, &called, entries.len());
        let mut detail = called.detail.clone();
        if result == "fail" && called.sent && entries.is_empty() {
            detail = format!("nothing reached the server; {detail}");
        }
        let strays: Vec<String> = entries
            .iter()
            .filter(|e| e["fixture"].as_str() != Some(id))
            .map(|e| {
                e["fixture"]
                    .as_str()
                    .or(e["outcome"].as_str())
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect();
        if !strays.is_empty() && result == "pass" {
            result = "fail";
            detail = format!("answered by {strays:?} instead of {id}; {detail}");
        }
        ok &= result != "fail";
        emit(json!({
            "kind": "result", "client": CLIENT, "set": set, "fixture": id,
            "expected": expected, "surfaced": called.surfaced, "code": called.code,
            "sent": called.sent, "transport": called.transport, "attempts": entries.len(), "seconds": seconds,
            "result": result, "detail": detail,
        }));
        eprintln!(
            "{result:4}  {CLIENT:7} {set}/{id}: expected {expected}, surfaced {} after {} attempt(s)",
            called.surfaced,
            entries.len()
        );
    }
    drop(rt);
    let mut verdict = server.stop();
    let clean = verdict["clean"] == true;
    eprintln!(
        "{:4}  {CLIENT:7} {set}: replay --strict exited {}, {} requests, {} broke the contract",
        if clean { "ok" } else { "FAIL" },
        verdict["exit"],
        verdict["requests"],
        verdict["problems"].as_array().map_or(0, Vec::len)
    );
    let obj = verdict.as_object_mut().expect("object");
    obj.insert("kind".into(), "server".into());
    obj.insert("client".into(), CLIENT.into());
    obj.insert("set".into(), set.into());
    emit(verdict);
    Ok(ok && clean)
}

fn main() -> ExitCode {
    let mut bin = std::env::var_os("TAPEDECK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/debug/tapedeck"));
    let mut sets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--bin", Some(v)) => bin = v.into(),
            ("--fixtures", Some(v)) => sets.push(PathBuf::from(v)),
            _ => {
                eprintln!("usage: sdk-runner [--bin PATH] [--fixtures DIR]...");
                return ExitCode::from(2);
            }
        }
    }
    if sets.is_empty() {
        sets.push(root().join("fixtures/admin-forget-device/reference"));
    }
    emit(json!({"kind": "client", "client": CLIENT, "versions": {
        "aws-sdk-cognitoidentityprovider": locked("aws-sdk-cognitoidentityprovider"),
        "aws-config": locked("aws-config"),
        "aws-smithy-runtime": locked("aws-smithy-runtime"),
        "retry_mode": "default",
    }}));
    let mut ok = true;
    for dir in &sets {
        match run_set(&bin, dir) {
            Ok(set_ok) => ok &= set_ok,
            Err(e) => {
                eprintln!("{CLIENT}: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
