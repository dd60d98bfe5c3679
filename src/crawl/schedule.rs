//! Which name the crawl asks next when the zone list says who serves each name: the names of
//! one DNS operator spread over the run (a registry's list is alphabetical, which bunches one
//! registrant's names, and so one operator's), at most a set number of them in flight, and
//! fewer for an operator whose answers fail, without holding up the other operators' names.

use foldhash::{HashMap, HashMapExt};
use std::collections::VecDeque;
use std::sync::Arc;

use crate::record::ListedOperators;
use crate::zone::ZoneEntry;

/// One operator's names waiting and in flight.
struct Operator {
    queue: VecDeque<ZoneEntry>,
    in_flight: u32,
    /// Names it may have in flight now: the run's `--operator-concurrency` at first, halved on
    /// a name whose lookups failed (to a quarter of it at the least), grown back by one a
    /// round of answered names (AIMD, as TCP finds what a path bears).
    allowed: f64,
    /// Whether it is in the ring (it is while it has names waiting and room, or until the
    /// ring's turn finds it has lost its room).
    in_ring: bool,
    finished: u32,
    /// Names finished with all their own lookups settled.
    resolved: u32,
}

impl Operator {
    fn has_room(&self) -> bool {
        f64::from(self.in_flight) < self.allowed.floor().max(1.0)
    }

    /// None of its first [`BROKEN_AFTER`] names or more resolved: dead or lame.
    fn broken(&self) -> bool {
        self.finished >= BROKEN_AFTER && self.resolved == 0
    }
}

/// Names of an operator that must have failed, none resolving, before it is taken as broken.
const BROKEN_AFTER: u32 = 8;

/// Hands out zone entries, operator by operator in turn, each within its room. Entries are
/// read ahead of the crawl (at most `lookahead` waiting), so the names of operators other
/// than a bunched one go on while it is at its limit.
pub struct Scheduler<I> {
    entries: I,
    ns_column: usize,
    ops: HashMap<Arc<str>, Operator>,
    /// Operators with names waiting and room for one more, in turn: an operator at its limit
    /// waits outside it, so a turn costs the same with a thousand of them.
    ring: VecDeque<Arc<str>>,
    listed: ListedOperators,
    waiting: usize,
    lookahead: usize,
    cap: u32,
}

/// The key of names whose operator the list does not give: one queue, the run's whole
/// concurrency its room.
const UNKNOWN: &str = "";

impl<I: Iterator<Item = ZoneEntry>> Scheduler<I> {
    pub fn new(entries: I, ns_column: usize, lookahead: usize, cap: u32) -> Self {
        Scheduler {
            entries,
            ns_column,
            ops: HashMap::new(),
            ring: VecDeque::new(),
            listed: ListedOperators::default(),
            waiting: 0,
            lookahead: lookahead.max(1),
            cap: cap.max(1),
        }
    }

    fn fill(&mut self) {
        while self.waiting < self.lookahead {
            let Some(e) = self.entries.next() else { return };
            let key = self.key(&e);
            let cap = match &*key {
                UNKNOWN => f64::from(u32::MAX),
                _ => f64::from(self.cap),
            };
            let op = self.ops.entry(key.clone()).or_insert_with(|| Operator {
                queue: VecDeque::new(),
                in_flight: 0,
                allowed: cap,
                in_ring: false,
                finished: 0,
                resolved: 0,
            });
            op.queue.push_back(e);
            self.waiting += 1;
            if !op.in_ring && op.has_room() {
                op.in_ring = true;
                self.ring.push_back(key);
            }
        }
    }

    /// The operator of `e`'s `ns` value; [`UNKNOWN`] where it names none.
    fn key(&mut self, e: &ZoneEntry) -> Arc<str> {
        let ns = e.extra.get(self.ns_column).map_or("", String::as_str);
        self.listed.of(ns).unwrap_or_else(|| UNKNOWN.into())
    }

    /// The next entry whose operator has room, with that operator's key (empty: unknown) and
    /// whether the operator is broken (none of its first names or more resolved); none while
    /// every operator with names waiting is at its limit, or when all are out.
    pub fn next(&mut self) -> Option<(Arc<str>, ZoneEntry, bool)> {
        self.fill();
        loop {
            let key = self.ring.pop_front()?;
            let op = self.ops.get_mut(&key).expect("a ring key has its operator");
            op.in_ring = false;
            if !op.has_room() {
                // Its room shrank while it waited its turn: back when a name of it ends.
                continue;
            }
            let e = op.queue.pop_front().expect("a ring key has names waiting");
            op.in_flight += 1;
            self.waiting -= 1;
            let broken = op.broken();
            if !op.queue.is_empty() && op.has_room() {
                op.in_ring = true;
                self.ring.push_back(key.clone());
            }
            return Some((key, e, broken));
        }
    }

