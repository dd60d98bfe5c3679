//! `results.parquet`: one typed row per name, built from the journal in bounded batches.

use std::collections::HashMap;
use std::fs::File;

use polars::prelude::*;

use super::{JournalReader, RunDir, RunError, io_err};
use crate::crawl::{NameResult, Probe};
use crate::dns::Outcome;
use crate::policy::dmarc::{self, Discovery, Standard};
use crate::policy::spf::{self, Qualifier, SpfError, SpfRecord};
use crate::zone::{name_key, refdata};

pub const RESULTS_FILE: &str = "results.parquet";
const BATCH: usize = 65_536;

fn str_col<'a>(name: &str, v: impl Iterator<Item = Option<&'a str>>) -> Column {
    Series::new(name.into(), v.collect::<Vec<_>>()).into()
}

fn list_col<'a>(name: &str, v: impl Iterator<Item = &'a Vec<String>>) -> Column {
    let lc: ListChunked = v
        .map(|xs| Some(Series::new(PlSmallStr::EMPTY, xs.as_slice())))
        .collect();
    lc.into_series().with_name(name.into()).into()
}

fn probe_cols(prefix: &str, rows: &[NameResult], get: fn(&NameResult) -> &Probe) -> Vec<Column> {
    vec![
        str_col(
            &format!("{prefix}_outcome"),
            rows.iter().map(|r| Some(get(r).outcome.code())),
        ),
        Series::new(
            format!("{prefix}_attempts").into(),
            rows.iter().map(|r| get(r).attempts).collect::<Vec<u32>>(),
        )
        .into(),
        list_col(
            &format!("{prefix}_answers"),
            rows.iter().map(|r| &get(r).records),
        ),
    ]
}

/// One batch of results as a DataFrame. Presence columns are null where the lookup failed.
pub fn batch_frame(rows: &[NameResult], extra_columns: &[String]) -> PolarsResult<DataFrame> {
    let rd = refdata();
    let pref = |r: &NameResult| r.prefecture.and_then(|c| rd.prefecture(c));
    let mut cols: Vec<Column> = vec![
        Series::new(
            "line".into(),
            rows.iter().map(|r| r.line).collect::<Vec<u64>>(),
        )
        .into(),
        str_col("input", rows.iter().map(|r| Some(r.input.as_str()))),
        str_col("name", rows.iter().map(|r| Some(r.name.as_str()))),
        str_col(
            "registered_domain",
            rows.iter().map(|r| Some(r.registered_domain.as_str())),
        ),
        str_col("jp_type", rows.iter().map(|r| Some(r.jp_type.code()))),
        str_col(
            "geo_form",
            rows.iter().map(|r| r.geo_form.map(|g| g.code())),
        ),
        Series::new(
            "prefecture_code".into(),
            rows.iter()
                .map(|r| r.prefecture.map(u32::from))
                .collect::<Vec<_>>(),
        )
        .into(),
        str_col(
            "prefecture",
            rows.iter().map(|r| pref(r).map(|p| p.name_ja.as_str())),
        ),
        str_col(
            "region",
            rows.iter().map(|r| pref(r).map(|p| p.region.name_ja())),
        ),
        str_col("lgcode", rows.iter().map(|r| r.lgcode.as_deref())),
    ];
    for (i, name) in extra_columns.iter().enumerate() {
        // Input columns keep their names unless they clash with ours.
        let col = if RESERVED.contains(&name.as_str()) {
            format!("input_{name}")
        } else {
            name.clone()
        };
        cols.push(str_col(
            &col,
            rows.iter().map(|r| r.extra.get(i).map(String::as_str)),
        ));
    }
    cols.extend(probe_cols("mx", rows, |r| &r.mx));
    cols.extend(probe_cols("txt", rows, |r| &r.txt));
    cols.extend(probe_cols("dmarc", rows, |r| &r.dmarc));
    cols.push(str_col(
        "mx_kind",
        rows.iter().map(|r| r.mx_kind.map(|k| k.code())),
    ));
    let opt_bool = |name: &str, f: &dyn Fn(&NameResult) -> Option<bool>| -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
    };
    cols.push(opt_bool("has_mx", &|r| r.mx_kind.map(|k| k.has_hosts())));
    cols.push(opt_bool("null_mx", &|r| {
        r.mx_kind.map(|k| k == crate::policy::MxKind::Null)
    }));
    cols.push(opt_bool("has_spf", &|r| r.has_spf));
    cols.push(opt_bool("has_dmarc", &|r| r.has_dmarc));
    // The SPF record parsed (RFC 7208): its error class, or the qualifier of its `all`.
    let parsed: Vec<Option<Result<SpfRecord, SpfError>>> = rows
        .iter()
        .map(|r| {
            (r.has_spf == Some(true)).then(|| spf::select(&r.txt.records).and_then(spf::parse))
        })
        .collect();
    cols.push(str_col(
        "spf_error",
        parsed.iter().map(|p| {
            p.as_ref()
                .and_then(|p| p.as_ref().err())
                .map(SpfError::code)
        }),
    ));
    cols.push(str_col(
        "spf_all",
        parsed.iter().map(|p| {
            p.as_ref()
                .and_then(|p| p.as_ref().ok())
                .and_then(SpfRecord::all)
                .map(Qualifier::code)
        }),
    ));
    // The DMARC record, parsed once, read under RFC 7489 and RFC 9989; null where the lookup
    // failed.
    let dmarc_read: Vec<_> = rows.iter().map(|r| dmarc::read(&r.dmarc.records)).collect();
    let protection = |std: Standard| {
        rows.iter()
            .zip(&dmarc_read)
            .map(move |(r, d)| r.has_dmarc.map(|_| dmarc::protection_of(d, std).code()))
    };
    cols.push(str_col(
        "dmarc_policy",
        dmarc_read
            .iter()
            .map(|d| d.as_ref().ok().and_then(|d| d.p).map(dmarc::Policy::code)),
    ));
    cols.push(str_col("dmarc_protection", protection(Standard::Rfc7489)));
    cols.push(str_col(
        "dmarc_protection_9989",
        protection(Standard::Rfc9989),
    ));
    // Policy discovery (own, inherited from an ancestor, none) and the protection that
    // applies after it, per standard; null where a lookup failed.
    for (std, suffix) in [(Standard::Rfc7489, "7489"), (Standard::Rfc9989, "9989")] {
        cols.push(str_col(
            &format!("dmarc_source_{suffix}"),
            rows.iter().map(|r| r.discovery(std).map(Discovery::code)),
        ));
        cols.push(str_col(
            &format!("dmarc_inherited_from_{suffix}"),
            rows.iter()
                .map(|r| r.discovery(std).and_then(Discovery::inherited_from)),
        ));
        cols.push(str_col(
            &format!("dmarc_effective_{suffix}"),
            rows.iter().zip(&dmarc_read).map(|(r, own)| {
                let exists = r.mx.outcome != Outcome::NxDomain;
                r.discovery(std)
                    .and_then(|d| d.protection(own, std, exists))
                    .map(dmarc::Protection::code)
            }),
        ));
    }
    cols.push(
        Series::new(
            "spf_dns_terms".into(),
            rows.iter().map(|r| r.spf_dns_terms).collect::<Vec<_>>(),
        )
        .into(),
    );
    cols.push(str_col(
        "spf_tree",
        rows.iter().map(|r| r.spf_tree.map(|t| t.code())),
    ));
    cols.push(str_col(
        "spf_verdict",
        rows.iter().map(|r| r.spf_verdict.map(|v| v.code())),
    ));
    let spf: Vec<Vec<String>> = rows.iter().map(NameResult::spf_records).collect();
    cols.push(list_col("spf_records", spf.iter()));
    let dmarc: Vec<Vec<String>> = rows.iter().map(NameResult::dmarc_records).collect();
    cols.push(list_col("dmarc_records", dmarc.iter()));
    DataFrame::new(rows.len(), cols)
}

