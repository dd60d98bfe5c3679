//! mailcensus: survey MX, SPF and DMARC adoption of a country's domains, tabulated the way
//! Japan's ministry (MIC, with JPRS) publishes it.

pub mod code;
pub mod crawl;
pub mod dns;
pub mod policy;
pub mod psl;
pub mod query;
pub mod record;
pub mod report;
pub mod run;
pub mod sim;
pub mod survey;
pub mod tabulate;
pub mod transport;
pub mod zone;
