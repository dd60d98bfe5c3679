"""scripts/bench --world's table, one line per client, then the mailcensus / adnshost ratios.

Usage: bench_world_table.py ROWS_TSV NAMES
"""
import sys
n = int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
print(f"{'client':38} {'seconds':>8} {'names/s':>8} {'unresolved':>10} {'reachable':>9} {'questions':>10} {'refused':>8} {'CPU s':>6} {'peak RSS':>9}")
rate = {}
for label, secs, bad, reach, qs, refused, cpu, kib in rows:
    rate[label] = (n / float(secs), int(reach))
    print(f"{label:38} {float(secs):>8.1f} {n / float(secs):>8.0f} {int(bad):>10} {int(reach):>9} {int(qs):>10} {int(refused):>8} {float(cpu):>6.1f} {int(kib) / 1024:>6.0f} MiB")
m, a = rate["mailcensus survey"], rate["adnshost"]
print()
print(f"{'names/s, mailcensus / adnshost:':37} {m[0] / a[0]:.2f}")
print(f"{'reachable unresolved, mailcensus / adnshost:':37} {m[1]} / {a[1]}")
