//! The crawl: for each name of a zone list, MX, apex TXT and `_dmarc` TXT lookups (and the
//! opt-in [`Check`]s) through one shared rate limiter, with bounded concurrency and jittered
//! retries, into one [`NameResult`] per name, judged once its lookups are done.

mod pace;
mod schedule;

pub use crate::record::{
    Check, Checks, CrawlOptions, DEFAULT_OPERATOR_QPS, LastPass, MxHost, NameResult, Probe,
    RuaCheck,
};

use foldhash::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hickory_resolver::proto::rr::RecordType;
use rand::Rng;

use crate::dns::{DnsClient, Outcome, Patience};
use crate::policy::dmarc::{self, Standard};
use crate::policy::mailhost;
use crate::policy::spf;
use crate::policy::spf::space::Addresses;
use crate::policy::{HostQuery, PolicyDns, Presence, TxtLookup, bimi, mta_sts, tls_rpt};
use crate::transport::{StsFetch, Transport, TransportCost};
use crate::zone::ZoneEntry;
use pace::Paces;
use schedule::Scheduler;

/// Answers remembered for the run, at most [`CACHE_ENTRIES`] of them.
struct Memo<V>(Mutex<HashMap<String, V>>);

impl<V: Clone> Memo<V> {
    fn new() -> Memo<V> {
        Memo(Mutex::default())
    }

    fn get(&self, key: &str) -> Option<V> {
        self.0.lock().expect("cache lock").get(key).cloned()
    }

    fn put(&self, key: String, v: V) {
        let mut map = self.0.lock().expect("cache lock");
        if map.len() < CACHE_ENTRIES {
            map.insert(key, v);
        }
    }
}

/// Shared answers remembered at most, per cache: providers' SPF records and the `_dmarc`
/// records of public suffixes are asked for by millions of names, while a hostile zone's
/// unique targets must not grow memory without bound.
const CACHE_ENTRIES: usize = 100_000;

/// MX hosts of one name asked about at most (in preference order), so that a hostile MX set
/// cannot multiply the queries of the mx-ip and dane checks.
pub const MAX_MX_HOSTS: usize = 10;

/// Whether `target` lies outside `registered_domain`: answers about it may serve other names.
/// A name's own hosts are asked by no other name and are not kept in the run-wide caches.
fn shared(target: &str, registered_domain: &str) -> bool {
    let own = registered_domain;
    !(target == own || target.strip_suffix(own).is_some_and(|p| p.ends_with('.')))
}

/// Asks the questions: one client, one limiter, the retry policy, and the run-wide caches of
/// what names share: TXT records (SPF include/redirect targets, DMARC tree-walk steps), the
/// SPF `a`/`mx`/`exists` targets' presence, the NS of registered domains, and MX hosts'
/// addresses and TLSA. The caches ignore TTLs: a survey is one snapshot.
pub struct Crawler {
    client: DnsClient,
    limiter: Option<DefaultDirectRateLimiter>,
    /// Each DNS operator's own rate (`--operator-qps`, lowered while its answers fail), for
    /// the names the list says it serves.
    paces: Option<Arc<Paces>>,
    /// Where the zone list's `ns` column sits among its carried-through columns: names are
    /// then scheduled operator by operator ([`schedule::Scheduler`]).
    ns_column: Option<usize>,
    opts: CrawlOptions,
    txt_cache: Memo<TxtLookup>,
    host_cache: Memo<Presence>,
    /// MX hosts' addresses, for the space an SPF `mx` term lets in.
    addr_cache: Memo<Addresses>,
    ns_cache: Memo<Probe>,
    mx_host_cache: Memo<MxHost>,
    /// The connections of the starttls and mta-sts-policy checks, where either is on.
    transport: Option<Arc<Transport>>,
}

impl Crawler {
    /// A TXT lookup made on the way, remembered for the run when it settled.
    async fn txt_lookup(&self, name: &str, shared: bool, operator: Option<&Arc<str>>) -> TxtLookup {
        if let Some(hit) = self.txt_cache.get(name) {
            return hit;
        }
        let p = self
            .probe_for(operator, self.opts.retries, name, RecordType::TXT)
            .await;
        let got = match p.outcome {
            Outcome::Answer => TxtLookup::records(p.records),
            Outcome::NxDomain | Outcome::NoData => TxtLookup::Void,
            // Failures are not cached: the next name may get through.
            _ => return TxtLookup::Failed,
        };
        if shared {
            self.txt_cache.put(name.to_string(), got.clone());
        }
        got
    }

