//! What the scenarios (tests/inbox_conformance.rs) do not cover, in real time: workers running
//! concurrently with heartbeats, hung handlers, a store error on one outcome, a 0.1 SQLite table
//! upgraded, group-committed intakes, PostgreSQL over TLS (COASSEMBLE_TEST_POSTGRES_TLS_URL and
//! COASSEMBLE_TEST_POSTGRES_TLS_ROOT, set by the TLS mode of scripts/postgres.sh).
#![cfg(feature = "inbox-sqlite")]

mod support_inbox;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coassemble_events::webhook::inbox::{
    Inbox, InboxOptions, Intake, IntakeError, Outcome, Status, Worker, WorkerOptions,
};
use support_inbox::{completed_body, fresh_sqlite, real_now_ms, signed_headers};

const SECRET: &str = "whsec_worker_tests";

async fn deliver(inbox: &Inbox, id: &str) -> Result<Intake, IntakeError> {
    let body = completed_body(id);
    let headers = signed_headers(id, body.as_bytes(), SECRET, real_now_ms());
    inbox.intake(&headers, body.as_bytes(), &[SECRET]).await
}

async fn deliver_body(inbox: &Inbox, id: &str, body: &str) -> Result<Intake, IntakeError> {
    let headers = signed_headers(id, body.as_bytes(), SECRET, real_now_ms());
    inbox.intake(&headers, body.as_bytes(), &[SECRET]).await
}

async fn open_sqlite(options: InboxOptions) -> (Inbox, String) {
    let path = fresh_sqlite().display().to_string();
    (Inbox::open(&path, options).await.unwrap(), path)
}

fn count_of(counts: &[(Status, u64)], status: Status) -> u64 {
    counts
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n)
}

/// Issue 16's case: two workers, lease 2 s, 700 ms handlers, 10 deliveries. The old worker claimed
/// a batch of 10 leased from the claim and ran them one by one: 8 of 10 ran 2-3 times. Now each
/// claims its free slots only, runs them at once, and heartbeats keep the leases: each runs once.
async fn each_delivery_runs_once(inbox: Inbox) {
    for n in 0..10 {
        deliver(&inbox, &format!("c-{n}")).await.unwrap();
    }
    let runs: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut workers = Vec::new();
    for name in ["a", "b"] {
        let worker = Worker::new(
            &inbox,
            WorkerOptions {
                id: format!("worker-{name}"),
                lease: Duration::from_secs(2),
                idle_wait: Duration::from_millis(20),
                ..WorkerOptions::default()
            },
        );
        let (runs, stop) = (runs.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            worker
                .run(async move { stop.notified().await }, move |job| {
                    let runs = runs.clone();
                    async move {
                        *runs
                            .lock()
                            .unwrap()
                            .entry(job.delivery.id.clone())
                            .or_default() += 1;
                        tokio::time::sleep(Duration::from_millis(700)).await;
                        Ok::<(), String>(())
                    }
                })
                .await
        }));
    }
    let started = std::time::Instant::now();
    while count_of(&inbox.counts().await.unwrap(), Status::Processed) < 10 {
        assert!(started.elapsed() < Duration::from_secs(30), "not done");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Past two more lease periods: a run claimed again would show now.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.notify_waiters();
    for worker in workers {
        worker.await.unwrap();
    }
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 10);
    assert!(runs.values().all(|&n| n == 1), "each ran once: {runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_each_delivery_once_sqlite() {
    each_delivery_runs_once(open_sqlite(InboxOptions::default()).await.0).await;
}

#[cfg(feature = "inbox-postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_each_delivery_once_postgres() {
    let Some(server) = support_inbox::postgres_server() else {
        return eprintln!("SKIPPED: COASSEMBLE_TEST_POSTGRES_URL is not set");
    };
    let url = support_inbox::fresh_postgres(&server).await;
    each_delivery_runs_once(Inbox::open(&url, InboxOptions::default()).await.unwrap()).await;
}

