//! Fuzz target: the webhook verifier (see `checks::webhook_verify`).
#![no_main]

#[allow(dead_code)] // each target uses one of the checks
#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::webhook_verify(data));
