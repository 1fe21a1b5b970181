//! `rfexpire`: Expire old flow files by age, size or watermark (nfexpire compatible).
//!
//! The binary only parses arguments and wires library calls together; the work is done in
//! `rf_store::expire`, which `rfcapd -e` calls as well.

mod args;

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use rf_store::expire::{self, Options};

use args::Args;

/// nfexpire's safety question before a lifetime limit removes every file; only asked when
/// stdin is a terminal.
fn confirm_all(dir: &Path) -> bool {
    eprint!(
        "The lifetime limit would expire all files in {}. Are you sure? yes/[no] ",
        dir.display()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    answer.trim() == "yes"
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(what) = args.generate {
        rf_cli::generate(what, Args::command(), &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let job = args.job()?;
    let opts = Options {
        dry_run: args.dry_run,
        runtime: job.runtime,
        now: None,
        confirm_all: std::io::stdin()
            .is_terminal()
            .then_some(confirm_all as fn(&Path) -> bool),
    };
    let outcome = expire::run(&job.dir, job.action, &job.limits, &opts)?;
    let mut out = std::io::stdout().lock();
    out.write_all(outcome.render(args.nfsen).as_bytes())?;
    out.flush()?;
    for w in &outcome.warnings {
        eprintln!("rfexpire: {w}");
    }
    Ok(if outcome.warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(rf_cli::EXIT_FAILURE)
    })
}

fn main() -> ExitCode {
    rf_cli::run_main::<Args>("rfexpire", run)
}
