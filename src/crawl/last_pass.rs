//! The survey's own last pass: the names the main pass left unresolved, held out of the
//! results file, asked again after a pause with a longer wait; an operator that answered none
//! of its names (dead or lame) is not waited on at full length twice.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;
use std::time::Duration;

use super::{Crawler, LastPass, NameResult};
use crate::dns::{ClientOptions, DnsClient, DnsClientError};
use crate::record::ListedOperators;
use crate::run::LastPassCounts;

/// Unresolved names the last pass holds at the most; the rest are left to
/// `--retry-unresolved`. A resolver that fails every name (down, refusing this host) would
/// otherwise have the pass ask the whole list again at a longer timeout, and hold it in memory.
pub const MAX_HELD: usize = 50_000;

/// Names in flight in the last pass at the most: its names are the ones a resolver could
/// not finish at the run's pace, and a resolver overrun drops questions (Unbound beyond its
/// `num-queries-per-thread`); asked again at 2,048 in flight, half of them failed again
/// (`scripts/resolver-timeouts`).
const CONCURRENCY: usize = 128;

/// Names of a broken operator asked at the full last-pass wait before its others are given
/// one short attempt.
const SCOUTS: u32 = 2;

/// What the main pass saw of one operator's names.
#[derive(Default)]
struct Seen {
    names: u32,
    resolved: u32,
}

/// What the main pass saw of each operator, for the last pass to tell a broken one.
pub struct Operators {
    ns_column: Option<usize>,
    listed: ListedOperators,
    /// Operator → what its names met.
    seen: HashMap<Arc<str>, Seen>,
}

impl Operators {
    /// `ns_column`: where the input's `ns` column sits among its carried-through columns.
    pub fn new(extra_columns: &[String]) -> Operators {
        Operators {
            ns_column: crate::record::ns_column(extra_columns),
            listed: ListedOperators::default(),
            seen: HashMap::new(),
        }
    }

    /// Who serves `r`'s zone: the list's `ns` column where it names servers, else the `ns`
    /// check's answer; none where neither says.
    fn operator(&mut self, r: &NameResult) -> Option<Arc<str>> {
        let listed = self.ns_column.and_then(|i| r.extra.get(i));
        match listed.and_then(|ns| self.listed.of(ns)) {
            Some(op) => Some(op),
            None => r.judgement.dns_operator().map(Into::into),
        }
    }

    pub fn note(&mut self, r: &NameResult) {
        if let Some(op) = self.operator(r) {
            let e = self.seen.entry(op).or_default();
            e.names += 1;
            e.resolved += u32::from(r.is_resolved());
        }
    }

    /// The operator of `r` if none of its names (two at least) resolved: dead (silence, and
    /// the SERVFAIL a recursive resolver gives some of a dead operator's names once its own
    /// retries are spent, as Unbound does after minutes) or lame (every answer SERVFAIL or
    /// REFUSED). Asked again in full, its names would each cost the whole wait or every retry,
    /// at the reduced room of an operator that fails (`scripts/e2e-world`: 215 names of one
    /// lame operator held the pass two minutes); its scouts tell whether it is broken still.
    fn broken(&mut self, r: &NameResult) -> Option<Arc<str>> {
        let op = self.operator(r)?;
        let seen = self.seen.get(&op)?;
        (seen.names >= 2 && seen.resolved == 0).then_some(op)
    }
}

/// The unresolved rows of the main pass, at most [`MAX_HELD`].
#[derive(Default)]
pub struct Held {
    pub rows: Vec<NameResult>,
    pub not_asked: u64,
}

impl Held {
    /// Whether `r` is one to hold (and a copy of it is kept); false for a resolved row, or
    /// with the pass full.
    pub fn take(&mut self, r: &NameResult) -> bool {
        if r.is_resolved() {
            return false;
        }
        if self.rows.len() >= MAX_HELD {
            self.not_asked += 1;
            return false;
        }
        self.rows.push(r.clone());
        true
    }
}

