//! The webhook inbox: store a verified delivery, then answer; process it from the store, off the
//! request path, with leases, retries and dead letters.
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
//! processes) and PostgreSQL (feature `inbox-postgres`; many instances). A delivery's life:
//!
//! | [`Status`] | meaning |
//! |---|---|
//! | `received` | stored by the intake (the 2xx was sent after the commit); claimable |
//! | `processing` | a worker holds a lease until it expires; then claimable again |
//! | `processed` | the handler returned `Ok`; final |
//! | `failed` | the handler failed; claimable again after a backoff |
//! | `dead` | failed [`WorkerOptions::max_attempts`] times, or not JSON: kept, listed, re-driven by hand |
//!
//! ```
//! # #[cfg(feature = "inbox-sqlite")] {
//! use coassemble_events::webhook::inbox::{Inbox, Intake, Worker, WorkerOptions};
//! use coassemble_events::webhook::{sign, WebhookEvent};
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//!
//! let dir = std::env::temp_dir().join(format!("inbox-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let inbox = Inbox::open(dir.join("inbox.db").to_str().unwrap())?; // or "postgres://..."
//!
//! let body = br#"{"id":"evt_1","type":"course.completed","data":{"tracking":{"totalTime":12.5}}}"#;
//! let now = SystemTime::now();
//! let timestamp = now.duration_since(UNIX_EPOCH)?.as_secs();
//! let signature = sign(b"whsec_current", timestamp, body);
//! let headers = [
//!     ("X-Coassemble-Event", "course.completed"),
//!     ("X-Coassemble-Delivery", "d-1"),
//!     ("X-Coassemble-Timestamp", &timestamp.to_string()),
//!     ("X-Coassemble-Signature", &signature),
//! ];
//! // In the HTTP handler: 200 for Stored and Duplicate, error.http_status() otherwise (400/401/503).
//! assert!(matches!(inbox.intake(&headers[..], body, &["whsec_current"], now)?, Intake::Stored(_)));
//! assert!(matches!(inbox.intake(&headers[..], body, &["whsec_current"], now)?, Intake::Duplicate(_)));
//!
//! // In a worker thread (`worker.run(&stop, handler)` loops until `stop` is set):
//! let worker = Worker::new(&inbox, WorkerOptions::default());
//! let handled = worker.run_once(|job| match &job.delivery.payload {
//!     WebhookEvent::CourseCompleted(progress) => {
//!         assert_eq!(progress.tracking.total_time, None); // 12.5 is not whole seconds...
//!         assert_eq!(job.delivery.json["data"]["tracking"]["totalTime"], 12.5); // ...kept here
//!         Ok(())
//!     }
//!     _ => Err("unexpected event"),
//! })?;
//! assert_eq!(handled.processed, 1);
//! # std::fs::remove_dir_all(&dir)?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "inbox-postgres")]
mod postgres;
#[cfg(feature = "inbox-sqlite")]
mod sqlite;

#[cfg(feature = "inbox-sqlite")]
pub use sqlite::sqlite_busy_handler;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
#[derive(Debug)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
        StoreError(error.into())
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
}

impl IntakeError {
    /// 400 or 401 for a refusal ([`WebhookError::http_status`]), 503 when the store is unavailable.
    pub fn http_status(&self) -> u16 {
        match self {
            IntakeError::Refused(error) => error.http_status(),
            IntakeError::Unavailable(_) => 503,
        }
    }

    /// A stable code: the [`WebhookError::code`], or `store_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::Refused(error) => error.code(),
            IntakeError::Unavailable(_) => "store_unavailable",
        }
    }
}

impl fmt::Display for IntakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntakeError::Refused(error) => error.fmt(f),
            IntakeError::Unavailable(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for IntakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IntakeError::Refused(error) => Some(error),
            IntakeError::Unavailable(error) => Some(error),
        }
    }
}

/// One row of [`Inbox::list`]: where a delivery is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The delivery id.
    pub id: String,
    /// The event type.
    pub event_type: String,
    /// Where it is in its life.
    pub status: Status,
    /// Handler runs so far (claims, including one whose worker died).
    pub attempts: u32,
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

/// A delivery to store (the `insert` statement's parameters).
struct NewRow<'a> {
    id: &'a str,
    event_type: &'a str,
    signed_at: i64,
    received_at: i64,
    body: &'a [u8],
    event_id: Option<&'a str>,
    test: bool,
    status: Status,
    last_error: Option<String>,
}

/// A claimed row (the `claim` statement's result).
struct Claimed {
    id: String,
    event_type: String,
    signed_at: i64,
    received_at: i64,
    body: Vec<u8>,
    attempts: u32,
}

