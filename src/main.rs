//! The `mailcensus` command line: parses arguments and hands each subcommand to its module.

mod cmd;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser, Subcommand};

/// Survey how a country's domains protect their mail: MX, SPF and DMARC adoption per JP
/// registration type and prefecture, tabulated the way Japan's ministry publishes it.
#[derive(Parser)]
#[command(name = "mailcensus", version, about)]
struct Cli {
    /// A Public Suffix List (public_suffix_list.dat from publicsuffix.org) to use instead of
    /// the one built in: which names are registrable, registered domains, DMARC
    /// Organizational Domains.
    #[arg(long, global = true, value_name = "FILE")]
    psl: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the simulated 2018 population, survey it, tabulate, print the tables (offline).
    Demo(cmd::demo::Args),
    /// Normalise and classify a zone list: JP type, registered domain, prefecture.
    Classify(cmd::classify::Args),
    /// Crawl a zone list's MX, SPF and DMARC records into a run folder.
    Survey(cmd::survey::Args),
    /// Join the run folders of a sharded survey (`survey --shard K/N`) into one.
    Merge(cmd::merge::Args),
    /// Look up and judge one or more domains' MX, SPF and DMARC records.
    Check(cmd::check::Args),
    /// Compute the ministry's tables from a run folder.
    Tabulate(cmd::tabulate::Args),
    /// Rates per type and region across runs, with the change from one run to the next.
    Trend(cmd::trend::Args),
    /// What changed, name by name, between two runs (adopted, dropped, strengthened, ...).
    Diff(cmd::diff::Args),
    /// The run's HTML report (charts, tables, tile map; trend with --compare).
    Report(cmd::report::Args),
    /// Polars SQL over the results of one or many runs.
    Query(cmd::query::Args),
    /// Judge a finished run again with this version's rules (results, counts and tables
    /// rebuilt from its journal).
    Rejudge(cmd::rejudge::Args),
    /// The columns of results.parquet: name, type, schema version, meaning, codes.
    Columns(cmd::columns::Args),
    /// The simulated population: serve it, list it, export it as a zone file.
    Sim(cmd::sim::Args),
    /// Print the completion script of a shell (bash, zsh, fish).
    Completions(cmd::completions::CompletionArgs),
    /// Print the manual page, or write one per command into a folder (--out).
    Man(cmd::completions::ManArgs),
}

fn main() -> anyhow::Result<()> {
    cmd::no_huge_pages();
    let cli = Cli::parse();
    if let Some(file) = &cli.psl {
        mailcensus::psl::use_file(file).map_err(anyhow::Error::msg)?;
    }
    let done = match cli.command {
        Command::Demo(a) => cmd::demo::run(a),
        Command::Classify(a) => cmd::classify::run(a),
        Command::Survey(a) => cmd::survey::run(a),
        Command::Merge(a) => cmd::merge::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Tabulate(a) => cmd::tabulate::run(a),
        Command::Trend(a) => cmd::trend::run(a),
        Command::Diff(a) => cmd::diff::run(a),
        Command::Query(a) => cmd::query::run(a),
        Command::Rejudge(a) => cmd::rejudge::run(a),
        Command::Columns(a) => cmd::columns::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Sim(a) => cmd::sim::run(a),
        Command::Completions(a) => cmd::completions::completions(a, Cli::command()),
        Command::Man(a) => cmd::completions::man(a, Cli::command()),
    };
    // Output cut short by its reader (`| head`) is not a failure.
    match done {
        Err(e) if e.chain().any(broken_pipe) => Ok(()),
        done => done,
    }
}

fn broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let io = e.downcast_ref::<std::io::Error>().map(|io| io.kind());
    let csv = || match e.downcast_ref::<csv::Error>()?.kind() {
        csv::ErrorKind::Io(io) => Some(io.kind()),
        _ => None,
    };
    let json = || e.downcast_ref::<serde_json::Error>()?.io_error_kind();
    io.or_else(csv).or_else(json) == Some(std::io::ErrorKind::BrokenPipe)
}
