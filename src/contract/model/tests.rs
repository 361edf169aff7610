//! The embedded model is the vendored one, complete, and reads as expected.

use super::*;

#[test]
fn the_vendored_file_is_the_one_source_json_names() {
    use sha2::{Digest, Sha256};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cognito-idp");
    let source: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("SOURCE.json")).unwrap()).unwrap();
    let bytes = std::fs::read(dir.join("service-2.json.gz")).unwrap();
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(source["sha256"], digest.as_str());
    assert_eq!(source["license"], "Apache-2.0");
    assert_eq!(source["operations"], get().operations().len());
    assert_eq!(source["shapes"], get().shapes().len());
}

#[test]
fn counts_match_the_public_model() {
    let m = get();
    assert_eq!(m.operations().len(), 153);
    assert_eq!(m.shapes().len(), 730);
    let sensitive: Vec<&str> = m.sensitive_shapes().map(|s| s.name.as_str()).collect();
    assert_eq!(sensitive.len(), 15, "{sensitive:?}");
    for name in [
        "PasswordType",
        "TokenModelType",
        "SessionType",
        "UsernameType",
    ] {
        assert!(sensitive.contains(&name), "{name}");
    }
}

#[test]
fn service_metadata() {
    let m = get();
    assert_eq!(m.metadata.protocol, "json");
    assert_eq!(m.metadata.api_version, "2016-04-18");
    assert_eq!(
        CONTENT_TYPE,
        format!("application/x-amz-json-{}", m.metadata.json_version)
    );
    assert_eq!(m.target_prefix(), "AWSCognitoIdentityProviderService");
    assert_eq!(m.signing_name(), "cognito-idp");
}

