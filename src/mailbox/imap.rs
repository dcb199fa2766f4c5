//! IMAP source (async-imap on tokio, TLS by rustls). Implicit TLS or STARTTLS; plain
//! text only on loopback or when the config says `allow_plaintext = true`.
//!
//! Per folder we track UIDVALIDITY and the last UID stored. A pass fetches every UID
//! above the last one plus anything still unseen, ingests it in batches, and after
//! each batch commits marks it processed on the server (\Seen, or MOVE to the
//! processed folder). A UIDVALIDITY change resets the last UID: the re-scan is safe
//! because ingestion is idempotent by Message-ID (or content hash).

use async_imap::types::Fetch;
use async_imap::{Client, Session};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use std::collections::BTreeSet;
use std::fmt::Debug;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::{
    as_of, count, plan_batches, MailboxError, Pass, Progress, BATCH, BATCH_BYTES, HEADER_CAP,
};
use crate::config::{Config, ImapConfig};
use crate::ingest::{self, Incoming, Options, Outcome, Prepared};
use crate::store::wal::Checkpointer;
use crate::store::Store;
use crate::tls;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}

pub type ImapSession = Session<Box<dyn Io>>;

fn fail(cfg: &ImapConfig, msg: impl std::fmt::Display) -> MailboxError {
    MailboxError::Imap {
        server: format!("{}:{}", cfg.host, port(cfg)),
        msg: msg.to_string(),
    }
}

/// A failed TLS handshake, said as advice (see [`tls::explain`]).
fn tls_error(cfg: &ImapConfig, e: &std::io::Error) -> String {
    tls::explain(e, "mailbox", &cfg.host, cfg.ca_file.as_deref())
}

fn port(cfg: &ImapConfig) -> u16 {
    cfg.port.unwrap_or(match cfg.tls.as_str() {
        "implicit" => 993,
        _ => 143,
    })
}

/// How the session logs in: a password, or an OAuth2 token (XOAUTH2 / OAUTHBEARER).
enum Login {
    Password(String),
    Token(String),
}

/// Connect, secure and log in.
pub async fn connect(cfg: &ImapConfig) -> Result<ImapSession, MailboxError> {
    let login = match &cfg.oauth2 {
        // The token first: a refused client fails here, before any connection.
        Some(o) => Login::Token(
            crate::oauth::token_async(o, "imap")
                .await
                .map_err(|m| fail(cfg, m))?,
        ),
        None => Login::Password(
            tls::read_secret(
                cfg.password_file.as_deref(),
                cfg.password_env.as_deref(),
                "imap",
            )
            .map_err(|m| fail(cfg, m))?,
        ),
    };
    let tcp = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        TcpStream::connect((cfg.host.as_str(), port(cfg))),
    )
    .await
    .map_err(|_| fail(cfg, "connection timed out"))?
    .map_err(|e| fail(cfg, e))?;
    let server_name = || {
        tokio_rustls::rustls::pki_types::ServerName::try_from(cfg.host.clone())
            .map_err(|e| fail(cfg, format!("bad host name: {e}")))
    };
    let connector = || -> Result<tokio_rustls::TlsConnector, MailboxError> {
        Ok(tokio_rustls::TlsConnector::from(
            tls::client_config(cfg.ca_file.as_deref()).map_err(|m| fail(cfg, m))?,
        ))
    };
    let stream: Box<dyn Io> = match cfg.tls.as_str() {
        "implicit" => {
            let s = connector()?
                .connect(server_name()?, tcp)
                .await
                .map_err(|e| fail(cfg, tls_error(cfg, &e)))?;
            Box::new(s)
        }
        "starttls" => {
            let mut client = Client::new(tcp);
            client
                .read_response()
                .await
                .map_err(|e| fail(cfg, e))?
                .ok_or_else(|| fail(cfg, "no greeting"))?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| fail(cfg, format!("STARTTLS: {e}")))?;
            let tcp = client.into_inner();
            let s = connector()?
                .connect(server_name()?, tcp)
                .await
                .map_err(|e| fail(cfg, tls_error(cfg, &e)))?;
            let client = Client::new(Box::new(s) as Box<dyn Io>);
            // After STARTTLS there is no second greeting.
            return log_in(client, cfg, login).await;
        }
        "plain" => {
            if !(cfg.allow_plaintext || tls::is_loopback(&cfg.host)) {
                return Err(fail(cfg, "tls = \"plain\" sends the password in clear: allowed only on loopback or with allow_plaintext = true"));
            }
            Box::new(tcp)
        }
        other => {
            return Err(fail(
                cfg,
                format!("tls = \"{other}\": use implicit, starttls or plain"),
            ))
        }
    };
    let mut client = Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| fail(cfg, e))?
        .ok_or_else(|| fail(cfg, "no greeting"))?;
    log_in(client, cfg, login).await
}

