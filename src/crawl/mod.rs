//! The crawl: for each name of a zone list, MX, apex TXT and `_dmarc` TXT lookups (and the
//! opt-in [`Check`]s) through one shared rate limiter, with bounded concurrency and jittered
//! retries, into one record per name.

mod checks;
mod survey;

pub use checks::{Check, Checks};
pub use survey::{SurveyConfig, SurveyError, retry_unresolved, survey};

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hickory_resolver::proto::rr::RecordType;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::dns::{DnsClient, LookupResult, Outcome, Patience};
use crate::policy::bimi::{self, BimiStatus};
use crate::policy::compliance::{self, Assessment, MailUse};
use crate::policy::dmarc::{self, Discovery, RuaVerdict, Standard};
use crate::policy::spf::{self, SpfVerdict, TreeVerdict};
use crate::policy::tags::Published;
use crate::policy::{MxKind, is_dmarc_record, is_spf_record, mta_sts, tls_rpt};
use crate::policy::{TxtLookup, TxtSource};
use crate::zone::ZoneEntry;

/// Knobs of the crawl.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrawlOptions {
    /// Queries per second over all lookups; `None`: unlimited.
    pub qps: Option<u32>,
    /// Names in flight at once (each runs its three lookups together).
    pub concurrency: usize,
    /// Further attempts after a failed one (timeout, SERVFAIL, REFUSED, error).
    pub retries: u32,
    /// First backoff before a retry; doubles each time, with ±50 % jitter, at most 5 s.
    pub backoff_ms: u64,
    /// Lookups beyond MX, SPF and DMARC.
    #[serde(default)]
    pub checks: Checks,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            qps: None,
            concurrency: 256,
            retries: 2,
            backoff_ms: 200,
            checks: Checks::default(),
        }
    }
}

/// One lookup of one name as the results keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub outcome: Outcome,
    pub attempts: u32,
    pub records: Vec<String>,
    /// Character-strings of each TXT record as published (before joining).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub txt_strings: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cnames: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The reply's AD bit, where a reply over UDP settled the lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentic: Option<bool>,
}

impl Probe {
    fn from_result(r: LookupResult, attempts: u32) -> Probe {
        Probe {
            outcome: r.outcome,
            attempts,
            records: r.answer.records,
            txt_strings: r.answer.txt_strings,
            cnames: r.answer.cnames,
            detail: r.detail,
            authentic: r.authentic,
        }
    }

    /// `Some(records)` once the lookup settled; `None` when it failed.
    fn settled(&self) -> Option<&[String]> {
        self.outcome
            .is_resolved()
            .then_some(self.records.as_slice())
    }
}

/// Everything learnt about one name: the zone stage's fields and the three lookups, plus the
/// presence verdicts, each `None` where its lookup failed (unresolved is not absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameResult {
    pub line: u64,
    pub input: String,
    pub name: String,
    pub registered_domain: String,
    pub jp_type: crate::zone::JpType,
    pub geo_form: Option<crate::zone::GeoForm>,
    pub prefecture: Option<u8>,
    pub lgcode: Option<String>,
    pub extra: Vec<String>,
    pub mx: Probe,
    pub txt: Probe,
    pub dmarc: Probe,
    pub mx_kind: Option<MxKind>,
    pub has_spf: Option<bool>,
    pub has_dmarc: Option<bool>,
    /// DNS-querying terms over the SPF record's include/redirect tree (§4.6.4), and how the
    /// tree came out; `None` without one valid SPF record.
    #[serde(default)]
    pub spf_dns_terms: Option<u32>,
    #[serde(default)]
    pub spf_tree: Option<TreeVerdict>,
    /// The SPF verdict; `None` where the TXT lookup failed.
    #[serde(default)]
    pub spf_verdict: Option<SpfVerdict>,
    /// Where the DMARC policy that applies was found under RFC 7489 (Organizational Domain)
    /// and RFC 9989 (DNS Tree Walk); `None` where the name's own `_dmarc` lookup failed.
    #[serde(default)]
    pub dmarc_7489: Option<Discovery>,
    #[serde(default)]
    pub dmarc_9989: Option<Discovery>,
    /// The opt-in lookups, each `None` where its check did not run: `default._bimi`,
    /// `_mta-sts` and `_smtp._tls` TXT, and the registered domain's NS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bimi: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_rpt: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<Probe>,
    /// RFC 7489 §7.1 verification of each external report destination, where the check ran
    /// and the name's own `_dmarc` lookup settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rua_checks: Option<Vec<RuaCheck>>,
    /// DNSSEC as the resolver's AD bit on the MX reply tells, where the check ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<Dnssec>,
}

