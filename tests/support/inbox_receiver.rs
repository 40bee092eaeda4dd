//! The Rust receiver of the inbox fault tests (tests/inbox/fault.test.mjs): the axum example's intake
//! and worker, with a handler whose effect the test can count and whose failures it can predict.
//!
//! Environment (the interface every fault-test receiver speaks, whatever its language):
//! - `DATABASE_URL`, `COASSEMBLE_WEBHOOK_SECRET`, `PORT` (0: any free port);
//! - `ROLE`: `both` (intake and workers), `receiver`, `worker`, `report` (print the outcome as one
//!   JSON line and exit), or `floor` (the benchmark's bare INSERT loop: `FLOOR_THREADS` connections
//!   insert 1 KB rows, one autocommit INSERT each, for `FLOOR_MS`; prints `{"rate": rows/s}`);
//! - `WORKERS` worker threads (2), `HANDLER_MS` time a handler run takes (5), `SLOW_MS` time the first
//!   run of a delivery whose id contains `slow` takes (4000: the test kills the process that holds it),
//!   `FAIL_PERCENT` (10), `MAX_ATTEMPTS` (4), `LEASE_MS` (6000), `RETRY_MS` first retry (100),
//!   `BATCH` deliveries claimed at once (4);
//! - `REPORT_ID`: with `ROLE=report`, only that delivery's inbox row.
//!
//! Worker ids are `pid<process id>-<n>`, so the lease owner of a row names the process.
//!
//! Prints `ready <port>` once it serves (or `ready 0` for a worker). A handler run fails when
//! `fnv1a("<delivery id>:<attempt>") % 100 < FAIL_PERCENT`, and always for a delivery id that contains
//! `poison` (so the test knows which deliveries must end dead); otherwise it records its effect idempotently: `INSERT INTO fault_effects ... ON CONFLICT
//! (delivery_id) DO NOTHING`. Every finished run is logged in `fault_runs`.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use coassemble_events::webhook::inbox::{Inbox, Job, Worker, WorkerOptions};

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

/// The effect store of one worker thread: the same database as the inbox.
enum Effects {
    Postgres(postgres::Client),
    Sqlite(rusqlite::Connection),
}

