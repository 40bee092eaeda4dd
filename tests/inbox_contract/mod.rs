//! The inbox contract, one test suite for every backend: `tests/inbox_sqlite.rs` and
//! `tests/inbox_postgres.rs` instantiate it with a fresh database per test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coassemble_events::webhook::inbox::{
    Inbox, Intake, IntakeError, Redrive, Status, Worker, WorkerOptions,
};
use coassemble_events::webhook::{sign, WebhookEvent};

pub const SECRET: &str = "whsec_contract";

pub fn completed_body(id: &str) -> String {
    format!(
        r#"{{"id":"evt_{id}","type":"course.completed","occurredAt":"2026-11-23T12:00:00Z","workspaceId":1,"data":{{"course":{{"id":9,"title":"Onboarding","key":null,"clientIdentifier":null}},"tracking":{{"id":5,"identifier":"learner-7","email":null,"commenced":"2026-11-23T11:00:00Z","completed":"2026-11-23T12:00:00Z","totalTime":3600}}}}}}"#
    )
}

/// The four headers of a delivery signed now with [`SECRET`] (or `secret`).
pub fn headers_for(id: &str, body: &[u8], secret: &str) -> Vec<(String, String)> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    vec![
        ("X-Coassemble-Event".into(), "course.completed".into()),
        ("X-Coassemble-Delivery".into(), id.into()),
        ("X-Coassemble-Timestamp".into(), timestamp.to_string()),
        (
            "X-Coassemble-Signature".into(),
            sign(secret.as_bytes(), timestamp, body),
        ),
    ]
}

pub fn deliver(inbox: &Inbox, id: &str, body: &str) -> Result<Intake, IntakeError> {
    let headers = headers_for(id, body.as_bytes(), SECRET);
    inbox.intake(&headers, body.as_bytes(), &[SECRET], SystemTime::now())
}

pub fn status_of(inbox: &Inbox, id: &str) -> (Status, u32, Option<String>) {
    let entry = inbox
        .list(None, 10_000)
        .unwrap()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id} is stored"));
    (entry.status, entry.attempts, entry.last_error)
}

pub fn options(max_attempts: u32) -> WorkerOptions {
    WorkerOptions {
        max_attempts,
        first_retry: Duration::ZERO,
        ..WorkerOptions::default()
    }
}

fn ok(_: &coassemble_events::webhook::inbox::Job) -> Result<(), String> {
    Ok(())
}

pub fn stored_once_then_duplicate(inbox: Inbox) {
    assert!(matches!(
        deliver(&inbox, "d-1", &completed_body("1")),
        Ok(Intake::Stored(_))
    ));
    let again = deliver(&inbox, "d-1", &completed_body("1"));
    assert!(
        matches!(again, Ok(Intake::Duplicate(ref d)) if d.id == "d-1"),
        "{again:?}"
    );
    let entries = inbox.list(None, 100).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].status,
            entries[0].attempts,
            entries[0].event_type.as_str()
        ),
        (Status::Received, 0, "course.completed")
    );
}

pub fn refusals_store_nothing(inbox: Inbox) {
    let body = completed_body("2");
    let forged = headers_for("d-2", body.as_bytes(), "whsec_someone_else");
    let err = inbox
        .intake(&forged, body.as_bytes(), &[SECRET], SystemTime::now())
        .unwrap_err();
    assert_eq!((err.http_status(), err.code()), (401, "bad_signature"));
    let headers = headers_for("d-2", body.as_bytes(), SECRET);
    let late = SystemTime::now() + Duration::from_secs(301);
    let err = inbox
        .intake(&headers, body.as_bytes(), &[SECRET], late)
        .unwrap_err();
    assert_eq!((err.http_status(), err.code()), (401, "stale_timestamp"));
    assert!(inbox.list(None, 100).unwrap().is_empty());
}

pub fn not_json_is_dead_at_once(inbox: Inbox) {
    assert!(matches!(
        deliver(&inbox, "d-3", "not json {"),
        Ok(Intake::Stored(_))
    ));
    let (status, attempts, error) = status_of(&inbox, "d-3");
    assert_eq!((status, attempts), (Status::Dead, 0));
    assert!(error.unwrap().starts_with("body is not JSON"));
    let report = Worker::new(&inbox, options(3)).run_once(ok).unwrap();
    assert_eq!(report.claimed, 0);
}

