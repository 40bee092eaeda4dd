//! The PostgreSQL backend (`tokio-postgres`, async; TLS by `rustls` on the `ring` provider):
//! `sql/inbox.postgres.sql`, for many instances on many machines (`FOR UPDATE SKIP LOCKED` claims).
//!
//! The pool is this file's own (about a hundred lines) rather than `deadpool-postgres`: it needs two
//! kinds of connection (the intake's, durable commits; the workers', `work_session`) with separate
//! permits under one bound (`pool_size`), an acquire timeout, and every statement prepared once per
//! connection. deadpool would bring its own runtime abstraction and config types for what is a `Vec`
//! and a `Semaphore` per kind here. The intake group-commits: see [`Intake`].

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls, Statement};

use super::{statement, Claimed, Entry, InboxOptions, NewRow, Status, StoreError};

const SQL: &str = include_str!("../../../sql/inbox.postgres.sql");

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> StoreError {
        // rustls' verification failures reach here as "error performing TLS handshake: invalid peer
        // certificate: ...": say what to do about it.
        let text = error.to_string();
        let detail = std::error::Error::source(&error).map_or(String::new(), |s| s.to_string());
        if text.contains("TLS") && detail.contains("invalid peer certificate") {
            return StoreError::new(format!(
                "TLS: the server's certificate was not verified ({detail}); give its root \
                 certificate with sslrootcert=<PEM file> in the URL (or InboxOptions::tls_roots_pem), \
                 or sslmode=no-verify to encrypt without verifying"
            ));
        }
        // tokio-postgres says only "db error" for a server's refusal: add the server's message.
        match error.as_db_error() {
            Some(db) => StoreError::new(format!(
                "{} {}: {}",
                db.severity(),
                db.code().code(),
                db.message()
            )),
            None if !detail.is_empty() && !text.contains(&detail) => {
                StoreError::new(format!("{text}: {detail}"))
            }
            None => StoreError::new(error),
        }
    }
}

/// How to reach the server: the URL's settings, TLS mode and roots.
#[derive(Clone)]
struct Target {
    config: Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// `SET ...` run on each new connection (statement_timeout).
    session: String,
}

/// `sslmode` values this crate reads (tokio-postgres' own parser knows only disable/prefer/require).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    VerifyFull,
    VerifyCa,
    NoVerify,
}

