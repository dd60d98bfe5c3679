#![no_main]
//! Any bytes as `_dmarc` TXT data: parsing and both readings return a verdict, never a panic.

use libfuzzer_sys::fuzz_target;
use mailcensus_fuzz::policy::dmarc::{self, Applies, Standard};
use mailcensus_fuzz::policy::is_dmarc_record;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = is_dmarc_record(&text);
    let _ = dmarc::parse(&text);
    let txts: Vec<String> = text.split('\n').map(str::to_string).collect();
    let read = dmarc::read(&txts);
    for std in [Standard::Rfc7489, Standard::Rfc9989] {
        for applies in [Applies::Own, Applies::Subdomain { exists: false }] {
            let _ = dmarc::protection_applying(&read, std, applies);
        }
    }
    let _ = dmarc::tree_walk_targets(&text);
    let _ = dmarc::organizational_domain(&text);
});