pub fn lenient_body_reaches_the_handler(inbox: Inbox) {
    let body = completed_body("4")
        .replace(
            r#""totalTime":3600"#,
            r#""totalTime":12.5,"newField":{"a":[1]}"#,
        )
        .replace("2026-11-23T12:00:00Z", "2026-11-23T12:00:00+0000");
    assert!(matches!(
        deliver(&inbox, "d-4", &body),
        Ok(Intake::Stored(_))
    ));
    let seen = Mutex::new(None);
    let report = Worker::new(&inbox, options(3))
        .run_once(|job| {
            *seen.lock().unwrap() = Some(job.clone());
            Ok::<_, String>(())
        })
        .unwrap();
    assert_eq!((report.claimed, report.processed), (1, 1));
    let job = seen.into_inner().unwrap().unwrap();
    assert_eq!(job.attempt, 1);
    let WebhookEvent::CourseCompleted(progress) = &job.delivery.payload else {
        panic!("typed: {:?}", job.delivery.payload)
    };
    assert_eq!(progress.tracking.total_time, None);
    assert_eq!(progress.occurred_at, None);
    assert_eq!(progress.tracking.identifier.as_deref(), Some("learner-7"));
    let tracking = &job.delivery.json["data"]["tracking"];
    assert_eq!(
        (
            tracking["totalTime"].as_f64(),
            tracking["newField"]["a"][0].as_u64()
        ),
        (Some(12.5), Some(1))
    );
    assert_eq!(status_of(&inbox, "d-4").0, Status::Processed);
}

pub fn processed_once(inbox: Inbox) {
    deliver(&inbox, "d-5", &completed_body("5")).unwrap();
    let worker = Worker::new(&inbox, options(3));
    assert_eq!(worker.run_once(ok).unwrap().processed, 1);
    assert_eq!(worker.run_once(ok).unwrap().claimed, 0);
    assert!(matches!(
        deliver(&inbox, "d-5", &completed_body("5")),
        Ok(Intake::Duplicate(_))
    ));
    assert_eq!(worker.run_once(ok).unwrap().claimed, 0);
    let entry = &inbox.list(Some(Status::Processed), 10).unwrap()[0];
    assert!(entry.processed_at.is_some() && entry.last_error.is_none());
}

pub fn failures_retry_then_dead_then_redrive(inbox: Inbox) {
    deliver(&inbox, "d-6", &completed_body("6")).unwrap();
    let worker = Worker::new(&inbox, options(3));
    for attempt in 1..=3 {
        let report = worker
            .run_once(|job| {
                assert_eq!(job.attempt, attempt);
                Err(format!("crm down on run {}", job.attempt))
            })
            .unwrap();
        assert_eq!(report.failed, 1);
        let expected = if attempt < 3 {
            Status::Failed
        } else {
            Status::Dead
        };
        assert_eq!(
            status_of(&inbox, "d-6"),
            (
                expected,
                attempt,
                Some(format!("crm down on run {attempt}"))
            )
        );
    }
    assert_eq!(
        worker.run_once(ok).unwrap().claimed,
        0,
        "dead is not claimed"
    );
    assert_eq!(inbox.list(Some(Status::Dead), 10).unwrap().len(), 1);
    assert_eq!(
        inbox
            .redrive(Redrive::One("d-6"), SystemTime::now())
            .unwrap(),
        1
    );
    assert_eq!(status_of(&inbox, "d-6").0, Status::Received);
    assert_eq!(
        inbox
            .redrive(Redrive::One("d-6"), SystemTime::now())
            .unwrap(),
        0,
        "only dead ones"
    );
    assert_eq!(worker.run_once(ok).unwrap().processed, 1);
    assert_eq!(status_of(&inbox, "d-6").0, Status::Processed);
}

