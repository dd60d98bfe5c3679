//! `results.parquet`: one typed row per name, built from the journal in bounded batches.

use std::collections::HashMap;
use std::fs::File;

use polars::prelude::*;

use super::{JournalReader, RunDir, RunError, io_err};
use crate::crawl::{Dnssec, NameResult, Probe};
use crate::dns::Outcome;
use crate::policy::bimi::BimiStatus;
use crate::policy::compliance::MailUse;
use crate::policy::dmarc::{self, Discovery, RuaVerdict, Standard};
use crate::policy::spf::{self, Qualifier, SpfError, SpfRecord};
use crate::policy::tags::Published;
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
        Series::new(
            "central_government".into(),
            rows.iter()
                .map(|r| rd.is_central_government(&r.registered_domain))
                .collect::<Vec<bool>>(),
        )
        .into(),
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
    let rua: Vec<Vec<String>> = dmarc_read
        .iter()
        .map(|d| d.as_ref().map(|d| d.rua.clone()).unwrap_or_default())
        .collect();
    cols.push(list_col("dmarc_rua", rua.iter()));
    cols.push(
        Series::new(
            "dmarc_rua_outside".into(),
            rows.iter()
                .zip(&dmarc_read)
                .map(|(r, d)| {
                    d.as_ref()
                        .ok()
                        .map(|d| dmarc::reports_outside(&r.name, &d.rua))
                })
                .collect::<Vec<_>>(),
        )
        .into(),
    );
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
    cols.extend(check_cols(rows));
    DataFrame::new(rows.len(), cols)
}

/// The opt-in checks' columns: each null where its check did not run or its lookup failed
/// (the `*_outcome` columns tell which), and the 2025 guideline's verdict.
fn check_cols(rows: &[NameResult]) -> Vec<Column> {
    let outcome = |name: &str, get: fn(&NameResult) -> &Option<Probe>| {
        str_col(
            name,
            rows.iter()
                .map(|r| get(r).as_ref().map(|p| p.outcome.code())),
        )
    };
    let bimi: Vec<_> = rows.iter().map(NameResult::bimi).collect();
    let sts: Vec<_> = rows.iter().map(NameResult::mta_sts).collect();
    let rpt: Vec<_> = rows.iter().map(NameResult::tls_rpt).collect();
    let assessed: Vec<_> = rows.iter().map(NameResult::assessment).collect();
    // Several operators (a secondary elsewhere) joined with "+".
    let operator: Vec<Option<String>> = rows
        .iter()
        .map(|r| {
            r.dns_operators()
                .filter(|o| !o.is_empty())
                .map(|o| o.join("+"))
        })
        .collect();
    let list_or_empty = |v: Vec<Option<Vec<String>>>| -> Vec<Vec<String>> {
        v.into_iter().map(Option::unwrap_or_default).collect()
    };
    let unauthorized = list_or_empty(
        rows.iter()
            .map(|r| {
                r.rua_checks.as_ref().map(|cs| {
                    cs.iter()
                        .filter(|c| c.authorized == Some(false))
                        .map(|c| c.host.clone())
                        .collect()
                })
            })
            .collect(),
    );
    let ns_hosts = list_or_empty(
        rows.iter()
            .map(|r| r.ns.as_ref().map(|p| p.records.clone()))
            .collect(),
    );
    let tls_rua = list_or_empty(
        rpt.iter()
            .map(|p| p.as_ref().and_then(|p| p.valid()).map(|r| r.rua.clone()))
            .collect(),
    );
    let advice = list_or_empty(
        assessed
            .iter()
            .map(|a| {
                a.as_ref()
                    .map(|a| a.advice.iter().map(|x| x.code().to_string()).collect())
            })
            .collect(),
    );
    vec![
        outcome("bimi_outcome", |r| &r.bimi),
        str_col(
            "bimi",
            bimi.iter()
                .map(|b| b.as_ref().map(|b| BimiStatus::of(b).code())),
        ),
        str_col(
            "bimi_logo",
            bimi.iter().map(|b| {
                b.as_ref()
                    .and_then(|b| b.valid())
                    .and_then(|r| r.logo.as_deref())
            }),
        ),
        str_col(
            "bimi_authority",
            bimi.iter().map(|b| {
                b.as_ref()
                    .and_then(|b| b.valid())
                    .and_then(|r| r.authority.as_deref())
            }),
        ),
        outcome("mta_sts_outcome", |r| &r.mta_sts),
        str_col(
            "mta_sts",
            sts.iter().map(|p| p.as_ref().map(Published::code)),
        ),
        str_col(
            "mta_sts_id",
            sts.iter()
                .map(|p| p.as_ref().and_then(|p| p.valid()).map(|r| r.id.as_str())),
        ),
        outcome("tls_rpt_outcome", |r| &r.tls_rpt),
        str_col(
            "tls_rpt",
            rpt.iter().map(|p| p.as_ref().map(Published::code)),
        ),
        list_col("tls_rpt_rua", tls_rua.iter()),
        str_col(
            "dmarc_rua_verified",
            rows.iter().map(|r| r.rua_verdict().map(RuaVerdict::code)),
        ),
        list_col("dmarc_rua_unauthorized", unauthorized.iter()),
        str_col(
            "dnssec",
            rows.iter().map(|r| r.dnssec.and_then(Dnssec::code)),
        ),
        outcome("ns_outcome", |r| &r.ns),
        list_col("ns_hosts", ns_hosts.iter()),
        str_col("dns_operator", operator.iter().map(Option::as_deref)),
        Series::new(
            "no_mail".into(),
            rows.iter()
                .zip(&assessed)
                // The assessment judged the name's mail use already; only where it could not
                // (DMARC unresolved) is it read again.
                .map(|(r, a)| {
                    a.as_ref()
                        .map(|a| a.mail)
                        .or_else(|| r.mail_use())
                        .map(|m| m == MailUse::NoMail)
                })
                .collect::<Vec<_>>(),
        )
        .into(),
        str_col(
            "compliance",
            assessed
                .iter()
                .map(|a| a.as_ref().map(|a| a.verdict.code())),
        ),
        list_col("compliance_advice", advice.iter()),
    ]
}

