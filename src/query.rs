//! SQL over run folders (Polars SQL): the results of every run as one `results` table and each
//! run's alone as `results_<seq>`, beside a `runs` table of what each run was, so that
//! researchers ask their own questions of the raw results, across months.

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::run::OpenedRun;
use crate::run::schema::QUERY_COLUMNS;
use crate::run::{Results, ResultsError};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Read(#[from] ResultsError),
    #[error("cannot read the results' columns: {0}")]
    Columns(#[from] PolarsError),
    #[error("{message}{}\n\nTables and their columns:\n{tables}", where_.as_deref().map(|w| format!("\n{w}")).unwrap_or_default())]
    Sql {
        /// What Polars said.
        message: String,
        /// Where in the statement, if Polars said.
        where_: Option<String>,
        /// Every table with its columns, one per line.
        tables: String,
    },
}

/// The tables a query sees, each with its columns.
pub struct Catalog {
    ctx: SQLContext,
    tables: Vec<(String, Vec<String>)>,
}

/// The day a run started, as days since 1970-01-01 (how Polars holds a date); `None` where
/// the manifest's start time is not RFC 3339.
fn days(r: &OpenedRun) -> Option<i32> {
    let day = chrono::NaiveDate::parse_from_str(r.date(), "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((day - epoch).num_days()).ok()
}

/// `runs`: one row per run, oldest first.
fn runs_frame(runs: &[OpenedRun]) -> PolarsResult<DataFrame> {
    let m = |f: &dyn Fn(&OpenedRun) -> String| runs.iter().map(f).collect::<Vec<_>>();
    let n = |f: &dyn Fn(&OpenedRun) -> u64| runs.iter().map(f).collect::<Vec<_>>();
    let [run, run_seq, run_date] = QUERY_COLUMNS;
    let mut df = df!(
        run => m(&|r| r.label.clone()),
        run_seq => runs.iter().map(|r| r.seq as i64).collect::<Vec<_>>(),
        run_date => runs.iter().map(days).collect::<Vec<_>>(),
        "period" => m(&|r| r.manifest.period().to_string()),
        "started" => m(&|r| r.manifest.started.clone()),
        "finished" => runs.iter().map(|r| r.manifest.finished.clone()).collect::<Vec<_>>(),
        "input" => m(&|r| r.manifest.input.clone()),
        "resolvers" => m(&|r| r.manifest.resolvers.join(" ")),
        "names" => n(&|r| r.manifest.names),
        "unresolved_names" => n(&|r| r.manifest.unresolved_names),
        "folder" => m(&|r| r.dir.path.display().to_string()),
    )?;
    let dates = df.column(run_date)?.cast(&DataType::Date)?;
    df.with_column(dates)?;
    Ok(df)
}

impl Catalog {
    /// Register the runs' results (lazily scanned: a query reads only the columns it uses).
    pub fn new(runs: &[OpenedRun]) -> Result<Catalog, QueryError> {
        let ctx = SQLContext::new();
        let mut tables = Vec::new();
        let mut each = Vec::new();
        let [run, run_seq, run_date] = QUERY_COLUMNS;
        for r in runs {
            let lf = Results::open(r.dir.results())?.frame().with_columns([
                lit(r.label.clone()).alias(run),
                // Typed as in `runs`, so that joins on it need no cast.
                lit(r.seq as i64).cast(DataType::Int64).alias(run_seq),
                days(r)
                    .map_or(lit(NULL), lit)
                    .cast(DataType::Date)
                    .alias(run_date),
            ]);
            each.push(lf.clone());
            let name = format!("results_{}", r.seq);
            tables.push((name.clone(), columns(&lf)?));
            ctx.register(&name, lf);
        }
        // Runs from inputs with different carried-through columns still stack: missing ones
        // are null.
        let all = concat_lf_diagonal(each, UnionArgs::default()).map_err(sql_error(&tables, ""))?;
        tables.insert(0, ("results".to_string(), columns(&all)?));
        ctx.register("results", all);
        let runs_df = runs_frame(runs).map_err(sql_error(&tables, ""))?;
        tables.insert(
            1,
            (
                "runs".to_string(),
                runs_df
                    .get_column_names()
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
            ),
        );
        ctx.register("runs", runs_df.lazy());
        Ok(Catalog { ctx, tables })
    }

    /// Run one SQL statement. A bad statement gives Polars' message and every table's columns;
    /// so does a statement that makes Polars panic (a type it was built without, say).
    pub fn query(&mut self, sql: &str) -> Result<DataFrame, QueryError> {
        let tables = &self.tables;
        let ctx = &mut self.ctx;
        let run = std::panic::AssertUnwindSafe(|| ctx.execute(sql).and_then(LazyFrame::collect));
        match std::panic::catch_unwind(run) {
            Ok(r) => r.map_err(sql_error(tables, sql)),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(sql_error(tables, sql)(PolarsError::ComputeError(
                    format!("Polars could not run this statement: {what}").into(),
                )))
            }
        }
    }

    pub fn tables(&self) -> &[(String, Vec<String>)] {
        &self.tables
    }
}

fn columns(lf: &LazyFrame) -> PolarsResult<Vec<String>> {
    Ok(lf
        .clone()
        .collect_schema()?
        .iter_names()
        .map(|n| n.to_string())
        .collect())
}

/// Polars' error for the statement `sql`, with where in it Polars says, and every table's
/// columns.
fn sql_error<'a>(
    tables: &'a [(String, Vec<String>)],
    sql: &'a str,
) -> impl Fn(PolarsError) -> QueryError + 'a {
    move |e| QueryError::Sql {
        message: e.to_string(),
        where_: locate(sql, &e.to_string()),
        tables: tables
            .iter()
            .map(|(t, cols)| format!("  {t}: {}", cols.join(", ")))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// A cell as text: strings bare, null empty, floats in full (Polars' display keeps six
/// decimals), integers of any width and decimals exactly, dates and times in ISO 8601, lists
/// and structs as JSON.
pub fn cell_text(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(f) => f.to_string(),
        AnyValue::Float32(f) => f.to_string(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::List(_)
        | AnyValue::Array(..)
        | AnyValue::Struct(..)
        | AnyValue::StructOwned(_)
        | AnyValue::Binary(_)
        | AnyValue::BinaryOwned(_) => cell_json(v).to_string(),
        other => other.to_string(),
    }
}

/// A cell as JSON: numbers, booleans and null typed; integers past 64 bits and decimals as
/// their exact text (a JSON number would round them); dates and times as ISO 8601 text; lists
/// as arrays, structs as objects, bytes as hex.
pub fn cell_json(v: &AnyValue) -> serde_json::Value {
    use serde_json::{Number, Value};
    let float = |f: f64| Number::from_f64(f).map_or(Value::Null, Value::Number);
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Float64(f) => float(*f),
        AnyValue::Float32(f) => float(f64::from(*f)),
        AnyValue::Int8(_) | AnyValue::Int16(_) | AnyValue::Int32(_) | AnyValue::Int64(_) => {
            v.extract::<i64>().map_or(Value::Null, Value::from)
        }
        AnyValue::UInt8(_) | AnyValue::UInt16(_) | AnyValue::UInt32(_) | AnyValue::UInt64(_) => {
            v.extract::<u64>().map_or(Value::Null, Value::from)
        }
        AnyValue::Int128(x) => i64::try_from(*x).map_or(Value::String(x.to_string()), Value::from),
        AnyValue::UInt128(x) => u64::try_from(*x).map_or(Value::String(x.to_string()), Value::from),
        AnyValue::List(s) | AnyValue::Array(s, _) => {
            Value::Array(s.iter().map(|x| cell_json(&x)).collect())
        }
        AnyValue::Struct(_, _, fields) => Value::Object(
            fields
                .iter()
                .zip(v._iter_struct_av())
                .map(|(f, x)| (f.name().to_string(), cell_json(&x)))
                .collect(),
        ),
        AnyValue::StructOwned(b) => Value::Object(
            b.1.iter()
                .zip(&b.0)
                .map(|(f, x)| (f.name().to_string(), cell_json(x)))
                .collect(),
        ),
        AnyValue::Binary(b) => Value::String(hex(b)),
        AnyValue::BinaryOwned(b) => Value::String(hex(b)),
        other if other.dtype().is_float() => other.extract::<f64>().map_or(Value::Null, float),
        other => Value::String(other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where in `sql` Polars' message `message` points (its parser says `Line: L, Column: C`): the
/// line of the statement with a caret under the column.
pub fn locate(sql: &str, message: &str) -> Option<String> {
    let at = message.find("Line: ")?;
    let rest = &message[at + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let (line, column): (usize, usize) = (line.trim().parse().ok()?, column.parse().ok()?);
    let text = sql.lines().nth(line.checked_sub(1)?)?;
    let pad: String = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some(format!(
        "at line {line}, column {column} of the statement:\n  {text}\n  {pad}^"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_their_values() {
        assert_eq!(
            cell_text(&AnyValue::Float64(1.0 / 3.0)),
            "0.3333333333333333"
        );
        assert_eq!(
            cell_json(&AnyValue::Float64(94.44444444444444)),
            94.44444444444444
        );
        assert_eq!(
            cell_json(&AnyValue::Float64(f64::NAN)),
            serde_json::Value::Null
        );
        assert_eq!(cell_json(&AnyValue::UInt64(u64::MAX)), u64::MAX);
        assert_eq!(cell_json(&AnyValue::Boolean(true)), true);
        assert_eq!(cell_text(&AnyValue::String("東京都")), "東京都");
        assert_eq!(cell_text(&AnyValue::Null), "");
        let list = AnyValue::List(Series::new("".into(), ["mailto:a@x.jp", "mailto:b@y.jp"]));
        assert_eq!(cell_text(&list), r#"["mailto:a@x.jp","mailto:b@y.jp"]"#);
    }
}
