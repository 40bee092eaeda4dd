//! The webhook inbox: store a verified delivery, then answer; process it from the store, off the
//! request path, with leases, heartbeats, retries and dead letters. Async (tokio).
//!
//! Coassemble retries a delivery only when it gets no 2xx, so a receiver answers 2xx only once the
//! delivery is durably stored (committed), and never because it was processed. [`Inbox::intake`]
//! verifies and stores; a [`Worker`] claims stored deliveries with a lease, runs the application's
//! handler and records the outcome. A worker that dies loses its lease when it expires and another
//! worker takes the delivery over, so processing is **at least once**: make the handler's effect
//! idempotent, keyed by the delivery id (e.g. an `INSERT ... ON CONFLICT DO NOTHING` in the same
//! database).
//!
//! Two backends share one contract, the schema and statements in `sql/inbox.sqlite.sql` and
//! `sql/inbox.postgres.sql` (included here, and read by the Node package, so a Rust and a Node receiver
//! can serve one database): SQLite (feature `inbox-sqlite`, bundled; one machine, one or several
//! processes) and PostgreSQL (feature `inbox-postgres`; many instances, TLS). A delivery's life:
//!
//! | [`Status`] | meaning |
//! |---|---|
//! | `received` | stored by the intake (the 2xx was sent after the commit); claimable |
//! | `processing` | a worker holds a lease, renewed by heartbeats while the handler runs; an expired lease makes it claimable again |
//! | `processed` | the handler returned `Ok`; removed after [`InboxOptions::retention`] |
//! | `failed` | the handler failed or timed out; claimable again after the row's backoff |
//! | `dead` | failed the row's `max_attempts` times, or not JSON: kept until [`Inbox::redrive`] or [`Inbox::purge_dead`] |
//!
//! **The lifecycle is decided on the row**: the intake writes [`InboxOptions::max_attempts`],
//! [`InboxOptions::first_retry`] and [`InboxOptions::max_retry`] on each row it stores, so every worker
//! of a fleet (Rust or Node, any options) runs a delivery the same number of times with the same waits.
//! Workers choose only how they run: [`WorkerOptions`] (concurrency, lease, heartbeat, handler timeout).
//!
//! Defaults (the same in the Node package): max_attempts 10, first_retry 10 s doubling up to max_retry
//! 1 h, lease 30 s renewed by a heartbeat every lease/3, handler_timeout 20 s, retention of processed
//! rows 7 days (removed by workers in batches of 500, at most once a minute; dead rows are kept),
//! concurrency 4 per worker, body limit 1 MiB, timestamp tolerance 300 s; PostgreSQL: pool of 10, connect,
//! acquire and statement timeouts 10 s, `sslmode=prefer` (see [`InboxOptions`]).
//!
//! ```
//! # #[cfg(feature = "inbox-sqlite")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use coassemble_events::webhook::inbox::{Inbox, InboxOptions, Intake, Worker, WorkerOptions};
//! use coassemble_events::webhook::{sign, WebhookEvent};
//! use std::time::{SystemTime, UNIX_EPOCH};
//!
//! let dir = std::env::temp_dir().join(format!("inbox-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let url = dir.join("inbox.db").display().to_string(); // or "postgres://...?sslmode=verify-full"
//! let inbox = Inbox::open(&url, InboxOptions::default()).await?;
//!
//! let body = br#"{"id":"evt_1","type":"course.completed","data":{"tracking":{"totalTime":12.5}}}"#;
//! let timestamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
//! let signature = sign(b"whsec_current", timestamp, body);
//! let headers = [
//!     ("X-Coassemble-Event", "course.completed"),
//!     ("X-Coassemble-Delivery", "d-1"),
//!     ("X-Coassemble-Timestamp", &timestamp.to_string()),
//!     ("X-Coassemble-Signature", &signature),
//! ];
//! // In the HTTP handler: 200 for Stored and Duplicate, error.http_status() otherwise (400/401/413/503).
//! let secrets = ["whsec_current"];
//! assert!(matches!(inbox.intake(&headers[..], body, &secrets).await?, Intake::Stored(_)));
//! assert!(matches!(inbox.intake(&headers[..], body, &secrets).await?, Intake::Duplicate(_)));
//!
//! // A worker: `worker.run(shutdown, handler).await` loops until `shutdown` completes; run_once claims
//! // what its free slots allow (concurrency 4), runs them concurrently and records each outcome.
//! let worker = Worker::new(&inbox, WorkerOptions::default());
//! let report = worker
//!     .run_once(|job| async move {
//!         match &job.delivery.payload {
//!             WebhookEvent::CourseCompleted(progress) => {
//!                 assert_eq!(progress.tracking.total_time, None); // 12.5 is not whole seconds...
//!                 assert_eq!(job.delivery.json["data"]["tracking"]["totalTime"], 12.5); // ...kept here
//!                 Ok(())
//!             }
//!             _ => Err("unexpected event"),
//!         }
//!     })
//!     .await?;
//! assert_eq!(report.processed, 1);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "inbox-sqlite"))]
//! # fn main() {}
//! ```

#[cfg(feature = "inbox-postgres")]
mod postgres;
#[cfg(feature = "inbox-sqlite")]
mod sqlite;

