//! Property: a signed delivery verifies, and any change to its body, timestamp or signature makes
//! verification fail.
#![cfg(feature = "webhook")]

use std::time::{Duration, UNIX_EPOCH};

use coassemble_events::webhook::{sign, verify, Delivery, WebhookError};
use proptest::prelude::*;

const SECRET: &[u8] = b"whsec_prop";
const NOW: u64 = 1_763_900_000;

fn check(body: &[u8], timestamp: &str, signature: &str) -> Result<Delivery, WebhookError> {
    let headers = [
        ("X-Coassemble-Event", "course.created"),
        ("X-Coassemble-Delivery", "d-prop"),
        ("X-Coassemble-Timestamp", timestamp),
        ("X-Coassemble-Signature", signature),
    ];
    verify(
        &headers[..],
        body,
        &[SECRET],
        Duration::from_secs(300),
        UNIX_EPOCH + Duration::from_secs(NOW),
    )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    ("[a-z0-9 ]{0,40}", 0u64..1_000_000).prop_map(|(title, id)| {
        format!(r#"{{"id":"evt_p","type":"course.created","occurredAt":"2025-11-23T12:13:20Z","workspaceId":1,"data":{{"course":{{"id":{id},"title":"{title}"}}}}}}"#)
            .into_bytes()
    })
}

proptest! {
    #[test]
    fn signed_delivery_verifies(body in body(), skew in 0u64..=300) {
        let ts = NOW - skew;
        prop_assert!(check(&body, &ts.to_string(), &sign(SECRET, ts, &body)).is_ok());
    }

    #[test]
    fn changed_body_fails(body in body(), index in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let signature = sign(SECRET, NOW, &body);
        let mut changed = body.clone();
        let i = index.index(changed.len());
        changed[i] ^= flip;
        prop_assert_eq!(check(&changed, &NOW.to_string(), &signature).unwrap_err(), WebhookError::BadSignature);
    }

    #[test]
    fn appended_or_truncated_body_fails(body in body(), extra in prop::collection::vec(any::<u8>(), 1..8), cut in 1usize..8) {
        let signature = sign(SECRET, NOW, &body);
        let mut longer = body.clone();
        longer.extend(&extra);
        prop_assert!(check(&longer, &NOW.to_string(), &signature).is_err());
        prop_assert!(check(&body[..body.len() - cut], &NOW.to_string(), &signature).is_err());
    }

    #[test]
    fn changed_timestamp_fails(body in body(), delta in -300i64..=300) {
        prop_assume!(delta != 0);
        let signature = sign(SECRET, NOW, &body);
        let other = (NOW as i64 + delta) as u64;
        prop_assert!(check(&body, &other.to_string(), &signature).is_err());
    }

    #[test]
    fn changed_signature_fails(body in body(), index in any::<prop::sample::Index>(), digit in "[0-9a-f]") {
        let signature = sign(SECRET, NOW, &body);
        let hex_start = "sha256=".len();
        let i = hex_start + index.index(signature.len() - hex_start);
        prop_assume!(&signature[i..=i] != digit.as_str());
        let mut changed = signature.clone();
        changed.replace_range(i..=i, &digit);
        prop_assert_eq!(check(&body, &NOW.to_string(), &changed).unwrap_err(), WebhookError::BadSignature);
    }

    #[test]
    fn other_secret_fails(body in body(), secret in "[a-z_]{1,20}") {
        prop_assume!(secret.as_bytes() != SECRET);
        let signature = sign(secret.as_bytes(), NOW, &body);
        prop_assert_eq!(check(&body, &NOW.to_string(), &signature).unwrap_err(), WebhookError::BadSignature);
    }
}

#[test]
fn reformatted_timestamp_fails() {
    let body = br#"{"id":"e","type":"x.y"}"#;
    let signature = sign(SECRET, NOW, body);
    assert!(check(body, &NOW.to_string(), &signature).is_ok());
    for text in [format!("0{NOW}"), format!("+{NOW}"), format!("{NOW}.0")] {
        assert!(check(body, &text, &signature).is_err(), "{text}");
    }
}
