//! The SQLite backend (`rusqlite`, SQLite bundled): `sql/inbox.sqlite.sql`, one file on one machine,
//! shared by the processes that open it (WAL mode; SQLite serialises their writes).

use std::time::Duration;

use rusqlite::{params, Connection};

use super::{statement, Claimed, Entry, NewRow, Pool, Status, Store, StoreError};

const SQL: &str = include_str!("../../../sql/inbox.sqlite.sql");

fn failed(error: rusqlite::Error) -> StoreError {
    StoreError::new(error)
}

/// Each statement's text, cut from the SQL file once.
struct Statements {
    insert: String,
    bury_expired: String,
    claim: String,
    complete: String,
    fail: String,
    redrive: String,
    list: String,
    counts: String,
}

pub(super) struct SqliteStore {
    pool: Pool<Connection>,
    sql: Statements,
}

impl SqliteStore {
    pub(super) fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        let connect_sql = statement(SQL, "connect");
        let pool = Pool::new(move || {
            let connection = Connection::open(&path).map_err(failed)?;
            // Another process may hold the write lock for a moment: wait for it rather than fail.
            connection
                .busy_timeout(Duration::from_secs(10))
                .map_err(failed)?;
            connection.execute_batch(&connect_sql).map_err(failed)?;
            Ok(connection)
        });
        pool.with(|c| c.execute_batch(&statement(SQL, "schema")).map_err(failed))?;
        Ok(SqliteStore {
            pool,
            sql: Statements {
                insert: statement(SQL, "insert"),
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

    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        self.pool
            .with(|c| c.prepare_cached(sql)?.execute(params).map_err(failed))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        failed(error)
    }
}

impl Store for SqliteStore {
    fn insert(&self, row: &NewRow<'_>) -> Result<bool, StoreError> {
        let changed = self.execute(
            &self.sql.insert,
            params![
                row.id,
                row.event_type,
                row.signed_at,
                row.received_at,
                row.body,
                row.event_id,
                row.test,
                row.status.as_str(),
                row.last_error
            ],
        )?;
        Ok(changed == 1)
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
        self.pool.with(|c| {
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
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
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
        self.pool.with(|c| {
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
            rows.map(|row| {
                let (status, entry) = row?;
                Ok(Entry {
                    status: Status::parse(&status)?,
                    ..entry
                })
            })
            .collect()
        })
    }

    fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        self.pool.with(|c| {
            let mut counts = c.prepare_cached(&self.sql.counts)?;
            let rows = counts.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            rows.map(|row| {
                let (status, count) = row?;
                Ok((Status::parse(&status)?, count as u64))
            })
            .collect()
        })
    }
}
