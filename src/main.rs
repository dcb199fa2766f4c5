//! The `redress` binary: parse arguments, set up logging, run the command, and turn
//! any error into one line on stderr and a non-zero exit.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Everything Redress writes (database, exports, letters, the outbox) holds personal
    // data: readable by its owner only, whoever started it and from wherever.
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe { libc::umask(0o077) };
    let cli = redress::cli::Cli::parse();
    redress::tls::install_provider();
    let daemon = matches!(cli.command, redress::cli::Command::Run);
    if !daemon {
        // `redress cases | head -1`: when the reader goes away, end quietly as other
        // command-line tools do (killed by SIGPIPE) instead of panicking in println!.
        // The daemon keeps SIGPIPE ignored: a write to a finished renderer child is an
        // error it handles, not a reason to die.
        // SAFETY: restoring the default disposition of one signal, before any thread starts.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    redress::cli::init_tracing(cli.verbose, daemon);
    match redress::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line: the error and its causes, no backtrace.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("redress: error: {}", chain.join(": "));
            ExitCode::from(1)
        }
    }
}
