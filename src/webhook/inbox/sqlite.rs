//! The SQLite backend (`rusqlite`, SQLite bundled): `sql/inbox.sqlite.sql`, one file on one machine,
//! shared by the processes that open it (WAL mode; SQLite serialises their writes).
//!
//! One process uses two connections behind one mutex: SQLite takes one writer at a time anyway, and
//! threads waiting on a mutex are woken at once, where connections contending for SQLite's lock poll
//! with growing sleeps. The intake's connection commits with `synchronous = FULL`; the workers' one
//! with `work_session`'s setting. Other processes on the file wait on SQLite's lock (busy timeout).
//!
//! Group commit: a durable commit costs one fsync, and this is the intake's limit (a disk gives a few
//! hundred fsyncs a second; SQLite has no group commit of its own). So intakes do not commit
//! themselves: each hands its row to one committer thread and waits. The committer takes every row
//! queued while its previous commit ran, inserts them in one transaction, commits once, and only then
//! answers each caller (stored, known, or the commit's error). Idle, a lone row is committed at once.

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use super::{statement, Claimed, Entry, NewRow, Status, Store, StoreError};

const SQL: &str = include_str!("../../../sql/inbox.sqlite.sql");

fn failed(error: rusqlite::Error) -> StoreError {
    StoreError::new(error)
}

/// Each statement's text, cut from the SQL file once.
struct Statements {
    bury_expired: String,
    claim: String,
    complete: String,
    fail: String,
    redrive: String,
    list: String,
    counts: String,
}

/// The inbox's busy handler for SQLite connections (`rusqlite::Connection::busy_handler`); use it on
/// the application's own connections to the inbox file too (a handler writing its effects there).
///
/// Another connection holds the write lock: wait for it in short steps, up to about 10 s, then fail
/// (the intake answers 503). SQLite's own busy timeout sleeps up to 100 ms per retry, which under
/// steady load turns a wait of a millisecond into one of a hundred.
pub fn sqlite_busy_handler(retries: i32) -> bool {
    std::thread::sleep(Duration::from_micros(250));
    retries < 40_000
}

struct Connections {
    intake: Connection,
    work: Connection,
}

impl Connections {
    fn open(path: &str) -> Result<Connections, StoreError> {
        let connect = |work: bool| -> Result<Connection, StoreError> {
            let connection = Connection::open(path).map_err(failed)?;
            connection
                .execute_batch(&statement(SQL, "connect"))
                .map_err(failed)?;
            connection
                .busy_handler(Some(sqlite_busy_handler))
                .map_err(failed)?;
            if work {
                connection
                    .execute_batch(&statement(SQL, "work_session"))
                    .map_err(failed)?;
            }
            Ok(connection)
        };
        Ok(Connections {
            intake: connect(false)?,
            work: connect(true)?,
        })
    }
}

/// The file and this process's connections to it, shared with the intake's committer thread.
struct Database {
    path: String,
    /// `None` after an error: opened again on the next call.
    connections: Mutex<Option<Connections>>,
}

impl Database {
    /// Runs `work` on the intake's connection or the workers', holding the process's lock.
    fn with<T>(
        &self,
        work: bool,
        run: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut open = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let connections = match open.take() {
            Some(connections) => connections,
            None => Connections::open(&self.path)?,
        };
        let result = run(if work {
            &connections.work
        } else {
            &connections.intake
        });
        if result.is_ok() {
            *open = Some(connections);
        }
        result.map_err(failed)
    }
}

/// A verified delivery waiting for the next intake commit (the `insert` statement's parameters,
/// owned: the committer thread outlives the caller's borrow).
struct QueuedRow {
    id: String,
    event_type: String,
    signed_at: i64,
    received_at: i64,
    body: Vec<u8>,
    event_id: Option<String>,
    test: bool,
    status: Status,
    last_error: Option<String>,
    /// Where the caller waits: stored now (`true`), a known id (`false`), or the commit's error.
    answer: mpsc::SyncSender<Result<bool, String>>,
}

/// The committer thread's loop, until the store is dropped (its sender with it).
fn commit_intakes(database: Arc<Database>, insert: String, queue: mpsc::Receiver<QueuedRow>) {
    // `recv` blocks only while nothing waits, so a lone row is committed at once; under load the
    // batch is whatever queued during the previous commit's fsync.
    while let Ok(first) = queue.recv() {
        let batch: Vec<QueuedRow> = std::iter::once(first).chain(queue.try_iter()).collect();
        let outcome = database.with(false, |c| {
            let transaction = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            // Row by row in queue order, so a second row with an id already in this batch meets
            // the first one's insert (ON CONFLICT) and is answered as known, as it would be alone.
            let stored = {
                let mut insert = transaction.prepare_cached(&insert)?;
                batch
                    .iter()
                    .map(|row| {
                        let changed = insert.execute(params![
                            row.id,
                            row.event_type,
                            row.signed_at,
                            row.received_at,
                            row.body,
                            row.event_id,
                            row.test,
                            row.status.as_str(),
                            row.last_error
                        ])?;
                        Ok(changed == 1)
                    })
                    .collect::<Result<Vec<bool>, rusqlite::Error>>()?
            };
            transaction.commit()?;
            Ok(stored)
        });
        // A caller that gave up waiting (its thread ended) has dropped its receiver: nothing to do.
        match outcome {
            Ok(stored) => {
                for (row, stored) in batch.iter().zip(stored) {
                    let _ = row.answer.send(Ok(stored));
                }
            }
            // Nothing of the batch is committed (the transaction rolled back): each caller's 503.
            Err(error) => {
                let error = error.to_string();
                for row in &batch {
                    let _ = row.answer.send(Err(error.clone()));
                }
            }
        }
    }
}

