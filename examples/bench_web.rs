//! Benchmark: the officers' desk on a big database: time per request for my queue, a
//! case page, a search and a reply preview, with the real `redress web` over loopback.
//!
//!     cargo run --release --features bench --example bench_records -- 1000000 DIR/redress.db --build-only
//!     cargo build --release
//!     cargo run --release --features bench --example bench_web -- DIR [REQUESTS]
//!     cargo run --release --features bench --example bench_web -- DIR 0 busy [SECONDS]
//!     cargo run --release --features bench --example bench_web -- DIR 0 hostile [SECONDS]
//!     cargo run --release --features bench --example bench_web -- DIR [REQUESTS] managers
//!
//! `managers`: the manager `mona` (added on the first run) times the dashboard, a
//! month's Reports page (February 2027, the month before `--now`) and the lists the
//! dashboard links to (overdue; due soon), REQUESTS of each after 20 to warm up.
//!
//! `busy`: 1, 4, 10 and 30 officers at once, each on its own connection, requesting
//! without pause (my queue, a case page, a search, the overdue list, in turn) for
//! SECONDS (default 20) per level; latency percentiles, requests per second, and the
//! desk's resident memory (peak during each level, and 5 s after it). `hostile`: twelve
//! clients searching without pause for what a hostile officer might type (the probe's
//! 15 KB `a* ` query, six one-letter prefixes, common prefixes that rarely meet),
//! beside one officer's queue and case pages: their latency and the desk's memory
//! above idle.
//!
//! DIR is the data dir holding the database `bench_records` built. The benchmark writes
//! `DIR/bench-web.toml` (the zero-setup defaults, as `bench_records` used, with the desk
//! on a free loopback port),
//! starts `target/release/redress web` on it (or `$REDRESS_BIN`), adds the officer
//! `jane` (every generated case is hers) on the first run, signs in as she would, and
//! sends REQUESTS (default 300) of each request after 20 to warm up, one at a time.
//! The times are measured by the client round trip on loopback, so they are an upper
//! bound on the server's time. It prints median, 90th and 99th percentile and the
//! largest, each search's median alone, and the desk's peak resident memory. The desk
//! runs with `--now 2027-03-31`, near the generated cases' last deadlines.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-web-password-1";

struct Desk {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redress_bin() -> PathBuf {
    std::env::var_os("REDRESS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/redress"))
}

