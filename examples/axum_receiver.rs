//! A Coassemble webhook receiver on axum: store, then answer; process from the inbox.
//!
//! ```text
//! COASSEMBLE_WEBHOOK_SECRET=whsec_demo cargo run --example axum_receiver --features inbox-sqlite
//! node testing/cli.js send-test-webhooks http://localhost:3000/webhooks
//! ```
//! From the environment: `DATABASE_URL` (a SQLite file path, default `target/axum-inbox.db`, or
//! `postgres://...` with the feature `inbox-postgres`: run as many instances as you like on one
//! database), `COASSEMBLE_WEBHOOK_SECRET` (several separated by commas during a rotation), `PORT`
//! (default 3000).
//!
//! The answer is 200 only once the delivery is committed to the inbox (or was already there);
//! 400/401 when verification refuses it; 503 when the database cannot store it, so Coassemble retries.
//! Bodies over 1 MiB are refused with 413 as soon as their Content-Length or the bytes read pass the
//! limit (axum's `DefaultBodyLimit`), before any verification. A worker task processes the inbox
//! (4 handler runs at once, leases kept by heartbeats): a failing handler is retried with the row's
//! backoff, a dead one waits for a re-drive (`Inbox::redrive`). Ctrl-C stops both gracefully.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use coassemble_events::webhook::inbox::{Inbox, InboxOptions, Intake, Job, Worker, WorkerOptions};
use coassemble_events::webhook::WebhookEvent;

struct App {
    inbox: Inbox,
    secrets: Vec<String>,
}

async fn receive(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    // The crate does not depend on `http`: hand it the headers as (name, value) pairs. A repeated
    // header (several signatures) is passed joined with ", ", as Node does.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        pairs.push((name.as_str().to_owned(), values.join(", ")));
    }
    // Async all the way: the SQLite inbox awaits its committer thread, PostgreSQL its pool.
    match app.inbox.intake(&pairs, &body, &app.secrets).await {
        Ok(Intake::Stored(_)) => (StatusCode::OK, "stored"),
        Ok(Intake::Duplicate(_)) => (StatusCode::OK, "duplicate"),
        Ok(_) => (StatusCode::OK, "stored"),
        Err(error) => {
            eprintln!("not stored: {error}");
            let status = StatusCode::from_u16(error.http_status())
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, error.code())
        }
    }
}

/// The application's work, at least once per delivery: make its effect idempotent, keyed by
/// `job.delivery.id` (or the signed event id), e.g. an `INSERT ... ON CONFLICT DO NOTHING`. Await your
/// database or HTTP calls here; do not block the thread (a blocking call cannot be cancelled by the
/// handler timeout: use `tokio::task::spawn_blocking` for it).
async fn handle(job: Job) -> Result<(), String> {
    let delivery = &job.delivery;
    let test = if delivery.test { " (test)" } else { "" };
    match &delivery.payload {
        WebhookEvent::CourseCompleted(p) => println!(
            "{}{test}: {} completed {:?} in {} s",
            delivery.id,
            p.tracking.email.as_deref().unwrap_or("a learner"),
            p.course.title.as_deref().unwrap_or("a course"),
            delivery.json["data"]["tracking"]["totalTime"]
        ),
        WebhookEvent::CourseCommenced(p) => println!(
            "{}{test}: learner {:?} started {:?}",
            delivery.id, p.tracking.identifier, p.course.title
        ),
        WebhookEvent::CourseCreated(c) => {
            println!("{}{test}: course {:?} created", delivery.id, c.course.title)
        }
        other => println!(
            "{}{test}: {} (not handled)",
            delivery.id,
            other.event_type().unwrap_or("?")
        ),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secrets: Vec<String> = std::env::var("COASSEMBLE_WEBHOOK_SECRET")
        .unwrap_or_else(|_| "whsec_demo".into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "target/axum-inbox.db".into());
    let inbox = Inbox::open(&url, InboxOptions::default()).await?;
    let limit = inbox.options().max_body_bytes;

    let worker = Worker::new(&inbox, WorkerOptions::default());
    let worker = tokio::spawn(async move {
        worker
            .run(
                async { tokio::signal::ctrl_c().await.unwrap_or(()) },
                handle,
            )
            .await
    });

    let app = Arc::new(App { inbox, secrets });
    let router = Router::new()
        .route("/webhooks", post(receive))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "listening on http://{}/webhooks (inbox: {url})",
        listener.local_addr()?
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    worker.await?;
    Ok(())
}
