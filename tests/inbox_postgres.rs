//! The inbox contract (tests/inbox_contract) on PostgreSQL: a fresh database per test on the server
//! that `scripts/postgres.sh run` started (COASSEMBLE_TEST_POSTGRES_URL; `npm test` does it).
#![cfg(feature = "inbox-postgres")]

mod inbox_contract;

use std::sync::atomic::{AtomicUsize, Ordering};

fn server() -> String {
    std::env::var("COASSEMBLE_TEST_POSTGRES_URL").expect(
        "COASSEMBLE_TEST_POSTGRES_URL: run under `bash scripts/postgres.sh run cargo test ...` (npm test does)",
    )
}

/// A fresh database on the test server, and a way to break it (drop it, closing its connections).
fn fresh() -> (String, impl FnOnce()) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = server();
    let name = format!(
        "inbox_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    (format!("{base}/{name}"), move || {
        admin
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .unwrap();
    })
}

contract_tests!(fresh);

#[test]
fn unreachable_server_is_an_error_not_a_panic() {
    let err =
        coassemble_events::webhook::inbox::Inbox::open("postgres://postgres@127.0.0.1:1/none")
            .unwrap_err();
    assert!(
        err.to_string().starts_with("webhook inbox database"),
        "{err}"
    );
}
