"""The SQL a researcher writes over mailcensus runs, run by `mailcensus query` (Polars SQL) and
by DuckDB over the same results.parquet files, value for value.

Usage: sql_conformance.py MAILCENSUS RUN1 RUN2 [--list]

Each query is (name, Polars SQL, DuckDB SQL or None for the same text, ordered). A query
whose result has no ORDER BY is compared as a multiset of rows. Numbers compare within 1e-9
(relative); integers past 64 bits and decimals, which mailcensus keeps exact, compare as
numbers. Exit status 1 if any query fails or differs.
"""
import datetime
import decimal
import json
import math
import os
import subprocess
import sys
import tempfile

import duckdb

QUERIES = [
    # Counts, plain and grouped.
    ("count star over every run", "SELECT COUNT(*) FROM results", None, True),
    ("count star of one run, aliased", "SELECT count(*) AS n FROM results_1", None, True),
    ("count of a column skips nulls", "SELECT COUNT(has_spf) AS settled FROM results_2", None, True),
    ("count per type", "SELECT jp_type, COUNT(*) AS n FROM results_1 GROUP BY jp_type ORDER BY jp_type", None, True),
    ("count per run", "SELECT run_seq, COUNT(*) AS n FROM results GROUP BY run_seq ORDER BY run_seq", None, True),
    ("count distinct", "SELECT COUNT(DISTINCT registered_domain) AS domains FROM results_1", None, True),
    ("count distinct per group",
     "SELECT jp_type, COUNT(DISTINCT prefecture) AS prefs FROM results_1 WHERE prefecture IS NOT NULL GROUP BY jp_type ORDER BY jp_type",
     None, True),
    # Rates with CASE, conditional sums.
    ("rates with CASE",
     "SELECT jp_type, SUM(CASE WHEN has_spf THEN 1 ELSE 0 END) AS spf, COUNT(has_spf) AS settled, "
     "100.0 * SUM(CASE WHEN has_spf THEN 1 ELSE 0 END) / COUNT(has_spf) AS pct "
     "FROM results_1 WHERE has_mx GROUP BY jp_type ORDER BY jp_type",
     None, True),
    ("rounded rate",
     "SELECT ROUND(100.0 * SUM(CASE WHEN has_dmarc THEN 1 ELSE 0 END) / COUNT(has_dmarc), 1) AS pct FROM results_1 WHERE has_mx",
     None, True),
    ("conditional sums of policies",
     "SELECT jp_type, SUM(CASE WHEN dmarc_policy = 'reject' THEN 1 ELSE 0 END) AS reject, "
     "SUM(CASE WHEN dmarc_policy = 'quarantine' THEN 1 ELSE 0 END) AS quarantine, "
     "SUM(CASE WHEN dmarc_policy = 'none' THEN 1 ELSE 0 END) AS none_ "
     "FROM results_1 GROUP BY jp_type ORDER BY jp_type",
     None, True),
    ("CASE with several arms",
     "SELECT CASE WHEN dmarc_protection IN ('reject', 'quarantine') THEN 'enforced' "
     "WHEN dmarc_protection = 'absent' THEN 'none published' WHEN dmarc_protection IS NULL THEN 'unresolved' "
     "ELSE 'weak' END AS class, COUNT(*) AS n FROM results_1 GROUP BY class ORDER BY class",
     None, True),
    ("boolean cast summed", "SELECT SUM(CAST(has_mx AS INTEGER)) AS mx FROM results_1", None, True),
    # HAVING, ORDER BY ... LIMIT.
    ("having",
     "SELECT prefecture, COUNT(*) AS n FROM results_1 WHERE prefecture IS NOT NULL GROUP BY prefecture "
     "HAVING COUNT(*) > 1 ORDER BY n DESC, prefecture",
     None, True),
    ("order by limit",
     "SELECT name, spf_dns_terms FROM results_1 WHERE spf_dns_terms IS NOT NULL ORDER BY spf_dns_terms DESC, name LIMIT 10",
     None, True),
    ("order by limit offset",
     "SELECT name FROM results_1 WHERE jp_type = 'GO' ORDER BY name LIMIT 5 OFFSET 3", None, True),
    ("min max avg",
     "SELECT MIN(spf_dns_terms) AS lo, MAX(spf_dns_terms) AS hi, AVG(spf_dns_terms) AS mean FROM results_1",
     None, True),
    ("median", "SELECT MEDIAN(spf_dns_terms) AS m FROM results_1", None, True),
    # CTEs and subqueries.
    ("cte",
     "WITH geo AS (SELECT * FROM results_1 WHERE region IS NOT NULL) "
     "SELECT region, COUNT(*) AS n, SUM(CASE WHEN has_spf THEN 1 ELSE 0 END) AS spf FROM geo GROUP BY region ORDER BY region",
     None, True),
    ("two ctes joined",
     "WITH a AS (SELECT jp_type, COUNT(*) AS n FROM results_1 GROUP BY jp_type), "
     "b AS (SELECT jp_type, COUNT(*) AS m FROM results_2 GROUP BY jp_type) "
     "SELECT a.jp_type, a.n, b.m FROM a JOIN b ON a.jp_type = b.jp_type ORDER BY a.jp_type",
     None, True),
    ("in subquery",
     "SELECT COUNT(*) AS n FROM results_2 WHERE registered_domain IN (SELECT registered_domain FROM results_1 WHERE jp_type = 'GO')",
     None, True),
    ("aggregates with FILTER",
     "SELECT jp_type, COUNT(*) FILTER (WHERE has_dmarc) AS dmarc, SUM(spf_dns_terms) FILTER (WHERE has_mx) AS terms "
     "FROM results_1 GROUP BY jp_type ORDER BY jp_type",
     None, True),
    ("IS DISTINCT FROM: changed or unresolved in one run",
     "SELECT COUNT(*) AS n FROM results_1 a JOIN results_2 b ON a.name = b.name WHERE a.has_dmarc IS DISTINCT FROM b.has_dmarc",
     None, True),
    ("derived table",
     "SELECT t.jp_type, t.n FROM (SELECT jp_type, COUNT(*) AS n FROM results_1 GROUP BY jp_type) AS t WHERE t.n > 100 ORDER BY t.n DESC, t.jp_type",
     None, True),
    # Window functions.
    ("rank per prefecture",
     "SELECT prefecture, name, RANK() OVER (PARTITION BY prefecture ORDER BY name) AS r FROM results_1 "
     "WHERE prefecture IS NOT NULL ORDER BY prefecture, r",
     None, True),
    ("row number",
     "SELECT name, ROW_NUMBER() OVER (ORDER BY name) AS i FROM results_1 WHERE jp_type = 'GO' ORDER BY i",
     None, True),
    ("count over partition",
     "SELECT DISTINCT jp_type, COUNT(*) OVER (PARTITION BY jp_type) AS n FROM results_1 ORDER BY jp_type",
     None, True),
    ("sum over partition",
     "SELECT name, SUM(spf_dns_terms) OVER (PARTITION BY jp_type) AS terms FROM results_1 WHERE jp_type = 'LG' ORDER BY name",
     None, True),
    # Joins of two runs.
    ("join two runs on name",
     "SELECT COUNT(*) AS n FROM results_1 a JOIN results_2 b ON a.name = b.name", None, True),
    ("names whose DMARC changed",
     "SELECT a.name, a.has_dmarc AS before, b.has_dmarc AS after FROM results_1 a JOIN results_2 b ON a.name = b.name "
     "WHERE a.has_dmarc <> b.has_dmarc ORDER BY a.name",
     None, True),
    ("left join and IS NULL",
     "SELECT COUNT(*) AS n FROM results_1 a LEFT JOIN (SELECT name FROM results_2 WHERE has_dmarc) b ON a.name = b.name WHERE b.name IS NULL",
     None, True),
    ("join with runs",
     "SELECT x.run_seq, r.names, COUNT(*) AS n FROM results x JOIN runs r ON x.run_seq = r.run_seq GROUP BY x.run_seq, r.names ORDER BY x.run_seq",
     None, True),
    ("union all",
     "SELECT name FROM results_1 WHERE jp_type = 'GO' UNION ALL SELECT name FROM results_2 WHERE jp_type = 'GO'",
     None, False),
    # Text matches.
    ("like", "SELECT COUNT(*) AS n FROM results_1 WHERE name LIKE '%.co.jp'", None, True),
    ("not like with underscore", "SELECT COUNT(*) AS n FROM results_1 WHERE name NOT LIKE '_____%'", None, True),
    ("ilike", "SELECT COUNT(*) AS n FROM results_1 WHERE input ILIKE '%.GO.JP'", None, True),
    ("regular expression on names",
     "SELECT COUNT(*) AS n FROM results_1 WHERE REGEXP_LIKE(name, '^[a-z]+[0-9]+\\.(co|ne)\\.jp$')",
     "SELECT COUNT(*) AS n FROM results_1 WHERE regexp_full_match(name, '^[a-z]+[0-9]+\\.(co|ne)\\.jp$')",
     True),
    ("regular expression on the records",
     "SELECT COUNT(*) AS n FROM results_1 WHERE REGEXP_LIKE(ARRAY_TO_STRING(spf_records, ' '), 'include:_spf\\.sim-provider-[ab]')",
     "SELECT COUNT(*) AS n FROM results_1 WHERE regexp_matches(array_to_string(spf_records, ' '), 'include:_spf\\.sim-provider-[ab]')",
     True),
    ("in list", "SELECT jp_type, COUNT(*) AS n FROM results_1 WHERE jp_type IN ('GO', 'LG', 'AC') GROUP BY jp_type ORDER BY jp_type", None, True),
    ("not in list", "SELECT COUNT(*) AS n FROM results_1 WHERE compliance NOT IN ('compliant', 'compliant-advice')", None, True),
    ("unresolved: presence IS NULL",
     "SELECT COUNT(*) AS n FROM results_2 WHERE has_spf IS NULL OR has_dmarc IS NULL OR has_mx IS NULL", None, True),
    ("settled: IS NOT NULL", "SELECT COUNT(*) AS n FROM results_2 WHERE has_dmarc IS NOT NULL", None, True),
    ("coalesce", "SELECT COALESCE(dmarc_policy, 'no policy') AS p, COUNT(*) AS n FROM results_1 GROUP BY p ORDER BY p", None, True),
    ("nullif", "SELECT COUNT(NULLIF(jp_type, 'GENERAL')) AS not_general FROM results_1", None, True),
    # String functions on names.
    ("length and upper",
     "SELECT name, LENGTH(name) AS len, UPPER(name) AS up FROM results_1 WHERE jp_type = 'GO' ORDER BY name", None, True),
    ("split part: the first label",
     "SELECT SPLIT_PART(name, '.', 1) AS label FROM results_1 WHERE jp_type = 'LG' ORDER BY label LIMIT 20", None, True),
    ("starts with, ends with",
     "SELECT COUNT(*) AS n FROM results_1 WHERE STARTS_WITH(name, 'city.') AND ENDS_WITH(name, '.lg.jp')", None, True),
    ("substring and concat",
     "SELECT SUBSTR(name, 1, 4) || '-' || jp_type AS k FROM results_1 WHERE jp_type = 'GO' ORDER BY k", None, True),
    ("replace", "SELECT REPLACE(name, '.go.jp', '') AS body FROM results_1 WHERE jp_type = 'GO' ORDER BY body", None, True),
    # List columns.
    ("array length of answers",
     "SELECT ARRAY_LENGTH(mx_answers) AS answers, COUNT(*) AS n FROM results_1 GROUP BY answers ORDER BY answers",
     "SELECT len(mx_answers) AS answers, COUNT(*) AS n FROM results_1 GROUP BY answers ORDER BY answers",
     True),
    ("unnest report destinations",
     "SELECT name, UNNEST(dmarc_rua) AS uri FROM results_1 WHERE ARRAY_LENGTH(dmarc_rua) > 0 ORDER BY name, uri",
     "SELECT name, UNNEST(dmarc_rua) AS uri FROM results_1 WHERE len(dmarc_rua) > 0 ORDER BY name, uri",
     True),
    ("array contains",
     "SELECT COUNT(*) AS n FROM results_1 WHERE ARRAY_CONTAINS(compliance_advice, 'move-to-reject')",
     "SELECT COUNT(*) AS n FROM results_1 WHERE list_contains(compliance_advice, 'move-to-reject')",
     True),
    ("policies per type and run",
     "SELECT run_seq, jp_type, COUNT(*) AS n FROM results WHERE dmarc_policy IS NOT NULL GROUP BY run_seq, jp_type ORDER BY run_seq, jp_type",
     None, True),
    ("change between runs per type",
     "WITH r AS (SELECT run_seq, jp_type, SUM(CASE WHEN has_dmarc THEN 1 ELSE 0 END) AS dmarc FROM results GROUP BY run_seq, jp_type) "
     "SELECT a.jp_type, b.dmarc - a.dmarc AS gained FROM r a JOIN r b ON a.jp_type = b.jp_type WHERE a.run_seq = 1 AND b.run_seq = 2 ORDER BY a.jp_type",
     None, True),
    ("verdicts of the 2025 guideline",
     "SELECT compliance, COUNT(*) AS n FROM results_1 WHERE compliance IS NOT NULL GROUP BY compliance ORDER BY n DESC, compliance",
     None, True),
    ("dns operators by size",
     "SELECT dns_operator, COUNT(*) AS n FROM results_1 WHERE dns_operator IS NOT NULL GROUP BY dns_operator ORDER BY n DESC, dns_operator LIMIT 5",
     None, True),
    # Types of every kind.
    ("runs table", "SELECT run_seq, names, unresolved_names FROM runs ORDER BY run_seq", None, True),
    ("dates", "SELECT run_date, COUNT(*) AS n FROM results GROUP BY run_date ORDER BY run_date", None, True),
    ("date arithmetic", "SELECT run_seq, run_date, EXTRACT(year FROM run_date) AS y, DATE_PART('month', run_date) AS m FROM runs ORDER BY run_seq",
     "SELECT run_seq, run_date, EXTRACT(year FROM run_date) AS y, DATE_PART('month', run_date) AS m FROM runs ORDER BY run_seq", True),
    ("timestamps parsed from text", "SELECT run_seq, STRPTIME(started, '%Y-%m-%dT%H:%M:%SZ') AS t FROM runs ORDER BY run_seq", None, True),
    ("unsigned and wide integers", "SELECT line, prefecture_code FROM results_1 WHERE jp_type = 'GO' ORDER BY line LIMIT 20", None, True),
    ("booleans and nulls", "SELECT name, has_mx, null_mx, has_spf, dnssec FROM results_2 WHERE jp_type = 'GO' ORDER BY name", None, True),
]