/// One external DMARC report destination asked whether it accepts the name's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuaCheck {
    pub host: String,
    pub outcome: Outcome,
    /// `None` where the lookup failed.
    pub authorized: Option<bool>,
}

/// What the AD bit of the MX reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dnssec {
    /// AD set: the resolver validated the answer (or the denial) with DNSSEC.
    Secure,
    /// AD clear: unsigned, or a resolver that does not validate (see the run's share).
    Insecure,
    /// No reply to read it from (the lookup failed, or was answered over TCP).
    Unknown,
}

impl Dnssec {
    pub fn code(self) -> Option<&'static str> {
        match self {
            Dnssec::Secure => Some("secure"),
            Dnssec::Insecure => Some("insecure"),
            Dnssec::Unknown => None,
        }
    }
}

impl NameResult {
    pub fn new(e: ZoneEntry, mx: Probe, txt: Probe, dmarc: Probe) -> NameResult {
        let mx_kind = mx.settled().map(MxKind::of);
        let has_spf = txt.settled().map(|r| r.iter().any(|t| is_spf_record(t)));
        let has_dmarc = dmarc
            .settled()
            .map(|r| r.iter().any(|t| is_dmarc_record(t)));
        NameResult {
            line: e.line,
            input: e.input,
            name: e.name,
            registered_domain: e.class.registered_domain,
            jp_type: e.class.jp_type,
            geo_form: e.class.geo_form,
            prefecture: e.class.prefecture,
            lgcode: e.class.lgcode,
            extra: e.extra,
            mx,
            txt,
            dmarc,
            mx_kind,
            has_spf,
            has_dmarc,
            spf_dns_terms: None,
            spf_tree: None,
            spf_verdict: None,
            dmarc_7489: None,
            dmarc_9989: None,
            bimi: None,
            mta_sts: None,
            tls_rpt: None,
            ns: None,
            rua_checks: None,
            dnssec: None,
        }
    }

    pub fn spf_records(&self) -> Vec<String> {
        self.txt
            .records
            .iter()
            .filter(|t| is_spf_record(t))
            .cloned()
            .collect()
    }

    pub fn dmarc_records(&self) -> Vec<String> {
        self.dmarc
            .records
            .iter()
            .filter(|t| is_dmarc_record(t))
            .cloned()
            .collect()
    }

    /// The zone entry this row was crawled from, to crawl it again.
    pub fn entry(&self) -> ZoneEntry {
        ZoneEntry {
            line: self.line,
            input: self.input.clone(),
            name: self.name.clone(),
            class: crate::zone::Classification {
                registered_domain: self.registered_domain.clone(),
                jp_type: self.jp_type,
                geo_form: self.geo_form,
                prefecture: self.prefecture,
                lgcode: self.lgcode.clone(),
            },
            extra: self.extra.clone(),
        }
    }

    /// Where the DMARC policy that applies was found under `standard`.
    pub fn discovery(&self, standard: Standard) -> Option<&Discovery> {
        match standard {
            Standard::Rfc7489 => self.dmarc_7489.as_ref(),
            Standard::Rfc9989 => self.dmarc_9989.as_ref(),
        }
    }

    /// Every lookup of the name settled, the opt-in ones included.
    pub fn is_resolved(&self) -> bool {
        let extra = [&self.bimi, &self.mta_sts, &self.tls_rpt, &self.ns];
        [&self.mx, &self.txt, &self.dmarc]
            .into_iter()
            .chain(extra.into_iter().flatten())
            .all(|p| p.outcome.is_resolved())
            && self
                .rua_checks
                .iter()
                .flatten()
                .all(|c| c.outcome.is_resolved())
    }

    /// A settled opt-in TXT lookup read by `read`: `None` where the check did not run or its
    /// lookup failed.
    fn published<R>(
        probe: &Option<Probe>,
        read: fn(&[String]) -> Published<R>,
    ) -> Option<Published<R>> {
        probe.as_ref()?.settled().map(read)
    }

    pub fn bimi(&self) -> Option<Published<bimi::BimiRecord>> {
        Self::published(&self.bimi, bimi::read)
    }

    pub fn mta_sts(&self) -> Option<Published<mta_sts::StsRecord>> {
        Self::published(&self.mta_sts, mta_sts::read)
    }

    pub fn tls_rpt(&self) -> Option<Published<tls_rpt::TlsRptRecord>> {
        Self::published(&self.tls_rpt, tls_rpt::read)
    }

