//! Files an officer encloses with a letter (a reply's attachments): the rules for what
//! may go, checked the same way for the CLI (`reply --attach FILE`) and the web desk
//! (the reply form's file input). Pure: names, types and bytes in, a checked
//! [`Enclosure`] or a one-line refusal out.

use super::{refused, Result};

/// The types a letter may enclose: (extension, content type, what an officer calls it).
pub const ALLOWED: &[(&str, &str, &str)] = &[
    ("pdf", "application/pdf", "PDF"),
    ("png", "image/png", "PNG"),
    ("jpg", "image/jpeg", "JPEG"),
    ("jpeg", "image/jpeg", "JPEG"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word (.docx)",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel (.xlsx)",
    ),
    ("odt", "application/vnd.oasis.opendocument.text", "ODT"),
    ("txt", "text/plain", "text (.txt)"),
    ("csv", "text/csv", "CSV"),
];

/// A letter encloses at most this many files: a reply with more is refused (a
/// paper enclosure list an officer can check, and a bounded page and email).
pub const FILES_MAX: usize = 10;

/// A file name is cut to this many characters (its extension kept).
pub const NAME_MAX: usize = 100;

/// The allowed types as an officer reads them, for refusals.
pub fn allowed_list() -> String {
    let mut seen: Vec<&str> = Vec::new();
    for (_, _, label) in ALLOWED {
        if !seen.contains(label) {
            seen.push(label);
        }
    }
    seen.join(", ")
}

/// One file enclosed with a letter, checked: a safe name, a type from [`ALLOWED`].
#[derive(Clone, PartialEq, Eq)]
pub struct Enclosure {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Enclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enclosure")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// A file name as it may be shown and sent: the last part of any path, no control
/// characters or quotes, no leading dots or surrounding spaces, at most [`NAME_MAX`]
/// characters with its extension kept. Empty when nothing usable is left.
pub fn safe_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.chars().count() <= NAME_MAX {
        return cleaned;
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 10 && !s.is_empty() => (s, format!(".{e}")),
        _ => (cleaned.as_str(), String::new()),
    };
    let keep = NAME_MAX - ext.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{}{ext}", stem.trim_end())
}

/// Refuse a file of `size` bytes over `max_bytes` (before reading it, where it can be).
pub fn too_large(raw_name: &str, size: u64, max_bytes: u64) -> Result<()> {
    if size > max_bytes {
        return Err(refused(format!(
            "attachment {} is {}: at most {} per file",
            crate::escape::escaped(&safe_name(raw_name)),
            size_text(size),
            size_text(max_bytes)
        )));
    }
    Ok(())
}

/// Whether `bytes` look like a file of `ext` (its first bytes), so that a program
/// renamed `.pdf` is not sent on as one.
fn looks_like(ext: &str, bytes: &[u8]) -> bool {
    match ext {
        "pdf" => bytes.starts_with(b"%PDF-"),
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" | "jpeg" => bytes.starts_with(b"\xff\xd8\xff"),
        "docx" | "xlsx" | "odt" => bytes.starts_with(b"PK\x03\x04"),
        "txt" | "csv" => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => false,
    }
}

/// Check one file for a letter: `raw_name` as given (a path, or the name a browser
/// sent), `declared` the content type the upload said (None from the CLI), at most
/// `max_bytes`. The type is the name's extension's; a declared type must agree with it
/// (a browser's `application/octet-stream` says nothing and is let pass), and the
/// bytes must look like that type.
pub fn enclosure(
    raw_name: &str,
    declared: Option<&str>,
    bytes: Vec<u8>,
    max_bytes: u64,
) -> Result<Enclosure> {
    let name = safe_name(raw_name);
    let shown = crate::escape::escaped(&name);
    if name.is_empty() {
        return Err(refused(format!(
            "attachment '{}' has no usable file name",
            crate::escape::escaped(raw_name)
        )));
    }
    if bytes.is_empty() {
        return Err(refused(format!("attachment {shown} is empty")));
    }
    too_large(&name, bytes.len() as u64, max_bytes)?;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, content_type, label)) = ALLOWED.iter().find(|(e, _, _)| *e == ext) else {
        return Err(refused(format!(
            "attachment {shown}: this type of file cannot be sent (allowed: {})",
            allowed_list()
        )));
    };
    if let Some(d) = declared {
        let d = d
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let vague = d.is_empty() || d == "application/octet-stream";
        if !vague && d != *content_type && !(ext == "csv" && d == "text/plain") {
            return Err(refused(format!(
                "attachment {shown}: its type {} does not match its name (allowed: {})",
                crate::escape::escaped(&d),
                allowed_list()
            )));
        }
    }
    if !looks_like(&ext, &bytes) {
        return Err(refused(format!(
            "attachment {shown} is not a {label} file, whatever its name says"
        )));
    }
    Ok(Enclosure {
        name,
        content_type: content_type.to_string(),
        bytes,
    })
}

