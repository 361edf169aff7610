//! Replay honours what record replaced: a pseudonym in a fixture's request
//! binds to the first value a client sends there and stands for it for the
//! rest of the run; responses give the bound values back; placeholders match
//! any secret and come back as placeholders; literal (authored) values stay
//! literal; `POST /__tapedeck/reset` forgets bindings. The fixtures are written
//! as `tapedeck record` writes them, with the pseudonyms and placeholders of
//! `fixture::sensitive`.

use std::path::Path;

use serde_json::{json, Value};
use tapedeck::fixture::sensitive::placeholder::JWT;
use tapedeck::fixture::sensitive::{placeholder, pseudonym};
use tapedeck::fixture::SequenceEnd;
use tapedeck::replay::Settings;
use tapedeck::ReplayServer;

use crate::support::*;

const PREFIX: &str = "AWSCognitoIdentityProviderService";
const POOL: &str = "us-east-1_Session1";

fn p(value: &str) -> String {
    pseudonym(value, None)
}

/// Writes a recorded fixture of `operation` into `dir`.
fn fixture(
    dir: &Path,
    id: &str,
    at: &str,
    operation: &str,
    request: Value,
    status: u16,
    response: Value,
) {
    fixture_with(dir, id, at, operation, request, status, response, json!({}));
}

#[allow(clippy::too_many_arguments)]
fn fixture_with(
    dir: &Path,
    id: &str,
    at: &str,
    operation: &str,
    request: Value,
    status: u16,
    response: Value,
    headers: Value,
) {
    let mut response_headers = json!({ "content-type": CT });
    for (k, v) in headers.as_object().unwrap() {
        response_headers[k] = v.clone();
    }
    let f = json!({
        "tapedeck": 1,
        "id": id,
        "description": format!("{operation}, recorded"),
        "provenance": {
            "kind": "recorded",
            "endpoint": "127.0.0.1:5000",
            "recorded_at": format!("2026-11-30T10:00:{at}Z"),
            "tool": "tapedeck 0.1.0"
        },
        "request": {
            "method": "POST",
            "path": "/",
            "headers": { "content-type": CT, "x-amz-target": format!("{PREFIX}.{operation}") },
            "body": request
        },
        "response": { "status": status, "headers": response_headers, "body": response }
    });
    std::fs::write(
        dir.join(format!("{id}.json")),
        serde_json::to_string_pretty(&f).unwrap(),
    )
    .unwrap();
}