impl Target {
    fn parse(url: &str, options: &InboxOptions) -> Result<Target, StoreError> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut mode = Mode::Prefer;
        let mut roots_pem: Vec<u8> = options
            .tls_roots_pem
            .as_deref()
            .map_or(Vec::new(), |pem| pem.as_bytes().to_vec());
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => {
                    mode = match value {
                        "disable" => Mode::Disable,
                        "prefer" | "allow" => Mode::Prefer,
                        "require" | "verify-full" => Mode::VerifyFull,
                        "verify-ca" => Mode::VerifyCa,
                        "no-verify" => Mode::NoVerify,
                        other => {
                            return Err(StoreError::new(format!(
                                "sslmode={other}: expected disable, prefer, require, verify-ca, \
                                 verify-full or no-verify"
                            )))
                        }
                    }
                }
                "sslrootcert" => {
                    let path = percent_decode(value);
                    let pem = std::fs::read(&path).map_err(|e| {
                        StoreError::new(format!("sslrootcert={path}: cannot read it: {e}"))
                    })?;
                    roots_pem.extend_from_slice(b"\n");
                    roots_pem.extend_from_slice(&pem);
                }
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config = Config::from_str(&url)?;
        config.connect_timeout(options.connect_timeout);
        config.ssl_mode(match mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        let tls = if mode == Mode::Disable {
            None
        } else {
            Some(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(
                mode, &roots_pem,
            )?))
        };
        Ok(Target {
            config,
            tls,
            session: format!(
                "SET statement_timeout = {}",
                options.statement_timeout.as_millis()
            ),
        })
    }

    /// A connection, its driver task spawned on the runtime.
    async fn connect(&self) -> Result<Client, StoreError> {
        let client = match &self.tls {
            None => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(connection);
                client
            }
            Some(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await?;
                tokio::spawn(connection);
                client
            }
        };
        client.batch_execute(&self.session).await?;
        Ok(client)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(text.get(i + 1..i + 3).unwrap_or("x"), 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn tls_config(mode: Mode, roots_pem: &[u8]) -> Result<rustls::ClientConfig, StoreError> {
    // ring, not aws-lc-rs (which needs cmake to build). rustls 0.23.48 deprecates ring's provider for
    // lacking post-quantum key exchange, which aws-lc-rs alone offers; classical ECDHE is what
    // PostgreSQL servers negotiate today.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let mut pinned = Vec::new();
    if roots_pem.iter().any(|b| !b.is_ascii_whitespace()) {
        for cert in CertificateDer::pem_slice_iter(roots_pem) {
            let cert = cert.map_err(|e| StoreError::new(format!("root certificate PEM: {e}")))?;
            roots
                .add(cert.clone())
                .map_err(|e| StoreError::new(format!("root certificate: {e}")))?;
            pinned.push(cert);
        }
        if pinned.is_empty() {
            return Err(StoreError::new(
                "root certificate PEM: no certificate in it",
            ));
        }
    } else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| StoreError::new(format!("TLS roots: {e}")))?;
    let verifier = Verifier {
        inner,
        pinned,
        mode,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::new(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// WebPKI verification, with the modes' relaxations: verify-ca skips the host name; no-verify skips
/// the certificate (not the handshake signatures); a server certificate that is itself one of the
/// given roots (a self-signed certificate, which WebPKI refuses as an end entity when it is marked as
/// a CA, as `openssl req -x509` makes them) is trusted as that root, its host name still checked.
#[derive(Debug)]
struct Verifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    mode: Mode,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.mode == Mode::NoVerify {
            return Ok(ServerCertVerified::assertion());
        }
        let check_name = self.mode != Mode::VerifyCa;
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            // The chain was verified (the name is checked after it): verify-ca accepts it.
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) if !check_name => Ok(ServerCertVerified::assertion()),
            Err(error)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                if !check_name || name_matches(end_entity, server_name) {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(error)
                }
            }
            Err(error) => Err(error),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Whether a (pinned) certificate names the host: its subjectAltName entries (WebPKI), or, when it has
/// none, its subject's common name (as libpq and OpenSSL fall back to it).
fn name_matches(cert: &CertificateDer<'_>, server_name: &ServerName<'_>) -> bool {
    let Ok(parsed) = webpki::EndEntityCert::try_from(cert) else {
        return false;
    };
    if parsed.verify_is_valid_for_subject_name(server_name).is_ok() {
        return true;
    }
    const SAN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x11];
    if cert.as_ref().windows(5).any(|w| w == SAN_OID) {
        return false;
    }
    let host = match server_name {
        ServerName::DnsName(name) => name.as_ref().to_ascii_lowercase(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        _ => return false,
    };
    common_name(cert.as_ref()).is_some_and(|cn| cn.eq_ignore_ascii_case(&host))
}

/// The subject's common name of a DER certificate (the last CN), read with a minimal DER walk.
fn common_name(der: &[u8]) -> Option<String> {
    /// One TLV: (tag, content, rest).
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |l, &b| (l << 8) | usize::from(b));
            rest = &rest[n..];
            len
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    let (_, certificate, _) = tlv(der)?;
    let (_, tbs, _) = tlv(certificate)?;
    let mut fields = tbs;
    let mut items = Vec::new();
    while let Some((tag, content, rest)) = tlv(fields) {
        items.push((tag, content));
        fields = rest;
    }
    // [0] version (optional), serial, signature, issuer, validity, subject.
    let skip = usize::from(items.first()?.0 == 0xa0);
    let (_, subject) = *items.get(skip + 4)?;
    let mut name = None;
    let mut sets = subject;
    while let Some((_, set, rest)) = tlv(sets) {
        let mut attributes = set;
        while let Some((_, attribute, more)) = tlv(attributes) {
            if let Some((0x06, oid, value)) = tlv(attribute) {
                if oid == [0x55, 0x04, 0x03] {
                    if let Some((_, text, _)) = tlv(value) {
                        name = Some(String::from_utf8_lossy(text).into_owned());
                    }
                }
            }
            attributes = more;
        }
        sets = rest;
    }
    name
}

