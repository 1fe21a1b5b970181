//! What happens after a file is finished: the `-x` command (nfcapd's `%` placeholders, split on
//! blanks, run without a shell) and the `-e` expire run. Both run on their own threads so a
//! slow command or a large directory never delays collection.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread::JoinHandle;

use rf_store::expire::{self, Action, Limits, Options};

use crate::log::Log;

/// Hook threads still running; [`wait_all`] joins them at exit so the last file's `-x` and
/// `-e` complete before the process ends (nfcapd waits for its launcher too).
static RUNNING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

fn track(h: std::io::Result<JoinHandle<()>>) {
    if let (Ok(h), Ok(mut v)) = (h, RUNNING.lock()) {
        v.retain(|t| !t.is_finished());
        v.push(h);
    }
}

/// Waits for every running hook.
pub fn wait_all() {
    let hs = RUNNING
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    for h in hs {
        let _ = h.join();
    }
}

/// Expands the `-x` template for one file: `%d` flow directory, `%f` file path relative to it,
/// `%t` slot time string, `%u` slot start in UNIX seconds, `%i` ident, `%%` a percent sign.
///
/// # Errors
/// An unknown `%x` token or an empty command.
pub fn expand(
    cmd: &str,
    dir: &Path,
    rel: &Path,
    time: &str,
    slot: i64,
    ident: &str,
) -> Result<Vec<String>, String> {
    let mut argv = Vec::new();
    for word in cmd.split([' ', '\t']).filter(|w| !w.is_empty()) {
        let mut out = String::new();
        let mut chars = word.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('d') => out.push_str(&dir.to_string_lossy()),
                Some('f') => out.push_str(&rel.to_string_lossy()),
                Some('t') => out.push_str(time),
                Some('u') => out.push_str(&slot.to_string()),
                Some('i') => out.push_str(ident),
                Some('%') => out.push('%'),
                Some(x) => return Err(format!("Unknown format token '%{x}'")),
                None => return Err("Unknown format token '%'".into()),
            }
        }
        argv.push(out);
    }
    if argv.is_empty() {
        return Err("empty -x command".into());
    }
    Ok(argv)
}

/// Starts the command and reaps it on a thread; failures are logged.
pub fn launch(argv: Vec<String>, log: Log) {
    track(
        std::thread::Builder::new()
            .name("launcher".into())
            .spawn(move || {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]).stdin(Stdio::null());
                match c.status() {
                    Ok(s) if s.success() => {}
                    Ok(s) => log.error(&format!("command '{}' exited with {s}", argv.join(" "))),
                    Err(e) => log.error(&format!("cannot run '{}': {e}", argv[0])),
                }
            }),
    );
}

/// Runs `rfexpire -e` on `dir` with the limits stored in its `.nfstat`, on a thread.
pub fn expire(dir: PathBuf, log: Log) {
    track(
        std::thread::Builder::new()
            .name("expire".into())
            .spawn(move || {
                log.info(&format!("Run expire on '{}'", dir.display()));
                match expire::expire_dir(&dir, &Limits::default(), &Options::default()) {
                    Ok(out) => {
                        for w in &out.warnings {
                            log.error(w);
                        }
                        match out.expired {
                            Some(e) if e.files > 0 => log.info(&format!(
                                "expire completed: {} files, {} bytes removed",
                                e.files, e.size
                            )),
                            _ => log.info("expire completed - nothing to expire."),
                        }
                    }
                    Err(e) => log.error(&format!("expire on '{}' failed: {e}", dir.display())),
                }
            }),
    );
}

/// At exit without `-e`: recounts the directory into an existing `.nfstat`, as nfcapd updates
/// its books, so rfexpire's view stays current. Directories without `.nfstat` are left alone.
pub fn update_books(dir: PathBuf, log: Log) {
    if !dir.join(".nfstat").exists() {
        return;
    }
    track(
        std::thread::Builder::new()
            .name("books".into())
            .spawn(move || {
                if let Err(e) = expire::run(
                    &dir,
                    Action::Rescan,
                    &Limits::default(),
                    &Options::default(),
                ) {
                    log.error(&format!("cannot update {}/.nfstat: {e}", dir.display()));
                }
            }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_as_nfcapd() {
        let argv = expand(
            "/bin/hook %d %f\t%t %u %i 100%%",
            Path::new("/data/cap"),
            Path::new("2026/11/28/03/nfcapd.20261128033710"),
            "20261128033710",
            1_795_837_030,
            "testid",
        )
        .unwrap();
        assert_eq!(
            argv,
            [
                "/bin/hook",
                "/data/cap",
                "2026/11/28/03/nfcapd.20261128033710",
                "20261128033710",
                "1795837030",
                "testid",
                "100%"
            ]
        );
        assert!(expand("x %q", Path::new("/"), Path::new("f"), "t", 0, "i").is_err());
        assert!(expand("  ", Path::new("/"), Path::new("f"), "t", 0, "i").is_err());
    }
}