fn start(bin: &Path, config: &Path, log: PathBuf) -> Desk {
    let child = Command::new(bin)
        .args(["--config".as_ref(), config.as_os_str()])
        // The end of the generated year: the open cases' deadlines are near.
        .args(["--now", "2027-03-31", "web"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let mut desk = Desk {
        child,
        base: String::new(),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&desk.log).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("web desk: http://"))
            .and_then(|l| l.split('/').next())
        {
            desk.base = format!("http://{url}");
            return desk;
        }
        if desk.child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
            panic!("the desk did not start:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of the hidden field `name` on `page`.
fn field(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} field on the page"));
    let rest = &page[at + key.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn cookie(resp: &ureq::Response, name: &str) -> Option<String> {
    resp.all("set-cookie")
        .into_iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// One request; the body read to the end, the status checked.
fn send(req: ureq::Request, form: Option<&[(&str, &str)]>) -> (u16, Vec<u8>) {
    let out = match form {
        Some(f) => req.send_form(f),
        None => req.call(),
    };
    let r = match out {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = r.status();
    let mut body = Vec::new();
    r.into_reader().read_to_end(&mut body).unwrap();
    (status, body)
}

fn sign_in(agent: &ureq::Agent, base: &str) -> String {
    sign_in_as(agent, base, "jane")
}

fn sign_in_as(agent: &ureq::Agent, base: &str, account: &str) -> String {
    let page = agent
        .get(&format!("{base}/sign-in"))
        .call()
        .expect("sign-in page");
    let token = cookie(&page, "redress_sign_in").expect("sign-in cookie");
    let r = agent
        .post(&format!("{base}/sign-in"))
        .set("Cookie", &format!("redress_sign_in={token}"))
        .send_form(&[
            ("account", account),
            ("password", PASSWORD),
            ("csrf", &token),
        ]);
    let r = match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("sign in: {e}"),
    };
    assert_eq!(r.status(), 303, "signing in as {account} failed");
    cookie(&r, "redress_session").expect("session cookie")
}

struct Stats {
    median: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    Stats {
        median: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: *ms.last().unwrap(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: bench_web DATA_DIR [REQUESTS]"));
    let n: usize = args
        .next()
        .map(|a| a.parse().expect("REQUESTS"))
        .unwrap_or(300);
    // `busy`: officers at once, without pause; `hostile`: twelve hostile searches at
    // once beside an officer's pages. Each level or run lasts SECONDS.
    let mode = args.next().unwrap_or_default();
    let seconds: u64 = args
        .next()
        .map(|a| a.parse().expect("SECONDS"))
        .unwrap_or(20);
    let dir = dir.canonicalize().expect("data dir");
    assert!(
        dir.join("redress.db").exists(),
        "no redress.db in {}: build it with bench_records first",
        dir.display()
    );
    let bin = redress_bin();
    let config = dir.join("bench-web.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[web]\nlisten = \"127.0.0.1:0\"\n",
            redress::config::DEFAULT.replace(
                "data_dir = \"data\"",
                &format!("data_dir = {:?}", dir.display().to_string())
            )
        ),
    )
    .unwrap();

    // jane, once: `user add` takes the password on stdin.
    let listed = Command::new(&bin)
        .args([
            "--config".as_ref(),
            config.as_os_str(),
            "user".as_ref(),
            "list".as_ref(),
        ])
        .output()
        .expect("user list");
    for (account, role) in [("jane", "officer"), ("mona", "manager")] {
        if String::from_utf8_lossy(&listed.stdout).contains(account) {
            continue;
        }
        let email = format!("{account}@example.gov.uk");
        let mut add = Command::new(&bin)
            .args(["--config".as_ref(), config.as_os_str()])
            .args(["user", "add", account, "--email", &email, "--role", role])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("user add");
        add.stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        assert!(add.wait().unwrap().success(), "user add failed");
    }

    let desk = start(&bin, &config, dir.join("bench-web.log"));
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let base = desk.base.clone();
    let session = format!("redress_session={}", sign_in(&agent, &base));
    match mode.as_str() {
        "busy" => return busy_office(&desk, &session, seconds),
        "hostile" => return hostile_searches(&desk, &session, seconds),
        "managers" => return managers(&desk, n),
        _ => {}
    }
    let get = |path: &str| {
        send(
            agent.get(&format!("{base}{path}")).set("Cookie", &session),
            None,
        )
    };

    // The cases to open: the queue's (open, hers) and a spread of closed ones by reference.
    let (status, queue) = get("/");
    assert_eq!(status, 200);
    let queue = String::from_utf8_lossy(&queue).into_owned();
    let open: Vec<String> = queue
        .split("href=\"/cases/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|r| r.starts_with("EX-"))
        .map(str::to_string)
        .collect();
    assert!(
        !open.is_empty(),
        "the queue is empty: is this bench_records' database?"
    );
    let mut refs = open.clone();
    for year in [2022, 2024, 2026] {
        for k in 0..50u32 {
            refs.push(format!("EX-{year}-{:07}", 1 + (k * 7919) % 100_000));
        }
    }
    println!(
        "desk {} on {}: {} open cases in jane's queue page, {} cases to open",
        base,
        dir.join("redress.db").display(),
        open.len(),
        refs.len()
    );

    let searches = [
        "bins",
        "missed again",
        "High Street",
        "resident417@example.org",
        "Resident 90210",
        "EX-2026-0001234",
        "third time this month",
        "nothing-matches-this",
    ];
    let mut results: Vec<(&str, Stats)> = Vec::new();
    let mut time = |name: &'static str, f: &mut dyn FnMut(usize) -> (u16, Vec<u8>)| {
        eprintln!("timing {name}...");
        for i in 0..20 {
            f(i);
        }
        let mut ms = Vec::with_capacity(n);
        for i in 0..n {
            let t = Instant::now();
            let (status, body) = f(i);
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(status == 200, "{name}: status {status}");
            assert!(!body.is_empty(), "{name}: empty body");
        }
        results.push((name, stats(ms)));
    };
    time("my queue (GET /)", &mut |_| get("/"));
    time("case page (GET /cases/REF)", &mut |i| {
        get(&format!("/cases/{}", refs[i % refs.len()]))
    });
    time("search (GET /cases?q=...)", &mut |i| {
        let q: String = url_encode(searches[i % searches.len()]);
        get(&format!("/cases?q={q}"))
    });
    time(
        "cases list, filtered (GET /cases?state=investigating&overdue=on)",
        &mut |_| get("/cases?state=investigating&overdue=on"),
    );
    // The preview renders the exact PDF in a transaction that is rolled back.
    // Complaints in her queue (a compliment has no reply to preview).
    let preview = |r: &str, csrf: &str, version: &str| {
        send(
            agent
                .post(&format!("{base}/cases/{r}/reply"))
                .set("Cookie", &session),
            Some(&[
                ("csrf", csrf),
                ("version", version),
                ("action", "preview"),
                ("outcome", "upheld"),
                (
                    "body",
                    "We checked the collection records: your bins were missed on three dates.",
                ),
            ]),
        )
    };
    let mut forms: Vec<(String, String, String)> = Vec::new();
    for r in &open {
        let (_, page) = get(&format!("/cases/{r}"));
        let page = String::from_utf8_lossy(&page);
        let (csrf, version) = (field(&page, "csrf"), field(&page, "version"));
        if preview(r, &csrf, &version).1.starts_with(b"%PDF") {
            forms.push((r.clone(), csrf, version));
        }
        if forms.len() == 20 {
            break;
        }
    }
    assert!(
        !forms.is_empty(),
        "no complaint in the queue to preview a reply on"
    );
    time(
        "reply preview (POST /cases/REF/reply, action=preview)",
        &mut |i| {
            let (r, csrf, version) = &forms[i % forms.len()];
            let out = preview(r, csrf, version);
            assert!(
                out.1.starts_with(b"%PDF"),
                "the preview of {r} is not a PDF"
            );
            out
        },
    );

    // Each search alone: which words cost what. Then prefixes so short or common that
    // they start too many words to widen (not in the mix above): the slow ways.
    let harder = ["bi", "res", "resident", "mis aga", "resident street"];
    let mut per_word = Vec::new();
    for w in searches.iter().chain(&harder) {
        let path = format!("/cases?q={}", url_encode(w));
        get(&path);
        let ms: Vec<f64> = (0..15)
            .map(|_| {
                let t = Instant::now();
                get(&path);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        per_word.push((w, stats(ms).median));
    }

    // The queue while another officer searches without pause for a prefix too common
    // to widen ("res", checked in rows): each request on a connection of its own.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (beside, searched) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                assert_eq!(get("/cases?q=res").0, 200);
                n += 1;
            }
            n
        });
        let ms: Vec<f64> = (0..n)
            .map(|_| {
                let t = Instant::now();
                assert_eq!(get("/").0, 200);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (stats(ms), other.join().unwrap())
    });

    let status =
        std::fs::read_to_string(format!("/proc/{}/status", desk.child.id())).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("VmRSS: ?");
    println!("{n} requests each, after 20 to warm up; ms per request (client round trip):");
    println!("| request | median | p90 | p99 | max |");
    println!("|---|---|---|---|---|");
    for (name, s) in &results {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} |",
            s.median, s.p90, s.p99, s.max
        );
    }
    println!(
        "my queue while another officer searches \"res\" without pause ({searched} searches): median {:.2} ms, p90 {:.2}, p99 {:.2}, max {:.2}",
        beside.median, beside.p90, beside.p99, beside.max
    );
    for (w, median) in per_word {
        let mix = if harder.contains(w) {
            " (not in the mix)"
        } else {
            ""
        };
        println!("search {w:?}: median {median:.2} ms{mix}");
    }
    println!(
        "desk memory: {} (peak), {}",
        hwm.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        rss.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The desk's resident memory now, in MB: (VmRSS, RssAnon).
fn resident(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (kb("VmRSS:"), kb("RssAnon:"))
}

/// Run `clients` threads, each calling `request(agent, client, n)` (its n-th request)
/// without pause for
/// `seconds`, while the desk's memory is sampled every 50 ms. Returns each client's
/// requests' times in ms with their status, and the peak (VmRSS, RssAnon).
#[allow(clippy::type_complexity)]
fn load(
    pid: u32,
    clients: usize,
    seconds: u64,
    request: &(dyn Fn(&ureq::Agent, usize, usize) -> u16 + Sync),
) -> (Vec<Vec<(f64, u16)>>, (f64, f64)) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                let stop = &stop;
                s.spawn(move || {
                    let agent = ureq::AgentBuilder::new()
                        .redirects(0)
                        .max_idle_connections_per_host(1)
                        .build();
                    let mut out = Vec::new();
                    // Each client's own count: every client makes every kind of
                    // request in turn.
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let status = request(&agent, c, i);
                        out.push((t.elapsed().as_secs_f64() * 1e3, status));
                        i += 1;
                    }
                    out
                })
            })
            .collect();
        let until = Instant::now() + Duration::from_secs(seconds);
        let mut peak = (0.0f64, 0.0f64);
        while Instant::now() < until {
            let (rss, anon) = resident(pid);
            peak = (peak.0.max(rss), peak.1.max(anon));
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::Relaxed);
        let times = workers.into_iter().map(|w| w.join().unwrap()).collect();
        (times, peak)
    })
}