/// A connection with its kind's statements prepared on it (one round trip per call afterwards).
struct Connection {
    client: Client,
    work: bool,
    statements: Vec<Statement>,
    /// The intake's: its multi-row `insert` statements, by row count, prepared on first use.
    inserts: HashMap<usize, Statement>,
}

/// The statements of each kind of connection, in the order they are prepared (the intake prepares
/// its multi-row inserts as it needs them).
const INTAKE: [&str; 0] = [];
const WORK: [&str; 10] = [
    "claim",
    "heartbeat",
    "complete",
    "fail",
    "redrive",
    "purge_processed",
    "purge_dead",
    "list",
    "list_status",
    "counts",
];

impl Connection {
    fn statement(&self, name: &str) -> &Statement {
        let names: &[&str] = if self.work { &WORK } else { &INTAKE };
        let at = names
            .iter()
            .position(|n| *n == name)
            .expect("a known statement");
        &self.statements[at]
    }
}

/// One kind's share of the pool: its permits and its idle connections.
struct Share {
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Connection>>,
}

/// Connections kept for reuse, `pool_size` in all; a connection whose call failed is dropped, so a
/// database that restarts is reconnected on the next call.
///
/// The intake and the workers have separate permits, so that workers busy claiming and completing
/// cannot make a delivery wait for a connection: the intake gets 2 of them (its 2 statements in
/// flight: see [`Intake`]), 1 when `pool_size` is 2 or 3, and the workers the rest. With
/// `pool_size` 1 both kinds share the one permit (an idle connection of the other kind is closed
/// before one is opened, so that one connection at most is open).
struct Pool {
    target: Target,
    intake: Share,
    work: Share,
    acquire_timeout: Duration,
}

/// A connection lent by the pool, with the permit that counts it.
struct Lent {
    connection: Connection,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    fn new(target: Target, options: &InboxOptions) -> Pool {
        let size = options.pool_size.max(1);
        let share = |permits: Arc<Semaphore>| Share {
            permits,
            idle: Mutex::new(Vec::new()),
        };
        let (intake, work) = if size == 1 {
            let one = Arc::new(Semaphore::new(1));
            (share(one.clone()), share(one))
        } else {
            let intake = if size >= 4 { INTAKE_IN_FLIGHT } else { 1 };
            (
                share(Arc::new(Semaphore::new(intake))),
                share(Arc::new(Semaphore::new(size - intake))),
            )
        };
        Pool {
            target,
            intake,
            work,
            acquire_timeout: options.acquire_timeout,
        }
    }

    async fn get(&self, work: bool) -> Result<Lent, StoreError> {
        let (mine, other) = if work {
            (&self.work, &self.intake)
        } else {
            (&self.intake, &self.work)
        };
        let permit =
            tokio::time::timeout(self.acquire_timeout, mine.permits.clone().acquire_owned())
                .await
                .map_err(|_| {
                    StoreError::new(format!(
                        "no free database connection within {} ms (pool_size)",
                        self.acquire_timeout.as_millis()
                    ))
                })?
                .map_err(|_| StoreError::new("the connection pool is closed"))?;
        let reused = loop {
            let popped = mine.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match popped {
                Some(c) if c.client.is_closed() => continue,
                Some(c) => break Some(c),
                None => break None,
            }
        };
        let connection = match reused {
            Some(connection) => connection,
            None => {
                if Arc::ptr_eq(&mine.permits, &other.permits) {
                    // One permit for both kinds: this one holds it, so the other kind's idle
                    // connection is closed before this one opens.
                    other.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
                }
                self.open(work).await?
            }
        };
        Ok(Lent {
            connection,
            _permit: permit,
        })
    }

