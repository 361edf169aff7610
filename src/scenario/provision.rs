//! Provisioning: the state scenarios need, created on a real endpoint through
//! the signed awsJson client, and removed again.
//!
//! Steps, in order: CreateUserPool (device tracking on), CreateUserPoolClient
//! (ALLOW_ADMIN_USER_PASSWORD_AUTH, no secret), AdminCreateUser (SUPPRESS),
//! AdminSetUserPassword (permanent), AdminInitiateAuth (which must return
//! NewDeviceMetadata), ConfirmDevice (with an SRP verifier). DeleteUserPool
//! removes everything. Every resource is named `tapedeck-<timestamp>-…`, so
//! [`Provisioner::cleanup`] can find leftovers.

use serde_json::{json, Value};

use super::catalog::{Env, Need};
use super::srp;
use crate::net::awsjson::{Answer, Auth, CallError, Client};

/// The prefix of every resource tapedeck creates.
pub const PREFIX: &str = "tapedeck-";

/// A provisioning step that did not work.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The endpoint answered, but not with what the step needs.
    #[error("{step} failed: {answer}")]
    Refused { step: &'static str, answer: String },
    #[error(transparent)]
    Call(#[from] CallError),
}

impl StepError {
    /// The step that failed.
    pub fn step(&self) -> &str {
        match self {
            StepError::Refused { step, .. } => step,
            StepError::Call(CallError::Upstream { operation, .. }) => operation,
            StepError::Call(_) => "signing",
        }
    }
}

/// A pool with an app client.
#[derive(Debug, Clone)]
pub struct Pool {
    pub id: String,
    pub client_id: String,
}

/// A remembered device.
#[derive(Debug, Clone)]
pub struct Device {
    pub key: String,
    pub group_key: String,
}

/// Creates and removes scenario state on one endpoint.
#[derive(Debug, Clone)]
pub struct Provisioner {
    pub(crate) client: Client,
    pub(crate) auth: Auth,
    /// `tapedeck-<timestamp>`: every resource name starts with it.
    pub(crate) run: String,
}

impl Provisioner {
    pub fn new(client: Client, auth: Auth) -> Self {
        let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
            .to_string()
            .replace([':', '-'], "")
            .to_lowercase();
        Provisioner {
            client,
            auth,
            run: format!("{PREFIX}{}", stamp.trim_end_matches('z')),
        }
    }

    async fn step(&self, step: &'static str, body: Value, auth: &Auth) -> Result<Value, StepError> {
        let answer = self.client.call(step, &body, auth).await?;
        if !answer.status.is_success() {
            return Err(refused(step, &answer));
        }
        Ok(answer.json().unwrap_or(Value::Null))
    }

    /// CreateUserPool with device tracking, then CreateUserPoolClient.
    pub async fn create_pool(&self) -> Result<Pool, StepError> {
        let created = self
            .step(
                "CreateUserPool",
                json!({
                    "PoolName": format!("{}-pool", self.run),
                    "DeviceConfiguration": {
                        "ChallengeRequiredOnNewDevice": false,
                        "DeviceOnlyRememberedOnUserPrompt": false
                    },
                    "Policies": { "PasswordPolicy": { "MinimumLength": 8 } }
                }),
                &self.auth,
            )
            .await?;
        let id = string_at(&created, "/UserPool/Id", "CreateUserPool")?;
        let client = self
            .step(
                "CreateUserPoolClient",
                json!({
                    "UserPoolId": id,
                    "ClientName": format!("{}-client", self.run),
                    "GenerateSecret": false,
                    "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
                }),
                &self.auth,
            )
            .await;
        let client_id = match client
            .and_then(|c| string_at(&c, "/UserPoolClient/ClientId", "CreateUserPoolClient"))
        {
            Ok(c) => c,
            Err(e) => {
                // Leave nothing behind when the pool is unusable.
                let _ = self.delete_pool(&id).await;
                return Err(e);
            }
        };
        Ok(Pool { id, client_id })
    }

    /// AdminCreateUser (no message) and AdminSetUserPassword (permanent).
    /// Returns the password.
    pub async fn create_user(&self, pool: &Pool, username: &str) -> Result<String, StepError> {
        self.step(
            "AdminCreateUser",
            json!({ "UserPoolId": pool.id, "Username": username, "MessageAction": "SUPPRESS" }),
            &self.auth,
        )
        .await?;
        let password = password();
        self.step(
            "AdminSetUserPassword",
            json!({ "UserPoolId": pool.id, "Username": username, "Password": password, "Permanent": true }),
            &self.auth,
        )
        .await?;
        Ok(password)
    }

    /// AdminInitiateAuth, which must return NewDeviceMetadata, then ConfirmDevice
    /// with a fresh SRP verifier, so the device is remembered.
    pub async fn remember_device(
        &self,
        pool: &Pool,
        username: &str,
        password: &str,
    ) -> Result<Device, StepError> {
        let auth = self
            .step(
                "AdminInitiateAuth",
                json!({
                    "UserPoolId": pool.id,
                    "ClientId": pool.client_id,
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                    "AuthParameters": { "USERNAME": username, "PASSWORD": password }
                }),
                &self.auth,
            )
            .await?;
        let result = auth
            .pointer("/AuthenticationResult")
            .cloned()
            .unwrap_or(Value::Null);
        let (Some(key), Some(group_key), Some(token)) = (
            result
                .pointer("/NewDeviceMetadata/DeviceKey")
                .and_then(Value::as_str),
            result
                .pointer("/NewDeviceMetadata/DeviceGroupKey")
                .and_then(Value::as_str),
            result.pointer("/AccessToken").and_then(Value::as_str),
        ) else {
            let mut shown = auth.clone();
            if let Some(r) = shown.pointer_mut("/AuthenticationResult") {
                // Tokens are credentials: name them, never show them.
                for t in ["AccessToken", "IdToken", "RefreshToken"] {
                    if let Some(v) = r.get_mut(t) {
                        *v = Value::String("(redacted)".into());
                    }
                }
            }
            return Err(StepError::Refused {
                step: "AdminInitiateAuth",
                answer: format!("200 without AuthenticationResult.NewDeviceMetadata: {shown}"),
            });
        };
        let verifier = srp::device_verifier(group_key, key);
        self.step(
            "ConfirmDevice",
            json!({
                "AccessToken": token,
                "DeviceKey": key,
                "DeviceName": format!("{}-device", self.run),
                "DeviceSecretVerifierConfig": {
                    "PasswordVerifier": verifier.verifier_b64,
                    "Salt": verifier.salt_b64
                }
            }),
            // ConfirmDevice is authorised by the access token, not SigV4.
            &Auth::Unsigned,
        )
        .await?;
        Ok(Device {
            key: key.to_owned(),
            group_key: group_key.to_owned(),
        })
    }

    /// DeleteUserPool.
    pub async fn delete_pool(&self, pool_id: &str) -> Result<(), StepError> {
        self.step(
            "DeleteUserPool",
            json!({ "UserPoolId": pool_id }),
            &self.auth,
        )
        .await
        .map(|_| ())
    }

    /// Deletes every pool whose name starts with `tapedeck-`. Returns the ids
    /// deleted.
    pub async fn cleanup(&self) -> Result<Vec<String>, StepError> {
        let mut deleted = Vec::new();
        let mut token: Option<String> = None;
        let mut leftovers = Vec::new();
        for _page in 0..100 {
            let mut body = json!({ "MaxResults": 60 });
            if let Some(t) = &token {
                body["NextToken"] = Value::String(t.clone());
            }
            let page = self.step("ListUserPools", body, &self.auth).await?;
            for pool in page
                .get("UserPools")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = pool.get("Name").and_then(Value::as_str).unwrap_or_default();
                if let (true, Some(id)) = (
                    name.starts_with(PREFIX),
                    pool.get("Id").and_then(Value::as_str),
                ) {
                    leftovers.push(id.to_owned());
                }
            }
            token = page
                .get("NextToken")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        for id in leftovers {
            self.delete_pool(&id).await?;
            deleted.push(id);
        }
        Ok(deleted)
    }
}

/// A provisioning step the endpoint lacks, with what it answered: remembered by
/// a [`Session`] and named for every scenario that needs the step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("endpoint lacks {step}: {answer}")]
pub(crate) struct Lacking {
    pub(crate) step: String,
    /// The failed step's error, as it reads.
    pub(crate) answer: String,
}

impl From<&StepError> for Lacking {
    fn from(e: &StepError) -> Self {
        Lacking {
            step: e.step().to_owned(),
            answer: e.to_string(),
        }
    }
}

/// The user a session created, and its password.
#[derive(Debug, Clone)]
struct User {
    name: String,
    password: String,
}

/// The state one run builds, lazily, as scenarios need it: one pool, one user,
/// and a remembered device per request. Failures are remembered too, so a step
/// the endpoint lacks is tried once and named for every scenario that needs it.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) provisioner: Provisioner,
    pub(crate) region: String,
    pool: Option<Result<Pool, Lacking>>,
    user: Option<Result<User, Lacking>>,
    device: Option<Result<String, Lacking>>,
}

