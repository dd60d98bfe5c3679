//! Each DNS operator's pace: its queries spaced evenly at a rate of its own, the run's
//! `--operator-qps` at first, halved for a name whose answers said "too much" (SERVFAIL,
//! REFUSED) and grown back by a fiftieth of the full rate for each name answered. The room of
//! names in flight (the scheduler's) is not enough alone: a rate limit's REFUSED comes back in
//! a millisecond, so fewer names in flight still ask as fast.

use foldhash::{HashMap, HashMapExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How far the rate falls at the most: a sixteenth of the full rate, under the 20 queries a
/// second per source of the world's rate-limited operators (`scripts/e2e-world`: at a
/// quarter, 8 of one such operator's 343 names still ended unresolved).
const FLOOR: f64 = 1.0 / 16.0;
/// The rate regained for each name answered, as a share of the full rate.
const STEP: f64 = 0.02;

struct Pace {
    /// The earliest time of the operator's next query.
    next: Instant,
    qps: f64,
    /// Whether a name of it has resolved in this run.
    answering: bool,
}

/// The pace of every operator asked (as many as the list's `ns` values parsed, which
/// [`crate::record::ListedOperators`] keeps too), shared by the main and the last pass.
pub struct Paces {
    full: f64,
    ops: Mutex<HashMap<Arc<str>, Pace>>,
}

impl Paces {
    pub fn new(qps: std::num::NonZeroU32) -> Paces {
        Paces {
            full: f64::from(qps.get()),
            ops: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for the operator's next slot (no burst: polite from the first query).
    pub async fn until_ready(&self, op: &Arc<str>) {
        let slot = {
            let mut ops = self.ops.lock().expect("pace lock");
            let now = Instant::now();
            let p = ops.entry(Arc::clone(op)).or_insert(Pace {
                next: now,
                qps: self.full,
                answering: false,
            });
            let slot = p.next.max(now);
            p.next = slot + Duration::from_secs_f64(1.0 / p.qps);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// A name of `op` finished; `too_much`: its answers failed (not silence alone: a dead
    /// operator bears no load); `resolved`: all its own lookups settled. The rate falls only
    /// for an operator that has resolved names: one that resolves none is broken (lame: every
    /// answer SERVFAIL), not overrun, and slowing it would only hold its names longer.
    /// Returns whether the operator is answering, for the scheduler's room to follow.
    pub fn answered(&self, op: &Arc<str>, too_much: bool, resolved: bool) -> bool {
        let mut ops = self.ops.lock().expect("pace lock");
        let Some(p) = ops.get_mut(op) else {
            return true;
        };
        p.answering |= resolved;
        p.qps = match (too_much && p.answering, resolved) {
            (true, _) => (p.qps / 2.0).max(self.full * FLOOR),
            (false, true) => (p.qps + self.full * STEP).min(self.full),
            (false, false) => p.qps,
        };
        p.answering
    }

    /// The operator's rate now (for tests).
    #[cfg(test)]
    fn qps(&self, op: &str) -> f64 {
        let ops = self.ops.lock().expect("pace lock");
        ops.get(op).map_or(self.full, |p| p.qps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queries_are_spaced_at_the_rate_which_halves_on_failure_and_grows_back() {
        let paces = Paces::new(std::num::NonZeroU32::new(1000).unwrap());
        let op: Arc<str> = "big.ne.jp".into();
        let since = |t: Instant| t.elapsed();
        let t0 = Instant::now();
        for _ in 0..11 {
            paces.until_ready(&op).await;
        }
        // Eleven queries: the first at once, then one a millisecond at the least.
        assert!(since(t0) >= Duration::from_millis(10), "{:?}", since(t0));
        paces.answered(&op, true, false);
        assert_eq!(
            paces.qps("big.ne.jp"),
            1000.0,
            "not slowed before it has answered"
        );
        paces.answered(&op, false, true);
        for _ in 0..3 {
            paces.answered(&op, true, false);
        }
        assert_eq!(paces.qps("big.ne.jp"), 125.0, "halved three times");
        let t1 = Instant::now();
        for _ in 0..3 {
            paces.until_ready(&op).await;
        }
        // The slot reserved at the full rate, then two 8 ms apart.
        assert!(since(t1) >= Duration::from_millis(16), "{:?}", since(t1));
        for _ in 0..2 {
            paces.answered(&op, true, false);
        }
        assert_eq!(paces.qps("big.ne.jp"), 62.5, "held at the floor");
        for _ in 0..10 {
            paces.answered(&op, false, true);
        }
        assert_eq!(paces.qps("big.ne.jp"), 262.5);
        // Another operator keeps the full rate.
        assert_eq!(paces.qps("small.co.jp"), 1000.0);
    }
}
