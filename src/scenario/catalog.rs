//! The scenario catalog of AdminForgetDevice: every outcome, the state it needs,
//! the request that provokes it, and what a faithful endpoint answers.

use serde::Serialize;
use serde_json::{json, Value};

use crate::net::credentials::Signer;

/// The provider state a scenario needs, in the order provisioning builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    Nothing,
    /// A user pool (with device tracking) and an app client.
    Pool,
    /// A user in the pool, with a permanent password.
    User,
    /// A device the user remembered (AdminInitiateAuth + ConfirmDevice).
    RememberedDevice,
}

impl Need {
    pub fn describe(self) -> &'static str {
        match self {
            Need::Nothing => "nothing",
            Need::Pool => "pool with device tracking",
            Need::User => "pool, user",
            Need::RememberedDevice => "pool, app client, user, remembered device",
        }
    }
}

/// How the request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// Signed with the caller's real credentials.
    Signed,
    /// Signed with the right key id and a wrong secret.
    WrongSecret,
    /// Signed with a key id the endpoint does not know.
    UnknownKey,
    /// Not signed at all.
    Unsigned,
}

impl Auth {
    /// The signer this mode signs with, given the caller's own (`None`:
    /// unsigned). A wrong secret keeps the caller's key id, so the endpoint
    /// knows the key and has to check the signature.
    pub fn signer(self, real: &Signer, real_key_id: &str) -> Option<Signer> {
        let fixed = |akid: &str, secret: &str| {
            Signer::fixed(aws_credential_types::Credentials::new(
                akid, secret, None, None, "tapedeck",
            ))
        };
        match self {
            Auth::Signed => Some(real.clone()),
            Auth::WrongSecret => Some(fixed(
                real_key_id,
                "tapedeck-wrong-secret-for-bad-signature",
            )),
            Auth::UnknownKey => Some(fixed("AKIATAPEDECKUNKNOWN0", "tapedeck-unknown-key-secret")),
            Auth::Unsigned => None,
        }
    }
}

/// Whether a scenario can be provoked on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "reason")]
pub enum Provokable {
    Yes,
    /// Only with `--throttle-burst N`.
    OptIn,
    No(&'static str),
}

/// Values a request template fills in.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub region: String,
    pub pool_id: String,
    pub username: String,
    pub device_key: String,
}

/// One scenario.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scenario {
    pub id: &'static str,
    pub description: &'static str,
    pub needs: Need,
    pub auth: Auth,
    /// The expected error type, or `None` for success.
    pub expected: Option<&'static str>,
    pub provokable: Provokable,
    #[serde(skip)]
    template: fn(&Env) -> Value,
}

impl Scenario {
    /// The AdminForgetDevice request body for this scenario in `env`.
    pub fn request(&self, env: &Env) -> Value {
        (self.template)(env)
    }

    /// `success` or the error type.
    pub fn expected_label(&self) -> &'static str {
        self.expected.unwrap_or("success")
    }
}

fn body(pool: &str, user: &str, device: &str) -> Value {
    json!({ "UserPoolId": pool, "Username": user, "DeviceKey": device })
}

/// A well-formed pool id that no endpoint has.
fn missing_pool(e: &Env) -> String {
    format!("{}_NoSuchPool", e.region)
}

/// A well-formed device key, for requests that fail before the device matters.
fn sample_device(e: &Env) -> String {
    format!("{}_0a1b2c3d-0000-4000-8000-000000000001", e.region)
}

fn standard(env: &Env) -> Value {
    body(&env.pool_id, &env.username, &env.device_key)
}

const NOT_PROVOKABLE: Provokable =
    Provokable::No("not provokable on demand; authored from the model");

