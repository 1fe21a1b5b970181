//! `rfdump`: Read, filter, aggregate and print flow files (nfdump compatible).
//!
//! The binary only parses arguments and wires library calls together; the work is done in the
//! rf-* library crates.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

/// Read, filter, aggregate and print flow files (nfdump compatible).
#[derive(Parser, Debug)]
#[command(name = "rfdump", version, about)]
struct Args {
    /// Print a man page or shell completion script and exit.
    #[arg(long, hide = true, value_enum, value_name = "WHAT")]
    generate: Option<rf_cli::Generate>,
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(what) = args.generate {
        rf_cli::generate(what, Args::command(), &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::bail!("not implemented yet")
}

fn main() -> ExitCode {
    rf_cli::finish("rfdump", run(Args::parse()))
}
