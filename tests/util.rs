//! Test helpers: run a binary of this package with a neutral environment, locate fixtures.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A command for one of the rflow binaries, with TZ=UTC and LC_ALL=C so output is stable.
pub fn cmd(tool: &str) -> Command {
    let path = match tool {
        "rfdump" => env!("CARGO_BIN_EXE_rfdump"),
        "rfcapd" => env!("CARGO_BIN_EXE_rfcapd"),
        "rfexpire" => env!("CARGO_BIN_EXE_rfexpire"),
        "rfreplay" => env!("CARGO_BIN_EXE_rfreplay"),
        other => panic!("unknown tool {other}"),
    };
    let mut c = Command::new(path);
    c.env("TZ", "UTC").env("LC_ALL", "C");
    c
}

/// Path of a file under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Runs a command and returns its output, panicking only if it cannot be started.
pub fn run(c: &mut Command) -> Output {
    c.output().expect("failed to start command")
}

/// stdout as UTF-8 text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as UTF-8 text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether a program is installed (for differential tests against nfdump).
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}