    async fn open(&self, work: bool) -> Result<Connection, StoreError> {
        let client = self.target.connect().await?;
        if work {
            client
                .batch_execute(&statement(SQL, "work_session"))
                .await?;
        }
        let names: &[&str] = if work { &WORK } else { &INTAKE };
        let mut statements = Vec::with_capacity(names.len());
        for name in names {
            statements.push(client.prepare(&statement(SQL, name)).await?);
        }
        Ok(Connection {
            client,
            work,
            statements,
            inserts: HashMap::new(),
        })
    }

    /// Returns a connection after a call that succeeded.
    fn put(&self, lent: Lent) {
        let share = if lent.connection.work {
            &self.work
        } else {
            &self.intake
        };
        share
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(lent.connection);
    }
}

/// The most rows in one intake statement.
const MAX_BATCH_ROWS: usize = 100;
/// Intake statements in flight at once: one being committed while the next one fills up (as the
/// Node inbox).
const INTAKE_IN_FLIGHT: usize = 2;
/// The `insert` statement's parameters per row.
const INSERT_PARAMS: usize = 14;

/// The `insert` statement for `rows` rows: its `VALUES (...)` tuple repeated, `$n` of row r (from 0)
/// renumbered `$(n + 14 r)`, the stored rows' ids returned (`RETURNING delivery_id`). The rule of the
/// SQL file's header, as the Node inbox's `multiInsert`.
fn multi_insert(rows: usize) -> String {
    let text = statement(SQL, "insert");
    let start = text.find("VALUES (").expect("insert has VALUES (");
    let end = start + text[start..].find(')').expect("insert's tuple ends");
    let tuple = &text[start + "VALUES ".len()..=end];
    let tuples: Vec<String> = (0..rows)
        .map(|r| renumber(tuple, r * INSERT_PARAMS))
        .collect();
    format!(
        "{}VALUES {}{}\nRETURNING delivery_id",
        &text[..start],
        tuples.join(",\n  "),
        text[end + 1..].trim_end().trim_end_matches(';')
    )
}