async fn call(http: &HttpClient, url: &str, operation: &str, body: &Value) -> Answer {
    let target = format!("{PREFIX}.{operation}");
    send(
        http,
        url,
        "POST",
        "/",
        &[("content-type", CT), ("x-amz-target", &target)],
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

fn user(name: &str, email: &str, sub: &str) -> Value {
    json!({
        "Username": p(name),
        "UserAttributes": [
            { "Name": "sub", "Value": p(sub) },
            { "Name": "email", "Value": p(email) },
            { "Name": "email_verified", "Value": "true" }
        ],
        "UserStatus": "CONFIRMED",
        "Enabled": true
    })
}

/// A session recorded with two users: alice (created first) and bob; alice
/// was deleted afterwards (her second AdminGetUser says she is gone).
fn two_users(dir: &Path) {
    let create = |name: &str, email: &str| {
        json!({
            "UserPoolId": POOL,
            "Username": p(name),
            "TemporaryPassword": placeholder("PasswordType", None, None, "Tmp-Passw0rd!"),
            "UserAttributes": [{ "Name": "email", "Value": p(email) }],
            "MessageAction": "SUPPRESS"
        })
    };
    let created = |name: &str, email: &str, sub: &str| {
        let u = user(name, email, sub);
        json!({ "User": { "Username": u["Username"], "Attributes": u["UserAttributes"], "Enabled": true, "UserStatus": "FORCE_CHANGE_PASSWORD" } })
    };
    let get = |name: &str| json!({ "UserPoolId": POOL, "Username": p(name) });
    // Ids that sort against recording order: the order comes from recorded_at.
    fixture(
        dir,
        "z-create-alice",
        "01.000",
        "AdminCreateUser",
        create("alice", "alice@example.com"),
        200,
        created("alice", "alice@example.com", "sub-a"),
    );
    fixture(
        dir,
        "a-create-bob",
        "02.000",
        "AdminCreateUser",
        create("bob", "bob@example.com"),
        200,
        created("bob", "bob@example.com", "sub-b"),
    );
    fixture(
        dir,
        "get-alice",
        "03.000",
        "AdminGetUser",
        get("alice"),
        200,
        user("alice", "alice@example.com", "sub-a"),
    );
    fixture(
        dir,
        "get-bob",
        "04.000",
        "AdminGetUser",
        get("bob"),
        200,
        user("bob", "bob@example.com", "sub-b"),
    );
    fixture(
        dir,
        "delete-alice",
        "05.000",
        "AdminDeleteUser",
        get("alice"),
        200,
        json!({}),
    );
    // The same request as get-alice, after the delete: a sequence.
    let not_found = json!({ "__type": "UserNotFoundException", "message": "User does not exist." });
    fixture_with(
        dir,
        "get-alice-gone",
        "06.000",
        "AdminGetUser",
        get("alice"),
        400,
        not_found,
        json!({ "x-amzn-errortype": "UserNotFoundException:" }),
    );
    for (file, n) in [("get-alice.json", 1), ("get-alice-gone.json", 2)] {
        let path = dir.join(file);
        let mut f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        f["sequence"] = json!(n);
        std::fs::write(&path, serde_json::to_string_pretty(&f).unwrap()).unwrap();
    }
}

fn create(name: &str, email: &str, password: &str) -> Value {
    json!({
        "UserPoolId": POOL,
        "Username": name,
        "TemporaryPassword": password,
        "UserAttributes": [{ "Name": "email", "Value": email }],
        "MessageAction": "SUPPRESS"
    })
}

fn get(name: &str) -> Value {
    json!({ "UserPoolId": POOL, "Username": name })
}

/// The value of attribute `name` in an AdminGetUser answer.
fn attribute(answer: &Value, name: &str) -> Value {
    answer["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == name)
        .map(|a| a["Value"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn two_users_in_one_session_each_find_their_own_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    two_users(dir.path());
    let server = serve_dir(dir.path()).await;
    let (http, url) = (client(), server.uri().to_owned());

    // This run's users have other names, e-mail addresses and passwords than
    // the recording's; they are created in the same order.
    let carol = call(
        &http,
        &url,
        "AdminCreateUser",
        &create("carol", "carol@example.org", "Other-Passw0rd!"),
    )
    .await;
    assert_eq!(carol.status, 200);
    assert_eq!(
        carol.json()["User"]["Username"],
        "carol",
        "the caller's own username back"
    );
    let dave = call(
        &http,
        &url,
        "AdminCreateUser",
        &create("dave", "dave@example.org", "x"),
    )
    .await;
    assert_eq!(dave.json()["User"]["Username"], "dave");

    // Each AdminGetUser finds its own user's fixture, by binding.
    let got = call(&http, &url, "AdminGetUser", &get("dave")).await.json();
    assert_eq!(got["Username"], "dave");
    assert_eq!(
        attribute(&got, "email"),
        "dave@example.org",
        "bound by AdminCreateUser"
    );
    assert_eq!(
        attribute(&got, "sub"),
        p("sub-b"),
        "bob's sub: never bound, left as recorded"
    );
    assert_eq!(attribute(&got, "email_verified"), "true");
    let got = call(&http, &url, "AdminGetUser", &get("carol"))
        .await
        .json();
    assert_eq!(
        (got["Username"].clone(), attribute(&got, "sub")),
        (json!("carol"), json!(p("sub-a")))
    );

    // carol is deleted; her next AdminGetUser is the second of her sequence.
    assert_eq!(
        call(&http, &url, "AdminDeleteUser", &get("carol"))
            .await
            .status,
        200
    );
    let gone = call(&http, &url, "AdminGetUser", &get("carol")).await;
    assert_eq!(gone.status, 400);
    assert_eq!(gone.json()["__type"], "UserNotFoundException");
    assert_eq!(
        call(&http, &url, "AdminGetUser", &get("dave")).await.status,
        200
    );

    // dave was never deleted in the recording: no fixture deletes bob.
    let no = call(&http, &url, "AdminDeleteUser", &get("dave")).await;
    assert_eq!(no.status, 404);

    let journal = admin(&http, &url, "journal").await;
    let entries = journal["entries"].as_array().unwrap();
    let fixtures: Vec<&str> = entries
        .iter()
        .map(|e| e["fixture"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        fixtures,
        [
            "z-create-alice",
            "a-create-bob",
            "get-bob",
            "get-alice",
            "delete-alice",
            "get-alice-gone",
            "get-bob",
            "-"
        ]
    );
    // The journal says which pseudonym each request bound or used, never the value.
    assert_eq!(
        entries[0]["bindings"],
        json!([
            { "at": "/Username", "pseudonym": p("alice"), "new": true },
            { "at": "/UserAttributes/0/Value", "pseudonym": p("alice@example.com"), "new": true }
        ])
    );
    assert_eq!(
        entries[2]["bindings"],
        json!([{ "at": "/Username", "pseudonym": p("bob"), "new": false }])
    );
    let text = journal.to_string();
    for value in ["carol", "dave", "Other-Passw0rd!", "example.org"] {
        assert!(!text.contains(value), "{value} in the journal");
    }
    let bindings = admin(&http, &url, "bindings").await;
    assert_eq!(bindings.as_array().unwrap().len(), 4);
    assert_eq!(
        bindings[0],
        json!({ "pseudonym": p("alice"), "since": 1, "at": "/Username", "characters": 5 })
    );
    assert!(!bindings.to_string().contains("carol"));
}

#[tokio::test]
async fn a_value_bound_elsewhere_misses_with_a_near_miss_that_explains_the_binding() {
    let dir = tempfile::tempdir().unwrap();
    two_users(dir.path());
    let server = serve_dir(dir.path()).await;
    let (http, url) = (client(), server.uri().to_owned());
    assert_eq!(
        call(
            &http,
            &url,
            "AdminCreateUser",
            &create("carol", "c@example.org", "x")
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(
            &http,
            &url,
            "AdminCreateUser",
            &create("dave", "d@example.org", "x")
        )
        .await
        .status,
        200
    );

    // Both recorded users are taken: a third one matches nothing.
    let erin = call(&http, &url, "AdminGetUser", &get("erin")).await;
    assert_eq!(erin.status, 404);
    assert_eq!(erin.header("x-tapedeck-error"), Some("no-match"));
    let body = erin.json();
    let nearest = &body["near_misses"][0];
    assert_eq!(nearest["differences"], 1, "{nearest:#}");
    let d = &nearest["diff"][0];
    assert_eq!(d["field"], "/Username");
    let why = d["binding"].as_str().unwrap();
    assert!(
        why.contains("stands for another value in this run (bound by request"),
        "{why}"
    );
    assert!(
        why.contains("POST /__tapedeck/reset forgets bindings"),
        "{why}"
    );

    let readable = send(
        &http,
        &url,
        "GET",
        "/__tapedeck/journal?format=text",
        &[],
        "",
    )
    .await;
    let text = String::from_utf8_lossy(&readable.body).into_owned();
    assert!(
        text.contains("      binding:  the fixture has the pseudonym"),
        "{text}"
    );
    for value in ["erin", "carol", "dave"] {
        assert!(
            !text.contains(value),
            "{value} in the readable report:\n{text}"
        );
        assert!(!body.to_string().contains(value), "{value} in the answer");
    }

    // POST /__tapedeck/reset forgets bindings: erin may now be anyone.
    let reset = send(&http, &url, "POST", "/__tapedeck/reset", &[], "").await;
    assert_eq!(
        reset.json()["reset"],
        json!(["sequences", "bindings", "journal"])
    );
    assert_eq!(admin(&http, &url, "bindings").await, json!([]));
    let erin = call(&http, &url, "AdminGetUser", &get("erin")).await;
    assert_eq!(erin.status, 200);
    assert_eq!(erin.json()["Username"], "erin");
}

#[tokio::test]
async fn one_value_cannot_stand_for_two_pseudonyms() {
    let dir = tempfile::tempdir().unwrap();
    two_users(dir.path());
    let server = serve_dir(dir.path()).await;
    let (http, url) = (client(), server.uri().to_owned());
    // carol takes alice's place; bob's AdminGetUser then cannot be carol's.
    assert_eq!(
        call(&http, &url, "AdminGetUser", &get("carol"))
            .await
            .json()["Username"],
        "carol"
    );
    assert_eq!(
        call(&http, &url, "AdminDeleteUser", &get("carol"))
            .await
            .status,
        200
    );
    // alice's sequence goes on (gone), and bob's fixture is not offered to carol.
    assert_eq!(
        call(&http, &url, "AdminGetUser", &get("carol"))
            .await
            .status,
        400
    );
    // A fixture only bob's pseudonym fits: AdminCreateUser with bob's e-mail
    // pseudonym position taken by carol's value is refused.
    let twice = call(
        &http,
        &url,
        "AdminCreateUser",
        &create("carol", "carol@example.org", "x"),
    )
    .await;
    assert_eq!(twice.status, 200, "alice's create: carol is alice here");
    let other = call(
        &http,
        &url,
        "AdminCreateUser",
        &create("zed", "carol@example.org", "x"),
    )
    .await;
    assert_eq!(
        other.status, 404,
        "carol's e-mail already stands for alice's"
    );
    let why = other.json()["near_misses"].to_string();
    assert!(
        why.contains("this value already stands for the pseudonym"),
        "{why}"
    );
    assert!(!why.contains("carol"), "{why}");
}

#[tokio::test]
async fn placeholders_match_any_secret_and_bound_values_come_back_in_headers_too() {
    let dir = tempfile::tempdir().unwrap();
    let client_id = p("3n4b5urk1ft4fl3mg5e62d9ado");
    let auth = json!({
        "UserPoolId": POOL,
        "ClientId": client_id,
        "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
        "AuthParameters": {
            "USERNAME": p("alice"),
            "PASSWORD": placeholder("AuthParametersType", Some("PASSWORD"), None, "Perm-Passw0rd!2")
        }
    });
    let tokens = json!({
        "AuthenticationResult": {
            "AccessToken": *JWT,
            "IdToken": *JWT,
            "RefreshToken": placeholder("TokenModelType", None, None, "opaque-refresh-token-value"),
            "ExpiresIn": 3600,
            "TokenType": "Bearer"
        },
        "ChallengeParameters": {}
    });
    fixture(
        dir.path(),
        "sign-in",
        "01.000",
        "AdminInitiateAuth",
        auth,
        200,
        tokens.clone(),
    );
    let exists = format!("User account {} already exists", p("alice"));
    fixture_with(
        dir.path(),
        "exists",
        "02.000",
        "AdminCreateUser",
        json!({ "UserPoolId": POOL, "Username": p("alice") }),
        400,
        json!({ "__type": "UsernameExistsException", "message": exists }),
        json!({ "x-amzn-errortype": "UsernameExistsException:", "x-amzn-errormessage": exists }),
    );
    let server = serve_dir(dir.path()).await;
    let (http, url) = (client(), server.uri().to_owned());
    let sign_in = |password: &str| {
        json!({
            "UserPoolId": POOL,
            "ClientId": "7h1sIsMyCl1ent",
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": { "USERNAME": "o'brien \"the\" user", "PASSWORD": password }
        })
    };
    for password in ["first", "second, another"] {
        let answer = call(&http, &url, "AdminInitiateAuth", &sign_in(password)).await;
        assert_eq!(answer.status, 200, "any password: {password}");
        assert_eq!(
            answer.json(),
            tokens,
            "secrets come back as their placeholders"
        );
    }
    // The JSON-escaped username comes back in the body, as it is in the header.
    let answer = call(
        &http,
        &url,
        "AdminCreateUser",
        &json!({ "UserPoolId": POOL, "Username": "o'brien \"the\" user" }),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "User account o'brien \"the\" user already exists"
    );
    assert_eq!(
        answer.header("x-amzn-errormessage"),
        Some("User account o'brien \"the\" user already exists")
    );
    // The client id bound in the first request: another one is refused.
    let mut other = sign_in("x");
    other["ClientId"] = json!("SomeOtherClient");
    assert_eq!(
        call(&http, &url, "AdminInitiateAuth", &other).await.status,
        404
    );
}

#[tokio::test]
async fn literal_values_stay_literal_and_the_reference_set_is_served_as_before() {
    let server = ReplayServer::start().await;
    let (http, url) = (client(), server.uri().to_owned());
    const GHOST: &str = r#"{"UserPoolId": "us-east-1_TapeDeck1", "Username": "tapedeck-ghost", "DeviceKey": "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"}"#;
    assert_eq!(forget(&http, &url, GHOST).await.status, 400);
    // An authored username is not a pseudonym: nothing else matches it, not
    // even a pseudonym.
    for other in ["tapedeck-ghosty", &p("tapedeck-ghost")] {
        let answer = forget(&http, &url, &GHOST.replace("tapedeck-ghost", other)).await;
        assert_eq!(answer.status, 404, "{other}");
    }
    let journal = admin(&http, &url, "journal").await;
    assert!(
        journal["entries"][0].get("bindings").is_none(),
        "{:#}",
        journal["entries"][0]
    );
    assert_eq!(admin(&http, &url, "bindings").await, json!([]));
}

#[tokio::test]
async fn a_run_that_records_serves_its_new_fixture_to_the_same_values() {
    // new-episodes binds the pseudonyms of what it records to the values it
    // recorded them from: the same request is then served, another value at
    // the same place is not (it would be a different user).
    use std::sync::Arc;
    use tapedeck::fixture::redact::RedactConfig;
    use tapedeck::net::{Timeouts, Upstream};
    use tapedeck::record::{Proxy, Recorder, RecorderConfig, Signing};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", CT)
                .set_body_string(r#"{"Username":"carol","UserAttributes":[],"Enabled":true}"#),
        )
        .expect(2)
        .mount(&upstream)
        .await;
    let out = tempfile::tempdir().unwrap();
    let proxy = Proxy {
        upstream: Upstream::new(&upstream.uri(), None, Timeouts::default()).unwrap(),
        recorder: Arc::new(Recorder::new(RecorderConfig {
            out: out.path().to_path_buf(),
            overwrite: false,
            redact: RedactConfig::default(),
            endpoint: "upstream".into(),
        })),
        signing: Signing::PassThrough,
    };
    let settings = Settings {
        on_miss: Some(Arc::new(proxy)),
        serve_recorded: Some(SequenceEnd::RepeatLast.into()),
        ..Settings::default()
    };
    let server = assemble(Vec::new(), settings).await;
    let (http, url) = (client(), server.url());
    let answer = call(&http, &url, "AdminGetUser", &get("carol")).await;
    assert_eq!(answer.json()["Username"], "carol");
    // dave is not carol: not served carol's recording, but forwarded (and
    // recorded) too.
    assert_eq!(
        call(&http, &url, "AdminGetUser", &get("dave")).await.status,
        200
    );
    let answer = call(&http, &url, "AdminGetUser", &get("carol")).await;
    assert_eq!(answer.json()["Username"], "carol");
    let outcomes: Vec<String> = admin(&http, &url, "journal").await["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["forwarded", "forwarded", "matched"]);
    let written = std::fs::read_dir(out.path()).unwrap().count();
    assert_eq!(written, 2);
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("carol") && !text.contains("dave"), "{text}");
    }
    drop(server);
    upstream.verify().await;
}
