//! Where commands write: a file (its name in any error), standard output for no path or
//! `-`, tables in a format, and a run folder's publication tables.

use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use mailcensus::run::{Manifest, RunDir, TABLES_DIR};
use mailcensus::tabulate::{
    Book, EntityRow, INDEX_FILE, Lang, OutputFormat, Results, Table, Tabulation, TypeRow,
    WORKBOOK_FILE, by_column, by_column_table, entities, entity_tables, render, tables_index,
    tables_json, write_workbook,
};

/// A new file at `path`, buffered.
pub fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::new(f))
}

/// A new file at `path`, or standard output where there is none or it is `-`.
pub fn file_or_stdout(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p != Path::new("-") => Box::new(create(p)?),
        _ => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// Write `contents` to `path` whole.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Tables by columns of the input, beside the ministry's.
#[derive(Default)]
pub struct Grouping<'a> {
    pub by: Option<&'a str>,
    pub entity: Option<&'a str>,
}

/// Where a run's results file comes from, which decides whether its codes are checked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Written by this process just now, from typed values: its codes are its enums' own.
    Written,
    /// Found on disk, written by any version (or damaged since): every code is checked.
    Found,
}

/// Compute the tables of a run and write them as publication CSV and one workbook (in
/// Japanese, as the ministry publishes) under `tables/`; say which tables a run from an
/// older mailcensus cannot have.
pub fn write_tables(run_dir: &Path, source: Source) -> anyhow::Result<RunTables> {
    let tables = run_tables(run_dir, &Grouping::default(), source)?;
    write_run_tables(run_dir, &tables, Lang::Ja)?;
    Ok(tables)
}

/// Write `tables` in `lang` as publication CSV, their index and the workbook under the run
/// folder's `tables/`.
pub fn write_run_tables(run_dir: &Path, tables: &RunTables, lang: Lang) -> anyhow::Result<()> {
    let dir = run_dir.join(TABLES_DIR);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let shown = tables.tables(lang);
    for t in &shown {
        render(
            t,
            OutputFormat::Csv,
            create(&dir.join(format!("{}.csv", t.name)))?,
        )?;
    }
    write_file(&dir.join(INDEX_FILE), tables_index(&shown, lang))?;
    let path = dir.join(WORKBOOK_FILE);
    write_workbook(&tables.book(&shown, lang), create(&path)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A run's figures, counted once, from which its tables are made in either language.
pub struct RunTables {
    pub tabulation: Tabulation,
    pub manifest: Manifest,
    by: Option<(String, Vec<(String, TypeRow)>)>,
    entity: Option<(String, Vec<EntityRow>)>,
}

impl RunTables {
    /// The ministry's tables, then those by columns of the input.
    pub fn tables(&self, lang: Lang) -> Vec<Table> {
        let mut tables = self.tabulation.tables(lang);
        if let Some((by, rows)) = &self.by {
            tables.push(by_column_table(by, rows, lang));
        }
        if let Some((entity, rows)) = &self.entity {
            tables.extend(entity_tables(entity, rows, lang));
        }
        tables
    }

    /// The workbook of `tables` (these tables in `lang`) with the run's facts.
    pub fn book<'a>(&'a self, tables: &'a [Table], lang: Lang) -> Book<'a> {
        Book {
            tables,
            lang,
            run: Some(&self.manifest),
            unresolved_apart: true,
        }
    }
}

/// Count the tables of a finished run, with the tables by columns of the input; say which
/// tables a run from an older mailcensus cannot have.
pub fn run_tables(
    run_dir: &Path,
    grouping: &Grouping,
    source: Source,
) -> anyhow::Result<RunTables> {
    let (run, manifest) = RunDir::open_finished(run_dir)?;
    let results = match source {
        Source::Written => Results::open_written(run.results())?,
        Source::Found => Results::open(run.results())?,
    };
    let tabulation = Tabulation::of(&results)?;
    if !tabulation.skipped.is_empty() {
        let names: Vec<String> = tabulation
            .skipped
            .iter()
            .map(|t| format!("{t} (schema {})", t.since()))
            .collect();
        eprintln!(
            "{}: results schema {}, written by an older mailcensus: left out {}",
            run.results().display(),
            results.version,
            names.join(", ")
        );
    }
    let by = match grouping.by {
        Some(by) => Some((by.to_string(), by_column(&results, by)?)),
        None => None,
    };
    let entity = match grouping.entity {
        Some(e) => Some((e.to_string(), entities(&results, e, grouping.by)?)),
        None => None,
    };
    Ok(RunTables {
        tabulation,
        manifest,
        by,
        entity,
    })
}

/// Print the tables `build` makes to standard output: JSON as one typed document, keyed in
/// English with the Japanese titles and headers beside (whatever `lang`); a workbook in
/// `lang` with the facts of `run` where the tables are one run's; the other formats in
/// `lang`, a blank line between tables.
pub fn print_tables(
    build: impl Fn(Lang) -> Vec<Table>,
    lang: Lang,
    format: OutputFormat,
    run: Option<&Manifest>,
) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let doc = tables_json(&build(Lang::En), &build(Lang::Ja));
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
            return Ok(());
        }
        OutputFormat::Xlsx if out.is_terminal() => {
            anyhow::bail!("--format xlsx writes a workbook: redirect it to a file (> tables.xlsx)")
        }
        OutputFormat::Xlsx => {
            let tables = build(lang);
            let book = Book {
                tables: &tables,
                lang,
                run,
                unresolved_apart: true,
            };
            return Ok(write_workbook(&book, out)?);
        }
        _ => {}
    }
    for t in build(lang) {
        render(&t, format, &mut out)?;
        writeln!(out)?;
    }
    Ok(())
}