/// The held names in the order they are to be asked: every name of a live operator and the
/// first [`SCOUTS`] of each broken one (at the full wait), then the rest of each broken
/// operator's names (asked once, at the first timeout, if its scouts failed again).
pub struct Plan {
    first: Vec<NameResult>,
    /// Name of a scout → its broken operator.
    scouts: HashMap<String, Arc<str>>,
    rest: Vec<(Arc<str>, NameResult)>,
}

impl Plan {
    pub fn of(held: Vec<NameResult>, ops: &mut Operators) -> Plan {
        let mut scouted: HashMap<Arc<str>, u32> = HashMap::new();
        let mut plan = Plan {
            first: Vec::new(),
            scouts: HashMap::new(),
            rest: Vec::new(),
        };
        for r in held {
            let Some(op) = ops.broken(&r) else {
                plan.first.push(r);
                continue;
            };
            let n = scouted.entry(op.clone()).or_default();
            *n += 1;
            if *n <= SCOUTS {
                plan.scouts.insert(r.name.clone(), op);
                plan.first.push(r);
            } else {
                plan.rest.push((op, r));
            }
        }
        plan
    }
}

/// The two crawlers of the pass: one at the pass's longer wait with the run's retries, one
/// that asks once at the run's own timeout.
pub async fn crawlers(
    resolvers: &[std::net::SocketAddr],
    client: &ClientOptions,
    base: &Crawler,
    pass: LastPass,
    ops: &Operators,
) -> Result<(Arc<Crawler>, Arc<Crawler>), DnsClientError> {
    let long = ClientOptions {
        timeout: Duration::from_millis(pass.timeout_ms),
        ..client.clone()
    };
    let mut opts = base.options().clone();
    opts.concurrency = opts.concurrency.min(CONCURRENCY);
    // No pass after this one: every name gets the retries it is given.
    opts.last_pass = None;
    let full = Crawler::new(DnsClient::new(resolvers, &long).await?, opts.clone())
        .with_operators(ops.ns_column)
        .pacing_as(base);
    let mut once = opts;
    once.retries = 0;
    let short = Crawler::new(DnsClient::new(resolvers, client).await?, once)
        .with_operators(ops.ns_column)
        .pacing_as(base);
    Ok((Arc::new(full), Arc::new(short)))
}

/// Ask the plan's names again, handing each new row to `sink`: first the live operators'
/// names and the broken ones' scouts, then the rest, once only where the scouts of their
/// operator failed again.
pub async fn ask<E>(
    plan: Plan,
    full: &Arc<Crawler>,
    short: &Arc<Crawler>,
    mut sink: impl FnMut(NameResult) -> Result<(), E>,
) -> Result<LastPassCounts, E> {
    let mut counts = LastPassCounts::default();
    let mut count = |r: &NameResult, once: bool| {
        counts.names += 1;
        counts.recovered += u64::from(r.is_resolved());
        counts.asked_once += u64::from(once);
    };
    let (mut failed, mut answered) = (HashSet::new(), HashSet::new());
    let entries = plan.first.iter().map(NameResult::entry);
    full.run(entries, |r| {
        if let Some(op) = plan.scouts.get(&r.name) {
            match r.is_resolved() {
                false => failed.insert(op.clone()),
                true => answered.insert(op.clone()),
            };
        }
        count(&r, false);
        sink(r)
    })
    .await?;
    let (once, again): (Vec<_>, Vec<_>) = plan
        .rest
        .into_iter()
        .partition(|(op, _)| failed.contains(op) && !answered.contains(op));
    full.run(again.iter().map(|(_, r)| r.entry()), |r| {
        count(&r, false);
        sink(r)
    })
    .await?;
    short
        .run(once.iter().map(|(_, r)| r.entry()), |r| {
            count(&r, true);
            sink(r)
        })
        .await?;
    Ok(counts)
}
