//! Measures loading the embedded service model: inflating and parsing it, which
//! the first request that needs the model pays (`replay` loads it before it
//! listens). Run with `cargo run --release --example model_load`; the numbers
//! are in docs/benchmarks.md.

use std::time::Instant;

fn main() {
    let started = Instant::now();
    let model = tapedeck::contract::model::get();
    let loaded = started.elapsed();
    let started = Instant::now();
    let op = tapedeck::contract::model::flagship();
    let body = serde_json::json!({"UserPoolId": "us-east-1_Ab12", "Username": "u", "DeviceKey": "us-east-1_0a-1"});
    let first = tapedeck::contract::validate(op, &body);
    let validated = started.elapsed();
    println!(
        "model: {} operations, {} shapes; load (inflate + parse) {:.2} ms; first validation (compiles 3 patterns) {:.2} ms ({})",
        model.operations().len(),
        model.shapes().len(),
        loaded.as_secs_f64() * 1e3,
        validated.as_secs_f64() * 1e3,
        if first.is_valid() { "valid" } else { "invalid" }
    );
}