#[cfg(feature = "inbox-postgres")]
pub use postgres::connect_postgres;
#[cfg(feature = "inbox-sqlite")]
pub use sqlite::sqlite_busy_handler;

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{verify, Delivery, Headers, WebhookError, WebhookEvent, DEFAULT_TOLERANCE};

/// Where a delivery is in its life (the `status` column). See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Stored, not yet claimed.
    Received,
    /// Claimed by a worker whose lease has not expired.
    Processing,
    /// The handler returned `Ok`.
    Processed,
    /// The handler failed; claimable again after the backoff.
    Failed,
    /// Kept for an operator: failed too often, or not JSON. See [`Inbox::redrive`].
    Dead,
}

impl Status {
    /// The name stored in the database and shown by the demo's API.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Processing => "processing",
            Status::Processed => "processed",
            Status::Failed => "failed",
            Status::Dead => "dead",
        }
    }

    fn parse(name: &str) -> Result<Status, StoreError> {
        Ok(match name {
            "received" => Status::Received,
            "processing" => Status::Processing,
            "processed" => Status::Processed,
            "failed" => Status::Failed,
            "dead" => Status::Dead,
            other => return Err(StoreError::new(format!("unknown status {other:?}"))),
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The inbox could not read or write its database (down, unreachable, disk full, locked too long).
/// The intake answers it with 503, so that Coassemble retries.
#[derive(Debug, Clone)]
pub struct StoreError(Arc<dyn std::error::Error + Send + Sync>);

impl StoreError {
    fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
        StoreError(Arc::from(error.into()))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook inbox database: {}", self.0)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// What [`Inbox::intake`] did with a verified delivery. Answer both with 200.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Intake {
    /// Committed to the inbox now. A body that is not JSON is stored as `dead` with that reason.
    Stored(Delivery),
    /// The delivery id was already stored (a retry of a delivery): nothing new was stored.
    Duplicate(Delivery),
}

/// Why [`Inbox::intake`] did not store a delivery; [`http_status`](IntakeError::http_status) is the
/// answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum IntakeError {
    /// Verification refused it (400 or 401): not from Coassemble, stale, or malformed headers.
    Refused(WebhookError),
    /// It is authentic but could not be stored (503): Coassemble will retry.
    Unavailable(StoreError),
    /// The body is longer than [`InboxOptions::max_body_bytes`] (413): not verified, not stored. An
    /// HTTP server should refuse it before reading it all (see `examples/axum_receiver.rs`).
    TooLarge {
        /// The limit, bytes.
        limit: usize,
    },
}

impl IntakeError {
    /// 400 or 401 for a refusal ([`WebhookError::http_status`]), 413 for a body over the limit, 503
    /// when the store is unavailable.
    pub fn http_status(&self) -> u16 {
        match self {
            IntakeError::Refused(error) => error.http_status(),
            IntakeError::Unavailable(_) => 503,
            IntakeError::TooLarge { .. } => 413,
        }
    }

    /// A stable code: the [`WebhookError::code`], `store_unavailable` or `body_too_large`.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::Refused(error) => error.code(),
            IntakeError::Unavailable(_) => "store_unavailable",
            IntakeError::TooLarge { .. } => "body_too_large",
        }
    }
}

impl fmt::Display for IntakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntakeError::Refused(error) => error.fmt(f),
            IntakeError::Unavailable(error) => error.fmt(f),
            IntakeError::TooLarge { limit } => write!(f, "the body is longer than {limit} bytes"),
        }
    }
}

impl std::error::Error for IntakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IntakeError::Refused(error) => Some(error),
            IntakeError::Unavailable(error) => Some(error),
            IntakeError::TooLarge { .. } => None,
        }
    }
}

/// One row of [`Inbox::list`]: where a delivery is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The delivery id.
    pub id: String,
    /// The event type.
    pub event_type: String,
    /// Where it is in its life.
    pub status: Status,
    /// Handler runs so far (claims, including one whose worker died).
    pub attempts: u32,
    /// Runs allowed before it is dead (written by the intake, [`InboxOptions::max_attempts`]).
    pub max_attempts: u32,
    /// When it was stored, unix milliseconds.
    pub received_at: i64,
    /// The lease's end while `processing`, the next run while `received` or `failed`.
    pub run_at: i64,
    /// When its handler returned `Ok`, unix milliseconds.
    pub processed_at: Option<i64>,
    /// Why the last run failed, or why it is dead.
    pub last_error: Option<String>,
    /// A test delivery (`"test": true` in the signed body).
    pub test: bool,
}

/// Which dead deliveries [`Inbox::redrive`] makes claimable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redrive<'a> {
    /// The dead delivery with this id.
    One(&'a str),
    /// Every dead delivery.
    AllDead,
}

/// Which dead deliveries [`Inbox::purge_dead`] removes (the same choice as [`Redrive`]).
pub type Purge<'a> = Redrive<'a>;

