//! Faults from the simulated server reach the client as themselves, and the survey never
//! counts a failed lookup as "no record".

use crate::common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinEncodable};
use mailcensus::dns::{ClientOptions, DnsClient, Outcome, Patience};
use mailcensus::run::RunDir;
use mailcensus::sim::{Faults, MxTruth, Population, SimServer, TypeSpec};
use mailcensus::tabulate::{Results, jp_type_table};
use mailcensus::zone::JpType;

use common::{runtime, serve_and_survey};

fn small_population() -> Population {
    Population::new(5, Some(&TypeSpec::jp_2018().scaled(1000)), None).unwrap()
}

fn mx_names(pop: &Population, n: usize) -> Vec<String> {
    pop.names()
        .filter(|s| s.truth.mx == MxTruth::Mx)
        .take(n)
        .map(|s| s.name)
        .collect()
}

#[test]
fn every_fault_kind_is_observable_from_the_client() {
    let pop = small_population();
    let names = mx_names(&pop, 6);
    let faults: Faults = format!(
        "name:{}=drop,name:{}=servfail,name:{}=refused,name:{}=delay:300,name:{}=truncate",
        names[0], names[1], names[2], names[3], names[4]
    )
    .parse()
    .unwrap();
    runtime().block_on(async {
        let server = SimServer::start(Arc::new(pop), faults, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let client = DnsClient::new(
            &[server.addr()],
            &ClientOptions {
                timeout: Duration::from_millis(400),
                recursion_desired: false,
            },
        )
        .await
        .unwrap();
        let outcome = |i: usize| {
            let c = &client;
            let n = names[i].clone();
            async move { c.lookup(&n, RecordType::MX, Patience::Full).await.outcome }
        };
        assert_eq!(outcome(0).await, Outcome::Timeout);
        assert_eq!(outcome(1).await, Outcome::ServFail);
        assert_eq!(outcome(2).await, Outcome::Refused);
        let t = Instant::now();
        assert_eq!(outcome(3).await, Outcome::Answer);
        assert!(t.elapsed() >= Duration::from_millis(300));
        // Truncated over UDP, whole over TCP: the client falls back and gets the answer ...
        assert_eq!(outcome(4).await, Outcome::Answer);
        assert_eq!(outcome(5).await, Outcome::Answer);
        // ... while a bare UDP query sees the TC bit.
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut msg = Message::new(7, MessageType::Query, OpCode::Query);
        msg.add_query(Query::query(
            Name::from_ascii(format!("{}.", names[4])).unwrap(),
            RecordType::MX,
        ));
        sock.send_to(&msg.to_bytes().unwrap(), server.addr())
            .await
            .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(2), sock.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let reply = Message::from_bytes(&buf[..n]).unwrap();
        assert!(reply.metadata.truncation);
        assert!(reply.answers.is_empty());
        server.shutdown().await;
    });
}

#[test]
fn every_outcome_arrives_in_the_results_as_itself() {
    let pop = small_population();
    let victims = mx_names(&pop, 3);
    let faults: Faults = format!(
        "name:{}=drop,name:{}=servfail,name:{}=refused",
        victims[0], victims[1], victims[2]
    )
    .parse()
    .unwrap();
    let (_dir, out, manifest) = serve_and_survey(pop, faults, |_| {});
    assert_eq!(manifest.unresolved_names, 3);
    let run = RunDir::open(&out).unwrap();
    let rows: HashMap<String, _> = mailcensus::run::JournalReader::open(&run)
        .unwrap()
        .map(Result::unwrap)
        .map(|r| (r.name.clone(), r))
        .collect();
    for (victim, outcome) in
        victims
            .iter()
            .zip([Outcome::Timeout, Outcome::ServFail, Outcome::Refused])
    {
        let row = &rows[victim];
        assert_eq!(row.mx.outcome, outcome);
        assert_eq!(row.dmarc.outcome, outcome);
        assert_eq!(row.mx.attempts, 3, "one try and two retries");
        assert_eq!(
            (
                row.judgement.mx_kind,
                row.judgement.has_spf,
                row.judgement.has_dmarc
            ),
            (None, None, None)
        );
    }
    // The settled outcomes are there too: answers, NXDOMAIN at _dmarc, NODATA for TXT.
    let seen: HashSet<Outcome> = rows
        .values()
        .flat_map(|r| [r.mx.outcome, r.txt.outcome, r.dmarc.outcome])
        .collect();
    for o in [Outcome::Answer, Outcome::NxDomain, Outcome::NoData] {
        assert!(seen.contains(&o), "{o:?}");
    }
    let rows = jp_type_table(&Results::open(run.results()).unwrap()).unwrap();
    let (_, all) = rows.iter().find(|(t, _)| t.is_none()).unwrap();
    assert_eq!(all.mx.unresolved, 3);
    assert_eq!(all.mx.denominator, all.names - 3);
}

#[test]
fn rates_are_over_answered_names_and_unresolved_counts_show_per_type() {
    let pop = small_population();
    // Every seventh name never answers.
    let truth: Vec<_> = pop.names().collect();
    let dead: HashSet<String> = truth.iter().step_by(7).map(|s| s.name.clone()).collect();
    let faults = Faults {
        names: dead
            .iter()
            .map(|n| (n.clone(), mailcensus::sim::FaultKind::Drop))
            .collect(),
        ..Faults::default()
    };
    let (_dir, out, _) = serve_and_survey(pop, faults, |c| c.crawl.retries = 1);
    let run = RunDir::open(&out).unwrap();
    let rows = jp_type_table(&Results::open(run.results()).unwrap()).unwrap();
    let mut want: HashMap<JpType, [u64; 5]> = HashMap::new();
    for s in &truth {
        let w = want.entry(s.jp_type).or_default();
        w[0] += 1;
        if dead.contains(&s.name) {
            w[4] += 1;
            continue;
        }
        let mx = s.truth.mx == MxTruth::Mx;
        w[1] += u64::from(mx);
        w[2] += u64::from(mx && s.truth.spf);
        w[3] += u64::from(mx && s.truth.dmarc);
    }
    for (t, row) in rows.iter().filter_map(|(t, r)| t.map(|t| (t, r))) {
        let w = want.get(&t).copied().unwrap_or_default();
        assert_eq!(row.names, w[0], "{t}");
        assert_eq!(row.mx.unresolved, w[4], "{t}");
        assert_eq!(row.mx.denominator, w[0] - w[4], "{t}");
        assert_eq!(row.mx.count, w[1], "{t}");
        assert_eq!(row.spf.count, w[2], "{t}");
        assert_eq!(row.spf.denominator, w[1], "{t}");
        assert_eq!(row.dmarc.count, w[3], "{t}");
    }
    let unresolved: u64 = rows
        .iter()
        .filter(|(t, _)| t.is_some())
        .map(|(_, r)| r.mx.unresolved)
        .sum();
    assert_eq!(unresolved, dead.len() as u64);
}

#[test]
fn the_rate_limiter_really_limits() {
    let pop = Population::new(9, Some(&TypeSpec::jp_2018().scaled(1400)), None).unwrap();
    assert!(pop.len() >= 1000, "{}", pop.len());
    let t = Instant::now();
    let (_dir, _out, manifest) =
        serve_and_survey(pop, Faults::default(), |c| c.crawl.qps = Some(200));
    // At least 1,000 names, three queries each, at 200 queries/s.
    assert!(manifest.names >= 1000);
    assert!(t.elapsed() >= Duration::from_secs(5), "{:?}", t.elapsed());
}
