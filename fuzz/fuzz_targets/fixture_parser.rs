//! Any bytes as a fixture file: `tapedeck_fuzz::fixture_parser`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tapedeck_fuzz::fixture_parser(data));
