//! A stateful fake Amazon Cognito on wiremock, for driving `tapedeck capture`
//! (and anything else that provisions state) without AWS.
//!
//! One custom [`Respond`]er holds the whole state behind `Arc<Mutex<_>>` and
//! dispatches on `X-Amz-Target`:
//!
//! - provisioning: CreateUserPool, CreateUserPoolClient, AdminCreateUser,
//!   AdminSetUserPassword, AdminInitiateAuth (→ tokens and `NewDeviceMetadata`
//!   when the pool tracks devices), ConfirmDevice (checks the access token and a
//!   base64 SRP verifier and salt), DeleteUserPool, ListUserPools;
//! - AdminForgetDevice, answered like the reference corpus
//!   (`fixtures/admin-forget-device/reference/`): 200 with an empty body;
//!   `InvalidParameterException` with AWS's validation message (from
//!   `tapedeck::contract::validate`); `ResourceNotFoundException` "User pool X
//!   does not exist." / "Device does not exist."; `UserNotFoundException`;
//! - SigV4, checked with `tapedeck::sigv4::verify_signature` against
//!   [`ACCESS_KEY_ID`] / [`SECRET_ACCESS_KEY`] on every operation but
//!   ConfirmDevice (token-authorised): unsigned → `MissingAuthenticationTokenException`,
//!   unknown key → `UnrecognizedClientException`, anything else wrong →
//!   `InvalidSignatureException`, all 400 like the reference set.
//!
//! Errors carry `content-type: application/x-amz-json-1.1`, `x-amzn-ErrorType:
//! <Type>:`, `x-amzn-ErrorMessage` (the message again) and a compact
//! `{"__type", "message"}` body.
//!
//! Knobs for failure injection: [`FakeCognito::fail`] / [`FakeCognito::fail_raw`]
//! (an operation answers with a given status and body), [`FakeCognito::hang`]
//! (an operation answers only after a delay), [`FakeCognito::throttle_forget_after`]
//! (AdminForgetDevice is throttled after K calls),
//! [`FakeCognito::name_the_pool_in_user_not_found`] (a message that embeds a
//! recorded id, for verify's substitution). Every call is logged
//! ([`FakeCognito::calls`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use num_bigint::BigUint;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use tapedeck::contract::validate;
use tapedeck::sigv4;

/// The region the fake pretends to be in.
pub const REGION: &str = "us-east-1";
/// The only access key the fake knows (not an `AKIA…` id: nothing real).
pub const ACCESS_KEY_ID: &str = "AKIDFAKECOGNITOTEST1";
/// Its secret.
pub const SECRET_ACCESS_KEY: &str = "fake-cognito-secret-for-loopback-tests";
/// The awsJson 1.1 content type.
pub const CT: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// The messages the reference corpus records for the common auth errors.
pub const MSG_MISSING_TOKEN: &str = "Missing Authentication Token";
pub const MSG_BAD_SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
pub const MSG_UNKNOWN_KEY: &str = "The security token included in the request is invalid.";
pub const MSG_THROTTLED: &str = "Rate exceeded";

/// The fake's credentials, as the AWS SDK types them.
pub fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "fake")
}

/// A signer with the fake's credentials.
pub fn signer() -> tapedeck::net::Signer {
    tapedeck::net::Signer::fixed(credentials())
}

// ---------------------------------------------------------------------------
// State.
// ---------------------------------------------------------------------------

/// A device the fake issued at AdminInitiateAuth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub key: String,
    pub group_key: String,
    /// ConfirmDevice was called with a valid verifier: the device is remembered.
    pub confirmed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub password: Option<String>,
    pub permanent: bool,
    pub devices: BTreeMap<String, Device>,
}

#[derive(Debug, Clone)]
pub struct AppClient {
    pub name: String,
    pub explicit_auth_flows: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub id: String,
    pub name: String,
    /// The pool has a DeviceConfiguration (device tracking).
    pub tracks_devices: bool,
    pub clients: BTreeMap<String, AppClient>,
    pub users: BTreeMap<String, User>,
}

/// An injected answer for one operation.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, content type and body (no other effect).
    Answer {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// Do the operation, but answer only after this delay.
    Hang(Duration),
}

/// How a request was authenticated, as the fake judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSeen {
    Valid,
    Unsigned,
    UnknownKey,
    BadSignature,
    /// Not checked (ConfirmDevice is authorised by its access token).
    NotChecked,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation name (`X-Amz-Target` after the prefix), or the raw target.
    pub operation: String,
    pub auth: AuthSeen,
    pub status: u16,
    /// The error type answered, if any.
    pub error_type: Option<String>,
    pub body: Value,
}

