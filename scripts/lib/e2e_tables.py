"""A run's tables against the published 2018 counts divided by SCALE; exit 1 on a difference.

Usage: e2e_tables.py TABLES_DIR SCALE TYPES_REFERENCE.csv LG_REGIONS_REFERENCE.csv
"""
import csv, sys
tables, scale, types_ref, lg_ref = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rows(path):
    with open(path, encoding="utf-8-sig") as f:
        return list(csv.DictReader(l for l in f if not l.startswith("#")))
got = {r["type"]: r for r in rows(f"{tables}/jp_types.csv")}
bad = []
for r in rows(types_ref):
    t = r["type"]
    if t == "ALL":
        continue
    for ref_col, col in [("total_domains", "domains"), ("mx", "mx"), ("spf", "spf"), ("dmarc", "dmarc")]:
        want, have = int(r[ref_col]) // scale, int(got[t][col])
        if want != have:
            bad.append(f"{t} {col}: {have} != {want}")
    for col in ["mx_unresolved", "spf_unresolved", "dmarc_unresolved"]:
        if got[t][col] != "0":
            bad.append(f"{t} {col}: {got[t][col]}")
checked = "every per-type count"
if scale == 1:
    lg = {r["region"]: r for r in rows(f"{tables}/localgov_regions.csv")}
    for r in rows(lg_ref):
        g = lg[r["region_en"]]
        for ref_col, col in [("domains", "domains"), ("spf", "spf"), ("dmarc", "dmarc")]:
            if int(r[ref_col]) != int(g[col]):
                bad.append(f"{r['region_en']} {col}: {g[col]} != {r[ref_col]}")
    checked += " and every local-government region count"
if bad:
    print("e2e: FAILED\n" + "\n".join(bad))
    sys.exit(1)
print(f"e2e: OK, {checked} equals the published 2018 table" + (f" divided by {scale}" if scale > 1 else ""))
