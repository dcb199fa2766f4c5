//! Reading what a browser sends: cookies, url-encoded and multipart forms, and a
//! request body within its size and time limits.

#![allow(clippy::result_large_err)]

use super::*;
use axum::body::Bytes;
use axum::http::HeaderMap;
use std::collections::HashMap;

/// The value of cookie `name` in the request's Cookie headers.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when the desk is on https.
pub(crate) fn set_cookie(
    cfg: &Config,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; HttpOnly; SameSite=Strict; Path={path}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if cfg.web.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `csrf` field of a URL-encoded form body.
pub(crate) fn form_field(body: &[u8], field: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
}

/// A file sent with a form: the name the browser gave, the type it declared, its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A form: each field's last value, trimmed at the ends only by readers, and any files
/// it sent (the reply form's, multipart).
pub(crate) struct Form(pub(crate) HashMap<String, String>, pub(crate) Vec<Upload>);

impl Form {
    pub(crate) fn parse(body: &[u8]) -> Form {
        Form(
            form_urlencoded::parse(body).into_owned().collect(),
            Vec::new(),
        )
    }

    /// A URL-encoded or a multipart body, by its Content-Type.
    pub(crate) async fn read(headers: &HeaderMap, body: Bytes) -> Result<Form, String> {
        match multipart_boundary(headers) {
            Some(b) => {
                let (fields, files) = multipart_form(&b, body).await?;
                Ok(Form(fields, files))
            }
            None => Ok(Form::parse(&body)),
        }
    }

    pub(crate) fn get(&self, k: &str) -> &str {
        self.0.get(k).map(String::as_str).unwrap_or("")
    }

    /// A field left empty is None.
    pub(crate) fn opt(&self, k: &str) -> Option<&str> {
        Some(self.get(k).trim()).filter(|v| !v.is_empty())
    }
}

/// The boundary of a `multipart/form-data` request, None for any other body.
pub(crate) fn multipart_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    multer::parse_boundary(ct).ok()
}

/// A `multipart/form-data` body (already read, within its limit): its text fields
/// (each field's last value) and its files (a file input left empty sends a part with
/// no name and no bytes: skipped). A malformed body is an error in words.
pub(crate) async fn multipart_form(
    boundary: &str,
    body: axum::body::Bytes,
) -> Result<(std::collections::HashMap<String, String>, Vec<Upload>), String> {
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut m = multer::Multipart::new(stream, boundary);
    let mut fields = std::collections::HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = m
        .next_field()
        .await
        .map_err(|e| format!("the form could not be read: {e}"))?
    {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.to_string());
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("the form could not be read: {e}"))?;
        match file_name {
            Some(f) if f.is_empty() && bytes.is_empty() => {}
            Some(f) => files.push(Upload {
                name: f,
                content_type,
                bytes: bytes.to_vec(),
            }),
            None => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, files))
}

/// The text field `name` of a `multipart/form-data` body, without copying the other
/// parts (a reply's files); None when it is missing or the body is malformed.
pub(crate) async fn multipart_field(
    boundary: &str,
    body: axum::body::Bytes,
    name: &str,
) -> Option<String> {
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut m = multer::Multipart::new(stream, boundary);
    while let Some(field) = m.next_field().await.ok()? {
        if field.name() == Some(name) && field.file_name().is_none() {
            return field.text().await.ok();
        }
    }
    None
}

/// Whether `path` is a case's reply form, the one POST that may carry files.
pub(super) fn takes_files(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    matches!(parts.as_slice(), ["", "cases", r, "reply"] if !r.is_empty())
}

/// A body read whole, up to `limit` bytes.
pub(super) enum Read {
    Whole(axum::body::Bytes),
    /// Over the limit; the rest was read and dropped (up to [`DRAIN_MAX`]) so that the
    /// browser, still sending, reads the refusal instead of a reset connection.
    TooLarge,
    Broken,
    /// Still arriving at its deadline (a trickled or stalled body).
    TimedOut,
}

/// How long a body of `bytes` may take to arrive: [`serve::REQUEST_TIMEOUT`], and for
/// a reply's files a second more for each 64 KiB.
pub(super) fn body_deadline(bytes: Option<u64>) -> tokio::time::Instant {
    let extra = bytes.unwrap_or(0) / (64 * 1024);
    tokio::time::Instant::now() + serve::REQUEST_TIMEOUT + std::time::Duration::from_secs(extra)
}

/// An oversized body is read and dropped up to this much, then the connection closes.
pub(super) const DRAIN_MAX: u64 = 64 * 1024 * 1024;

pub(super) async fn read_body(
    body: Body,
    limit: usize,
    declared: Option<u64>,
    until: tokio::time::Instant,
) -> Read {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    // Sized once from Content-Length (within the limit), not doubled as it grows.
    let mut kept: Vec<u8> = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    let mut seen: u64 = 0;
    let mut over = false;
    loop {
        let Ok(next) = tokio::time::timeout_at(until, stream.next()).await else {
            return Read::TimedOut;
        };
        let Some(chunk) = next else {
            break;
        };
        let Ok(chunk) = chunk else {
            return if over { Read::TooLarge } else { Read::Broken };
        };
        seen += chunk.len() as u64;
        if over {
            if seen > DRAIN_MAX {
                break;
            }
        } else if kept.len() + chunk.len() > limit {
            over = true;
            kept = Vec::new();
        } else {
            kept.extend_from_slice(&chunk);
        }
    }
    if over {
        Read::TooLarge
    } else {
        Read::Whole(kept.into())
    }
}