    /// The verification of the external report destinations, where it ran.
    pub fn rua_verdict(&self) -> Option<RuaVerdict> {
        let checks = self.rua_checks.as_ref()?;
        Some(RuaVerdict::of(checks.iter().map(|c| c.authorized)))
    }

    /// The DNS operators of the registered domain: each NS host's registered domain (as the
    /// zone list's names are registered: ICANN suffixes, `lg.jp` names whole), sorted, each
    /// once; `None` where the check did not run or failed.
    pub fn dns_operators(&self) -> Option<Vec<String>> {
        let hosts = self.ns.as_ref()?.settled()?;
        let mut ops: Vec<String> = hosts
            .iter()
            .map(|h| {
                let h = h.trim_end_matches('.').to_ascii_lowercase();
                crate::zone::registered_domain(&h).to_string()
            })
            .collect();
        ops.sort();
        ops.dedup();
        Some(ops)
    }

    /// Whether the name is used for mail (MX, SPF); `None` where either lookup failed.
    pub fn mail_use(&self) -> Option<MailUse> {
        let spf = spf::select(self.txt.settled()?).and_then(spf::parse).ok();
        Some(MailUse::of(self.mx_kind?, spf.as_ref()))
    }

    /// The 2025 guideline's verdict: `None` where a lookup it needs failed (MX, TXT, DMARC
    /// discovery under RFC 7489, or BIMI when that check ran).
    pub fn assessment(&self) -> Option<Assessment> {
        let exists = self.mx.outcome != Outcome::NxDomain;
        let own = dmarc::read(&self.dmarc.records);
        let protection =
            self.discovery(Standard::Rfc7489)?
                .protection(&own, Standard::Rfc7489, exists)?;
        let mail = self.mail_use()?;
        let bimi = match &self.bimi {
            Some(_) => Some(BimiStatus::of(&self.bimi()?)),
            None => None,
        };
        Some(compliance::assess(protection, mail, bimi))
    }
}

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

/// Asks the questions: one client, one limiter, the retry policy, and the run-wide caches of
/// what names share: TXT records (SPF include/redirect targets, DMARC tree-walk steps) and
/// the NS of registered domains. The caches ignore TTLs: a survey is one snapshot.
pub struct Crawler {
    client: DnsClient,
    limiter: Option<DefaultDirectRateLimiter>,
    opts: CrawlOptions,
    txt_cache: Memo<TxtLookup>,
    ns_cache: Memo<Probe>,
}

impl TxtSource for Crawler {
    fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send {
        let name = name.to_string();
        async move {
            if let Some(hit) = self.txt_cache.get(&name) {
                return hit;
            }
            let p = self.probe(&name, RecordType::TXT).await;
            let got = match p.outcome {
                Outcome::Answer => TxtLookup::Records(p.records),
                Outcome::NxDomain | Outcome::NoData => TxtLookup::Void,
                // Failures are not cached: the next name may get through.
                _ => return TxtLookup::Failed,
            };
            self.txt_cache.put(name, got.clone());
            got
        }
    }
}

impl Crawler {
    pub fn new(client: DnsClient, opts: CrawlOptions) -> Crawler {
        let limiter = opts.qps.and_then(NonZeroU32::new).map(|qps| {
            // A burst of a twentieth of a second: polite to the server from the first query.
            let burst = NonZeroU32::new((qps.get() / 20).max(1)).expect("at least one");
            RateLimiter::direct(Quota::per_second(qps).allow_burst(burst))
        });
        Crawler {
            client,
            limiter,
            opts,
            txt_cache: Memo::new(),
            ns_cache: Memo::new(),
        }
    }

    pub fn options(&self) -> &CrawlOptions {
        &self.opts
    }

