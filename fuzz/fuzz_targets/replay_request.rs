//! Any method, path, headers and body through the replay server's request
//! path: `tapedeck_fuzz::replay_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tapedeck_fuzz::replay_request(data);
});
