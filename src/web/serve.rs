//! The desk's listener: hyper's HTTP/1 server on each accepted connection, with the
//! limits that keep a flood of connections from taking the daemon's mail tasks down
//! with it (they share the process and its open-file limit).
//!
//! - Headers must arrive within [`HEADER_TIMEOUT`] of the connection opening or of the
//!   last answer on a kept-alive connection: an idle socket, a half-sent header and a
//!   trickled header are all closed then.
//! - A request (its body read and its answer made) has [`REQUEST_TIMEOUT`]; a reply's
//!   files more, by their size (`guard` reads bodies against a deadline).
//! - At most [`connection_cap`] connections are open at once: the file limit less
//!   [`RESERVED_FILES`] for the mailbox, the database, SMTP and letters. Past it a new
//!   connection is answered "busy" (503) and closed at once, so that none waits open.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tower::Service;

/// The wait for a request's headers (the first, and each next on a kept-alive
/// connection): browsers send at once, and reuse an idle connection within seconds.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// A request's body and answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Open files kept for everything but the desk's connections.
pub const RESERVED_FILES: u64 = 256;
/// The most connections the desk keeps open, however high the file limit.
pub const MOST_CONNECTIONS: usize = 1024;
/// The fewest, however low the file limit.
const FEWEST_CONNECTIONS: usize = 16;
/// How long a stop waits for answers under way.
const DRAIN: Duration = Duration::from_secs(10);

/// Raise the soft open-file limit to the hard one (the systemd default is 1,024 soft,
/// 524,288 hard; the unit sets its own) and return the limit now in force.
pub fn raise_file_limit() -> u64 {
    #[cfg(target_os = "linux")]
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    return raised.rlim_cur;
                }
            }
            return lim.rlim_cur;
        }
    }
    1024
}

/// The desk's connection cap under a file limit of `files`.
pub fn connection_cap(files: u64) -> usize {
    let room = files.saturating_sub(RESERVED_FILES);
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .clamp(FEWEST_CONNECTIONS, MOST_CONNECTIONS)
}

/// A request that takes longer than [`REQUEST_TIMEOUT`] is answered 408 and its
/// connection closed; a reply carrying files is timed by `guard` against its size.
pub(crate) async fn within_time(req: Request, next: Next) -> Response {
    if super::takes_files(req.uri().path()) {
        return next.run(req).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => too_slow(),
    }
}

/// The answer to a request that did not arrive in time; the connection is closed.
pub(crate) fn too_slow() -> Response {
    (
        StatusCode::REQUEST_TIMEOUT,
        [(axum::http::header::CONNECTION, "close")],
        "The request took too long to arrive. Try again.",
    )
        .into_response()
}

/// The whole answer to a connection past the cap.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: 66\r\n\r\nThe complaints desk is busy. Try again in a moment (reload).     \n";

/// Answer [`BUSY`] as far as the socket takes it at once, and close: nothing is held
/// open, so a burst of connections past the cap cannot use up the files the mail tasks
/// need (a connection still sending may see a reset instead).
fn turn_away(stream: tokio::net::TcpStream) {
    let _ = stream.try_write(BUSY);
}

/// Accept connections on `listener` and serve `app` on each until `shutdown`; then
/// stop accepting and give answers under way [`DRAIN`] to finish.
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let cap = connection_cap(raise_file_limit());
    tracing::info!(connections = cap, "web desk: connection cap");
    let slots = Arc::new(Semaphore::new(cap));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::pin!(shutdown);
    let mut warned = false;
    loop {
        let (stream, peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of files or memory for the moment: wait, do not spin.
                    tracing::warn!(error = %e, "web desk: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // At the cap a connection is told the desk is busy and closed at once, so none
        // waits (the officer's browser shows the page and can try again).
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !warned {
                tracing::warn!(
                    connections = cap,
                    "web desk: at its connection cap; turning new connections away"
                );
                warned = true;
            }
            turn_away(stream);
            continue;
        };
        if slots.available_permits() > cap / 2 {
            warned = false;
        }
        let _ = stream.set_nodelay(true);
        let svc = match make.call(peer).await {
            Ok(s) => s,
            Err(e) => match e {},
        };
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(DRAIN, conn).await;
                }
            }
        });
    }
    let _ = stop_tx.send(true);
    // Every connection gives its slot back as it ends.
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(cap as u32)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_mail_tasks() {
        // systemd's default soft limit: 768 connections, 256 files for the rest.
        assert_eq!(connection_cap(1024), 768);
        assert_eq!(connection_cap(4096), MOST_CONNECTIONS);
        assert_eq!(connection_cap(100), FEWEST_CONNECTIONS);
        assert!(raise_file_limit() >= 16);
    }

    #[test]
    fn the_busy_answer_is_whole_http() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
        assert!(head.starts_with("HTTP/1.1 503 "));
    }
}
