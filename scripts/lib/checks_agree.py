"""Whether two runs' check statuses agree (counts by run_seq): prints `same N` or `differ: ...`.

Usage: checks_agree.py < COUNTS.csv  (run_seq, the statuses' columns, n)
"""
import collections, csv, sys
c = collections.defaultdict(dict)
for r in csv.DictReader(sys.stdin):
    key = tuple(v for k, v in r.items() if k not in ("run_seq", "n"))
    c[r["run_seq"]][key] = r["n"]
a, b = c.values()
print(f"same {len(a)}" if a == b else f"differ: {sorted(set(a.items()) ^ set(b.items()))[:6]}")
