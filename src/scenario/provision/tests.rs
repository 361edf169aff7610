#[test]
fn passwords_meet_the_default_policy_and_differ() {
    let (a, b) = (super::password(), super::password());
    assert_ne!(a, b);
    for p in [a, b] {
        assert!(p.len() >= 8);
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
    }
}
