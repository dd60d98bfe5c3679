#![no_main]
//! Any bytes as TXT data: SPF selection and parsing return a record or a named error.

use libfuzzer_sys::fuzz_target;
use mailcensus_fuzz::policy::{is_spf_record, spf};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = is_spf_record(&text);
    if let Ok(r) = spf::parse(&text) {
        let _ = (r.dns_terms(), r.all(), r.redirect_ignored(), r.uses_ptr());
    }
    let txts: Vec<String> = text.split('\n').map(str::to_string).collect();
    let _ = spf::select(&txts);
});
