//! Validation of any operation's input, in AWS's wording: one table row per
//! (operation, body, message the service answers), for every constraint kind.
//!
//! Rows marked `evidence` reproduce a message real Cognito sent, as quoted in a
//! public thread (cited on the row; see also docs/validation.md). The others
//! follow the same wording, applied by the model's constraints.

use rstest::rstest;
use serde_json::{json, Value};
use tapedeck::contract::model;
use tapedeck::contract::{validate, Validation};

const POOL: &str = "us-east-1_TapeDeck1";
const DEVICE: &str = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001";

fn check(operation: &str, body: Value) -> Validation {
    let op = model::get()
        .operation(operation)
        .unwrap_or_else(|| panic!("{operation} is an operation of the model"));
    validate(op, &body)
}

fn message(operation: &str, body: Value) -> String {
    check(operation, body)
        .message()
        .unwrap_or_else(|| "valid".to_owned())
}

/// The enum value set of a model shape, as tapedeck prints it (model order).
fn enum_set(shape: &str) -> String {
    let s = model::get().shape_named(shape).unwrap();
    format!("[{}]", s.enum_values.as_ref().unwrap().join(", "))
}

#[rstest]
// evidence: github.com/aws-amplify/amplify-js/issues/1355 (AdminForgetDevice)
#[case::required(
    "AdminForgetDevice",
    json!({"UserPoolId": POOL, "Username": "u"}),
    "1 validation error detected: Value null at 'deviceKey' failed to satisfy constraint: Member must not be null"
)]
#[case::required_null_is_absent(
    "AdminForgetDevice",
    json!({"UserPoolId": POOL, "Username": "u", "DeviceKey": null}),
    "1 validation error detected: Value null at 'deviceKey' failed to satisfy constraint: Member must not be null"
)]
// evidence: github.com/aws/aws-sdk-js/issues/3344 (ListGroups, a pool id with a leading space)
#[case::pattern(
    "ListGroups",
    json!({"UserPoolId": " ap-northeast-1_xxx"}),
    r"1 validation error detected: Value ' ap-northeast-1_xxx' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"
)]
// evidence: Liftric/cognito-idp IdentityProviderClientTests.kt (a live pool; the sensitive value is left out)
#[case::sensitive_max_length(
    "AdminGetUser",
    json!({"UserPoolId": POOL, "Username": "u".repeat(129)}),
    "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128"
)]
// evidence: github.com/ks888/LambStatus/issues/6 (AdminCreateUser with an empty username)
#[case::sensitive_min_length_and_pattern(
    "AdminGetUser",
    json!({"UserPoolId": POOL, "Username": ""}),
    r"2 validation errors detected: Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1; Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+"
)]
#[case::string_max_length(
    "AdminForgetDevice",
    json!({"UserPoolId": POOL, "Username": "u", "DeviceKey": format!("us-east-1_{}", "a".repeat(46))}),
    &format!("1 validation error detected: Value 'us-east-1_{}' at 'deviceKey' failed to satisfy constraint: Member must have length less than or equal to 55", "a".repeat(46))
)]
// evidence: github.com/boto/boto3/issues/1356 (ListUsers)
#[case::numeric_max(
    "ListUsers",
    json!({"UserPoolId": POOL, "Limit": 100}),
    "1 validation error detected: Value '100' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
)]
// evidence: github.com/aws/aws-sdk-js/issues/2193 (AdminListGroupsForUser)
#[case::numeric_min(
    "AdminListGroupsForUser",
    json!({"UserPoolId": POOL, "Username": "u", "Limit": -1}),
    "1 validation error detected: Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 0"
)]
#[case::numeric_min_of_one(
    "ListUserPools",
    json!({"MaxResults": 0}),
    "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
)]
#[case::enum_value(
    "AdminInitiateAuth",
    json!({"UserPoolId": POOL, "ClientId": "abc", "AuthFlow": "PASSWORD"}),
    &format!("1 validation error detected: Value 'PASSWORD' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: {}", enum_set("AuthFlowType"))
)]
// evidence: github.com/aws/aws-cdk/issues/14175 (CreateUserPool via CloudFormation)
#[case::nested_list_of_structures(
    "CreateUserPool",
    json!({"PoolName": "p", "Schema": [{"Name": "phone_number_verified", "AttributeDataType": "Boolean"}]}),
    "1 validation error detected: Value 'phone_number_verified' at 'schema.1.member.name' failed to satisfy constraint: Member must have length less than or equal to 20"
)]
#[case::nested_required(
    "AdminCreateUser",
    json!({"UserPoolId": POOL, "Username": "u", "UserAttributes": [{"Name": "email", "Value": "a@b.c"}, {"Value": "x"}]}),
    "1 validation error detected: Value null at 'userAttributes.2.member.name' failed to satisfy constraint: Member must not be null"
)]
#[case::nested_sensitive(
    "AdminUpdateUserAttributes",
    json!({"UserPoolId": POOL, "Username": "u", "UserAttributes": [{"Name": "email", "Value": "v".repeat(2049)}]}),
    "1 validation error detected: Value at 'userAttributes.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048"
)]
// evidence (wording): github.com/aws-solutions/media-insights-on-aws/pull/199 quotes
// `Value '[ADMIN_USER_PASSWORD_AUTH]' at 'explicitAuthFlows' failed to satisfy constraint:
// Member must satisfy constraint: [Member must satisfy enum value set: [...]]`; AWS lists
// the set in its own (hash) order, tapedeck in model order.
#[case::list_of_enums(
    "CreateUserPoolClient",
    json!({"UserPoolId": POOL, "ClientName": "c", "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH"]}),
    &format!("1 validation error detected: Value '[ALLOW_USER_SRP_AUTH, ADMIN_USER_PASSWORD_AUTH]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: {}]", enum_set("ExplicitAuthFlowsType"))
)]
#[case::list_length(
    "CreateUserPoolClient",
    json!({"UserPoolId": POOL, "ClientName": "c", "AllowedOAuthFlows": ["code", "code", "code", "code"]}),
    "1 validation error detected: Value '[code, code, code, code]' at 'allowedOAuthFlows' failed to satisfy constraint: Member must have length less than or equal to 3"
)]
#[case::list_min_length(
    "AddCustomAttributes",
    json!({"UserPoolId": POOL, "CustomAttributes": []}),
    "1 validation error detected: Value '[]' at 'customAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1"
)]
#[case::map_keys(
    "CreateUserPool",
    json!({"PoolName": "p", "UserPoolTags": {"": "v"}}),
    "1 validation error detected: Value '{=v}' at 'userPoolTags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
)]
#[case::map_values(
    "CreateUserPool",
    json!({"PoolName": "p", "UserPoolTags": {"team": "t".repeat(257)}}),
    &format!("1 validation error detected: Value '{{team={}}}' at 'userPoolTags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]", "t".repeat(257))
)]
#[case::several_counted_and_joined(
    "AdminForgetDevice",
    json!({}),
    "3 validation errors detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; Value null at 'username' failed to satisfy constraint: Member must not be null; Value null at 'deviceKey' failed to satisfy constraint: Member must not be null"
)]
#[case::several_at_different_depths(
    "AdminCreateUser",
    json!({"UserPoolId": "nope", "Username": "u", "UserAttributes": [{"Value": "x"}], "DesiredDeliveryMediums": ["FAX"]}),
    r"3 validation errors detected: Value 'nope' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+; Value null at 'userAttributes.1.member.name' failed to satisfy constraint: Member must not be null; Value '[FAX]' at 'desiredDeliveryMediums' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [SMS, EMAIL]]"
)]
#[case::unknown_members_are_ignored(
    "ListUserPools",
    json!({"MaxResults": 10, "Whatever": [1, 2]}),
    "valid"
)]
#[case::operation_without_required_members(
    "GetUserPoolMfaConfig",
    json!({"UserPoolId": POOL}),
    "valid"
)]
fn aws_wording(#[case] operation: &str, #[case] body: Value, #[case] expected: &str) {
    assert_eq!(message(operation, body), expected);
}

