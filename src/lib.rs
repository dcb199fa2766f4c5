//! Redress: a UK council's complaints inbox, end to end.
pub mod calendar;
pub mod policy;
pub mod deadline;
pub mod case;
pub mod config;
pub mod store;
pub mod letter;
pub mod outbox;
pub mod cli;
pub mod triage;
pub mod ingest;
pub mod mailbox;
pub mod tls;
pub mod daemon;
pub mod notify;
