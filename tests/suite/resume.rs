//! A survey killed with SIGKILL at random moments and resumed ends with the same results, name
//! by name, as one that ran through; a complete run is not redone.

use crate::common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use mailcensus::crawl::NameResult;
use mailcensus::run::{JournalReader, JournalWriter, ResultsFile, RunDir, RunWriter};
use mailcensus::sim::{Faults, Population, SimServer, TypeSpec};

use common::{runtime, write_zonelist};

const BIN: &str = env!("CARGO_BIN_EXE_mailcensus");

fn survey(list: &std::path::Path, out: &std::path::Path, server: std::net::SocketAddr) -> Command {
    let mut c = Command::new(BIN);
    c.args(["survey", "--quiet", "--concurrency", "64", "--qps", "15000"])
        .arg(list)
        .arg("--out")
        .arg(out)
        .arg("--resolver")
        .arg(server.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn serve(rt: &tokio::runtime::Runtime, pop: Population) -> SimServer {
    rt.block_on(SimServer::start(
        Arc::new(pop),
        Faults::default(),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .unwrap()
}

fn resume(out: &std::path::Path) {
    let status = Command::new(BIN)
        .args(["survey", "--quiet", "--resume"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Name → (outcomes, records) of a run's journal; panics on a name journaled twice.
fn by_name(out: &std::path::Path) -> HashMap<String, NameResult> {
    let run = RunDir::open(out).unwrap();
    let mut map = HashMap::new();
    for r in JournalReader::open(&run).unwrap() {
        let r = r.unwrap();
        let name = r.name.clone();
        assert!(
            map.insert(name.clone(), r).is_none(),
            "{name} crawled twice"
        );
    }
    map
}

fn same(a: &NameResult, b: &NameResult) -> bool {
    (a.mx.outcome, &a.mx.records, a.txt.outcome, &a.txt.records)
        == (b.mx.outcome, &b.mx.records, b.txt.outcome, &b.txt.records)
        && (a.dmarc.outcome, &a.dmarc.records, &a.judgement)
            == (b.dmarc.outcome, &b.dmarc.records, &b.judgement)
}

#[test]
fn kill_9_then_resume_loses_nothing_and_repeats_nothing() {
    let pop = Population::new(3, Some(&TypeSpec::jp_2018().scaled(70)), None).unwrap();
    assert!(pop.len() >= 20_000, "{}", pop.len());
    let dir = common::tempdir().unwrap();
    let list = write_zonelist(&pop, dir.path());
    let rt = runtime();
    let server = serve(&rt, pop);
    let addr = server.addr();

    let whole = dir.path().join("whole");
    assert!(survey(&list, &whole, addr).status().unwrap().success());
    let want = by_name(&whole);
    assert_eq!(want.len(), 20_000.max(want.len()));

    // 21,000 names at 15,000 queries/s take at least 4.2 s on any machine: kill at a random
    // moment inside that window, three times.
    let kills: Vec<u64> = (0..3).map(|_| rand::random_range(200..3500)).collect();
    for (i, kill_ms) in kills.into_iter().enumerate() {
        let out = dir.path().join(format!("killed{i}"));
        let mut child = survey(&list, &out, addr).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(kill_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let before = RunDir::open(&out)
            .ok()
            .and_then(|r| r.read_manifest().ok())
            .map(|m| m.status);
        assert_ne!(
            before,
            Some(mailcensus::run::RunStatus::Complete),
            "killed too late"
        );
        if i == 0 {
            no_command_publishes_an_unfinished_run(&out, &whole);
        }
        resume(&out);
        let got = by_name(&out);
        assert_eq!(got.len(), want.len(), "kill at {kill_ms} ms");
        for (name, w) in &want {
            assert!(same(&got[name], w), "{name} differs after resume");
        }
        let m = RunDir::open(&out).unwrap().read_manifest().unwrap();
        assert_eq!(m.names, want.len() as u64);
        assert!(RunDir::open(&out).unwrap().results().is_file());
        // A complete run is not redone.
        let journal = std::fs::metadata(out.join("journal.bin")).unwrap().len();
        resume(&out);
        assert_eq!(
            std::fs::metadata(out.join("journal.bin")).unwrap().len(),
            journal
        );
    }
    rt.block_on(server.shutdown());
}

/// Every command that reads a run refuses the killed run `out`, naming `--resume`: retrying
/// its failures would mark it complete, and its tables are of the part that was crawled.
/// `whole` is a finished run beside it.
fn no_command_publishes_an_unfinished_run(out: &std::path::Path, whole: &std::path::Path) {
    let (o, w) = (out.to_str().unwrap(), whole.to_str().unwrap());
    let merged = out.with_extension("merged");
    let m = merged.to_str().unwrap();
    let commands: [&[&str]; 9] = [
        &["survey", "--quiet", "--retry-unresolved", o],
        &["tabulate", o],
        &["tabulate", o, "--format", "csv"],
        &["report", o],
        &["report", w, "--compare", o],
        &["trend", w, o],
        &["query", "SELECT COUNT(*) FROM results", o],
        &["diff", w, o],
        &["merge", o, "--out", m],
    ];
    for args in commands {
        let run = common::mailcensus_output(args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            !run.status.success(),
            "{args:?} succeeded on an unfinished run"
        );
        assert!(
            err.contains("unfinished run") && err.contains(&format!("survey --resume {o}")),
            "{args:?}: {err}"
        );
        assert!(run.stdout.is_empty(), "{args:?} printed tables");
    }
    let manifest = RunDir::open(out).unwrap().read_manifest().unwrap();
    assert_eq!(manifest.status, mailcensus::run::RunStatus::Running);
    assert!(!out.join("tables").exists() && !out.join("report.html").exists());
}

/// Survey `pop` into `dir/run` through the embedded server, completely; the server and its
/// runtime, for surveying again, and the names as journaled.
fn surveyed(
    pop: Population,
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    tokio::runtime::Runtime,
    SimServer,
    HashMap<String, NameResult>,
) {
    let list = write_zonelist(&pop, dir);
    let rt = runtime();
    let server = serve(&rt, pop);
    let out = dir.join("run");
    assert!(
        survey(&list, &out, server.addr())
            .status()
            .unwrap()
            .success()
    );
    let want = by_name(&out);
    (out, rt, server, want)
}

#[test]
fn a_journal_cut_mid_record_is_cut_back_and_recrawled() {
    let pop = Population::new(4, Some(&TypeSpec::jp_2018().scaled(2000)), None).unwrap();
    let dir = common::tempdir().unwrap();
    let (out, rt, server, want) = surveyed(pop, dir.path());
    // A crash in the middle of writing the last frame: its tail never reached the disk.
    let journal = out.join("journal.bin");
    let len = std::fs::metadata(&journal).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_len(len - 100)
        .unwrap();
    mark_unfinished(&out);
    resume(&out);
    let got = by_name(&out);
    assert_eq!(got.len(), want.len());
    for (name, a) in &want {
        assert!(same(a, &got[name]), "{name}");
    }
    rt.block_on(server.shutdown());
}

/// Make a finished run look killed: unfinished in its manifest, no results file.
fn mark_unfinished(out: &std::path::Path) {
    std::fs::remove_file(out.join("results.parquet")).unwrap();
    let manifest = out.join("manifest.json");
    let m = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("\"complete\"", "\"running\"");
    std::fs::write(&manifest, m).unwrap();
}

#[test]
fn a_damaged_journal_frame_stops_resume_naming_it() {
    // About 10,000 names: three frames of at most 4,096.
    let pop = Population::new(5, Some(&TypeSpec::jp_2018().scaled(150)), None).unwrap();
    let dir = common::tempdir().unwrap();
    let (out, rt, server, want) = surveyed(pop, dir.path());
    mark_unfinished(&out);
    // Damage a byte inside the second frame's payload, as a bad disk would.
    let journal = out.join("journal.bin");
    let mut bytes = std::fs::read(&journal).unwrap();
    let first = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let second = 12 + 8 + first;
    assert!(bytes.len() > second + 1000, "at least two frames");
    bytes[second + 8 + 500] ^= 0x5a;
    std::fs::write(&journal, &bytes).unwrap();
    let resumed = Command::new(BIN)
        .args(["survey", "--quiet", "--resume"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        !resumed.status.success(),
        "a damaged journal must stop the run"
    );
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        err.contains(&format!("frame 2 at byte {second} is damaged"))
            && err.contains(&format!("truncate -s {second} journal.bin")),
        "{err}"
    );
    // An unfinished run has no tables to make: tabulate says why.
    let tab = common::mailcensus_output(["tabulate", out.to_str().unwrap()]);
    assert!(!tab.status.success());
    assert!(
        String::from_utf8_lossy(&tab.stderr).contains("--resume"),
        "{}",
        String::from_utf8_lossy(&tab.stderr)
    );
    // The recovery the message gives: keep the frames before it, resume; the cut names are
    // crawled again and nothing is lost.
    std::fs::write(&journal, &bytes[..second]).unwrap();
    resume(&out);
    let got = by_name(&out);
    assert_eq!(got.len(), want.len());
    for (name, a) in &want {
        assert!(same(a, &got[name]), "{name}");
    }
    rt.block_on(server.shutdown());
}

#[test]
fn the_run_writer_journals_within_a_second_and_only_a_finished_run_gets_results() {
    let pop = Population::new(5, Some(&TypeSpec::jp_2018().scaled(1500)), None).unwrap();
    let dir = common::tempdir().unwrap();
    let (out, rt, server, want) = surveyed(pop, dir.path());
    rt.block_on(server.shutdown());
    let rows: Vec<NameResult> = JournalReader::open(&RunDir::open(&out).unwrap())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let write = |name: &str, finish: bool| {
        let path = dir.path().join(name);
        let run = RunDir::create(&path).unwrap();
        let mut w = RunWriter::new(
            Some(JournalWriter::open(&run).unwrap()),
            Some(ResultsFile::create(&run, &[]).unwrap()),
        );
        for r in rows.iter().cloned() {
            w.push(r).unwrap();
        }
        match finish {
            true => assert_eq!(w.finish().unwrap(), rows.len() as u64),
            // An error mid-run: what was handed over is journaled, nothing else is written.
            false => w.abandon().unwrap(),
        }
        path
    };
    let journaled = |path: &std::path::Path| {
        let run = RunDir {
            path: path.to_path_buf(),
        };
        JournalReader::open(&run)
            .unwrap()
            .map(Result::unwrap)
            .count()
    };
    // A slow survey: a name that waits a second for company goes to disk with the next one,
    // while the writer still runs, so that a crash then would lose neither.
    let slow = RunDir::create(&dir.path().join("slow")).unwrap();
    let mut w = RunWriter::new(Some(JournalWriter::open(&slow).unwrap()), None);
    w.push(rows[0].clone()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    w.push(rows[1].clone()).unwrap();
    let on_disk = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        let n = journaled(&slow.path);
        (n == 2).then_some(n)
    });
    assert_eq!(on_disk, Some(2), "the aged chunk never reached the journal");
    drop(w);
    let stopped = write("stopped", false);
    assert_eq!(journaled(&stopped), want.len());
    let files: Vec<String> = std::fs::read_dir(&stopped)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.iter().any(|f| f.starts_with("results")), "{files:?}");
    let finished = write("finished", true);
    assert_eq!(journaled(&finished), want.len());
    let df = read_results(&finished.join("results.parquet"));
    assert_eq!(df.height(), want.len());
}

fn read_results(path: &std::path::Path) -> polars::prelude::DataFrame {
    use polars::prelude::{ParquetReader, SerReader};
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

#[test]
fn the_journal_read_back_is_judged_as_the_crawl_judged_it() {
    // The journal keeps the lookups, not the judgement: results.parquet rebuilt from it (each
    // row judged again as it is read) must hold what the crawl wrote from the rows it judged.
    let pop = Population::new(7, Some(&TypeSpec::jp_2018().scaled(1500)), None).unwrap();
    let dir = common::tempdir().unwrap();
    let (out, rt, server, _) = surveyed(pop, dir.path());
    rt.block_on(server.shutdown());
    let run = RunDir::open(&out).unwrap();
    let crawled = read_results(&run.results());
    let extra = run.read_manifest().unwrap().extra_columns;
    mailcensus::run::write_results(&run, &extra, false).unwrap();
    let rebuilt = read_results(&run.results());
    assert!(crawled.height() > 500, "{}", crawled.height());
    let differ: Vec<_> = crawled
        .columns()
        .iter()
        .zip(rebuilt.columns())
        .filter(|(a, b)| {
            !a.as_materialized_series()
                .equals_missing(b.as_materialized_series())
        })
        .map(|(a, _)| a.name().to_string())
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
}

#[test]
fn resume_and_retry_take_new_rates_and_say_so_but_keep_their_checks() {
    let pop = Population::new(6, Some(&TypeSpec::jp_2018().scaled(2000)), None).unwrap();
    let dir = common::tempdir().unwrap();
    let (out, _rt, _server, want) = surveyed(pop, dir.path());
    mark_unfinished(&out);
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .args(["survey", "--quiet"])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = out.to_str().unwrap();
    // The checks a run's names were asked cannot change half-way.
    let refused = run(&["--resume", o, "--checks", "all"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(err.contains("--checks cannot change"), "{err}");
    let resumed = run(&["--resume", o, "--concurrency", "32", "--retries", "1"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    // Every name resolved: a retry has nothing to ask and leaves the manifest as it is.
    let retried = run(&["--retry-unresolved", o, "--timeout-ms", "500"]);
    assert!(
        retried.status.success(),
        "{}",
        String::from_utf8_lossy(&retried.stderr)
    );
    let m = RunDir::open(&out).unwrap().read_manifest().unwrap();
    let changes: Vec<&str> = m
        .option_changes
        .iter()
        .map(|c| c.split_once(' ').unwrap().1)
        .collect();
    assert_eq!(changes, ["--resume: --concurrency 32 --retries 1"]);
    // The run's own options stay what it was started with.
    assert_eq!((m.options.concurrency, m.options.retries), (64, 2));
    assert_eq!(by_name(&out).len(), want.len());
}
