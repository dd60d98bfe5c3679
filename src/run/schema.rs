//! The results schema, declared once: every column of `results.parquet` with its type, the
//! schema version that added it, what it means and how it is filled from a [`NameResult`].
//! The writer builds its frames from this list, the tables and the report name their columns
//! through it, the reserved names and the README's column list come from it.

use crate::code::Code;
use crate::dns::Outcome;
use crate::policy::MxKind;
use crate::policy::bimi::BimiStatus;
use crate::policy::compliance::{Advice, Item, MailUse, Verdict};
use crate::policy::dmarc::{Policy, ProblemKind, Protection, RuaVerdict, Source, Standard};
use crate::policy::judgement::Dnssec;
use crate::policy::mailhost::{Dane, Dkim, Share};
use crate::policy::mta_sts::StsMode;
use crate::policy::spf::{Permissive, Qualifier, SpfErrorKind, SpfVerdict, TreeVerdict};
use crate::policy::tags::{Published, Status};
use crate::record::{NameResult, Probe};
use crate::transport::{CertVerdict, SmtpOutcome, StsOutcome};
use crate::zone::{GeoForm, JpType, refdata};

/// The schema version this build writes. Each column says which version added it; a results
/// file holds every column up to its own version.
pub const SCHEMA_VERSION: u32 = 9;

/// How a column is filled from a name's record, which also fixes its type.
#[derive(Clone, Copy)]
pub enum Fill {
    Text(for<'a> fn(&'a NameResult) -> Option<&'a str>),
    /// Text made for the column (not stored as such in the record).
    Made(fn(&NameResult) -> Option<String>),
    /// One of the codes of a [`Code`] enum.
    Code(
        &'static [&'static str],
        fn(&NameResult) -> Option<&'static str>,
    ),
    Flag(fn(&NameResult) -> Option<bool>),
    Count(fn(&NameResult) -> Option<u32>),
    /// A count past u32 (address space).
    Size(fn(&NameResult) -> Option<u64>),
    /// Days, negative in the past.
    Days(fn(&NameResult) -> Option<i32>),
    Line(fn(&NameResult) -> u64),
    /// A list of text; empty (not null) where there is nothing.
    List(for<'a> fn(&'a NameResult) -> Vec<&'a str>),
    /// A list of codes of a [`Code`] enum.
    CodeList(
        &'static [&'static str],
        fn(&NameResult) -> Vec<&'static str>,
    ),
}

impl Fill {
    /// The type as the README and `mailcensus columns` name it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Fill::Text(_) | Fill::Made(_) => "text",
            Fill::Code(..) => "code",
            Fill::Flag(_) => "bool",
            Fill::Count(_) => "u32",
            Fill::Days(_) => "i32",
            Fill::Size(_) | Fill::Line(_) => "u64",
            Fill::List(_) => "list of text",
            Fill::CodeList(..) => "list of codes",
        }
    }

    /// The Polars type the column is written with.
    pub fn dtype(&self) -> polars::prelude::DataType {
        use polars::prelude::DataType;
        match self {
            Fill::Text(_) | Fill::Made(_) | Fill::Code(..) => DataType::String,
            Fill::Flag(_) => DataType::Boolean,
            Fill::Count(_) => DataType::UInt32,
            Fill::Days(_) => DataType::Int32,
            Fill::Size(_) | Fill::Line(_) => DataType::UInt64,
            Fill::List(_) | Fill::CodeList(..) => DataType::List(Box::new(DataType::String)),
        }
    }

    /// The codes a code column may hold.
    pub fn codes(&self) -> Option<&'static [&'static str]> {
        match self {
            Fill::Code(codes, _) | Fill::CodeList(codes, _) => Some(codes),
            _ => None,
        }
    }
}

/// One column of `results.parquet`.
pub struct Column {
    pub name: &'static str,
    /// The schema version that added it.
    pub since: u32,
    pub meaning: &'static str,
    pub fill: Fill,
}

impl Column {
    /// The column's codes as the code enum `T` spells them; panics where the column holds
    /// another enum's codes (a programming error the table tests catch).
    pub fn codes_of<T: Code>(&self, values: &[T]) -> Vec<&'static str> {
        assert!(
            self.fill.codes() == Some(T::CODES),
            "column {} does not hold these codes",
            self.name
        );
        values.iter().map(|v| v.code()).collect()
    }
}

