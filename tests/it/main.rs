//! The integration tests: one binary (`autotests = false` in Cargo.toml), a module per
//! area, each driving the real `redress` binary, Dovecot, an SMTP sink or Chromium.
//! The helpers every area shares sit beside the fixtures in tests/ (their Python
//! servers are run from there) and are compiled once here.

#[path = "../bin/mod.rs"]
mod bin;
#[path = "../letters_support/mod.rs"]
mod letters_support;
#[path = "../ports/mod.rs"]
mod ports;
#[path = "../site/mod.rs"]
mod site;
#[path = "../support/mod.rs"]
mod support;
#[path = "../webkit/mod.rs"]
mod webkit;

mod browser;
mod browser_case;
mod browser_directory;
mod browser_managers;
mod browser_pages;
mod calendar;
mod cli;
mod daemon;
mod directory;
mod exclusions;
mod holding;
mod hostile;
mod imap;
mod inbound;
mod intake;
mod letter_as_of;
mod letter_threads;
mod letters;
mod logging;
mod logo;
mod maildir;
mod managers;
mod messages;
mod oauth2;
mod operations;
mod outbox;
mod outbox_hostile;
mod postal;
mod presets;
mod presets_e2e;
mod previews;
mod quarantine_actions;
mod records;
mod reply_attachments;
mod response_outcomes;
mod review_requests;
mod routing;
mod search;
mod seed_approval_learning;
mod seed_procedures;
mod service;
mod services;
mod single_contact;
mod small_faults;
mod tls_advice;
mod web;
mod web_actions;
mod web_attachments;
mod web_quarantine;
mod web_queue;
mod web_users;
mod workflow;
