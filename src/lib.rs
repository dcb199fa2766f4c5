//! Redress: a UK council's complaints inbox, end to end.
pub mod calendar;
pub mod case;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod deadline;
pub mod ingest;
pub mod letter;
pub mod mailbox;
pub mod notify;
pub mod outbox;
pub mod policy;
pub mod store;
pub mod tls;
pub mod triage;
