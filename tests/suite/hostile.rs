//! Hostile records end in an outcome that names them, within bounds, and the run goes on.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use mailcensus::dns::Outcome;
use mailcensus::policy::MxKind;
use mailcensus::run::{JournalReader, RunDir};
use mailcensus::sim::{Faults, Population, SimServer};
use mailcensus::survey::{Quiet, survey};
use mailcensus::zone::ZoneFormat;

use common::{config, runtime};

#[test]
fn hostile_records_are_bounded_and_named() {
    let long = format!(
        "{}.{}.{}.{}.net",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(57)
    );
    assert_eq!(long.len(), 253);
    let names = [
        "huge-txt",
        "many-strings",
        "cname-chain",
        "cname-loop",
        "odd-bytes",
        "odd-mx",
        "spf-loop",
        "fan0",
        "many-mx",
        "spf-many-mx",
        "empty-txt",
    ]
    .map(|n| format!("{n}.hostile-sim.net"));
    let dir = common::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("{}\n{long}\n", names.join("\n"))).unwrap();
    let out = dir.path().join("run");
    let rt = runtime();
    rt.block_on(async {
        let pop = Population::new(1, None, None).unwrap();
        let server = SimServer::start(
            Arc::new(pop),
            Faults::default(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let mut cfg = config(&list, &out, server.addr());
        cfg.format = ZoneFormat::Text;
        let m = survey(&cfg, &mut Quiet).await.unwrap();
        assert_eq!(m.names, 12);
        server.shutdown().await;
    });
    let run = RunDir::open(&out).unwrap();
    assert!(run.results().is_file());
    let rows: HashMap<String, _> = JournalReader::open(&run)
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.name.clone(), r)
        })
        .collect();
    let row = |n: &str| &rows[&format!("{n}.hostile-sim.net")];
    // 80 records, 20 kB: over the bounds, unresolved rather than guessed.
    assert_eq!(row("huge-txt").txt.outcome, Outcome::Oversize);
    assert!(row("huge-txt").txt.records.is_empty());
    assert_eq!(row("huge-txt").judgement.has_spf, None);
    assert_eq!(row("many-strings").txt.outcome, Outcome::Oversize);
    assert_eq!(row("cname-chain").dmarc.outcome, Outcome::Oversize);
    assert_eq!(row("cname-loop").dmarc.outcome, Outcome::CnameLoop);
    assert_eq!(row("cname-loop").judgement.has_dmarc, None);
    // Odd bytes are kept (lossily as text) and do not hide the SPF record beside them.
    assert_eq!(row("odd-bytes").txt.outcome, Outcome::Answer);
    assert_eq!(row("odd-bytes").judgement.has_spf, Some(true));
    assert!(
        row("odd-bytes")
            .txt
            .records
            .iter()
            .any(|t| t.contains('\u{0}'))
    );
    assert_eq!(row("odd-mx").mx.outcome, Outcome::Answer);
    assert_eq!(row("odd-mx").judgement.mx_kind, Some(MxKind::Hosts));
    // SPF include trees: a loop and an endless fan-out end named, within their bounds.
    use mailcensus::policy::spf::TreeVerdict;
    assert_eq!(
        row("spf-loop").spf_tree.map(|t| t.verdict),
        Some(TreeVerdict::Loop)
    );
    assert_eq!(
        row("fan0").spf_tree.map(|t| t.verdict),
        Some(TreeVerdict::LookupLimit)
    );
    assert!(row("fan0").spf_tree.unwrap().dns_terms <= 12);
    // RFC 7208 §4.6.4: an `mx` over eleven MX hosts is a permerror, from the name's own MX
    // answer and from a target's alike.
    use mailcensus::policy::spf::SpfVerdict;
    for n in ["many-mx", "spf-many-mx"] {
        assert_eq!(
            row(n).spf_tree.map(|t| t.verdict),
            Some(TreeVerdict::MxLimit),
            "{n}"
        );
        assert_eq!(
            row(n).judgement.spf_verdict,
            Some(SpfVerdict::LookupLimit),
            "{n}"
        );
    }
    assert_eq!(row("many-mx").mx.records.len(), 11);
    // A reply that cannot be read ends at once, named, and is not waited on as silence.
    assert_eq!(row("empty-txt").txt.outcome, Outcome::Malformed);
    assert_eq!(row("empty-txt").txt.attempts, 1);
    assert_eq!(row("empty-txt").judgement.has_spf, None);
    // A 253-octet name can be asked at its apex, but `_dmarc.` makes it too long to ask.
    assert_eq!(rows[&long].mx.outcome, Outcome::NxDomain);
    assert_eq!(rows[&long].dmarc.outcome, Outcome::BadName);
    assert_eq!(rows[&long].dmarc.attempts, 1, "not retried");
}
