//! `mailcensus check` on a simulated domain that publishes the 2025 soumu.go.jp DMARC record.

use crate::common;

use mailcensus::sim::{MxTruth, Population, TypeSpec};

#[test]
fn check_reads_the_soumu_style_record_as_quarantine() {
    let pop = Population::new(8, Some(&TypeSpec::jp_2018().scaled(100)), None).unwrap();
    // DMARC variants 40..=54 publish the soumu.go.jp record (see src/sim/records.rs).
    let name = pop
        .names()
        .find(|s| {
            s.truth.mx == MxTruth::Mx
                && s.truth.dmarc
                && (40..=54).contains(&((s.truth.variant / 100) % 100))
        })
        .unwrap()
        .name;
    let rt = common::runtime();
    let server = common::serve(&rt, pop);
    let stdout = common::mailcensus([
        "check",
        "--json",
        "--resolver",
        &server.addr().to_string(),
        &name,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let d = &v[0]["dmarc"];
    assert_eq!(d["protection_rfc7489"], "quarantine");
    assert_eq!(d["protection_rfc9989"], "quarantine");
    assert_eq!(d["parsed"]["pct"], 100);
    assert_eq!(d["parsed"]["problems"].as_array().unwrap().len(), 0);
    assert!(
        d["records"][0]
            .as_str()
            .unwrap()
            .starts_with("v=DMARC1; p=quarantine; sp=quarantine; pct=100;adkim=r;aspf=r;")
    );
    rt.block_on(server.shutdown());
}
