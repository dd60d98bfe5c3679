//! SQL over run folders (Polars SQL): the results of every run as one `results` table and each
//! run's alone as `results_<seq>`, beside a `runs` table of what each run was, so that
//! researchers ask their own questions of the raw results, across months.

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::run::OpenedRun;
use crate::run::schema::QUERY_COLUMNS;
use crate::tabulate::{Results, TabulateError};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Read(#[from] TabulateError),
    #[error("{message}\n\nTables and their columns:\n{tables}")]
    Sql {
        /// What Polars said.
        message: String,
        /// Every table with its columns, one per line.
        tables: String,
    },
}

/// The tables a query sees, each with its columns.
pub struct Catalog {
    ctx: SQLContext,
    tables: Vec<(String, Vec<String>)>,
}

/// `runs`: one row per run, oldest first.
fn runs_frame(runs: &[OpenedRun]) -> PolarsResult<DataFrame> {
    let m = |f: &dyn Fn(&OpenedRun) -> String| runs.iter().map(f).collect::<Vec<_>>();
    let n = |f: &dyn Fn(&OpenedRun) -> u64| runs.iter().map(f).collect::<Vec<_>>();
    let [run, run_seq, run_date] = QUERY_COLUMNS;
    df!(
        run => m(&|r| r.label.clone()),
        run_seq => runs.iter().map(|r| r.seq as i64).collect::<Vec<_>>(),
        run_date => m(&|r| r.date().to_string()),
        "started" => m(&|r| r.manifest.started.clone()),
        "finished" => runs.iter().map(|r| r.manifest.finished.clone()).collect::<Vec<_>>(),
        "input" => m(&|r| r.manifest.input.clone()),
        "resolvers" => m(&|r| r.manifest.resolvers.join(" ")),
        "names" => n(&|r| r.manifest.names),
        "unresolved_names" => n(&|r| r.manifest.unresolved_names),
        "folder" => m(&|r| r.dir.path.display().to_string()),
    )
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
                lit(r.date().to_string()).alias(run_date),
            ]);
            each.push(lf.clone());
            let name = format!("results_{}", r.seq);
            tables.push((name.clone(), columns(&lf)?));
            ctx.register(&name, lf);
        }
        // Runs from inputs with different carried-through columns still stack: missing ones
        // are null.
        let all = concat_lf_diagonal(each, UnionArgs::default()).map_err(sql_error(&tables))?;
        tables.insert(0, ("results".to_string(), columns(&all)?));
        ctx.register("results", all);
        let runs_df = runs_frame(runs).map_err(sql_error(&tables))?;
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
            Ok(r) => r.map_err(sql_error(tables)),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(sql_error(tables)(PolarsError::ComputeError(
                    format!("Polars could not run this statement: {what}").into(),
                )))
            }
        }
    }

    pub fn tables(&self) -> &[(String, Vec<String>)] {
        &self.tables
    }
}

fn columns(lf: &LazyFrame) -> Result<Vec<String>, TabulateError> {
    Ok(lf
        .clone()
        .collect_schema()?
        .iter_names()
        .map(|n| n.to_string())
        .collect())
}

fn sql_error(tables: &[(String, Vec<String>)]) -> impl Fn(PolarsError) -> QueryError + '_ {
    move |e| QueryError::Sql {
        message: e.to_string(),
        tables: tables
            .iter()
            .map(|(t, cols)| format!("  {t}: {}", cols.join(", ")))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// A cell as text: strings bare, null empty, floats in full (Polars' display keeps six
/// decimals), lists as a JSON array.
pub fn cell_text(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(f) => f.to_string(),
        AnyValue::Float32(f) => f.to_string(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::List(_) => cell_json(v).to_string(),
        other => other.to_string(),
    }
}

/// A cell as JSON: numbers and booleans typed, lists as arrays.
pub fn cell_json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::List(s) => Value::Array(s.iter().map(|x| cell_json(&x)).collect()),
        AnyValue::Float64(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        AnyValue::Float32(f) => {
            serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number)
        }
        other if other.dtype().is_primitive_numeric() => {
            serde_json::from_str(&other.to_string()).unwrap_or(Value::String(other.to_string()))
        }
        other => Value::String(other.to_string()),
    }
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