/// A delivery to store (the `insert` statement's parameters), owned: the SQLite committer thread and
/// the PostgreSQL pool outlive the caller's borrow.
#[derive(Debug, Clone)]
struct NewRow {
    id: String,
    event_type: String,
    signed_at: i64,
    received_at: i64,
    body: Vec<u8>,
    event_id: Option<String>,
    test: bool,
    status: Status,
    last_error: Option<String>,
    max_attempts: u32,
    retry_first_ms: i64,
    retry_max_ms: i64,
    /// [`Delivery::identity`]: the unique key of a learner's commenced / completed event.
    identity: Option<String>,
    /// Stored by reconciliation (the Node inbox's `reconcile`); an intake writes `false`.
    reconciled: bool,
}

/// A claimed row (the `claim` statement's result).
struct Claimed {
    id: String,
    event_type: String,
    signed_at: i64,
    received_at: i64,
    body: Vec<u8>,
    attempts: u32,
    max_attempts: u32,
}

/// The text of the statement `name` in one of the SQL files: the lines after `-- name: <name>` up to
/// the next such line, without comment lines. `schema` keeps all its statements (run as a batch).
fn statement(sql: &'static str, name: &str) -> String {
    let marker = format!("-- name: {name}\n");
    let start = sql
        .find(&marker)
        .map(|at| at + marker.len())
        .unwrap_or_else(|| panic!("sql file lacks statement {name}"));
    let end = sql[start..]
        .find("-- name: ")
        .map_or(sql.len(), |at| start + at);
    let text: Vec<&str> = sql[start..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect();
    text.join("\n").trim().trim_end_matches(';').to_owned()
}

fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The two backends. An enum rather than a trait object: async methods, no boxing crate.
#[derive(Clone)]
enum Backend {
    #[cfg(feature = "inbox-sqlite")]
    Sqlite(Arc<sqlite::SqliteStore>),
    #[cfg(feature = "inbox-postgres")]
    Postgres(Arc<postgres::PostgresStore>),
}

/// Runs `$call` on whichever store this is: SQLite's blocking calls on tokio's blocking pool,
/// PostgreSQL's natively async ones awaited.
macro_rules! dispatch {
    ($backend:expr, |$store:ident| $call:expr) => {
        match $backend {
            #[cfg(feature = "inbox-sqlite")]
            Backend::Sqlite(store) => {
                let $store = store.clone();
                tokio::task::spawn_blocking(move || $call)
                    .await
                    .map_err(|e| StoreError::new(format!("the database task failed: {e}")))?
            }
            #[cfg(feature = "inbox-postgres")]
            Backend::Postgres(store) => {
                let $store = store.clone();
                $call.await
            }
        }
    };
}

impl Backend {
    async fn insert(&self, row: NewRow) -> Result<bool, StoreError> {
        match self {
            // The committer thread answers on a oneshot channel: nothing blocks the runtime.
            #[cfg(feature = "inbox-sqlite")]
            Backend::Sqlite(store) => store.insert(row).await,
            #[cfg(feature = "inbox-postgres")]
            Backend::Postgres(store) => store.insert(row).await,
        }
    }

    /// `claim` (which also buries leases expired on their last run: not returned).
    async fn claim(
        &self,
        now: i64,
        worker: String,
        lease: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        dispatch!(self, |s| s.claim(now, &worker, lease, limit))
    }

    async fn heartbeat(
        &self,
        id: String,
        worker: String,
        attempts: u32,
        until: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, |s| s.heartbeat(&id, &worker, attempts, until))
    }

    async fn complete(
        &self,
        id: String,
        worker: String,
        attempts: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, |s| s.complete(&id, &worker, attempts, now))
    }

    async fn fail(
        &self,
        lease: LeaseKey,
        now: i64,
        error: String,
        last: bool,
    ) -> Result<bool, StoreError> {
        dispatch!(self, |s| s.fail(
            &lease.id,
            &lease.worker,
            lease.attempts,
            now,
            &error,
            last
        ))
    }

    async fn redrive(&self, id: Option<String>, now: i64) -> Result<u64, StoreError> {
        dispatch!(self, |s| s.redrive(id.as_deref(), now))
    }

    async fn purge_processed(&self, cutoff: i64, batch: u32) -> Result<u64, StoreError> {
        dispatch!(self, |s| s.purge_processed(cutoff, batch))
    }

    async fn purge_dead(&self, id: Option<String>) -> Result<u64, StoreError> {
        dispatch!(self, |s| s.purge_dead(id.as_deref()))
    }

    async fn list(&self, status: Option<Status>, limit: u32) -> Result<Vec<Entry>, StoreError> {
        dispatch!(self, |s| s.list(status, limit))
    }

    async fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        dispatch!(self, |s| s.counts())
    }
}

/// The fencing token of a lease: which row, which worker, which run.
#[derive(Debug, Clone)]
struct LeaseKey {
    id: String,
    worker: String,
    attempts: u32,
}

