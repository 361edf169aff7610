//! The AdminForgetDevice model: input members, their constraints, and the errors.
//!
//! Facts come from the public service model (botocore 1.44.8, cognito-idp 2016-04-18)
//! and the Smithy error traits shipped with the JavaScript SDK v3; see
//! `shared/reference/` in the design notes. The model is not the truth about what a
//! given endpoint answers — recorded fixtures are — but it is what clients are built
//! against.

/// The operation name.
pub const OPERATION: &str = "AdminForgetDevice";
/// The awsJson target prefix of the Cognito Identity Provider service.
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService";
/// The full `X-Amz-Target` header value of the operation.
pub const TARGET: &str = "AWSCognitoIdentityProviderService.AdminForgetDevice";
/// The awsJson 1.1 content type.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The SigV4 signing name (credential scope service).
pub const SIGNING_NAME: &str = "cognito-idp";
/// The HTTP method and path of every awsJson request.
pub const METHOD: &str = "POST";
pub const PATH: &str = "/";
/// Headers that a client's SigV4 signature must cover.
pub const REQUIRED_SIGNED_HEADERS: [&str; 3] = ["host", "x-amz-date", "x-amz-target"];
/// `x-amz-target`, as a header name ready to look up.
pub static X_AMZ_TARGET: http::HeaderName = http::HeaderName::from_static("x-amz-target");

/// One input member of `AdminForgetDeviceRequest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Name in the JSON body (`UserPoolId`).
    pub name: &'static str,
    /// Name used in validation messages (`userPoolId`).
    pub wire_name: &'static str,
    pub required: bool,
    /// Minimum length, in Unicode scalar values.
    pub min: usize,
    /// Maximum length, in Unicode scalar values.
    pub max: usize,
    /// The pattern as AWS prints it in validation messages.
    pub pattern: &'static str,
    /// Sensitive members never have their value printed.
    pub sensitive: bool,
}

/// The three members, in model order (the order validation reports them in).
pub const MEMBERS: [Member; 3] = [
    Member {
        name: "UserPoolId",
        wire_name: "userPoolId",
        required: true,
        min: 1,
        max: 55,
        pattern: r"[\w-]+_[0-9a-zA-Z]+",
        sensitive: false,
    },
    Member {
        name: "Username",
        wire_name: "username",
        required: true,
        min: 1,
        max: 128,
        pattern: r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
        sensitive: true,
    },
    Member {
        name: "DeviceKey",
        wire_name: "deviceKey",
        required: true,
        min: 1,
        max: 55,
        pattern: r"[\w-]+_[0-9a-f-]+",
        sensitive: false,
    },
];

/// Looks a member up by its JSON name.
pub fn member(name: &str) -> Option<&'static Member> {
    MEMBERS.iter().find(|m| m.name == name)
}

/// Who is at fault for an error, as the model says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    Client,
    Server,
}

/// An error shape the operation declares, or a common AWS error any call can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelledError {
    pub name: &'static str,
    pub fault: Fault,
    /// The HTTP status the JavaScript SDK's Smithy schema declares, if any.
    pub smithy_status: Option<u16>,
    /// Members of the error body besides `message`.
    pub extra_members: &'static [&'static str],
}

const fn client(name: &'static str, status: u16) -> ModelledError {
    ModelledError {
        name,
        fault: Fault::Client,
        smithy_status: Some(status),
        extra_members: &[],
    }
}

/// The 8 errors AdminForgetDevice declares in the current model, in model order.
/// The 2016 model had 7: `OperationNotEnabledException` was added later.
pub const ERRORS: [ModelledError; 8] = [
    client("ResourceNotFoundException", 404),
    ModelledError {
        extra_members: &["reasonCode"],
        ..client("InvalidParameterException", 400)
    },
    client("InvalidUserPoolConfigurationException", 400),
    client("TooManyRequestsException", 429),
    client("NotAuthorizedException", 403),
    client("OperationNotEnabledException", 400),
    client("UserNotFoundException", 404),
    ModelledError {
        name: "InternalErrorException",
        fault: Fault::Server,
        smithy_status: None,
        extra_members: &[],
    },
];

/// Errors common to every AWS JSON call: authentication and authorisation, raised
/// before the operation runs. Statuses are the ones AWS documents for them.
pub const COMMON_ERRORS: [ModelledError; 7] = [
    client("InvalidSignatureException", 400),
    client("UnrecognizedClientException", 400),
    client("MissingAuthenticationTokenException", 403),
    client("AccessDeniedException", 400),
    client("IncompleteSignature", 400),
    client("ExpiredTokenException", 400),
    client("ThrottlingException", 400),
];

/// Finds an error by its sanitised type name, among modelled and common errors.
pub fn known_error(name: &str) -> Option<&'static ModelledError> {
    ERRORS
        .iter()
        .chain(COMMON_ERRORS.iter())
        .find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lists_eight_operation_errors_with_one_server_fault() {
        assert_eq!(ERRORS.len(), 8);
        let faults: Vec<_> = ERRORS
            .iter()
            .filter(|e| e.fault == Fault::Server)
            .map(|e| e.name)
            .collect();
        assert_eq!(faults, ["InternalErrorException"]);
        assert_eq!(
            known_error("InvalidParameterException")
                .unwrap()
                .extra_members,
            ["reasonCode"]
        );
    }

    #[test]
    fn common_errors_are_not_operation_errors() {
        for e in COMMON_ERRORS {
            assert!(!ERRORS.iter().any(|o| o.name == e.name), "{}", e.name);
        }
        assert!(known_error("NoSuchThing").is_none());
    }

    #[test]
    fn target_is_prefix_dot_operation() {
        assert_eq!(TARGET, format!("{TARGET_PREFIX}.{OPERATION}"));
        assert_eq!(member("Username").unwrap().wire_name, "username");
        assert!(member("Username").unwrap().sensitive);
    }
}
