//! One module per subcommand: its arguments, the library calls, the printing.

pub mod check;
pub mod classify;
pub mod columns;
pub mod demo;
pub mod diff;
pub mod merge;
pub mod query;
pub mod report;
pub mod sim;
pub mod survey;
pub mod tabulate;
pub mod trend;

/// A multi-threaded runtime for the commands that do DNS.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// One thread for the crawl: every query, reply and timer of a survey on the thread that
/// polls them, so that no reply wakes another thread (on two cores the futex wake-ups and
/// context switches cost more than the work they hand over); results.parquet is built on a
/// thread of its own.
pub fn crawl_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