impl Effects {
    fn open(url: &str) -> Result<Effects, String> {
        let error = |e: &dyn std::fmt::Display| e.to_string();
        Ok(if url.starts_with("postgres") {
            let mut client =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| error(&e))?;
            client
                .batch_execute(&format!(
                    "SELECT pg_advisory_xact_lock(77); {EFFECTS_SCHEMA}"
                ))
                .map_err(|e| error(&e))?;
            Effects::Postgres(client)
        } else {
            let connection = rusqlite::Connection::open(url).map_err(|e| error(&e))?;
            connection
                .busy_handler(Some(coassemble_events::webhook::inbox::sqlite_busy_handler))
                .map_err(|e| error(&e))?;
            // The effect lives in the inbox's WAL file, whose commits reach the disk in commit order:
            // after an OS crash a surviving "processed" mark implies its earlier effect survived, and a
            // lost one makes the delivery run again. So the effect needs no fsync of its own (NORMAL,
            // like the workers' `work_session`); only the intake's commit precedes an answer.
            connection
                .execute_batch(&format!("PRAGMA synchronous = NORMAL; {EFFECTS_SCHEMA}"))
                .map_err(|e| error(&e))?;
            Effects::Sqlite(connection)
        })
    }

    /// The run's log line and, for an ok run, its effect: one transaction, so that a kill or an
    /// outage leaves both or neither.
    fn record(&mut self, id: &str, attempt: u32, outcome: &str) -> Result<(), String> {
        let attempt = attempt as i32;
        let at = now_ms();
        let fail = |e: &dyn std::fmt::Display| e.to_string();
        match self {
            Effects::Postgres(c) => {
                let mut tx = c.transaction().map_err(|e| fail(&e))?;
                if outcome == "ok" {
                    tx.execute("INSERT INTO fault_effects VALUES ($1, $2, $3) ON CONFLICT (delivery_id) DO NOTHING", &[&id, &attempt, &at]).map_err(|e| fail(&e))?;
                }
                tx.execute(
                    "INSERT INTO fault_runs VALUES ($1, $2, $3)",
                    &[&id, &attempt, &outcome],
                )
                .map_err(|e| fail(&e))?;
                tx.commit().map_err(|e| fail(&e))?;
            }
            Effects::Sqlite(c) => {
                let tx = c
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| fail(&e))?;
                if outcome == "ok" {
                    tx.execute("INSERT INTO fault_effects VALUES (?1, ?2, ?3) ON CONFLICT (delivery_id) DO NOTHING", rusqlite::params![id, attempt, at]).map_err(|e| fail(&e))?;
                }
                tx.execute(
                    "INSERT INTO fault_runs VALUES (?1, ?2, ?3)",
                    rusqlite::params![id, attempt, outcome],
                )
                .map_err(|e| fail(&e))?;
                tx.commit().map_err(|e| fail(&e))?;
            }
        }
        Ok(())
    }

    /// The outcome for the test: every inbox row, effect and finished run, as JSON arrays.
    fn report(&mut self) -> serde_json::Value {
        let only = std::env::var("REPORT_ID").map_or(String::new(), |id| {
            format!(" WHERE delivery_id = '{}'", id.replace('\'', ""))
        });
        let inbox = format!("SELECT delivery_id, status, attempts, COALESCE(last_error, ''), COALESCE(lease_owner, ''), received_at, COALESCE(processed_at, 0) FROM coassemble_webhook_inbox{only}");
        let inbox = inbox.as_str();
        let effects = "SELECT delivery_id, attempt, at FROM fault_effects";
        let runs = "SELECT delivery_id, attempt, outcome FROM fault_runs";
        use serde_json::json;
        match self {
            Effects::Postgres(c) => json!({
                "inbox": c.query(inbox, &[]).unwrap().iter().map(|r| json!([r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, i32>(2), r.get::<_, String>(3), r.get::<_, String>(4), r.get::<_, i64>(5), r.get::<_, i64>(6)])).collect::<Vec<_>>(),
                "effects": c.query(effects, &[]).unwrap().iter().map(|r| json!([r.get::<_, String>(0), r.get::<_, i32>(1), r.get::<_, i64>(2)])).collect::<Vec<_>>(),
                "runs": c.query(runs, &[]).unwrap().iter().map(|r| json!([r.get::<_, String>(0), r.get::<_, i32>(1), r.get::<_, String>(2)])).collect::<Vec<_>>(),
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
                json!({ "inbox": rows(inbox, 7), "effects": rows(effects, 3), "runs": rows(runs, 3) })
            }
        }
    }
}