const RESERVED: [&str; 44] = [
    "dmarc_source_7489",
    "dmarc_source_9989",
    "dmarc_inherited_from_7489",
    "dmarc_inherited_from_9989",
    "dmarc_effective_7489",
    "dmarc_effective_9989",
    "spf_verdict",
    "spf_dns_terms",
    "spf_tree",
    "dmarc_policy",
    "dmarc_protection",
    "dmarc_protection_9989",
    "spf_error",
    "spf_all",
    "line",
    "input",
    "name",
    "registered_domain",
    "jp_type",
    "geo_form",
    "prefecture_code",
    "prefecture",
    "region",
    "lgcode",
    "mx_outcome",
    "mx_attempts",
    "mx_answers",
    "txt_outcome",
    "txt_attempts",
    "txt_answers",
    "dmarc_outcome",
    "dmarc_attempts",
    "dmarc_answers",
    "mx_kind",
    "has_mx",
    "null_mx",
    "has_spf",
    "has_dmarc",
    "spf_records",
    "dmarc_records",
    "domain",
    "category",
    "code",
    "run",
];

/// The journal's rows, each name's last one only: a retry supersedes the earlier row. Two
/// passes; memory is one 128-bit key and index per name.
pub fn latest_rows(
    run: &RunDir,
) -> Result<impl Iterator<Item = Result<NameResult, RunError>>, RunError> {
    let mut last = HashMap::new();
    for (i, r) in JournalReader::open(run)?.enumerate() {
        last.insert(name_key(&r?.name), i);
    }
    Ok(JournalReader::open(run)?
        .enumerate()
        .filter_map(move |(i, r)| match r {
            Ok(r) => (last.get(&name_key(&r.name)) == Some(&i)).then_some(Ok(r)),
            Err(e) => Some(Err(e)),
        }))
}

/// Build `results.parquet` from the journal, `BATCH` rows at a time; with `superseded`, only
/// each name's last row. Returns the rows written.
pub fn write_results(
    run: &RunDir,
    extra_columns: &[String],
    superseded: bool,
) -> Result<u64, RunError> {
    let path = run.results();
    let tmp = run.file("results.parquet.tmp");
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let mut journal: Box<dyn Iterator<Item = Result<NameResult, RunError>>> = if superseded {
        Box::new(latest_rows(run)?)
    } else {
        Box::new(JournalReader::open(run)?)
    };
    let mut writer = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut rows = 0u64;
    loop {
        let next = journal.next().transpose()?;
        let done = next.is_none();
        if let Some(r) = next {
            batch.push(r);
        }
        if batch.len() == BATCH || (done && (!batch.is_empty() || writer.is_none())) {
            let mut df = batch_frame(&batch, extra_columns)?;
            df.rechunk_mut();
            let w = match &mut writer {
                Some(w) => w,
                None => writer.insert(
                    ParquetWriter::new(file.try_clone().map_err(io_err(&tmp))?)
                        .with_compression(ParquetCompression::Zstd(None))
                        .batched(df.schema())?,
                ),
            };
            w.write_batch(&df)?;
            rows += batch.len() as u64;
            batch.clear();
        }
        if done {
            break;
        }
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    file.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    Ok(rows)
}
