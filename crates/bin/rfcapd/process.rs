//! Process housekeeping: the `-P` pid file, `-D` daemon mode and `-u/-g` privilege drop.
//!
//! Daemon mode re-executes the binary detached (new process group, standard streams on
//! `/dev/null`, logging to syslog) instead of `fork()`, which keeps the code free of unsafe
//! process tricks; the parent exits once the child is started.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Environment variable marking the detached child of `-D`.
pub const DAEMON_CHILD: &str = "RFCAPD_DAEMON_CHILD";

/// A pid file removed when dropped.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes our pid to `path`; refuses when the file names a live process.
    ///
    /// # Errors
    /// Another collector runs, or the file cannot be written.
    pub fn create(path: &Path) -> Result<PidFile> {
        if let Ok(old) = std::fs::read_to_string(path)
            && let Ok(pid) = old.trim().parse::<u32>()
            && pid != std::process::id()
            && Path::new(&format!("/proc/{pid}")).exists()
        {
            bail!(
                "another collector with pid {pid} is running (pid file {})",
                path.display()
            );
        }
        let mut f = std::fs::File::create(path)
            .with_context(|| format!("cannot write pid file {}", path.display()))?;
        writeln!(f, "{}", std::process::id())?;
        Ok(PidFile {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether this process is the detached child started by [`daemonize`].
pub fn is_daemon_child() -> bool {
    std::env::var_os(DAEMON_CHILD).is_some()
}

/// Starts a detached copy of this process with the same arguments and returns its pid. The
/// working directory is kept so relative paths in the arguments mean the same to the child.
///
/// # Errors
/// The executable cannot be found or started.
pub fn daemonize() -> Result<u32> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().context("cannot find own executable")?;
    let child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(DAEMON_CHILD, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot start daemon")?;
    Ok(child.id())
}

/// Looks up a user or group id by name (or number) in a passwd/group style file.
fn lookup(file: &str, name: &str) -> Result<u32> {
    if let Ok(n) = name.parse::<u32>() {
        return Ok(n);
    }
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
    text.lines()
        .filter_map(|l| {
            let mut it = l.split(':');
            let n = it.next()?;
            let id = it.nth(1)?;
            (n == name).then(|| id.parse().ok()).flatten()
        })
        .next()
        .with_context(|| format!("no such user or group: {name}"))
}

/// Switches to `group` and `user` (after binding the socket), as nfcapd `-g`/`-u`.
///
/// # Errors
/// Unknown names or a refused switch.
#[allow(unsafe_code)]
pub fn drop_privileges(user: Option<&str>, group: Option<&str>) -> Result<()> {
    if user.is_some() || group.is_some() {
        // Drop root's supplementary groups too, or they would stay usable after the switch.
        // SAFETY: a zero-length list with a null pointer is the documented way to clear it;
        // the call reads no memory of ours.
        if unsafe { libc::setgroups(0, std::ptr::null()) } != 0 {
            let e = std::io::Error::last_os_error();
            // Unprivileged runs cannot clear groups and have nothing to drop.
            if e.raw_os_error() != Some(libc::EPERM) {
                bail!("setgroups: {e}");
            }
        }
    }
    if let Some(g) = group {
        let gid = lookup("/etc/group", g)?;
        // SAFETY: setgid takes a plain integer and touches no memory of ours.
        if unsafe { libc::setgid(gid) } != 0 {
            bail!("setgid({gid}): {}", std::io::Error::last_os_error());
        }
    }
    if let Some(u) = user {
        let uid = lookup("/etc/passwd", u)?;
        // SAFETY: as above; the group goes first, a non-root user could not change it later.
        if unsafe { libc::setuid(uid) } != 0 {
            bail!("setuid({uid}): {}", std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_file_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rfcapd.pid");
        {
            let _f = PidFile::create(&p).unwrap();
            let pid: u32 = std::fs::read_to_string(&p).unwrap().trim().parse().unwrap();
            assert_eq!(pid, std::process::id());
        }
        assert!(!p.exists());
        // A pid file of a live process (pid 1) is refused.
        std::fs::write(&p, "1\n").unwrap();
        assert!(PidFile::create(&p).is_err());
    }

    #[test]
    fn lookup_names_and_numbers() {
        assert_eq!(lookup("/etc/passwd", "root").unwrap(), 0);
        assert_eq!(lookup("/etc/passwd", "1234").unwrap(), 1234);
        assert!(lookup("/etc/passwd", "no-such-user-here").is_err());
    }
}
