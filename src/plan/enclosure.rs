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
        "docx" => office_parts(bytes, "word/"),
        "xlsx" => office_parts(bytes, "xl/"),
        "odt" => zip::stored(bytes, "mimetype")
            .is_some_and(|m| m == b"application/vnd.oasis.opendocument.text"),
        "txt" | "csv" => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => false,
    }
}

/// An Office Open XML file: a readable ZIP whose central directory lists
/// `[Content_Types].xml` and the application's folder (`word/`, `xl/`).
fn office_parts(bytes: &[u8], folder: &str) -> bool {
    zip::names(bytes).is_some_and(|names| {
        names.iter().any(|n| *n == b"[Content_Types].xml")
            && names.iter().any(|n| n.starts_with(folder.as_bytes()))
    })
}

/// Just enough of the ZIP format to see that a file is a real container: the end of
/// central directory record, the central directory's entries, and a stored (not
/// compressed) entry's bytes. Bounds-checked throughout: anything short, overlapping or
/// ZIP64 reads as "not a ZIP" (None), never a panic.
mod zip {
    const EOCD: &[u8] = b"PK\x05\x06";
    const CENTRAL: &[u8] = b"PK\x01\x02";
    const LOCAL: &[u8] = b"PK\x03\x04";

    fn u16_at(b: &[u8], at: usize) -> Option<usize> {
        let s = b.get(at..at.checked_add(2)?)?;
        Some(u16::from_le_bytes([s[0], s[1]]) as usize)
    }

    fn u32_at(b: &[u8], at: usize) -> Option<usize> {
        let s = b.get(at..at.checked_add(4)?)?;
        usize::try_from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok()
    }

    /// One central directory entry: (name, compression method, compressed size, local
    /// header offset).
    struct Entry<'a> {
        name: &'a [u8],
        method: usize,
        size: usize,
        local: usize,
    }

    fn entries(b: &[u8]) -> Option<Vec<Entry<'_>>> {
        if !b.starts_with(LOCAL) || b.len() < 22 {
            return None;
        }
        // The record is the last 22 bytes plus a comment of at most 65,535.
        let lowest = b.len().saturating_sub(22 + 0xffff);
        let eocd = (lowest..=b.len() - 22)
            .rev()
            .find(|&i| b[i..].starts_with(EOCD) && u16_at(b, i + 20) == Some(b.len() - i - 22))?;
        let count = u16_at(b, eocd + 10)?;
        let size = u32_at(b, eocd + 12)?;
        let start = u32_at(b, eocd + 16)?;
        // ZIP64 markers, or a directory that is not inside the file before the record.
        if count == 0xffff || count == 0 || start.checked_add(size)? > eocd {
            return None;
        }
        let dir = &b[start..start + size];
        let mut out = Vec::with_capacity(count.min(1024));
        let mut at = 0usize;
        for _ in 0..count {
            if !dir.get(at..)?.starts_with(CENTRAL) {
                return None;
            }
            let name_len = u16_at(dir, at + 28)?;
            let extra = u16_at(dir, at + 30)?;
            let comment = u16_at(dir, at + 32)?;
            let name_at = at.checked_add(46)?;
            let name = dir.get(name_at..name_at.checked_add(name_len)?)?;
            let entry = Entry {
                name,
                method: u16_at(dir, at + 10)?,
                size: u32_at(dir, at + 20)?,
                local: u32_at(dir, at + 42)?,
            };
            if entry.local >= start || entry.size == 0xffff_ffff {
                return None;
            }
            out.push(entry);
            at = name_at
                .checked_add(name_len)?
                .checked_add(extra)?
                .checked_add(comment)?;
        }
        (at == size).then_some(out)
    }

    /// The names in the central directory, if `b` is a readable ZIP.
    pub fn names(b: &[u8]) -> Option<Vec<&[u8]>> {
        Some(entries(b)?.into_iter().map(|e| e.name).collect())
    }

    /// The bytes of the entry `name` stored uncompressed (as an ODF `mimetype` must be).
    pub fn stored<'a>(b: &'a [u8], name: &str) -> Option<&'a [u8]> {
        let e = entries(b)?
            .into_iter()
            .find(|e| e.name == name.as_bytes())?;
        if e.method != 0 || !b.get(e.local..)?.starts_with(LOCAL) {
            return None;
        }
        let data = e
            .local
            .checked_add(30)?
            .checked_add(u16_at(b, e.local + 26)?)?
            .checked_add(u16_at(b, e.local + 28)?)?;
        b.get(data..data.checked_add(e.size)?)
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