    /// A name of `key` finished; `too_much`: its answers said the operator is overrun;
    /// `resolved`: all its own lookups settled.
    pub fn done(&mut self, key: &Arc<str>, too_much: bool, resolved: bool) {
        let cap = f64::from(self.cap);
        let Some(op) = self.ops.get_mut(key) else {
            return;
        };
        op.in_flight -= 1;
        op.finished += 1;
        op.resolved += u32::from(resolved);
        if &**key != UNKNOWN {
            // Down to a quarter of the room, not one: a dead operator's names each wait out
            // their timeouts, and one at a time they would hold the run past its end.
            op.allowed = match too_much {
                true => (op.allowed / 2.0).max((cap / 4.0).max(1.0)),
                false => (op.allowed + 1.0 / op.allowed).min(cap),
            };
        }
        if !op.in_ring && !op.queue.is_empty() && op.has_room() {
            op.in_ring = true;
            self.ring.push_back(Arc::clone(key));
        }
        if op.in_flight == 0 && op.queue.is_empty() && op.allowed >= cap {
            // Nothing to remember of an operator at full room: the map stays the size of
            // the operators in the window, not of the list.
            self.ops.remove(key);
        }
    }

    /// The names in flight of the operator `key` (for tests of the limit).
    #[cfg(test)]
    fn in_flight(&self, key: &str) -> u32 {
        self.ops.get(key).map_or(0, |o| o.in_flight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, ns: &str) -> ZoneEntry {
        ZoneEntry {
            line: 0,
            input: name.into(),
            name: name.into(),
            class: crate::zone::classify(name),
            extra: vec![ns.into()],
        }
    }

    /// 40 names of one operator bunched first, then 10 of another: with room for 4 each, the
    /// second operator's names are handed out between the first's.
    #[test]
    fn a_bunched_operator_is_held_to_its_room_and_the_others_go_on() {
        let mut list: Vec<ZoneEntry> = (0..40)
            .map(|i| entry(&format!("a{i}.jp"), "ns1.big.ne.jp ns2.big.ne.jp"))
            .collect();
        list.extend((0..10).map(|i| entry(&format!("b{i}.jp"), "ns.small.co.jp")));
        let mut s = Scheduler::new(list.into_iter(), 0, 1000, 4);
        let mut out = Vec::new();
        while let Some((k, e, _)) = s.next() {
            out.push((k, e.name));
        }
        assert_eq!(out.len(), 8, "four of each, then both at their room");
        assert_eq!(s.in_flight("big.ne.jp"), 4);
        assert_eq!(s.in_flight("small.co.jp"), 4);
        // One of big's names answered: room for one more of big (AIMD grows by 1/4).
        let big: Arc<str> = "big.ne.jp".into();
        s.done(&big, false, true);
        assert_eq!(s.next().map(|(k, _, _)| k), Some(big.clone()));
        // Failures halve big's room: after two, one in flight at most.
        s.done(&big, true, false);
        s.done(&big, true, false);
        assert_eq!(s.in_flight("big.ne.jp"), 2);
        assert!(s.next().is_none());
    }

    /// An operator none of whose first eight names resolved is handed out as broken; one
    /// resolved name among them, and it is not.
    #[test]
    fn an_operator_that_resolves_nothing_is_broken() {
        for resolved_one in [false, true] {
            let list = (0..20).map(|i| entry(&format!("d{i}.jp"), "ns1.gone-dns.jp"));
            let mut s = Scheduler::new(list, 0, 1000, 8);
            let op: Arc<str> = "gone-dns.jp".into();
            let first: Vec<bool> = std::iter::from_fn(|| s.next()).map(|(_, _, b)| b).collect();
            assert_eq!(first, [false; 8]);
            for i in 0..8 {
                s.done(&op, false, resolved_one && i == 3);
            }
            let (_, _, broken) = s.next().unwrap();
            assert_eq!(broken, !resolved_one);
        }
    }

    #[test]
    fn names_without_an_operator_share_the_whole_concurrency() {
        let list = (0..100).map(|i| entry(&format!("n{i}.jp"), ""));
        let mut s = Scheduler::new(list, 0, 1000, 2);
        assert_eq!(std::iter::from_fn(|| s.next()).count(), 100);
    }
}