/// Where the inbox and its workers read the time: the system clock, or one a test moves.
///
/// Every time the inbox writes (received, lease ends, backoffs, retention cut-offs) and the intake's
/// timestamp check read this clock. Timeouts and waits (handler timeout, heartbeat period, idle wait)
/// are real time.
///
/// ```
/// use coassemble_events::webhook::inbox::Clock;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let ms = Arc::new(AtomicU64::new(1_700_000_000_000));
/// let read = ms.clone();
/// let clock = Clock::new(move || UNIX_EPOCH + Duration::from_millis(read.load(Ordering::SeqCst)));
/// ms.fetch_add(30_000, Ordering::SeqCst);
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_millis(1_700_000_030_000));
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// `SystemTime::now()`.
    pub fn system() -> Clock {
        Clock(Arc::new(SystemTime::now))
    }

    /// A clock that reads `now`.
    pub fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The time now.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }

    fn now_ms(&self) -> i64 {
        unix_ms(self.now())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// How an [`Inbox`] stores deliveries: the lifecycle written on each row, the intake's checks, and the
/// database connection. `Default` is what the Node package uses too.
///
/// PostgreSQL URLs take `sslmode` and `sslrootcert` parameters (read here, not by `tokio-postgres`):
///
/// | `sslmode` | TLS | certificate |
/// |---|---|---|
/// | `disable` | never | — |
/// | `prefer` (default) | when the server offers it, else plaintext | verified as `verify-full`; a certificate that fails verification is an **error**, never a silent fallback to plaintext or to an unverified connection |
/// | `require`, `verify-full` | always | chain and host name verified (as Node's `pg` reads `require`) |
/// | `verify-ca` | always | chain verified, host name not |
/// | `no-verify` | always | not verified (explicit opt-out: encryption without authentication) |
///
/// Roots: `sslrootcert=<path>` (a PEM file of one or more certificates) or
/// [`InboxOptions::tls_roots_pem`]; when neither is given, the Mozilla roots (`webpki-roots`). A
/// self-signed server certificate that is itself one of the given roots is accepted as that root
/// (with its host name checked for `verify-full`: its subjectAltName, else its common name).
#[derive(Debug, Clone)]
pub struct InboxOptions {
    /// Runs before a delivery is dead (a run whose worker died or timed out counts). Written on each
    /// row by the intake. Default 10.
    pub max_attempts: u32,
    /// The wait after the first failed run; it doubles on each later one (written on the row).
    /// Default 10 s.
    pub first_retry: Duration,
    /// The longest wait between runs (written on the row). Default 1 h.
    pub max_retry: Duration,
    /// How long processed rows are kept (workers remove older ones, in batches of 500, at most once a
    /// minute). Keep it well past Coassemble's retry window: a retry of a removed delivery would be
    /// stored and run again. Dead rows are never removed by it. Default 7 days.
    pub retention: Duration,
    /// The intake's timestamp tolerance. Default [`DEFAULT_TOLERANCE`] (300 s).
    pub tolerance: Duration,
    /// The longest body the intake accepts ([`IntakeError::TooLarge`], 413). Default 1 MiB.
    pub max_body_bytes: usize,
    /// How long the HTTP server in front of the inbox gives a request body to arrive in full, from the
    /// end of its headers; a body still incomplete then is answered 408 (`body_timeout`) and its
    /// connection closed, so that a slow sender (slowloris) cannot hold a connection forever. The
    /// inbox takes bodies already read and does not apply it itself: the server does (see
    /// `examples/axum_receiver.rs`). Default 10 s, as the Node inbox's `bodyTimeoutMs`.
    pub body_timeout: Duration,
    /// Where the inbox and its workers read the time. Default the system clock.
    pub clock: Clock,
    /// PostgreSQL: the most connections open at once per [`Inbox`], its intake's and its workers'
    /// together. The intake has its own share, so that busy workers cannot make deliveries wait: 2
    /// connections (its 2 group-commit statements in flight), 1 when `pool_size` is 2 or 3; the
    /// workers have the rest. With 1 both share the one connection. Default 10 (2 + 8).
    pub pool_size: usize,
    /// PostgreSQL: how long opening a connection (TCP, TLS, authentication) may take. Default 10 s.
    pub connect_timeout: Duration,
    /// PostgreSQL: how long a call waits for a free connection of the pool before it fails (the intake
    /// then answers 503). Default 10 s.
    pub acquire_timeout: Duration,
    /// PostgreSQL: `SET statement_timeout` on every connection: a statement stuck on a lock or a
    /// saturated server fails instead of holding the connection (and the caller's request) forever.
    /// Longer than any inbox statement runs (each is one indexed row or a bounded batch). Default 10 s.
    pub statement_timeout: Duration,
    /// PostgreSQL: root certificates (PEM text, one or more) trusted for TLS instead of the Mozilla
    /// roots, like `sslrootcert=<path>` in the URL (both may be given: all are trusted).
    pub tls_roots_pem: Option<String>,
}

impl Default for InboxOptions {
    fn default() -> Self {
        InboxOptions {
            max_attempts: 10,
            first_retry: Duration::from_secs(10),
            max_retry: Duration::from_secs(3600),
            retention: Duration::from_secs(7 * 24 * 3600),
            tolerance: DEFAULT_TOLERANCE,
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(10),
            clock: Clock::system(),
            pool_size: 10,
            connect_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(10),
            tls_roots_pem: None,
        }
    }
}

impl InboxOptions {
    /// The wait after failed run number `attempt` (1-based): `first_retry * 2^(attempt-1)`, at most
    /// `max_retry` (the `fail` statement computes it on the row; this is the same rule).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        self.first_retry
            .checked_mul(factor)
            .map_or(self.max_retry, |wait| wait.min(self.max_retry))
    }
}

