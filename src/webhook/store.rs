//! Deduplication by delivery id: process each delivery once, and record it as done only once processed.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// What a receiver should do with a delivery id, as answered by [`DeliveryStore::begin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Begin {
    /// First time seen (or a previous attempt [failed](DeliveryStore::fail)): the caller now owns the
    /// delivery and must call [`complete`](DeliveryStore::complete) or [`fail`](DeliveryStore::fail).
    Process,
    /// Already processed: acknowledge (200) and do nothing.
    Duplicate,
    /// Another request is processing it right now: do nothing. Answering non-2xx (e.g. 409) makes
    /// Coassemble retry later, when the first attempt has either completed or failed.
    InProgress,
}

/// Remembers which delivery ids were processed. All methods take `&self` and are safe to call from many
/// threads: of two concurrent [`begin`](DeliveryStore::begin)s for one id, exactly one gets
/// [`Begin::Process`].
///
/// The protocol is `begin` → process → `complete` (or `fail`). An id counts as processed only after
/// `complete`; if the process dies in between, the next retry processes it again (at-least-once), so
/// processing should be idempotent or transactional with the `complete` record.
pub trait DeliveryStore: Send + Sync {
    /// Claims `id` for processing, unless it was processed already or is being processed.
    fn begin(&self, id: &str) -> Begin;
    /// Records `id` as processed. Durable stores persist it before returning `Ok`; on `Err` the id is
    /// released as if [`fail`](DeliveryStore::fail)ed, so a retry processes it again.
    fn complete(&self, id: &str) -> io::Result<()>;
    /// Releases `id` after failed processing, so that a retry processes it.
    fn fail(&self, id: &str);
}

/// The decision both stores make: processed before, being processed now, or to process (and mark).
fn begin(done: bool, in_progress: &mut HashSet<String>, id: &str) -> Begin {
    if done {
        Begin::Duplicate
    } else if !in_progress.insert(id.to_owned()) {
        Begin::InProgress
    } else {
        Begin::Process
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded sets stay consistent even if a holder panicked: every update is a single insert/remove.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An in-memory [`DeliveryStore`] that forgets processed ids after a retention window.
///
/// Memory stays bounded by the deliveries of one window. Coassemble's retries of a delivery span about
/// 36 minutes (1, 5 and 30 minutes of backoff), so the default window of 24 hours leaves a wide margin.
/// Lost on restart: use [`FileStore`] (or your database) when a restart must not re-process.
///
/// ```
/// use coassemble_events::webhook::{Begin, DeliveryStore, MemoryStore};
/// use std::time::Duration;
///
/// let store = MemoryStore::new(Duration::from_secs(24 * 3600));
/// assert_eq!(store.begin("d-1"), Begin::Process);
/// assert_eq!(store.begin("d-1"), Begin::InProgress);
/// store.fail("d-1"); // processing failed: the retry may process it
/// assert_eq!(store.begin("d-1"), Begin::Process);
/// store.complete("d-1").unwrap();
/// assert_eq!(store.begin("d-1"), Begin::Duplicate);
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    retention: Duration,
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    in_progress: HashSet<String>,
    done: HashMap<String, Instant>,
    /// Completion order, oldest first, for pruning.
    order: VecDeque<(Instant, String)>,
}

impl MemoryStore {
    /// A store that remembers a processed id for `retention` after its completion.
    pub fn new(retention: Duration) -> Self {
        MemoryStore {
            retention,
            inner: Mutex::new(MemoryInner::default()),
        }
    }

    /// How many processed ids are currently remembered.
    pub fn len(&self) -> usize {
        let mut inner = lock(&self.inner);
        self.prune(&mut inner, Instant::now());
        inner.done.len()
    }

    /// Whether no processed id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn prune(&self, inner: &mut MemoryInner, now: Instant) {
        while let Some((at, _)) = inner.order.front() {
            if now.duration_since(*at) <= self.retention {
                break;
            }
            let (at, id) = inner.order.pop_front().expect("front exists");
            // A re-completed id has a newer entry further back; only drop the one that expired.
            if inner.done.get(&id) == Some(&at) {
                inner.done.remove(&id);
            }
        }
    }
}

impl Default for MemoryStore {
    /// Retention of 24 hours.
    fn default() -> Self {
        MemoryStore::new(Duration::from_secs(24 * 3600))
    }
}

impl DeliveryStore for MemoryStore {
    fn begin(&self, id: &str) -> Begin {
        let mut inner = lock(&self.inner);
        self.prune(&mut inner, Instant::now());
        let done = inner.done.contains_key(id);
        begin(done, &mut inner.in_progress, id)
    }

    fn complete(&self, id: &str) -> io::Result<()> {
        let mut inner = lock(&self.inner);
        let now = Instant::now();
        inner.in_progress.remove(id);
        inner.done.insert(id.to_owned(), now);
        inner.order.push_back((now, id.to_owned()));
        Ok(())
    }

    fn fail(&self, id: &str) {
        lock(&self.inner).in_progress.remove(id);
    }
}