/// Every scenario, in the order `capture` runs them.
pub const CATALOG: &[Scenario] = &[
    Scenario {
        id: "forget-remembered-device",
        description: "Forget a device the user remembered",
        needs: Need::RememberedDevice,
        auth: Auth::Signed,
        expected: None,
        provokable: Provokable::Yes,
        template: standard,
    },
    Scenario {
        id: "device-already-forgotten",
        description: "Forget the same device a second time",
        needs: Need::RememberedDevice,
        auth: Auth::Signed,
        expected: Some("ResourceNotFoundException"),
        provokable: Provokable::Yes,
        template: standard,
    },
    Scenario {
        id: "unknown-device-key",
        description: "Existing pool and user, a device key that was never issued",
        needs: Need::User,
        auth: Auth::Signed,
        expected: Some("ResourceNotFoundException"),
        provokable: Provokable::Yes,
        template: |e| {
            body(
                &e.pool_id,
                &e.username,
                &format!("{}_ffffffff-ffff-4fff-bfff-ffffffffffff", e.region),
            )
        },
    },
    Scenario {
        id: "unknown-user",
        description: "Existing pool, a user that does not exist",
        needs: Need::Pool,
        auth: Auth::Signed,
        expected: Some("UserNotFoundException"),
        provokable: Provokable::Yes,
        template: |e| body(&e.pool_id, "tapedeck-ghost", &sample_device(e)),
    },
    Scenario {
        id: "unknown-user-pool",
        description: "A well-formed user pool id that does not exist",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("ResourceNotFoundException"),
        provokable: Provokable::Yes,
        template: |e| body(&missing_pool(e), "tapedeck-ghost", &sample_device(e)),
    },
    Scenario {
        id: "malformed-device-key",
        description: "A device key that does not match the model's pattern",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("InvalidParameterException"),
        provokable: Provokable::Yes,
        template: |e| body(&missing_pool(e), "tapedeck-ghost", "not-a-device-key"),
    },
    Scenario {
        id: "malformed-user-pool-id",
        description: "A user pool id that does not match the model's pattern",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("InvalidParameterException"),
        provokable: Provokable::Yes,
        template: |e| body("not-a-pool-id", "tapedeck-ghost", &sample_device(e)),
    },
    Scenario {
        id: "username-too-long",
        description: "A username of 129 characters, one over the maximum",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("InvalidParameterException"),
        provokable: Provokable::Yes,
        template: |e| {
            body(
                &missing_pool(e),
                &format!("tapedeck-{}", "x".repeat(120)),
                &sample_device(e),
            )
        },
    },
    Scenario {
        id: "missing-device-key",
        description: "A request without the required DeviceKey",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("InvalidParameterException"),
        provokable: Provokable::Yes,
        template: |e| json!({ "UserPoolId": missing_pool(e), "Username": "tapedeck-ghost" }),
    },
    Scenario {
        id: "throttled",
        description: "A bounded burst of requests until the endpoint throttles",
        needs: Need::User,
        auth: Auth::Signed,
        expected: Some("TooManyRequestsException"),
        provokable: Provokable::OptIn,
        template: |e| {
            // Its own device key, so a throttled answer never joins another
            // scenario's sequence.
            body(
                &e.pool_id,
                &e.username,
                &format!("{}_eeeeeeee-eeee-4eee-beee-eeeeeeeeeeee", e.region),
            )
        },
    },
    Scenario {
        id: "bad-signature",
        description: "Signed with the right key id and a wrong secret",
        needs: Need::Nothing,
        auth: Auth::WrongSecret,
        expected: Some("InvalidSignatureException"),
        provokable: Provokable::Yes,
        template: |e| {
            body(
                &missing_pool(e),
                "tapedeck-bad-signature",
                &sample_device(e),
            )
        },
    },
    Scenario {
        id: "unknown-access-key",
        description: "Signed with an access key id the endpoint does not know",
        needs: Need::Nothing,
        auth: Auth::UnknownKey,
        expected: Some("UnrecognizedClientException"),
        provokable: Provokable::Yes,
        template: |e| body(&missing_pool(e), "tapedeck-unknown-key", &sample_device(e)),
    },
    Scenario {
        id: "unsigned",
        description: "No signature at all",
        needs: Need::Nothing,
        auth: Auth::Unsigned,
        expected: Some("MissingAuthenticationTokenException"),
        provokable: Provokable::Yes,
        template: |e| body(&missing_pool(e), "tapedeck-unsigned", &sample_device(e)),
    },
    Scenario {
        id: "access-denied",
        description: "A key whose IAM policy does not allow cognito-idp:AdminForgetDevice",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("AccessDeniedException"),
        provokable: Provokable::No(
            "needs a second identity without cognito-idp:AdminForgetDevice; authored",
        ),
        template: standard,
    },
    Scenario {
        id: "not-authorized",
        description: "The caller is not authorised for this pool",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("NotAuthorizedException"),
        provokable: NOT_PROVOKABLE,
        template: standard,
    },
    Scenario {
        id: "invalid-user-pool-configuration",
        description: "The pool's configuration does not allow the operation",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("InvalidUserPoolConfigurationException"),
        provokable: NOT_PROVOKABLE,
        template: standard,
    },
    Scenario {
        id: "operation-not-enabled",
        description: "The operation is not enabled for this pool",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("OperationNotEnabledException"),
        provokable: NOT_PROVOKABLE,
        template: standard,
    },
    Scenario {
        id: "internal-error",
        description: "A server-side fault",
        needs: Need::Nothing,
        auth: Auth::Signed,
        expected: Some("InternalErrorException"),
        provokable: NOT_PROVOKABLE,
        template: standard,
    },
];

/// Looks a scenario up by id.
pub fn scenario(id: &str) -> Option<&'static Scenario> {
    CATALOG.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::validate::validate;

    fn env() -> Env {
        Env {
            region: "us-east-1".into(),
            pool_id: "us-east-1_TapeDeck1".into(),
            username: "tapedeck-user".into(),
            device_key: "us-east-1_0a1b2c3d-0000-4000-8000-000000000001".into(),
        }
    }

    #[test]
    fn ids_are_unique_and_every_modelled_error_is_covered() {
        let mut ids: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len());
        for e in crate::contract::model::flagship().error_shapes() {
            assert!(
                CATALOG.iter().any(|s| s.expected == Some(e.name.as_str())),
                "{}",
                e.name
            );
        }
    }

    #[test]
    fn requests_are_invalid_exactly_when_invalid_parameter_is_expected() {
        for s in CATALOG {
            let valid = validate(crate::contract::model::flagship(), &s.request(&env())).is_valid();
            assert_eq!(
                valid,
                s.expected != Some("InvalidParameterException"),
                "{}",
                s.id
            );
        }
    }
}