/// `text` with each `$n` replaced by `$(n + by)`.
fn renumber(text: &str, by: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let n: usize = rest[..digits].parse().expect("digits");
            out.push_str(&(n + by).to_string());
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// A delivery waiting for its intake statement, and where to answer it (stored, or a duplicate).
struct Waiting {
    row: NewRow,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

/// Group commit at intake (as the Node inbox, issue 16): concurrent `insert` calls are gathered into
/// one multi-row `insert ... RETURNING delivery_id`, so deliveries that arrive together cost one
/// round trip and one WAL flush instead of one each. Same durability as one INSERT each: every caller
/// is answered only after the statement that holds its row has committed (autocommit, synchronous
/// commit). At most [`INTAKE_IN_FLIGHT`] statements run at once, each on its own intake connection;
/// deliveries arriving meanwhile wait for the next one (at most [`MAX_BATCH_ROWS`] rows each). A
/// failed statement fails each of its callers (503: Coassemble retries). Each statement runs in a task
/// of its own, so a caller that goes away (its request cancelled) does not drop the others' rows.
struct Intake {
    pool: Arc<Pool>,
    state: Mutex<Queue>,
}

/// Dropped when an intake statement's task ends: one fewer in flight, and the next one started.
struct Done(Arc<Intake>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .in_flight -= 1;
        self.0.flush();
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    in_flight: usize,
}

impl Intake {
    async fn insert(self: &Arc<Self>, row: NewRow) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .waiting
            .push(Waiting { row, answer });
        self.flush();
        answered
            .await
            .map_err(|_| StoreError::new("the intake's statement task ended without an answer"))?
    }

    /// Starts statements for the waiting deliveries while fewer than INTAKE_IN_FLIGHT run.
    fn flush(self: &Arc<Self>) {
        // No runtime: a statement's task dropped while its runtime shuts down; nothing awaits.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !state.waiting.is_empty() && state.in_flight < INTAKE_IN_FLIGHT {
            let n = state.waiting.len().min(MAX_BATCH_ROWS);
            let batch: Vec<Waiting> = state.waiting.drain(..n).collect();
            state.in_flight += 1;
            let intake = self.clone();
            runtime.spawn(async move {
                // Ends the statement's turn however the task ends (a panic too: its callers are
                // then answered by their dropped senders), and starts the next one.
                let _done = Done(intake.clone());
                let (rows, answers): (Vec<NewRow>, Vec<_>) =
                    batch.into_iter().map(|w| (w.row, w.answer)).unzip();
                let results = match intake.run(&rows).await {
                    Ok(stored) => stored.into_iter().map(Ok).collect(),
                    Err(error) => vec![Err(error); rows.len()],
                };
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            });
        }
    }

    /// One statement for `rows`: whether each was stored (in order). A delivery id twice in one
    /// batch: the first is the stored one, the other a duplicate.
    async fn run(&self, rows: &[NewRow]) -> Result<Vec<bool>, StoreError> {
        let mut lent = self.pool.get(false).await?;
        let n = rows.len();
        let prepared = match lent.connection.inserts.get(&n) {
            Some(prepared) => prepared.clone(),
            None => {
                let prepared = lent.connection.client.prepare(&multi_insert(n)).await?;
                lent.connection.inserts.insert(n, prepared.clone());
                prepared
            }
        };
        let ints: Vec<i32> = rows.iter().map(|r| int(r.max_attempts)).collect();
        let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            Vec::with_capacity(n * INSERT_PARAMS);
        for (i, row) in rows.iter().enumerate() {
            params.extend_from_slice(&[
                &row.id,
                &row.event_type,
                &row.signed_at,
                &row.received_at,
                &row.body,
                &row.event_id,
                &row.test,
                &statuses[i],
                &row.last_error,
                &ints[i],
                &row.retry_first_ms,
                &row.retry_max_ms,
                &row.identity,
                &row.reconciled,
            ]);
        }
        let returned = lent.connection.client.query(&prepared, &params).await?;
        let mut stored: Vec<String> = returned
            .iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<_, _>>()?;
        self.pool.put(lent);
        Ok(rows
            .iter()
            .map(|row| match stored.iter().position(|id| *id == row.id) {
                Some(at) => {
                    stored.swap_remove(at);
                    true
                }
                None => false,
            })
            .collect())
    }
}

/// Opens a connection to the inbox's PostgreSQL database with the inbox's rules (`sslmode`,
/// `sslrootcert`, [`InboxOptions`] roots, connect and statement timeouts): for the application's own
/// effects in the same database. Its driver task is spawned on the current tokio runtime.
pub async fn connect_postgres(url: &str, options: &InboxOptions) -> Result<Client, StoreError> {
    Target::parse(url, options)?.connect().await
}

