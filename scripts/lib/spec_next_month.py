"""The next month's spec: 20,000 more CO names with DMARC (column 7), written to OUT.

Usage: spec_next_month.py SPEC.csv OUT.csv
"""
import sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
out = []
for r in rows:
    f = r.split(",")
    if f[0] == "CO":
        f[6] = str(int(f[6]) + 20000)
    out.append(",".join(f))
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(out) + "\n")
