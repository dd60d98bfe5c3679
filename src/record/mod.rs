//! What a survey records of each name: the zone fields, every lookup as it settled (or
//! failed), what followed from their answers (the SPF tree, DMARC discovery), and the
//! [`Judgement`] made once from them; and the options a run is made with. The crawl writes
//! these records and the run folder keeps them; neither knows the other.

mod checks;
mod report;

pub use checks::{Check, Checks};
pub use report::NameReport;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::dns::{LookupResult, Outcome};
use crate::policy::Seen;
use crate::policy::dmarc::{Discovery, Standard};
use crate::policy::judgement::{Evidence, Judgement};
use crate::policy::mailhost::HostSeen;
use crate::policy::spf::{TreeCost, TreeVerdict};
use crate::transport::{SmtpProbe, StsFetch, TransportOptions};
use crate::zone::{Classification, GeoForm, JpType, ZoneEntry};

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
    /// Queries a second to one DNS operator at the most, where the zone list's `ns` column
    /// says which serves a name; `None`: no limit of its own.
    #[serde(default)]
    pub operator_qps: Option<u32>,
    /// Names of one DNS operator in flight at the most (fewer while its answers fail).
    #[serde(default = "default_operator_concurrency")]
    pub operator_concurrency: u32,
    /// The survey's own last pass over the names left unresolved; none: no last pass.
    #[serde(default)]
    pub last_pass: Option<LastPass>,
    /// How the starttls and mta-sts-policy checks connect.
    #[serde(default)]
    pub transport: TransportOptions,
}

/// The default `--operator-qps`: a hundred queries a second is nothing to the name servers of
/// even a small provider (one BIND or Knot answers tens of thousands), while the names the
/// largest operators serve then set a run's pace (README: Politeness).
pub const DEFAULT_OPERATOR_QPS: u32 = 100;

fn default_operator_concurrency() -> u32 {
    8
}

/// The last pass: after the whole list, the names whose lookups failed are asked again.
/// The defaults are measured against Unbound (`scripts/resolver-timeouts`): the pause
/// outlasts its 1.9 s `discard-timeout`, so what it dropped is finished or in its cache; the
/// wait a try is longer than the run's for resolvers that answer late instead of dropping
/// (BIND gives up after 10 s).
/// A recursive resolver that is still working on a name through a slow or dead server
/// drops the client's question meanwhile (Unbound after its `discard-timeout`, 1.9 s) and
/// has the answer in its cache a moment later; a pause, then a longer wait, gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPass {
    /// How long to wait after the main pass before asking again.
    pub pause_ms: u64,
    /// How long one attempt of the last pass waits.
    pub timeout_ms: u64,
}

impl Default for LastPass {
    fn default() -> Self {
        LastPass {
            pause_ms: 2_000,
            timeout_ms: 5_000,
        }
    }
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            qps: None,
            concurrency: 256,
            retries: 2,
            backoff_ms: 200,
            checks: Checks::default(),
            operator_qps: Some(DEFAULT_OPERATOR_QPS),
            operator_concurrency: default_operator_concurrency(),
            last_pass: Some(LastPass::default()),
            transport: TransportOptions::default(),
        }
    }
}

/// One lookup of one name as the results keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub outcome: Outcome,
    pub attempts: u32,
    /// Milliseconds from the first attempt to the outcome, backoffs and rate waits included:
    /// how long the name's servers (through the resolver) took to settle it, or to fail.
    pub elapsed_ms: u32,
    pub records: Vec<String>,
    pub cnames: Vec<String>,
    pub detail: Option<String>,
    /// The reply's AD bit, where a reply (over UDP or TCP) settled the lookup.
    pub authentic: Option<bool>,
}

impl Probe {
    pub fn from_result(r: LookupResult, attempts: u32, elapsed: std::time::Duration) -> Probe {
        Probe {
            outcome: r.outcome,
            attempts,
            elapsed_ms: u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX),
            records: r.answer.records,
            cnames: r.answer.cnames,
            detail: r.detail,
            authentic: r.authentic,
        }
    }

    /// `Some(records)` once the lookup settled; `None` when it failed.
    pub fn settled(&self) -> Option<&[String]> {
        self.outcome
            .is_resolved()
            .then_some(self.records.as_slice())
    }

    fn seen(&self) -> Seen<'_> {
        match self.settled() {
            Some(r) => Seen::Settled(r),
            None => Seen::Failed,
        }
    }
}

