//! Log lines of the collector: stderr in the foreground, syslog when daemonized (`-D`), as
//! nfcapd does. Cheap to clone; shared by the threads.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
enum Target {
    Stderr,
    Syslog(Mutex<UnixDatagram>),
    Quiet,
}

/// Where log lines go.
#[derive(Clone, Debug)]
pub struct Log {
    target: Arc<Target>,
}

/// syslog facility daemon (3) << 3 | severity.
const DAEMON_ERR: u8 = 3 << 3 | 3;
const DAEMON_INFO: u8 = 3 << 3 | 6;

impl Log {
    /// Logs to stderr.
    pub fn stderr() -> Log {
        Log {
            target: Arc::new(Target::Stderr),
        }
    }

    /// Logs to the local syslog socket, or nowhere if there is none.
    pub fn syslog() -> Log {
        let sock = UnixDatagram::unbound()
            .and_then(|s| s.connect("/dev/log").map(|()| s))
            .map(|s| Target::Syslog(Mutex::new(s)))
            .unwrap_or(Target::Quiet);
        Log {
            target: Arc::new(sock),
        }
    }

    /// Discards everything (tests).
    #[cfg(test)]
    pub fn quiet() -> Log {
        Log {
            target: Arc::new(Target::Quiet),
        }
    }

    fn line(&self, prio: u8, msg: &str) {
        match &*self.target {
            Target::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{msg}");
            }
            Target::Syslog(s) => {
                let text = format!("<{prio}>rfcapd[{}]: {msg}", std::process::id());
                if let Ok(s) = s.lock() {
                    let _ = s.send(text.as_bytes());
                }
            }
            Target::Quiet => {}
        }
    }

    /// An informational line.
    pub fn info(&self, msg: &str) {
        self.line(DAEMON_INFO, msg);
    }

    /// An error line.
    pub fn error(&self, msg: &str) {
        self.line(DAEMON_ERR, msg);
    }
}
