//! The Rust receiver of the inbox fault tests (tests/inbox/fault.test.mjs): the axum example's intake
//! and worker, with a handler whose effect the test can count and whose failures it can predict.
//!
//! Environment (the interface every fault-test receiver speaks, whatever its language):
//! - `DATABASE_URL` (SQLite path, or `postgres://...`, which may carry
//!   `sslmode=verify-full&sslrootcert=<PEM path>`), `COASSEMBLE_WEBHOOK_SECRET`, `PORT` (0: any free
//!   port);
//! - `ROLE`: `both` (intake and workers), `receiver`, `worker`, `report` (print the outcome as one
//!   JSON line and exit), or `floor` (the benchmark's bare INSERT loop: `FLOOR_THREADS` connections
//!   insert 1 KB rows, one autocommit INSERT each, for `FLOOR_MS`; prints `{"rate": rows/s}`);
//! - intake options (written on each row it stores: the lifecycle is the row's): `MAX_ATTEMPTS` (4),
//!   `RETRY_MS` first retry (100; doubling up to 8x);
//! - worker options: `WORKERS` workers (2), `BATCH` each worker's concurrency (4), `LEASE_MS` (6000;
//!   heartbeats every third of it), `HANDLER_TIMEOUT_MS` (20000);
//! - the handler: `HANDLER_MS` time a run takes (5), `FAIL_PERCENT` (10), `SLOW_MS` time the first run
//!   of a delivery whose id contains `slow` takes (4000: the test kills the process that holds it),
//!   `LONG_MS` time every run of a delivery whose id contains `long` takes (9000: longer than the
//!   lease, so only heartbeats keep it to one run);
//! - `REPORT_ID`: with `ROLE=report`, only that delivery's inbox row;
//! - `BODY_TIMEOUT_MS`: a body not fully arrived by then is answered 408 (`InboxOptions::body_timeout`,
//!   10 s); bodies over `InboxOptions::max_body_bytes` (1 MiB) get 413. Both read by the axum
//!   example's own `body::read` (this file includes the example), staged close included.
//!
//! Worker ids are `pid<process id>-<n>`, so the lease owner of a row names the process.
//!
//! Prints `ready <port>` once it serves (or `ready 0` for a worker). The handler, by delivery id:
//! an id containing `hang` never finishes its first run (the handler timeout cancels it: a failed run,
//! "timed out"), then runs normally; `slow` and `long` as above. A run fails when
//! `fnv1a("<delivery id>:<attempt>") % 100 < FAIL_PERCENT`, and always for an id that contains `poison`
//! (so the test knows which deliveries must end dead); otherwise it records its effect idempotently:
//! `INSERT INTO fault_effects ... ON CONFLICT (delivery_id) DO NOTHING`. Every finished run is logged in
//! `fault_runs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use coassemble_events::webhook::inbox::{
    connect_postgres, Inbox, InboxOptions, Job, Worker, WorkerOptions,
};

