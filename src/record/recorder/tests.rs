use super::*;

#[test]
fn kebab_names() {
    assert_eq!(kebab("UserNotFound"), "user-not-found");
    assert_eq!(kebab("Unsupported"), "unsupported");
    assert_eq!(kebab("SignatureDoesNotMatch"), "signature-does-not-match");
    assert_eq!(kebab("a.b/c"), "a-b-c");
    assert_eq!(kebab("..."), "error");
}
