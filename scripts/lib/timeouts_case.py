"""One case's line of scripts/resolver-timeouts; marks MANIFEST.over when it fails --check.

Usage: timeouts_case.py MANIFEST.json LABEL START_SECONDS END_SECONDS
"""
import json, sys
m = json.load(open(sys.argv[1]))
p = m.get("last_pass")
lp = f'{p["recovered"]}/{p["names"]}' if p else "-"
print(f'{sys.argv[2]:<58} {m["unresolved_names"]:>10} {lp:>11} {float(sys.argv[4]) - float(sys.argv[3]):>8.1f}')
# With --check, a case whose last pass ran must leave at most 0.1 % of the names unresolved.
if p and m["unresolved_names"] * 1000 > m["names"]:
    open(sys.argv[1] + ".over", "w").close()