pub fn backoff_delays_the_retry(inbox: Inbox) {
    deliver(&inbox, "d-7", &completed_body("7")).unwrap();
    let worker = Worker::new(
        &inbox,
        WorkerOptions {
            first_retry: Duration::from_secs(3600),
            max_retry: Duration::from_secs(3600),
            ..options(3)
        },
    );
    assert_eq!(worker.run_once(|_| Err("no")).unwrap().failed, 1);
    assert_eq!(
        worker.run_once(ok).unwrap().claimed,
        0,
        "not due for an hour"
    );
    let entry = &inbox.list(None, 10).unwrap()[0];
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(entry.run_at > now_ms + 3_500_000, "{entry:?}");
}

pub fn panicking_handler_is_a_failed_run(inbox: Inbox) {
    deliver(&inbox, "d-8", &completed_body("8")).unwrap();
    let report = Worker::new(&inbox, options(3))
        .run_once(|_| -> Result<(), String> { panic!("handler bug") })
        .unwrap();
    assert_eq!(report.failed, 1);
    assert_eq!(
        status_of(&inbox, "d-8"),
        (Status::Failed, 1, Some("the handler panicked".into()))
    );
}

/// A worker that dies (here: outlives its lease) loses the delivery to the next worker, whose outcome
/// counts; the first one's late `complete` is refused.
pub fn expired_lease_is_taken_over(inbox: Inbox) {
    deliver(&inbox, "d-9", &completed_body("9")).unwrap();
    let expired = WorkerOptions {
        lease: Duration::ZERO,
        ..options(3)
    };
    let first = Worker::new(&inbox, expired.clone());
    let second = Worker::new(&inbox, options(3));
    let report = first
        .run_once(|job| {
            assert_eq!(status_of(&inbox, "d-9").0, Status::Processing);
            let taken = second
                .run_once(|retaken| {
                    assert_eq!((retaken.attempt, job.attempt), (2, 1));
                    Ok::<_, String>(())
                })
                .unwrap();
            assert_eq!(taken.processed, 1);
            Ok::<_, String>(())
        })
        .unwrap();
    assert_eq!((report.processed, report.lost_leases), (0, 1));
    assert_eq!(status_of(&inbox, "d-9"), (Status::Processed, 2, None));
}

/// A lease that expires on the last allowed run makes the delivery dead, not claimable forever.
pub fn expired_last_lease_is_dead(inbox: Inbox) {
    deliver(&inbox, "d-10", &completed_body("10")).unwrap();
    let first = Worker::new(
        &inbox,
        WorkerOptions {
            lease: Duration::ZERO,
            ..options(1)
        },
    );
    let second = Worker::new(&inbox, options(1));
    first
        .run_once(|_| {
            assert_eq!(second.run_once(ok).unwrap().claimed, 0);
            Ok::<_, String>(())
        })
        .unwrap();
    let (status, attempts, error) = status_of(&inbox, "d-10");
    assert_eq!((status, attempts), (Status::Dead, 1));
    assert!(error.unwrap().contains("lease expired"));
    assert_eq!(
        inbox.redrive(Redrive::AllDead, SystemTime::now()).unwrap(),
        1
    );
}

