//! Command-line plumbing shared by the four rflow binaries: how errors are printed and mapped to
//! exit codes, what a closed stdout pipe means (`rfdump | head` must exit quietly), and the
//! hidden `--generate` option that renders man pages and shell completions from clap.

#![warn(missing_docs)]

use std::io::{self, Write};
use std::process::ExitCode;

use clap::ValueEnum;

/// What `--generate` renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// A roff man page.
    Man,
    /// bash completion script.
    Bash,
    /// zsh completion script.
    Zsh,
    /// fish completion script.
    Fish,
}

/// Writes the man page or completion script for `cmd` to `out`.
///
/// # Errors
/// I/O errors from `out`.
pub fn generate(what: Generate, mut cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let name = cmd.get_name().to_string();
    match what {
        Generate::Man => clap_mangen::Man::new(cmd).render(out),
        Generate::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, name, out);
            Ok(())
        }
        Generate::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, name, out);
            Ok(())
        }
        Generate::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, name, out);
            Ok(())
        }
    }
}

/// Exit status for a run that failed at runtime (nfdump uses 255 for most; we use 1 and 2 for
/// usage, as documented in the man pages).
pub const EXIT_FAILURE: u8 = 1;
/// Exit status for bad usage (unknown option, bad value, bad filter).
pub const EXIT_USAGE: u8 = 2;

/// A usage error: printed as one line, exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Whether an error chain ends in a broken pipe (stdout closed by the reader, e.g. `head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Parses the command line of `tool`. Help and version are printed as clap prints them (exit
/// 0); every usage error is one line, `tool: message`, and exit code [`EXIT_USAGE`] (clap's
/// own errors are several lines of usage and hints).
///
/// # Errors
/// The exit code to return from `main`.
pub fn parse_args<A: clap::Parser>(tool: &str) -> Result<A, ExitCode> {
    A::try_parse().map_err(|e| {
        if !e.use_stderr() {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        let _ = writeln!(
            io::stderr().lock(),
            "{tool}: {}",
            first.trim_start_matches("error: ")
        );
        ExitCode::from(EXIT_USAGE)
    })
}

/// A binary's `main`: parses the command line of `tool` ([`parse_args`]), runs `run` with it
/// and turns its result into the exit code ([`finish`]).
pub fn run_main<A: clap::Parser>(
    tool: &str,
    run: impl FnOnce(A) -> anyhow::Result<ExitCode>,
) -> ExitCode {
    match parse_args::<A>(tool) {
        Ok(args) => finish(tool, run(args)),
        Err(code) => code,
    }
}

/// Turns the result of a binary's `run` into its exit code, printing the error as one line
/// `tool: message: cause` on stderr. A broken pipe is success: the reader has seen enough.
pub fn finish(tool: &str, result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.downcast_ref::<UsageError>().is_some() {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            };
            let _ = writeln!(io::stderr().lock(), "{tool}: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// Buffered stdout for bulk output: block-buffered with a large buffer. Callers must `flush`
/// at the end and propagate errors so a broken pipe ends the run quietly.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(256 * 1024, io::stdout().lock())
}

/// Whether stderr is a terminal (progress output is shown only then).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_detected_through_context() {
        let e =
            anyhow::Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "x")).context("writing");
        assert!(is_broken_pipe(&e));
        let e = anyhow::anyhow!("other");
        assert!(!is_broken_pipe(&e));
    }

    #[test]
    fn man_page_renders() {
        let cmd = clap::Command::new("demo").about("does things");
        let mut out = Vec::new();
        generate(Generate::Man, cmd, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(".TH demo 1"), "{text}");
    }
}