/// Processed rows removed per `purge_processed` statement.
const PURGE_BATCH: u32 = 500;

/// A webhook inbox on SQLite or PostgreSQL. Cheap to clone (the clones share one connection pool):
/// hand one to the HTTP handlers and one to each [`Worker`].
#[derive(Clone)]
pub struct Inbox {
    backend: Backend,
    options: Arc<InboxOptions>,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// Opens (and creates or upgrades, when needed) the inbox at `database_url`: `postgres://...` or
    /// `postgresql://...` for PostgreSQL (feature `inbox-postgres`; `sslmode`, `sslrootcert`: see
    /// [`InboxOptions`]), anything else is a SQLite file path (feature `inbox-sqlite`; a `sqlite:`
    /// prefix is allowed). A SQLite table made by version 0.1 is upgraded in place (its rows get the
    /// default lifecycle).
    pub async fn open(database_url: &str, options: InboxOptions) -> Result<Inbox, StoreError> {
        let backend = if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            #[cfg(feature = "inbox-postgres")]
            {
                Backend::Postgres(Arc::new(
                    postgres::PostgresStore::open(database_url, &options).await?,
                ))
            }
            #[cfg(not(feature = "inbox-postgres"))]
            return Err(StoreError::new(
                "a postgres:// inbox needs the crate feature inbox-postgres",
            ));
        } else {
            let path = database_url.strip_prefix("sqlite:").unwrap_or(database_url);
            #[cfg(feature = "inbox-sqlite")]
            {
                let path = path.to_owned();
                Backend::Sqlite(Arc::new(
                    tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path))
                        .await
                        .map_err(|e| StoreError::new(format!("opening the inbox: {e}")))??,
                ))
            }
            #[cfg(not(feature = "inbox-sqlite"))]
            {
                let _ = path;
                return Err(StoreError::new(
                    "a SQLite inbox needs the crate feature inbox-sqlite",
                ));
            }
        };
        Ok(Inbox {
            backend,
            options: Arc::new(options),
        })
    }

    /// The options this inbox was opened with.
    pub fn options(&self) -> &InboxOptions {
        &self.options
    }

    /// Verifies a delivery ([`verify`], at the inbox's clock) and stores it with the inbox's lifecycle:
    /// returns once it is committed, or known. Answer `Ok` with 200 and an error with
    /// [`IntakeError::http_status`]. A verified body is never refused for its content: one that is not
    /// JSON is stored as `dead`, with the parser's reason.
    pub async fn intake<H: Headers, S: AsRef<[u8]>>(
        &self,
        headers: H,
        raw_body: &[u8],
        secrets: &[S],
    ) -> Result<Intake, IntakeError> {
        let options = &self.options;
        if raw_body.len() > options.max_body_bytes {
            return Err(IntakeError::TooLarge {
                limit: options.max_body_bytes,
            });
        }
        let now = options.clock.now();
        let delivery = verify(headers, raw_body, secrets, options.tolerance, now)
            .map_err(IntakeError::Refused)?;
        let (status, last_error) = match &delivery.payload {
            WebhookEvent::NotJson(reason) => {
                (Status::Dead, Some(format!("body is not JSON: {reason}")))
            }
            _ => (Status::Received, None),
        };
        let row = NewRow {
            id: delivery.id.clone(),
            event_type: delivery.event_type.clone(),
            signed_at: i64::try_from(delivery.timestamp).unwrap_or(i64::MAX),
            received_at: unix_ms(now),
            body: raw_body.to_vec(),
            event_id: delivery.payload.event_id().map(str::to_owned),
            test: delivery.test,
            status,
            last_error,
            max_attempts: options.max_attempts.max(1),
            retry_first_ms: ms(options.first_retry),
            retry_max_ms: ms(options.max_retry),
            identity: delivery.identity(),
            reconciled: false,
        };
        let stored = self
            .backend
            .insert(row)
            .await
            .map_err(IntakeError::Unavailable)?;
        Ok(if stored {
            Intake::Stored(delivery)
        } else {
            Intake::Duplicate(delivery)
        })
    }

    /// Deliveries, newest first: all of them (`None`) or those in one status; at most `limit`.
    pub async fn list(&self, status: Option<Status>, limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.backend.list(status, limit).await
    }

    /// How many deliveries are in each status (all five, zeros included).
    pub async fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        self.backend.counts().await
    }

    /// Makes dead deliveries claimable again with a full set of attempts (the row's max_attempts);
    /// returns how many. A delivery that is not dead is left alone.
    pub async fn redrive(&self, which: Redrive<'_>) -> Result<u64, StoreError> {
        let id = match which {
            Redrive::One(id) => Some(id.to_owned()),
            Redrive::AllDead => None,
        };
        self.backend.redrive(id, self.options.clock.now_ms()).await
    }

    /// Removes dead deliveries (one, or all of them); returns how many. Only by this call: dead rows
    /// are kept otherwise.
    pub async fn purge_dead(&self, which: Purge<'_>) -> Result<u64, StoreError> {
        let id = match which {
            Redrive::One(id) => Some(id.to_owned()),
            Redrive::AllDead => None,
        };
        self.backend.purge_dead(id).await
    }

    /// One retention pass: removes rows processed more than [`InboxOptions::retention`] ago, in
    /// batches of 500 until none is left; returns how many. Workers run it at most once a minute.
    pub async fn purge_processed(&self) -> Result<u64, StoreError> {
        let cutoff = self.options.clock.now_ms() - ms(self.options.retention);
        let mut removed = 0;
        loop {
            let batch = self.backend.purge_processed(cutoff, PURGE_BATCH).await?;
            removed += batch;
            if batch < u64::from(PURGE_BATCH) {
                return Ok(removed);
            }
        }
    }
}