fn code<T: Code>(v: Option<T>) -> Option<&'static str> {
    v.map(T::code)
}

fn codes<T: Code>(v: &[T]) -> Vec<&'static str> {
    v.iter().map(|c| c.code()).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn outcome(p: &Option<Probe>) -> Option<&'static str> {
    p.as_ref().map(|p| p.outcome.code())
}

fn status<R>(p: &Option<Published<R>>) -> Option<&'static str> {
    code(p.as_ref().map(Published::status))
}

fn source(r: &NameResult, std: Standard) -> Option<&'static str> {
    code(r.discovery(std).map(|d| d.source()))
}

fn inherited(r: &NameResult, std: Standard) -> Option<&str> {
    r.discovery(std).and_then(|d| d.inherited_from())
}

fn prefecture(r: &NameResult) -> Option<&'static crate::zone::Prefecture> {
    r.prefecture.and_then(|c| refdata().prefecture(c))
}

macro_rules! column {
    ($name:expr, $since:literal, $fill:expr, $meaning:expr) => {
        Column {
            name: $name,
            since: $since,
            meaning: $meaning,
            fill: $fill,
        }
    };
}

macro_rules! probe_columns {
    ($p:ident, $out:literal, $att:literal, $ans:literal, $what:literal) => {
        [
            column!(
                $out,
                1,
                Fill::Code(Outcome::CODES, |r| Some(r.$p.outcome.code())),
                concat!("how the ", $what, " lookup ended (`answer`, `nxdomain` and `nodata` settle it; the rest are failures after retries)")
            ),
            column!(
                $att,
                1,
                Fill::Count(|r| Some(r.$p.attempts)),
                concat!("attempts the ", $what, " lookup took")
            ),
            column!(
                $ans,
                1,
                Fill::List(|r| strs(&r.$p.records)),
                concat!("the ", $what, " answer's records in presentation form (TXT strings joined, RFC 7208 §3.3)")
            ),
        ]
    };
}

pub const LINE: Column = column!("line", 1, Fill::Line(|r| r.line), "the zone list's line");
pub const INPUT: Column = column!(
    "input",
    1,
    Fill::Text(|r| Some(&r.input)),
    "the name as the list wrote it"
);
pub const NAME: Column = column!(
    "name",
    1,
    Fill::Text(|r| Some(&r.name)),
    "the name normalised (lower case, A-labels, no trailing dot)"
);
pub const REGISTERED_DOMAIN: Column = column!(
    "registered_domain",
    1,
    Fill::Text(|r| Some(&r.registered_domain)),
    "the registered domain (the ICANN section of the Public Suffix List; `lg.jp` names whole)"
);
pub const JP_TYPE: Column = column!(
    "jp_type",
    1,
    Fill::Code(JpType::CODES, |r| Some(r.jp_type.code())),
    "JP registration type (`OTHER`: outside .jp)"
);
pub const GEO_FORM: Column = column!(
    "geo_form",
    1,
    Fill::Code(GeoForm::CODES, |r| code(r.geo_form)),
    "of a geographic name: `old` or `prefecture` type"
);
pub const PREFECTURE_CODE: Column = column!(
    "prefecture_code",
    1,
    Fill::Count(|r| r.prefecture.map(u32::from)),
    "JIS X 0401 code of the prefecture"
);
pub const PREFECTURE: Column = column!(
    "prefecture",
    1,
    Fill::Text(|r| prefecture(r).map(|p| p.name_ja.as_str())),
    "the prefecture's name"
);
pub const REGION: Column = column!(
    "region",
    1,
    Fill::Text(|r| prefecture(r).map(|p| p.region.name_ja())),
    "the prefecture's region"
);
pub const LGCODE: Column = column!(
    "lgcode",
    1,
    Fill::Text(|r| r.lgcode.as_deref()),
    "local-government code, where the name is one of the 1,788"
);
pub const CENTRAL_GOVERNMENT: Column = column!(
    "central_government",
    4,
    Fill::Flag(|r| Some(refdata().is_central_government(&r.registered_domain))),
    "the registered domain is one of the central government's 40 bodies"
);

pub const MX_LOOKUP: [Column; 3] =
    probe_columns!(mx, "mx_outcome", "mx_attempts", "mx_answers", "MX");
