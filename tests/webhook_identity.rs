//! `tests/vectors/webhook-identity.json`: the identity rule and the payload variants Coassemble's
//! plugin tolerates, through `verify` (the intake's path). The Node runner is
//! tests/node/webhook-identity.test.mjs (the same vectors through the wasm verifier).
#![cfg(feature = "webhook")]

use std::time::{Duration, UNIX_EPOCH};

use coassemble_events::webhook::{sign, verify, WebhookEvent};
use serde_json::{json, Value};

#[test]
fn identity_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/webhook-identity.json"
    ))
    .unwrap();
    let root: Value = serde_json::from_str(&text).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let note = case["note"].as_str().unwrap();
        let body = case["body"].to_string();
        let event_type = case["body"]["type"].as_str().unwrap();
        let timestamp = 1_784_678_400;
        let signature = sign(b"whsec_identity", timestamp, body.as_bytes());
        let headers = [
            ("X-Coassemble-Event", event_type),
            ("X-Coassemble-Delivery", "d-1"),
            ("X-Coassemble-Timestamp", "1784678400"),
            ("X-Coassemble-Signature", signature.as_str()),
        ];
        let delivery = verify(
            &headers[..],
            body.as_bytes(),
            &["whsec_identity"],
            Duration::from_secs(300),
            UNIX_EPOCH + Duration::from_secs(timestamp),
        )
        .unwrap();
        let expect = &case["expect"];
        assert_eq!(json!(delivery.identity()), expect["identity"], "{note}");
        let (WebhookEvent::CourseCommenced(p) | WebhookEvent::CourseCompleted(p)) =
            &delivery.payload
        else {
            continue;
        };
        assert_eq!(json!(p.course.id), expect["courseId"], "{note}: course id");
        assert_eq!(
            json!(p.tracking.identifier),
            expect["identifier"],
            "{note}: identifier"
        );
        assert_eq!(
            json!(p.tracking.progress_percent),
            expect["progressPercent"],
            "{note}: progress"
        );
        let completed_ms = p
            .tracking
            .completed
            .as_ref()
            .map(|t| t.unix_seconds() * 1000 + i64::from(t.subsec_nanos() / 1_000_000));
        assert_eq!(
            json!(completed_ms),
            expect["completedMs"],
            "{note}: completed"
        );
    }
}
