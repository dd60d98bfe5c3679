//! mailcensus: survey MX, SPF and DMARC adoption of a country's domains, tabulated the way
//! Japan's ministry (MIC, with JPRS) publishes it.

pub mod zone;
