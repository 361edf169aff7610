//! One canary per sensitive shape of the model (all 15): a unique value planted
//! in a request and/or response of an operation that carries the shape is
//! recorded through `tapedeck record` (a wiremock upstream, `RUST_LOG=trace`),
//! and must never reach a fixture file, a log line, a replay answer, journal,
//! readable journal, JSON report or JUnit report, `diff` output (text and JSON,
//! against an old set that holds the canary in clear) or `verify` output
//! (table, JSON, JUnit, markdown; the target answers with the canaries).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rstest::rstest;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::process::{output_within, Server, BIN};
use crate::support::{self, CT};

/// One planted value (or several) and where it goes.
struct Canary {
    operation: &'static str,
    request: Value,
    response: Value,
    values: Vec<String>,
}

fn jwt(subject: &str) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(json!({"alg": "RS256", "kid": "k1"})),
        part(json!({"sub": subject, "cognito:username": subject, "token_use": "access"})),
        URL_SAFE_NO_PAD.encode(format!("signature-of-{subject}"))
    )
}

const POOL: &str = "us-east-1_Canary1";

fn canary(shape: &str) -> Canary {
    let c = |tag: &str| format!("Zq7{tag}Canary");
    let (operation, request, response, values): (&str, Value, Value, Vec<String>) = match shape {
        "UsernameType" => {
            let u = c("Username");
            (
                "AdminGetUser",
                json!({"UserPoolId": POOL, "Username": u}),
                json!({"Username": u, "UserAttributes": [], "Enabled": true}),
                vec![u],
            )
        }
        "AttributeValueType" => {
            let mail = "zq7attributecanary@example.com".to_owned();
            let phone = "+4915199887766".to_owned();
            (
                "AdminCreateUser",
                json!({"UserPoolId": POOL, "Username": "tapedeck-canary",
                       "UserAttributes": [{"Name": "email", "Value": mail}, {"Name": "phone_number", "Value": phone}]}),
                json!({"User": {"Username": "tapedeck-canary", "Enabled": true,
                       "Attributes": [{"Name": "email", "Value": mail}, {"Name": "email_verified", "Value": "true"}]}}),
                vec![mail, phone],
            )
        }
        "AuthParametersType" => {
            let (user, pw, hash) = (c("AuthUser"), c("AuthPassword"), c("AuthSecretHash"));
            (
                "AdminInitiateAuth",
                json!({"UserPoolId": POOL, "ClientId": "client1", "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                       "AuthParameters": {"USERNAME": user, "PASSWORD": pw, "SECRET_HASH": hash}}),
                json!({"ChallengeName": "SMS_MFA", "ChallengeParameters": {"USER_ID_FOR_SRP": user}}),
                vec![user, pw, hash],
            )
        }
        "ChallengeResponsesType" => {
            let (user, code, new) = (
                c("ChallengeUser"),
                "Zq7-448291".to_owned(),
                c("NewPassword"),
            );
            (
                "AdminRespondToAuthChallenge",
                json!({"UserPoolId": POOL, "ClientId": "client1", "ChallengeName": "NEW_PASSWORD_REQUIRED",
                       "ChallengeResponses": {"USERNAME": user, "NEW_PASSWORD": new, "SMS_MFA_CODE": code}}),
                json!({"ChallengeParameters": {}}),
                vec![user, code, new],
            )
        }
        "ClientIdType" => {
            let id = "zq7clientidcanary0123456789".to_owned();
            (
                "DescribeUserPoolClient",
                json!({"UserPoolId": POOL, "ClientId": id}),
                json!({"UserPoolClient": {"UserPoolId": POOL, "ClientName": "app", "ClientId": id}}),
                vec![id],
            )
        }
        "ClientSecretType" => {
            let secret = "Zq7ClientSecretCanary0123456789abcdef".to_owned();
            (
                "CreateUserPoolClient",
                json!({"UserPoolId": POOL, "ClientName": "app", "GenerateSecret": true}),
                json!({"UserPoolClient": {"UserPoolId": POOL, "ClientName": "app", "ClientId": "tapedeck-client", "ClientSecret": secret}}),
                vec![secret],
            )
        }
        "GetDerivedTokenTokenModelType" => {
            let (subject, actor) = (jwt(&c("Subject")), jwt(&c("Actor")));
            (
                "GetDerivedToken",
                json!({"ClientId": "tapedeck-client", "SubjectToken": subject, "ActorToken": actor,
                       "SubjectTokenType": "urn:ietf:params:oauth:token-type:access_token"}),
                json!({"IssuedTokenType": "urn:ietf:params:oauth:token-type:access_token"}),
                vec![subject, actor, c("Subject"), c("Actor")],
            )
        }
        "PasswordType" => {
            let pw = c("Password!1");
            (
                "AdminSetUserPassword",
                json!({"UserPoolId": POOL, "Username": "tapedeck-canary", "Password": pw, "Permanent": true}),
                json!({}),
                vec![pw],
            )
        }
        "SecretCodeType" => {
            let code = "ZQSECRETCODECANARYJBSWY3DPEHPK3PXP".to_owned();
            (
                "AssociateSoftwareToken",
                json!({"Session": "tapedeck_redacted_session"}),
                json!({"SecretCode": code}),
                vec![code],
            )
        }
        "SecretHashType" => {
            let hash = "Zq7SecretHashCanary+/=".to_owned();
            (
                "ForgotPassword",
                json!({"ClientId": "tapedeck-client", "Username": "tapedeck-canary", "SecretHash": hash}),
                json!({"CodeDeliveryDetails": {"DeliveryMedium": "EMAIL", "AttributeName": "email"}}),
                vec![hash],
            )
        }
        "SessionIpAddressType" => {
            let ip = "198.51.100.177".to_owned();
            (
                "AdminListUserSessions",
                json!({"UserPoolId": POOL, "Username": "tapedeck-canary"}),
                json!({"Sessions": [{"ClientId": "tapedeck-client", "LastIPAddress": ip}]}),
                vec![ip],
            )
        }
        "SessionType" => {
            let (asked, answered) = (c("SessionAsked0123"), c("SessionAnswered0123"));
            (
                "RespondToAuthChallenge",
                json!({"ClientId": "tapedeck-client", "ChallengeName": "SMS_MFA", "Session": asked}),
                json!({"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": answered}),
                vec![asked, answered],
            )
        }
        "SoftwareTokenMFAUserCodeType" => {
            let code = c("UserCode");
            (
                "VerifySoftwareToken",
                json!({"Session": "tapedeck_redacted_session", "UserCode": code}),
                json!({"Status": "SUCCESS"}),
                vec![code],
            )
        }
        "TokenModelType" => {
            let (access, id) = (jwt(&c("Access")), jwt(&c("Id")));
            let refresh = format!(
                "{}.{}.{}.{}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#),
                c("Key"),
                c("Iv"),
                c("Refresh"),
                c("Tag")
            );
            (
                "AdminInitiateAuth",
                json!({"UserPoolId": POOL, "ClientId": "tapedeck-client", "AuthFlow": "REFRESH_TOKEN_AUTH",
                       "AuthParameters": {"REFRESH_TOKEN": "tapedeck_redacted_refresh_token"}}),
                json!({"ChallengeParameters": {}, "AuthenticationResult": {
                    "AccessToken": access, "IdToken": id, "RefreshToken": refresh,
                    "ExpiresIn": 3600, "TokenType": "Bearer"}}),
                vec![
                    access,
                    id,
                    refresh.clone(),
                    c("Access"),
                    c("Id"),
                    c("Refresh"),
                ],
            )
        }
        "UserContextDataType" => {
            let (ip, data) = ("198.51.100.123".to_owned(), c("EncodedData"));
            (
                "InitiateAuth",
                json!({"ClientId": "tapedeck-client", "AuthFlow": "USER_SRP_AUTH",
                       "UserContextData": {"IpAddress": ip, "EncodedData": data}}),
                json!({"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": {}}),
                vec![ip, data],
            )
        }
        other => panic!("no canary for {other}"),
    };
    Canary {
        operation,
        request,
        response,
        values,
    }
}

fn assert_no_canary(c: &Canary, what: &str, text: &str) {
    for (i, v) in c.values.iter().enumerate() {
        assert!(
            !text.contains(v.as_str()),
            "{}: canary #{i} reached {what}",
            c.operation
        );
    }
}

fn target(op: &str) -> String {
    format!("AWSCognitoIdentityProviderService.{op}")
}

async fn post(url: &str, c: &Canary) -> support::Answer {
    support::send(
        &support::client(),
        url,
        "POST",
        "/",
        &[("content-type", CT), ("x-amz-target", &target(c.operation))],
        c.request.to_string(),
    )
    .await
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "AKIDTAPEDECKCANARY00")
        .env("AWS_SECRET_ACCESS_KEY", "tapedeck-canary-test-secret")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

fn run(c: &Canary, what: &str, args: &[&str]) -> std::process::Output {
    let out = output_within(&mut command(args), Duration::from_secs(60));
    assert_no_canary(
        c,
        &format!("{what} stdout"),
        &String::from_utf8_lossy(&out.stdout),
    );
    assert_no_canary(
        c,
        &format!("{what} stderr"),
        &String::from_utf8_lossy(&out.stderr),
    );
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[rstest]
#[case::username("UsernameType")]
#[case::attribute_value("AttributeValueType")]
#[case::auth_parameters("AuthParametersType")]
#[case::challenge_responses("ChallengeResponsesType")]
#[case::client_id("ClientIdType")]
#[case::client_secret("ClientSecretType")]
#[case::derived_token("GetDerivedTokenTokenModelType")]
#[case::password("PasswordType")]
#[case::secret_code("SecretCodeType")]
#[case::secret_hash("SecretHashType")]
#[case::session_ip_address("SessionIpAddressType")]
#[case::session("SessionType")]
#[case::user_code("SoftwareTokenMFAUserCodeType")]
#[case::token("TokenModelType")]
#[case::user_context_data("UserContextDataType")]
#[tokio::test]
async fn a_planted_value_reaches_no_fixture_log_report_diff_or_verify_output(#[case] shape: &str) {
    let c = canary(shape);
    let op = tapedeck::contract::model::get()
        .operation(c.operation)
        .expect("the operation is in the model");
    let shapes: Vec<&str> = op
        .sensitive_input()
        .iter()
        .chain(op.sensitive_output())
        .map(|p| p.shape.as_str())
        .collect();
    assert!(shapes.contains(&shape), "{} carries {shape}", c.operation);

    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", CT)
                .set_body_string(c.response.to_string()),
        )
        .mount(&upstream)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures");
    let fixtures_arg = fixtures.to_str().unwrap().to_owned();

    // Record.
    let proxy = Server::spawn(
        command(&[
            "record",
            "--upstream",
            &upstream.uri(),
            "--out",
            &fixtures_arg,
            "--no-resign",
            "--region",
            "us-east-1",
        ]),
        dir.path().join("record.log"),
    );
    let answer = post(&proxy.url, &c).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-tapedeck-warning"), None, "recorded");
    assert_eq!(
        answer.json(),
        c.response,
        "the client gets the upstream's answer"
    );
    let log = proxy.log();
    drop(proxy);
    assert!(log.lines().count() > 5, "RUST_LOG=trace logs something");
    assert_no_canary(&c, "the record log", &log);
    let files: Vec<_> = fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let fixture_text = read(&files[0]);
    assert_no_canary(&c, "the fixture", &fixture_text);
    support::assert_lints_clean(&fixtures);

    // Replay, sent the original request: it matches by binding, and its answer
    // gives back the values the request itself sent (the client's own, as it
    // saw them while recording) and no other canary.
    let report = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let mut replay = command(&[
        "replay",
        "--fixtures",
        &fixtures_arg,
        "--exit-after",
        "2",
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    replay.stdin(std::process::Stdio::null());
    let mut server = Server::spawn(replay, dir.path().join("replay.log"));
    let served = post(&server.url, &c).await;
    assert_eq!(served.status, 200, "{}: the recording replays", c.operation);
    let sent = c.request.to_string();
    let answer = String::from_utf8_lossy(&served.body);
    for (i, v) in c.values.iter().enumerate() {
        assert!(
            sent.contains(v.as_str()) || !answer.contains(v.as_str()),
            "{}: canary #{i}, which the request did not send, reached the replay answer",
            c.operation
        );
    }
    for route in ["journal", "journal?format=text"] {
        let got = support::send(
            &support::client(),
            &server.url,
            "GET",
            &format!("/__tapedeck/{route}"),
            &[],
            "",
        )
        .await;
        assert_eq!(got.status, 200);
        assert_no_canary(&c, route, &String::from_utf8_lossy(&got.body));
    }
    post(&server.url, &c).await;
    let started = std::time::Instant::now();
    while server.child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "replay exits after 2 requests"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_no_canary(&c, "the replay log", &server.log());
    assert_no_canary(&c, "the JSON report", &read(&report));
    assert_no_canary(&c, "the JUnit report", &read(&junit));
    drop(server);

    // diff against old sets that hold the canaries in clear: the same
    // exchange recorded before redaction, and an error whose message repeats
    // the request's canaries.
    let recorded: Value = serde_json::from_str(&fixture_text).unwrap();
    let mut clear = recorded.clone();
    for half in ["request", "response"] {
        let h = clear[half].as_object_mut().unwrap();
        h.remove("body_text");
        h.remove("body");
    }
    clear["request"]["body"] = c.request.clone();
    clear["response"]["body"] = c.response.clone();
    let old = dir.path().join("old");
    fs::create_dir_all(&old).unwrap();
    fs::write(
        old.join("old.json"),
        serde_json::to_string_pretty(&clear).unwrap(),
    )
    .unwrap();
    let old_arg = old.to_str().unwrap().to_owned();
    let diff = run(&c, "diff", &["diff", &old_arg, &fixtures_arg]);
    let stored: Value = match &recorded["request"]["body_text"] {
        Value::String(t) => serde_json::from_str(t).unwrap(),
        _ => recorded["request"]["body"].clone(),
    };
    assert_eq!(
        diff.status.code(),
        Some(i32::from(stored != c.request)),
        "the request keys differ when recording replaced something in the request"
    );
    run(
        &c,
        "diff --json",
        &["diff", "--json", &old_arg, &fixtures_arg],
    );

    let echoed: Vec<&str> = c
        .values
        .iter()
        .filter(|v| c.request.to_string().contains(v.as_str()))
        .map(String::as_str)
        .collect();
    let error = |message: String| json!({"__type": "NotAuthorizedException", "message": message});
    let mut old_error = clear.clone();
    old_error["scenario"] = json!("canary");
    old_error["response"]["status"] = json!(400);
    old_error["response"]["body"] = error(format!("bad: {}", echoed.join(" ")));
    let mut new_error = recorded.clone();
    new_error["scenario"] = json!("canary");
    new_error["response"]["status"] = json!(400);
    new_error["response"]
        .as_object_mut()
        .unwrap()
        .remove("body_text");
    new_error["response"]["body"] = error("bad".into());
    let (errors_old, errors_new) = (dir.path().join("errors-old"), dir.path().join("errors-new"));
    for (d, f) in [(&errors_old, &old_error), (&errors_new, &new_error)] {
        fs::create_dir_all(d).unwrap();
        fs::write(d.join("e.json"), serde_json::to_string_pretty(f).unwrap()).unwrap();
    }
    let errors_old_arg = errors_old.to_str().unwrap().to_owned();
    let diff = run(
        &c,
        "diff (message)",
        &["diff", &errors_old_arg, errors_new.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(
        text.contains("~ message  canary: 'bad: "),
        "{}",
        text.lines().count()
    );

    // verify the recorded set against a target that answers with the canaries.
    let (json_report, junit_report, markdown) = (
        dir.path().join("verify.json"),
        dir.path().join("verify.xml"),
        dir.path().join("verify.md"),
    );
    for fixtures in [&fixtures_arg, &old_arg, &errors_old_arg] {
        let verify = run(
            &c,
            "verify",
            &[
                "verify",
                "--target",
                &upstream.uri(),
                "--fixtures",
                fixtures,
                "--report-json",
                json_report.to_str().unwrap(),
                "--junit",
                junit_report.to_str().unwrap(),
                "--markdown",
                markdown.to_str().unwrap(),
            ],
        );
        assert!(
            String::from_utf8_lossy(&verify.stdout).contains("verify: 1 fixture"),
            "{}",
            String::from_utf8_lossy(&verify.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        );
        for report in [&json_report, &junit_report, &markdown] {
            assert_no_canary(&c, &report.display().to_string(), &read(report));
        }
    }
}
