//! Process housekeeping: the `-P` pid file, the claim on each flow directory, `-D` daemon
//! mode, `-u/-g` privilege drop and the receive thread's scheduling priority.
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

/// The lock file a collector keeps in each of its flow directories.
pub const LOCK_FILE: &str = ".rfcapd.lock";

/// An exclusive claim on a flow directory for as long as the collector runs: two collectors
/// writing one directory would each replace the other's file of every time slot. The claim
/// is an advisory lock on the hidden file `.rfcapd.lock` there (readers skip hidden files),
/// released by the kernel however the process ends, so a killed collector never blocks its
/// restart.
pub struct DirLock {
    _file: std::fs::File,
}

impl DirLock {
    /// Takes the claim on `dir`.
    ///
    /// # Errors
    /// Another process holds it, or the lock file cannot be created.
    pub fn take(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        // Read access is enough to lock; a lock file another user created (a run as root
        // before) then does not stop this one.
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?,
            Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
        };
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("another collector is already writing to {}", dir.display())
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
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

/// How much higher than the collector's own the receive thread's priority is (nice steps).
pub const RECEIVE_BOOST: i32 = 10;

/// The nice value of the calling thread (Linux keeps one per thread).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn thread_nice() -> i32 {
    // SAFETY: errno is this thread's own variable; it is cleared so that a -1 result (a valid
    // nice value) can be told from a failure. getpriority reads no memory of ours.
    unsafe {
        *libc::__errno_location() = 0;
        let n = libc::getpriority(libc::PRIO_PROCESS, 0);
        if n == -1 && *libc::__errno_location() != 0 {
            0
        } else {
            n
        }
    }
}

/// Sets the nice value of the calling thread; threads it starts afterwards inherit it
/// (Linux applies `PRIO_PROCESS` 0 to the calling thread only). A lower value needs
/// `CAP_SYS_NICE`; returns whether the change was allowed.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn set_thread_nice(nice: i32) -> bool {
    // SAFETY: plain integers; no memory of ours is touched.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice.clamp(-20, 19)) == 0 }
}

/// Elsewhere the priority is left alone (`PRIO_PROCESS` would change the whole process).
#[cfg(not(target_os = "linux"))]
pub fn thread_nice() -> i32 {
    0
}

#[cfg(not(target_os = "linux"))]
pub fn set_thread_nice(_: i32) -> bool {
    false
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// Whether this process holds capability `bit` (its effective set in /proc).
    #[cfg(target_os = "linux")]
    pub(crate) fn has_capability(bit: u32) -> bool {
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let caps = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .map(|h| u64::from_str_radix(h.trim(), 16).expect("hex"))
            .expect("CapEff");
        caps >> bit & 1 != 0
    }

    /// The receive thread's boost: granted with CAP_SYS_NICE, inherited by a thread started
    /// afterwards, and undone for the starting thread.
    #[cfg(target_os = "linux")]
    #[test]
    fn priority_boost_is_inherited_and_undone() {
        std::thread::spawn(|| {
            let base = thread_nice();
            let allowed = has_capability(23); // CAP_SYS_NICE
            assert_eq!(set_thread_nice(base - RECEIVE_BOOST), allowed);
            let want = if allowed {
                (base - RECEIVE_BOOST).max(-20)
            } else {
                base
            };
            let child = std::thread::spawn(thread_nice).join().unwrap();
            assert_eq!(child, want, "a thread started now inherits the boost");
            assert!(
                set_thread_nice(base),
                "returning to the old value is always allowed"
            );
            assert_eq!(thread_nice(), base);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn lookup_names_and_numbers() {
        assert_eq!(lookup("/etc/passwd", "root").unwrap(), 0);
        assert_eq!(lookup("/etc/passwd", "1234").unwrap(), 1234);
        assert!(lookup("/etc/passwd", "no-such-user-here").is_err());
    }
}