/// Two handlers that never settle, concurrency 2: each is cancelled at the handler timeout, counted
/// as a failed run, and frees its slot for the six others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_handlers_time_out_and_free_their_slots() {
    let (inbox, _) = open_sqlite(InboxOptions {
        first_retry: Duration::from_secs(3600),
        ..InboxOptions::default()
    })
    .await;
    for id in ["hang-1", "hang-2", "d-1", "d-2", "d-3", "d-4", "d-5", "d-6"] {
        deliver(&inbox, id).await.unwrap();
    }
    let worker = Worker::new(
        &inbox,
        WorkerOptions {
            concurrency: 2,
            handler_timeout: Duration::from_millis(300),
            idle_wait: Duration::from_millis(20),
            ..WorkerOptions::default()
        },
    );
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let running = tokio::spawn(async move {
        worker
            .run(async move { stopped.notified().await }, |job| async move {
                if job.delivery.id.starts_with("hang") {
                    std::future::pending::<()>().await;
                }
                Ok::<(), String>(())
            })
            .await
    });
    let started = std::time::Instant::now();
    loop {
        let counts = inbox.counts().await.unwrap();
        if count_of(&counts, Status::Processed) == 6 && count_of(&counts, Status::Failed) == 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{counts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.notify_waiters();
    running.await.unwrap();
    for entry in inbox.list(Some(Status::Failed), 10).await.unwrap() {
        assert!(entry.id.starts_with("hang"), "{entry:?}");
        assert!(
            entry.last_error.as_deref().unwrap().contains("timed out"),
            "{entry:?}"
        );
    }
}

/// A database error while recording one outcome (here a trigger refuses one row's completion) is
/// reported for that run; the other runs of the claim are recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_error_on_one_outcome_does_not_abandon_the_others() {
    let (inbox, path) = open_sqlite(InboxOptions::default()).await;
    for id in ["d-1", "bad", "d-2", "d-3", "d-4", "d-5"] {
        deliver(&inbox, id).await.unwrap();
    }
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse_bad BEFORE UPDATE ON coassemble_webhook_inbox
             WHEN NEW.delivery_id = 'bad' AND NEW.status = 'processed'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .unwrap();
    let worker = Worker::new(
        &inbox,
        WorkerOptions {
            concurrency: 6,
            ..WorkerOptions::default()
        },
    );
    let report = worker
        .run_once(|_job| async { Ok::<(), String>(()) })
        .await
        .unwrap();
    assert_eq!(
        (report.claimed, report.processed, report.unrecorded),
        (6, 5, 1),
        "{report:?}"
    );
    let (id, outcome) = report
        .outcomes
        .iter()
        .find(|(_, o)| matches!(o, Outcome::Unrecorded(_)))
        .unwrap();
    assert_eq!(id, "bad");
    assert!(format!("{outcome:?}").contains("injected failure"));
    let counts = inbox.counts().await.unwrap();
    assert_eq!(count_of(&counts, Status::Processed), 5);
    assert_eq!(
        count_of(&counts, Status::Processing),
        1,
        "left to its lease"
    );
}

/// A panicking handler is a failed run; the worker goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_a_failed_run() {
    let (inbox, _) = open_sqlite(InboxOptions::default()).await;
    deliver(&inbox, "p-1").await.unwrap();
    let report = Worker::new(&inbox, WorkerOptions::default())
        .run_once(|_job| async { panic!("handler bug") as Result<(), String> })
        .await
        .unwrap();
    assert_eq!(report.outcomes, vec![("p-1".to_owned(), Outcome::Failed)]);
    let entry = &inbox.list(None, 1).await.unwrap()[0];
    assert_eq!(entry.last_error.as_deref(), Some("the handler panicked"));
}

/// A row as an older version stored it: only the columns that version had (the upgrade tests).
fn insert_old_row(c: &rusqlite::Connection, id: &str, now: i64) {
    c.execute(
        "INSERT INTO coassemble_webhook_inbox (delivery_id, event_type, signed_at, received_at,
         body, status, attempts, run_at) VALUES (?4, 'course.completed', ?1, ?2, ?3,
         'received', 0, ?2)",
        rusqlite::params![now / 1000, now, completed_body(id).into_bytes(), id],
    )
    .unwrap();
}

