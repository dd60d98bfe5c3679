//! The crawl: for each name of a zone list, MX, apex TXT and `_dmarc` TXT lookups through one
//! shared rate limiter, with bounded concurrency and jittered retries, into one record per name.

mod survey;

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
use crate::policy::dmarc::{self, Discovery, Standard};
use crate::policy::spf::{self, SpfVerdict, TreeVerdict};
use crate::policy::{MxKind, is_dmarc_record, is_spf_record};
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
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            qps: None,
            concurrency: 256,
            retries: 2,
            backoff_ms: 200,
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

    /// Every lookup of the name settled.
    pub fn is_resolved(&self) -> bool {
        [&self.mx, &self.txt, &self.dmarc]
            .iter()
            .all(|p| p.outcome.is_resolved())
    }
}

/// Shared TXT answers remembered at most: providers' SPF records and the `_dmarc` records of
/// public suffixes are asked for by millions of names, while a hostile zone's unique targets
/// must not grow memory without bound.
const TXT_CACHE_ENTRIES: usize = 100_000;

/// Asks the questions: one client, one limiter, the retry policy, and the run-wide cache of
/// the TXT records that names share (SPF include/redirect targets, DMARC tree-walk steps).
/// The cache ignores TTLs: a survey is one snapshot.
pub struct Crawler {
    client: DnsClient,
    limiter: Option<DefaultDirectRateLimiter>,
    opts: CrawlOptions,
    txt_cache: Mutex<HashMap<String, TxtLookup>>,
}

impl TxtSource for Crawler {
    fn txt(&self, name: &str) -> impl std::future::Future<Output = TxtLookup> + Send {
        let name = name.to_string();
        async move {
            if let Some(hit) = self.txt_cache.lock().expect("cache lock").get(&name) {
                return hit.clone();
            }
            let p = self.probe(&name, RecordType::TXT).await;
            let got = match p.outcome {
                Outcome::Answer => TxtLookup::Records(p.records),
                Outcome::NxDomain | Outcome::NoData => TxtLookup::Void,
                // Failures are not cached: the next name may get through.
                _ => return TxtLookup::Failed,
            };
            let mut cache = self.txt_cache.lock().expect("cache lock");
            if cache.len() < TXT_CACHE_ENTRIES {
                cache.insert(name, got.clone());
            }
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
            txt_cache: Mutex::default(),
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

    /// All three lookups of one name, concurrently.
    pub async fn crawl_one(&self, entry: ZoneEntry) -> NameResult {
        let dmarc_name = format!("_dmarc.{}", entry.name);
        let (mx, txt, dmarc) = tokio::join!(
            self.probe(&entry.name, RecordType::MX),
            self.probe(&entry.name, RecordType::TXT),
            self.probe(&dmarc_name, RecordType::TXT),
        );
        let name = entry.name.clone();
        let mut r = NameResult::new(entry, mx, txt, dmarc);
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
