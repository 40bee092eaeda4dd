//! The inbox contract (tests/inbox_contract) on SQLite: a fresh database file per test.
#![cfg(feature = "inbox-sqlite")]

mod inbox_contract;

use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh database path, and a way to break it (drop the inbox table behind the inbox's back).
fn fresh() -> (String, impl FnOnce()) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("coassemble-inbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.db", NEXT.fetch_add(1, Ordering::Relaxed)));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = path.to_str().unwrap().to_owned();
    let target = url.clone();
    (url, move || {
        rusqlite::Connection::open(&target)
            .unwrap()
            .execute_batch("DROP TABLE coassemble_webhook_inbox")
            .unwrap();
    })
}

contract_tests!(fresh);

/// Two processes' worth of connections on one file: a delivery stored through one inbox is claimed
/// once through either.
#[test]
fn two_inboxes_on_one_file_share_it() {
    let (url, _) = fresh();
    let (a, b) = (
        coassemble_events::webhook::inbox::Inbox::open(&url).unwrap(),
        coassemble_events::webhook::inbox::Inbox::open(&url).unwrap(),
    );
    inbox_contract::deliver(&a, "s-1", &inbox_contract::completed_body("1")).unwrap();
    assert!(matches!(
        inbox_contract::deliver(&b, "s-1", &inbox_contract::completed_body("1")),
        Ok(coassemble_events::webhook::inbox::Intake::Duplicate(_))
    ));
    let worker = coassemble_events::webhook::inbox::Worker::new(&b, inbox_contract::options(3));
    assert_eq!(
        worker.run_once(|_| Ok::<_, String>(())).unwrap().processed,
        1
    );
}