const RESERVED: [&str; 68] = [
    "central_government",
    "no_mail",
    "bimi_outcome",
    "bimi",
    "bimi_logo",
    "bimi_authority",
    "mta_sts_outcome",
    "mta_sts",
    "mta_sts_id",
    "tls_rpt_outcome",
    "tls_rpt",
    "tls_rpt_rua",
    "dmarc_rua_verified",
    "dmarc_rua_unauthorized",
    "dnssec",
    "ns_outcome",
    "ns_hosts",
    "dns_operator",
    "compliance",
    "compliance_advice",
    "run_seq",
    "dmarc_rua",
    "dmarc_rua_outside",
    "run_date",
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

/// Build `results.parquet` from the journal; with `superseded`, only each name's last row.
/// Returns the rows written.
pub fn write_results(
    run: &RunDir,
    extra_columns: &[String],
    superseded: bool,
) -> Result<u64, RunError> {
    let journal: Box<dyn Iterator<Item = Result<NameResult, RunError>>> = if superseded {
        Box::new(latest_rows(run)?)
    } else {
        Box::new(JournalReader::open(run)?)
    };
    let mut w = ResultsWriter::create(run, extra_columns)?;
    for r in journal {
        w.push(r?)?;
    }
    w.finish()
}

/// Writes `results.parquet` in `BATCH`-row groups on a thread of its own, so that a survey
/// builds and compresses its frames while its lookups run instead of reading the journal back
/// after them. The file appears (renamed from a temporary one) only when finished.
pub struct ResultsWriter {
    batch: Vec<NameResult>,
    tx: Option<std::sync::mpsc::SyncSender<Vec<NameResult>>>,
    thread: Option<std::thread::JoinHandle<Result<u64, RunError>>>,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl ResultsWriter {
    pub fn create(run: &RunDir, extra_columns: &[String]) -> Result<ResultsWriter, RunError> {
        let tmp = run.file("results.parquet.tmp");
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        // One batch queued while one is written: memory stays a few batches.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<NameResult>>(1);
        let extra = extra_columns.to_vec();
        let tmp_path = tmp.clone();
        let thread = std::thread::spawn(move || -> Result<u64, RunError> {
            let mut writer = None;
            let mut rows = 0u64;
            let mut write = |batch: &[NameResult]| -> Result<(), RunError> {
                let mut df = batch_frame(batch, &extra)?;
                df.rechunk_mut();
                let w = match &mut writer {
                    Some(w) => w,
                    None => writer.insert(
                        ParquetWriter::new(file.try_clone().map_err(io_err(&tmp_path))?)
                            .with_compression(ParquetCompression::Zstd(None))
                            .batched(df.schema())?,
                    ),
                };
                w.write_batch(&df)?;
                rows += batch.len() as u64;
                Ok(())
            };
            let mut any = false;
            for batch in rx {
                write(&batch)?;
                any = true;
            }
            if !any {
                // No rows: still a file with the schema.
                write(&[])?;
            }
            if let Some(w) = writer {
                w.finish()?;
            }
            file.sync_all().map_err(io_err(&tmp_path))?;
            Ok(rows)
        });
        Ok(ResultsWriter {
            batch: Vec::with_capacity(BATCH),
            tx: Some(tx),
            thread: Some(thread),
            tmp,
            path: run.results(),
        })
    }

    pub fn push(&mut self, r: NameResult) -> Result<(), RunError> {
        self.batch.push(r);
        if self.batch.len() == BATCH {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), RunError> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let sent = self.tx.as_ref().map(|tx| tx.send(batch));
        if let Some(Err(_)) = sent {
            // The writer stopped on an error: report it now.
            return self.join().map(|_| ());
        }
        Ok(())
    }

    fn join(&mut self) -> Result<u64, RunError> {
        self.tx = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(RunError::Io {
                path: self.tmp.clone(),
                source: std::io::Error::other("the results writer already stopped"),
            }),
        }
    }

    /// Write what is left, wait for the writer, and put the file in place.
    pub fn finish(mut self) -> Result<u64, RunError> {
        if !self.batch.is_empty() {
            self.send()?;
        }
        let rows = self.join()?;
        std::fs::rename(&self.tmp, &self.path).map_err(io_err(&self.path))?;
        Ok(rows)
    }
}