/// Everything the fake knows.
#[derive(Debug, Default)]
pub struct State {
    pub pools: BTreeMap<String, Pool>,
    /// Access token → (pool id, username).
    pub tokens: HashMap<String, (String, String)>,
    /// Devices AdminForgetDevice removed, in order, with their pool and user.
    pub forgotten: Vec<(String, String, Device)>,
    pub calls: Vec<Call>,
    pub faults: HashMap<String, Fault>,
    /// Throttle AdminForgetDevice after this many (authenticated) calls.
    pub throttle_forget_after: Option<usize>,
    /// AdminForgetDevice's UserNotFoundException says "User does not exist in
    /// pool X." rather than the reference corpus's "User does not exist.".
    pub user_not_found_names_pool: bool,
    forget_calls: usize,
    counter: u64,
}

impl State {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

// ---------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------

/// A running fake Cognito on 127.0.0.1.
pub struct FakeCognito {
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
}

impl FakeCognito {
    pub async fn start() -> FakeCognito {
        let state = Arc::new(Mutex::new(State::default()));
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder {
                state: state.clone(),
            })
            .mount(&server)
            .await;
        FakeCognito { server, state }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("fake state lock")
    }

    /// `operation` answers `status` with an awsJson error of `error_type`.
    pub fn fail(&self, operation: &str, status: u16, error_type: &str, message: &str) {
        self.fail_raw(operation, status, CT, &error_body(error_type, message));
    }

    /// `operation` answers `status` with exactly this body and content type.
    pub fn fail_raw(&self, operation: &str, status: u16, content_type: &str, body: &[u8]) {
        self.state().faults.insert(
            operation.to_owned(),
            Fault::Answer {
                status,
                content_type: content_type.to_owned(),
                body: body.to_vec(),
            },
        );
    }

    /// `operation` answers only after `delay`.
    pub fn hang(&self, operation: &str, delay: Duration) {
        self.state()
            .faults
            .insert(operation.to_owned(), Fault::Hang(delay));
    }

    /// Removes an injected fault.
    pub fn heal(&self, operation: &str) {
        self.state().faults.remove(operation);
    }

    /// After `k` more authenticated AdminForgetDevice calls (counted from now),
    /// every further one gets 400 `TooManyRequestsException` "Rate exceeded".
    pub fn throttle_forget_after(&self, k: usize) {
        let mut st = self.state();
        st.throttle_forget_after = Some(k);
        st.forget_calls = 0;
    }

    /// From now on, AdminForgetDevice's UserNotFoundException names the pool:
    /// "User does not exist in pool X.".
    pub fn name_the_pool_in_user_not_found(&self) {
        self.state().user_not_found_names_pool = true;
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The operations called so far, in order.
    pub fn operations(&self) -> Vec<String> {
        self.state()
            .calls
            .iter()
            .map(|c| c.operation.clone())
            .collect()
    }

    /// How many times `operation` was called.
    pub fn count(&self, operation: &str) -> usize {
        self.state()
            .calls
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }

    /// The ids of the pools that exist.
    pub fn pool_ids(&self) -> Vec<String> {
        self.state().pools.keys().cloned().collect()
    }

    /// Creates a pool with a user and a remembered device, with fixed ids (to
    /// answer requests written for fixed ids, like the reference corpus).
    pub fn seed(&self, pool_id: &str, username: &str, device_key: &str) {
        let mut user = User {
            password: Some("Seeded-1!".into()),
            permanent: true,
            ..User::default()
        };
        user.devices.insert(
            device_key.to_owned(),
            Device {
                key: device_key.to_owned(),
                group_key: "-seeded".into(),
                confirmed: true,
            },
        );
        let mut st = self.state();
        let pool = st.pools.entry(pool_id.to_owned()).or_insert_with(|| Pool {
            id: pool_id.to_owned(),
            name: format!("seeded-{pool_id}"),
            tracks_devices: true,
            clients: BTreeMap::new(),
            users: BTreeMap::new(),
        });
        pool.users.insert(username.to_owned(), user);
    }
}

/// A compact awsJson error body.
pub fn error_body(error_type: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "__type": error_type, "message": message })).expect("JSON")
}

/// An awsJson error answer.
fn error(status: u16, error_type: &str, message: &str) -> Answer {
    Answer {
        status,
        content_type: CT.to_owned(),
        error_type: Some(error_type.to_owned()),
        body: error_body(error_type, message),
    }
}

