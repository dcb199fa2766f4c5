//! Redress: a UK council's complaints inbox, end to end.
pub mod calendar;
pub mod policy;
pub mod deadline;
pub mod case;
pub mod config;
pub mod store;
pub mod cli;
