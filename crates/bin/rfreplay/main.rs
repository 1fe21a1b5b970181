//! `rfreplay`: Replay stored flows to a collector as NetFlow v5/v9 or IPFIX (nfreplay compatible).
//!
//! The binary only parses arguments and wires library calls together; the work is done in the
//! rf-* library crates.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

/// Replay stored flows to a collector as NetFlow v5/v9 or IPFIX (nfreplay compatible).
#[derive(Parser, Debug)]
#[command(name = "rfreplay", version, about)]
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
    rf_cli::finish("rfreplay", run(Args::parse()))
}