impl Session {
    pub(crate) fn new(provisioner: Provisioner, region: impl Into<String>) -> Self {
        Session {
            provisioner,
            region: region.into(),
            pool: None,
            user: None,
            device: None,
        }
    }

    /// Makes the next [`Session::ensure`] of a remembered device remember a new
    /// one (the previous one may have been forgotten).
    pub(crate) fn next_device(&mut self) {
        self.device = None;
    }

    /// The pool created so far, if any.
    pub(crate) fn pool(&self) -> Option<&Pool> {
        self.pool.as_ref().and_then(|p| p.as_ref().ok())
    }

    /// Builds what `need` asks for, or says which step the endpoint lacks, with
    /// its answer. The remembered device is reused until [`Session::next_device`].
    pub(crate) async fn ensure(
        &mut self,
        need: Need,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<Env, Lacking> {
        let mut env = Env {
            region: self.region.clone(),
            ..Env::default()
        };
        if need == Need::Nothing {
            return Ok(env);
        }
        if self.pool.is_none() {
            let created = self.provisioner.create_pool().await;
            match &created {
                Ok(p) => progress(format!(
                    "CreateUserPool + CreateUserPoolClient ... ok {}",
                    p.id
                )),
                Err(e) => progress(format!("provisioning a pool ... FAILED: {e}")),
            }
            self.pool = Some(created.map_err(|e| Lacking::from(&e)));
        }
        let pool = self.pool.clone().expect("set above")?;
        env.pool_id = pool.id.clone();
        if need == Need::Pool {
            return Ok(env);
        }
        if self.user.is_none() {
            let username = format!("{}-user", self.provisioner.run);
            let created = self.provisioner.create_user(&pool, &username).await;
            match &created {
                Ok(_) => progress(format!(
                    "AdminCreateUser + AdminSetUserPassword ... ok {username}"
                )),
                Err(e) => progress(format!("provisioning a user ... FAILED: {e}")),
            }
            self.user = Some(
                created
                    .map(|password| User {
                        name: username,
                        password,
                    })
                    .map_err(|e| Lacking::from(&e)),
            );
        }
        let user = self.user.clone().expect("set above")?;
        env.username = user.name.clone();
        env.device_key = format!("{}_ffffffff-ffff-4fff-bfff-ffffffffffff", self.region);
        if need == Need::User {
            return Ok(env);
        }
        if self.device.is_none() {
            let remembered = self
                .provisioner
                .remember_device(&pool, &user.name, &user.password)
                .await;
            match &remembered {
                Ok(d) => progress(format!(
                    "AdminInitiateAuth + ConfirmDevice ... ok {}",
                    d.key
                )),
                Err(e) => progress(format!("remembering a device ... FAILED: {e}")),
            }
            self.device = Some(remembered.map(|d| d.key).map_err(|e| Lacking::from(&e)));
        }
        env.device_key = self.device.clone().expect("set above")?;
        Ok(env)
    }

    /// Deletes the pool unless `keep`. Returns the pool left behind, if any.
    pub(crate) async fn teardown(
        &mut self,
        keep: bool,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Option<String> {
        let pool = self.pool()?.clone();
        if keep {
            progress(format!("keeping pool {} (--keep)", pool.id));
            return Some(pool.id);
        }
        match self.provisioner.delete_pool(&pool.id).await {
            Ok(()) => {
                progress(format!("DeleteUserPool {} ... ok", pool.id));
                self.pool = None;
                self.user = None;
                self.device = None;
                None
            }
            Err(e) => {
                progress(format!(
                    "DeleteUserPool {} ... FAILED: {e}; run `tapedeck capture --cleanup`",
                    pool.id
                ));
                Some(pool.id)
            }
        }
    }
}

fn refused(step: &'static str, answer: &Answer) -> StepError {
    StepError::Refused {
        step,
        answer: answer.summary(),
    }
}

fn string_at(v: &Value, pointer: &str, step: &'static str) -> Result<String, StepError> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| StepError::Refused {
            step,
            answer: format!("200 without {pointer}"),
        })
}

/// A password that satisfies Cognito's default policy (length, upper, lower,
/// digit, symbol), random per user.
fn password() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("Td-{}aA1!", &random[..20])
}

#[cfg(test)]
mod tests;
