//! Unit checks of the walker; the tables of AWS messages are in tests/.

use serde_json::json;

use super::*;

fn op(name: &str) -> &'static Operation {
    model::get().operation(name).unwrap()
}

#[test]
fn a_valid_flagship_body_is_valid() {
    let body =
        json!({"UserPoolId": "us-east-1_Ab12", "Username": "u", "DeviceKey": "us-east-1_0a-1"});
    assert_eq!(validate(op("AdminForgetDevice"), &body), Validation::Valid);
}

#[test]
fn other_operations_are_validated_against_their_own_input() {
    let v = validate(op("ListUserPools"), &json!({}));
    assert_eq!(
        v.message().unwrap(),
        "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null"
    );
    assert!(validate(op("ListUserPools"), &json!({"MaxResults": 60})).is_valid());
}

#[test]
fn a_body_that_is_not_an_object_is_a_serialization_error() {
    let v = validate(op("ListUserPools"), &json!([1]));
    assert_eq!(v.error_type(), Some("SerializationException"));
}