/// A JSON type the shape cannot take stops deserialisation: one
/// `SerializationException`, whatever else is wrong, naming where.
#[rstest]
// evidence: github.com/pmill/aws-cognito/issues/10 (SignUp with a number as an attribute value)
#[case::number_for_string(
    "SignUp",
    json!({"ClientId": "abc", "Username": "u", "UserAttributes": [{"Name": "custom:n", "Value": 5}]}),
    "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
    "userAttributes.1.member.value"
)]
#[case::string_for_integer(
    "ListUserPools",
    json!({"MaxResults": "10"}),
    "STRING_VALUE cannot be converted to Integer",
    "maxResults"
)]
#[case::boolean_for_string(
    "AdminForgetDevice",
    json!({"UserPoolId": true, "Username": "u", "DeviceKey": DEVICE}),
    "TRUE_VALUE cannot be converted to String",
    "userPoolId"
)]
#[case::string_for_boolean(
    "AdminCreateUser",
    json!({"UserPoolId": POOL, "Username": "u", "ForceAliasCreation": "yes"}),
    "Unexpected token received from parser",
    "forceAliasCreation"
)]
#[case::array_for_string(
    "AdminGetUser",
    json!({"UserPoolId": [POOL], "Username": "u"}),
    "Unrecognized collection type class java.lang.String",
    "userPoolId"
)]
#[case::object_for_list(
    "AdminCreateUser",
    json!({"UserPoolId": POOL, "Username": "u", "UserAttributes": {"Name": "email"}}),
    "Start of structure or map found where not expected",
    "userAttributes"
)]
#[case::scalar_for_structure(
    "CreateUserPool",
    json!({"PoolName": "p", "Policies": "strict"}),
    "Unexpected field type",
    "policies"
)]
#[case::wins_over_validation_errors(
    "AdminForgetDevice",
    json!({"UserPoolId": 7}),
    "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
    "userPoolId"
)]
fn wrong_json_types(
    #[case] operation: &str,
    #[case] body: Value,
    #[case] aws: &str,
    #[case] path: &str,
) {
    let v = check(operation, body);
    assert_eq!(v.error_type(), Some("SerializationException"));
    assert_eq!(v.message().as_deref(), Some(aws));
    assert_eq!(
        v.describe().unwrap(),
        format!("SerializationException: {aws} (at '{path}')")
    );
}

