//! Fuzz target: the JSON text reader (`JsonTape`) against serde_json (see `checks::json_differential`).
#![no_main]

#[allow(dead_code)] // each target uses one of the checks
#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_differential(data));
