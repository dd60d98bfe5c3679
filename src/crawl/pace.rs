//! Each DNS operator's pace: its queries spaced evenly at a rate of its own, the run's
//! `--operator-qps` at first, halved for a name whose answers said "too much" (SERVFAIL,
//! REFUSED) and grown back by a fiftieth of the full rate for each name answered. The room of
//! names in flight (the scheduler's) is not enough alone: a rate limit's REFUSED comes back in
//! a millisecond, so fewer names in flight still ask as fast.

use foldhash::{HashMap, HashMapExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How far the rate falls at the most: a quarter of the full rate, as the room falls; lower,
/// a lame operator (every answer SERVFAIL) would hold its names for minutes.
const FLOOR: f64 = 0.25;
/// The rate regained for each name answered, as a share of the full rate.
const STEP: f64 = 0.02;

struct Pace {
    /// The earliest time of the operator's next query.
    next: Instant,
    qps: f64,
}

/// The pace of every operator with a query reserved or a rate below the full one.
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
            });
            let slot = p.next.max(now);
            p.next = slot + Duration::from_secs_f64(1.0 / p.qps);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// A name of `op` finished; `too_much`: its answers failed (not silence alone: a dead
    /// operator bears no load, and slowing it would only hold its names longer).
    pub fn answered(&self, op: &Arc<str>, too_much: bool) {
        let mut ops = self.ops.lock().expect("pace lock");
        let Some(p) = ops.get_mut(op) else {
            return;
        };
        p.qps = match too_much {
            true => (p.qps / 2.0).max(self.full * FLOOR),
            false => (p.qps + self.full * STEP).min(self.full),
        };
        if p.qps >= self.full && p.next <= Instant::now() {
            // At full rate with nothing reserved, it is what a new entry would be: the map
            // holds the operators being slowed or in flight, not every one of the list.
            ops.remove(op);
        }
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
        let t0 = Instant::now();
        for _ in 0..11 {
            paces.until_ready(&op).await;
        }
        // Eleven queries: the first at once, then one a millisecond at the least.
        assert!(
            t0.elapsed() >= Duration::from_millis(10),
            "{:?}",
            t0.elapsed()
        );
        for _ in 0..3 {
            paces.answered(&op, true);
        }
        assert_eq!(
            paces.qps("big.ne.jp"),
            250.0,
            "halved twice, then held at the floor"
        );
        let t1 = Instant::now();
        for _ in 0..3 {
            paces.until_ready(&op).await;
        }
        // The slot reserved at the full rate, then two at 4 ms apart.
        assert!(
            t1.elapsed() >= Duration::from_millis(8),
            "{:?}",
            t1.elapsed()
        );
        for _ in 0..10 {
            paces.answered(&op, false);
        }
        assert_eq!(paces.qps("big.ne.jp"), 450.0);
        // Another operator keeps the full rate.
        assert_eq!(paces.qps("small.co.jp"), 1000.0);
    }
}
