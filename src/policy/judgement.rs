//! Every verdict on one name, made once from what its lookups settled: the ministry's
//! presence flags, the SPF and DMARC readings, the opt-in checks' statuses and the 2025
//! guideline's verdict. The journal keeps the lookups, not this: it is made again when a run
//! is read (so `rejudge` can apply newer rules); results, tables, report and `check` read it.

use serde::{Deserialize, Serialize};

use super::bimi::{self, BimiRecord, BimiStatus};
use super::compliance::{self, Assessment, MailUse};
use super::dmarc::{self, Discovery, DmarcError, DmarcRecord, Policy, Protection, RuaVerdict};
use super::dmarc::{ProblemKind, Standard};
use super::mailhost::{self, Dane, Dkim, HostSeen, Share};
use super::mta_sts::{self, StsMode, StsRecord};
use super::spf::{self, Qualifier, SpfError, SpfVerdict, TreeCost};
use super::tags::Published;
use super::tls_rpt::{self, TlsRptRecord};
use super::transport::{StsOutcome, StsSeen};
use super::{MxKind, Seen, is_dmarc_record, is_spf_record};

crate::codes! {
    /// What the AD bit of the MX reply says (RFC 4035 §3.2.3).
    pub enum Dnssec {
        /// AD set: the resolver validated the answer (or the denial) with DNSSEC.
        Secure => "secure",
        /// AD clear: unsigned, or a resolver that does not validate.
        Insecure => "insecure",
    }
}

/// What the crawl settled for one name: its lookups and what followed from their answers.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub name: &'a str,
    pub mx: Seen<'a>,
    /// The MX lookup said NXDOMAIN: the name does not exist (RFC 9989's `np` applies).
    pub nxdomain: bool,
    /// Apex TXT.
    pub txt: Seen<'a>,
    /// `_dmarc.<name>` TXT.
    pub dmarc: Seen<'a>,
    /// The include/redirect tree of the name's one valid SPF record, where it was followed.
    pub spf_tree: Option<&'a TreeCost>,
    /// Where the DMARC policy that applies was found, per standard; `None` where not searched.
    pub discovery_7489: Option<&'a Discovery>,
    pub discovery_9989: Option<&'a Discovery>,
    pub bimi: Seen<'a>,
    pub mta_sts: Seen<'a>,
    pub tls_rpt: Seen<'a>,
    /// Each external DMARC report destination and whether it authorizes the reports (`None`:
    /// its lookup failed); `None` where the check did not run.
    pub rua: Option<&'a [(String, Option<bool>)]>,
    /// The AD bit of the MX reply where the DNSSEC check ran (`Some(None)`: no reply to read
    /// it from).
    pub ad: Option<Option<bool>>,
    /// The registered domain's DNS operators (each NS host's registered domain, sorted, each
    /// once), where the NS check ran and its lookup settled.
    pub operators: Option<&'a [String]>,
    /// `_domainkey.<name>` where the DKIM check ran: `Some(None)` failed, else whether it
    /// said NXDOMAIN.
    pub dkim_nxdomain: Option<Option<bool>>,
    /// The MX hosts' lookups where the mx-ip, dane or starttls check ran and the MX lookup
    /// settled.
    pub mx_hosts: Option<&'a [HostSeen<'a>]>,
    /// The MTA-STS policy fetched, where the mta-sts-policy check ran and the name's
    /// `_mta-sts` record is valid.
    pub mta_sts_policy: Option<StsSeen<'a>>,
    /// Whether the mta-sts-policy check ran.
    pub mta_sts_checked: bool,
}

/// The rules a judgement is made by, numbered so that a run says which judged it and
/// `mailcensus rejudge` can bring an older run to these: 1, every run before the number was
/// kept; 2 (2026-12), SPF as the RFC 7208 test suite reads it (colons and slashes in a
/// domain-spec, an empty or 64-octet label a syntax error, `%{d}` expanded, an `mx` target
/// of more than ten hosts a permerror) and the address space a record lets in.
pub const JUDGEMENT_RULES: u32 = 2;