pub const TXT_LOOKUP: [Column; 3] = probe_columns!(
    txt,
    "txt_outcome",
    "txt_attempts",
    "txt_answers",
    "apex TXT"
);
pub const DMARC_LOOKUP: [Column; 3] = probe_columns!(
    dmarc,
    "dmarc_outcome",
    "dmarc_attempts",
    "dmarc_answers",
    "`_dmarc` TXT"
);

/// How long a lookup took, in milliseconds.
macro_rules! elapsed_column {
    ($p:ident, $name:literal, $what:literal) => {
        column!(
            $name,
            7,
            Fill::Count(|r| Some(r.$p.elapsed_ms)),
            concat!("milliseconds the ", $what, " lookup took, from its first attempt to its outcome (retries, backoffs and rate waits included)")
        )
    };
}

pub const MX_MS: Column = elapsed_column!(mx, "mx_ms", "MX");
pub const TXT_MS: Column = elapsed_column!(txt, "txt_ms", "apex TXT");
pub const DMARC_MS: Column = elapsed_column!(dmarc, "dmarc_ms", "`_dmarc` TXT");

pub const MX_KIND: Column = column!(
    "mx_kind",
    1,
    Fill::Code(MxKind::CODES, |r| code(r.judgement.mx_kind)),
    "what the MX answer says (`null`: RFC 7505 null MX)"
);
pub const HAS_MX: Column = column!(
    "has_mx",
    1,
    Fill::Flag(|r| r.judgement.mx_kind.map(MxKind::has_hosts)),
    "some host accepts mail (a null MX is not MX); null where the lookup failed"
);
pub const NULL_MX: Column = column!(
    "null_mx",
    1,
    Fill::Flag(|r| r.judgement.mx_kind.map(|k| k == MxKind::Null)),
    "the name says it takes no mail (RFC 7505); null where the lookup failed"
);
pub const HAS_SPF: Column = column!(
    "has_spf",
    1,
    Fill::Flag(|r| r.judgement.has_spf),
    "an apex TXT record declares SPF (see Declared records); null where the lookup failed"
);
pub const HAS_DMARC: Column = column!(
    "has_dmarc",
    1,
    Fill::Flag(|r| r.judgement.has_dmarc),
    "a `_dmarc` TXT record declares DMARC (see Declared records); null where the lookup failed"
);
pub const SPF_ERROR: Column = column!(
    "spf_error",
    2,
    Fill::Code(SpfErrorKind::CODES, |r| code(
        r.judgement.spf_error.as_ref().map(|e| e.kind())
    )),
    "why the declared SPF is no policy (RFC 7208 §4.5, §4.6, §6)"
);
pub const SPF_ALL: Column = column!(
    "spf_all",
    2,
    Fill::Code(Qualifier::CODES, |r| code(r.judgement.spf_all)),
    "the qualifier of the valid SPF record's `all`"
);
pub const DMARC_POLICY: Column = column!(
    "dmarc_policy",
    2,
    Fill::Code(Policy::CODES, |r| code(r.judgement.dmarc_policy)),
    "the DMARC record's `p`"
);
pub const DMARC_PROBLEMS: Column = column!(
    "dmarc_problems",
    5,
    Fill::CodeList(ProblemKind::CODES, |r| codes(&r.judgement.dmarc_problems)),
    "what is wrong in the declared DMARC records, each kind once (`unknown-tag` only noted: RFC 7489 §6.3 ignores unknown tags)"
);
pub const DMARC_RUA: Column = column!(
    "dmarc_rua",
    3,
    Fill::List(|r| strs(&r.judgement.dmarc_rua)),
    "the aggregate report URIs"
);
pub const DMARC_RUA_OUTSIDE: Column = column!(
    "dmarc_rua_outside",
    3,
    Fill::Flag(|r| r.judgement.dmarc_rua_outside),
    "a report destination outside the name's Organizational Domain (the ones RFC 7489 §7.1 asks to verify)"
);
pub const DMARC_PROTECTION: Column = column!(
    "dmarc_protection",
    2,
    Fill::Code(Protection::CODES, |r| code(r.judgement.dmarc_protection)),
    "the name's own record read per RFC 7489; null where the lookup failed"
);
pub const DMARC_PROTECTION_9989: Column = column!(
    "dmarc_protection_9989",
    2,
    Fill::Code(Protection::CODES, |r| code(
        r.judgement.dmarc_protection_9989
    )),
    "the same read per RFC 9989 (no `pct`, `t=y` testing, missing `p` read as none)"
);
pub const DMARC_SOURCE_7489: Column = column!(
    "dmarc_source_7489",
    2,
    Fill::Code(Source::CODES, |r| source(r, Standard::Rfc7489)),
    "where RFC 7489 found the policy that applies (`inherited`: the Organizational Domain's)"
);
pub const DMARC_INHERITED_FROM_7489: Column = column!(
    "dmarc_inherited_from_7489",
    2,
    Fill::Text(|r| inherited(r, Standard::Rfc7489)),
    "the Organizational Domain whose record applies (Public Suffix List)"
);
pub const DMARC_EFFECTIVE_7489: Column = column!(
    "dmarc_effective_7489",
    2,
    Fill::Code(Protection::CODES, |r| code(
        r.judgement.dmarc_effective_7489
    )),
    "the protection that applies under RFC 7489 (an inherited record's `sp`)"
);
pub const DMARC_SOURCE_9989: Column = column!(
    "dmarc_source_9989",
    2,
    Fill::Code(Source::CODES, |r| source(r, Standard::Rfc9989)),
    "where RFC 9989's DNS Tree Walk found the policy that applies"
);
pub const DMARC_INHERITED_FROM_9989: Column = column!(
    "dmarc_inherited_from_9989",
    2,
    Fill::Text(|r| inherited(r, Standard::Rfc9989)),
    "the first ancestor with one DMARC record (at most 8 queries)"
);
pub const DMARC_EFFECTIVE_9989: Column = column!(
    "dmarc_effective_9989",
    2,
    Fill::Code(Protection::CODES, |r| code(
        r.judgement.dmarc_effective_9989
    )),
    "the protection that applies under RFC 9989 (`np` for a name that does not exist)"
);
pub const SPF_DNS_TERMS: Column = column!(
    "spf_dns_terms",
    2,
    Fill::Count(|r| r.spf_tree.map(|t| t.dns_terms)),
    "DNS-querying terms over the SPF record's include/redirect tree (RFC 7208 §4.6.4: at most 10)"
);
pub const SPF_VOID_LOOKUPS: Column = column!(
    "spf_void_lookups",
    5,
    Fill::Count(|r| r.spf_tree.map(|t| t.void_lookups)),
    "lookups of the tree's include, redirect, `a`, `mx` and `exists` targets that found nothing (§4.6.4: at most 2)"
);
pub const SPF_TREE: Column = column!(
    "spf_tree",
    2,
    Fill::Code(TreeVerdict::CODES, |r| code(r.spf_tree.map(|t| t.verdict))),
    "how the include/redirect tree came out (RFC 7208 §4.6.4, §5.2, §6.1)"
);
pub const SPF_IPV4_ADDRESSES: Column = column!(
    "spf_ipv4_addresses",
    8,
    Fill::Size(|r| r.spf_tree.and_then(|t| t.ipv4_addresses)),
    "IPv4 addresses the SPF record lets pass (the exact size of the union of its `ip4`, `a` and `mx` targets' addresses and its includes' and redirect's, the first match deciding, RFC 7208 §4.6.2); null unless the tree came out `ok` with every target's addresses in hand"
);
pub const SPF_IPV6_64S: Column = column!(
    "spf_ipv6_64s",
    8,
    Fill::Size(|r| r.spf_tree.and_then(|t| t.ipv6_64s)),
    "IPv6 /64s the SPF record lets pass (a block of /64 or longer counts as its /64; all 2^64 read 18446744073709551615); null as `spf_ipv4_addresses`"
);
pub const SPF_PERMISSIVE: Column = column!(
    "spf_permissive",
    8,
    Fill::CodeList(Permissive::CODES, |r| {
        r.spf_tree.map_or_else(Vec::new, |t| codes(&t.permissive()))
    }),
    "how the SPF record lets in more than its senders: `pass-all` (`+all`), `neutral-all` (`?all`), `no-all` (no `all` nor `redirect`: neutral, §4.7), `ptr` (§5.5: SHOULD NOT be used), `wide-ip4` (a run of more than 16,777,216 addresses, a /8), `over-65536` and `over-16m` (addresses in all); empty where the record is invalid or has no tree"
);
pub const SPF_PROVIDERS: Column = column!(
    "spf_providers",
    8,
    Fill::List(|r| strs(&r.judgement.spf_providers)),
    "the registered domains the valid SPF record includes or redirects to (`%{d}` expanded), the name's own apart: who else may send for it"
);
pub const SPF_VERDICT: Column = column!(
    "spf_verdict",
    2,
    Fill::Code(SpfVerdict::CODES, |r| code(r.judgement.spf_verdict)),
    "the name's SPF in one word, from its `all` (or its redirect's) and its tree; `temperror` where a lookup of the tree failed: no verdict, so the name counts as unresolved (the tables, the manifest) and is asked again by the last pass and `--retry-unresolved`"
);
pub const SPF_RECORDS: Column = column!(
    "spf_records",
    1,
    Fill::List(|r| strs(&r.judgement.spf_records)),
    "the declared SPF records"
);
pub const DMARC_RECORDS: Column = column!(
    "dmarc_records",
    1,
    Fill::List(|r| strs(&r.judgement.dmarc_records)),
    "the declared DMARC records"
);
pub const BIMI_OUTCOME: Column = column!(
    "bimi_outcome",
    4,
    Fill::Code(Outcome::CODES, |r| outcome(&r.bimi)),
    "how the `default._bimi` TXT lookup ended (null: not checked)"
);
pub const BIMI: Column = column!(
    "bimi",
    4,
    Fill::Code(BimiStatus::CODES, |r| code(r.judgement.bimi_status)),
    "the BIMI record (`logo-evidence`: with a VMC; `declined`: empty `l=`)"
);
pub const BIMI_LOGO: Column = column!(
    "bimi_logo",
    4,
    Fill::Text(|r| r.judgement.bimi.as_ref()?.valid()?.logo.as_deref()),
    "the BIMI logo's URI"
);
pub const BIMI_AUTHORITY: Column = column!(
    "bimi_authority",
    4,
    Fill::Text(|r| r.judgement.bimi.as_ref()?.valid()?.authority.as_deref()),
    "the BIMI evidence document's URI"
);
pub const MTA_STS_OUTCOME: Column = column!(
    "mta_sts_outcome",
    4,
    Fill::Code(Outcome::CODES, |r| outcome(&r.mta_sts)),
    "how the `_mta-sts` TXT lookup ended"
);
pub const MTA_STS: Column = column!(
    "mta_sts",
    4,
    Fill::Code(Status::CODES, |r| status(&r.judgement.mta_sts)),
    "the MTA-STS record (RFC 8461 §3.1)"
);
pub const MTA_STS_ID: Column = column!(
    "mta_sts_id",
    4,
    Fill::Text(|r| Some(r.judgement.mta_sts.as_ref()?.valid()?.id.as_str())),
    "the MTA-STS policy id"
);
pub const TLS_RPT_OUTCOME: Column = column!(
    "tls_rpt_outcome",
    4,
    Fill::Code(Outcome::CODES, |r| outcome(&r.tls_rpt)),
    "how the `_smtp._tls` TXT lookup ended"
);
pub const TLS_RPT: Column = column!(
    "tls_rpt",
    4,
    Fill::Code(Status::CODES, |r| status(&r.judgement.tls_rpt)),
    "the TLS-RPT record (RFC 8460 §3)"
);
pub const TLS_RPT_RUA: Column = column!(
    "tls_rpt_rua",
    4,
    Fill::List(|r| {
        let rpt = r.judgement.tls_rpt.as_ref().and_then(Published::valid);
        rpt.map_or_else(Vec::new, |t| strs(&t.rua))
    }),
    "the TLS-RPT report URIs"
);
pub const DMARC_RUA_VERIFIED: Column = column!(
    "dmarc_rua_verified",
    4,
    Fill::Code(RuaVerdict::CODES, |r| code(r.judgement.dmarc_rua_verified)),
    "RFC 7489 §7.1 verification of the external report destinations"
);
pub const DMARC_RUA_UNAUTHORIZED: Column = column!(
    "dmarc_rua_unauthorized",
    4,
    Fill::List(|r| strs(&r.judgement.dmarc_rua_unauthorized)),
    "the external destinations that do not accept the reports"
);
pub const DNSSEC: Column = column!(
    "dnssec",
    4,
    Fill::Code(Dnssec::CODES, |r| code(r.judgement.dnssec)),
    "the AD bit of the MX reply (null: not checked, or no reply to read it from)"
);
pub const NS_OUTCOME: Column = column!(
    "ns_outcome",
    4,
    Fill::Code(Outcome::CODES, |r| outcome(&r.ns)),
    "how the registered domain's NS lookup ended"
);
pub const NS_HOSTS: Column = column!(
    "ns_hosts",
    4,
    Fill::List(|r| r.ns.as_ref().map_or_else(Vec::new, |p| strs(&p.records))),
    "the registered domain's name servers"
);
pub const DNS_OPERATOR: Column = column!(
    "dns_operator",
    4,
    Fill::Made(|r| r.judgement.dns_operator()),
    "the NS hosts' registered domains joined with `+`"
);
pub const DKIM_OUTCOME: Column = column!(
    "dkim_outcome",
    6,
    Fill::Code(Outcome::CODES, |r| outcome(&r.dkim)),
    "how the `_domainkey` TXT lookup ended (null: not checked)"
);
pub const DKIM: Column = column!(
    "dkim",
    6,
    Fill::Code(Dkim::CODES, |r| code(r.judgement.dkim)),
    "DKIM keys below `_domainkey` (`present`: NOERROR, an empty non-terminal included; `absent`: NXDOMAIN); a lower bound"
);
pub const MX_HOSTS: Column = column!(
    "mx_hosts",
    6,
    Fill::List(|r| {
        let hosts = r.mx_hosts.iter().flatten();
        hosts.map(|h| h.host.as_str()).collect()
    }),
    "the MX hosts asked about by the mx-ip, dane and starttls checks (at most 10, in preference order)"
);
pub const MX_IPV6: Column = column!(
    "mx_ipv6",
    6,
    Fill::Code(Share::CODES, |r| code(r.judgement.mx_ipv6)),
    "how many MX hosts have an AAAA record"
);
pub const MX_DANGLING: Column = column!(
    "mx_dangling",
    6,
    Fill::Flag(|r| r.judgement.mx_dangling),
    "an MX host with neither A nor AAAA (NXDOMAIN or no data)"
);
pub const DANE: Column = column!(
    "dane",
    6,
    Fill::Code(Dane::CODES, |r| code(r.judgement.dane)),
    "the MX hosts' `_25._tcp` TLSA records as an SMTP client reads them (RFC 7672; AD required); with the starttls check, `valid` only where a record matches the chain each host presented, `mismatch` where one does not, null where a host with records could not be reached"
);
pub const TLSA_RECORDS: Column = column!(
    "tlsa_records",
    6,
    Fill::List(|r| {
        let tlsa = r.mx_hosts.iter().flatten().filter_map(|h| h.tlsa.as_ref());
        tlsa.flat_map(|p| strs(&p.records)).collect()
    }),
    "the MX hosts' TLSA records (`usage selector matching data`)"
);
pub const NO_MAIL: Column = column!(
    "no_mail",
    4,
    Fill::Flag(|r| r.judgement.mail_use.map(|m| m == MailUse::NoMail)),
    "null MX or no MX, and an SPF record that lets no host pass: a domain that sends no mail"
);
pub const COMPLIANCE: Column = column!(
    "compliance",
    4,
    Fill::Code(Verdict::CODES, |r| code(r.judgement.compliance())),
    "the 2025 guideline's verdict (null where a lookup it needs failed)"
);
pub const COMPLIANCE_ADVICE: Column = column!(
    "compliance_advice",
    4,
    Fill::CodeList(Advice::CODES, |r| {
        r.judgement
            .assessment
            .as_ref()
            .map_or_else(Vec::new, |a| codes(&a.advice))
    }),
    "what the guideline still asks of the name"
);
pub const COMPLIANCE_DKIM: Column = column!(
    "compliance_dkim",
    6,
    Fill::Code(Item::CODES, |r| {
        code(r.judgement.assessment.as_ref().and_then(|a| a.dkim))
    }),
    "the guideline's DKIM item (SPF, DKIM and DMARC together), where the dkim check ran"
);

