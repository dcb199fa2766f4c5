//! `redress user add|set|list|disable|unlock|passwd|role|history`: the web desk's
//! accounts (and their place in the staff directory), and `redress web`.

use anyhow::{anyhow, Result};
use clap::Subcommand;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use super::{print_json, print_table, Ctx};
use crate::accounts;

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add an account. The password is read from stdin when it is piped, else one is
    /// generated and printed once.
    Add {
        name: String,
        #[arg(long)]
        email: String,
        /// officer, manager or admin.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        staff: StaffArgs,
        /// Who is making the change (recorded as officer:NAME).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Change an account's email or its place in the staff directory: display name, job
    /// title, manager. What is not given stays; an empty value ("") clears it.
    Set {
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        staff: StaffArgs,
        /// Who is making the change (recorded as officer:NAME).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// List the accounts (never their passwords).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it can no longer sign in, and its sessions end (not your own,
    /// nor the last enabled admin).
    Disable {
        name: String,
        /// Who is making the change (recorded as officer:NAME).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Unlock an account locked after several wrong passwords: its failed sign-ins so
    /// far stop counting (they stay in the record), and the unlock is in `user history`.
    Unlock {
        name: String,
        /// Who is making the change (recorded as officer:NAME).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Set a new password (from stdin when piped, else generated and printed once);
    /// the account's sessions end.
    Passwd {
        name: String,
        /// Who is making the change (recorded as officer:NAME).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Change an account's role: officer, manager or admin (the last enabled admin
    /// stays admin).
    Role {
        name: String,
        role: String,
        /// Who is making the change (recorded as officer:NAME).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Who added, disabled, unlocked, re-passworded or changed the role of each
    /// account, newest first (never a password).
    History {
        #[arg(long)]
        json: bool,
    },
}

/// An account's place in the staff directory (with `[[staff]]` in the config as seed
/// data: what an account sets wins, what it leaves empty the entry of the same name gives).
#[derive(Debug, clap::Args)]
pub struct StaffArgs {
    /// How letters and the desk name them ("Sam Patel").
    #[arg(long)]
    display_name: Option<String>,
    /// Their job title, after the name in letters ("Customer Feedback Officer").
    #[arg(long)]
    job_title: Option<String>,
    /// Their manager (an account or [[staff]] name): the next step up an escalation.
    #[arg(long)]
    manager: Option<String>,
}

impl StaffArgs {
    /// The details given, the rest from `current` (display name, job title, manager).
    fn details(self, current: [Option<String>; 3]) -> accounts::Details {
        let [d, j, m] = current;
        accounts::Details {
            display_name: self.display_name.or(d).unwrap_or_default(),
            job_title: self.job_title.or(j).unwrap_or_default(),
            manager: self.manager.or(m).unwrap_or_default(),
        }
    }
}

/// The password piped on stdin (its first line), or a generated one to print.
fn password_from_stdin_or_generated() -> Result<(String, bool)> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok((accounts::generate_password(), true));
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|e| anyhow!("reading the password from stdin: {e}"))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Ok((accounts::generate_password(), true));
    }
    Ok((line, false))
}

pub fn run(ctx: &Ctx, cmd: UserCmd) -> Result<ExitCode> {
    match cmd {
        UserCmd::Add {
            name,
            email,
            role,
            staff,
            by,
        } => {
            let role = accounts::role_named(&role)?;
            let (password, generated) = password_from_stdin_or_generated()?;
            let mut store = ctx.store()?;
            let details = staff.details(Default::default());
            accounts::add_staff_user(
                &mut store,
                &ctx.config,
                &name,
                &email,
                role,
                &password,
                &details,
                &by,
                ctx.now,
            )?;
            println!("added {name} ({})", role.as_str());
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCmd::Set {
            name,
            email,
            staff,
            by,
        } => {
            let mut store = ctx.store()?;
            let Some(u) = store.user_by_name(&name)? else {
                return Err(anyhow!("no user named '{name}'"));
            };
            let email = email.unwrap_or(u.email);
            let details = staff.details([u.display_name, u.job_title, u.manager]);
            let changed = accounts::set_details(
                &mut store,
                &ctx.config,
                &name,
                &email,
                &details,
                &by,
                ctx.now,
            )?;
            if changed {
                println!("changed {name}");
            } else {
                println!("{name} unchanged");
            }
        }
        UserCmd::List { json } => {
            let store = ctx.store()?;
            let users = store.users()?;
            // Locks are on the real clock, as sign-ins are (under --now too).
            let now = chrono::Utc::now();
            let locked = accounts::locked_accounts(&store, now)?;
            if json {
                print_json(&users)?;
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.name.clone(),
                            u.email.clone(),
                            u.role.clone(),
                            match locked.get(&u.name) {
                                _ if u.disabled => "disabled".to_string(),
                                Some(until) => format!(
                                    "locked ({} min more)",
                                    accounts::minutes_left(*until, now)
                                ),
                                None => "active".to_string(),
                            },
                            u.created_at.clone(),
                            u.display_name.clone().unwrap_or_default(),
                            u.job_title.clone().unwrap_or_default(),
                            u.manager.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "NAME",
                        "EMAIL",
                        "ROLE",
                        "STATUS",
                        "CREATED",
                        "DISPLAY NAME",
                        "JOB TITLE",
                        "MANAGER",
                    ],
                    &rows,
                );
            }
        }
        UserCmd::Disable { name, by } => {
            let mut store = ctx.store()?;
            accounts::disable(&mut store, &name, &by, ctx.now)?;
            println!("disabled {name}");
        }
        UserCmd::Unlock { name, by } => {
            let mut store = ctx.store()?;
            accounts::unlock(&mut store, &name, &by, ctx.now)?;
            println!("unlocked {name}");
        }
        UserCmd::Role { name, role, by } => {
            let role = accounts::role_named(&role)?;
            let mut store = ctx.store()?;
            accounts::set_role(&mut store, &name, role, &by, ctx.now)?;
            println!("{name} is now {}", role.as_str());
        }
        UserCmd::History { json } => {
            let store = ctx.store()?;
            let events = store.account_events(1000)?;
            if json {
                print_json(&events)?;
            } else {
                let rows: Vec<Vec<String>> = events
                    .iter()
                    .map(|e| {
                        vec![
                            e.at.clone(),
                            e.actor.clone(),
                            e.account.clone(),
                            e.action.clone(),
                            e.detail.clone(),
                        ]
                    })
                    .collect();
                print_table(&["AT", "BY", "ACCOUNT", "ACTION", "DETAIL"], &rows);
            }
        }
        UserCmd::Passwd { name, by } => {
            let mut store = ctx.store()?;
            if store.user_by_name(&name)?.is_none() {
                return Err(anyhow!("no user named '{name}'"));
            }
            let (password, generated) = password_from_stdin_or_generated()?;
            accounts::set_password(&mut store, &name, &password, &by, ctx.now)?;
            println!("new password set for {name}");
            if generated {
                println!("password (shown once): {password}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `redress web`: the desk alone, until SIGTERM/SIGINT.
pub fn web(ctx: Ctx) -> Result<ExitCode> {
    // As `run` (which serves the desk too): one malloc arena.
    crate::memory::trim_resident_memory();
    // Held until the process ends: `restore` refuses while it is.
    let _lock = crate::backup::DaemonLock::running(&ctx.config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(crate::web::serve(
        ctx.config,
        ctx.fixed_now,
        crate::daemon::shutdown_signal(),
    ))?;
    Ok(ExitCode::SUCCESS)
}
