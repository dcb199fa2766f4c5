//! `[letters]`: edited templates, the outbox's retries and the size of enclosures.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::{line_of, ConfigError};

/// Letters out: where edited templates live and how the outbox retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LettersConfig {
    /// A folder of templates (acknowledgement.tera, ...) that replace the built-in ones
    /// file by file; a kind with no file there keeps the built-in template.
    pub templates: Option<PathBuf>,
    /// Wait before the first retry after a temporary failure (4xx, server down); it
    /// doubles with each further failure up to `retry_max_seconds`.
    pub retry_first_seconds: u64,
    pub retry_max_seconds: u64,
    /// After this many attempts a letter is marked failed and its case flagged.
    pub max_attempts: u32,
    /// Files an officer encloses with a reply: the largest one file may be, and all of
    /// one letter's together (at most [`MAX_LETTER_ATTACHMENTS`]).
    pub max_file_attachment_bytes: u64,
    pub max_letter_attachment_bytes: u64,
}

/// The most `[letters] max_letter_attachment_bytes` may be: the email carries them in
/// base64 (a third larger), and mail servers commonly refuse messages over 35 MB.
pub const MAX_LETTER_ATTACHMENTS: u64 = 20 * 1024 * 1024;

impl Default for LettersConfig {
    fn default() -> Self {
        LettersConfig {
            templates: None,
            retry_first_seconds: 60,
            retry_max_seconds: 3600,
            max_attempts: 30,
            max_file_attachment_bytes: 10 * 1024 * 1024,
            max_letter_attachment_bytes: 10 * 1024 * 1024,
        }
    }
}

impl LettersConfig {
    /// The templates folder counted from the config's folder, and the attachment
    /// limits checked.
    pub(super) fn checked(
        mut self,
        resolve: &dyn Fn(&Path) -> PathBuf,
        src: &str,
        file: &str,
    ) -> Result<LettersConfig, ConfigError> {
        self.templates = self.templates.as_deref().map(resolve);
        let (per_file, per_letter) = (
            self.max_file_attachment_bytes,
            self.max_letter_attachment_bytes,
        );
        let bad_size = if per_letter == 0 || per_letter > MAX_LETTER_ATTACHMENTS {
            Some((
                "max_letter_attachment_bytes",
                format!("max_letter_attachment_bytes {per_letter} must be between 1 and {MAX_LETTER_ATTACHMENTS}"),
            ))
        } else if per_file == 0 || per_file > per_letter {
            Some((
                "max_file_attachment_bytes",
                format!("max_file_attachment_bytes {per_file} must be between 1 and max_letter_attachment_bytes ({per_letter})"),
            ))
        } else {
            None
        };
        if let Some((key, msg)) = bad_size {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, key),
                msg: format!("[letters] {msg}"),
            });
        }
        Ok(self)
    }
}