pub const MX_SMTP: Column = column!(
    "mx_smtp",
    9,
    Fill::CodeList(SmtpOutcome::CODES, |r| {
        let smtp = r.mx_hosts.iter().flatten().filter_map(|h| h.smtp.as_ref());
        smtp.map(|p| p.outcome.code()).collect()
    }),
    "how the starttls check's SMTP dialogue with each MX host ended, in `mx_hosts` order (`timeout`, `refused` and `rejected` leave the host unknown)"
);
pub const MX_CERTS: Column = column!(
    "mx_certs",
    9,
    Fill::CodeList(CertVerdict::CODES, |r| {
        let tls = r
            .mx_hosts
            .iter()
            .flatten()
            .filter_map(|h| h.smtp.as_ref()?.tls.as_ref());
        tls.map(|t| t.cert.code()).collect()
    }),
    "the certificate of each MX host that completed a TLS handshake, judged under WebPKI for the host's name"
);
pub const MX_CERT_DAYS_LEFT: Column = column!(
    "mx_cert_days_left",
    9,
    Fill::Days(|r| {
        let tls = r
            .mx_hosts
            .iter()
            .flatten()
            .filter_map(|h| h.smtp.as_ref()?.tls.as_ref());
        let days = tls.filter_map(|t| t.days_left).min()?;
        Some(days.clamp(i32::MIN.into(), i32::MAX.into()) as i32)
    }),
    "days from the survey to the soonest end of validity among the MX hosts' certificates (negative once past)"
);
pub const MX_STARTTLS: Column = column!(
    "mx_starttls",
    9,
    Fill::Code(Share::CODES, |r| code(r.judgement.mx_starttls)),
    "how many MX hosts offer STARTTLS (null: not checked, or a host could not be reached)"
);
pub const MX_TLS: Column = column!(
    "mx_tls",
    9,
    Fill::Code(Share::CODES, |r| code(r.judgement.mx_tls)),
    "how many MX hosts complete a TLS 1.2 or 1.3 handshake after STARTTLS"
);
pub const MX_CERT_VALID: Column = column!(
    "mx_cert_valid",
    9,
    Fill::Code(Share::CODES, |r| code(r.judgement.mx_cert_valid)),
    "how many MX hosts present a certificate valid under WebPKI for their name"
);
pub const MTA_STS_POLICY: Column = column!(
    "mta_sts_policy",
    9,
    Fill::Code(StsOutcome::CODES, |r| code(r.judgement.mta_sts_policy)),
    "how the fetch of the MTA-STS policy from `mta-sts.<name>` ended (RFC 8461 §3.3), where the record is valid"
);
pub const MTA_STS_MODE: Column = column!(
    "mta_sts_mode",
    9,
    Fill::Code(StsMode::CODES, |r| code(r.judgement.mta_sts_mode)),
    "the fetched policy's `mode`"
);
pub const MTA_STS_MAX_AGE: Column = column!(
    "mta_sts_max_age",
    9,
    Fill::Count(|r| r.judgement.mta_sts_max_age),
    "the fetched policy's `max_age`, in seconds"
);
pub const MTA_STS_MX_MATCH: Column = column!(
    "mta_sts_mx_match",
    9,
    Fill::Code(Share::CODES, |r| code(r.judgement.mta_sts_mx_match)),
    "how many MX hosts the policy's `mx` patterns match (RFC 8461 §4.1)"
);
pub const MTA_STS_ENFORCED: Column = column!(
    "mta_sts_enforced",
    9,
    Fill::Flag(|r| r.judgement.mta_sts_enforced),
    "a sender enforces MTA-STS: a valid record and a fetched policy in mode `enforce` matching every MX host (null: not checked, or the policy host could not be reached)"
);

