//! Cross-check of the SPF and DMARC parsers against the `mail-auth` crate (Stalwart's, used in
//! this separate crate only) over every record of the policy corpus: where the two disagree on
//! whether a record is valid, or on its DMARC policy, the case must be one listed here with the
//! rule that decides it, and every listed case must still disagree.

use mail_auth::common::parse::TxtRecordParser;
use mailcensus_crosscheck::policy::dmarc::{self, Problem};
use mailcensus_crosscheck::policy::{is_dmarc_record, is_spf_record, spf};

const CORPUS: &str = include_str!("../../tests/data/policy-corpus.jsonl");

/// Records where mailcensus and mail-auth part, and the rule that makes mailcensus's reading
/// the right one (RFC 7208 sections for SPF). In every case mail-auth accepts what the grammar
/// rejects: a survey that counts valid policies cannot build on it.
const EXPLAINED: &[(&str, &str)] = &[
    (
        "v=spf1 ip4:300.1.1.1 -all",
        "RFC 7208 §12 ip4-network = qnum x4, qnum 0-255",
    ),
    (
        "v=spf1 ip4:192.0.2.0/33 -all",
        "§12 ip4-cidr-length is 0-32",
    ),
    ("v=spf1 ip4:999.0.0.1 -all", "§12 qnum is 0-255"),
    (
        "v=spf1 ip6:2001:db8::/129 -all",
        "§12 ip6-cidr-length is 0-128",
    ),
    (
        "v=spf1 ip6:2001:db8:::1 -all",
        "§12 ip6-network is an RFC 4291 address",
    ),
    (
        "v=spf1 ip6:192.0.2.1 -all",
        "§12 ip6-network is an RFC 4291 address, not an IPv4 one",
    ),
    (
        "v=spf1 exists:%{d0}.corpus-sim.jp -all",
        "§7.3: a DIGIT transformer must be at least one",
    ),
    (
        "v=spf1 inclde:prov-a.corpus-sim.jp -all",
        "§12 unknown mechanism: permerror",
    ),
    (
        "v=spf1 ipv4:192.0.2.1 -all",
        "§12 unknown mechanism: permerror",
    ),
    ("v=spf1 !mx -all", "§12 qualifier is one of + - ? ~"),
    (
        "v=spf1 ip4:192.0.2.1/ -all",
        "§12 a CIDR length has at least one digit",
    ),
    ("v=spf1 a/ -all", "§12 a CIDR length has at least one digit"),
    (
        "v=spf1 a:corpus-sim -all",
        "§7.1 domain-end = \".\" toplabel",
    ),
    (
        "v=spf1 =foo -all",
        "§12 modifier name = ALPHA *( ALPHA / DIGIT / \"-\" / \"_\" / \".\" )",
    ),
    (
        "v=spf1 mx:corpus-sim.jp:25 -all",
        "§7.1 \"jp:25\" is not a toplabel",
    ),
    (
        "v=spf1 ip4:192.0.2.1\t-all",
        "§12 terms are separated by SP only",
    ),
    ("v=spf1 ip4:010.0.0.1 -all", "§12 qnum has no leading zero"),
    (
        "v=spf1 ip4:192.0.2.1/024 -all",
        "§12 ip4-cidr-length has no leading zero",
    ),
    (
        "v=spf1 a:foo:bar/baz.corpus-sim.jp -all",
        "RFC 7208 §12 macro-literal takes `:` and `/`; the dual-cidr-length is only a final `/digits` (the test suite's a-colon-domain: pass)",
    ),
    (
        "v=spf1 mx:foo:bar/baz.corpus-sim.jp/24//64 -all",
        "the same, with a dual-cidr-length at the end",
    ),
    (
        "v=spf1 a:mail.corpus-sim...jp -all",
        "RFC 7208 §4.3, RFC 1035 §2.3.4: an empty label is no domain name (the test suite's invalid-domain-empty-label takes permerror)",
    ),
    (
        "v=spf1 a:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.corpus-sim.jp -all",
        "a label of 64 octets is no domain name (invalid-domain-long)",
    ),
    (
        "v=DMARC1; p=reject;;",
        "RFC 7489 §6.4 dmarc-sep: no empty tag between separators",
    ),
    (
        "v=DMARC1; p=reject; p=none",
        "a tag given twice (mail-auth keeps the last, mailcensus the first and names it)",
    ),
    (
        "v=DMARC1; p=none; rua=a@d.corpus-sim.jp",
        "RFC 7489 §6.4 dmarc-uri is a URI: it needs a scheme",
    ),
    (
        "v=DMARC1; p=none; rua=mailto:d.corpus-sim.jp",
        "a mailto: URI names an address (RFC 6068)",
    ),
    (
        "v=DMARC1; p=none; rua=",
        "rua is a list of one or more URIs",
    ),
    (
        "v=DMARC1; p=none; ruf=f@d.corpus-sim.jp",
        "as rua: a URI needs a scheme",
    ),
    ("v=DMARC1; p=reject; psd=x", "RFC 9989 psd is y, n or u"),
    ("v=DMARC1; p=reject; t=maybe", "RFC 9989 t is y or n"),
    (
        "v=DMARC1; p=none; junk",
        "RFC 7489 §6.4: every part is tag=value",
    ),
    ("v=DMARC1; p=none; =x", "RFC 7489 §6.4: a tag has a name"),
];