/// A durable [`DeliveryStore`]: processed ids are appended to a log file and `fsync`ed before
/// [`complete`](DeliveryStore::complete) returns, and read back by [`FileStore::open`], so a restart
/// between a delivery and its retry neither loses nor re-processes it.
///
/// One JSON line per processed id (`{"id":"...","at":<unix seconds>}`, so any id is safe). A line torn
/// by a crash mid-append was never acknowledged by `complete`, and is cut off when the file is next
/// opened. The log grows by about 70 bytes per delivery and is held in memory as a set: open it with
/// [`FileStore::open_with_retention`] to drop old ids on start. One process per file: the lock is in
/// memory.
///
/// ```
/// use coassemble_events::webhook::{Begin, DeliveryStore, FileStore};
///
/// let path = std::env::temp_dir().join(format!("coassemble-doc-{}.log", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let store = FileStore::open(&path)?;
/// assert_eq!(store.begin("d-1"), Begin::Process);
/// store.complete("d-1")?;
/// drop(store);
///
/// let reopened = FileStore::open(&path)?; // e.g. after a restart
/// assert_eq!(reopened.begin("d-1"), Begin::Duplicate);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    inner: Mutex<FileInner>,
}

#[derive(Debug)]
struct FileInner {
    file: File,
    /// Length of the file up to its last complete line.
    len: u64,
    done: HashSet<String>,
    in_progress: HashSet<String>,
}

/// One log line: a processed id and when it was recorded (unix seconds, for retention).
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    at: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl FileStore {
    /// Opens (or creates) the log at `path` and loads every processed id in it.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::open_inner(path.as_ref(), None)
    }

    /// Like [`open`](FileStore::open), but first drops the ids recorded more than `retention` ago,
    /// rewriting the log (to a temporary file, fsync'ed, then renamed over it) when there were any.
    /// This bounds the file and the memory by the deliveries of one window, like [`MemoryStore`];
    /// Coassemble's retries span about 36 minutes, so a day is a wide margin.
    ///
    /// ```
    /// use coassemble_events::webhook::{DeliveryStore, FileStore};
    /// use std::time::Duration;
    ///
    /// let path = std::env::temp_dir().join(format!("coassemble-doc-ret-{}.log", std::process::id()));
    /// let store = FileStore::open_with_retention(&path, Duration::from_secs(24 * 3600))?;
    /// # drop(store); std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open_with_retention(path: impl AsRef<Path>, retention: Duration) -> io::Result<Self> {
        Self::open_inner(path.as_ref(), Some(retention))
    }

    fn open_inner(path: &Path, retention: Option<Duration>) -> io::Result<Self> {
        let created = !path.exists();
        let mut file = open_log(path)?;
        if created {
            sync_parent_dir(path);
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if len < bytes.len() {
            // A line torn by a crash mid-append: it was never acknowledged, cut it off.
            file.set_len(len as u64)?;
            file.sync_data()?;
        }
        let lines = bytes[..len]
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty());
        let entries: Vec<Entry<'_>> = lines
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        let oldest = retention.map_or(0, |r| unix_now().saturating_sub(r.as_secs()));
        let (kept, expired): (Vec<_>, Vec<_>) = entries.into_iter().partition(|e| e.at >= oldest);
        if !expired.is_empty() {
            let mut text = Vec::new();
            for entry in &kept {
                serde_json::to_writer(&mut text, entry).map_err(io::Error::other)?;
                text.push(b'\n');
            }
            let tmp = path.with_extension("compacting");
            let mut out = File::create(&tmp)?;
            out.write_all(&text)?;
            out.sync_all()?;
            std::fs::rename(&tmp, path)?;
            sync_parent_dir(path);
            file = open_log(path)?;
            len = text.len();
        }
        let done = kept.into_iter().map(|e| e.id.into_owned()).collect();
        Ok(FileStore {
            path: path.to_owned(),
            inner: Mutex::new(FileInner {
                file,
                len: len as u64,
                done,
                in_progress: HashSet::new(),
            }),
        })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many processed ids the log holds.
    pub fn len(&self) -> usize {
        lock(&self.inner).done.len()
    }

    /// Whether the log holds no processed id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn open_log(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
}

/// Makes a newly created file's directory entry durable too (best effort: not possible on every OS).
fn sync_parent_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
}

impl DeliveryStore for FileStore {
    fn begin(&self, id: &str) -> Begin {
        let mut inner = lock(&self.inner);
        let done = inner.done.contains(id);
        begin(done, &mut inner.in_progress, id)
    }

    fn complete(&self, id: &str) -> io::Result<()> {
        let mut inner = lock(&self.inner);
        inner.in_progress.remove(id);
        if inner.done.contains(id) {
            return Ok(());
        }
        let entry = Entry {
            id: Cow::Borrowed(id),
            at: unix_now(),
        };
        let mut line = serde_json::to_string(&entry).map_err(io::Error::other)?;
        line.push('\n');
        let written = inner
            .file
            .write_all(line.as_bytes())
            .and_then(|()| inner.file.sync_data());
        if let Err(e) = written {
            // Cut a partial line so the next append starts on a fresh line.
            let len = inner.len;
            let _ = inner.file.set_len(len);
            return Err(e);
        }
        inner.len += line.len() as u64;
        inner.done.insert(id.to_owned());
        Ok(())
    }

    fn fail(&self, id: &str) {
        lock(&self.inner).in_progress.remove(id);
    }
}