/// The zone stage's columns, in order; the input's carried-through columns follow them.
pub const ZONE_COLUMNS: [&Column; 11] = [
    &LINE,
    &INPUT,
    &NAME,
    &REGISTERED_DOMAIN,
    &JP_TYPE,
    &GEO_FORM,
    &PREFECTURE_CODE,
    &PREFECTURE,
    &REGION,
    &LGCODE,
    &CENTRAL_GOVERNMENT,
];

/// The lookups' and the judgement's columns, in order, after the carried-through ones.
pub const RESULT_COLUMNS: [&Column; 79] = [
    &MX_LOOKUP[0],
    &MX_LOOKUP[1],
    &MX_LOOKUP[2],
    &TXT_LOOKUP[0],
    &TXT_LOOKUP[1],
    &TXT_LOOKUP[2],
    &DMARC_LOOKUP[0],
    &DMARC_LOOKUP[1],
    &DMARC_LOOKUP[2],
    &MX_KIND,
    &HAS_MX,
    &NULL_MX,
    &HAS_SPF,
    &HAS_DMARC,
    &SPF_ERROR,
    &SPF_ALL,
    &DMARC_POLICY,
    &DMARC_PROBLEMS,
    &DMARC_RUA,
    &DMARC_RUA_OUTSIDE,
    &DMARC_PROTECTION,
    &DMARC_PROTECTION_9989,
    &DMARC_SOURCE_7489,
    &DMARC_INHERITED_FROM_7489,
    &DMARC_EFFECTIVE_7489,
    &DMARC_SOURCE_9989,
    &DMARC_INHERITED_FROM_9989,
    &DMARC_EFFECTIVE_9989,
    &SPF_DNS_TERMS,
    &SPF_VOID_LOOKUPS,
    &SPF_TREE,
    &SPF_IPV4_ADDRESSES,
    &SPF_IPV6_64S,
    &SPF_PERMISSIVE,
    &SPF_PROVIDERS,
    &SPF_VERDICT,
    &SPF_RECORDS,
    &DMARC_RECORDS,
    &BIMI_OUTCOME,
    &BIMI,
    &BIMI_LOGO,
    &BIMI_AUTHORITY,
    &MTA_STS_OUTCOME,
    &MTA_STS,
    &MTA_STS_ID,
    &TLS_RPT_OUTCOME,
    &TLS_RPT,
    &TLS_RPT_RUA,
    &DMARC_RUA_VERIFIED,
    &DMARC_RUA_UNAUTHORIZED,
    &DNSSEC,
    &NS_OUTCOME,
    &NS_HOSTS,
    &DNS_OPERATOR,
    &DKIM_OUTCOME,
    &DKIM,
    &MX_HOSTS,
    &MX_IPV6,
    &MX_DANGLING,
    &DANE,
    &TLSA_RECORDS,
    &MX_SMTP,
    &MX_CERTS,
    &MX_CERT_DAYS_LEFT,
    &MX_STARTTLS,
    &MX_TLS,
    &MX_CERT_VALID,
    &MTA_STS_POLICY,
    &MTA_STS_MODE,
    &MTA_STS_MAX_AGE,
    &MTA_STS_MX_MATCH,
    &MTA_STS_ENFORCED,
    &NO_MAIL,
    &COMPLIANCE,
    &COMPLIANCE_ADVICE,
    &COMPLIANCE_DKIM,
    &MX_MS,
    &TXT_MS,
    &DMARC_MS,
];