/// An opt-in lookup as the judgement sees it.
fn seen(p: &Option<Probe>) -> Seen<'_> {
    p.as_ref().map_or(Seen::NotAsked, Probe::seen)
}

/// The DNS operators of a registered domain: each NS host's registered domain (as the zone
/// list's names are registered: ICANN suffixes, `lg.jp` names whole), sorted, each once.
pub(crate) fn operators(hosts: &[String]) -> Vec<String> {
    let mut ops: Vec<String> = hosts
        .iter()
        .map(|h| {
            let h = h.trim_end_matches('.').to_ascii_lowercase();
            crate::zone::registered_domain(&h).to_string()
        })
        .collect();
    ops.sort();
    ops.dedup();
    ops
}

/// The operators of `hosts` as one key: sorted, joined by `+`; none for no host.
fn operator_key(hosts: &[String]) -> Option<String> {
    let ops = operators(hosts);
    (!ops.is_empty()).then(|| ops.join("+"))
}

/// Where a zone list's `ns` column (NS host names of each name) sits among its
/// carried-through columns.
pub fn ns_column(extra_columns: &[String]) -> Option<usize> {
    extra_columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("ns"))
}

/// The operator key of a zone list's `ns` value: NS host names apart by spaces, commas,
/// semicolons or bars.
fn listed_operator(ns: &str) -> Option<String> {
    let hosts: Vec<String> = ns
        .split([' ', ',', ';', '|', '\t'])
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect();
    operator_key(&hosts)
}

/// `ns` values parsed into operator keys once each, however many names share a set of name
/// servers; at most [`LISTED_KEPT`] values are remembered, so that a list where every name
/// has servers of its own keeps memory bounded.
#[derive(Default)]
pub struct ListedOperators(foldhash::HashMap<String, Option<Arc<str>>>);

const LISTED_KEPT: usize = 65_536;

impl ListedOperators {
    pub fn of(&mut self, ns: &str) -> Option<Arc<str>> {
        if let Some(k) = self.0.get(ns) {
            return k.clone();
        }
        let k: Option<Arc<str>> = listed_operator(ns).map(Into::into);
        if self.0.len() < LISTED_KEPT {
            self.0.insert(ns.to_string(), k.clone());
        }
        k
    }
}

/// One external DMARC report destination asked whether it accepts the name's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuaCheck {
    pub host: String,
    pub outcome: Outcome,
    /// `None` where the lookup failed.
    pub authorized: Option<bool>,
}

/// One MX host's lookups, each `None` where its check did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// Lower-case, without the final dot.
    pub host: String,
    pub a: Option<Probe>,
    pub aaaa: Option<Probe>,
    /// `_25._tcp.<host>` TLSA.
    pub tlsa: Option<Probe>,
    /// What the host said over SMTP, where the starttls check ran (once per run per host).
    pub smtp: Option<SmtpProbe>,
}

impl MxHost {
    fn seen(&self) -> HostSeen<'_> {
        HostSeen {
            a: seen(&self.a),
            aaaa: seen(&self.aaaa),
            tlsa: seen(&self.tlsa),
            tlsa_ad: self.tlsa.as_ref().and_then(|p| p.authentic),
            smtp: self.smtp.as_ref().map(SmtpProbe::seen),
        }
    }
}