/// A table made by 0.1 (the schema of commit b890cd1, kept in tests/support_inbox/) is upgraded when
/// opened: its rows get the default lifecycle and are processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_sqlite_table_is_upgraded_and_its_rows_processed() {
    let old = include_str!("support_inbox/inbox-0.1.sqlite.sql");
    let schema = old
        .split("-- name: schema\n")
        .nth(1)
        .unwrap()
        .split("-- name: ")
        .next()
        .unwrap();
    let path = fresh_sqlite().display().to_string();
    let now = real_now_ms();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(schema).unwrap();
        insert_old_row(&c, "old-1", now);
        let columns: i64 = c
            .query_row(
                "SELECT count(*) FROM pragma_table_info('coassemble_webhook_inbox')
                 WHERE name = 'max_attempts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, 0, "the old schema");
    }
    let inbox = Inbox::open(&path, InboxOptions::default()).await.unwrap();
    // Opened twice (a second process): the upgrade is not run again.
    let again = Inbox::open(&path, InboxOptions::default()).await.unwrap();
    let entry = &again.list(None, 10).await.unwrap()[0];
    assert_eq!((entry.id.as_str(), entry.max_attempts), ("old-1", 10));
    let report = Worker::new(&inbox, WorkerOptions::default())
        .run_once(|job| async move {
            assert_eq!(job.max_attempts, 10);
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    assert_eq!(report.processed, 1);
    // New deliveries carry the intake's lifecycle.
    deliver(&inbox, "new-1").await.unwrap();
    assert_eq!(
        count_of(&inbox.counts().await.unwrap(), Status::Received),
        1
    );
}

/// A table made by 0.2 (lifecycle columns, no identity: tests/support_inbox/inbox-0.2.sqlite.sql) gets
/// the identity and reconciled columns and the unique indexes when opened; its rows are processed, and
/// new deliveries carry their identity (a second delivery of one event is a duplicate).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_2_sqlite_table_gets_the_identity_columns() {
    let old = include_str!("support_inbox/inbox-0.2.sqlite.sql");
    let part = |name: &str| {
        old.split(&format!("-- name: {name}\n"))
            .nth(1)
            .unwrap()
            .split("-- name: ")
            .next()
            .unwrap()
            .to_owned()
    };
    let path = fresh_sqlite().display().to_string();
    let now = real_now_ms();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&part("schema")).unwrap();
        c.execute_batch(&part("indexes")).unwrap();
        insert_old_row(&c, "old-2", now);
    }
    let inbox = Inbox::open(&path, InboxOptions::default()).await.unwrap();
    let _again = Inbox::open(&path, InboxOptions::default()).await.unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        let columns: i64 = c
            .query_row(
                "SELECT count(*) FROM pragma_table_info('coassemble_webhook_inbox')
                 WHERE name IN ('identity', 'reconciled')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, 2, "upgraded");
    }
    let report = Worker::new(&inbox, WorkerOptions::default())
        .run_once(|_job| async move { Ok::<(), String>(()) })
        .await
        .unwrap();
    assert_eq!(report.processed, 1);
    // The same learner's completion, two signed event ids, two delivery ids: one row (identity).
    let body = completed_body("x");
    let other = body.replace("evt_x", "evt_other");
    let (a, b) = (
        deliver_body(&inbox, "new-a", &body).await.unwrap(),
        deliver_body(&inbox, "new-b", &other).await.unwrap(),
    );
    assert!(matches!(a, Intake::Stored(_)), "{a:?}");
    assert!(matches!(b, Intake::Duplicate(_)), "{b:?}");
}

/// Many callers at once, each id sent by several of them (the committer thread puts rows of one id in
/// one transaction): each id is stored exactly once, the others answered Duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_intakes_store_each_id_once() {
    let (inbox, _) = open_sqlite(InboxOptions::default()).await;
    let mut tasks = Vec::new();
    for sender in 0..8 {
        let inbox = inbox.clone();
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for n in 0..50 {
                let id = format!("g-{}", (n + sender * 13) % 50);
                answers.push((id.clone(), deliver(&inbox, &id).await));
            }
            answers
        }));
    }
    let mut stored: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        for (id, answer) in task.await.unwrap() {
            match answer {
                Ok(Intake::Stored(d)) => {
                    assert_eq!(d.id, id);
                    *stored.entry(id).or_default() += 1;
                }
                Ok(Intake::Duplicate(d)) => assert_eq!(d.id, id),
                other => panic!("{id}: {other:?}"),
            }
        }
    }
    assert_eq!(stored.len(), 50);
    assert!(stored.values().all(|&n| n == 1), "{stored:?}");
}

/// A body over the limit is refused before anything else (413); the database refusing a write is a
/// 503 (Coassemble retries), never a 2xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_large_is_413_and_a_broken_store_is_503() {
    let (inbox, path) = open_sqlite(InboxOptions {
        max_body_bytes: 100,
        ..InboxOptions::default()
    })
    .await;
    let err = deliver(&inbox, "big").await.unwrap_err();
    assert_eq!((err.http_status(), err.code()), (413, "body_too_large"));
    let (inbox, _) = open_sqlite(InboxOptions::default()).await;
    deliver(&inbox, "d-1").await.unwrap();
    let _ = path;
    let broken = fresh_sqlite().display().to_string();
    let inbox_broken = Inbox::open(&broken, InboxOptions::default()).await.unwrap();
    rusqlite::Connection::open(&broken)
        .unwrap()
        .execute_batch("DROP TABLE coassemble_webhook_inbox")
        .unwrap();
    let err = deliver(&inbox_broken, "d-2").await.unwrap_err();
    assert_eq!((err.http_status(), err.code()), (503, "store_unavailable"));
}