/// A GET with the session; the body read to the end; the status.
fn get_status(agent: &ureq::Agent, base: &str, session: &str, path: &str) -> u16 {
    send(
        agent.get(&format!("{base}{path}")).set("Cookie", session),
        None,
    )
    .0
}

/// The four requests an officer makes most, in turn.
fn officer_request(base: &str, session: &str, agent: &ureq::Agent, client: usize, n: usize) -> u16 {
    // The kind in turn; which case or search differs from client to client.
    let i = n * 31 + client;
    const SEARCHES: [&str; 4] = ["bins", "missed again", "High Street", "Resident 90210"];
    let path = match n % 4 {
        0 => "/".to_string(),
        1 => format!("/cases/EX-2026-{:07}", 1 + (i * 7919) % 100_000),
        2 => format!("/cases?q={}", url_encode(SEARCHES[i % SEARCHES.len()])),
        _ => "/cases?state=investigating&overdue=on".to_string(),
    };
    get_status(agent, base, session, &path)
}

fn busy_office(desk: &Desk, session: &str, seconds: u64) {
    let pid = desk.child.id();
    std::thread::sleep(Duration::from_secs(2));
    let idle = resident(pid);
    println!(
        "desk idle: VmRSS {:.1} MB (anonymous {:.1} MB); {seconds} s per level",
        idle.0, idle.1
    );
    println!("| officers at once | requests | per second | median ms | p90 | p99 | max | not 200 | peak VmRSS (anon) MB | 5 s after (anon) MB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for clients in [1, 4, 10, 30] {
        let (times, peak) = load(pid, clients, seconds, &|agent, c, n| {
            officer_request(&desk.base, session, agent, c, n)
        });
        let times: Vec<(f64, u16)> = times.into_iter().flatten().collect();
        let failed = times.iter().filter(|(_, s)| *s != 200).count();
        let n = times.len();
        let st = stats(times.into_iter().map(|(ms, _)| ms).collect());
        std::thread::sleep(Duration::from_secs(5));
        let after = resident(pid);
        println!(
            "| {clients} | {n} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {failed} | {:.0} ({:.0}) | {:.0} ({:.0}) |",
            n as f64 / seconds as f64,
            st.median,
            st.p90,
            st.p99,
            st.max,
            peak.0,
            peak.1,
            after.0,
            after.1
        );
    }
}

