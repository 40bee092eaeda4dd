//! Every case of `tests/vectors/webhooks.json` through `webhook::verify`, and the typed view of the
//! valid ones. (Duplicates are the inbox's: tests/inbox_conformance.rs.)
#![cfg(feature = "webhook")]

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use coassemble_events::webhook::{verify, Delivery, WebhookError, WebhookEvent};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/webhooks.json"
    ))
    .expect("vectors file");
    let root: Value = serde_json::from_str(&text).expect("vectors are JSON");
    root["cases"].as_array().expect("cases").clone()
}

fn run(case: &Value) -> Result<Delivery, WebhookError> {
    let headers: HashMap<String, String> = case["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let secrets: Vec<&str> = case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let now = UNIX_EPOCH + Duration::from_secs(case["now"].as_u64().unwrap());
    let tolerance = Duration::from_secs(case["toleranceSeconds"].as_u64().unwrap());
    verify(
        &headers,
        case["body"].as_str().unwrap().as_bytes(),
        &secrets,
        tolerance,
        now,
    )
}

#[test]
fn every_vector() {
    let cases = cases();
    assert!(cases.len() >= 15, "all vectors loaded");
    for case in &cases {
        let note = case["note"].as_str().unwrap();
        let expect = &case["expect"];
        match (run(case), expect["ok"].as_bool().unwrap()) {
            (Ok(delivery), true) => {
                if let Some(t) = expect["type"].as_str() {
                    assert_eq!(delivery.event_type, t, "{note}");
                    assert_eq!(delivery.payload.event_type(), Some(t), "{note}");
                }
                if let Some(id) = expect["delivery"].as_str() {
                    assert_eq!(delivery.id, id, "{note}");
                }
                match expect["notJson"].as_bool() {
                    Some(true) => assert!(
                        matches!(delivery.payload, WebhookEvent::NotJson(_)),
                        "{note}: not JSON"
                    ),
                    _ => assert!(
                        !matches!(
                            delivery.payload,
                            WebhookEvent::Unknown(_) | WebhookEvent::NotJson(_)
                        ),
                        "{note}: typed payload"
                    ),
                }
                assert_eq!(delivery.test, expect["test"] == true, "{note}");
            }
            (Err(e), false) => {
                assert_eq!(e.code(), expect["error"].as_str().unwrap(), "{note}: {e}");
                let status = if matches!(e.code(), "stale_timestamp" | "bad_signature") {
                    401
                } else {
                    400
                };
                assert_eq!(e.http_status(), status, "{note}");
            }
            (got, _) => panic!("{note}: unexpected {got:?}"),
        }
    }
}

#[test]
fn typed_payloads_of_the_vectors() {
    let cases = cases();
    let completed = run(&cases[0]).unwrap();
    assert_eq!(completed.timestamp, 1_763_900_000);
    let WebhookEvent::CourseCompleted(p) = &completed.payload else {
        panic!("{completed:?}")
    };
    assert_eq!(
        (p.id.as_deref(), p.workspace_id),
        (Some("evt_01"), Some(4321))
    );
    assert_eq!(
        (p.course.id, p.course.title.as_deref()),
        (Some(981), Some("Onboarding"))
    );
    assert_eq!(p.course.client_identifier.as_deref(), Some("acme-onb"));
    assert_eq!(p.tracking.email.as_deref(), Some("sam@example.com"));
    assert_eq!(p.tracking.total_time, Some(4380));
    assert_eq!(
        p.tracking.completed.as_ref().map(|t| t.unix_seconds()),
        Some(1_763_899_980)
    );
    assert_eq!(
        p.occurred_at.as_ref().map(|t| t.as_str()),
        Some("2025-11-23T12:13:20Z")
    );

    let by_note = |note: &str| cases.iter().find(|c| c["note"] == note).unwrap();
    let commenced = run(by_note("valid commenced, email null")).unwrap();
    let WebhookEvent::CourseCommenced(p) = &commenced.payload else {
        panic!("{commenced:?}")
    };
    assert_eq!(
        (p.tracking.email.as_deref(), p.tracking.completed.as_ref()),
        (None, None)
    );
    assert_eq!(
        p.tracking.commenced.as_ref().unwrap().unix_seconds(),
        1_763_895_600
    );

    let created = run(by_note("valid created, no tracking record")).unwrap();
    let WebhookEvent::CourseCreated(c) = &created.payload else {
        panic!("{created:?}")
    };
    assert_eq!(
        (c.course.id, c.course.client_identifier.as_ref()),
        (Some(982), None)
    );

    // The serialised form (what the JS binding returns) is flat camelCase with nulls kept.
    let json = serde_json::to_value(&commenced.payload).unwrap();
    assert_eq!(json["tracking"]["email"], Value::Null);
    assert_eq!(json["tracking"]["totalTime"], 4380);
    assert_eq!(json["course"]["clientIdentifier"], "acme-onb");
}

#[test]
fn lenient_view_of_a_signed_body_with_unexpected_fields() {
    let cases = cases();
    let case = cases
        .iter()
        .find(|c| c["note"] == "fractional totalTime, offset without colon, unknown field")
        .unwrap();
    let delivery = run(case).unwrap();
    let WebhookEvent::CourseCompleted(p) = &delivery.payload else {
        panic!("{delivery:?}")
    };
    assert_eq!(
        (p.tracking.total_time, p.occurred_at.as_ref()),
        (None, None)
    );
    assert_eq!(p.tracking.email.as_deref(), Some("sam@example.com"));
    assert_eq!(delivery.json["data"]["tracking"]["totalTime"], 12.5);
    assert_eq!(delivery.json["occurredAt"], "2026-11-23T12:00:00+0000");
    assert_eq!(
        delivery.json["data"]["tracking"]["newField"]["nested"],
        true
    );
}
