//! Pacing of the replay: `--rate` (flows per second) and `--pace FACTOR` (the flows' own
//! timing, sped up). Both give each flow a deadline relative to the start of the replay;
//! sleeping until an absolute deadline, rather than a fixed gap per flow, keeps sleep overshoot
//! and send time from accumulating, so the long-run rate holds.

use std::time::{Duration, Instant};

use rf_format::FlowRecord;

/// Waits longer than this flush the pending datagram first.
pub const FLUSH_BEFORE_WAIT: Duration = Duration::from_millis(20);

/// Gives each flow the earliest instant it may be sent.
pub struct Pacer {
    start: Option<Instant>,
    rate: Option<f64>,
    factor: Option<f64>,
    /// End time (ms) of the first paced flow: the origin of `--pace`.
    origin_ms: Option<u64>,
    sent: u64,
}

impl Pacer {
    /// `rate`: flows per second; `factor`: speed-up of the original timing. Both optional.
    pub fn new(rate: Option<f64>, factor: Option<f64>) -> Pacer {
        Pacer {
            start: None,
            rate,
            factor,
            origin_ms: None,
            sent: 0,
        }
    }

    /// How long to wait before sending `r`, if at all. Counts `r` as sent.
    pub fn wait_for(&mut self, r: &FlowRecord) -> Option<Duration> {
        self.wait_at(r, Instant::now())
    }

    /// [`Pacer::wait_for`] with the current instant given (tests use a fixed clock).
    fn wait_at(&mut self, r: &FlowRecord, now: Instant) -> Option<Duration> {
        if self.rate.is_none() && self.factor.is_none() {
            return None;
        }
        let start = *self.start.get_or_insert(now);
        let mut due = Duration::ZERO;
        if let Some(rate) = self.rate {
            due = due.max(secs(self.sent as f64 / rate));
        }
        if let Some(factor) = self.factor {
            // Flows leave an exporter when they end, and files are in export order, so end
            // times give the original pace (as nfreplay -z). Flows out of order go at once.
            let origin = *self.origin_ms.get_or_insert(r.last_ms);
            let ahead_ms = r.last_ms.saturating_sub(origin) as f64 / factor;
            due = due.max(secs(ahead_ms / 1000.0));
        }
        self.sent += 1;
        match start.checked_add(due) {
            Some(t) => t.checked_duration_since(now).filter(|d| !d.is_zero()),
            None => Some(Duration::MAX),
        }
    }

    /// Sleeps for `d`.
    pub fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Seconds as a duration, saturating instead of panicking on huge values.
fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_spaces_flows_evenly() {
        let mut p = Pacer::new(Some(1000.0), None);
        let r = FlowRecord::default();
        let t0 = Instant::now();
        assert_eq!(p.wait_at(&r, t0), None, "the first flow goes at once");
        assert_eq!(p.wait_at(&r, t0), Some(Duration::from_millis(1)));
        for _ in 0..8 {
            p.wait_at(&r, t0);
        }
        assert_eq!(p.wait_at(&r, t0), Some(Duration::from_millis(10)));
        // Behind schedule: no wait, the backlog goes out at once.
        assert_eq!(p.wait_at(&r, t0 + Duration::from_millis(50)), None);
    }

    #[test]
    fn pace_follows_end_times_with_factor() {
        let mut p = Pacer::new(None, Some(10.0));
        let mut r = FlowRecord {
            last_ms: 1_000_000,
            ..FlowRecord::default()
        };
        let t0 = Instant::now();
        assert_eq!(p.wait_at(&r, t0), None);
        r.last_ms += 5_000; // 5 s later in the data = 0.5 s at 10x
        assert_eq!(p.wait_at(&r, t0), Some(Duration::from_millis(500)));
        assert_eq!(
            p.wait_at(&r, t0 + Duration::from_millis(200)),
            Some(Duration::from_millis(300))
        );
        r.last_ms = 900_000; // out of order: no wait
        assert_eq!(p.wait_at(&r, t0), None);
    }

    #[test]
    fn no_pacing_means_no_waits() {
        let mut p = Pacer::new(None, None);
        assert_eq!(p.wait_for(&FlowRecord::default()), None);
    }
}
