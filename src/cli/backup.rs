//! `redress backup`, `redress restore`, and the hidden `redress migrate --to N` the
//! upgrade tests use: thin shells over [`crate::backup`] and the store.

use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, Ctx};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist); written 0600, checked before it is named.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup written by `redress backup` (or any Redress database file).
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Migrate the database only up to this schema version (for upgrade tests).
    #[arg(long)]
    pub to: usize,
}

pub fn backup(ctx: &Ctx, a: BackupArgs) -> Result<ExitCode> {
    let w = crate::backup::backup_to(&ctx.config, &a.out)?;
    if a.json {
        print_json(&w)?;
    } else {
        println!(
            "backup written: {} ({} bytes, schema version {}, {} cases, {} letters, integrity ok, {} ms)",
            w.file.display(),
            w.bytes,
            w.checked.schema_version,
            w.checked.cases,
            w.checked.letters,
            w.millis
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn restore(ctx: &Ctx, a: RestoreArgs) -> Result<ExitCode> {
    let r = crate::backup::restore(&ctx.config, &a.file, chrono::Utc::now())?;
    if a.json {
        print_json(&r)?;
    } else {
        println!(
            "restored {} as {} (schema version {}, now {}; {} cases, {} letters)",
            a.file.display(),
            r.database.display(),
            r.checked.schema_version,
            r.schema_version_now,
            r.checked.cases,
            r.checked.letters
        );
        match &r.kept {
            Some(k) => println!("the database it replaced is kept as {}", k.display()),
            None => println!("there was no database before"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn migrate(ctx: &Ctx, a: MigrateArgs) -> Result<ExitCode> {
    let path = ctx.config.database_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let store = crate::store::Store::open_at_version(&path, a.to)
        .with_context(|| format!("opening {}", path.display()))?;
    println!("{}", store.schema_version()?);
    Ok(ExitCode::SUCCESS)
}

/// `redress --version`: the release and the database schema version it brings.
pub fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        format!(
            "{} (database schema version {})",
            env!("CARGO_PKG_VERSION"),
            crate::store::backup::current_version()
        )
    })
}