/// Columns `mailcensus query` adds to every results row.
pub const QUERY_COLUMNS: [&str; 3] = ["run", "run_seq", "run_date"];

/// Every column, in the file's order (the carried-through ones, which vary, aside).
pub fn columns() -> impl Iterator<Item = &'static Column> {
    ZONE_COLUMNS.into_iter().chain(RESULT_COLUMNS)
}

pub fn column(name: &str) -> Option<&'static Column> {
    columns().find(|c| c.name == name)
}

/// Whether an input column named `name` would clash with ours (it is renamed `input_<name>`).
pub fn is_reserved(name: &str) -> bool {
    column(name).is_some()
        || QUERY_COLUMNS.contains(&name)
        || crate::zone::ROLE_COLUMNS.iter().any(|r| r.contains(&name))
}

/// The columns as a Markdown table (the README's list, `mailcensus columns`).
pub fn markdown() -> String {
    let mut out = String::from("| column | type | since | meaning |\n|---|---|---:|---|\n");
    for c in columns() {
        let codes = c.fill.codes().map_or_else(String::new, |codes| {
            let list: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
            format!(": {}", list.join(", "))
        });
        out.push_str(&format!(
            "| `{}` | {} | {} | {}{} |\n",
            c.name,
            c.fill.type_name(),
            c.since,
            c.meaning,
            codes
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_versions_known() {
        let mut names: Vec<&str> = columns().map(|c| c.name).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "a column declared twice");
        assert!(columns().all(|c| (1..=SCHEMA_VERSION).contains(&c.since)));
        assert!(columns().any(|c| c.since == SCHEMA_VERSION));
    }
}