fn bad_request(error_type: &str, message: &str) -> Answer {
    error(400, error_type, message)
}

fn ok(body: Value) -> Answer {
    Answer {
        status: 200,
        content_type: CT.to_owned(),
        error_type: None,
        body: serde_json::to_vec(&body).expect("JSON"),
    }
}

/// 200 with an empty body, like the reference `forget-remembered-device`.
fn ok_empty() -> Answer {
    Answer {
        status: 200,
        content_type: CT.to_owned(),
        error_type: None,
        body: Vec::new(),
    }
}

struct Answer {
    status: u16,
    content_type: String,
    error_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn template(&self) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(self.status);
        if let Some(ty) = &self.error_type {
            t = t.insert_header("x-amzn-errortype", format!("{ty}:").as_str());
            // Cognito repeats the message in a header.
            let message = serde_json::from_slice::<Value>(&self.body)
                .ok()
                .and_then(|b| b.get("message").and_then(Value::as_str).map(str::to_owned));
            if let Some(m) = message {
                t = t.insert_header("x-amzn-errormessage", m.as_str());
            }
        }
        if self.body.is_empty() {
            t.insert_header("content-type", self.content_type.as_str())
        } else {
            t.set_body_raw(self.body.clone(), &self.content_type)
        }
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut st = self.state.lock().expect("fake state lock");
        let target = request
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let operation = target
            .strip_prefix(TARGET_PREFIX)
            .unwrap_or(&target)
            .to_owned();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let auth = if operation == "ConfirmDevice" {
            AuthSeen::NotChecked
        } else {
            check_auth(request)
        };
        let mut delay = None;
        let answer = match st.faults.get(&operation).cloned() {
            Some(Fault::Answer {
                status,
                content_type,
                body,
            }) => {
                let error_type = tapedeck::contract::error_type(&body, None).map(|t| t.name);
                Answer {
                    status,
                    content_type,
                    error_type,
                    body,
                }
            }
            Some(Fault::Hang(d)) => {
                delay = Some(d);
                handle(&mut st, request, &operation, &body, auth)
            }
            None => handle(&mut st, request, &operation, &body, auth),
        };
        st.calls.push(Call {
            operation,
            auth,
            status: answer.status,
            error_type: answer.error_type.clone(),
            body,
        });
        let t = answer.template();
        match delay {
            Some(d) => t.set_delay(d),
            None => t,
        }
    }
}

fn check_auth(request: &Request) -> AuthSeen {
    if !request.headers.contains_key(http::header::AUTHORIZATION) {
        return AuthSeen::Unsigned;
    }
    let creds: sigv4::Credentials = format!("{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}")
        .parse()
        .expect("valid AKID:SECRET");
    let uri: http::Uri = request
        .url
        .path()
        .parse()
        .expect("a request path is a valid URI");
    match sigv4::verify_signature(
        request.method.as_str(),
        &uri,
        &request.headers,
        &request.body,
        &creds,
    ) {
        Ok(()) => AuthSeen::Valid,
        Err(f) if f.rule == sigv4::rule::ACCESS_KEY => AuthSeen::UnknownKey,
        Err(_) => AuthSeen::BadSignature,
    }
}

