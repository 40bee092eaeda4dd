//! A smoke run of the fuzz targets: their checks (fuzz/fuzz_targets/checks.rs) over every input of
//! the seed corpus, on every `cargo test`. The real fuzzing is `bash scripts/fuzz.sh`.
#![cfg(feature = "webhook")]

#[allow(dead_code)]
#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;

use std::fs;
use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        // The committed seeds only: inputs a local fuzzing run added are not part of the test.
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
        })
        .collect();
    files.sort();
    files.iter().map(|path| fs::read(path).unwrap()).collect()
}

#[test]
fn decode_checks_hold_on_the_corpus() {
    let inputs = corpus("decode");
    assert!(
        inputs.len() >= 30,
        "seed corpus missing: node fuzz/seed.mjs"
    );
    for input in &inputs {
        checks::decode(input);
    }
    // All seeds at once: one long session through the same states.
    checks::decode(&inputs.join(&b'\n'));
}

#[test]
fn webhook_checks_hold_on_the_corpus() {
    let inputs = corpus("webhook_verify");
    assert!(
        inputs.len() >= 20,
        "seed corpus missing: node fuzz/seed.mjs"
    );
    for input in &inputs {
        checks::webhook_verify(input);
        // The same body the other way round: signed when it was not, and vice versa.
        let mut flipped = input.clone();
        flipped[0] ^= 1;
        checks::webhook_verify(&flipped);
    }
}

#[test]
fn json_differential_holds_on_the_corpus() {
    let inputs = corpus("json_differential");
    assert!(
        inputs.len() >= 100,
        "seed corpus missing: node fuzz/seed.mjs"
    );
    for input in &inputs {
        checks::json_differential(input);
    }
}