/// PostgreSQL over TLS, when the TLS test server is up: verified with its root, refused without it
/// (with a clear error), and the server refuses plaintext.
#[cfg(feature = "inbox-postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_verifies_the_server() {
    let (Ok(url), Ok(root)) = (
        std::env::var("COASSEMBLE_TEST_POSTGRES_TLS_URL"),
        std::env::var("COASSEMBLE_TEST_POSTGRES_TLS_ROOT"),
    ) else {
        return eprintln!(
            "SKIPPED: COASSEMBLE_TEST_POSTGRES_TLS_URL / COASSEMBLE_TEST_POSTGRES_TLS_ROOT not set"
        );
    };
    let with = |params: &str| {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}{params}")
    };
    let quick = || InboxOptions {
        connect_timeout: Duration::from_secs(5),
        ..InboxOptions::default()
    };
    let inbox = Inbox::open(
        &with(&format!("sslmode=verify-full&sslrootcert={root}")),
        quick(),
    )
    .await
    .expect("verify-full with the server's root connects");
    deliver(&inbox, "tls-1").await.unwrap();
    assert_eq!(inbox.list(None, 10).await.unwrap().len(), 1);
    // The root in code instead of the URL.
    let pem = std::fs::read_to_string(&root).unwrap();
    Inbox::open(
        &with("sslmode=verify-full"),
        InboxOptions {
            tls_roots_pem: Some(pem),
            ..quick()
        },
    )
    .await
    .expect("the root given in InboxOptions");
    let err = Inbox::open(&with("sslmode=verify-full"), quick())
        .await
        .expect_err("the Mozilla roots do not know a test certificate");
    assert!(
        err.to_string().contains("certificate") && err.to_string().contains("sslrootcert"),
        "a clear error: {err}"
    );
    // prefer (the default) uses TLS when the server offers it, verified: a certificate that fails
    // verification is an error, not a fallback to plaintext or to an unverified connection.
    let err = Inbox::open(&url, quick())
        .await
        .expect_err("prefer verifies the certificate it is offered");
    assert!(err.to_string().contains("sslrootcert"), "{err}");
    Inbox::open(
        &with(&format!("sslmode=verify-ca&sslrootcert={root}")),
        quick(),
    )
    .await
    .expect("verify-ca with the root");
    Inbox::open(&with("sslmode=no-verify"), quick())
        .await
        .expect("no-verify encrypts without verifying");
    let err = Inbox::open(&with("sslmode=disable"), quick())
        .await
        .expect_err("the server refuses plaintext");
    assert!(
        err.to_string().contains("28000"),
        "refused by pg_hba: {err}"
    );
}

/// The pool's bounds on PostgreSQL: with one connection held by a statement stuck on a lock, another
/// call fails after the acquire timeout (the intake answers 503), and the stuck statement itself fails
/// at the statement timeout instead of holding its connection forever.
#[cfg(feature = "inbox-postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pool_acquire_and_statement_timeouts() {
    let Some(server) = support_inbox::postgres_server() else {
        return eprintln!("SKIPPED: COASSEMBLE_TEST_POSTGRES_URL is not set");
    };
    let url = support_inbox::fresh_postgres(&server).await;
    let options = InboxOptions {
        pool_size: 1,
        acquire_timeout: Duration::from_millis(300),
        statement_timeout: Duration::from_millis(1500),
        ..InboxOptions::default()
    };
    let inbox = Inbox::open(&url, options.clone()).await.unwrap();
    let mut locker = coassemble_events::webhook::inbox::connect_postgres(&url, &options)
        .await
        .unwrap();
    let lock = locker.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE coassemble_webhook_inbox IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let stuck = {
        let inbox = inbox.clone();
        tokio::spawn(async move { deliver(&inbox, "stuck").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let err = deliver(&inbox, "waiting").await.unwrap_err();
    assert_eq!(err.http_status(), 503);
    assert!(
        err.to_string().contains("no free database connection"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    let err = stuck.await.unwrap().unwrap_err();
    assert!(
        err.to_string().contains("57014"),
        "statement timeout: {err}"
    );
    lock.rollback().await.unwrap();
    deliver(&inbox, "after")
        .await
        .expect("the pool serves again");
}