/// One backend's side of the contract: each method runs the named statement(s) of its SQL file.
trait Store: Send + Sync {
    fn insert(&self, row: &NewRow<'_>) -> Result<bool, StoreError>;
    /// `bury_expired`, then `claim`.
    fn claim(
        &self,
        now: i64,
        worker: &str,
        lease: i64,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<Claimed>, StoreError>;
    fn complete(&self, id: &str, worker: &str, attempts: u32, now: i64)
        -> Result<bool, StoreError>;
    #[allow(clippy::too_many_arguments)]
    fn fail(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        next_run: i64,
        error: &str,
        max_attempts: u32,
    ) -> Result<bool, StoreError>;
    fn redrive(&self, id: Option<&str>, now: i64) -> Result<u64, StoreError>;
    fn list(&self, status: Option<Status>, limit: u32) -> Result<Vec<Entry>, StoreError>;
    fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError>;
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

/// A webhook inbox on SQLite or PostgreSQL. Cheap to clone (the clones share one connection pool):
/// hand one to the HTTP handlers and one to each [`Worker`].
#[derive(Clone)]
pub struct Inbox {
    store: Arc<dyn Store>,
    tolerance: Duration,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// Opens (and creates, when missing) the inbox at `database_url`: `postgres://...` or
    /// `postgresql://...` for PostgreSQL (feature `inbox-postgres`), anything else is a SQLite file
    /// path (feature `inbox-sqlite`; a `sqlite:` prefix is allowed). The timestamp tolerance is
    /// [`DEFAULT_TOLERANCE`]; see [`Inbox::with_tolerance`].
    pub fn open(database_url: &str) -> Result<Inbox, StoreError> {
        let store: Arc<dyn Store> = if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            #[cfg(feature = "inbox-postgres")]
            {
                Arc::new(postgres::PostgresStore::open(database_url)?)
            }
            #[cfg(not(feature = "inbox-postgres"))]
            return Err(StoreError::new(
                "a postgres:// inbox needs the crate feature inbox-postgres",
            ));
        } else {
            let path = database_url.strip_prefix("sqlite:").unwrap_or(database_url);
            #[cfg(feature = "inbox-sqlite")]
            {
                Arc::new(sqlite::SqliteStore::open(path)?)
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
            store,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// The same inbox with another timestamp tolerance for [`Inbox::intake`].
    pub fn with_tolerance(mut self, tolerance: Duration) -> Inbox {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery ([`verify`]) and stores it: returns once it is committed, or known. Answer
    /// `Ok` with 200 and an error with [`IntakeError::http_status`]. A verified body is never refused
    /// for its content: one that is not JSON is stored as `dead`, with the parser's reason.
    pub fn intake<H: Headers, S: AsRef<[u8]>>(
        &self,
        headers: H,
        raw_body: &[u8],
        secrets: &[S],
        now: SystemTime,
    ) -> Result<Intake, IntakeError> {
        let delivery = verify(headers, raw_body, secrets, self.tolerance, now)
            .map_err(IntakeError::Refused)?;
        let (status, last_error) = match &delivery.payload {
            WebhookEvent::NotJson(reason) => {
                (Status::Dead, Some(format!("body is not JSON: {reason}")))
            }
            _ => (Status::Received, None),
        };
        let stored = self
            .store
            .insert(&NewRow {
                id: &delivery.id,
                event_type: &delivery.event_type,
                signed_at: i64::try_from(delivery.timestamp).unwrap_or(i64::MAX),
                received_at: unix_ms(now),
                body: raw_body,
                event_id: delivery.payload.event_id(),
                test: delivery.test,
                status,
                last_error,
            })
            .map_err(IntakeError::Unavailable)?;
        Ok(if stored {
            Intake::Stored(delivery)
        } else {
            Intake::Duplicate(delivery)
        })
    }

    /// Deliveries, newest first: all of them (`None`) or those in one status; at most `limit`.
    pub fn list(&self, status: Option<Status>, limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.store.list(status, limit)
    }

    /// How many deliveries are in each status (statuses with none are left out).
    pub fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        self.store.counts()
    }

    /// Makes dead deliveries claimable again with a full set of attempts; returns how many. A delivery
    /// that is not dead is left alone.
    pub fn redrive(&self, which: Redrive<'_>, now: SystemTime) -> Result<u64, StoreError> {
        let id = match which {
            Redrive::One(id) => Some(id),
            Redrive::AllDead => None,
        };
        self.store.redrive(id, unix_ms(now))
    }
}

/// How a [`Worker`] claims and retries. `Default` suits most handlers.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker on the rows it leases (shown while `processing`). Default: `host-pid-n`.
    pub id: String,
    /// How long a claim lasts; a delivery whose handler has not finished by then is claimable again.
    /// Longer than the slowest handler run. Default 60 s.
    pub lease: Duration,
    /// Runs before a delivery is dead (a run whose worker died counts). Default 5.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles on each later one. Default 1 s.
    pub first_retry: Duration,
    /// The longest wait between retries. Default 5 min.
    pub max_retry: Duration,
    /// Deliveries claimed at once (each leased for `lease` from the claim). Default 10.
    pub batch: u32,
    /// How long [`Worker::run`] waits when nothing was due, or the database was unavailable.
    /// Default 200 ms.
    pub idle_wait: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        use std::sync::atomic::AtomicU64;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned());
        WorkerOptions {
            id: format!(
                "{host}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
            lease: Duration::from_secs(60),
            max_attempts: 5,
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(300),
            batch: 10,
            idle_wait: Duration::from_millis(200),
        }
    }
}

impl WorkerOptions {
    /// The wait after failed run number `attempt` (1-based): `first_retry * 2^(attempt-1)`, at most
    /// `max_retry`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_retry
            .checked_mul(factor)
            .map_or(self.max_retry, |wait| wait.min(self.max_retry))
    }
}

/// A claimed delivery, as the handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The delivery, decoded from the stored body as the intake decoded it.
    pub delivery: Delivery,
    /// This run's number, from 1 (runs whose worker died count).
    pub attempt: u32,
    /// When the intake stored it.
    pub received_at: SystemTime,
}

/// What one [`Worker::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Handler runs that returned `Ok` and were recorded.
    pub processed: usize,
    /// Handler runs that failed (or panicked) and were recorded, as `failed` or `dead`.
    pub failed: usize,
    /// Runs whose outcome could not be recorded because the lease had expired and another worker
    /// claimed the delivery: that worker's outcome counts.
    pub lost_leases: usize,
}