/// One pool for the intake's durable commits and the workers' `work_session` connections.
pub(super) struct PostgresStore {
    pool: Arc<Pool>,
    intake: Arc<Intake>,
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl PostgresStore {
    pub(super) async fn open(
        url: &str,
        options: &InboxOptions,
    ) -> Result<PostgresStore, StoreError> {
        let target = Target::parse(url, options)?;
        // The schema first: the statements are prepared against its table.
        target
            .connect()
            .await?
            .batch_execute(&statement(SQL, "schema"))
            .await?;
        let pool = Arc::new(Pool::new(target, options));
        Ok(PostgresStore {
            intake: Arc::new(Intake {
                pool: pool.clone(),
                state: Mutex::new(Queue::default()),
            }),
            pool,
        })
    }

    async fn execute(
        &self,
        name: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let lent = self.pool.get(true).await?;
        let result = lent
            .connection
            .client
            .execute(lent.connection.statement(name), params)
            .await;
        match result {
            Ok(changed) => {
                self.pool.put(lent);
                Ok(changed)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn query(
        &self,
        name: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let lent = self.pool.get(true).await?;
        let result = lent
            .connection
            .client
            .query(lent.connection.statement(name), params)
            .await;
        match result {
            Ok(rows) => {
                self.pool.put(lent);
                Ok(rows)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Stores a delivery (true) or finds it known (false), in the next intake statement.
    pub(super) async fn insert(&self, row: NewRow) -> Result<bool, StoreError> {
        self.intake.insert(row).await
    }

    pub(super) async fn claim(
        &self,
        now: i64,
        worker: &str,
        lease: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        let rows = self
            .query("claim", &[&now, &worker, &lease, &i64::from(limit)])
            .await?;
        // Rows it buried (a lease expired on its last run) come back dead: not claimed.
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            if row.try_get::<_, &str>(11)? == "dead" {
                continue;
            }
            claimed.push(Claimed {
                id: row.try_get(0)?,
                event_type: row.try_get(1)?,
                signed_at: row.try_get(2)?,
                received_at: row.try_get(3)?,
                body: row.try_get(4)?,
                attempts: row.try_get::<_, i32>(7)?.max(0) as u32,
                max_attempts: row.try_get::<_, i32>(8)?.max(0) as u32,
            });
        }
        Ok(claimed)
    }

    pub(super) async fn heartbeat(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        until: i64,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute("heartbeat", &[&id, &worker, &int(attempts), &until])
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn complete(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The statement takes a batch (parallel arrays): this one run's outcome.
        let changed = self
            .execute(
                "complete",
                &[&&[id][..], &worker, &&[int(attempts)][..], &&[now][..]],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn fail(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        now: i64,
        error: &str,
        last: bool,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute("fail", &[&id, &worker, &int(attempts), &now, &error, &last])
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn redrive(&self, id: Option<&str>, now: i64) -> Result<u64, StoreError> {
        self.execute("redrive", &[&id, &now]).await
    }

    pub(super) async fn purge_processed(&self, cutoff: i64, batch: u32) -> Result<u64, StoreError> {
        self.execute("purge_processed", &[&cutoff, &i64::from(batch)])
            .await
    }

    pub(super) async fn purge_dead(&self, id: Option<&str>) -> Result<u64, StoreError> {
        self.execute("purge_dead", &[&id]).await
    }

    pub(super) async fn list(
        &self,
        status: Option<Status>,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows = match status {
            None => self.query("list", &[&i64::from(limit)]).await?,
            Some(status) => {
                self.query("list_status", &[&status.as_str(), &i64::from(limit)])
                    .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(Entry {
                    id: row.try_get(0)?,
                    event_type: row.try_get(1)?,
                    status: Status::parse(row.try_get(2)?)?,
                    attempts: row.try_get::<_, i32>(3)?.max(0) as u32,
                    max_attempts: row.try_get::<_, i32>(4)?.max(0) as u32,
                    received_at: row.try_get(5)?,
                    run_at: row.try_get(6)?,
                    processed_at: row.try_get(7)?,
                    last_error: row.try_get(8)?,
                    test: row.try_get(9)?,
                })
            })
            .collect()
    }

    pub(super) async fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        let rows = self.query("counts", &[]).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    Status::parse(row.try_get(0)?)?,
                    row.try_get::<_, i64>(1)?.max(0) as u64,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_are_read_and_stripped() {
        let options = InboxOptions::default();
        let target = Target::parse(
            "postgres://u:p@db.example:5433/app?sslmode=verify-full&application_name=x",
            &options,
        )
        .unwrap();
        assert!(target.tls.is_some());
        assert_eq!(target.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(target.config.get_application_name(), Some("x"));
        let plain = Target::parse("postgres://u@h/app?sslmode=disable", &options).unwrap();
        assert!(plain.tls.is_none());
        let err = Target::parse("postgres://u@h/app?sslmode=bogus", &options)
            .err()
            .unwrap();
        assert!(err.to_string().contains("sslmode=bogus"), "{err}");
        let err = Target::parse("postgres://u@h/app?sslrootcert=/nonexistent.pem", &options)
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent.pem"), "{err}");
        assert_eq!(percent_decode("%2Ftmp%2Fca.pem"), "/tmp/ca.pem");
    }

    /// The certificate `openssl req -x509 -subj "/CN=localhost"` makes (as the TLS test servers do):
    /// CA:TRUE, no subjectAltName. Its name is its common name.
    #[test]
    fn a_self_signed_certificate_is_named_by_its_common_name() {
        let pem = include_bytes!("../../../tests/support_inbox/self-signed-localhost.pem");
        let cert = CertificateDer::pem_slice_iter(pem).next().unwrap().unwrap();
        assert_eq!(common_name(cert.as_ref()).as_deref(), Some("localhost"));
        let name = |host: &'static str| ServerName::try_from(host).unwrap();
        assert!(name_matches(&cert, &name("localhost")));
        assert!(name_matches(&cert, &name("LOCALHOST")));
        assert!(!name_matches(&cert, &name("db.example.com")));
        assert!(!name_matches(&cert, &name("127.0.0.1")));
    }
}

#[cfg(test)]
mod intake_tests {
    use super::*;

    #[test]
    fn the_multi_row_insert_repeats_the_tuple_renumbered() {
        assert_eq!(renumber("($1, $4, 0, $14)", 28), "($29, $32, 0, $42)");
        assert_eq!(renumber("a $ b", 14), "a $ b");
        let one = multi_insert(1);
        assert!(
            one.starts_with("INSERT INTO coassemble_webhook_inbox"),
            "{one}"
        );
        assert!(
            one.contains(
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $4, $9, $10, $11, $12, $13, $14)\n"
            ),
            "{one}"
        );
        assert!(
            one.ends_with("ON CONFLICT DO NOTHING\nRETURNING delivery_id"),
            "{one}"
        );
        let three = multi_insert(3);
        assert!(
            three.contains(
                "$14),\n  ($15, $16, $17, $18, $19, $20, $21, $22, 0, $18, $23, $24, $25, $26, $27, $28),\n  ($29,"
            ),
            "{three}"
        );
        assert!(
            three.contains("$41, $42)\nON CONFLICT DO NOTHING\nRETURNING delivery_id"),
            "{three}"
        );
        assert_eq!(three.matches("VALUES").count(), 1);
    }

    fn row(id: &str, event_id: Option<&str>) -> NewRow {
        NewRow {
            id: id.to_owned(),
            event_type: "course.completed".to_owned(),
            signed_at: 1,
            received_at: 1_000,
            body: b"{}".to_vec(),
            event_id: event_id.map(str::to_owned),
            test: false,
            status: Status::Received,
            last_error: None,
            max_attempts: 10,
            retry_first_ms: 10_000,
            retry_max_ms: 3_600_000,
            identity: None,
            reconciled: false,
        }
    }

    /// A store on a fresh database of the test server (None: no server, the test is skipped).
    async fn fresh_store(options: &InboxOptions) -> Option<(PostgresStore, Client)> {
        let server = std::env::var("COASSEMBLE_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())?;
        let name = format!("inbox_unit_{}_{}", std::process::id(), rand_suffix());
        let admin = connect_postgres(&server, options).await.unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (base, query) = server.split_once('?').unwrap_or((&server, ""));
        let (host, _) = base.rsplit_once('/').unwrap();
        let url = if query.is_empty() {
            format!("{host}/{name}")
        } else {
            format!("{host}/{name}?{query}")
        };
        let store = PostgresStore::open(&url, options).await.unwrap();
        Some((store, connect_postgres(&url, options).await.unwrap()))
    }

    fn rand_suffix() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }

    /// One statement with a delivery id twice and an event id twice: the first of each is stored,
    /// the others are duplicates.
    #[tokio::test]
    async fn one_batch_answers_each_row() {
        let Some((store, check)) = fresh_store(&InboxOptions::default()).await else {
            return eprintln!("SKIPPED: COASSEMBLE_TEST_POSTGRES_URL is not set");
        };
        let rows = [
            row("a", Some("evt_a")),
            row("b", None),
            row("a", Some("evt_other")),
            row("c", Some("evt_a")),
            row("d", None),
        ];
        let stored = store.intake.run(&rows).await.unwrap();
        assert_eq!(stored, [true, true, false, false, true]);
        let again = store.intake.run(&rows[..2]).await.unwrap();
        assert_eq!(again, [false, false]);
        let ids: Vec<String> = check
            .query(
                "SELECT delivery_id FROM coassemble_webhook_inbox ORDER BY delivery_id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(ids, ["a", "b", "d"]);
    }

    /// Many concurrent inserts, each id sent three times at once: they are gathered into statements
    /// of several rows (fewer statements than calls), each id is stored once and answered stored
    /// once, duplicate twice, and the table holds one row per id.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_inserts_are_gathered_and_answered_each() {
        let Some((store, check)) = fresh_store(&InboxOptions::default()).await else {
            return eprintln!("SKIPPED: COASSEMBLE_TEST_POSTGRES_URL is not set");
        };
        let store = Arc::new(store);
        let ids = 150;
        let mut calls = Vec::new();
        for copy in 0..3 {
            for n in 0..ids {
                let store = store.clone();
                let id = format!("g-{}", (n + copy * 37) % ids);
                calls.push(tokio::spawn(async move {
                    let stored = store.insert(row(&id, None)).await.unwrap();
                    (id, stored)
                }));
            }
        }
        let mut stored: HashMap<String, (u32, u32)> = HashMap::new();
        for call in calls {
            let (id, was_stored) = call.await.unwrap();
            let entry = stored.entry(id).or_default();
            if was_stored {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        assert_eq!(stored.len(), ids);
        assert!(stored.values().all(|&n| n == (1, 2)), "{stored:?}");
        let count: i64 = check
            .query_one("SELECT count(*) FROM coassemble_webhook_inbox", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, ids as i64);
        // Gathered: the connections prepared statements of more than one row.
        let prepared: Vec<usize> = store
            .pool
            .intake
            .idle
            .lock()
            .unwrap()
            .iter()
            .flat_map(|c| c.inserts.keys().copied())
            .collect();
        assert!(prepared.iter().any(|&n| n > 1), "{prepared:?}");
        assert!(
            prepared.iter().all(|&n| n <= MAX_BATCH_ROWS),
            "{prepared:?}"
        );
    }

    /// A statement that fails (here: stuck on a lock past the statement timeout) fails each of its
    /// callers; the intake serves again afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_statement_fails_each_caller() {
        let options = InboxOptions {
            statement_timeout: Duration::from_millis(500),
            ..InboxOptions::default()
        };
        let Some((store, mut check)) = fresh_store(&options).await else {
            return eprintln!("SKIPPED: COASSEMBLE_TEST_POSTGRES_URL is not set");
        };
        let lock = check.transaction().await.unwrap();
        lock.batch_execute("LOCK TABLE coassemble_webhook_inbox IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        let err = store
            .intake
            .run(&[row("x", None), row("y", None)])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("57014"), "{err}");
        let store = Arc::new(store);
        let calls: Vec<_> = (0..6)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move { store.insert(row(&format!("z-{n}"), None)).await })
            })
            .collect();
        for call in calls {
            let err = call.await.unwrap().unwrap_err();
            assert!(err.to_string().contains("57014"), "{err}");
        }
        lock.rollback().await.unwrap();
        assert!(store.insert(row("x", None)).await.unwrap());
    }
}
