//! Delivery stores: concurrent duplicates are processed once, a restart between a delivery and its
//! retry does not re-process, and `fail` lets a retry process.
#![cfg(feature = "webhook")]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use coassemble_events::webhook::{Begin, DeliveryStore, FileStore, MemoryStore};

fn temp_log(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).expect("the test's temp dir can be created");
    let path = dir.join(format!("webhook-store-{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Many threads deliver the same id at once, each retrying until it is a duplicate: one processes it.
fn processed_once_under_concurrency(store: Arc<dyn DeliveryStore>) {
    const THREADS: usize = 8;
    let processed = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (store, processed, barrier) = (store.clone(), processed.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                loop {
                    match store.begin("same-delivery") {
                        Begin::Process => {
                            processed.fetch_add(1, Ordering::SeqCst);
                            thread::sleep(Duration::from_millis(5));
                            store.complete("same-delivery").unwrap();
                        }
                        Begin::InProgress => thread::yield_now(), // a retry, later
                        Begin::Duplicate => return,
                    }
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(processed.load(Ordering::SeqCst), 1);
}

#[test]
fn memory_store_concurrent_duplicates_processed_once() {
    processed_once_under_concurrency(Arc::new(MemoryStore::default()));
}

#[test]
fn file_store_concurrent_duplicates_processed_once() {
    processed_once_under_concurrency(Arc::new(FileStore::open(temp_log("concurrent")).unwrap()));
}

#[test]
fn file_store_restart_between_delivery_and_retry() {
    let path = temp_log("restart");
    {
        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.begin("d-1"), Begin::Process);
        store.complete("d-1").unwrap();
        assert_eq!(store.begin("d-2"), Begin::Process); // crashes before completing d-2
    }
    let store = FileStore::open(&path).unwrap();
    assert_eq!(
        store.begin("d-1"),
        Begin::Duplicate,
        "done survives the restart"
    );
    assert_eq!(
        store.begin("d-2"),
        Begin::Process,
        "unfinished work is retried, not lost"
    );
    assert_eq!(store.len(), 1);
}

#[test]
fn file_store_cuts_a_torn_line_and_keeps_ids_verbatim() {
    let path = temp_log("torn");
    let odd = "id with \"quotes\", \\ and\nnewline";
    {
        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.begin(odd), Begin::Process);
        store.complete(odd).unwrap();
    }
    // A crash in the middle of an append leaves a partial last line.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\"half-writ");
    std::fs::write(&path, &bytes).unwrap();
    {
        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.begin(odd), Begin::Duplicate);
        assert_eq!(store.begin("next"), Begin::Process);
        store.complete("next").unwrap();
    }
    let store = FileStore::open(&path).unwrap();
    assert_eq!(
        (store.begin("next"), store.begin("half-writ"), store.len()),
        (Begin::Duplicate, Begin::Process, 2)
    );
}

#[test]
fn fail_lets_a_retry_process() {
    let file = FileStore::open(temp_log("fail")).unwrap();
    let stores: [&dyn DeliveryStore; 2] = [&MemoryStore::default(), &file];
    for store in stores {
        assert_eq!(store.begin("d"), Begin::Process);
        assert_eq!(store.begin("d"), Begin::InProgress);
        store.fail("d");
        assert_eq!(store.begin("d"), Begin::Process);
        store.complete("d").unwrap();
        assert_eq!(store.begin("d"), Begin::Duplicate);
    }
}

#[test]
fn memory_store_forgets_after_retention() {
    let store = MemoryStore::new(Duration::from_millis(50));
    assert_eq!(store.begin("old"), Begin::Process);
    store.complete("old").unwrap();
    assert_eq!((store.begin("old"), store.len()), (Begin::Duplicate, 1));
    thread::sleep(Duration::from_millis(80));
    assert_eq!(store.len(), 0, "bounded: expired ids are dropped");
    assert_eq!(store.begin("old"), Begin::Process);
}

#[test]
fn file_store_retention_drops_old_ids_on_open() {
    let path = temp_log("retention");
    {
        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.begin("fresh"), Begin::Process);
        store.complete("fresh").unwrap();
    }
    // An id recorded in 1970, long outside any window.
    let mut log = std::fs::read_to_string(&path).unwrap();
    log.insert_str(0, "{\"id\":\"ancient\",\"at\":0}\n");
    std::fs::write(&path, log).unwrap();

    assert_eq!(
        FileStore::open(&path).unwrap().len(),
        2,
        "open keeps everything"
    );
    let store = FileStore::open_with_retention(&path, Duration::from_secs(24 * 3600)).unwrap();
    assert_eq!((store.begin("fresh"), store.len()), (Begin::Duplicate, 1));
    assert_eq!(store.begin("ancient"), Begin::Process);
    store.complete("ancient").unwrap(); // appends after the rewrite
    drop(store);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert_eq!(FileStore::open(&path).unwrap().len(), 2);
}
