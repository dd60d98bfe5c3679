//! The simulated population (a seeded, exact-to-spec synthetic JP namespace), the embedded DNS
//! server that serves it over real sockets with injectable faults, and its exports (the zone
//! list with ground truth, an RFC 1035 master file). Never used by the crawler itself.

mod corpus;
mod month;
mod population;
mod records;
mod server;
mod spec;
mod transport;
mod world;
mod zonefile;

pub use corpus::{Corpus, CorpusEntry};
pub use population::{MxTruth, Population, SimName, Truth};
pub use records::{MailTruth, SpfTruth, mail_truth, spf_truth};
pub use server::{FaultKind, Faults, Reply, SimServer, resolve};
pub use spec::{Counts, JP_TYPES_2018, LG_REGIONS_2018, LgSpec, TypeSpec};
pub use transport::{SimPki, SimTransport, TransportTruth, transport_truth};
pub use world::{
    OPERATORS, Profile, SimWorld, ns_host, operator_of, profile, root_hints, write_world_list,
};
pub use zonefile::write_zonefile;

use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("bad simulation spec: {0}")]
    Spec(String),
    #[error("cannot bind the simulated server: {0} (pick another --listen address or port)")]
    Bind(std::io::Error),
    #[error("cannot write: {0}")]
    Write(#[from] std::io::Error),
}

/// Write the population as a zone list CSV with its ground truth: `domain,lgcode` (read by the
/// zone stage), `truth_type,truth_mx,truth_spf,truth_dmarc` (in the month served),
/// `truth_change,truth_change_month` (the name's one change of the year and its month, as
/// `diff` spells it, whichever month is served), `truth_starttls,truth_mta_sts_policy` (what
/// the starttls and mta-sts-policy checks find of the simulated hosts: `mx_starttls` and
/// `mta_sts_policy`, empty where they read null) and `sector,company` (carried through to
/// results). Companies (CO names) fall into sectors by their variant: 10 % `bank`,
/// 15 % `ec`, 10 % `logistics`, the rest `other`; each sector's names, in list order, belong
/// three by three to one company (`bank-0`, `bank-1`, …), the last perhaps to fewer.
pub fn write_list(pop: &Population, out: impl Write) -> Result<u64, SimError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "domain",
        "lgcode",
        "truth_type",
        "truth_mx",
        "truth_spf",
        "truth_dmarc",
        "truth_change",
        "truth_change_month",
        "truth_starttls",
        "truth_mta_sts_policy",
        "sector",
        "company",
    ])
    .map_err(csv_io)?;
    let mut n = 0;
    let mut per_sector: std::collections::HashMap<&str, u64> = Default::default();
    for s in pop.names() {
        let sector = sector(&s);
        let company = sector.map(|sector| {
            let k = per_sector.entry(sector).or_default();
            *k += 1;
            format!("{sector}-{}", (*k - 1) / 3)
        });
        let transport = transport_truth(&s.name, &s.truth);
        w.write_record([
            s.name.as_str(),
            s.lgcode.as_deref().unwrap_or(""),
            s.jp_type.code(),
            s.truth.mx.code(),
            bool01(s.truth.spf),
            bool01(s.truth.dmarc),
            s.change.map_or("", |(_, c)| c.code()),
            &s.change.map_or_else(String::new, |(m, _)| m.to_string()),
            transport
                .and_then(|t| t.mx_starttls)
                .map_or("", |v| v.code()),
            transport
                .and_then(|t| t.mta_sts_policy)
                .map_or("", |v| v.code()),
            sector.unwrap_or(""),
            company.as_deref().unwrap_or(""),
        ])
        .map_err(csv_io)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// The sector of a simulated company (a CO name), from its variant.
fn sector(s: &SimName) -> Option<&'static str> {
    if s.jp_type != crate::zone::JpType::Co {
        return None;
    }
    Some(match (s.truth.variant / 100_000_000) % 100 {
        0..=9 => "bank",
        10..=24 => "ec",
        25..=34 => "logistics",
        _ => "other",
    })
}

fn bool01(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

pub(crate) fn csv_io(e: csv::Error) -> SimError {
    SimError::Write(std::io::Error::other(e))
}