#[test]
fn admin_forget_device_reads_as_the_reference_says() {
    let op = flagship();
    assert_eq!(
        op.target,
        "AWSCognitoIdentityProviderService.AdminForgetDevice"
    );
    assert_eq!(op.auth, Auth::Sigv4);
    let errors: Vec<&str> = op.error_shapes().map(|s| s.name.as_str()).collect();
    assert_eq!(
        errors,
        [
            "ResourceNotFoundException",
            "InvalidParameterException",
            "InvalidUserPoolConfigurationException",
            "TooManyRequestsException",
            "NotAuthorizedException",
            "OperationNotEnabledException",
            "UserNotFoundException",
            "InternalErrorException"
        ]
    );
    let faults: Vec<&str> = op
        .error_shapes()
        .filter(|s| s.error == Some(Fault::Server))
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(faults, ["InternalErrorException"]);
    let m = get();
    type Row<'a> = (
        &'a str,
        &'a str,
        bool,
        Option<i64>,
        Option<i64>,
        Option<&'a str>,
        bool,
    );
    let members: Vec<Row<'_>> = op
        .input_members()
        .iter()
        .map(|mm| {
            let s = m.shape(mm.target);
            (
                mm.name.as_str(),
                mm.wire_name.as_str(),
                mm.required,
                s.min,
                s.max,
                s.pattern.as_deref(),
                s.sensitive,
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            (
                "UserPoolId",
                "userPoolId",
                true,
                Some(1),
                Some(55),
                Some(r"[\w-]+_[0-9a-zA-Z]+"),
                false
            ),
            (
                "Username",
                "username",
                true,
                Some(1),
                Some(128),
                Some(r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"),
                true
            ),
            (
                "DeviceKey",
                "deviceKey",
                true,
                Some(1),
                Some(55),
                Some(r"[\w-]+_[0-9a-f-]+"),
                false
            ),
        ]
    );
    let reason: Vec<String> = m
        .error("InvalidParameterException")
        .unwrap()
        .extra_members()
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(reason, ["reasonCode"]);
}

#[test]
fn errors_are_modelled_or_common() {
    let m = get();
    assert!(matches!(
        m.error("UserNotFoundException"),
        Some(ErrorInfo::Modelled(_))
    ));
    assert!(matches!(
        m.error("UnrecognizedClientException"),
        Some(ErrorInfo::Common(_))
    ));
    assert!(m.error("NoSuchThing").is_none());
    assert!(
        m.error("AdminForgetDeviceRequest").is_none(),
        "not an exception shape"
    );
    for c in COMMON_ERRORS {
        assert!(m.error(c.name).is_some(), "{}", c.name);
    }
    let op = flagship();
    assert!(op.allows_error("UserNotFoundException"));
    assert!(op.allows_error("InvalidSignatureException"));
    assert!(!op.allows_error("UsernameExistsException"));
}

#[test]
fn authtype_none_operations_skip_sigv4() {
    let none: Vec<&str> = get()
        .operations()
        .iter()
        .filter(|o| o.auth == Auth::None)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(none.len(), 34);
    for name in [
        "ConfirmDevice",
        "ForgetDevice",
        "GetDevice",
        "ListDevices",
        "InitiateAuth",
        "SignUp",
        "UpdateDeviceStatus",
    ] {
        assert!(none.contains(&name), "{name}");
    }
    assert!(!none.contains(&"AdminForgetDevice"));
}

#[test]
fn targets_resolve_to_operations() {
    let op = operation_for_target("AWSCognitoIdentityProviderService.ListUserPools").unwrap();
    assert_eq!(op.name, "ListUserPools");
    assert!(operation_for_target("AWSCognitoIdentityProviderService.Nope").is_none());
    assert!(operation_for_target("ListUserPools").is_none());
    assert!(operation_for_target("Other.ListUserPools").is_none());
    assert!(operation_for_target("AWSCognitoIdentityProviderServiceListUserPools").is_none());
}

#[test]
fn every_pattern_of_the_model_compiles() {
    for s in get().shapes() {
        if let Some(p) = &s.pattern {
            if let Err(e) = JavaPattern::compile(p) {
                panic!("{}: {e}", s.name);
            }
        }
    }
}

fn paths(op: &str, output: bool) -> Vec<String> {
    let op = get().operation(op).unwrap();
    let list = if output {
        op.sensitive_output()
    } else {
        op.sensitive_input()
    };
    list.iter().map(|p| format!("{p} ({})", p.shape)).collect()
}

#[test]
fn sensitive_paths_reach_through_structures_lists_and_maps() {
    assert_eq!(
        paths("AdminForgetDevice", false),
        ["Username (UsernameType)"]
    );
    assert!(paths("AdminForgetDevice", true).is_empty());
    let create = paths("AdminCreateUser", false);
    for want in [
        "Username (UsernameType)",
        "UserAttributes[].Value (AttributeValueType)",
        "TemporaryPassword (PasswordType)",
    ] {
        assert!(
            create.contains(&want.to_owned()),
            "{want} not in {create:?}"
        );
    }
    let created = paths("AdminCreateUser", true);
    assert!(
        created.contains(&"User.Attributes[].Value (AttributeValueType)".to_owned()),
        "{created:?}"
    );
    let auth = paths("AdminInitiateAuth", false);
    assert!(
        auth.contains(&"AuthParameters (AuthParametersType)".to_owned()),
        "{auth:?}"
    );
    assert!(
        auth.contains(&"ClientId (ClientIdType)".to_owned()),
        "{auth:?}"
    );
    let authed = paths("AdminInitiateAuth", true);
    for want in [
        "Session (SessionType)",
        "AuthenticationResult.AccessToken (TokenModelType)",
        "AuthenticationResult.RefreshToken (TokenModelType)",
        "AuthenticationResult.IdToken (TokenModelType)",
    ] {
        assert!(
            authed.contains(&want.to_owned()),
            "{want} not in {authed:?}"
        );
    }
}

#[test]
fn sensitive_paths_find_values_in_bodies() {
    let op = get().operation("AdminCreateUser").unwrap();
    let body = serde_json::json!({
        "UserPoolId": "p_1", "Username": "alice", "TemporaryPassword": "S3cret!",
        "UserAttributes": [{"Name": "email", "Value": "a@example.com"}, {"Name": "x"}]
    });
    let mut found: Vec<&str> = op
        .sensitive_input()
        .iter()
        .flat_map(|p| p.find(&body))
        .filter_map(|v| v.as_str())
        .collect();
    found.sort_unstable();
    assert_eq!(found, ["S3cret!", "a@example.com", "alice"]);
    let mut masked = body.clone();
    for p in op.sensitive_input() {
        p.for_each_mut(&mut masked, &mut |v| *v = serde_json::Value::from("***"));
    }
    assert_eq!(masked["UserAttributes"][0]["Value"], "***");
    assert_eq!(masked["UserAttributes"][1].get("Value"), None);
    assert_eq!(masked["UserPoolId"], "p_1");
}

/// Its cause is in its message, so it is not its `source()` too (printed as
/// a chain, the cause would be said twice; tests/it/cli_refusals.rs checks
/// the public error types so).
#[test]
fn a_load_error_shows_its_cause_once() {
    let e = super::load::parse(b"{").unwrap_err();
    let cause = serde_json::from_slice::<serde_json::Value>(b"{").unwrap_err();
    assert!(e.to_string().contains(&cause.to_string()), "{e}");
    assert!(std::error::Error::source(&e).is_none(), "{e:?}");
}
