//! The simulated population (a seeded, exact-to-spec synthetic JP namespace), the embedded DNS
//! server that serves it over real sockets with injectable faults, and its exports (the zone
//! list with ground truth, an RFC 1035 master file). Never used by the crawler itself.

mod corpus;
mod population;
mod records;
mod server;
mod spec;
mod zonefile;

pub use corpus::{Corpus, CorpusEntry};
pub use population::{MxTruth, Population, SimName, Truth};
pub use server::{FaultKind, Faults, Reply, SimServer, resolve};
pub use spec::{Counts, JP_TYPES_2018, LG_REGIONS_2018, LgSpec, TypeSpec};
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
/// zone stage) and `truth_type,truth_mx,truth_spf,truth_dmarc` (carried through to results).
pub fn write_list(pop: &Population, out: impl Write) -> Result<u64, SimError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "domain",
        "lgcode",
        "truth_type",
        "truth_mx",
        "truth_spf",
        "truth_dmarc",
    ])
    .map_err(csv_io)?;
    let mut n = 0;
    for s in pop.names() {
        w.write_record([
            s.name.as_str(),
            s.lgcode.as_deref().unwrap_or(""),
            s.jp_type.code(),
            s.truth.mx.code(),
            bool01(s.truth.spf),
            bool01(s.truth.dmarc),
        ])
        .map_err(csv_io)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

fn bool01(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

fn csv_io(e: csv::Error) -> SimError {
    SimError::Write(std::io::Error::other(e))
}