    /// What an SPF term's target has (records, and for `a` and `mx` the addresses the term
    /// lets in), remembered for the run when it settled whole.
    async fn host_lookup(
        &self,
        name: &str,
        q: HostQuery,
        shared: bool,
        operator: Option<&Arc<str>>,
    ) -> Presence {
        let key = match q {
            HostQuery::A => format!("A {name}"),
            HostQuery::Mx => format!("MX {name}"),
            HostQuery::Exists => format!("E {name}"),
        };
        if let Some(hit) = self.host_cache.get(&key) {
            return hit;
        }
        let ask = |rtype| self.probe_for(operator, self.opts.retries, name, rtype);
        let got = match q {
            HostQuery::Exists => presence(&ask(RecordType::A).await, q),
            HostQuery::A => {
                let (a, aaaa) = self.a_and_aaaa(name, operator).await;
                match presence(&a, q) {
                    Presence::Found(_) => {
                        Presence::Found(aaaa.settled().map(|v6| addresses(&a.records, v6)))
                    }
                    other => other,
                }
            }
            HostQuery::Mx => {
                self.mx_presence(&ask(RecordType::MX).await, shared, operator)
                    .await
            }
        };
        if shared && got.is_whole(q) {
            self.host_cache.put(key, got.clone());
        }
        got
    }

    /// An `mx` term's answer with its hosts' addresses (the first [`MAX_MX_HOSTS`] in
    /// preference order; §4.6.4 makes more a permerror).
    async fn mx_presence(&self, mx: &Probe, shared: bool, operator: Option<&Arc<str>>) -> Presence {
        let found = presence(mx, HostQuery::Mx);
        let Presence::Found(_) = found else {
            return found;
        };
        let mut hosts = mailhost::exchanges(&mx.records);
        hosts.truncate(MAX_MX_HOSTS);
        let asks = hosts
            .iter()
            .map(|h| self.host_addresses(h, shared, operator));
        let each: Option<Vec<Addresses>> =
            futures::future::join_all(asks).await.into_iter().collect();
        Presence::Found(each.map(|e| e.iter().flat_map(|a| a.iter().copied()).collect()))
    }

    /// A name's A and AAAA lookups, side by side.
    async fn a_and_aaaa(&self, name: &str, operator: Option<&Arc<str>>) -> (Probe, Probe) {
        let ask = |rtype| self.probe_for(operator, self.opts.retries, name, rtype);
        tokio::join!(ask(RecordType::A), ask(RecordType::AAAA))
    }

    /// A host's A and AAAA addresses; `None` where either lookup failed.
    async fn host_addresses(
        &self,
        host: &str,
        shared: bool,
        operator: Option<&Arc<str>>,
    ) -> Option<Addresses> {
        if let Some(hit) = self.addr_cache.get(host) {
            return Some(hit);
        }
        let (a, aaaa) = self.a_and_aaaa(host, operator).await;
        let got = addresses(a.settled()?, aaaa.settled()?);
        if shared {
            self.addr_cache.put(host.to_string(), Arc::clone(&got));
        }
        Some(got)
    }
}

/// The addresses among A and AAAA records (a record that does not read as one is left out).
fn addresses(a: &[String], aaaa: &[String]) -> Addresses {
    a.iter()
        .chain(aaaa)
        .filter_map(|r| r.parse::<IpAddr>().ok())
        .collect()
}

/// What a settled lookup says of its name's records for an SPF term (the addresses apart);
/// a failure is never void.
fn presence(p: &Probe, q: HostQuery) -> Presence {
    match p.settled() {
        Some([]) => Presence::Void,
        Some(mx) if q == HostQuery::Mx && mx.len() > MAX_MX_HOSTS => Presence::OverTenMx,
        Some(_) => Presence::Found(None),
        None => Presence::Failed,
    }
}