/// Everything learnt about one name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameResult {
    pub line: u64,
    pub input: String,
    pub name: String,
    pub registered_domain: String,
    pub jp_type: JpType,
    pub geo_form: Option<GeoForm>,
    pub prefecture: Option<u8>,
    pub lgcode: Option<String>,
    pub extra: Vec<String>,
    pub mx: Probe,
    pub txt: Probe,
    pub dmarc: Probe,
    /// The opt-in lookups, each `None` where its check did not run: `default._bimi`,
    /// `_mta-sts` and `_smtp._tls` TXT, and the registered domain's NS.
    pub bimi: Option<Probe>,
    pub mta_sts: Option<Probe>,
    pub tls_rpt: Option<Probe>,
    pub ns: Option<Probe>,
    /// `_domainkey.<name>` TXT, where the DKIM check ran.
    pub dkim: Option<Probe>,
    /// The MX hosts' lookups, where the mx-ip, dane or starttls check ran and the MX lookup
    /// settled.
    pub mx_hosts: Option<Vec<MxHost>>,
    /// Where the mta-sts-policy check ran and the name publishes a valid `_mta-sts` record:
    /// the A lookup of `mta-sts.<name>`, then the policy fetched from it (where that lookup
    /// settled).
    pub mta_sts_host: Option<Probe>,
    pub mta_sts_policy: Option<StsFetch>,
    /// Whether the mta-sts-policy check ran.
    pub mta_sts_checked: bool,
    /// RFC 7489 §7.1 verification of each external report destination, where the check ran
    /// and the name's own `_dmarc` lookup settled.
    pub rua_checks: Option<Vec<RuaCheck>>,
    /// Whether the DNSSEC check ran (it reads the MX reply's AD bit).
    pub dnssec_checked: bool,
    /// The include/redirect tree of the one valid SPF record, followed.
    pub spf_tree: Option<TreeCost>,
    /// Where the DMARC policy that applies was found under RFC 7489 (Organizational Domain)
    /// and RFC 9989 (DNS Tree Walk); `None` where the name's own `_dmarc` lookup failed.
    pub dmarc_7489: Option<Discovery>,
    pub dmarc_9989: Option<Discovery>,
    /// Every verdict, made by [`NameResult::judge`] when the lookups are done. Not journaled:
    /// the journal keeps what the DNS said, and its reader judges again (a pure function of
    /// the lookups), which spares the crawl a quarter of the journal's encoding.
    #[serde(skip)]
    pub judgement: Judgement,
}