pub(super) struct SqliteStore {
    database: Arc<Database>,
    /// To the committer thread (see the module's doc).
    intake: mpsc::Sender<QueuedRow>,
    sql: Statements,
}

impl SqliteStore {
    pub(super) fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let database = Arc::new(Database {
            path: path.to_owned(),
            connections: Mutex::new(None),
        });
        database.with(false, |c| c.execute_batch(&statement(SQL, "schema")))?;
        let (intake, queue) = mpsc::channel();
        let (committer, insert) = (database.clone(), statement(SQL, "insert"));
        std::thread::Builder::new()
            .name("inbox-intake-commit".into())
            .spawn(move || commit_intakes(committer, insert, queue))
            .map_err(StoreError::new)?;
        Ok(SqliteStore {
            database,
            intake,
            sql: Statements {
                bury_expired: statement(SQL, "bury_expired"),
                claim: statement(SQL, "claim"),
                complete: statement(SQL, "complete"),
                fail: statement(SQL, "fail"),
                redrive: statement(SQL, "redrive"),
                list: statement(SQL, "list"),
                counts: statement(SQL, "counts"),
            },
        })
    }

    fn with<T>(
        &self,
        run: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        self.database.with(true, run)
    }

    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        self.with(|c| c.prepare_cached(sql)?.execute(params))
    }
}

impl Store for SqliteStore {
    /// Queues the row for the committer thread and waits until its batch is committed (or failed).
    fn insert(&self, row: &NewRow<'_>) -> Result<bool, StoreError> {
        let stopped = || StoreError::new("the inbox's intake committer has stopped");
        let (answer, outcome) = mpsc::sync_channel(1);
        self.intake
            .send(QueuedRow {
                id: row.id.to_owned(),
                event_type: row.event_type.to_owned(),
                signed_at: row.signed_at,
                received_at: row.received_at,
                body: row.body.to_owned(),
                event_id: row.event_id.map(str::to_owned),
                test: row.test,
                status: row.status,
                last_error: row.last_error.clone(),
                answer,
            })
            .map_err(|_| stopped())?;
        outcome
            .recv()
            .map_err(|_| stopped())?
            .map_err(StoreError::new)
    }

    fn claim(
        &self,
        now: i64,
        worker: &str,
        lease: i64,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.execute(&self.sql.bury_expired, params![now, max_attempts])?;
        self.with(|c| {
            let mut claim = c.prepare_cached(&self.sql.claim)?;
            let rows = claim.query_map(params![now, worker, lease, limit], |row| {
                Ok(Claimed {
                    id: row.get(0)?,
                    event_type: row.get(1)?,
                    signed_at: row.get(2)?,
                    received_at: row.get(3)?,
                    body: row.get(4)?,
                    attempts: row.get(7)?,
                })
            })?;
            rows.collect()
        })
    }

    fn complete(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(&self.sql.complete, params![id, worker, attempts, now])? == 1)
    }

    fn fail(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        next_run: i64,
        error: &str,
        max_attempts: u32,
    ) -> Result<bool, StoreError> {
        let changed = self.execute(
            &self.sql.fail,
            params![id, worker, attempts, next_run, error, max_attempts],
        )?;
        Ok(changed == 1)
    }

    fn redrive(&self, id: Option<&str>, now: i64) -> Result<u64, StoreError> {
        Ok(self.execute(&self.sql.redrive, params![id, now])? as u64)
    }

    fn list(&self, status: Option<Status>, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let rows = self.with(|c| {
            let mut list = c.prepare_cached(&self.sql.list)?;
            let rows = list.query_map(params![status.map(Status::as_str), limit], |row| {
                Ok((
                    row.get::<_, String>(2)?,
                    Entry {
                        id: row.get(0)?,
                        event_type: row.get(1)?,
                        status: Status::Received,
                        attempts: row.get(3)?,
                        received_at: row.get(4)?,
                        run_at: row.get(5)?,
                        processed_at: row.get(6)?,
                        last_error: row.get(7)?,
                        test: row.get(8)?,
                    },
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })?;
        rows.into_iter()
            .map(|(status, entry)| {
                Ok(Entry {
                    status: Status::parse(&status)?,
                    ..entry
                })
            })
            .collect()
    }

    fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        let rows = self.with(|c| {
            let mut counts = c.prepare_cached(&self.sql.counts)?;
            let rows = counts.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })?;
        rows.into_iter()
            .map(|(status, count)| Ok((Status::parse(&status)?, count.max(0) as u64)))
            .collect()
    }
}
