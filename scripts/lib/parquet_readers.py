"""Per-type counts of a run's results.parquet by DuckDB, Polars and mailcensus; 1 if they differ.

Usage: parquet_readers.py RUN_DIR
"""
import csv, sys
import duckdb, polars as pl
run = sys.argv[1]
results = f"{run}/results.parquet"
q = """select jp_type, count(*) as names,
          sum(case when has_mx then 1 else 0 end) as mx,
          sum(case when has_mx and has_spf then 1 else 0 end) as spf,
          sum(case when has_mx and has_dmarc then 1 else 0 end) as dmarc
       from '{}' group by jp_type order by jp_type"""
duck = {r[0]: tuple(int(x) for x in r[1:]) for r in duckdb.sql(q.format(results)).fetchall()}
df = (pl.read_parquet(results)
        .group_by("jp_type")
        .agg(pl.len().alias("names"),
             pl.col("has_mx").fill_null(False).sum().alias("mx"),
             (pl.col("has_mx").fill_null(False) & pl.col("has_spf").fill_null(False)).sum().alias("spf"),
             (pl.col("has_mx").fill_null(False) & pl.col("has_dmarc").fill_null(False)).sum().alias("dmarc")))
polars = {r["jp_type"]: (r["names"], r["mx"], r["spf"], r["dmarc"]) for r in df.iter_rows(named=True)}
with open(f"{run}/tables/jp_types.csv", encoding="utf-8-sig") as f:
    own = {r["type"]: (int(r["domains"]), int(r["mx"]), int(r["spf"]), int(r["dmarc"]))
           for r in csv.DictReader(l for l in f if not l.startswith("#")) if r["type"] != "ALL"}
print(f"duckdb {duckdb.__version__}, polars {pl.__version__}")
print(f"{'type':12} {'mailcensus':>28} {'duckdb':>28} {'polars':>28}")
bad = 0
for t in sorted(own):
    a, b, c = own[t], duck.get(t), polars.get(t)
    flag = "" if a == b == c else "  <- differs"
    bad += bool(flag)
    print(f"{t:12} {str(a):>28} {str(b):>28} {str(c):>28}{flag}")
sys.exit(1 if bad else 0)
