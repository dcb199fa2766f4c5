//! systemd notification (sd_notify): READY=1 once the tasks are started, WATCHDOG=1
//! at half the watchdog interval while running, STOPPING=1 on shutdown. Written by
//! hand over the $NOTIFY_SOCKET datagram socket: a few lines do not justify a crate.
//! Outside systemd (no $NOTIFY_SOCKET) every call is a no-op.

use std::time::Duration;
use tokio::sync::watch;

fn send(state: &str) {
    #[cfg(unix)]
    {
        let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
            return;
        };
        let sock = match std::os::unix::net::UnixDatagram::unbound() {
            Ok(s) => s,
            Err(_) => return,
        };
        let p = path.to_string_lossy().into_owned();
        let result = if let Some(abstract_name) = p.strip_prefix('@') {
            #[cfg(target_os = "linux")]
            {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes())
                    .and_then(|addr| sock.send_to_addr(state.as_bytes(), &addr))
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = abstract_name;
                Ok(0)
            }
        } else {
            sock.send_to(state.as_bytes(), &p)
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "sd_notify failed");
        }
    }
}

pub fn ready() {
    send("READY=1\nSTATUS=watching the mailbox");
}

pub fn stopping() {
    send("STOPPING=1");
}

/// The watchdog interval systemd asked for, if any.
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    Some(Duration::from_micros(usec))
}

/// Ping the watchdog at half its interval until shutdown.
pub async fn watchdog_loop(mut rx: watch::Receiver<bool>) {
    let Some(interval) = watchdog_interval() else {
        return;
    };
    loop {
        send("WATCHDOG=1");
        tokio::select! {
            _ = rx.changed() => return,
            _ = tokio::time::sleep(interval / 2) => {}
        }
    }
}