impl NameResult {
    /// The record of a name whose three lookups are done; the rest is filled in by the crawl,
    /// which then calls [`NameResult::judge`].
    pub fn new(e: ZoneEntry, mx: Probe, txt: Probe, dmarc: Probe) -> NameResult {
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
            bimi: None,
            mta_sts: None,
            tls_rpt: None,
            ns: None,
            dkim: None,
            mx_hosts: None,
            mta_sts_host: None,
            mta_sts_policy: None,
            mta_sts_checked: false,
            rua_checks: None,
            dnssec_checked: false,
            spf_tree: None,
            dmarc_7489: None,
            dmarc_9989: None,
            judgement: Judgement::default(),
        }
    }

    /// Make the judgement from the lookups, when they are all done (and again, the same, when
    /// the journal is read).
    pub fn judge(&mut self) {
        let operators = self.ns.as_ref().and_then(Probe::settled).map(operators);
        let rua: Option<Vec<(String, Option<bool>)>> = self
            .rua_checks
            .as_ref()
            .map(|cs| cs.iter().map(|c| (c.host.clone(), c.authorized)).collect());
        let hosts: Option<Vec<HostSeen>> = self
            .mx_hosts
            .as_ref()
            .map(|hs| hs.iter().map(MxHost::seen).collect());
        let evidence = Evidence {
            name: &self.name,
            mx: self.mx.seen(),
            nxdomain: self.mx.outcome == Outcome::NxDomain,
            txt: self.txt.seen(),
            dmarc: self.dmarc.seen(),
            spf_tree: self.spf_tree.as_ref(),
            discovery_7489: self.dmarc_7489.as_ref(),
            discovery_9989: self.dmarc_9989.as_ref(),
            bimi: seen(&self.bimi),
            mta_sts: seen(&self.mta_sts),
            tls_rpt: seen(&self.tls_rpt),
            rua: rua.as_deref(),
            ad: self.dnssec_checked.then(|| {
                self.mx
                    .outcome
                    .is_resolved()
                    .then_some(self.mx.authentic)
                    .flatten()
            }),
            operators: operators.as_deref(),
            dkim_nxdomain: self.dkim.as_ref().map(|p| {
                p.outcome
                    .is_resolved()
                    .then_some(p.outcome == Outcome::NxDomain)
            }),
            mx_hosts: hosts.as_deref(),
            mta_sts_policy: self.mta_sts_policy.as_ref().map(StsFetch::seen),
            mta_sts_checked: self.mta_sts_checked,
        };
        self.judgement = Judgement::of(&evidence);
    }

    /// The zone entry this row was crawled from, to crawl it again.
    pub fn entry(&self) -> ZoneEntry {
        ZoneEntry {
            line: self.line,
            input: self.input.clone(),
            name: self.name.clone(),
            class: Classification {
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

    /// The lookups, the opt-in ones included, by the names the manifest counts them under.
    pub fn lookups(&self) -> impl Iterator<Item = (&'static str, Outcome)> + '_ {
        self.probes()
            .map(|(k, p)| (k, p.outcome))
            .chain(self.rua_checks.iter().flatten().map(|c| ("rua", c.outcome)))
    }

    /// How many of the lookups kept whole took more than one attempt.
    pub fn retried_lookups(&self) -> u64 {
        self.probes().filter(|(_, p)| p.attempts > 1).count() as u64
    }

    /// The lookups kept whole (all but the report destinations'), the opt-in ones where their
    /// check ran.
    pub fn probes<'a>(&'a self) -> impl Iterator<Item = (&'static str, &'a Probe)> + 'a {
        let checks = [
            ("bimi", &self.bimi),
            ("mta_sts", &self.mta_sts),
            ("tls_rpt", &self.tls_rpt),
            ("ns", &self.ns),
            ("dkim", &self.dkim),
            ("mta_sts_host", &self.mta_sts_host),
        ];
        let asked = |(k, p): (&'static str, &'a Option<Probe>)| Some((k, p.as_ref()?));
        [("mx", &self.mx), ("txt", &self.txt), ("dmarc", &self.dmarc)]
            .into_iter()
            .chain(checks.into_iter().filter_map(asked))
            .chain(self.mx_hosts.iter().flatten().flat_map(move |h| {
                [("mx_a", &h.a), ("mx_aaaa", &h.aaaa), ("tlsa", &h.tlsa)]
                    .into_iter()
                    .filter_map(asked)
            }))
    }

    /// The lookups that followed the name's answers and failed, by the measure they leave
    /// unknown: `spf_tree` (an include, redirect, `a`, `mx` or `exists` target of the SPF
    /// record) and `dmarc_discovery` (an ancestor's `_dmarc` under RFC 7489 or RFC 9989).
    pub fn followed_failures(&self) -> impl Iterator<Item = &'static str> {
        let tree = self
            .spf_tree
            .is_some_and(|t| t.verdict == TreeVerdict::TempError);
        let discovery = [&self.dmarc_7489, &self.dmarc_9989]
            .iter()
            .any(|d| matches!(d, Some(Discovery::Failed)));
        [("spf_tree", tree), ("dmarc_discovery", discovery)]
            .into_iter()
            .filter_map(|(measure, failed)| failed.then_some(measure))
    }

    /// Every lookup of the name settled, the opt-in ones and those that followed its answers
    /// included: a failure anywhere is never a verdict, and the last pass and
    /// `--retry-unresolved` ask the name again.
    pub fn is_resolved(&self) -> bool {
        self.lookups().all(|(_, o)| o.is_resolved()) && self.followed_failures().next().is_none()
    }

    /// Unresolved, and every failed lookup ended in silence (a timeout), never an answer.
    pub fn met_silence(&self) -> bool {
        let mut failed = self.lookups().filter(|(_, o)| !o.is_resolved()).peekable();
        failed.peek().is_some() && failed.all(|(_, o)| o == Outcome::Timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;

    #[test]
    fn operators_are_the_ns_hosts_registered_domains() {
        let hosts = v(&[
            "ns1.city.chiyoda.lg.jp.",
            "NS.dns.sakura.ne.jp.",
            "ns2.dns.sakura.ne.jp.",
        ]);
        assert_eq!(
            operators(&hosts),
            vec!["city.chiyoda.lg.jp", "sakura.ne.jp"]
        );
    }
}
