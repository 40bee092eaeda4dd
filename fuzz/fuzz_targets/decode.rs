//! Fuzz target: the wire decoder and the progress rule (see `checks::decode`).
#![no_main]

#[allow(dead_code)] // each target uses one of the checks
#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decode(data));
