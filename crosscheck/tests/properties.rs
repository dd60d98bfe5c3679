//! Property tests: any text of up to 4 KiB, and any text shaped like a policy, parses to a
//! record or a named error without panicking, under every reading.

use mailcensus_crosscheck::policy::dmarc::{self, Applies, Standard};
use mailcensus_crosscheck::policy::{
    MxKind, bimi, is_dmarc_record, is_spf_record, mta_sts, spf, tls_rpt,
};
use proptest::prelude::*;

/// Up to 4 KiB of arbitrary bytes, read the way TXT data is (lossy UTF-8).
fn any_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..4096)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Text that starts like an SPF record and is made of its terms, to reach deep paths.
fn spf_like() -> impl Strategy<Value = String> {
    let term = "[-+~?]?(all|a|mx|ptr|ip4|ip6|include|exists|redirect|exp|[a-z%]{1,6})([:=/][a-zA-Z0-9.%{}_/:+,=-]{0,40})?";
    proptest::collection::vec(proptest::string::string_regex(term).unwrap(), 0..40)
        .prop_map(|terms| format!("v=spf1 {}", terms.join(" ")))
}

/// Text that opens with the DMARC version tag as RFC 7489 §6.4 spells it (then `;`, white
/// space or the end), with or without the separator the grammar needs after it.
fn dmarc_like() -> impl Strategy<Value = String> {
    let tag = "(p|sp|np|pct|adkim|aspf|rua|ruf|fo|rf|ri|psd|t|[a-z]{1,4})[ \t]*=[ \t]*[a-zA-Z0-9:@.!,_ -]{0,40}";
    (
        "[vV][ \t]?=[ \t]?DMARC1(;|; | ;| |\t)",
        proptest::collection::vec(proptest::string::string_regex(tag).unwrap(), 0..20),
    )
        .prop_map(|(v, tags)| format!("{v}{}", tags.join(";")))
}

/// Text that opens like a BIMI, MTA-STS or TLS-RPT record, with tags of their grammars.
fn tagged_like() -> impl Strategy<Value = String> {
    let tag = "[ \t]*(l|a|id|rua|v|[a-z_.-]{1,8})[ \t]*=[ \t]*[a-zA-Z0-9:/@.,!_ -]{0,40}";
    (
        "v=(BIMI1|STSv1|TLSRPTv1)(;| ;|; )",
        proptest::collection::vec(proptest::string::string_regex(tag).unwrap(), 0..8),
    )
        .prop_map(|(v, tags)| format!("{v}{}", tags.join(";")))
}

/// Status codes of the three tag-list records (reading must not panic).
fn read_tagged(text: &str) -> [&'static str; 3] {
    let t = [text.to_string()];
    [
        bimi::read(&t).status().code(),
        mta_sts::read(&t).status().code(),
        tls_rpt::read(&t).status().code(),
    ]
}

fn read_every_way(text: &str) {
    let _ = read_tagged(text);
    let _ = is_spf_record(text);
    let _ = spf::parse(text).map(|r| (r.dns_terms(), r.all(), r.redirect_ignored()));
    if is_dmarc_record(text) {
        let rec = dmarc::read(&[text.to_string()]);
        for std in [Standard::Rfc7489, Standard::Rfc9989] {
            for applies in [
                Applies::Own,
                Applies::Subdomain { exists: true },
                Applies::Subdomain { exists: false },
            ] {
                let _ = dmarc::protection_applying(&rec, std, applies);
            }
        }
    } else {
        assert!(dmarc::parse(text).is_none());
    }
    let _ = MxKind::of(&[text.to_string()]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_text_reads_without_panic(text in any_text()) {
        read_every_way(&text);
    }

    #[test]
    fn spf_shaped_text_parses_or_names_its_error(text in spf_like()) {
        read_every_way(&text);
        if let Err(e) = spf::parse(&text) {
            prop_assert!(!e.code().is_empty());
        }
    }

    #[test]
    fn dmarc_shaped_text_always_reads_as_dmarc(text in dmarc_like()) {
        prop_assert!(is_dmarc_record(&text));
        read_every_way(&text);
        let rec = dmarc::parse(&text).unwrap();
        // Every problem found is named.
        prop_assert!(rec.problems.iter().all(|p| !p.code().is_empty()));
        // A declared record is never read as absent, under either standard.
        for std in [Standard::Rfc7489, Standard::Rfc9989] {
            let p = dmarc::protection(&[text.clone()], std);
            prop_assert!(p != dmarc::Protection::Absent, "{} {:?}", text, std);
        }
    }

    #[test]
    fn a_record_opening_with_its_version_is_never_absent(text in tagged_like()) {
        // A record of one kind with a grammar error is invalid, never absent.
        let codes = read_tagged(&text);
        let kind = ["v=BIMI1", "v=STSv1", "v=TLSRPTv1"]
            .iter()
            .position(|v| text.starts_with(v))
            .unwrap();
        prop_assert!(codes[kind] == "valid" || codes[kind] == "invalid", "{}", text);
    }

    #[test]
    fn selection_never_panics(txts in proptest::collection::vec(any_text(), 0..8)) {
        let _ = spf::select(&txts);
        let _ = dmarc::select(&txts);
    }
}
