"""scripts/ab's summary: each build's medians and the median paired difference, new against old.

Usage: ab_summary.py RUNS_TSV OLD_BINARY NEW_BINARY
"""
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
runs = {"old": {}, "new": {}}
for label, i, wall, cpu, usr, sys_, kib, _ in rows:
    runs[label][int(i)] = (float(wall), float(cpu), float(usr), float(sys_), int(kib))
print()
for label, path in (("old", sys.argv[2]), ("new", sys.argv[3])):
    r = runs[label].values()
    print(f"{label}: {path}")
    med = lambda at: statistics.median(x[at] for x in r)
    print(f"  median wall {med(0):.2f} s, CPU {med(1):.2f} s (user {med(2):.2f}, system {med(3):.2f}), peak RSS {med(4) / 1024:.0f} MiB")
pairs = sorted(set(runs["old"]) & set(runs["new"]))
# User time is where a change to mailcensus' own code shows; system time is mostly the
# loopback's packet work, which the server's scheduling moves from run to run.
for what, at in (("wall", 0), ("CPU", 1), ("user CPU", 2), ("system CPU", 3)):
    d = [runs["new"][i][at] / runs["old"][i][at] - 1 for i in pairs]
    print(f"new against old, {what}: median {100 * statistics.median(d):+.1f} % over {len(d)} pairs (from {100 * min(d):+.1f} % to {100 * max(d):+.1f} %)")
