"""Checks one survey of the simulated world against its ground truth (scripts/e2e-world).

Reads `mailcensus query` CSV of every name's outcomes, flags and truth columns; prints the
figures; exits 1 when a settled flag is wrong, an unreachable name reads as anything but
unresolved, or more than 0.1 % of the reachable names end unresolved.
"""
import csv
import sys

SETTLED = {"answer", "nxdomain", "nodata"}


def main(path, label):
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    wrong = absent = reachable = reachable_unresolved = unreachable = 0
    for r in rows:
        resolved = all(r[f"{k}_outcome"] in SETTLED for k in ("mx", "txt", "dmarc"))
        if r["truth_reachable"] != "1":
            unreachable += 1
            # Unreachable: no lookup may settle, and no flag may be read.
            if resolved or any(r[f] not in ("", None) for f in ("has_mx", "has_spf", "has_dmarc")):
                absent += 1
            continue
        reachable += 1
        if not resolved:
            reachable_unresolved += 1
        truth = {
            "has_mx": "true" if r["truth_mx"] == "mx" else "false",
            "null_mx": "true" if r["truth_mx"] == "null" else "false",
            "has_spf": "true" if r["truth_spf"] == "1" else "false",
            "has_dmarc": "true" if r["truth_dmarc"] == "1" else "false",
        }
        for flag, want in truth.items():
            got = r[flag]
            if got not in ("", None) and got != want:
                wrong += 1
                if wrong <= 5:
                    print(f"e2e-world: {r['name']}: {flag} = {got}, truth {want}", file=sys.stderr)
    share = 100.0 * reachable_unresolved / max(reachable, 1)
    print(
        f"e2e-world: {label}: {len(rows)} names, {unreachable} unreachable (read as settled: {absent}), "
        f"{reachable_unresolved} of {reachable} reachable unresolved ({share:.3f} %), {wrong} flags wrong"
    )
    return 0 if wrong == 0 and absent == 0 and reachable_unresolved * 1000 <= reachable else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