/// Every verdict on a name; each `None` (or empty) where a lookup it needs failed or its
/// check did not run: unresolved is never absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    pub mx_kind: Option<MxKind>,
    /// The ministry's "declared": a TXT record that opens as SPF / DMARC (see
    /// [`is_spf_record`], [`is_dmarc_record`]).
    pub has_spf: Option<bool>,
    pub has_dmarc: Option<bool>,
    /// The declared records, as published (strings joined).
    pub spf_records: Vec<String>,
    pub dmarc_records: Vec<String>,
    /// The declared SPF record's error (RFC 7208: several records, syntax, ...).
    pub spf_error: Option<SpfError>,
    /// The `all` qualifier of the one valid SPF record.
    pub spf_all: Option<Qualifier>,
    /// The registered domains the valid SPF record includes or redirects to, its own apart
    /// ([`spf::SpfRecord::providers`]).
    pub spf_providers: Vec<String>,
    pub spf_verdict: Option<SpfVerdict>,
    /// The one DMARC record's `p`.
    pub dmarc_policy: Option<Policy>,
    /// What is wrong in a declared DMARC record, each named once (several records:
    /// `multiple-records`).
    pub dmarc_problems: Vec<ProblemKind>,
    /// The name's own record read under RFC 7489 and RFC 9989.
    pub dmarc_protection: Option<Protection>,
    pub dmarc_protection_9989: Option<Protection>,
    /// The protection that applies after policy discovery, per standard.
    pub dmarc_effective_7489: Option<Protection>,
    pub dmarc_effective_9989: Option<Protection>,
    pub dmarc_rua: Vec<String>,
    /// A report destination outside the name's Organizational Domain (RFC 7489 §7.1).
    pub dmarc_rua_outside: Option<bool>,
    pub dmarc_rua_verified: Option<RuaVerdict>,
    pub dmarc_rua_unauthorized: Vec<String>,
    pub bimi: Option<Published<BimiRecord>>,
    pub bimi_status: Option<BimiStatus>,
    pub mta_sts: Option<Published<StsRecord>>,
    pub tls_rpt: Option<Published<TlsRptRecord>>,
    pub dnssec: Option<Dnssec>,
    /// Each NS host's registered domain, sorted, each once.
    pub dns_operators: Option<Vec<String>>,
    pub dkim: Option<Dkim>,
    /// Over the MX hosts, where the name has some: how many have IPv6, whether one has no
    /// address, and their DANE TLSA records.
    pub mx_ipv6: Option<Share>,
    pub mx_dangling: Option<bool>,
    pub dane: Option<Dane>,
    /// Over the MX hosts, where the starttls check reached them: how many offer STARTTLS,
    /// complete a TLS 1.2+ handshake, present a certificate valid under WebPKI.
    pub mx_starttls: Option<Share>,
    pub mx_tls: Option<Share>,
    pub mx_cert_valid: Option<Share>,
    /// The MTA-STS policy fetch, where the mta-sts-policy check ran on a valid record, and
    /// what the policy says.
    pub mta_sts_policy: Option<StsOutcome>,
    pub mta_sts_mode: Option<StsMode>,
    pub mta_sts_max_age: Option<u32>,
    pub mta_sts_mx_match: Option<Share>,
    /// A sender enforces MTA-STS on the name's mail: a valid record, a policy fetched in mode
    /// `enforce` whose patterns match every MX host. `false` with no valid record or a policy
    /// that fails; `None` where the check did not run or the policy host could not be reached.
    pub mta_sts_enforced: Option<bool>,
    pub mail_use: Option<MailUse>,
    /// The 2025 guideline's verdict and advice.
    pub assessment: Option<Assessment>,
}

