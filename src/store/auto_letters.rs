//! The automatic letters already sent, as the caps on automatic letters read them:
//! per address in 24 hours, and to all senders per clock hour; and whether a customer
//! is restricted from having them.

use rusqlite::{params, Connection, OptionalExtension};

use super::Result;

/// Automatic letters to `addr` created since `since` (RFC 3339), its plus-addressed
/// forms (`name+tag@domain`) counted as the address itself (`name@domain`).
pub(super) fn automatic_letters_to(conn: &Connection, addr: &str, since: &str) -> Result<u32> {
    let (local, domain) = addr.rsplit_once('@').unwrap_or((addr, ""));
    let base = local.split('+').next().unwrap_or(local);
    // Every "base+...@domain" sorts between "base+" and "base," ('+' + 1): one range
    // of the (to_addr, created_at) index, then the domain checked on the few found.
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM letters WHERE to_addr = ?1 AND automatic = 1 AND created_at >= ?2)
                  + (SELECT COUNT(*) FROM letters WHERE to_addr >= ?3 AND to_addr < ?4 AND automatic = 1
                     AND created_at >= ?2 AND substr(to_addr, -length(?5)) = ?5)",
        )?
        .query_row(
            params![
                format!("{base}@{domain}"),
                since,
                format!("{base}+"),
                format!("{base},"),
                format!("@{domain}")
            ],
            |r| r.get(0),
        )?)
}

/// Automatic letters answering mail in the clock hour `hour` ('YYYY-MM-DDTHH', UTC).
pub(super) fn automatic_letters_in_hour(conn: &Connection, hour: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT n FROM auto_letter_hours WHERE hour = ?1")?
        .query_row([hour], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Count one more automatic letter answering mail in `hour`; the counts of earlier
/// days are dropped when an hour's first letter is counted.
pub(super) fn count_automatic_letter(conn: &Connection, hour: &str) -> Result<()> {
    let n = conn
        .prepare_cached(
            "INSERT INTO auto_letter_hours (hour, n) VALUES (?1, 1)
             ON CONFLICT (hour) DO UPDATE SET n = n + 1 RETURNING n",
        )?
        .query_row([hour], |r| r.get::<_, i64>(0))?;
    if n == 1 {
        conn.prepare_cached("DELETE FROM auto_letter_hours WHERE hour < ?1")?
            .execute([&hour[..hour.len().min(10)]])?;
    }
    Ok(())
}

/// The restriction recorded on the customer with this address (`no-response`...), if any.
pub(super) fn customer_restriction(conn: &Connection, email: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT restriction FROM customers WHERE email = ?1")?
        .query_row([email], |r| r.get(0))
        .optional()?
        .flatten())
}
