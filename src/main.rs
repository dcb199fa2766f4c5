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
    // The long-running servers log at info by default.
    let daemon = matches!(
        cli.command,
        redress::cli::Command::Run | redress::cli::Command::Web
    );
    if cli.command.only_reads_and_prints() {
        // `redress cases | head -1`: when the reader goes away, end quietly as other
        // command-line tools do (killed by SIGPIPE) instead of panicking in println!.
        // Only for commands that read the database and print: the others keep SIGPIPE
        // ignored, as Rust sets it, because they write to sockets (IMAP, SMTP over
        // TLS, which writes without MSG_NOSIGNAL) or to a renderer child, where a
        // closed peer is an error to handle (a letter retried, exit code 3), not a
        // silent death with a letter left half-sent.
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
