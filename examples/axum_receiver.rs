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
//! Bodies over 1 MiB (`InboxOptions::max_body_bytes`) are refused with 413 as soon as their
//! Content-Length or the bytes read pass the limit, before any verification; a body that has not fully
//! arrived within 10 s (`InboxOptions::body_timeout`) gets 408. Both answers say `Connection: close`,
//! and what the client still sends is read and dropped (at most 16 MiB or 2 s) before the connection
//! closes, so that the client reads the answer instead of a reset (see [`body`]). A worker task processes the inbox
//! (4 handler runs at once, leases kept by heartbeats): a failing handler is retried with the row's
//! backoff, a dead one waits for a re-drive (`Inbox::redrive`). Ctrl-C stops both gracefully.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use coassemble_events::webhook::inbox::{Inbox, InboxOptions, Intake, Job, Worker, WorkerOptions};
use coassemble_events::webhook::WebhookEvent;

/// Reading a request body with the inbox's limit and timeout, and the staged close after an early
/// answer. (axum's `DefaultBodyLimit` answers 413 in time, but hyper then closes the connection with the
/// rest of the body unread in its socket: the kernel resets it, and a client still sending loses the
/// answer, sees "connection reset" and sends the same body again. It has no body timeout either.)
pub mod body {
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::time::Duration;

    use axum::body::{Body, Bytes, HttpBody};
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use tokio::time::{timeout_at, Instant};

    /// After an early answer, what the client still sends is read and dropped, at most this much; then
    /// nothing more is read, but the connection stays open until [`DRAIN_TIME`]: TCP flow control
    /// stops the client, which reads the answer and closes. (Closing as soon as 16 MiB were dropped
    /// lost the 413 in 1 of 6 fault-test runs: over loopback a client pushes 16 MiB in about 6 ms,
    /// before its event loop reads the answer, and the close with unread bytes resets the connection.)
    pub const DRAIN_BYTES: usize = 16 << 20;
    /// The staged close ends by then at the latest, or earlier when the body ends or the client
    /// closes (the values of the Node inbox).
    pub const DRAIN_TIME: Duration = Duration::from_secs(2);

    /// The whole body, or the early answer: 413 (`body_too_large`) as soon as the declared
    /// Content-Length or the bytes read pass `limit` (nothing beyond the limit plus one chunk is
    /// held), 408 (`body_timeout`) when it has not fully arrived within `timeout`.
    pub async fn read(
        headers: &HeaderMap,
        mut body: Body,
        limit: usize,
        timeout: Duration,
    ) -> Result<Bytes, Response> {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(early(
                headers,
                body,
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
            ));
        }
        let deadline = Instant::now() + timeout;
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        loop {
            match timeout_at(deadline, poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))).await {
                Err(_) => {
                    return Err(early(
                        headers,
                        body,
                        StatusCode::REQUEST_TIMEOUT,
                        "body_timeout",
                    ))
                }
                Ok(None) => return Ok(Bytes::from(bytes)),
                // The client went away or sent a malformed body: nobody reads an answer.
                Ok(Some(Err(_))) => return Err(StatusCode::BAD_REQUEST.into_response()),
                Ok(Some(Ok(frame))) => {
                    if let Some(data) = frame.data_ref() {
                        if bytes.len() + data.len() > limit {
                            let status = StatusCode::PAYLOAD_TOO_LARGE;
                            return Err(early(headers, body, status, "body_too_large"));
                        }
                        bytes.extend_from_slice(data);
                    }
                }
            }
        }
    }

    /// An answer before the body's end: `Connection: close`, and a staged close (RFC 9112 §9.6): a
    /// task reads and drops what still comes (at most [`DRAIN_BYTES`]) until the body ends, the client
    /// closes, or [`DRAIN_TIME`] has passed, then drops the body, and hyper closes the connection once
    /// the answer is written. Closing at once, with unread bytes in the socket, would reset the
    /// connection under the client's feet, often before it read the answer. A client that
    /// asked `Expect: 100-continue` has sent no body yet: reading would invite it, so nothing is.
    fn early(
        headers: &HeaderMap,
        mut body: Body,
        status: StatusCode,
        code: &'static str,
    ) -> Response {
        let waits = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if waits {
            drop(body);
            return (status, [(header::CONNECTION, "close")], code).into_response();
        }
        tokio::spawn(async move {
            let deadline = Instant::now() + DRAIN_TIME;
            let mut drained = 0;
            while let Ok(Some(Ok(frame))) =
                timeout_at(deadline, poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))).await
            {
                drained += frame.data_ref().map_or(0, |data| data.len());
                if drained > DRAIN_BYTES {
                    // Read no more (nothing is buffered: the client is held by flow control) and
                    // leave it until the deadline to read the answer and close.
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
            }
        });
        (status, [(header::CONNECTION, "close")], code).into_response()
    }
}

struct App {
    inbox: Inbox,
    secrets: Vec<String>,
}

async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let options = app.inbox.options();
    let body = match body::read(&headers, body, options.max_body_bytes, options.body_timeout).await
    {
        Ok(body) => body,
        Err(early) => return early,
    };
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
        Ok(Intake::Stored(_)) => (StatusCode::OK, "stored").into_response(),
        Ok(Intake::Duplicate(_)) => (StatusCode::OK, "duplicate").into_response(),
        Ok(_) => (StatusCode::OK, "stored").into_response(),
        Err(error) => {
            eprintln!("not stored: {error}");
            let status = StatusCode::from_u16(error.http_status())
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, error.code()).into_response()
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
        // No `DefaultBodyLimit` layer: `body::read` applies the limit (it does not apply to `Body`).
        .route("/webhooks", post(receive))
        .with_state(app);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "listening on http://{}/webhooks (inbox: {url})",
        listener.local_addr()?
    );
    // `axum::serve` gives hyper no timer, so hyper's header read timeout is off: a client that sends
    // its headers a byte at a time holds a connection. A reverse proxy in front (as usual) has one; or
    // serve with `hyper_util` and `http1::Builder::timer(..).header_read_timeout(..)`. The body, once
    // the headers are in, is bounded by `body_timeout` (see `body::read`).
    axum::serve(listener, router)
        .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    worker.await?;
    Ok(())
}
