//! `mailcensus classify`: the zone stage alone, as CSV.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use mailcensus::zone::{
    JpType, RejectWriter, ZoneEncoding, ZoneFormat, ZoneItem, ZoneReader, refdata,
};

use super::output::file_or_stdout;

#[derive(clap::Args)]
pub struct Args {
    /// Zone list: text (one name a line) or CSV with a `domain` column; gzip or not; `-` for stdin.
    zonelist: PathBuf,
    /// Where to write the classified CSV (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to write the rejected lines (default: rejects.csv beside --out, else ./rejects.csv).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// How the list is laid out: auto (from the file name, `.csv` or `.csv.gz`, or a first
    /// line with a `domain` column), text (one name a line, `#` comments) or csv (a header
    /// row with a `domain` column).
    #[arg(long, value_parser = super::code::<ZoneFormat>(), default_value_t = ZoneFormat::Auto)]
    format: ZoneFormat,
    /// The list's encoding (see `survey --help`).
    #[arg(long, value_parser = super::code::<ZoneEncoding>(), default_value_t = ZoneEncoding::Auto)]
    encoding: ZoneEncoding,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut reader = ZoneReader::open(&a.zonelist, a.format, a.encoding)?;
    let out = file_or_stdout(a.out.as_deref())?;
    let rejects_path = a.rejects.clone().unwrap_or_else(|| match &a.out {
        Some(p) => p.with_file_name("rejects.csv"),
        None => PathBuf::from("rejects.csv"),
    });
    let mut rejects = RejectWriter::create(&rejects_path)
        .with_context(|| format!("cannot create {}", rejects_path.display()))?;
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = [
        "line",
        "input",
        "domain",
        "registered_domain",
        "jp_type",
        "geo_form",
        "prefecture_code",
        "prefecture",
        "region",
        "lgcode",
    ]
    .map(String::from)
    .to_vec();
    header.extend(reader.extra_columns().iter().cloned());
    w.write_record(&header)?;
    let rd = refdata();
    let mut per_type: BTreeMap<JpType, u64> = BTreeMap::new();
    for item in reader.by_ref() {
        match item? {
            ZoneItem::Entry(e) => {
                *per_type.entry(e.class.jp_type).or_default() += 1;
                let pref = e.class.prefecture.and_then(|c| rd.prefecture(c));
                let mut row = vec![
                    e.line.to_string(),
                    e.input,
                    e.name,
                    e.class.registered_domain,
                    e.class.jp_type.code().to_string(),
                    e.class.geo_form.map(|g| g.code()).unwrap_or("").to_string(),
                    e.class
                        .prefecture
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    pref.map(|p| p.name_ja.clone()).unwrap_or_default(),
                    pref.map(|p| p.region.name_ja().to_string())
                        .unwrap_or_default(),
                    e.class.lgcode.unwrap_or_default(),
                ];
                row.extend(e.extra);
                w.write_record(&row)?;
            }
            ZoneItem::Reject(r) => rejects.write(&r)?,
        }
    }
    w.flush()?;
    rejects.finish()?;
    let s = reader.stats();
    eprintln!(
        "read {} names: {} kept, {} duplicates, {} rejected (see {}); {} blank or comment lines",
        s.read,
        s.kept,
        s.duplicates,
        s.rejected,
        rejects_path.display(),
        s.skipped
    );
    if let Some(c) = reader.first_category_conflict() {
        eprintln!(
            "{} names' category says another JP type than the name does (the first, line {}: {} given {}, the name says {}): the name's type is used",
            s.category_conflicts, c.line, c.name, c.given, c.derived
        );
    }
    for (t, n) in per_type {
        eprintln!("  {:<10} {n}", t.code());
    }
    Ok(())
}