/// The DNS one name's policy evaluation sees: the crawler's, except that the name's own MX
/// is the answer its MX lookup already has, and that targets inside the name's registered
/// domain (its own hosts, asked by no other name) are not kept in the run-wide caches.
struct NameDns<'a> {
    crawler: &'a Crawler,
    name: &'a str,
    registered_domain: &'a str,
    mx: &'a Probe,
    /// The name's operator, which serves the targets inside its registered domain too.
    operator: Option<&'a Arc<str>>,
}

impl PolicyDns for NameDns<'_> {
    fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send {
        let shared = shared(name, self.registered_domain);
        let operator = self.operator.filter(|_| !shared);
        self.crawler.txt_lookup(name, shared, operator)
    }

    fn host(&self, name: &str, q: HostQuery) -> impl std::future::Future<Output = Presence> + Send {
        let own_mx = q == HostQuery::Mx && name == self.name;
        let shared = shared(name, self.registered_domain);
        let operator = self.operator.filter(|_| !shared);
        async move {
            match own_mx {
                true => self.crawler.mx_presence(self.mx, shared, operator).await,
                false => self.crawler.host_lookup(name, q, shared, operator).await,
            }
        }
    }
}

impl Crawler {
    pub fn new(client: DnsClient, opts: CrawlOptions) -> Crawler {
        let limiter = opts.qps.and_then(quota).map(RateLimiter::direct);
        Crawler {
            client,
            limiter,
            paces: None,
            ns_column: None,
            opts,
            txt_cache: Memo::new(),
            host_cache: Memo::new(),
            addr_cache: Memo::new(),
            ns_cache: Memo::new(),
            mx_host_cache: Memo::new(),
            transport: None,
        }
    }

    /// Make the starttls and mta-sts-policy checks through `transport` (shared with the last
    /// pass, so that a host asked in the main pass is not asked again).
    pub fn with_transport(mut self, transport: Option<Arc<Transport>>) -> Crawler {
        self.transport = transport;
        self
    }

    /// Schedule names by the operator the zone list's `ns` column (`extra[ns_column]`) names:
    /// each operator's names spread over the run, at most `--operator-concurrency` of them in
    /// flight and `--operator-qps` of their queries a second.
    pub fn with_operators(mut self, ns_column: Option<usize>) -> Crawler {
        self.ns_column = ns_column;
        self.paces = ns_column
            .and(self.opts.operator_qps)
            .and_then(NonZeroU32::new)
            .map(|qps| Arc::new(Paces::new(qps)));
        self
    }

    /// Keep to `other`'s operator paces (the last pass: an operator slowed in the main pass
    /// is not asked at the full rate again), and share its connections (a mail host asked in
    /// the main pass is not asked again).
    pub fn pacing_as(mut self, other: &Crawler) -> Crawler {
        if self.paces.is_some() {
            self.paces = other.paces.clone();
        }
        self.transport = other.transport.clone();
        self
    }

    /// What the checks that connect have cost so far, where they run.
    pub fn transport_cost(&self) -> Option<TransportCost> {
        self.transport.as_ref().map(|t| t.cost())
    }

    pub fn options(&self) -> &CrawlOptions {
        &self.opts
    }

    /// One question with retries: a settled outcome ends it at once; a failure is tried again
    /// after a jittered, doubling backoff, and the last failure is what is kept.
    pub async fn probe(&self, name: &str, rtype: RecordType) -> Probe {
        self.probe_for(None, self.opts.retries, name, rtype).await
    }

