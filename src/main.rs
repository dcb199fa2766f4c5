//! The `redress` binary: parse arguments, set up logging, run the command, and turn
//! any error into one line on stderr and a non-zero exit.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = redress::cli::Cli::parse();
    redress::tls::install_provider();
    let daemon = matches!(cli.command, redress::cli::Command::Run);
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