/// Claims deliveries from an [`Inbox`], runs the handler, records the outcome.
#[derive(Debug, Clone)]
pub struct Worker {
    inbox: Inbox,
    options: WorkerOptions,
}

impl Worker {
    /// A worker on `inbox` (several may run, in one process or many).
    pub fn new(inbox: &Inbox, options: WorkerOptions) -> Worker {
        Worker {
            inbox: inbox.clone(),
            options,
        }
    }

    /// Claims up to [`WorkerOptions::batch`] due deliveries and runs `handler` on each in turn. An
    /// `Err` (or a panic) of the handler is a failed run: retried after [`WorkerOptions::backoff`],
    /// dead after [`WorkerOptions::max_attempts`] runs.
    pub fn run_once<F, E>(&self, mut handler: F) -> Result<RunReport, StoreError>
    where
        F: FnMut(&Job) -> Result<(), E>,
        E: fmt::Display,
    {
        let options = &self.options;
        let store = &self.inbox.store;
        let claimed = store.claim(
            unix_ms(SystemTime::now()),
            &options.id,
            ms(options.lease),
            options.batch,
            options.max_attempts,
        )?;
        let mut report = RunReport {
            claimed: claimed.len(),
            ..RunReport::default()
        };
        for row in claimed {
            let job = Job {
                delivery: Delivery::decode(
                    row.id,
                    &row.event_type,
                    u64::try_from(row.signed_at).unwrap_or(0),
                    &row.body,
                ),
                attempt: row.attempts,
                received_at: UNIX_EPOCH
                    + Duration::from_millis(u64::try_from(row.received_at).unwrap_or(0)),
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&job)))
                .map_err(|_| "the handler panicked".to_owned())
                .and_then(|result| result.map_err(|error| error.to_string()));
            let id = &job.delivery.id;
            let recorded = match outcome {
                Ok(()) => {
                    let done =
                        store.complete(id, &options.id, job.attempt, unix_ms(SystemTime::now()))?;
                    report.processed += usize::from(done);
                    done
                }
                Err(error) => {
                    let next = SystemTime::now() + options.backoff(job.attempt);
                    let done = store.fail(
                        id,
                        &options.id,
                        job.attempt,
                        unix_ms(next),
                        &error,
                        options.max_attempts,
                    )?;
                    report.failed += usize::from(done);
                    done
                }
            };
            report.lost_leases += usize::from(!recorded);
        }
        Ok(report)
    }

    /// Runs [`Worker::run_once`] until `stop` is set, waiting [`WorkerOptions::idle_wait`] when
    /// nothing was due. A database error is written to stderr and retried after the same wait (the
    /// deliveries stay stored; an unrecorded run is claimed again when its lease expires).
    pub fn run<F, E>(&self, stop: &AtomicBool, mut handler: F)
    where
        F: FnMut(&Job) -> Result<(), E>,
        E: fmt::Display,
    {
        while !stop.load(Ordering::Relaxed) {
            match self.run_once(&mut handler) {
                Ok(report) if report.claimed > 0 => continue,
                Ok(_) => {}
                Err(error) => eprintln!(
                    "[coassemble-events inbox worker {}] {error}",
                    self.options.id
                ),
            }
            std::thread::sleep(self.options.idle_wait);
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
                "bury_expired",
                "claim",
                "complete",
                "fail",
                "redrive",
                "list",
                "counts",
            ] {
                let text = statement(sql, name);
                assert!(!text.is_empty() && !text.contains("-- "), "{name}: {text}");
            }
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = WorkerOptions {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(10),
            ..WorkerOptions::default()
        };
        let waits: Vec<u64> = (1..=6).map(|a| options.backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
        assert_eq!(options.backoff(200), Duration::from_secs(10));
    }
}