# Statements Polars SQL refuses, each with the way DuckDB (or Polars) does it: checked to still
# fail in mailcensus and to work in DuckDB, so that the README's list stays true.
UNSUPPORTED = [
    ("a comparison with a scalar subquery",
     "SELECT jp_type, COUNT(*) AS n FROM results_1 GROUP BY jp_type HAVING COUNT(*) > (SELECT COUNT(*) FROM results_1 WHERE jp_type = 'GO')"),
    ("a join condition beyond equalities of columns",
     "SELECT COUNT(*) AS n FROM results_1 a LEFT JOIN results_2 b ON a.name = b.name AND b.has_spf WHERE b.name IS NULL"),
    ("ORDER BY a joined table's qualified column after GROUP BY, where both tables have it",
     "SELECT r.run_seq, COUNT(*) AS n FROM results x JOIN runs r ON x.run = r.run GROUP BY r.run_seq ORDER BY r.run_seq"),
    ("a scalar subquery in the select list",
     "SELECT jp_type, COUNT(*) AS n, (SELECT COUNT(*) FROM results_1) AS total FROM results_1 GROUP BY jp_type"),
    ("CAST of a list to text",
     "SELECT COUNT(*) AS n FROM results_1 WHERE CAST(spf_records AS VARCHAR) LIKE '%include:%'"),
    ("CAST to DECIMAL",
     "SELECT CAST(AVG(spf_dns_terms) AS DECIMAL(10, 2)) AS mean FROM results_1"),
    ("BOOL_AND / BOOL_OR",
     "SELECT BOOL_AND(has_mx) AS all_mx FROM results_1"),
]