impl Judgement {
    pub fn of(e: &Evidence) -> Judgement {
        let mut j = Judgement {
            mx_kind: e.mx.settled().map(MxKind::of),
            ..Judgement::default()
        };
        if let Some(txt) = e.txt.settled() {
            j.spf_records = declared(txt, is_spf_record);
            j.has_spf = Some(!j.spf_records.is_empty());
            let parsed = spf::select(txt).and_then(spf::parse);
            match &parsed {
                Ok(r) => {
                    j.spf_all = r.all();
                    j.spf_providers = r.providers(e.name);
                }
                Err(SpfError::NoRecord) => {}
                Err(err) => j.spf_error = Some(err.clone()),
            }
            j.spf_verdict = Some(SpfVerdict::of(parsed.as_ref(), e.spf_tree));
            j.mail_use = j.mx_kind.map(|mx| MailUse::of(mx, parsed.as_ref().ok()));
        }
        let own = e.dmarc.settled().map(dmarc::read);
        if let (Some(records), Some(own)) = (e.dmarc.settled(), &own) {
            j.dmarc_records = declared(records, is_dmarc_record);
            j.has_dmarc = Some(!j.dmarc_records.is_empty());
            j.dmarc_problems = dmarc::problems(own);
            j.dmarc_protection = Some(dmarc::protection_of(own, Standard::Rfc7489));
            j.dmarc_protection_9989 = Some(dmarc::protection_of(own, Standard::Rfc9989));
            if let Ok(rec) = own {
                j.dmarc_policy = rec.p;
                j.dmarc_rua.clone_from(&rec.rua);
                j.dmarc_rua_outside = Some(dmarc::reports_outside(e.name, &rec.rua));
            }
            let effective =
                |d: Option<&Discovery>, std| d.and_then(|d| d.protection(own, std, !e.nxdomain));
            j.dmarc_effective_7489 = effective(e.discovery_7489, Standard::Rfc7489);
            j.dmarc_effective_9989 = effective(e.discovery_9989, Standard::Rfc9989);
        }
        if let Some(rua) = e.rua {
            j.dmarc_rua_verified = Some(RuaVerdict::of(rua.iter().map(|(_, a)| *a)));
            j.dmarc_rua_unauthorized = rua
                .iter()
                .filter(|(_, a)| *a == Some(false))
                .map(|(h, _)| h.clone())
                .collect();
        }
        j.bimi = e.bimi.settled().map(bimi::read);
        j.bimi_status = j.bimi.as_ref().map(BimiStatus::of);
        j.mta_sts = e.mta_sts.settled().map(mta_sts::read);
        j.tls_rpt = e.tls_rpt.settled().map(tls_rpt::read);
        j.dnssec = e.ad.flatten().map(|ad| match ad {
            true => Dnssec::Secure,
            false => Dnssec::Insecure,
        });
        j.dns_operators = e.operators.map(<[String]>::to_vec);
        j.dkim = e.dkim_nxdomain.flatten().map(Dkim::of);
        if let Some(hosts) = e.mx_hosts.filter(|h| !h.is_empty()) {
            (j.mx_ipv6, j.mx_dangling) = mailhost::addresses(hosts);
            j.dane = mailhost::dane(hosts);
            [j.mx_starttls, j.mx_tls, j.mx_cert_valid] = match mailhost::transport(hosts) {
                Some(shares) => shares.map(Some),
                None => [None; 3],
            };
        }
        if let Some(f) = e.mta_sts_policy {
            j.mta_sts_policy = Some(f.outcome);
            if let Some(p) = f.policy {
                (j.mta_sts_mode, j.mta_sts_max_age) = (Some(p.mode), Some(p.max_age));
            }
            j.mta_sts_mx_match = f.mx_match;
            j.mta_sts_enforced = f.outcome.reached().then(|| f.enforced());
        } else if e.mta_sts_checked {
            // No valid record (or none fetched for want of the host's address lookup).
            j.mta_sts_enforced = match &j.mta_sts {
                Some(Published::Valid(_)) => None,
                Some(_) => Some(false),
                None => None,
            };
        }
        j.assessment = assess(&j, e, own.as_ref());
        j
    }

    /// The verdict of the 2025 guideline, where it could be made.
    pub fn compliance(&self) -> Option<compliance::Verdict> {
        self.assessment.as_ref().map(|a| a.verdict)
    }

    /// The DNS operators joined with `+` (a secondary elsewhere), where there are any.
    pub fn dns_operator(&self) -> Option<String> {
        self.dns_operators
            .as_ref()
            .filter(|o| !o.is_empty())
            .map(|o| o.join("+"))
    }
}

/// The records among `txts` that `is_declared` accepts.
fn declared(txts: &[String], is_declared: fn(&str) -> bool) -> Vec<String> {
    txts.iter().filter(|t| is_declared(t)).cloned().collect()
}