/// LOGIN with the password, or AUTHENTICATE with the token. A token the server refuses
/// is forgotten and a fresh one tried once (it may have been revoked or expired early).
async fn log_in(
    mut client: Client<Box<dyn Io>>,
    cfg: &ImapConfig,
    login: Login,
) -> Result<ImapSession, MailboxError> {
    let token = match login {
        Login::Password(p) => {
            return client
                .login(&cfg.user, &p)
                .await
                .map_err(|(e, _)| fail(cfg, format!("login: {e}")))
        }
        Login::Token(t) => t,
    };
    let Some(o) = &cfg.oauth2 else {
        return Err(fail(cfg, "no [mailbox.oauth2] for a token login"));
    };
    let mechs = auth_mechanisms(&mut client)
        .await
        .map_err(|e| fail(cfg, format!("capability: {e}")))?;
    // XOAUTH2 where offered (Microsoft, Google), else the standard OAUTHBEARER.
    let bearer = !mechs.iter().any(|m| m == "XOAUTH2") && mechs.iter().any(|m| m == "OAUTHBEARER");
    let user = crate::oauth::user(o).to_string();
    let initial = |token: &str| {
        if bearer {
            crate::oauth::oauthbearer(&user, &cfg.host, port(cfg), token)
        } else {
            crate::oauth::xoauth2(&user, token)
        }
    };
    let (mech, after) = if bearer {
        ("OAUTHBEARER", "\x01")
    } else {
        ("XOAUTH2", "")
    };
    let sasl = |token: &str| Sasl {
        first: Some(initial(token)),
        after,
    };
    match client.authenticate(mech, sasl(&token)).await {
        Ok(s) => Ok(s),
        Err((async_imap::error::Error::No(why), client)) => {
            tracing::warn!(server = %cfg.host, mechanism = mech, reason = %why, "token refused: fetching a fresh one");
            crate::oauth::forget(o);
            let fresh = crate::oauth::token_async(o, "imap")
                .await
                .map_err(|m| fail(cfg, m))?;
            client
                .authenticate(mech, sasl(&fresh))
                .await
                .map_err(|(e, _)| fail(cfg, format!("AUTHENTICATE {mech} as {user}: {e}")))
        }
        Err((e, _)) => Err(fail(cfg, format!("AUTHENTICATE {mech} as {user}: {e}"))),
    }
}

/// The SASL mechanisms the server offers before login (CAPABILITY's AUTH=...).
async fn auth_mechanisms(
    client: &mut Client<Box<dyn Io>>,
) -> async_imap::error::Result<Vec<String>> {
    use async_imap::imap_proto::{Capability, Response};
    use tokio::io::AsyncWriteExt;
    // Written straight to the stream: the client has no public way to run a command
    // before login and keep its untagged answer. Its own tags are A1, A2, ...
    let stream = client.get_mut();
    stream.write_all(b"RCAP CAPABILITY\r\n").await?;
    stream.flush().await?;
    let mut mechs = Vec::new();
    loop {
        let Some(r) = client.read_response().await? else {
            return Err(async_imap::error::Error::ConnectionLost);
        };
        match r.parsed() {
            Response::Capabilities(caps) => {
                for c in caps {
                    if let Capability::Auth(m) = c {
                        mechs.push(m.to_ascii_uppercase());
                    }
                }
            }
            Response::Done { tag, .. } if tag.0 == "RCAP" => return Ok(mechs),
            _ => {}
        }
    }
}

