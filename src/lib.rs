//! Redress: a UK council's complaints inbox, end to end.
//!
//! # Module map
//! The layers are described in docs/architecture.md: pure rules decide, the store
//! writes, engines load-decide-persist, the edges talk to the world.
//!
//! **Rules** (pure: no database, no clock)
//! - [`calendar`]: working days, bank holidays of England and Wales, closures, day 0.
//! - [`policy`]: council presets (config/policies/*.toml) and [`policy::Policies`],
//!   which answers which policy governs a case.
//! - [`deadline`]: which promises apply to a case and when each falls due.
//! - [`case`]: the case lifecycle as a state machine (kinds, states, close reasons),
//!   and the case and customer as the store returns them.
//! - [`event`]: the kinds of event on a case's timeline, as `events.kind` stores them.
//! - [`plan`]: what an officer's action or a lifecycle step changes, as a `Plan`.
//! - [`sweep`]: `decide` (the automatic steps a due deadline calls for) and `tick`.
//! - [`message`]: one raw message parsed; why no automatic reply may answer it.
//! - [`thread`]: which case a message belongs to.
//! - [`admission`]: how a message joins a case; whether an automatic letter may go.
//! - [`allowed`]: what may be done on a case here, and why not (the desk and the CLI ask it).
//! - [`triage`]: complaint, compliment, comment, service request or out of scope.
//! - [`schedule`]: when a cron schedule fires, in London time.
//! - [`letter`]: letter kinds and their facts, Tera templates, text, HTML and PDF.
//! - [`report`]: performance figures and their text, CSV, JSON and PDF forms.
//! - [`text`], [`escape`], [`time`]: sender text cleaned, text made safe to print,
//!   the one codec for stored times.
//!
//! **Store**: [`store`], SQLite, every SQL statement, split by noun.
//!
//! **Engines** (load, decide, persist)
//! - [`actions`]: what officers do to a case.
//! - [`accounts`]: the web desk's accounts, sign-in and sessions.
//! - [`ingest`]: the batch engine for mail in.
//! - [`outbox`]: letters and staff mail rendered and delivered exactly once.
//! - [`scheduler`]: digests, reports and retention on their schedules.
//! - [`retention`]: erasing personal data past its destruction date.
//! - [`subject_access`]: everything held about one person, exported.
//! - [`backup`]: consistent backups (by hand and on a schedule), restores, and the
//!   lock that tells a restore the daemon is running.
//!
//! **Edges**
//! - [`mailbox`]: Maildir and IMAP sources; `Source::watch` owns IDLE.
//! - [`tls`]: TLS client settings and certificate advice.
//! - [`oauth`]: OAuth2 client-credentials tokens for Microsoft 365 and Google mailboxes.
//! - [`daemon`]: `redress run`, three tasks and one shutdown; [`memory`]: the
//!   allocator tunables that keep an idle process small.
//! - [`notify`]: systemd readiness and watchdog.
//! - [`health`]: what this process knows of itself (tasks, mail counts, desk
//!   latency) for the desk's `/healthz` and `/metrics`.
//! - [`config`]: the configuration file.
//! - [`cli`]: the command tree, one file per noun.
//! - [`web`]: the officers' web desk (axum, Tera pages, GOV.UK Frontend).
pub mod accounts;
pub mod actions;
pub mod admission;
pub mod allowed;
pub mod backup;
pub mod calendar;
pub mod case;
pub mod cli;
pub mod config;
pub mod council;
pub mod daemon;
pub mod deadline;
pub mod escape;
pub mod event;
pub mod health;
pub mod ingest;
pub mod jwt;
pub mod letter;
pub mod mailbox;
pub mod memory;
pub mod message;
pub mod notify;
pub mod oauth;
pub mod outbox;
pub mod plan;
pub mod policy;
pub mod quarantine;
pub mod report;
pub mod retention;
pub mod schedule;
pub mod scheduler;
pub mod store;
pub mod subject_access;
pub mod sweep;
pub mod text;
pub mod thread;
pub mod time;
pub mod tls;
pub mod triage;
pub mod web;
