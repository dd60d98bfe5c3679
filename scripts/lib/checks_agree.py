"""Whether two runs' check statuses agree (counts by run_seq): prints `same N` or `differ: ...`.

Usage: checks_agree.py < COUNTS.csv  (run_seq, bimi, mta_sts, tls_rpt, dmarc_rua_verified, n)
"""
import collections, csv, sys
c = collections.defaultdict(dict)
for r in csv.DictReader(sys.stdin):
    c[r["run_seq"]][tuple(r[k] for k in ("bimi", "mta_sts", "tls_rpt", "dmarc_rua_verified"))] = r["n"]
a, b = c.values()
print(f"same {len(a)}" if a == b else f"differ: {sorted(set(a.items()) ^ set(b.items()))[:6]}")