/// A SASL client for AUTHENTICATE: the initial response to the first challenge, then
/// `after` (a server refusing the token sends its reason as a challenge and waits for
/// an empty answer for XOAUTH2, or %x01 for OAUTHBEARER by RFC 7628, before it says NO).
struct Sasl {
    first: Option<String>,
    after: &'static str,
}

impl async_imap::Authenticator for Sasl {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        self.first.take().unwrap_or_else(|| self.after.to_string())
    }
}

pub fn source_key(cfg: &ImapConfig) -> String {
    format!(
        "imap:{}@{}:{}/{}",
        cfg.user,
        cfg.host,
        port(cfg),
        cfg.folder
    )
}

/// A UID set for a command: runs of consecutive UIDs as ranges ("1:500,502").
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let mut j = i;
        while j + 1 < uids.len() && uids[j + 1] == uids[j].wrapping_add(1) {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{}:{}", uids[i], uids[j]));
        } else {
            out.push_str(&uids[i].to_string());
        }
        i = j + 1;
    }
    out
}

/// Mail held in memory at once by the pipeline (two batches), at most.
const IN_FLIGHT_BYTES: u64 = 2 * BATCH_BYTES;

/// One pass over the folder on an open session.
pub async fn pass(
    session: &mut ImapSession,
    store: &mut Store,
    cfg: &Config,
    icfg: &ImapConfig,
    now: Option<DateTime<Utc>>,
    opts: Options,
    progress: Progress<'_>,
) -> Result<Pass, MailboxError> {
    let mbox = session
        .select(&icfg.folder)
        .await
        .map_err(|e| fail(icfg, format!("select {}: {e}", icfg.folder)))?;
    tracing::debug!("selected");
    let key = source_key(icfg);
    let validity = mbox.uid_validity.unwrap_or(0);
    let known = store.source_position(&key)?;
    let last = match known {
        Some((Some(v), last)) if v == validity => last,
        Some((Some(v), _)) => {
            tracing::warn!(source = %key, old = v, new = validity, "UIDVALIDITY changed: re-scanning the folder (duplicates are skipped)");
            0
        }
        _ => 0,
    };
    let mut uids: BTreeSet<u32> = session
        .uid_search(format!("UID {}:*", last + 1))
        .await
        .map_err(|e| fail(icfg, format!("search: {e}")))?
        .into_iter()
        .filter(|u| *u > last)
        .collect();
    tracing::debug!("searched new");
    uids.extend(
        session
            .uid_search("UNSEEN")
            .await
            .map_err(|e| fail(icfg, format!("search: {e}")))?,
    );
    let uids: Vec<u32> = uids.into_iter().collect();
    tracing::debug!(source = %key, total = uids.len(), "messages to ingest");
    let mut out = Pass::default();
    let can_move = session
        .capabilities()
        .await
        .map(|c| c.has_str("MOVE"))
        .unwrap_or(false);
    if uids.is_empty() {
        store.save_source_position(&key, validity, last, Utc::now())?;
        return Ok(out);
    }
    // Sizes first (RFC822.SIZE): a message over the limit is never fetched whole,
    // only its header section, and batches are cut by bytes as well as by count.
    let max = cfg.inbound.max_message_bytes as u64;
    let mut sized: Vec<(u32, u64)> = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(5000) {
        // Taken as they come: each response holds a buffer of its own (4 KB or more),
        // too much to keep for thousands of messages just for two numbers.
        let mut stream = session
            .uid_fetch(uid_set(chunk), "(UID RFC822.SIZE)")
            .await
            .map_err(|e| fail(icfg, format!("fetch sizes: {e}")))?;
        while let Some(f) = stream
            .try_next()
            .await
            .map_err(|e| fail(icfg, format!("fetch sizes: {e}")))?
        {
            if let Some(uid) = f.uid {
                sized.push((uid, f.size.map(u64::from).unwrap_or(0)));
            }
        }
    }
    // Gone since the search (another client expunged it): nothing to fetch.
    sized.sort_unstable();
    sized.dedup_by_key(|(uid, _)| *uid);
    let total = sized.len();
    if total == 0 {
        store.save_source_position(&key, validity, last, Utc::now())?;
        return Ok(out);
    }
    let cost: Vec<u64> = sized
        .iter()
        .map(|&(_, size)| if size > max { HEADER_CAP as u64 } else { size })
        .collect();
    // A pipeline of three steps over batches of BATCH messages, on two threads:
    //   here:          FETCH batch k+1, then parse and classify it;
    //   ingest thread: store batch k (its own connection, one transaction that also
    //                  records the mailbox position), then report back;
    //   here:          once batch k is committed, mark it processed on the server.
    // Nothing is marked before its batch commits, exactly as without the pipeline.
    // Two batches are in memory at once only while together they hold at most
    // IN_FLIGHT_BYTES of mail; otherwise batch k is finished before k+1 is fetched.
    // (Meaningful for `poll`, whose runtime has one thread; in the daemon the pass
    // may end on another worker thread than it started on.)
    let _cpu = CpuLog("pass thread");
    let mut worker = Worker::start(store, cfg, &key, now, opts)?;
    let mut pending: Option<(Vec<u32>, u64)> = None;
    let result = async {
        // A small first batch: the ingest thread has nothing to do until it arrives.
        for range in plan_batches(&cost, BATCH / 5) {
            let bytes: u64 = cost[range.clone()].iter().sum();
            let chunk = &sized[range];
            if let Some((done, held)) = pending.take_if(|(_, held)| *held + bytes > IN_FLIGHT_BYTES)
            {
                tracing::debug!(
                    held,
                    next = bytes,
                    "large mail: batch finished before the next is fetched"
                );
                count(&mut out, &key, worker.received().await?);
                mark_processed(session, icfg, &done, can_move).await?;
                progress(out.report.seen, total);
            }
            let whole: Vec<u32> = chunk
                .iter()
                .filter(|(_, s)| *s <= max)
                .map(|(u, _)| *u)
                .collect();
            let over: Vec<(u32, u64)> = chunk.iter().filter(|(_, s)| *s > max).copied().collect();
            let mut fetched: Vec<(Fetch, Option<u64>)> = Vec::with_capacity(chunk.len());
            if !whole.is_empty() {
                let got: Vec<Fetch> = session
                    .uid_fetch(uid_set(&whole), "(UID INTERNALDATE BODY.PEEK[])")
                    .await
                    .map_err(|e| fail(icfg, format!("fetch: {e}")))?
                    .try_collect()
                    .await
                    .map_err(|e| fail(icfg, format!("fetch: {e}")))?;
                fetched.extend(got.into_iter().map(|f| (f, None)));
            }
            if !over.is_empty() {
                let uids: Vec<u32> = over.iter().map(|(u, _)| *u).collect();
                let got: Vec<Fetch> = session
                    .uid_fetch(
                        uid_set(&uids),
                        format!("(UID INTERNALDATE BODY.PEEK[HEADER]<0.{HEADER_CAP}>)"),
                    )
                    .await
                    .map_err(|e| fail(icfg, format!("fetch headers: {e}")))?
                    .try_collect()
                    .await
                    .map_err(|e| fail(icfg, format!("fetch headers: {e}")))?;
                fetched.extend(got.into_iter().map(|f| {
                    let size = over
                        .iter()
                        .find(|(u, _)| Some(*u) == f.uid)
                        .map(|(_, s)| *s)
                        .unwrap_or(max + 1);
                    (f, Some(size))
                }));
                fetched.sort_by_key(|(f, _)| f.uid);
            }
            tracing::debug!(messages = fetched.len(), bytes, "batch fetched");
            let job = cpu_bound(|| Job::prepare(cfg, fetched, (validity, last)));
            tracing::debug!("batch prepared");
            let uids = job.uids.clone();
            let previous = pending.take();
            if previous.is_some() {
                // The previous batch must commit first (it is also the position saved).
                count(&mut out, &key, worker.received().await?);
            }
            worker.send(job)?;
            pending = Some((uids, bytes));
            if let Some((done, _)) = previous {
                mark_processed(session, icfg, &done, can_move).await?;
                progress(out.report.seen, total);
            }
        }
        if let Some((done, _)) = pending.take() {
            count(&mut out, &key, worker.received().await?);
            mark_processed(session, icfg, &done, can_move).await?;
            progress(out.report.seen, total);
        }
        Ok::<_, MailboxError>(())
    }
    .await;
    worker.stop();
    result?;
    Ok(out)
}