def run_mailcensus(bin_, sql, runs, out):
    p = subprocess.run([bin_, "query", sql, *runs, "--out", out, "--format", "csv"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[0] if p.stderr.strip() else "failed"
    return duckdb.sql(f"SELECT * FROM read_parquet('{out}')").fetchall(), None


def runs_of(runs):
    """Each run's label, seq and date as `mailcensus query` gives them (oldest first)."""
    info = []
    for r in runs:
        m = json.load(open(os.path.join(r, "manifest.json"), encoding="utf-8"))
        info.append((m["started"], r, m))
    info.sort(key=lambda x: x[0])
    names = [os.path.basename(os.path.normpath(r)) for _, r, _ in info]
    unique = len(set(names)) == len(names)
    return [(n if unique else r, i + 1, s[:10], r, m) for i, ((s, r, m), n) in enumerate(zip(info, names))]


def duck_catalog(runs):
    con = duckdb.connect()
    parts = []
    rows = []
    for label, seq, date, path, m in runs_of(runs):
        results = os.path.join(path, "results.parquet")
        con.execute(
            f"CREATE VIEW results_{seq} AS SELECT *, '{label}' AS run, CAST({seq} AS BIGINT) AS run_seq, "
            f"DATE '{date}' AS run_date FROM read_parquet('{results}')")
        parts.append(f"SELECT * FROM results_{seq}")
        rows.append((label, seq, date, m["started"], m.get("finished"), m["input"],
                     " ".join(m["resolvers"]), m["names"], m["unresolved_names"], path))
    con.execute("CREATE VIEW results AS " + " UNION ALL BY NAME ".join(parts))
    con.execute("CREATE TABLE runs (run VARCHAR, run_seq BIGINT, run_date DATE, started VARCHAR, "
                "finished VARCHAR, input VARCHAR, resolvers VARCHAR, names UBIGINT, "
                "unresolved_names UBIGINT, folder VARCHAR)")
    con.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def norm(v):
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    return v


def same(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def main():
    bin_, run1, run2 = sys.argv[1:4]
    runs = [run1, run2]
    if "--list" in sys.argv:
        for name, sql, duck, _ in QUERIES:
            print(f"{name}: {sql}")
        return
    con = duck_catalog(runs)
    passed, failed = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, sql, duck_sql, ordered) in enumerate(QUERIES):
            ours, err = run_mailcensus(bin_, sql, runs, os.path.join(tmp, f"q{i}.parquet"))
            if err:
                failed.append((name, f"mailcensus: {err}"))
                continue
            theirs = con.sql(duck_sql or sql).fetchall()
            a = [norm(list(r)) for r in ours]
            b = [norm(list(r)) for r in theirs]
            if not ordered:
                a, b = sorted(a, key=repr), sorted(b, key=repr)
            if len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)):
                passed += 1
                print(f"ok    {name} ({len(a)} row{'' if len(a) == 1 else 's'})")
            else:
                failed.append((name, f"{len(a)} rows vs DuckDB's {len(b)}; first: {a[:2]} vs {b[:2]}"))
        for name, sql in UNSUPPORTED:
            _, err = run_mailcensus(bin_, sql, runs, os.path.join(tmp, "u.parquet"))
            con.sql(sql).fetchall()
            if err:
                print(f"gap   {name}: Polars SQL says {err!r}; DuckDB runs it")
            else:
                failed.append((name, "Polars SQL runs it now: move it to QUERIES and out of the README's list"))
    for name, why in failed:
        print(f"FAIL  {name}: {why}")
    print(f"{passed} of {len(QUERIES)} queries equal to DuckDB's result (duckdb {duckdb.__version__}); "
          f"{len(UNSUPPORTED)} known gaps of Polars SQL confirmed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