    /// The same for a question to `operator`'s servers, each attempt within its rate too, with
    /// `retries` further attempts at the most.
    async fn probe_for(
        &self,
        operator: Option<&Arc<str>>,
        retries: u32,
        name: &str,
        rtype: RecordType,
    ) -> Probe {
        let mut attempt = 0;
        let started = std::time::Instant::now();
        loop {
            attempt += 1;
            if let Some(l) = &self.limiter {
                l.until_ready().await;
            }
            if let (Some(p), Some(op)) = (&self.paces, operator) {
                p.until_ready(op).await;
            }
            // A dropped datagram should cost one RTO, not the whole timeout, while tries
            // remain; the last try waits the whole timeout.
            let patience = match attempt > retries {
                true => Patience::Full,
                false => Patience::Rto,
            };
            let r = self.client.lookup(name, rtype, patience).await;
            if !r.outcome.is_retryable() || attempt > retries {
                return Probe::from_result(r, attempt, started.elapsed());
            }
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .opts
            .backoff_ms
            .saturating_mul(1 << (attempt - 1).min(10));
        let jittered = rand::rng().random_range(base / 2..=base + base / 2);
        Duration::from_millis(jittered.min(5_000))
    }

    /// The NS of a registered domain, once per run (settled answers only).
    async fn ns_of(&self, domain: &str) -> Option<Probe> {
        if !self.opts.checks.has(Check::Ns) {
            return None;
        }
        if let Some(hit) = self.ns_cache.get(domain) {
            return Some(hit);
        }
        let p = self.probe(domain, RecordType::NS).await;
        if p.outcome.is_resolved() {
            self.ns_cache.put(domain.to_string(), p.clone());
        }
        Some(p)
    }

    /// A lookup of an opt-in check, if it is on; its owner name is made only then.
    async fn check<S: AsRef<str>>(
        &self,
        check: Check,
        owner: impl FnOnce() -> S,
        rtype: RecordType,
    ) -> Option<Probe> {
        self.check_for(None, self.opts.retries, check, owner, rtype)
            .await
    }

    /// The same for a name `operator` serves.
    async fn check_for<S: AsRef<str>>(
        &self,
        operator: Option<&Arc<str>>,
        retries: u32,
        check: Check,
        owner: impl FnOnce() -> S,
        rtype: RecordType,
    ) -> Option<Probe> {
        match self.opts.checks.has(check) {
            true => Some(
                self.probe_for(operator, retries, owner().as_ref(), rtype)
                    .await,
            ),
            false => None,
        }
    }

    /// An MX host's addresses (mx-ip) and TLSA records (dane), once per run for hosts
    /// outside the name's registered domain (settled answers only).
    async fn mx_host(&self, host: String, registered_domain: &str) -> MxHost {
        let shared = shared(&host, registered_domain);
        if let Some(hit) = shared.then(|| self.mx_host_cache.get(&host)).flatten() {
            return hit;
        }
        // The starttls check connects to the host's IPv4 address: it needs the A lookup.
        let a_check = match self.opts.checks.has(Check::Starttls) {
            true => Check::Starttls,
            false => Check::MxIp,
        };
        let (a, aaaa, tlsa) = tokio::join!(
            self.check(a_check, || &host, RecordType::A),
            self.check(Check::MxIp, || &host, RecordType::AAAA),
            self.check(
                Check::Dane,
                || mailhost::tlsa_owner(&host),
                RecordType::TLSA
            ),
        );
        let smtp = match (&self.transport, a.as_ref().and_then(Probe::settled)) {
            (Some(t), Some(records)) if self.opts.checks.has(Check::Starttls) => {
                // RFC 7672 §2.2: only authenticated TLSA records count.
                let tlsa = tlsa
                    .as_ref()
                    .filter(|p| p.authentic == Some(true))
                    .and_then(Probe::settled)
                    .unwrap_or_default();
                Some(t.smtp(&host, &addresses(records, &[]), tlsa).await)
            }
            _ => None,
        };
        let h = MxHost {
            host,
            a,
            aaaa,
            tlsa,
            smtp,
        };
        let settled = [&h.a, &h.aaaa, &h.tlsa]
            .into_iter()
            .flatten()
            .all(|p| p.outcome.is_resolved());
        if shared && settled {
            self.mx_host_cache.put(h.host.clone(), h.clone());
        }
        h
    }

    /// The MX hosts' lookups, where the mx-ip, dane or starttls check is on and the MX lookup
    /// settled.
    async fn mx_hosts(&self, mx: &Probe, registered_domain: &str) -> Option<Vec<MxHost>> {
        let checks = &self.opts.checks;
        if ![Check::MxIp, Check::Dane, Check::Starttls]
            .into_iter()
            .any(|c| checks.has(c))
        {
            return None;
        }
        let mut hosts = mailhost::exchanges(mx.settled()?);
        hosts.truncate(MAX_MX_HOSTS);
        let asks = hosts
            .into_iter()
            .map(|h| self.mx_host(h, registered_domain));
        Some(futures::future::join_all(asks).await)
    }

    /// RFC 8461 §3.3: where the name's `_mta-sts` record is valid, the policy host's address
    /// and the policy fetched from it, matched against the MX hosts.
    async fn mta_sts_policy(
        &self,
        name: &str,
        record: Option<&Probe>,
        mx: &Probe,
    ) -> Option<(Probe, Option<StsFetch>)> {
        let transport = self.transport.as_ref()?;
        if !self.opts.checks.has(Check::MtaStsPolicy) {
            return None;
        }
        mta_sts::read(record?.settled()?).valid()?;
        let host = self.probe(&mta_sts::policy_host(name), RecordType::A).await;
        let fetch = match (host.settled(), mx.settled()) {
            (Some(records), Some(mx)) => {
                let ips = addresses(records, &[]);
                Some(transport.sts(name, &ips, &mailhost::exchanges(mx)).await)
            }
            _ => None,
        };
        Some((host, fetch))
    }

    /// RFC 7489 §7.1: ask each report destination outside the name's Organizational Domain
    /// whether it accepts the name's reports.
    async fn verify_rua(&self, name: &str, rua: &[String]) -> Vec<RuaCheck> {
        let hosts = dmarc::external_report_hosts(name, rua);
        let asks = hosts.into_iter().map(|host| async move {
            let p = self
                .probe(&dmarc::authorization_name(name, &host), RecordType::TXT)
                .await;
            RuaCheck {
                authorized: p.settled().map(dmarc::authorizes),
                outcome: p.outcome,
                host,
            }
        });
        futures::future::join_all(asks).await
    }

    /// All lookups of one name, concurrently: the three, the opt-in ones, then those that
    /// follow from their answers (SPF tree, DMARC discovery, report destinations); then the
    /// judgement.
    pub async fn crawl_one(&self, entry: ZoneEntry) -> NameResult {
        self.crawl_one_for(entry, None, self.opts.retries).await
    }

    /// The same for a name `operator` serves: its own lookups (not those of SPF targets, MX
    /// hosts or report destinations, which other operators serve) within the operator's rate.
    async fn crawl_one_for(
        &self,
        entry: ZoneEntry,
        operator: Option<&Arc<str>>,
        retries: u32,
    ) -> NameResult {
        let name = entry.name.clone();
        let dmarc_name = format!("_dmarc.{name}");
        let own = name.as_str();
        let txt = |check, owner: fn(&str) -> String| {
            self.check_for(
                operator,
                retries,
                check,
                move || owner(own),
                RecordType::TXT,
            )
        };
        let (mx, txt_probe, dmarc, bimi, mta_sts, tls_rpt, dkim, ns) = tokio::join!(
            self.probe_for(operator, retries, &name, RecordType::MX),
            self.probe_for(operator, retries, &name, RecordType::TXT),
            self.probe_for(operator, retries, &dmarc_name, RecordType::TXT),
            txt(Check::Bimi, bimi::owner),
            txt(Check::MtaSts, mta_sts::owner),
            txt(Check::TlsRpt, tls_rpt::owner),
            txt(Check::Dkim, mailhost::dkim_owner),
            self.ns_of(&entry.class.registered_domain),
        );
        let mut r = NameResult::new(entry, mx, txt_probe, dmarc);
        r.bimi = bimi;
        r.dkim = dkim;
        r.mta_sts = mta_sts;
        r.tls_rpt = tls_rpt;
        r.ns = ns;
        r.dnssec_checked = self.opts.checks.has(Check::Dnssec);
        let dns = NameDns {
            crawler: self,
            name: &r.name,
            registered_domain: &r.registered_domain,
            mx: &r.mx,
            operator,
        };
        let own_dmarc = r.dmarc.settled();
        // Report destinations exist only in a record that reads as DMARC.
        let rua = async {
            let own = dmarc::read(own_dmarc?).ok()?;
            match self.opts.checks.has(Check::Rua) {
                true => Some(self.verify_rua(&name, &own.rua).await),
                false => None,
            }
        };
        let tree = async {
            let rec = spf::select(r.txt.settled()?).and_then(spf::parse).ok()?;
            Some(spf::tree_cost(&name, &rec, &dns).await)
        };
        let discovery = async {
            let own = own_dmarc?;
            Some(tokio::join!(
                dmarc::discover(&name, own, Standard::Rfc7489, &dns),
                dmarc::discover(&name, own, Standard::Rfc9989, &dns),
            ))
        };
        let hosts = self.mx_hosts(&r.mx, &r.registered_domain);
        let policy = self.mta_sts_policy(&name, r.mta_sts.as_ref(), &r.mx);
        let (rua, tree, discovery, hosts, policy) =
            tokio::join!(rua, tree, discovery, hosts, policy);
        r.mx_hosts = hosts;
        r.mta_sts_checked = self.opts.checks.has(Check::MtaStsPolicy);
        let (host, fetch) = policy.unzip();
        (r.mta_sts_host, r.mta_sts_policy) = (host, fetch.flatten());
        let (d7489, d9989) = discovery.unzip();
        r.rua_checks = rua;
        r.spf_tree = tree;
        r.dmarc_7489 = d7489;
        r.dmarc_9989 = d9989;
        r.judge();
        r
    }

    /// Crawl every entry with at most `concurrency` names in flight, handing each result to
    /// `sink` as it finishes (in completion order). Stops at the first error of the sink.
    pub async fn run<E>(
        self: &Arc<Self>,
        entries: impl Iterator<Item = ZoneEntry>,
        mut sink: impl FnMut(NameResult) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(ns_column) = self.ns_column {
            return self.run_by_operator(entries, ns_column, sink).await;
        }
        let mut results = futures::stream::iter(entries)
            .map(|e| {
                let me = Arc::clone(self);
                async move { me.crawl_one(e).await }
            })
            .buffer_unordered(self.opts.concurrency.max(1));
        while let Some(r) = results.next().await {
            sink(r)?;
        }
        Ok(())
    }

    /// [`Crawler::run`] with the names handed out by a [`Scheduler`]: operator by operator,
    /// each within its room, entries read ahead so that the others' names go on meanwhile.
    async fn run_by_operator<E>(
        self: &Arc<Self>,
        entries: impl Iterator<Item = ZoneEntry>,
        ns_column: usize,
        mut sink: impl FnMut(NameResult) -> Result<(), E>,
    ) -> Result<(), E> {
        let concurrency = self.opts.concurrency.max(1);
        let mut schedule = Scheduler::new(
            entries,
            ns_column,
            LOOKAHEAD.max(concurrency * 16),
            self.opts.operator_concurrency,
        );
        let mut running = futures::stream::FuturesUnordered::new();
        loop {
            while running.len() < concurrency {
                let Some((op, e, broken)) = schedule.next() else {
                    break;
                };
                // A broken operator's names are asked once where a last pass follows (its
                // scouts tell whether the operator answers again): their retries would each
                // wait out the timeouts of a dead operator, at its room, at the run's end.
                let retries = match broken && self.opts.last_pass.is_some() {
                    true => 0,
                    false => self.opts.retries,
                };
                let me = Arc::clone(self);
                running.push(async move {
                    let known = (!op.is_empty()).then_some(&op);
                    let r = me.crawl_one_for(e, known, retries).await;
                    (op, r)
                });
            }
            // Empty only when the schedule has nothing left: an operator with nothing in
            // flight always has room for one.
            let Some((op, r)) = running.next().await else {
                return Ok(());
            };
            // Room and rate shrink for answers that say "too much" (SERVFAIL, REFUSED) and
            // for loss among answers, not for a name that met nothing but silence: a dead
            // operator bears no load, and at a quarter of the room its names would each wait
            // out their timeouts at the run's end.
            let own = [&r.mx, &r.txt, &r.dmarc];
            let failed = own.iter().any(|p| !p.outcome.is_resolved());
            let silent = own.iter().all(|p| p.outcome == Outcome::Timeout);
            let too_much = failed && !silent;
            let answering = match self.paces.as_ref().filter(|_| !op.is_empty()) {
                Some(p) => p.answered(&op, too_much, !failed),
                None => true,
            };
            schedule.done(&op, too_much && answering, !failed);
            sink(r)?;
        }
    }
}

/// Zone entries read ahead of the crawl at the least, when names are scheduled by operator:
/// the window over which one operator's bunched names are spread among the others'.
const LOOKAHEAD: usize = 16_384;

/// A rate of `qps` queries a second with a burst of a twentieth of a second: polite to the
/// server from the first query.
fn quota(qps: u32) -> Option<Quota> {
    let qps = NonZeroU32::new(qps)?;
    let burst = NonZeroU32::new((qps.get() / 20).max(1)).expect("at least one");
    Some(Quota::per_second(qps).allow_burst(burst))
}