/// Run CPU-bound work from async code: on a multi-threaded runtime (the daemon) the
/// other tasks move to another worker meanwhile; on `poll`'s one thread it just runs.
fn cpu_bound<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// One batch on its way to the ingest thread: the fetched messages, parsed and
/// classified already.
struct Job {
    /// Each message with, when it was over the limit, its full size (then only its
    /// header section was fetched).
    fetched: Vec<(Fetch, Option<u64>)>,
    prepared: Vec<Prepared>,
    uids: Vec<u32>,
    position: (u32, u32),
}

impl Job {
    /// `since`: the UIDVALIDITY and the last UID stored before this pass.
    fn prepare(cfg: &Config, fetched: Vec<(Fetch, Option<u64>)>, since: (u32, u32)) -> Job {
        let fetched: Vec<(Fetch, Option<u64>)> = fetched
            .into_iter()
            .filter(|(f, _)| f.uid.is_some() && raw_of(f).is_some())
            .collect();
        let uids: Vec<u32> = fetched.iter().filter_map(|(f, _)| f.uid).collect();
        let prepared = fetched
            .iter()
            .map(|(f, full_size)| ingest::prepare_incoming(cfg, &incoming(f, *full_size)))
            .collect();
        // Batches go in UID order, but the first may hold only older unseen messages.
        let last = uids.iter().copied().max().unwrap_or(0).max(since.1);
        Job {
            fetched,
            prepared,
            uids,
            position: (since.0, last),
        }
    }
}