/// A ZIP of `files` stored uncompressed, as a real writer makes one (CRC-32 and all):
/// the smallest genuine Office container, for the tests of the check above.
pub fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(b: &[u8]) -> u32 {
        let mut c = !0u32;
        for &x in b {
            c ^= x as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xedb8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let (mut out, mut dir) = (Vec::new(), Vec::new());
    for (name, data) in files {
        let (crc, len, off) = (crc32(data), data.len() as u32, out.len() as u32);
        let common = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend([0u8; 2]); // flags
            v.extend([0u8; 2]); // stored
            v.extend([0u8; 4]); // time, date
            v.extend(crc.to_le_bytes());
            v.extend(len.to_le_bytes());
            v.extend(len.to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
            v.extend([0u8; 2]); // extra
        };
        out.extend(b"PK\x03\x04");
        common(&mut out);
        out.extend(name.as_bytes());
        out.extend(*data);
        dir.extend(b"PK\x01\x02");
        dir.extend(20u16.to_le_bytes()); // made by
        common(&mut dir);
        dir.extend([0u8; 6]); // comment, disk, internal attributes
        dir.extend([0u8; 4]); // external attributes
        dir.extend(off.to_le_bytes());
        dir.extend(name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend(&dir);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((dir.len() as u32).to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend([0u8; 2]);
    out
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

    use super::stored_zip as zip_of;

    fn docx() -> Vec<u8> {
        zip_of(&[
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#),
            ("word/document.xml", br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>"#),
        ])
    }

    #[test]
    fn office_files_are_real_zip_containers_with_their_parts() {
        let ok = |n: &str, b: &[u8]| enclosure(n, None, b.to_vec(), 1 << 20).is_ok();
        let d = docx();
        assert!(ok("letter.docx", &d));
        // The signature and zeros, a docx named .xlsx, a ZIP without the parts.
        let mut fake = b"PK\x03\x04".to_vec();
        fake.extend([0u8; 4000]);
        assert_eq!(
            refusal(enclosure("x.docx", None, fake.clone(), 1 << 20)),
            "attachment x.docx is not a Word (.docx) file, whatever its name says"
        );
        assert!(!ok("x.xlsx", &fake) && !ok("x.odt", &fake));
        assert!(!ok("x.xlsx", &d));
        assert!(!ok("x.docx", &zip_of(&[("word/document.xml", b"<w/>")])));
        assert!(ok(
            "x.xlsx",
            &zip_of(&[
                ("[Content_Types].xml", b"<T/>"),
                ("xl/workbook.xml", b"<w/>")
            ])
        ));
        let odt = zip_of(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b"<office:document-content/>"),
        ]);
        assert!(ok("x.odt", &odt));
        assert!(!ok(
            "x.odt",
            &zip_of(&[(
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet"
            )])
        ));
        // Every truncation and every single corrupted byte: an answer, never a panic.
        for n in 0..d.len() {
            assert!(!ok("x.docx", &d[..n]), "{n}");
        }
        for i in 0..odt.len() {
            for v in [0u8, 0xff, 0x7f] {
                let mut b = odt.clone();
                b[i] = v;
                let _ = ok("x.odt", &b);
                let _ = ok("x.docx", &b);
            }
        }
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