/// How a [`Worker`] runs deliveries. `Default` suits most handlers. The lifecycle (attempts, backoff)
/// is not here: it is the row's ([`InboxOptions`]).
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker on the rows it leases (shown while `processing`). Default: `host-pid-n`.
    pub id: String,
    /// Handler runs at once. A worker claims only as many deliveries as it has free slots, when it
    /// starts them. Default 4.
    pub concurrency: usize,
    /// How long a claim (and each heartbeat) holds a delivery; a delivery whose worker stopped
    /// renewing it is claimable again after this. Default 30 s.
    pub lease: Duration,
    /// How often a running handler's lease is renewed (`None`: lease / 3, i.e. 10 s). Default `None`.
    pub heartbeat: Option<Duration>,
    /// A handler run still going after this is cancelled (its future dropped) and counts as a failed run
    /// ("timed out"); its slot is freed. Below the lease. Default 20 s.
    pub handler_timeout: Duration,
    /// How long [`Worker::run`] waits when nothing was due, or the database was unavailable.
    /// Default 200 ms.
    pub idle_wait: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned());
        WorkerOptions {
            id: format!(
                "{host}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
            concurrency: 4,
            lease: Duration::from_secs(30),
            heartbeat: None,
            handler_timeout: Duration::from_secs(20),
            idle_wait: Duration::from_millis(200),
        }
    }
}

impl WorkerOptions {
    fn heartbeat_period(&self) -> Duration {
        self.heartbeat
            .unwrap_or(self.lease / 3)
            .max(Duration::from_millis(10))
    }
}

/// A claimed delivery, as the handler sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Job {
    /// The delivery, decoded from the stored body as the intake decoded it.
    pub delivery: Delivery,
    /// The stored body, byte for byte as signed (for a handler that keeps or forwards the raw JSON).
    pub body: Vec<u8>,
    /// This run's number, from 1 (runs whose worker died or timed out count).
    pub attempt: u32,
    /// Runs allowed (the row's max_attempts): this is the last one when `attempt == max_attempts`.
    pub max_attempts: u32,
    /// When the intake stored it.
    pub received_at: SystemTime,
}

/// What became of one handler run (see [`RunReport::outcomes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler returned `Ok`; recorded.
    Processed,
    /// The handler failed, panicked or timed out; recorded, claimable again after the row's backoff.
    Failed,
    /// Failed on its last attempt (or not JSON: no handler runs it); recorded as dead.
    Dead,
    /// The lease was lost (it expired and another worker took the delivery over): that worker's
    /// outcome counts; this one was not recorded.
    Lost,
    /// The outcome could not be recorded (the database failed): the lease will expire and the delivery
    /// run again. The text is the error.
    Unrecorded(String),
}

/// A delivery claimed by a [`Worker`]: the lease-level API. [`Worker::run`] does all of this itself;
/// use it for a loop of your own (and the conformance tests do). Each call returns whether the lease
/// was still held (`false`: it expired and another worker took the delivery over, or it was already
/// completed or failed).
#[derive(Debug)]
pub struct Lease {
    job: Job,
    key: LeaseKey,
    backend: Backend,
    clock: Clock,
    lease: Duration,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Backend")
    }
}

impl Lease {
    /// The delivery.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// Moves the lease's end to now + the worker's lease (statement `heartbeat`).
    pub async fn heartbeat(&self) -> Result<bool, StoreError> {
        let until = self.clock.now_ms().saturating_add(ms(self.lease));
        let key = self.key.clone();
        self.backend
            .heartbeat(key.id, key.worker, key.attempts, until)
            .await
    }

    /// Records a successful run (statement `complete`).
    pub async fn complete(&self) -> Result<bool, StoreError> {
        let key = self.key.clone();
        self.backend
            .complete(key.id, key.worker, key.attempts, self.clock.now_ms())
            .await
    }

    /// Records a failed run (statement `fail`): `failed` with the row's backoff, or `dead` on its last
    /// attempt or when `last` (a delivery no handler can run).
    pub async fn fail(&self, error: &str, last: bool) -> Result<bool, StoreError> {
        self.backend
            .fail(
                self.key.clone(),
                self.clock.now_ms(),
                error.to_owned(),
                last,
            )
            .await
    }

    /// Whether a failure recorded now makes it dead.
    fn fail_is_dead(&self, last: bool) -> bool {
        last || self.job.attempt >= self.job.max_attempts
    }
}

/// What one [`Worker::run_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunReport {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Runs recorded as processed.
    pub processed: usize,
    /// Runs recorded as failed or dead.
    pub failed: usize,
    /// Runs whose lease was lost (see [`Outcome::Lost`]).
    pub lost_leases: usize,
    /// Runs whose outcome the database did not record (see [`Outcome::Unrecorded`]).
    pub unrecorded: usize,
    /// Each claimed delivery's id and outcome, in claim order.
    pub outcomes: Vec<(String, Outcome)>,
}

