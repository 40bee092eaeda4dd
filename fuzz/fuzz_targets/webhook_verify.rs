//! The webhook verifier on arbitrary deliveries.
//!
//! Input: `<mode byte><timestamp text>\n<signature text>\n<body>`. Mode bit 0 set: the signature
//! header is the input's text (exercises header parsing and the constant-time compare); clear: the
//! body is signed correctly, so verification reaches the JSON payload decoder with arbitrary bytes.
//! Besides "never panics": a correctly signed, fresh delivery is never refused for its signature,
//! timestamp or headers.
#![no_main]

use coassemble_events::webhook::{sign, verify, WebhookError};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

const SECRET: &str = "whsec_fuzz";
const NOW: u64 = 1_763_900_000;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let timestamp_text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let signature_text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    let signed = mode & 1 == 0;
    let (timestamp, signature) = if signed {
        // A fresh timestamp within the window, chosen by the input.
        let timestamp = NOW - u64::from(mode >> 1);
        (timestamp.to_string(), sign(SECRET.as_bytes(), timestamp, body))
    } else {
        (timestamp_text, signature_text)
    };
    let headers = [
        ("X-Coassemble-Event", "course.completed"),
        ("X-Coassemble-Delivery", "3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90"),
        ("X-Coassemble-Timestamp", timestamp.as_str()),
        ("X-Coassemble-Signature", signature.as_str()),
    ];
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let result = verify(&headers[..], body, &["whsec_old", SECRET], Duration::from_secs(300), now);
    if signed {
        match result {
            Ok(delivery) => assert_eq!(delivery.id, "3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90"),
            Err(WebhookError::InvalidJson(_)) => {}
            Err(other) => panic!("a correctly signed fresh delivery was refused: {other:?}"),
        }
    } else if let Err(error) = result {
        assert!((400..500).contains(&error.http_status()));
    }
});
