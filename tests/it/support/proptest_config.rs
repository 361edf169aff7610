//! The proptest settings every property suite shares.

use proptest::test_runner::Config as ProptestConfig;

/// 256 cases, unless `PROPTEST_CASES` says otherwise; no regression files.
pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