/// The 2025 guideline's verdict: `None` where a lookup it needs failed (MX, TXT, DMARC
/// discovery under RFC 7489, or BIMI when that check ran).
fn assess(
    j: &Judgement,
    e: &Evidence,
    own: Option<&Result<DmarcRecord, DmarcError>>,
) -> Option<Assessment> {
    let protection = e
        .discovery_7489?
        .protection(own?, Standard::Rfc7489, !e.nxdomain)?;
    let bimi = match e.bimi.asked() {
        None => None,
        Some(_) => Some(j.bimi_status?),
    };
    let a = compliance::assess(protection, j.mail_use?, bimi);
    Some(match e.dkim_nxdomain {
        Some(_) => a.with_dkim(j.dkim),
        None => a,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fake::v;

    fn evidence<'a>(mx: &'a [String], txt: &'a [String], dmarc: &'a [String]) -> Evidence<'a> {
        Evidence {
            name: "example.co.jp",
            mx: Seen::Settled(mx),
            nxdomain: false,
            txt: Seen::Settled(txt),
            dmarc: Seen::Settled(dmarc),
            spf_tree: None,
            discovery_7489: Some(&Discovery::Own),
            discovery_9989: Some(&Discovery::Own),
            bimi: Seen::NotAsked,
            mta_sts: Seen::NotAsked,
            tls_rpt: Seen::NotAsked,
            rua: None,
            ad: None,
            operators: None,
            dkim_nxdomain: None,
            mx_hosts: None,
            mta_sts_policy: None,
            mta_sts_checked: false,
        }
    }

    #[test]
    fn judged_from_the_settled_lookups() {
        let (mx, txt, dmarc) = (
            v(&["10 mx.example.co.jp."]),
            v(&["x", "v=spf1 mx -all"]),
            v(&["v=DMARC1; p=quarantine; rua=mailto:r@example.co.jp"]),
        );
        let j = Judgement::of(&evidence(&mx, &txt, &dmarc));
        assert_eq!(j.mx_kind, Some(MxKind::Hosts));
        assert_eq!((j.has_spf, j.has_dmarc), (Some(true), Some(true)));
        assert_eq!(j.spf_records, v(&["v=spf1 mx -all"]));
        assert_eq!(j.spf_all, Some(Qualifier::Fail));
        assert_eq!(j.spf_verdict, Some(SpfVerdict::HardFail));
        assert_eq!(j.dmarc_policy, Some(Policy::Quarantine));
        assert_eq!(j.dmarc_effective_7489, Some(Protection::Quarantine));
        assert_eq!(j.dmarc_rua_outside, Some(false));
        assert_eq!(j.mail_use, Some(MailUse::Mail));
        assert_eq!(
            j.compliance(),
            Some(compliance::Verdict::CompliantWithAdvice)
        );
        assert_eq!(j.bimi, None, "not asked");
    }

    #[test]
    fn a_failed_lookup_leaves_its_verdicts_unknown() {
        let (mx, txt) = (v(&["0 ."]), v(&["v=spf1 -all"]));
        let mut e = evidence(&mx, &txt, &[]);
        e.dmarc = Seen::Failed;
        e.discovery_7489 = None;
        e.bimi = Seen::Failed;
        let j = Judgement::of(&e);
        assert_eq!(j.mail_use, Some(MailUse::NoMail));
        assert_eq!((j.has_dmarc, j.dmarc_protection), (None, None));
        assert_eq!(j.compliance(), None);
        assert_eq!((j.bimi.is_none(), j.bimi_status), (true, None));
        e.txt = Seen::Failed;
        let j = Judgement::of(&e);
        assert_eq!((j.has_spf, j.spf_verdict, j.mail_use), (None, None, None));
    }

    /// What the ministry counts as a declared DMARC record (設定), and how it reads. RFC 7489
    /// §6.4: `dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31` (the tag name
    /// case-insensitive, `DMARC1` exact, white space allowed around `=`), then `dmarc-sep`
    /// (`*WSP ";" *WSP`). A record that opens with the version tag followed by the end, white
    /// space or `;` was meant as DMARC: it is declared, and if the grammar breaks after the
    /// version it is invalid with the problem named, never absent.
    #[test]
    fn declared_dmarc_records_and_their_readings() {
        use Protection::{Absent, Invalid, None as PNone, Reject};
        let mx = v(&["10 mx.example.co.jp."]);
        type Case = (
            &'static str,
            Option<bool>,
            &'static [ProblemKind],
            [Protection; 2],
        );
        let cases: [Case; 8] = [
            // No `;` after the version: nothing after it can be read.
            (
                "v=DMARC1 p=reject",
                Some(true),
                &[ProblemKind::MissingSeparator],
                [Invalid, Invalid],
            ),
            (
                "v=DMARC1 ,p=none",
                Some(true),
                &[ProblemKind::MissingSeparator],
                [Invalid, Invalid],
            ),
            // "v" is case-insensitive (RFC 5234 §2.3 quoted strings).
            ("V=DMARC1; p=reject", Some(true), &[], [Reject, Reject]),
            // No `p`: RFC 7489 §6.6.3 reads no policy without a valid rua; RFC 9989 reads none.
            (
                "v=DMARC1",
                Some(true),
                &[ProblemKind::MissingPolicy],
                [Invalid, PNone],
            ),
            // *WSP around "=" is in the grammar.
            ("v = DMARC1; p=none", Some(true), &[], [PNone, PNone]),
            // Not DMARC: another version, or `v` not the first tag.
            ("v=DMARC10; p=reject", Some(false), &[], [Absent, Absent]),
            ("v=DMARC2; p=reject", Some(false), &[], [Absent, Absent]),
            ("p=none; v=DMARC1", Some(false), &[], [Absent, Absent]),
        ];
        for (record, declared, problems, [p7489, p9989]) in cases {
            let dmarc = v(&[record]);
            let j = Judgement::of(&evidence(&mx, &[], &dmarc));
            assert_eq!(j.has_dmarc, declared, "{record}: declared");
            assert_eq!(j.dmarc_problems, problems, "{record}: problems");
            assert_eq!(
                (j.dmarc_protection, j.dmarc_protection_9989),
                (Some(p7489), Some(p9989)),
                "{record}: protection"
            );
            let records = match declared == Some(true) {
                true => dmarc.clone(),
                false => Vec::new(),
            };
            assert_eq!(j.dmarc_records, records, "{record}: declared records");
        }
    }
}