/// The axum example, for its `body` module: the fault tests check the body handling users copy, not a
/// second one (its `main` and handler are unused here).
#[path = "../../examples/axum_receiver.rs"]
#[allow(dead_code)]
mod axum_example;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn number(name: &str, default: u64) -> u64 {
    env(name, &default.to_string()).parse().expect(name)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// FNV-1a, 32 bits: the failure rule, the same in the Node receiver.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

const EFFECTS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS fault_effects (delivery_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS fault_runs (delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, outcome TEXT NOT NULL)";

/// One connection of the effect store: the same database as the inbox.
enum Effects {
    Postgres(tokio_postgres::Client),
    Sqlite(rusqlite::Connection),
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Effects {
    async fn open(url: &str) -> Result<Effects, String> {
        Ok(if url.starts_with("postgres") {
            let client = connect_postgres(url, &InboxOptions::default())
                .await
                .map_err(text)?;
            client
                .batch_execute(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock(77); {EFFECTS_SCHEMA}; COMMIT"
                ))
                .await
                .map_err(text)?;
            Effects::Postgres(client)
        } else {
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || -> Result<Effects, String> {
                let connection = rusqlite::Connection::open(&url).map_err(text)?;
                connection
                    .busy_handler(Some(coassemble_events::webhook::inbox::sqlite_busy_handler))
                    .map_err(text)?;
                // The effect lives in the inbox's WAL file, whose commits reach the disk in commit
                // order: after an OS crash a surviving "processed" mark implies its earlier effect
                // survived, and a lost one makes the delivery run again. So the effect needs no fsync
                // of its own (NORMAL, like the workers' `work_session`).
                connection
                    .execute_batch(&format!("PRAGMA synchronous = NORMAL; {EFFECTS_SCHEMA}"))
                    .map_err(text)?;
                Ok(Effects::Sqlite(connection))
            })
            .await
            .map_err(text)??
        })
    }

    /// The run's log line and, for an ok run, its effect: one transaction, so that a kill or an
    /// outage leaves both or neither. Gives the connection back when it still works.
    async fn record(
        self,
        id: String,
        attempt: u32,
        outcome: &'static str,
    ) -> Result<Effects, String> {
        let attempt = attempt as i32;
        let at = now_ms();
        match self {
            Effects::Postgres(mut c) => {
                let tx = c.transaction().await.map_err(text)?;
                if outcome == "ok" {
                    tx.execute("INSERT INTO fault_effects VALUES ($1, $2, $3) ON CONFLICT (delivery_id) DO NOTHING", &[&id, &attempt, &at]).await.map_err(text)?;
                }
                tx.execute(
                    "INSERT INTO fault_runs VALUES ($1, $2, $3)",
                    &[&id, &attempt, &outcome],
                )
                .await
                .map_err(text)?;
                tx.commit().await.map_err(text)?;
                Ok(Effects::Postgres(c))
            }
            Effects::Sqlite(mut c) => tokio::task::spawn_blocking(move || {
                let tx = c
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(text)?;
                if outcome == "ok" {
                    tx.execute("INSERT INTO fault_effects VALUES (?1, ?2, ?3) ON CONFLICT (delivery_id) DO NOTHING", rusqlite::params![id, attempt, at]).map_err(text)?;
                }
                tx.execute(
                    "INSERT INTO fault_runs VALUES (?1, ?2, ?3)",
                    rusqlite::params![id, attempt, outcome],
                )
                .map_err(text)?;
                tx.commit().map_err(text)?;
                Ok(Effects::Sqlite(c))
            })
            .await
            .map_err(text)?,
        }
    }

    /// The outcome for the test: every inbox row, effect and finished run, as JSON arrays.
    async fn report(self) -> serde_json::Value {
        let only = std::env::var("REPORT_ID").map_or(String::new(), |id| {
            format!(" WHERE delivery_id = '{}'", id.replace('\'', ""))
        });
        let inbox = format!("SELECT delivery_id, status, attempts, COALESCE(last_error, ''), COALESCE(lease_owner, ''), received_at, COALESCE(processed_at, 0) FROM coassemble_webhook_inbox{only}");
        let effects = "SELECT delivery_id, attempt, at FROM fault_effects";
        let runs = "SELECT delivery_id, attempt, outcome FROM fault_runs";
        use serde_json::json;
        match self {
            Effects::Postgres(c) => json!({
                "inbox": c.query(&inbox, &[]).await.unwrap().iter().map(|r| json!([r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, i32>(2), r.get::<_, String>(3), r.get::<_, String>(4), r.get::<_, i64>(5), r.get::<_, i64>(6)])).collect::<Vec<_>>(),
                "effects": c.query(effects, &[]).await.unwrap().iter().map(|r| json!([r.get::<_, String>(0), r.get::<_, i32>(1), r.get::<_, i64>(2)])).collect::<Vec<_>>(),
                "runs": c.query(runs, &[]).await.unwrap().iter().map(|r| json!([r.get::<_, String>(0), r.get::<_, i32>(1), r.get::<_, String>(2)])).collect::<Vec<_>>(),
            }),
            Effects::Sqlite(c) => {
                let rows = |sql: &str, n: usize| -> Vec<serde_json::Value> {
                    let mut statement = c.prepare(sql).unwrap();
                    let mapped = statement
                        .query_map([], |r| {
                            (0..n)
                                .map(|i| {
                                    Ok(match r.get_ref(i)? {
                                        rusqlite::types::ValueRef::Integer(v) => json!(v),
                                        other => json!(other.as_str().unwrap_or_default()),
                                    })
                                })
                                .collect::<Result<Vec<_>, _>>()
                        })
                        .unwrap();
                    mapped.map(|r| json!(r.unwrap())).collect()
                };
                json!({ "inbox": rows(&inbox, 7), "effects": rows(effects, 3), "runs": rows(runs, 3) })
            }
        }
    }
}

/// Idle effect connections, shared by a process's concurrent handler runs.
#[derive(Clone, Default)]
struct EffectsPool(Arc<Mutex<Vec<Effects>>>);

impl EffectsPool {
    async fn record(
        &self,
        url: &str,
        id: String,
        attempt: u32,
        outcome: &'static str,
    ) -> Result<(), String> {
        let idle = self.0.lock().unwrap().pop();
        let effects = match idle {
            Some(effects) => effects,
            None => Effects::open(url).await?,
        };
        // A failed record drops its connection (the database restarted): the next run reconnects.
        let effects = effects.record(id, attempt, outcome).await?;
        self.0.lock().unwrap().push(effects);
        Ok(())
    }
}

/// The physical floor of an intake: plain autocommit INSERTs of 1 KB rows, one connection per thread
/// (PostgreSQL: per task), with the inbox's durability settings (SQLite: WAL, synchronous FULL, as
/// `sql/inbox.sqlite.sql`).
async fn floor(url: &str) -> serde_json::Value {
    let threads = number("FLOOR_THREADS", 1);
    let run_for = Duration::from_millis(number("FLOOR_MS", 5000));
    let create =
        "CREATE TABLE IF NOT EXISTS floor_inserts (id TEXT PRIMARY KEY, body BYTEA NOT NULL)";
    let started = std::time::Instant::now();
    let id = |t: u64, n: u64| format!("{}-{t}-{n}", std::process::id());
    let rows: u64 = if url.starts_with("postgres") {
        let options = InboxOptions::default();
        let client = connect_postgres(url, &options).await.unwrap();
        client.batch_execute(create).await.unwrap();
        let mut tasks = Vec::new();
        for t in 0..threads {
            let (url, options) = (url.to_owned(), options.clone());
            tasks.push(tokio::spawn(async move {
                let client = connect_postgres(&url, &options).await.unwrap();
                let insert = client
                    .prepare("INSERT INTO floor_inserts VALUES ($1, $2)")
                    .await
                    .unwrap();
                let body = vec![b'x'; 1024];
                let mut n = 0u64;
                while started.elapsed() < run_for {
                    client.execute(&insert, &[&id(t, n), &body]).await.unwrap();
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    } else {
        rusqlite::Connection::open(url)
            .unwrap()
            .execute_batch(create)
            .unwrap();
        (0..threads)
            .map(|t| {
                let url = url.to_owned();
                std::thread::spawn(move || {
                    let body = vec![b'x'; 1024];
                    let mut n = 0u64;
                    let c = rusqlite::Connection::open(&url).unwrap();
                    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;").unwrap();
                    while started.elapsed() < run_for {
                        c.prepare_cached("INSERT INTO floor_inserts VALUES (?1, ?2)").unwrap().execute(rusqlite::params![id(t, n), body]).unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .sum()
    };
    serde_json::json!({ "rate": rows as f64 / started.elapsed().as_secs_f64() })
}

struct App {
    inbox: Inbox,
    secrets: Vec<String>,
}

async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let options = app.inbox.options();
    let (limit, timeout) = (options.max_body_bytes, options.body_timeout);
    let body = match axum_example::body::read(&headers, body, limit, timeout).await {
        Ok(body) => body,
        Err(early) => return early,
    };
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    match app.inbox.intake(&pairs, &body, &app.secrets).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(error) => StatusCode::from_u16(error.http_status())
            .unwrap()
            .into_response(),
    }
}

/// The handler rule (see the module's doc).
async fn handle(job: Job, url: Arc<String>, effects: EffectsPool) -> Result<(), String> {
    let id = job.delivery.id.clone();
    let attempt = job.attempt;
    if id.contains("hang") && attempt == 1 {
        // Never finishes: the worker's handler timeout cancels this future.
        std::future::pending::<()>().await;
    }
    let wait = if id.contains("slow") && attempt == 1 {
        number("SLOW_MS", 4000)
    } else if id.contains("long") {
        number("LONG_MS", 9000)
    } else {
        number("HANDLER_MS", 5)
    };
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let fails = id.contains("poison")
        || fnv1a(&format!("{id}:{attempt}")) % 100 < number("FAIL_PERCENT", 10) as u32;
    let outcome = if fails { "fail" } else { "ok" };
    effects.record(&url, id, attempt, outcome).await?;
    if fails {
        return Err(format!("injected failure on run {attempt}"));
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let url = env("DATABASE_URL", "target/fault-inbox.db");
    let role = env("ROLE", "both");
    let retry = Duration::from_millis(number("RETRY_MS", 100));
    let options = InboxOptions {
        max_attempts: number("MAX_ATTEMPTS", 4) as u32,
        first_retry: retry,
        max_retry: retry * 8,
        body_timeout: Duration::from_millis(number("BODY_TIMEOUT_MS", 10_000)),
        ..InboxOptions::default()
    };
    // Opening retries while the database is down (a restart during the PostgreSQL outage).
    let inbox = loop {
        match Inbox::open(&url, options.clone()).await {
            Ok(inbox) => break inbox,
            Err(error) => {
                eprintln!("inbox_test_receiver: {error}; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    if role == "floor" {
        println!("{}", floor(&url).await);
        return;
    }
    if role == "report" {
        let effects = Effects::open(&url).await.expect("effects db");
        println!("{}", effects.report().await);
        return;
    }
    if role == "both" || role == "worker" {
        let worker_options = WorkerOptions {
            lease: Duration::from_millis(number("LEASE_MS", 6000)),
            concurrency: number("BATCH", 4) as usize,
            handler_timeout: Duration::from_millis(number("HANDLER_TIMEOUT_MS", 20_000)),
            idle_wait: Duration::from_millis(50),
            ..WorkerOptions::default()
        };
        let (url, effects) = (Arc::new(url.clone()), EffectsPool::default());
        for n in 0..number("WORKERS", 2) {
            let worker = Worker::new(
                &inbox,
                WorkerOptions {
                    id: format!("pid{}-{n}", std::process::id()),
                    ..worker_options.clone()
                },
            );
            let (url, effects) = (url.clone(), effects.clone());
            tokio::spawn(async move {
                worker
                    .run(std::future::pending(), move |job| {
                        handle(job, url.clone(), effects.clone())
                    })
                    .await
            });
        }
    }
    if role == "worker" {
        println!("ready 0");
        std::future::pending::<()>().await;
    }
    let app = Arc::new(App {
        inbox,
        secrets: vec![env("COASSEMBLE_WEBHOOK_SECRET", "whsec_demo")],
    });
    let router = Router::new()
        .route("/webhooks", post(receive))
        .with_state(app);
    let port = env("PORT", "0");
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    println!("ready {}", listener.local_addr().unwrap().port());
    axum::serve(listener, router).await.unwrap();
}
