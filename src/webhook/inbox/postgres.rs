//! The PostgreSQL backend (`postgres`, the synchronous client of `tokio-postgres`):
//! `sql/inbox.postgres.sql`, for many instances on many machines (`FOR UPDATE SKIP LOCKED` claims).

use std::sync::Mutex;

use postgres::{Client, NoTls, Statement};

use super::{statement, Claimed, Entry, NewRow, Status, Store, StoreError};

const SQL: &str = include_str!("../../../sql/inbox.postgres.sql");

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> StoreError {
        StoreError::new(error)
    }
}

/// A connection with every statement prepared on it (one round trip per call afterwards).
struct Connection {
    client: Client,
    insert: Statement,
    bury_expired: Statement,
    claim: Statement,
    complete: Statement,
    fail: Statement,
    redrive: Statement,
    list: Statement,
    counts: Statement,
}

impl Connection {
    /// A connection for the intake, or (`work`) for the workers and operators: see `work_session`.
    fn open(url: &str, work: bool) -> Result<Connection, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        if work {
            client.batch_execute(&statement(SQL, "work_session"))?;
        }
        let mut prepare = |name: &str| client.prepare(&statement(SQL, name));
        Ok(Connection {
            insert: prepare("insert")?,
            bury_expired: prepare("bury_expired")?,
            claim: prepare("claim")?,
            complete: prepare("complete")?,
            fail: prepare("fail")?,
            redrive: prepare("redrive")?,
            list: prepare("list")?,
            counts: prepare("counts")?,
            client,
        })
    }
}

/// Connections kept for reuse; one is made when none is idle, and one that failed is dropped (so a
/// database that restarts is reconnected on the next call). Small on purpose: a pool library would
/// add a dependency for these ten lines.
struct Pool<C> {
    idle: Mutex<Vec<C>>,
    connect: Box<dyn Fn() -> Result<C, StoreError> + Send + Sync>,
}

impl<C: Send> Pool<C> {
    fn new(connect: impl Fn() -> Result<C, StoreError> + Send + Sync + 'static) -> Self {
        Pool {
            idle: Mutex::new(Vec::new()),
            connect: Box::new(connect),
        }
    }

    fn with<T>(&self, work: impl FnOnce(&mut C) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => (self.connect)()?,
        };
        let result = work(&mut connection);
        if result.is_ok() {
            self.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(connection);
        }
        result
    }
}

/// Two pools: the intake's connections commit durably before the answer; the workers' do not wait
/// for the WAL flush (`work_session` in the SQL file says why that is safe).
pub(super) struct PostgresStore {
    intake: Pool<Connection>,
    pool: Pool<Connection>,
}

impl PostgresStore {
    pub(super) fn open(url: &str) -> Result<PostgresStore, StoreError> {
        // The schema first: the statements are prepared against its table.
        Client::connect(url, NoTls)?.batch_execute(&statement(SQL, "schema"))?;
        let (intake_url, work_url) = (url.to_owned(), url.to_owned());
        Ok(PostgresStore {
            intake: Pool::new(move || Connection::open(&intake_url, false)),
            pool: Pool::new(move || Connection::open(&work_url, true)),
        })
    }
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl Store for PostgresStore {
    fn insert(&self, row: &NewRow<'_>) -> Result<bool, StoreError> {
        self.intake.with(|c| {
            let changed = c.client.execute(
                &c.insert,
                &[
                    &row.id,
                    &row.event_type,
                    &row.signed_at,
                    &row.received_at,
                    &row.body,
                    &row.event_id,
                    &row.test,
                    &row.status.as_str(),
                    &row.last_error,
                ],
            )?;
            Ok(changed == 1)
        })
    }

    fn claim(
        &self,
        now: i64,
        worker: &str,
        lease: i64,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.pool.with(|c| {
            c.client
                .execute(&c.bury_expired, &[&now, &int(max_attempts)])?;
            let rows = c
                .client
                .query(&c.claim, &[&now, &worker, &lease, &i64::from(limit)])?;
            rows.iter()
                .map(|row| {
                    Ok(Claimed {
                        id: row.try_get(0)?,
                        event_type: row.try_get(1)?,
                        signed_at: row.try_get(2)?,
                        received_at: row.try_get(3)?,
                        body: row.try_get(4)?,
                        attempts: row.try_get::<_, i32>(7)?.max(0) as u32,
                    })
                })
                .collect()
        })
    }

    fn complete(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.pool.with(|c| {
            Ok(c.client
                .execute(&c.complete, &[&id, &worker, &int(attempts), &now])?
                == 1)
        })
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
        self.pool.with(|c| {
            let changed = c.client.execute(
                &c.fail,
                &[
                    &id,
                    &worker,
                    &int(attempts),
                    &next_run,
                    &error,
                    &int(max_attempts),
                ],
            )?;
            Ok(changed == 1)
        })
    }

    fn redrive(&self, id: Option<&str>, now: i64) -> Result<u64, StoreError> {
        self.pool
            .with(|c| Ok(c.client.execute(&c.redrive, &[&id, &now])?))
    }

    fn list(&self, status: Option<Status>, limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.pool.with(|c| {
            let rows = c
                .client
                .query(&c.list, &[&status.map(Status::as_str), &i64::from(limit)])?;
            rows.iter()
                .map(|row| {
                    Ok(Entry {
                        id: row.try_get(0)?,
                        event_type: row.try_get(1)?,
                        status: Status::parse(row.try_get(2)?)?,
                        attempts: row.try_get::<_, i32>(3)?.max(0) as u32,
                        received_at: row.try_get(4)?,
                        run_at: row.try_get(5)?,
                        processed_at: row.try_get(6)?,
                        last_error: row.try_get(7)?,
                        test: row.try_get(8)?,
                    })
                })
                .collect()
        })
    }

    fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        self.pool.with(|c| {
            let rows = c.client.query(&c.counts, &[])?;
            rows.iter()
                .map(|row| {
                    Ok((
                        Status::parse(row.try_get(0)?)?,
                        row.try_get::<_, i64>(1)?.max(0) as u64,
                    ))
                })
                .collect()
        })
    }
}