/// Refuse more than [`FILES_MAX`] files on one letter.
pub fn too_many(count: usize) -> Result<()> {
    if count > FILES_MAX {
        return Err(refused(format!(
            "{count} files are attached: a letter may enclose at most {FILES_MAX}"
        )));
    }
    Ok(())
}

/// Check the files of one letter together: at most `max_total` bytes in all.
pub fn check_total(files: &[Enclosure], max_total: u64) -> Result<()> {
    let total: u64 = files.iter().map(|f| f.bytes.len() as u64).sum();
    if total > max_total {
        return Err(refused(format!(
            "the attachments come to {}: at most {} in one letter",
            size_text(total),
            size_text(max_total)
        )));
    }
    Ok(())
}

/// "2.5 MB", "12 KB", "300 bytes" (1 MB = 1,048,576 bytes, as file managers count).
pub fn size_text(n: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if n >= MB {
        let tenths = (n * 10 + MB / 2) / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if n >= KB {
        format!("{} KB", (n + KB / 2) / KB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(r: Result<Enclosure>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn at_most_ten_files_on_a_letter() {
        assert!(too_many(0).is_ok() && too_many(FILES_MAX).is_ok());
        assert_eq!(
            too_many(100_000).unwrap_err().to_string(),
            "100000 files are attached: a letter may enclose at most 10"
        );
    }

    #[test]
    fn names_lose_paths_controls_and_length_but_keep_the_extension() {
        assert_eq!(safe_name("C:\\Users\\x\\Report.pdf"), "Report.pdf");
        assert_eq!(safe_name("../../etc/passwd.txt"), "passwd.txt");
        assert_eq!(safe_name("a\r\nb\u{0}c.png"), "abc.png");
        assert_eq!(safe_name("..hidden.txt"), "hidden.txt");
        assert_eq!(safe_name("  \"q\".csv "), "q.csv");
        assert_eq!(safe_name("dir/"), "");
        let long = format!("{}.docx", "x".repeat(300));
        let s = safe_name(&long);
        assert_eq!(s.chars().count(), NAME_MAX);
        assert!(s.ends_with("x.docx"), "{s}");
    }

    #[test]
    fn types_are_allowed_by_name_agreed_by_the_upload_and_seen_in_the_bytes() {
        let pdf = b"%PDF-1.4 ...".to_vec();
        let e = enclosure("a/b/Plan.PDF", Some("application/pdf"), pdf.clone(), 100).unwrap();
        assert_eq!(e.name, "Plan.PDF");
        assert_eq!(e.content_type, "application/pdf");
        let e = enclosure("x.pdf", Some("application/octet-stream"), pdf.clone(), 100).unwrap();
        assert_eq!(e.content_type, "application/pdf");
        let e = enclosure("x.csv", None, b"a,b\n1,2\n".to_vec(), 100).unwrap();
        assert_eq!(e.content_type, "text/csv");
        assert!(refusal(enclosure("run.exe", None, b"MZ".to_vec(), 100))
            .contains("this type of file cannot be sent (allowed: PDF, PNG, JPEG"));
        assert!(
            refusal(enclosure("x.pdf", Some("image/png"), pdf.clone(), 100))
                .contains("its type image/png does not match its name")
        );
        assert_eq!(
            refusal(enclosure("x.pdf", None, b"MZ\x90\x00".to_vec(), 100)),
            "attachment x.pdf is not a PDF file, whatever its name says"
        );
        assert_eq!(
            refusal(enclosure("x.pdf", None, pdf.clone(), 5)),
            "attachment x.pdf is 12 bytes: at most 5 bytes per file"
        );
        assert_eq!(
            refusal(enclosure("x.txt", None, Vec::new(), 5)),
            "attachment x.txt is empty"
        );
        assert!(refusal(enclosure("/", None, pdf, 100)).contains("no usable file name"));
    }

    #[test]
    fn a_letters_files_are_limited_together() {
        let f = |n: usize| Enclosure {
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            bytes: vec![b'a'; n],
        };
        assert!(check_total(&[f(600), f(400)], 1000).is_ok());
        assert_eq!(
            check_total(&[f(600), f(401)], 1000)
                .unwrap_err()
                .to_string(),
            "the attachments come to 1001 bytes: at most 1000 bytes in one letter"
        );
        assert_eq!(size_text(10 * 1024 * 1024), "10 MB");
        assert_eq!(size_text(2_621_440), "2.5 MB");
    }
}
