//! A Coassemble webhook receiver on axum: verify, deduplicate durably, answer fast, process after.
//!
//! ```text
//! COASSEMBLE_WEBHOOK_SECRET=whsec_demo cargo run --example axum_receiver --features webhook
//! node scripts/send-test-webhooks.mjs http://localhost:3000/webhooks
//! ```
//! `PORT` (default 3000) and `DELIVERY_LOG` (default `target/axum-deliveries.log`) are read from the
//! environment; `COASSEMBLE_WEBHOOK_SECRET` may list several secrets separated by commas (rotation).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use coassemble_events::webhook::{
    verify, Begin, Delivery, DeliveryStore, FileStore, WebhookEvent, DEFAULT_TOLERANCE,
};

struct App {
    secrets: Vec<String>,
    store: FileStore,
}

async fn receive(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    // The crate does not depend on `http`: hand it the headers as (name, value) pairs.
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    // `body` is the raw bytes: verify before any JSON parsing.
    let delivery = match verify(
        &pairs,
        &body,
        &app.secrets,
        DEFAULT_TOLERANCE,
        SystemTime::now(),
    ) {
        Ok(delivery) => delivery,
        Err(e) => {
            eprintln!("refused: {e}");
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            return (status, e.code());
        }
    };
    match app.store.begin(&delivery.id) {
        Begin::Duplicate => return (StatusCode::OK, "duplicate"),
        // Coassemble retries a non-2xx later, when the running attempt has completed or failed.
        Begin::InProgress => return (StatusCode::CONFLICT, "in_progress"),
        Begin::Process => {}
    }
    // Acknowledge now (Coassemble waits 10 s at most); process afterwards, then record it as done.
    // A blocking task, because `complete` waits for fsync.
    tokio::task::spawn_blocking(move || match process(&delivery) {
        Ok(()) => {
            if let Err(e) = app.store.complete(&delivery.id) {
                eprintln!("could not record {}: {e}", delivery.id);
            }
        }
        Err(e) => {
            eprintln!("processing {} failed: {e}", delivery.id);
            app.store.fail(&delivery.id);
        }
    });
    (StatusCode::OK, "accepted")
}

fn process(delivery: &Delivery) -> Result<(), String> {
    let test = if delivery.test { " (test)" } else { "" };
    match &delivery.payload {
        WebhookEvent::CourseCompleted(p) => println!(
            "{}{test}: {} completed \"{}\" in {} s",
            delivery.id,
            p.tracking.email.as_deref().unwrap_or("a learner"),
            p.course.title,
            p.tracking.total_time
        ),
        WebhookEvent::CourseCommenced(p) => {
            println!(
                "{}{test}: learner {} started \"{}\"",
                delivery.id, p.tracking.id, p.course.title
            )
        }
        WebhookEvent::CourseCreated(c) => println!(
            "{}{test}: course \"{}\" created",
            delivery.id, c.course.title
        ),
        other => println!(
            "{}{test}: {} (not handled)",
            delivery.id,
            other.event_type().unwrap_or("?")
        ),
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let secrets: Vec<String> = std::env::var("COASSEMBLE_WEBHOOK_SECRET")
        .unwrap_or_else(|_| "whsec_demo".into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let log = std::env::var("DELIVERY_LOG").unwrap_or_else(|_| "target/axum-deliveries.log".into());
    let app = Arc::new(App {
        secrets,
        // Ids older than a day are dropped on start: Coassemble's retries span about 36 minutes.
        store: FileStore::open_with_retention(&log, Duration::from_secs(24 * 3600))?,
    });
    let router = Router::new()
        .route("/webhooks", post(receive))
        .with_state(app);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "listening on http://{}/webhooks (deliveries logged in {log})",
        listener.local_addr()?
    );
    axum::serve(listener, router).await
}
