//! A survey's progress as the user sees it: a bar on a terminal, a log line every ten seconds
//! elsewhere, nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use mailcensus::record::NameResult;
use mailcensus::survey::{Observer, Pass};

/// Draws a survey's passes on standard error.
pub struct Progress {
    enabled: bool,
    tty: bool,
    pass: Option<Shown>,
}

/// The pass being shown.
struct Shown {
    bar: Option<ProgressBar>,
    total: Option<u64>,
    started: Instant,
    last_log: Instant,
    done: u64,
    unresolved: u64,
}

impl Progress {
    /// Silent unless `enabled`.
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            tty: std::io::stderr().is_terminal(),
            pass: None,
        }
    }
}

impl Shown {
    fn log(&self) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = self.done as f64 / secs;
        let eta = self
            .total
            .map(|t| {
                format!(
                    ", ETA {:.0} s",
                    t.saturating_sub(self.done) as f64 / rate.max(1e-9)
                )
            })
            .unwrap_or_default();
        eprintln!(
            "mailcensus: {}{} names, {:.0} names/s{}, {} unresolved",
            self.done,
            self.total.map(|t| format!("/{t}")).unwrap_or_default(),
            rate,
            eta,
            self.unresolved
        );
    }
}

impl Observer for Progress {
    fn wants_total(&self) -> bool {
        self.enabled
    }

    fn begin(&mut self, pass: Pass, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        if let Pass::Last(plan) = pass {
            eprintln!(
                "mailcensus: last pass: {} unresolved names asked again in {:.1} s, each attempt waiting {:.1} s{}",
                plan.asked,
                plan.pause.as_secs_f64(),
                plan.timeout.as_secs_f64(),
                match plan.held_back {
                    0 => String::new(),
                    rest => format!(
                        "; {rest} more of operators that resolved none of their names only if one of their {} scouts resolves",
                        plan.scouts
                    ),
                }
            );
        }
        let bar = self.tty.then(|| {
            let bar = ProgressBar::new(total.unwrap_or(0));
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} names, {per_sec}, ETA {eta} {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        self.pass = Some(Shown {
            bar,
            total,
            started: Instant::now(),
            last_log: Instant::now(),
            done: 0,
            unresolved: 0,
        });
    }

    fn finished(&mut self, r: &NameResult) {
        let Some(p) = &mut self.pass else {
            return;
        };
        p.done += 1;
        if !r.is_resolved() {
            p.unresolved += 1;
        }
        if let Some(bar) = &p.bar {
            bar.inc(1);
            if !r.is_resolved() {
                bar.set_message(format!("{} unresolved", p.unresolved));
            }
        } else if p.last_log.elapsed() >= Duration::from_secs(10) {
            p.last_log = Instant::now();
            p.log();
        }
    }

    fn end(&mut self) {
        match self.pass.take() {
            Some(Shown { bar: Some(bar), .. }) => bar.finish(),
            Some(p) => p.log(),
            None => {}
        }
    }
}