fn handle(
    st: &mut State,
    request: &Request,
    operation: &str,
    body: &Value,
    auth: AuthSeen,
) -> Answer {
    if request.method != http::Method::POST || request.url.path() != "/" {
        return error(404, "UnknownOperationException", "Not found");
    }
    match auth {
        AuthSeen::Unsigned => {
            return bad_request("MissingAuthenticationTokenException", MSG_MISSING_TOKEN)
        }
        AuthSeen::UnknownKey => return bad_request("UnrecognizedClientException", MSG_UNKNOWN_KEY),
        AuthSeen::BadSignature => {
            return bad_request("InvalidSignatureException", MSG_BAD_SIGNATURE)
        }
        AuthSeen::Valid | AuthSeen::NotChecked => {}
    }
    if !body.is_object() {
        return bad_request(
            "SerializationException",
            "Start of structure or map expected",
        );
    }
    let s = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    match operation {
        "CreateUserPool" => {
            let Some(name) = s("PoolName") else {
                return missing("poolName");
            };
            let id = format!("{REGION}_Fake{:05}", st.next());
            st.pools.insert(
                id.clone(),
                Pool {
                    id: id.clone(),
                    name: name.clone(),
                    tracks_devices: body
                        .get("DeviceConfiguration")
                        .is_some_and(Value::is_object),
                    clients: BTreeMap::new(),
                    users: BTreeMap::new(),
                },
            );
            let mut pool = json!({ "Id": id, "Name": name });
            if let Some(d) = body.get("DeviceConfiguration") {
                pool["DeviceConfiguration"] = d.clone();
            }
            ok(json!({ "UserPool": pool }))
        }
        "CreateUserPoolClient" => {
            let n = st.next();
            let Some(pool) = pool_mut(st, body) else {
                return pool_not_found(body);
            };
            let Some(name) = s("ClientName") else {
                return missing("clientName");
            };
            let flows: Vec<String> = body
                .get("ExplicitAuthFlows")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            let id = format!("fakeclient{n:016}");
            pool.clients.insert(
                id.clone(),
                AppClient {
                    name: name.clone(),
                    explicit_auth_flows: flows.clone(),
                },
            );
            ok(json!({ "UserPoolClient": {
                "UserPoolId": pool.id, "ClientId": id, "ClientName": name, "ExplicitAuthFlows": flows
            }}))
        }
        "AdminCreateUser" => {
            let Some(pool) = pool_mut(st, body) else {
                return pool_not_found(body);
            };
            let Some(username) = s("Username") else {
                return missing("username");
            };
            if pool.users.contains_key(&username) {
                return bad_request("UsernameExistsException", "User account already exists");
            }
            pool.users.insert(username.clone(), User::default());
            ok(json!({ "User": {
                "Username": username, "Enabled": true, "UserStatus": "FORCE_CHANGE_PASSWORD"
            }}))
        }
        "AdminSetUserPassword" => {
            let Some(pool) = pool_mut(st, body) else {
                return pool_not_found(body);
            };
            let Some(user) = s("Username").and_then(|u| pool.users.get_mut(&u)) else {
                return bad_request("UserNotFoundException", "User does not exist.");
            };
            let Some(password) = s("Password") else {
                return missing("password");
            };
            user.password = Some(password);
            user.permanent = body.get("Permanent").and_then(Value::as_bool) == Some(true);
            ok(json!({}))
        }
        "AdminInitiateAuth" => admin_initiate_auth(st, body),
        "ConfirmDevice" => confirm_device(st, body),
        "DeleteUserPool" => {
            let Some(id) = s("UserPoolId") else {
                return missing("userPoolId");
            };
            if st.pools.remove(&id).is_none() {
                return pool_not_found(body);
            }
            st.tokens.retain(|_, (pool, _)| *pool != id);
            ok(json!({}))
        }
        "ListUserPools" => {
            let max = body
                .get("MaxResults")
                .and_then(Value::as_u64)
                .unwrap_or(60)
                .clamp(1, 60) as usize;
            let start: usize = s("NextToken").and_then(|t| t.parse().ok()).unwrap_or(0);
            let pools: Vec<Value> = st
                .pools
                .values()
                .skip(start)
                .take(max)
                .map(|p| json!({ "Id": p.id, "Name": p.name }))
                .collect();
            let mut out = json!({ "UserPools": pools });
            if start + max < st.pools.len() {
                out["NextToken"] = Value::String((start + max).to_string());
            }
            ok(out)
        }
        "AdminForgetDevice" => admin_forget_device(st, body),
        _ => bad_request(
            "UnknownOperationException",
            &format!("the fake does not know the operation '{operation}'"),
        ),
    }
}

fn missing(member: &str) -> Answer {
    bad_request(
        "InvalidParameterException",
        &format!("1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
    )
}

fn pool_mut<'a>(st: &'a mut State, body: &Value) -> Option<&'a mut Pool> {
    let id = body.get("UserPoolId").and_then(Value::as_str)?;
    st.pools.get_mut(id)
}

fn pool_not_found(body: &Value) -> Answer {
    let id = body
        .get("UserPoolId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    bad_request(
        "ResourceNotFoundException",
        &format!("User pool {id} does not exist."),
    )
}