impl RunReport {
    fn add(&mut self, id: String, outcome: Outcome) {
        match &outcome {
            Outcome::Processed => self.processed += 1,
            Outcome::Failed | Outcome::Dead => self.failed += 1,
            Outcome::Lost => self.lost_leases += 1,
            Outcome::Unrecorded(_) => self.unrecorded += 1,
        }
        self.outcomes.push((id, outcome));
    }
}

/// Claims deliveries from an [`Inbox`], runs the handler on each (up to
/// [`WorkerOptions::concurrency`] at once), keeps their leases with heartbeats, records the outcomes.
#[derive(Debug, Clone)]
pub struct Worker {
    inbox: Inbox,
    options: Arc<WorkerOptions>,
    /// When this worker last ran the retention pass (unix ms, inbox clock); 0: never.
    purged_at: Arc<Mutex<i64>>,
}

/// How often a worker runs the retention pass, at most.
const PURGE_EVERY_MS: i64 = 60_000;

impl Worker {
    /// A worker on `inbox` (several may run, in one process or many).
    pub fn new(inbox: &Inbox, options: WorkerOptions) -> Worker {
        Worker {
            inbox: inbox.clone(),
            options: Arc::new(options),
            purged_at: Arc::new(Mutex::new(0)),
        }
    }

    /// The options this worker runs with.
    pub fn options(&self) -> &WorkerOptions {
        &self.options
    }