fn hostile_searches(desk: &Desk, session: &str, seconds: u64) {
    let pid = desk.child.id();
    std::thread::sleep(Duration::from_secs(2));
    let idle = resident(pid);
    let probe = "a* ".repeat(5_000);
    let hostile: [&str; 5] = [
        &probe,
        "a b c d e f",
        "x q j z k v",
        "res zz",
        "resident qu",
    ];
    let (times, peak) = load(pid, 13, seconds, &|agent, client, i| {
        if client == 0 {
            // The officer: her queue and case pages.
            let path = if i % 2 == 0 {
                "/".to_string()
            } else {
                format!("/cases/EX-2026-{:07}", 1 + (i * 7919) % 100_000)
            };
            get_status(agent, &desk.base, session, &path)
        } else {
            let q = url_encode(hostile[(i + client) % hostile.len()]);
            get_status(agent, &desk.base, session, &format!("/cases?q={q}"))
        }
    });
    std::thread::sleep(Duration::from_secs(5));
    let after = resident(pid);
    let mut times = times.into_iter();
    let mine = times.next().unwrap_or_default();
    let theirs: Vec<(f64, u16)> = times.flatten().collect();
    let busy = theirs.iter().filter(|(_, s)| *s == 503).count();
    let st = stats(mine.iter().map(|(ms, _)| *ms).collect());
    let hs = stats(theirs.iter().map(|(ms, _)| *ms).collect());
    println!(
        "the officer's queue and case pages: {} requests, median {:.1} ms, p90 {:.1}, p99 {:.1}, max {:.1}; not 200: {}",
        mine.len(),
        st.median,
        st.p90,
        st.p99,
        st.max,
        mine.iter().filter(|(_, s)| *s != 200).count()
    );
    println!(
        "the hostile searches: {} answered ({busy} 'busy, try again'), median {:.1} ms, p99 {:.1}, max {:.1}",
        theirs.len(),
        hs.median,
        hs.p99,
        hs.max
    );
    println!(
        "12 hostile searchers and one officer for {seconds} s: desk VmRSS idle {:.1} MB (anon {:.1}), peak {:.1} MB (anon {:.1}): {:.1} MB above idle; 5 s after {:.1} MB (anon {:.1})",
        idle.0, idle.1, peak.0, peak.1, peak.0 - idle.0, after.0, after.1
    );
}

