//! Shared by the integration tests: serve a population on loopback, survey it, tabulate.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mailcensus::crawl::CrawlOptions;
use mailcensus::dns::ClientOptions;
use mailcensus::run::Manifest;
use mailcensus::sim::{Faults, Population, SimServer, write_list};
use mailcensus::survey::{Quiet, SurveyConfig, survey};
use mailcensus::zone::{ZoneEncoding, ZoneFormat};

/// A scratch folder under the test target's own, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new empty scratch folder (tests run in parallel: each gets its own).
pub fn tempdir() -> std::io::Result<TempDir> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("t{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(TempDir(dir))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn write_zonelist(pop: &Population, dir: &Path) -> PathBuf {
    let list = dir.join("zonelist.csv");
    write_list(pop, File::create(&list).unwrap()).unwrap();
    list
}

pub fn config(list: &Path, out: &Path, server: std::net::SocketAddr) -> SurveyConfig {
    SurveyConfig {
        input: list.to_path_buf(),
        encoding: ZoneEncoding::Auto,
        period: None,
        format: ZoneFormat::Csv,
        out: out.to_path_buf(),
        resolvers: vec![server],
        client: ClientOptions {
            timeout: Duration::from_millis(300),
            recursion_desired: false,
        },
        crawl: CrawlOptions {
            concurrency: 128,
            retries: 2,
            backoff_ms: 20,
            // The tests of the main pass's retries count what it leaves unresolved; those of
            // the last pass turn it on.
            last_pass: None,
            ..CrawlOptions::default()
        },
        command: vec!["test".into()],
        resume: false,
        shard: None,
        changed: Vec::new(),
    }
}

/// Serve `pop` with `faults`, survey it with `tweak` applied to the config, return the run.
pub fn serve_and_survey(
    pop: Population,
    faults: Faults,
    tweak: impl FnOnce(&mut SurveyConfig),
) -> (TempDir, PathBuf, Manifest) {
    let dir = tempdir().unwrap();
    let (out, manifest) = survey_into(pop, faults, dir.path(), tweak);
    (dir, out, manifest)
}

/// The same into `dir/run`, `dir` kept by the caller.
pub fn survey_into(
    pop: Population,
    faults: Faults,
    dir: &Path,
    tweak: impl FnOnce(&mut SurveyConfig),
) -> (PathBuf, Manifest) {
    let list = write_zonelist(&pop, dir);
    let out = dir.join("run");
    let manifest = survey_list(pop, faults, &list, &out, tweak);
    (out, manifest)
}

/// Serve `pop` with `faults` and survey the zone list `list` into `out`.
pub fn survey_list(
    pop: Population,
    faults: Faults,
    list: &Path,
    out: &Path,
    tweak: impl FnOnce(&mut SurveyConfig),
) -> Manifest {
    survey_list_counting(pop, faults, list, out, &mut 0, tweak)
}

/// The same, with the queries the server refused over its `limit:` faults in `over_limit`.
pub fn survey_list_counting(
    pop: Population,
    faults: Faults,
    list: &Path,
    out: &Path,
    over_limit: &mut u64,
    tweak: impl FnOnce(&mut SurveyConfig),
) -> Manifest {
    runtime().block_on(async {
        let server = SimServer::start(Arc::new(pop), faults, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let mut cfg = config(list, out, server.addr());
        tweak(&mut cfg);
        let m = survey(&cfg, &mut Quiet).await.unwrap();
        *over_limit = server.over_limit();
        server.shutdown().await;
        m
    })
}

/// Serve `pop` without faults on a free loopback port, on `rt`.
pub fn serve(rt: &tokio::runtime::Runtime, pop: Population) -> SimServer {
    rt.block_on(SimServer::start(
        Arc::new(pop),
        Faults::default(),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .unwrap()
}

/// The rows of a run's names with MX.
pub fn names_with_mx(run: &Path) -> polars::prelude::DataFrame {
    use polars::prelude::{col, lit};
    mailcensus::tabulate::Results::open(run.join("results.parquet"))
        .unwrap()
        .frame()
        .filter(col("has_mx").eq(lit(true)))
        .collect()
        .unwrap()
}

/// The string in column `c` of row `i`, if any.
pub fn str_at(df: &polars::prelude::DataFrame, c: &str, i: usize) -> Option<String> {
    df.column(c)
        .unwrap()
        .get(i)
        .unwrap()
        .get_str()
        .map(str::to_string)
}

/// Run the `mailcensus` binary with `args`.
pub fn mailcensus_output<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    std::process::Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .args(args)
        .output()
        .unwrap()
}

/// Run the `mailcensus` binary with `args`; it must succeed. Its standard output.
pub fn mailcensus<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = mailcensus_output(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