    /// Claims up to `limit` due deliveries, each leased from now for [`WorkerOptions::lease`].
    /// Expired leases on their last attempt are buried (dead) first. For [`Worker::run`]'s own loop
    /// this is its free slots; claim only what you start now.
    pub async fn claim(&self, limit: usize) -> Result<Vec<Lease>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let clock = &self.inbox.options.clock;
        let rows = self
            .inbox
            .backend
            .claim(
                clock.now_ms(),
                self.options.id.clone(),
                ms(self.options.lease),
                u32::try_from(limit).unwrap_or(u32::MAX),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let delivery = Delivery::decode(
                    row.id.clone(),
                    &row.event_type,
                    u64::try_from(row.signed_at).unwrap_or(0),
                    &row.body,
                );
                Lease {
                    key: LeaseKey {
                        id: row.id,
                        worker: self.options.id.clone(),
                        attempts: row.attempts,
                    },
                    job: Job {
                        delivery,
                        body: row.body,
                        attempt: row.attempts,
                        max_attempts: row.max_attempts,
                        received_at: UNIX_EPOCH
                            + Duration::from_millis(u64::try_from(row.received_at).unwrap_or(0)),
                    },
                    backend: self.inbox.backend.clone(),
                    clock: clock.clone(),
                    lease: self.options.lease,
                }
            })
            .collect())
    }

    /// Claims as many due deliveries as [`WorkerOptions::concurrency`] allows, runs `handler` on them
    /// concurrently (each with heartbeats and the handler timeout), records each outcome, and returns
    /// when all are recorded. An `Err`, a panic or a timeout of the handler is a failed run. A database
    /// error on one outcome is reported in [`RunReport::outcomes`] and does not stop the others.
    pub async fn run_once<F, Fut, E>(&self, handler: F) -> Result<RunReport, StoreError>
    where
        F: Fn(Job) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let leases = self.claim(self.options.concurrency).await?;
        let mut report = RunReport {
            claimed: leases.len(),
            ..RunReport::default()
        };
        let mut running = tokio::task::JoinSet::new();
        let ids: Vec<String> = leases.iter().map(|l| l.job.delivery.id.clone()).collect();
        for (n, lease) in leases.into_iter().enumerate() {
            let run = self.start(lease, &handler);
            running.spawn(async move { (n, run.await) });
        }
        let mut outcomes = vec![None; ids.len()];
        while let Some(done) = running.join_next().await {
            if let Ok((n, outcome)) = done {
                outcomes[n] = Some(outcome);
            }
        }
        for (id, outcome) in ids.into_iter().zip(outcomes) {
            let outcome =
                outcome.unwrap_or_else(|| Outcome::Unrecorded("the run's task failed".to_owned()));
            report.add(id, outcome);
        }
        self.retention_if_due().await;
        Ok(report)
    }

    /// Runs deliveries until `shutdown` completes: keeps up to [`WorkerOptions::concurrency`] handler
    /// runs going, claiming only for free slots, waiting [`WorkerOptions::idle_wait`] when nothing was
    /// due; runs the retention pass at most once a minute. A database error is written to stderr and
    /// retried after the same wait (the deliveries stay stored; an unrecorded run is claimed again when
    /// its lease expires). On shutdown it claims nothing more and waits for the runs in progress (each
    /// bounded by the handler timeout).
    pub async fn run<S, F, Fut, E>(&self, shutdown: S, handler: F)
    where
        S: Future<Output = ()>,
        F: Fn(Job) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut running = tokio::task::JoinSet::new();
        let concurrency = self.options.concurrency.max(1);
        loop {
            let free = concurrency.saturating_sub(running.len());
            let mut wait = true;
            if free > 0 {
                match self.claim(free).await {
                    Ok(leases) => {
                        // A full claim may leave more due: claim again as soon as a slot frees.
                        wait = leases.len() < free;
                        for lease in leases {
                            running.spawn(self.start(lease, &handler));
                        }
                    }
                    Err(error) => self.log(&error),
                }
                self.retention_if_due().await;
            }
            let idle = tokio::time::sleep(if wait {
                self.options.idle_wait
            } else {
                Duration::ZERO
            });
            tokio::select! {
                () = &mut shutdown => break,
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = idle, if running.len() < concurrency => {}
            }
        }
        while running.join_next().await.is_some() {}
    }

    fn log(&self, error: &dyn fmt::Display) {
        eprintln!(
            "[coassemble-events inbox worker {}] {error}",
            self.options.id
        );
    }

    /// The retention pass, when this worker has not run it in the last minute.
    async fn retention_if_due(&self) {
        let now = self.inbox.options.clock.now_ms();
        {
            let mut at = self.purged_at.lock().unwrap_or_else(|e| e.into_inner());
            if *at != 0 && now - *at < PURGE_EVERY_MS {
                return;
            }
            *at = now;
        }
        if let Err(error) = self.inbox.purge_processed().await {
            self.log(&error);
        }
    }

    /// One run of one claimed delivery, as a future to spawn: the handler in a task of its own (so a
    /// panic is caught and a timeout cancels it), heartbeats while it runs, then the outcome recorded.
    fn start<F, Fut, E>(
        &self,
        lease: Lease,
        handler: &F,
    ) -> impl Future<Output = Outcome> + Send + 'static
    where
        F: Fn(Job) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        // A body no handler can read is dead at once (re-driven not-JSON rows come back here).
        let unreadable = match &lease.job.delivery.payload {
            WebhookEvent::NotJson(reason) => Some(format!("body is not JSON: {reason}")),
            _ => None,
        };
        let task = unreadable.is_none().then(|| handler(lease.job.clone()));
        let options = self.options.clone();
        let worker = self.clone();
        async move {
            let result = match (task, unreadable) {
                (Some(task), _) => run_handler(&lease, task, &options).await,
                (None, reason) => Err((reason.unwrap_or_default(), true)),
            };
            let (recorded, dead) = match &result {
                Ok(()) => (lease.complete().await, false),
                Err((error, last)) => (lease.fail(error, *last).await, lease.fail_is_dead(*last)),
            };
            match recorded {
                Ok(true) if result.is_ok() => Outcome::Processed,
                Ok(true) if dead => Outcome::Dead,
                Ok(true) => Outcome::Failed,
                Ok(false) => Outcome::Lost,
                Err(error) => {
                    worker.log(&format_args!(
                        "recording the outcome of {}: {error}",
                        lease.job.delivery.id
                    ));
                    Outcome::Unrecorded(error.to_string())
                }
            }
        }
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the handler's future with heartbeats and the timeout. `Err((reason, last))`.
async fn run_handler<Fut, E>(
    lease: &Lease,
    task: Fut,
    options: &WorkerOptions,
) -> Result<(), (String, bool)>
where
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    let mut handle = tokio::spawn(async move { task.await.map_err(|e| e.to_string()) });
    // The run's future dropped (its worker's `run` dropped): the handler is cancelled with it.
    let _cancel = AbortOnDrop(handle.abort_handle());
    let deadline = tokio::time::sleep(options.handler_timeout);
    let mut deadline = std::pin::pin!(deadline);
    let period = options.heartbeat_period();
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            joined = &mut handle => {
                return match joined {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err((error, false)),
                    Err(e) if e.is_panic() => Err(("the handler panicked".to_owned(), false)),
                    Err(_) => Err(("the handler was cancelled".to_owned(), false)),
                };
            }
            () = &mut deadline => {
                handle.abort();
                return Err((
                    format!("timed out after {} ms", options.handler_timeout.as_millis()),
                    false,
                ));
            }
            _ = beat.tick() => {
                // A lost lease (false) is not a reason to stop the handler: its outcome will simply
                // not be recorded. A database error: the next beat tries again.
                if let Err(error) = lease.heartbeat().await {
                    eprintln!(
                        "[coassemble-events inbox worker {}] heartbeat of {}: {error}",
                        lease.key.worker, lease.key.id
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_is_in_both_files() {
        for sql in [
            include_str!("../../../sql/inbox.sqlite.sql"),
            include_str!("../../../sql/inbox.postgres.sql"),
        ] {
            for name in [
                "work_session",
                "schema",
                "insert",
                "claim",
                "heartbeat",
                "complete",
                "fail",
                "redrive",
                "purge_processed",
                "purge_dead",
                "list",
                "list_status",
                "counts",
                "lock_take",
                "lock_release",
                "lock_get",
            ] {
                let text = statement(sql, name);
                assert!(!text.is_empty() && !text.contains("-- "), "{name}: {text}");
            }
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = InboxOptions {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(10),
            ..InboxOptions::default()
        };
        let waits: Vec<u64> = (1..=6).map(|a| options.backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
        assert_eq!(options.backoff(200), Duration::from_secs(10));
    }
}