/// The message as fetched: the whole of it, or for an oversized one its headers.
fn raw_of(f: &Fetch) -> Option<&[u8]> {
    f.body().or_else(|| f.header())
}

fn incoming(f: &Fetch, full_size: Option<u64>) -> Incoming<'_> {
    Incoming {
        raw: raw_of(f).unwrap_or_default(),
        delivered_at: f.internal_date().map(|d| d.with_timezone(&Utc)),
        full_size,
    }
}

type Done = Result<Vec<Outcome>, MailboxError>;

/// The ingest thread: stores each batch it is sent, in order, on its own connection.
struct Worker {
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    done: tokio::sync::mpsc::UnboundedReceiver<Done>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    fn start(
        store: &Store,
        cfg: &Config,
        source: &str,
        now: Option<DateTime<Utc>>,
        opts: Options,
    ) -> Result<Worker, MailboxError> {
        let path = store
            .path()
            .ok_or_else(|| fail_store("an IMAP pass needs a database file"))?;
        // Opened here, so that a database that cannot be opened fails the pass at once.
        let mut db = Store::open(&path)?;
        // The log is copied into the database beside this thread, not in its commits;
        // where that thread cannot start, fewer, larger checkpoints in the commits.
        let checkpointer = match Checkpointer::start(&path) {
            Ok(c) => {
                db.write_backlog_beside(&c)?;
                Some(c)
            }
            Err(e) => {
                tracing::warn!(error = %e, "checkpoints stay in the ingest thread's commits");
                db.checkpoint_less_often()?;
                None
            }
        };
        // The server is told after each commit: the commit must survive a power cut.
        db.durable_commits()?;
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let (tx, done) = tokio::sync::mpsc::unbounded_channel::<Done>();
        let (cfg, source) = (cfg.clone(), source.to_string());
        let thread = std::thread::Builder::new()
            .name("ingest".into())
            .spawn(move || {
                let _cpu = CpuLog("ingest thread");
                for job in rx {
                    if let Some(c) = &checkpointer {
                        c.let_the_log_restart();
                    }
                    let batch: Vec<Incoming> = job
                        .fetched
                        .iter()
                        .map(|(f, full_size)| incoming(f, *full_size))
                        .collect();
                    let batch = as_of(&batch, now);
                    let at = now.unwrap_or_else(Utc::now);
                    let started = std::time::Instant::now();
                    let r = ingest::ingest_prepared_batch(
                        &mut db,
                        &cfg,
                        &source,
                        &batch,
                        job.prepared,
                        at,
                        opts,
                        Some(job.position),
                    )
                    .map_err(MailboxError::from);
                    tracing::debug!(
                        messages = batch.len(),
                        ms = started.elapsed().as_secs_f64() * 1e3,
                        "batch stored"
                    );
                    if let Some(c) = &checkpointer {
                        c.nudge();
                    }
                    let failed = r.is_err();
                    if tx.send(r).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|e| fail_store(format!("cannot start the ingest thread: {e}")))?;
        Ok(Worker {
            jobs: Some(jobs),
            done,
            thread: Some(thread),
        })
    }

    fn send(&self, job: Job) -> Result<(), MailboxError> {
        self.jobs
            .as_ref()
            .and_then(|j| j.send(job).ok())
            .ok_or_else(|| fail_store("the ingest thread stopped"))
    }

    /// The outcome of the oldest batch sent and not yet received.
    async fn received(&mut self) -> Done {
        match self.done.recv().await {
            Some(r) => r,
            None => Err(fail_store("the ingest thread stopped")),
        }
    }

    /// No more batches: let the thread finish the one in hand (it commits) and end.
    fn stop(mut self) {
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Logs (at debug level) the CPU time its thread used while it lived.
struct CpuLog(&'static str);

impl Drop for CpuLog {
    fn drop(&mut self) {
        tracing::debug!(cpu_ms = thread_cpu_ms(), "{}", self.0);
    }
}

/// CPU time this thread has used so far, in milliseconds (for the debug log).
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

fn fail_store(msg: impl std::fmt::Display) -> MailboxError {
    MailboxError::Store(crate::store::StoreError::Refused(msg.to_string()))
}

/// Mark a committed batch processed on the server: MOVE to the processed folder (or
/// COPY, flag and EXPUNGE where the server has no MOVE), or flag it \Seen.
async fn mark_processed(
    session: &mut ImapSession,
    icfg: &ImapConfig,
    done: &[u32],
    can_move: bool,
) -> Result<(), MailboxError> {
    if done.is_empty() {
        return Ok(());
    }
    let set = uid_set(done);
    match &icfg.processed_folder {
        Some(folder) if can_move => {
            session
                .uid_mv(&set, folder)
                .await
                .map_err(|e| fail(icfg, format!("move to {folder}: {e}")))?;
        }
        Some(folder) => {
            session
                .uid_copy(&set, folder)
                .await
                .map_err(|e| fail(icfg, format!("copy to {folder}: {e}")))?;
            let _: Vec<_> = session
                .uid_store(&set, "+FLAGS.SILENT (\\Seen \\Deleted)")
                .await
                .map_err(|e| fail(icfg, format!("store: {e}")))?
                .try_collect()
                .await
                .map_err(|e| fail(icfg, format!("store: {e}")))?;
            let _: Vec<_> = session
                .uid_expunge(&set)
                .await
                .map_err(|e| fail(icfg, format!("expunge: {e}")))?
                .try_collect()
                .await
                .map_err(|e| fail(icfg, format!("expunge: {e}")))?;
        }
        None => {
            let _: Vec<_> = session
                .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
                .await
                .map_err(|e| fail(icfg, format!("store: {e}")))?
                .try_collect()
                .await
                .map_err(|e| fail(icfg, format!("store: {e}")))?;
        }
    }
    Ok(())
}

/// Connect, one pass, log out.
pub async fn poll(
    store: &mut Store,
    cfg: &Config,
    icfg: &ImapConfig,
    now: Option<DateTime<Utc>>,
    opts: Options,
    progress: Progress<'_>,
) -> Result<Pass, MailboxError> {
    let mut session = connect(icfg).await?;
    tracing::debug!("logged in");
    let result = pass(&mut session, store, cfg, icfg, now, opts, progress).await;
    let _ = session.logout().await;
    result
}

/// The longest IDLE: 25 minutes, under the 29-minute limit of RFC 2177.
const IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(25 * 60);

/// [`super::Source::watch`] for IMAP: one session; a pass, then IDLE until the server
/// reports new mail (or [`IDLE_FOR`] passes), then a pass again. A server without IDLE
/// is polled every `poll_seconds`. Err when the connection fails: the caller connects
/// again, and the next pass picks up whatever arrived meanwhile.
pub async fn watch(
    store: &mut Store,
    cfg: &Config,
    icfg: &ImapConfig,
    shutdown: &mut super::Shutdown,
    on_pass: super::OnPass<'_>,
) -> Result<(), MailboxError> {
    let mut session = connect(icfg).await?;
    tracing::info!(server = %icfg.host, folder = %icfg.folder, "IMAP connected");
    let idle_ok = session
        .capabilities()
        .await
        .map(|c| c.has_str("IDLE"))
        .map_err(|e| fail(icfg, e))?;
    let mut quiet = |_: usize, _: usize| {};
    loop {
        let done = pass(
            &mut session,
            store,
            cfg,
            icfg,
            None,
            Options::default(),
            &mut quiet,
        )
        .await?;
        cpu_bound(|| super::index_when_idle(store));
        on_pass(&done);
        if *shutdown.borrow() {
            let _ = session.logout().await;
            return Ok(());
        }
        if !idle_ok {
            let every = std::time::Duration::from_secs(icfg.poll_seconds.max(5));
            if super::pause(shutdown, every).await {
                let _ = session.logout().await;
                return Ok(());
            }
            continue;
        }
        let mut idle = session.idle();
        idle.init()
            .await
            .map_err(|e| fail(icfg, format!("IDLE: {e}")))?;
        let stopping = {
            let (wait, _stop) = idle.wait_with_timeout(IDLE_FOR);
            tokio::select! {
                r = wait => { r.map_err(|e| fail(icfg, format!("IDLE: {e}")))?; false }
                _ = shutdown.changed() => true,
            }
        };
        session = idle
            .done()
            .await
            .map_err(|e| fail(icfg, format!("IDLE done: {e}")))?;
        if stopping {
            let _ = session.logout().await;
            return Ok(());
        }
    }
}

/// `redress doctor`: connect, secure and log in as the daemon would, select the
/// folder, and log out. What it found, in words (how many messages are there).
pub async fn check_login(cfg: &ImapConfig) -> Result<String, MailboxError> {
    let mut session = connect(cfg).await?;
    let mailbox = session
        .select(&cfg.folder)
        .await
        .map_err(|e| fail(cfg, format!("folder {}: {e}", cfg.folder)))?;
    let _ = session.logout().await;
    Ok(format!(
        "logged in as {} on {}:{}, folder {} has {} messages",
        cfg.user,
        cfg.host,
        port(cfg),
        cfg.folder,
        mailbox.exists
    ))
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn uid_sets_use_ranges_for_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[4]), "4");
        assert_eq!(uid_set(&[]), "");
    }
}