/// The order AWS prints an enum value set in is its own (a hash order, as the
/// public capture below shows), so the evidence is compared as a set.
#[test]
fn enum_value_sets_hold_the_values_aws_lists() {
    // github.com/awsdocs/aws-cloudformation-user-guide/pull/525 (2019): the
    // set AWS printed for ExplicitAuthFlowsType then; the model has added
    // values since.
    let aws_2019 = "ALLOW_CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_PASSWORD_AUTH, ALLOW_USER_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH, ALLOW_ADMIN_USER_PASSWORD_AUTH";
    let model = model::get()
        .shape_named("ExplicitAuthFlowsType")
        .unwrap()
        .enum_values
        .clone()
        .unwrap();
    for v in aws_2019.split(", ") {
        assert!(model.iter().any(|m| m == v), "{v}");
    }
}

#[test]
fn every_operation_validates_an_empty_body_by_its_required_members() {
    let m = model::get();
    for op in m.operations() {
        let required: Vec<&str> = op
            .input_members()
            .iter()
            .filter(|mm| mm.required)
            .map(|mm| mm.wire_name.as_str())
            .collect();
        match validate(op, &json!({})) {
            Validation::Valid => assert!(required.is_empty(), "{}", op.name),
            Validation::Invalid(v) => {
                let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
                assert_eq!(paths, required, "{}", op.name);
                let text = Validation::Invalid(v.clone()).message().unwrap();
                let n = required.len();
                let plural = if n == 1 { "error" } else { "errors" };
                assert!(
                    text.starts_with(&format!("{n} validation {plural} detected: ")),
                    "{text}"
                );
            }
            other => panic!("{}: {other:?}", op.name),
        }
    }
}