/// Workers on several threads (each its own connection) claim each delivery once.
pub fn concurrent_workers_claim_each_once(inbox: Inbox) {
    for n in 0..200 {
        deliver(&inbox, &format!("c-{n}"), &completed_body(&n.to_string())).unwrap();
    }
    let runs = Arc::new(Mutex::new(std::collections::HashMap::<String, u32>::new()));
    let idle = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (inbox, runs, idle) = (inbox.clone(), runs.clone(), idle.clone());
            std::thread::spawn(move || {
                let worker = Worker::new(
                    &inbox,
                    WorkerOptions {
                        batch: 7,
                        ..options(3)
                    },
                );
                loop {
                    let report = worker
                        .run_once(|job| {
                            *runs
                                .lock()
                                .unwrap()
                                .entry(job.delivery.id.clone())
                                .or_default() += 1;
                            Ok::<_, String>(())
                        })
                        .unwrap();
                    if report.claimed == 0 {
                        idle.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 200);
    assert!(runs.values().all(|&n| n == 1), "each delivery ran once");
    assert_eq!(inbox.counts().unwrap(), vec![(Status::Processed, 200)]);
}

/// Many callers at once, each id sent by several of them (backends that batch commits put rows of
/// one id in one transaction): each id is stored exactly once, every other caller of it is answered
/// Duplicate, and each answer is about the caller's own delivery.
pub fn concurrent_intakes_store_each_id_once(inbox: Inbox) {
    const IDS: usize = 100;
    const SENDERS: usize = 8;
    let start = Arc::new(std::sync::Barrier::new(SENDERS));
    let threads: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (inbox, start) = (inbox.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                // Each sender walks the ids from its own offset, so the copies of an id arrive
                // both at once and spread apart.
                (0..IDS)
                    .map(|n| {
                        let id = format!("g-{}", (n + sender * 13) % IDS);
                        let answer = deliver(&inbox, &id, &completed_body(&id));
                        (id, answer)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut stored = std::collections::HashMap::<String, usize>::new();
    for thread in threads {
        for (id, answer) in thread.join().unwrap() {
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
    assert_eq!(stored.len(), IDS, "every id answered Stored once");
    assert!(stored.values().all(|&n| n == 1), "{stored:?}");
    assert_eq!(
        inbox.counts().unwrap(),
        vec![(Status::Received, IDS as u64)]
    );
}

/// The database refusing a write is a 503 (Coassemble retries), never a 2xx.
pub fn store_failure_is_503(inbox: Inbox, break_store: impl FnOnce()) {
    deliver(&inbox, "d-11", &completed_body("11")).unwrap();
    break_store();
    // Several callers at once (one batch, or several): every one of them is refused.
    let threads: Vec<_> = (12..20)
        .map(|n| {
            let inbox = inbox.clone();
            std::thread::spawn(move || deliver(&inbox, &format!("d-{n}"), &completed_body("12")))
        })
        .collect();
    for thread in threads {
        let err = thread.join().unwrap().unwrap_err();
        assert_eq!(
            (err.http_status(), err.code()),
            (503, "store_unavailable"),
            "{err}"
        );
    }
}

/// Instantiates every contract test; `$fresh` makes `(url, break_store)` for a fresh database.
#[macro_export]
macro_rules! contract_tests {
    ($fresh:path) => {
        fn open() -> coassemble_events::webhook::inbox::Inbox {
            coassemble_events::webhook::inbox::Inbox::open(&$fresh().0).expect("inbox opens")
        }
        #[test]
        fn stored_once_then_duplicate() {
            inbox_contract::stored_once_then_duplicate(open())
        }
        #[test]
        fn refusals_store_nothing() {
            inbox_contract::refusals_store_nothing(open())
        }
        #[test]
        fn not_json_is_dead_at_once() {
            inbox_contract::not_json_is_dead_at_once(open())
        }
        #[test]
        fn lenient_body_reaches_the_handler() {
            inbox_contract::lenient_body_reaches_the_handler(open())
        }
        #[test]
        fn processed_once() {
            inbox_contract::processed_once(open())
        }
        #[test]
        fn failures_retry_then_dead_then_redrive() {
            inbox_contract::failures_retry_then_dead_then_redrive(open())
        }
        #[test]
        fn backoff_delays_the_retry() {
            inbox_contract::backoff_delays_the_retry(open())
        }
        #[test]
        fn panicking_handler_is_a_failed_run() {
            inbox_contract::panicking_handler_is_a_failed_run(open())
        }
        #[test]
        fn expired_lease_is_taken_over() {
            inbox_contract::expired_lease_is_taken_over(open())
        }
        #[test]
        fn expired_last_lease_is_dead() {
            inbox_contract::expired_last_lease_is_dead(open())
        }
        #[test]
        fn concurrent_workers_claim_each_once() {
            inbox_contract::concurrent_workers_claim_each_once(open())
        }
        #[test]
        fn concurrent_intakes_store_each_id_once() {
            inbox_contract::concurrent_intakes_store_each_id_once(open())
        }
        #[test]
        fn store_failure_is_503() {
            let (url, break_store) = $fresh();
            let inbox = coassemble_events::webhook::inbox::Inbox::open(&url).expect("inbox opens");
            inbox_contract::store_failure_is_503(inbox, break_store)
        }
    };
}
