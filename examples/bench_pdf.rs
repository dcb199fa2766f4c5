//! Benchmark: render and write N PDF letters (default 10,000) on one thread.
//!
//!     cargo run --release --example bench_pdf [-- N [OUT_DIR]]
//!
//! Each letter goes through the whole path a real one takes: the Tera template (text
//! and HTML), then the PDF with the embedded, subset DejaVu font, then a file on disk.
//! The letters cycle through every kind and every built-in preset's sample data.
//! With OUT_DIR the files are kept there (the last one of each kind is handy to look at).

use std::time::Instant;

use redress::letter::{sample, Kind, Templates};
use redress::policy::{Policies, Policy};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let keep = args.next();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = keep
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("out dir");

    let templates = Templates::builtin().expect("templates");
    let council = sample::council();
    let mut contexts = Vec::new();
    for name in Policies::builtin_names() {
        let policy = Policy::load(name).expect("preset");
        for kind in Kind::ALL {
            for ctx in sample::contexts(&policy, &council, kind) {
                contexts.push((kind, ctx));
            }
        }
    }

    // Warm up: font parsing and template compilation happen once per process.
    let _ = templates
        .render(contexts[0].0, &contexts[0].1)
        .expect("render");

    let (mut total, mut max, mut max_kind) = (0usize, 0usize, "");
    let start = Instant::now();
    for i in 0..n {
        let (kind, ctx) = &contexts[i % contexts.len()];
        let r = templates.render(*kind, ctx).expect("render");
        let path = dir.join(format!("{i:05}-{}", r.pdf_name));
        std::fs::write(&path, &r.pdf).expect("write");
        total += r.pdf.len();
        if r.pdf.len() > max {
            max = r.pdf.len();
            max_kind = kind.as_str();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("letters:        {n}");
    println!("distinct samples: {}", contexts.len());
    println!("elapsed:        {secs:.2} s");
    println!(
        "rate:           {:.0} letters/s (one thread)",
        n as f64 / secs
    );
    println!("mean size:      {:.1} KB", total as f64 / n as f64 / 1024.0);
    println!("largest:        {:.1} KB ({max_kind})", max as f64 / 1024.0);
}
