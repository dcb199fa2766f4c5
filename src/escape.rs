//! Sender text (subjects, names, reasons quoting a header) made safe to print: on a
//! terminal, in a table, or in a log line. One helper, used by the CLI and the logger,
//! so a header can neither drive the terminal (ESC sequences, BEL, a title change)
//! nor start a line of its own (CR, LF) that would read as another record.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is printed escaped: the characters [`crate::text`] keeps out of
/// stored text (controls, DEL, bidirectional overrides, line separators, the BOM).
fn needs_escape(c: char) -> bool {
    crate::text::is_breaking(c)
}

fn write_escaped(f: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        c if (c as u32) < 0x80 => write!(f, "\\x{:02x}", c as u32),
        c => write!(f, "\\u{{{:x}}}", c as u32),
    }
}

/// `s` for display on one line: control characters written as `\n`, `\r`, `\t`,
/// `\x1b` or `\u{202e}`; everything else (accents, other scripts) as it is.
/// A backslash is left alone: the output is for reading, not for parsing back.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if needs_escape(c) {
                write_escaped(f, c)?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// [`Escaped`] as a string, borrowed when nothing needed escaping.
pub fn escaped(s: &str) -> Cow<'_, str> {
    if s.chars().any(needs_escape) {
        Cow::Owned(Escaped(s).to_string())
    } else {
        Cow::Borrowed(s)
    }
}

/// Raw bytes (a quarantined message) for reading on a terminal: line breaks (LF, and
/// CRLF as LF) and tabs kept, every other control character escaped as above, and
/// bytes that are not UTF-8 written as `\xNN`.
pub fn escape_bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        let text = chunk.valid();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' | '\t' => out.push(c),
                '\r' if chars.peek() == Some(&'\n') => {}
                c if needs_escape(c) => {
                    let _ = write_escaped(&mut out, c);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        assert_eq!(
            escaped("Bins\x1b]0;pwned\x07\r\nINFO fake"),
            "Bins\\x1b]0;pwned\\x07\\r\\nINFO fake"
        );
        assert_eq!(escaped("Café \u{202e}gnp.exe"), "Café \\u{202e}gnp.exe");
        assert!(matches!(escaped("plain"), Cow::Borrowed("plain")));
        assert_eq!(escaped("\u{9b}"), "\\u{9b}");
    }

    #[test]
    fn bytes_keep_lines_and_escape_the_rest() {
        assert_eq!(
            escape_bytes(b"Subject: x\r\n\r\n\x00\x1b[2J\xff\xfeok\ttab\n"),
            "Subject: x\n\n\\x00\\x1b[2J\\xff\\xfeok\ttab\n"
        );
        assert_eq!(escape_bytes(b"lone\rcr"), "lone\\rcr");
    }
}
