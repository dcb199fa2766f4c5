//! IMAP source (async-imap on tokio, TLS by rustls). Implicit TLS or STARTTLS; plain
//! text only on loopback or when the config says `allow_plaintext = true`.
//!
//! Per folder we track UIDVALIDITY and the last UID stored. A pass fetches every UID
//! above the last one plus anything still unseen, ingests it in batches, and after
//! each batch commits marks it processed on the server (\Seen, or MOVE to the
//! processed folder). A UIDVALIDITY change resets the last UID: the re-scan is safe
//! because ingestion is idempotent by Message-ID (or content hash).

use async_imap::{Client, Session};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use std::collections::BTreeSet;
use std::fmt::Debug;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::{ingest_and_count, MailboxError, Pass, Progress, BATCH};
use crate::config::{Config, ImapConfig};
use crate::ingest::{Incoming, Options};
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

fn port(cfg: &ImapConfig) -> u16 {
    cfg.port.unwrap_or(match cfg.tls.as_str() {
        "implicit" => 993,
        _ => 143,
    })
}

/// Connect, secure and log in.
pub async fn connect(cfg: &ImapConfig) -> Result<ImapSession, MailboxError> {
    let password = tls::read_secret(
        cfg.password_file.as_deref(),
        cfg.password_env.as_deref(),
        "imap",
    )
    .map_err(|m| fail(cfg, m))?;
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
                .map_err(|e| fail(cfg, format!("TLS: {e}")))?;
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
                .map_err(|e| fail(cfg, format!("TLS: {e}")))?;
            let client = Client::new(Box::new(s) as Box<dyn Io>);
            // After STARTTLS there is no second greeting.
            return client
                .login(&cfg.user, &password)
                .await
                .map_err(|(e, _)| fail(cfg, format!("login: {e}")));
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
    client
        .login(&cfg.user, &password)
        .await
        .map_err(|(e, _)| fail(cfg, format!("login: {e}")))
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

fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

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
    let key = source_key(icfg);
    let validity = mbox.uid_validity.unwrap_or(0);
    let known = store.source_position(&key)?;
    let mut last = match known {
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
    uids.extend(
        session
            .uid_search("UNSEEN")
            .await
            .map_err(|e| fail(icfg, format!("search: {e}")))?,
    );
    let uids: Vec<u32> = uids.into_iter().collect();
    let total = uids.len();
    let mut out = Pass::default();
    let can_move = session
        .capabilities()
        .await
        .map(|c| c.has_str("MOVE"))
        .unwrap_or(false);
    for chunk in uids.chunks(BATCH) {
        let set = uid_set(chunk);
        let fetched: Vec<async_imap::types::Fetch> = session
            .uid_fetch(&set, "(UID INTERNALDATE BODY.PEEK[])")
            .await
            .map_err(|e| fail(icfg, format!("fetch: {e}")))?
            .try_collect()
            .await
            .map_err(|e| fail(icfg, format!("fetch: {e}")))?;
        let mut done: Vec<u32> = Vec::with_capacity(fetched.len());
        let mut batch = Vec::with_capacity(fetched.len());
        for f in &fetched {
            let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                continue;
            };
            done.push(uid);
            batch.push(Incoming {
                raw: body,
                delivered_at: f.internal_date().map(|d| d.with_timezone(&Utc)),
            });
        }
        ingest_and_count(store, cfg, &key, &batch, now, opts, &mut out)?;
        crash_point();
        // Stored and committed: now mark them processed on the server.
        if !done.is_empty() {
            let set = uid_set(&done);
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
            last = last.max(*done.iter().max().unwrap_or(&last));
        }
        store.save_source_position(&key, validity, last, Utc::now())?;
        progress(out.report.seen, total);
    }
    if total == 0 {
        store.save_source_position(&key, validity, last, Utc::now())?;
    }
    Ok(out)
}

/// Test hook for the crash-safety test: REDRESS_TEST_CRASH_AFTER_COMMIT=1 aborts the
/// process right after a batch commits and before the server is told, the worst moment.
fn crash_point() {
    if std::env::var_os("REDRESS_TEST_CRASH_AFTER_COMMIT").is_some() {
        std::process::abort();
    }
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
    let result = pass(&mut session, store, cfg, icfg, now, opts, progress).await;
    let _ = session.logout().await;
    result
}
