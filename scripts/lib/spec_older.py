"""An older month's spec: SPF and DMARC counts of every type cut by a tenth, on stdout.

Usage: spec_older.py SPEC.csv
"""
import csv, sys
rows = [l for l in open(sys.argv[1], encoding="utf-8") if not l.startswith("#")]
r = csv.DictReader(rows)
w = csv.DictWriter(sys.stdout, fieldnames=r.fieldnames, lineterminator="\n")
w.writeheader()
for row in r:
    for k in ("spf", "dmarc"):
        row[k] = str(int(row[k]) * 9 // 10)
    w.writerow(row)