    /// One question with retries: a settled outcome ends it at once; a failure is tried again
    /// after a jittered, doubling backoff, and the last failure is what is kept.
    pub async fn probe(&self, name: &str, rtype: RecordType) -> Probe {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(l) = &self.limiter {
                l.until_ready().await;
            }
            // A dropped datagram should cost one RTO, not the whole timeout, while tries
            // remain; the last try waits the whole timeout.
            let patience = match attempt > self.opts.retries {
                true => Patience::Full,
                false => Patience::Rto,
            };
            let r = self.client.lookup(name, rtype, patience).await;
            if !r.outcome.is_retryable() || attempt > self.opts.retries {
                return Probe::from_result(r, attempt);
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

    /// A TXT lookup of an opt-in check, if it is on.
    async fn txt_check(&self, check: Check, owner: String) -> Option<Probe> {
        match self.opts.checks.has(check) {
            true => Some(self.probe(&owner, RecordType::TXT).await),
            false => None,
        }
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

    /// RFC 7489 §7.1: ask each report destination outside the name's Organizational Domain
    /// whether it accepts the name's reports.
    async fn verify_rua(&self, name: &str, dmarc_records: &[String]) -> Vec<RuaCheck> {
        let rua = dmarc::read(dmarc_records)
            .map(|d| d.rua)
            .unwrap_or_default();
        let hosts = dmarc::external_report_hosts(name, &rua);
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
    /// follow from their answers (SPF tree, DMARC discovery, report destinations).
    pub async fn crawl_one(&self, entry: ZoneEntry) -> NameResult {
        let name = entry.name.clone();
        let dmarc_name = format!("_dmarc.{name}");
        let (mx, txt, dmarc, bimi, mta_sts, tls_rpt, ns) = tokio::join!(
            self.probe(&name, RecordType::MX),
            self.probe(&name, RecordType::TXT),
            self.probe(&dmarc_name, RecordType::TXT),
            self.txt_check(Check::Bimi, bimi::owner(&name)),
            self.txt_check(Check::MtaSts, mta_sts::owner(&name)),
            self.txt_check(Check::TlsRpt, tls_rpt::owner(&name)),
            self.ns_of(&entry.class.registered_domain),
        );
        let mut r = NameResult::new(entry, mx, txt, dmarc);
        r.bimi = bimi;
        r.mta_sts = mta_sts;
        r.tls_rpt = tls_rpt;
        r.ns = ns;
        if self.opts.checks.has(Check::Dnssec) {
            r.dnssec = Some(match (r.mx.outcome.is_resolved(), r.mx.authentic) {
                (true, Some(true)) => Dnssec::Secure,
                (true, Some(false)) => Dnssec::Insecure,
                _ => Dnssec::Unknown,
            });
        }
        // Report destinations exist only in a record that reads as DMARC.
        if self.opts.checks.has(Check::Rua)
            && r.dmarc.outcome.is_resolved()
            && dmarc::read(&r.dmarc.records).is_ok()
        {
            r.rua_checks = Some(self.verify_rua(&name, &r.dmarc.records).await);
        }
        if r.txt.outcome.is_resolved() {
            let parsed = spf::select(&r.txt.records).and_then(spf::parse);
            let cost = match &parsed {
                Ok(rec) => Some(spf::tree_cost(&name, rec, self).await),
                Err(_) => None,
            };
            r.spf_dns_terms = cost.map(|c| c.dns_terms as u32);
            r.spf_tree = cost.map(|c| c.verdict);
            r.spf_verdict = Some(SpfVerdict::of(parsed.as_ref(), cost.as_ref()));
        }
        if r.dmarc.outcome.is_resolved() {
            let own = &r.dmarc.records;
            let (d7489, d9989) = tokio::join!(
                dmarc::discover(&name, own, Standard::Rfc7489, self),
                dmarc::discover(&name, own, Standard::Rfc9989, self),
            );
            r.dmarc_7489 = Some(d7489);
            r.dmarc_9989 = Some(d9989);
        }
        r
    }

    /// Crawl every entry with at most `concurrency` names in flight, handing each result to
    /// `sink` as it finishes (in completion order). Stops at the first error of the sink.
    pub async fn run<E>(
        self: &Arc<Self>,
        entries: impl Iterator<Item = ZoneEntry>,
        mut sink: impl FnMut(NameResult) -> Result<(), E>,
    ) -> Result<(), E> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::classify;

    fn answer(records: &[&str]) -> Probe {
        Probe {
            outcome: Outcome::Answer,
            attempts: 1,
            records: records.iter().map(|r| r.to_string()).collect(),
            txt_strings: Vec::new(),
            cnames: Vec::new(),
            detail: None,
            authentic: None,
        }
    }

    #[test]
    fn operators_are_the_ns_hosts_registered_domains() {
        let name = "city.chiyoda.lg.jp";
        let entry = ZoneEntry {
            line: 1,
            input: name.to_string(),
            name: name.to_string(),
            class: classify(name),
            extra: Vec::new(),
        };
        let mut r = NameResult::new(entry, answer(&[]), answer(&[]), answer(&[]));
        assert_eq!(r.dns_operators(), None, "not checked");
        r.ns = Some(answer(&[
            "ns1.city.chiyoda.lg.jp.",
            "NS.dns.sakura.ne.jp.",
            "ns2.dns.sakura.ne.jp.",
        ]));
        assert_eq!(
            r.dns_operators().unwrap(),
            vec!["city.chiyoda.lg.jp", "sakura.ne.jp"]
        );
    }
}