/// The physical floor of an intake: plain autocommit INSERTs of 1 KB rows, one connection per thread,
/// with the inbox's durability settings (SQLite: WAL, synchronous FULL, as `sql/inbox.sqlite.sql`).
fn floor(url: &str) -> serde_json::Value {
    let threads = number("FLOOR_THREADS", 1);
    let run_for = Duration::from_millis(number("FLOOR_MS", 5000));
    let create =
        "CREATE TABLE IF NOT EXISTS floor_inserts (id TEXT PRIMARY KEY, body BYTEA NOT NULL)";
    if url.starts_with("postgres") {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        client.batch_execute(create).unwrap();
    } else {
        rusqlite::Connection::open(url)
            .unwrap()
            .execute_batch(create)
            .unwrap();
    }
    let started = std::time::Instant::now();
    let rows: u64 = (0..threads)
        .map(|t| {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let body = vec![b'x'; 1024];
                let mut n = 0u64;
                let id = |n: u64| format!("{}-{t}-{n}", std::process::id());
                if url.starts_with("postgres") {
                    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                    let insert = client.prepare("INSERT INTO floor_inserts VALUES ($1, $2)").unwrap();
                    while started.elapsed() < run_for {
                        client.execute(&insert, &[&id(n), &body]).unwrap();
                        n += 1;
                    }
                } else {
                    let c = rusqlite::Connection::open(&url).unwrap();
                    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;").unwrap();
                    while started.elapsed() < run_for {
                        c.prepare_cached("INSERT INTO floor_inserts VALUES (?1, ?2)").unwrap().execute(rusqlite::params![id(n), body]).unwrap();
                        n += 1;
                    }
                }
                n
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .sum();
    serde_json::json!({ "rate": rows as f64 / started.elapsed().as_secs_f64() })
}

struct App {
    inbox: Inbox,
    secrets: Vec<String>,
}

async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let intake = tokio::task::spawn_blocking(move || {
        app.inbox
            .intake(&pairs, &body, &app.secrets, SystemTime::now())
    })
    .await;
    match intake {
        Ok(Ok(_)) => StatusCode::OK,
        Ok(Err(error)) => StatusCode::from_u16(error.http_status()).unwrap(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn main() {
    let url = env("DATABASE_URL", "target/fault-inbox.db");
    let role = env("ROLE", "both");
    // Opening retries while the database is down (a restart during the PostgreSQL outage).
    let inbox = loop {
        match Inbox::open(&url) {
            Ok(inbox) => break inbox,
            Err(error) => {
                eprintln!("inbox_test_receiver: {error}; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    if role == "floor" {
        println!("{}", floor(&url));
        return;
    }
    if role == "report" {
        println!("{}", Effects::open(&url).expect("effects db").report());
        return;
    }
    if role == "both" || role == "worker" {
        let fail_percent = number("FAIL_PERCENT", 10) as u32;
        let handler_ms = number("HANDLER_MS", 5);
        let slow_ms = number("SLOW_MS", 4000);
        let options = WorkerOptions {
            max_attempts: number("MAX_ATTEMPTS", 4) as u32,
            lease: Duration::from_millis(number("LEASE_MS", 6000)),
            first_retry: Duration::from_millis(number("RETRY_MS", 100)),
            max_retry: Duration::from_millis(number("RETRY_MS", 100) * 8),
            batch: number("BATCH", 4) as u32,
            idle_wait: Duration::from_millis(50),
            ..WorkerOptions::default()
        };
        for n in 0..number("WORKERS", 2) {
            let options = WorkerOptions {
                id: format!("pid{}-{n}", std::process::id()),
                ..options.clone()
            };
            let (worker, url) = (Worker::new(&inbox, options), url.clone());
            std::thread::spawn(move || {
                let mut effects = None::<Effects>;
                worker.run(&AtomicBool::new(false), |job: &Job| {
                    let slow = job.delivery.id.contains("slow") && job.attempt == 1;
                    std::thread::sleep(Duration::from_millis(if slow {
                        slow_ms
                    } else {
                        handler_ms
                    }));
                    let id = &job.delivery.id;
                    let fails = id.contains("poison")
                        || fnv1a(&format!("{id}:{}", job.attempt)) % 100 < fail_percent;
                    let outcome = if fails { "fail" } else { "ok" };
                    if effects.is_none() {
                        effects = Some(Effects::open(&url)?);
                    }
                    let recorded = effects.as_mut().unwrap().record(id, job.attempt, outcome);
                    if recorded.is_err() {
                        effects = None; // reconnect on the next run (the database restarted)
                    }
                    recorded?;
                    if fails {
                        return Err(format!("injected failure on run {}", job.attempt));
                    }
                    Ok(())
                });
            });
        }
    }
    if role == "worker" {
        println!("ready 0");
        loop {
            std::thread::park();
        }
    }
    let app = Arc::new(App {
        inbox,
        secrets: vec![env("COASSEMBLE_WEBHOOK_SECRET", "whsec_demo")],
    });
    let router = Router::new()
        .route("/webhooks", post(receive))
        .with_state(app);
    let port = env("PORT", "0");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
                .await
                .unwrap();
            println!("ready {}", listener.local_addr().unwrap().port());
            axum::serve(listener, router).await.unwrap();
        });
}
