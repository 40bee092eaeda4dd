//! Helpers of the inbox tests (tests/inbox_conformance.rs, tests/inbox_worker.rs): a virtual clock,
//! signed headers, fresh databases.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coassemble_events::webhook::inbox::Clock;
use coassemble_events::webhook::sign;

/// The scenarios' clock: T0 is the real clock at the start, rounded down to a whole second.
#[derive(Clone)]
pub struct VirtualClock {
    t0: i64,
    now: Arc<AtomicI64>,
}

impl VirtualClock {
    pub fn start() -> VirtualClock {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let t0 = real - real % 1000;
        VirtualClock {
            t0,
            now: Arc::new(AtomicI64::new(t0)),
        }
    }

    /// Moves the clock to `at` ms after T0.
    pub fn set(&self, at: i64) {
        self.now.store(self.t0 + at, Ordering::SeqCst);
    }

    pub fn t0(&self) -> i64 {
        self.t0
    }

    pub fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    pub fn clock(&self) -> Clock {
        let now = self.now.clone();
        Clock::new(move || UNIX_EPOCH + Duration::from_millis(now.load(Ordering::SeqCst) as u64))
    }
}

/// The four headers of a delivery signed at `now_ms` (whole seconds) with `secret`.
pub fn signed_headers(id: &str, body: &[u8], secret: &str, now_ms: i64) -> Vec<(String, String)> {
    let timestamp = (now_ms / 1000) as u64;
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

pub fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A `course.completed` body for delivery `id`.
pub fn completed_body(id: &str) -> String {
    format!(
        r#"{{"id":"evt_{id}","type":"course.completed","occurredAt":"2026-11-23T12:00:00Z","workspaceId":1,"data":{{"course":{{"id":9,"title":"Onboarding","key":null,"clientIdentifier":null}},"tracking":{{"id":5,"identifier":"learner-{id}","email":null,"commenced":"2026-11-23T11:00:00Z","completed":"2026-11-23T12:00:00Z","totalTime":3600}}}}}}"#
    )
}

/// A fresh SQLite database path (no file yet).
pub fn fresh_sqlite() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("coassemble-inbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.db", NEXT.fetch_add(1, Ordering::Relaxed)));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// The test server's URL (scripts/postgres.sh run sets it), if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("COASSEMBLE_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A fresh database on the test server; returns its URL.
#[cfg(feature = "inbox-postgres")]
pub async fn fresh_postgres(server: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "inbox_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = coassemble_events::webhook::inbox::connect_postgres(
        server,
        &coassemble_events::webhook::inbox::InboxOptions::default(),
    )
    .await
    .expect("the test server accepts connections");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let (host, _) = base.rsplit_once('/').unwrap();
    if query.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{name}?{query}")
    }
}
