//! Benchmark: the store half of ingestion alone, without IMAP, to see where a new
//! case's time goes.
//!
//!     python3 scripts/bench_ingest_fetch.py fill DIR 10000   # DIR/new, DIR/tmp must exist
//!     cargo run --release --example bench_store -- CONFIG DIR [DB_PATH]
//!
//! Reads every file in DIR/new, prepares them (parse, key, triage: what the IMAP
//! pass does on its main thread), then stores them in batches of 500 exactly as the
//! pass's ingest thread does (its own connection, durable commits, 32 MB WAL
//! checkpoints) into a new database, and prints both times.

use std::time::Instant;

use redress::config::Config;
use redress::ingest::{self, Incoming, Options};
use redress::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_store CONFIG MAILDIR [DB_PATH]");
        std::process::exit(2);
    }
    let cfg = Config::load(Some(std::path::Path::new(&args[1]))).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let dir = std::path::Path::new(&args[2]).join("new");
    let db_path = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "/tmp/bench_store.db".into());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db_path}{suffix}"));
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("read the maildir")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let raws: Vec<Vec<u8>> = names
        .iter()
        .map(|p| std::fs::read(p).expect("read a message"))
        .collect();
    let n = raws.len();
    let now = chrono::Utc::now();

    // BENCH_STORE_PAGE_SIZE: create the database with this page size first.
    if let Ok(size) = std::env::var("BENCH_STORE_PAGE_SIZE") {
        let size: u32 = size
            .parse()
            .expect("BENCH_STORE_PAGE_SIZE: a number of bytes");
        Store::create_with_page_size(std::path::Path::new(&db_path), size).expect("page size");
    }
    let t = Instant::now();
    let mut db = Store::open(std::path::Path::new(&db_path)).expect("open");
    db.set_wal_autocheckpoint(8192).expect("pragma");
    db.durable_commits().expect("durable");
    // BENCH_STORE_SQL: statements run on the connection before storing (to try a
    // pragma or an index change), e.g. BENCH_STORE_SQL="PRAGMA mmap_size=268435456".
    if let Ok(sql) = std::env::var("BENCH_STORE_SQL") {
        db.run_script(&sql).expect("BENCH_STORE_SQL");
    }
    let open = t.elapsed();

    let mut prepare = std::time::Duration::ZERO;
    let mut store = std::time::Duration::ZERO;
    let mut new_cases = 0;
    for (i, chunk) in raws.chunks(redress::mailbox::BATCH).enumerate() {
        let t = Instant::now();
        let prepared: Vec<_> = chunk.iter().map(|r| ingest::prepare(&cfg, r)).collect();
        prepare += t.elapsed();
        let batch: Vec<Incoming> = chunk
            .iter()
            .map(|r| Incoming {
                raw: r,
                delivered_at: Some(now),
                full_size: None,
            })
            .collect();
        let t = Instant::now();
        let out = ingest::ingest_prepared_batch(
            &mut db,
            &cfg,
            "bench",
            &batch,
            prepared,
            now,
            Options::default(),
            Some((1, ((i + 1) * chunk.len()) as u32)),
        )
        .expect("store");
        store += t.elapsed();
        new_cases += out
            .iter()
            .filter(|o| matches!(o, ingest::Outcome::NewCase { .. }))
            .count();
    }
    let t = Instant::now();
    drop(db);
    let close = t.elapsed();
    let us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{n} messages, {new_cases} new cases\n\
         open+migrate : {:.3} s\n\
         prepare      : {:.3} s ({:.1} us/msg)\n\
         store        : {:.3} s ({:.1} us/msg)\n\
         close        : {:.3} s (final checkpoint)\n\
         database     : {:.1} MB",
        open.as_secs_f64(),
        prepare.as_secs_f64(),
        us(prepare),
        store.as_secs_f64(),
        us(store),
        close.as_secs_f64(),
        std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
    );
}
