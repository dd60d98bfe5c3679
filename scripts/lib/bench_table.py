"""scripts/bench's table, one line per client and round, then the ratios (per round and median).

Usage: bench_table.py RESULTS_TSV FOLDERS_TSV
"""
import statistics
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rounds = max(int(r[6]) for r in rows)
rate, cpu_per = {}, {}
print(f"{'client':46} {'names':>9} {'names/s':>9} {'queries/s':>10} {'CPU s':>7} {'CPU us/name':>11} {'peak RSS':>9} {'drops':>7}")
for label, names, secs, cpu, kib, drops, rnd in rows:
    nps = int(names) / float(secs)
    rate[label, int(rnd)] = nps
    cpu_per[label, int(rnd)] = float(cpu) / int(names) * 1e6
    shown = f"{label} (round {rnd})" if rounds > 1 and rnd != "0" else label
    print(f"{shown:46} {int(names):>9} {nps:>9.0f} {3 * nps:>10.0f} {float(cpu):>7.1f} {cpu_per[label, int(rnd)]:>11.1f} {int(kib) / 1024:>6.0f} MiB {int(drops):>7}")
M, A, D = "mailcensus -> server", "adnshost -> server", "dnsperf"
def ratio(name, f):
    per = [f(r) for r in range(1, rounds + 1)]
    tail = f"   (rounds: {' '.join(f'{x:.2f}' for x in per)})" if rounds > 1 else ""
    print(f"{name:37} {statistics.median(per):.2f}{tail}")
m = statistics.median(rate[M, r] for r in range(1, rounds + 1))
print()
ratio("mailcensus / dnsperf ceiling:", lambda r: rate[M, r] / rate[D, r])
ratio("mailcensus / adnshost:", lambda r: rate[M, r] / rate[A, r])
ratio("CPU per name, mailcensus / adnshost:", lambda r: cpu_per[M, r] / cpu_per[A, r])
print(f"{'mailcensus / checkdmarc:':37} {m / rate['checkdmarc -> server (sample)', 0]:.0f}x")
print(f"{'through Unbound / direct:':37} {rate['mailcensus -> Unbound -> server', 0] / m:.2f}")
folders = {}
for label, folder, results in (l.rstrip("\n").split("\t") for l in open(sys.argv[2])):
    folders[label] = (int(folder), int(results))
for label, (folder, results) in folders.items():
    print(f"run folder / results.parquet ({label}): {folder / results:.2f} ({folder / 2**20:.0f} MiB / {results / 2**20:.0f} MiB)")
