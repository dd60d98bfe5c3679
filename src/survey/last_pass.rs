//! The survey's own last pass: the names the main pass left unresolved, held out of the
//! results file, asked again after a pause with a longer wait; an operator that answered none
//! of its names (dead or lame) is asked again through two scouts only, once each.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;
use std::time::Duration;

use crate::crawl::{Crawler, LastPass, NameResult};
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

/// Names of a broken operator asked again (one attempt each, at the pass's wait) to tell
/// whether it answers now; its other names are asked again only if one of them resolves.
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

/// The held names as they are to be asked: every name of a live operator (at the pass's wait,
/// with the run's retries) beside the first [`SCOUTS`] of each broken one (one attempt each),
/// then the rest of each broken operator's names: asked again where a scout of theirs
/// resolved, else kept as the main pass ended them.
pub struct Plan {
    live: Vec<NameResult>,
    /// Each scout with its broken operator.
    scouts: Vec<(Arc<str>, NameResult)>,
    rest: Vec<(Arc<str>, NameResult)>,
}

impl Plan {
    pub fn of(held: Vec<NameResult>, ops: &mut Operators) -> Plan {
        let mut scouted: HashMap<Arc<str>, u32> = HashMap::new();
        let mut plan = Plan {
            live: Vec::new(),
            scouts: Vec::new(),
            rest: Vec::new(),
        };
        for r in held {
            let Some(op) = ops.broken(&r) else {
                plan.live.push(r);
                continue;
            };
            let n = scouted.entry(op.clone()).or_default();
            *n += 1;
            match *n <= SCOUTS {
                true => plan.scouts.push((op, r)),
                false => plan.rest.push((op, r)),
            }
        }
        plan
    }
}

impl Plan {
    /// Names of live operators, scouts of broken ones, and the broken ones' other names.
    pub fn sizes(&self) -> (u64, u64, u64) {
        (
            self.live.len() as u64,
            self.scouts.len() as u64,
            self.rest.len() as u64,
        )
    }
}

/// The two crawlers of the pass, both at its longer wait: one with the run's retries, one
/// that asks once (the scouts).
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
    let long = &long;
    let crawler = |opts| async move {
        let client = DnsClient::new(resolvers, long).await?;
        let c = Crawler::new(client, opts)
            .with_operators(ops.ns_column)
            .pacing_as(base);
        Ok::<_, DnsClientError>(Arc::new(c))
    };
    let mut opts = base.options().clone();
    opts.concurrency = opts.concurrency.min(CONCURRENCY);
    // No pass after this one: every name gets the retries it is given.
    opts.last_pass = None;
    let full = crawler(opts.clone()).await?;
    let mut once = opts;
    once.retries = 0;
    Ok((full, crawler(once).await?))
}

/// Ask the plan's names again, handing each row to `sink`: the live operators' names beside
/// the broken ones' scouts, then the rest of a broken operator's names, asked again where a
/// scout of theirs resolved and handed on as they were where none did. A dead operator's
/// names then cost the pass one wait of its scouts, not a wait each: they had the run's
/// retries in the main pass (its first names) and nothing in between says it came back.
pub async fn ask<E>(
    plan: Plan,
    full: &Arc<Crawler>,
    scout: &Arc<Crawler>,
    mut sink: impl FnMut(NameResult) -> Result<(), E>,
) -> Result<LastPassCounts, E> {
    let mut counts = LastPassCounts::default();
    let mut count = |r: &NameResult| {
        counts.names += 1;
        counts.recovered += u64::from(r.is_resolved());
    };
    // The scouts are few (two an operator): their rows wait for the live names' run to end.
    let mut scouted = Vec::with_capacity(plan.scouts.len());
    let (live, scouts) = tokio::join!(
        full.run(plan.live.iter().map(NameResult::entry), |r| {
            count(&r);
            sink(r)
        }),
        scout.run(plan.scouts.iter().map(|(_, r)| r.entry()), |r| {
            scouted.push(r);
            Ok::<(), E>(())
        }),
    );
    live?;
    scouts?;
    let operator: HashMap<&str, &Arc<str>> = plan
        .scouts
        .iter()
        .map(|(op, r)| (r.name.as_str(), op))
        .collect();
    let mut answering = HashSet::new();
    for r in scouted {
        if r.is_resolved() {
            answering.insert(Arc::clone(operator[r.name.as_str()]));
        }
        count(&r);
        sink(r)?;
    }
    let (again, kept): (Vec<_>, Vec<_>) = plan
        .rest
        .into_iter()
        .partition(|(op, _)| answering.contains(op));
    full.run(again.iter().map(|(_, r)| r.entry()), |r| {
        count(&r);
        sink(r)
    })
    .await?;
    for (_, r) in kept {
        counts.broken += 1;
        sink(r)?;
    }
    Ok(counts)
}
