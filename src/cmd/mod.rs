//! One module per subcommand: its arguments, the library calls, the printing.

pub mod check;
pub mod classify;
pub mod columns;
pub mod completions;
pub mod demo;
pub mod diff;
pub mod merge;
mod output;
mod progress;
pub mod query;
pub mod rejudge;
pub mod report;
pub mod sim;
pub mod survey;
pub mod tabulate;
pub mod trend;

use mailcensus::code::Code;

/// Say on standard error when runs were judged by older rules than this version's.
pub fn warn_judgement(runs: &[mailcensus::run::OpenedRun]) {
    let judged = runs.iter().map(|r| (r.dir.path.as_path(), &r.manifest));
    if let Some(w) = mailcensus::run::judgement_warning(judged) {
        eprintln!("{w}");
    }
}

/// A command-line value read into a library enum by its codes, which `--help` lists as the
/// possible values.
pub fn code<T: Code + Send + Sync>() -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(T::CODES.iter().copied())
        .map(|s| T::from_code(&s).expect("clap admits only the codes"))
}

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
    keep_freed_memory();
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// mimalloc's `mi_option_purge_delay` (the place of that option in its v3 header's enum).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keep freed memory for reuse rather than return it to the kernel a second later: the results
/// writer's batches free and take back tens of megabytes every second, and each return cost
/// the kernel a zeroed page on the next touch (a tenth of a survey's CPU). The process holds
/// its peak instead, which a crawl reaches early and stays near.
fn keep_freed_memory() {
    // SAFETY: sets an option's value; mimalloc reads its options at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// Small pages for the process, set before any command runs: mimalloc asks for transparent huge
/// pages on its arenas, and the first touch of each 2 MiB region then zeroes all of it, however
/// little of it is used. Pairs of 49,508-name surveys (`MIMALLOC_ALLOW_THP=0`, which does the
/// same) took 27 % less CPU and peaked 15 % lower; on 300,000 names the CPU was 3 % lower, on
/// the full population the same; `tabulate` on 1.5 million rows spent half the system time.
pub fn no_huge_pages() {
    // SAFETY: sets a flag of this process; the kernel checks it at every page fault. Failure
    // (an old kernel) leaves the default, which is only slower.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_pages_are_turned_off() {
        super::no_huge_pages();
        // SAFETY: reads a flag of this process.
        assert_eq!(
            unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) },
            1
        );
    }

    #[test]
    fn the_purge_delay_option_is_the_one_named() {
        // Its default in the mimalloc built here, 1,000 ms: another value means another
        // option's number.
        // SAFETY: reads an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