fn admin_initiate_auth(st: &mut State, body: &Value) -> Answer {
    let n = st.next();
    let Some(pool) = pool_mut(st, body) else {
        return pool_not_found(body);
    };
    let pool_id = pool.id.clone();
    let client_id = body
        .get("ClientId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(client) = pool.clients.get(client_id) else {
        return bad_request(
            "ResourceNotFoundException",
            "User pool client does not exist.",
        );
    };
    if body.get("AuthFlow").and_then(Value::as_str) != Some("ADMIN_USER_PASSWORD_AUTH")
        || !client
            .explicit_auth_flows
            .iter()
            .any(|f| f == "ALLOW_ADMIN_USER_PASSWORD_AUTH")
    {
        return bad_request(
            "InvalidParameterException",
            "Auth flow not enabled for this client",
        );
    }
    let param = |name: &str| {
        body.pointer(&format!("/AuthParameters/{name}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (username, password) = (param("USERNAME"), param("PASSWORD"));
    let tracks = pool.tracks_devices;
    let Some(user) = pool.users.get_mut(&username) else {
        return bad_request("UserNotFoundException", "User does not exist.");
    };
    if user.password.as_deref() != Some(password.as_str()) {
        return bad_request("NotAuthorizedException", "Incorrect username or password.");
    }
    if !user.permanent {
        return ok(json!({ "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "fake-session" }));
    }
    let token = format!("fake-access-token-{n}-{}", uuid::Uuid::new_v4().simple());
    let mut result = json!({
        "AccessToken": token,
        "IdToken": format!("fake-id-token-{n}"),
        "RefreshToken": format!("fake-refresh-token-{n}"),
        "ExpiresIn": 3600,
        "TokenType": "Bearer"
    });
    if tracks {
        let device = Device {
            key: format!("{REGION}_{}", uuid::Uuid::new_v4()),
            group_key: format!("-Fake{n}"),
            confirmed: false,
        };
        result["NewDeviceMetadata"] =
            json!({ "DeviceKey": device.key, "DeviceGroupKey": device.group_key });
        user.devices.insert(device.key.clone(), device);
    }
    st.tokens.insert(token, (pool_id, username));
    ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
}

/// The RFC 5054 3072-bit prime, which a verifier must be below, as RFC 5054
/// appendix A writes it (the fake's own copy: the one in tapedeck's SRP code
/// is not public).
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

fn group_prime() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N parses")
}

fn confirm_device(st: &mut State, body: &Value) -> Answer {
    let token = body
        .get("AccessToken")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some((pool_id, username)) = st.tokens.get(token).cloned() else {
        return bad_request("NotAuthorizedException", "Invalid Access Token");
    };
    let decoded = |name: &str| {
        body.pointer(&format!("/DeviceSecretVerifierConfig/{name}"))
            .and_then(Value::as_str)
            .and_then(|v| BASE64.decode(v).ok())
            .filter(|b| !b.is_empty())
    };
    let (Some(verifier), Some(salt)) = (decoded("PasswordVerifier"), decoded("Salt")) else {
        return bad_request(
            "InvalidParameterException",
            "DeviceSecretVerifierConfig needs a base64 PasswordVerifier and Salt",
        );
    };
    let v = BigUint::from_bytes_be(&verifier);
    if salt.len() > 17 || verifier.len() > 385 || v <= BigUint::from(1u8) || v >= group_prime() {
        return bad_request(
            "InvalidParameterException",
            "DeviceSecretVerifierConfig is not an SRP verifier of the 3072-bit group",
        );
    }
    let key = body
        .get("DeviceKey")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let device = st
        .pools
        .get_mut(&pool_id)
        .and_then(|p| p.users.get_mut(&username))
        .and_then(|u| u.devices.get_mut(key));
    let Some(device) = device else {
        return bad_request("ResourceNotFoundException", "Device does not exist.");
    };
    device.confirmed = true;
    ok(json!({ "UserConfirmationNecessary": false }))
}

fn admin_forget_device(st: &mut State, body: &Value) -> Answer {
    st.forget_calls += 1;
    if st
        .throttle_forget_after
        .is_some_and(|k| st.forget_calls > k)
    {
        return bad_request("TooManyRequestsException", MSG_THROTTLED);
    }
    let validation = validate(tapedeck::contract::model::flagship(), body);
    if let (Some(ty), Some(message)) = (validation.error_type(), validation.message()) {
        return bad_request(ty, &message);
    }
    let names_pool = st.user_not_found_names_pool;
    let Some(pool) = pool_mut(st, body) else {
        return pool_not_found(body);
    };
    let pool_id = pool.id.clone();
    let username = body["Username"].as_str().unwrap_or_default().to_owned();
    let Some(user) = pool.users.get_mut(&username) else {
        return if names_pool {
            bad_request(
                "UserNotFoundException",
                &format!("User does not exist in pool {pool_id}."),
            )
        } else {
            bad_request("UserNotFoundException", "User does not exist.")
        };
    };
    let key = body["DeviceKey"].as_str().unwrap_or_default();
    let Some(device) = user.devices.remove(key) else {
        return bad_request("ResourceNotFoundException", "Device does not exist.");
    };
    st.forgotten.push((pool_id, username, device));
    ok_empty()
}
