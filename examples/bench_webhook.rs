//! Native verification throughput on 1 KB bodies, for comparison with `bench/webhooks.mjs`.
//!
//! ```text
//! cargo run --release --example bench_webhook --features webhook
//! ```
//! Prints ops/s of a full [`verify`] (headers, timestamp, HMAC-SHA256, JSON decode) and of the
//! HMAC alone ([`sign`]). No assertions: figures depend on the machine.

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use coassemble_events::webhook::{sign, verify};

const SECRET: &str = "whsec_bench_0123456789";
const TIMESTAMP: u64 = 1_763_900_000;

/// A `course.completed` body padded to exactly 1024 bytes.
fn body_1kb() -> Vec<u8> {
    let head = r#"{"id":"evt_bench","type":"course.completed","occurredAt":"2025-11-23T12:13:20Z","workspaceId":4321,"data":{"course":{"id":981,"title":""#;
    let tail = r#"","key":"onb-1","clientIdentifier":"acme-onb"},"tracking":{"id":5551,"identifier":"learner-77","email":"sam@example.com","commenced":"2025-11-23T11:00:00Z","completed":"2025-11-23T12:13:00Z","totalTime":4380}}}"#;
    let pad = 1024 - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(pad)).into_bytes()
}

fn rate(name: &str, mut op: impl FnMut()) {
    for _ in 0..1000 {
        op();
    }
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed() < Duration::from_secs(2) {
        for _ in 0..1000 {
            op();
        }
        n += 1000;
    }
    let ops = n as f64 / start.elapsed().as_secs_f64();
    println!("{name:<44} {ops:>12.0} ops/s");
}

fn main() {
    let body = body_1kb();
    assert_eq!(body.len(), 1024);
    let signature = sign(SECRET.as_bytes(), TIMESTAMP, &body);
    let timestamp = TIMESTAMP.to_string();
    let headers = [
        ("X-Coassemble-Event", "course.completed"),
        (
            "X-Coassemble-Delivery",
            "3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90",
        ),
        ("X-Coassemble-Timestamp", timestamp.as_str()),
        ("X-Coassemble-Signature", signature.as_str()),
    ];
    let now = UNIX_EPOCH + Duration::from_secs(TIMESTAMP);
    println!(
        "native Rust, 1 KB body ({} {})",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    rate("rust verify (HMAC + JSON decode)", || {
        black_box(
            verify(
                &headers[..],
                black_box(&body),
                &[SECRET],
                Duration::from_secs(300),
                now,
            )
            .unwrap(),
        );
    });
    rate("rust HMAC-SHA256 only (sign)", || {
        black_box(sign(SECRET.as_bytes(), TIMESTAMP, black_box(&body)));
    });
}
