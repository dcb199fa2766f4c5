//! Loopback ports for the servers the tests start (Dovecot, SMTP sinks, the desk,
//! nginx, chromedriver).
//!
//! Asking the kernel for port 0 and letting it go races: the kernel may hand the
//! same port to another test's outgoing connection (its ephemeral source port)
//! before the server binds it, and the server then fails with "Address already in
//! use". So ports come from below the ephemeral range (32768-60999 on Linux), each
//! handed out once per test process, and only if nothing else holds it now.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// The ports handed out: [FIRST, FIRST + SPAN), below the ephemeral range.
const FIRST: u32 = 20_000;
const SPAN: u32 = 12_000;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A loopback port no other test in this process has been given and nothing holds.
pub fn free_port() -> u16 {
    // Start from a point set by the process id, so two suites run side by side
    // rarely reach for the same ports.
    let start = std::process::id().wrapping_mul(7_919) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (FIRST + (start + n) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}-{}", FIRST + SPAN - 1)
}