fn records() -> Vec<String> {
    let mut out = Vec::new();
    for line in CORPUS.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["txt", "dmarc"] {
            for rec in v[key].as_array().into_iter().flatten() {
                let strings: Vec<&str> = rec
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                // RFC 7208 §3.3: the strings of one record are joined with nothing between.
                out.push(strings.concat());
            }
        }
    }
    out
}

/// Problems that do not make a DMARC record invalid for mail-auth's RFC 9989 reading: unknown
/// tags are ignored, and RFC 9989 removed pct, rf and ri.
fn counts(p: &Problem) -> bool {
    match p {
        Problem::UnknownTag(_) | Problem::MissingPolicy => false,
        Problem::BadValue { tag, .. } => !matches!(tag.as_str(), "pct" | "rf" | "ri"),
        _ => true,
    }
}

#[test]
fn parsers_agree_with_mail_auth_or_say_why_not() {
    let mut parted = Vec::new();
    let (mut spf_n, mut dmarc_n) = (0, 0);
    for rec in records() {
        if is_spf_record(&rec) {
            spf_n += 1;
            let ours = spf::parse(&rec).is_ok();
            let theirs = mail_auth::spf::Spf::parse(rec.as_bytes()).is_ok();
            if ours != theirs {
                parted.push(format!("spf valid ours={ours} mail-auth={theirs}: {rec}"));
            }
        }
        if is_dmarc_record(&rec) {
            dmarc_n += 1;
            let ours = dmarc::parse(&rec).unwrap();
            let valid = !ours.problems.iter().any(counts);
            match mail_auth::dmarc::Dmarc::parse(rec.as_bytes()) {
                Ok(theirs) if valid => {
                    let p = format!("{:?}", theirs.p).to_lowercase();
                    let want = ours.p.map_or("unspecified", |p| p.code());
                    if p != want {
                        parted.push(format!("dmarc p ours={want} mail-auth={p}: {rec}"));
                    }
                }
                Ok(_) => parted.push(format!("dmarc valid ours=false mail-auth=true: {rec}")),
                Err(_) if valid => {
                    parted.push(format!("dmarc valid ours=true mail-auth=false: {rec}"))
                }
                Err(_) => {}
            }
        }
    }
    assert!(spf_n > 100 && dmarc_n > 80, "{spf_n} SPF, {dmarc_n} DMARC");
    let explained = |d: &String| EXPLAINED.iter().any(|(rec, _)| d.ends_with(rec));
    let unexplained: Vec<&String> = parted.iter().filter(|d| !explained(d)).collect();
    let stale: Vec<&str> = EXPLAINED
        .iter()
        .filter(|(rec, _)| !parted.iter().any(|d| d.ends_with(rec)))
        .map(|(rec, _)| *rec)
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "unexplained:\n{}\nno longer parted: {stale:?}",
        unexplained
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