/// The managers' pages, one request at a time as the manager `mona`: the dashboard,
/// a month's Reports page, and the lists the dashboard's figures link to.
fn managers(desk: &Desk, n: usize) {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let base = desk.base.clone();
    let session = format!("redress_session={}", sign_in_as(&agent, &base, "mona"));
    let get = |path: &str| {
        send(
            agent.get(&format!("{base}{path}")).set("Cookie", &session),
            None,
        )
    };
    let (status, page) = get("/dashboard");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&page));
    let page = String::from_utf8_lossy(&page).into_owned();
    let figure = |id: &str| -> String {
        let key = format!("id=\"{id}\"><a class=\"govuk-link\" href=\"");
        let at = page
            .find(&key)
            .unwrap_or_else(|| panic!("no {id} on the dashboard"));
        let rest = &page[at + key.len()..];
        let (link, rest) = rest.split_once('"').unwrap();
        let n = rest[1..].split('<').next().unwrap();
        println!("dashboard: {id} = {n} ({link})");
        link.replace("&amp;", "&")
    };
    let (_, overdue, soon) = (figure("open"), figure("overdue"), figure("due-soon"));
    // A report built (not yet kept): the first request of each of twelve months.
    let ms: Vec<f64> = (0..12)
        .map(|i| {
            let (y, m) = if i < 2 { (2027, 2 - i) } else { (2026, 14 - i) };
            let t = Instant::now();
            assert_eq!(get(&format!("/reports?period={y}-{m:02}")).0, 200);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let s = stats(ms);
    println!(
        "a month's Reports page, first request (report built), 12 months: median {:.1} ms, max {:.1}",
        s.median, s.max
    );
    for (name, path) in [
        ("dashboard (GET /dashboard)", "/dashboard".to_string()),
        (
            "a month's Reports page (GET /reports?period=2027-02)",
            "/reports?period=2027-02".to_string(),
        ),
        ("the overdue list it links to", overdue),
        ("the due-soon list it links to", soon),
    ] {
        eprintln!("timing {name}...");
        for _ in 0..20 {
            assert_eq!(get(&path).0, 200, "{path}");
        }
        let ms: Vec<f64> = (0..n)
            .map(|_| {
                let t = Instant::now();
                let (status, body) = get(&path);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                assert!(status == 200 && !body.is_empty(), "{path}: {status}");
                ms
            })
            .collect();
        let s = stats(ms);
        println!(
            "{name}: median {:.1} ms, p90 {:.1}, p99 {:.1}, max {:.1}",
            s.median, s.p90, s.p99, s.max
        );
    }
}
