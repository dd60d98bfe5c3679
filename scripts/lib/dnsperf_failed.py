"""The names `dnsperf -v` left unresolved (a question unanswered, or not NOERROR or NXDOMAIN).

Usage: dnsperf_failed.py DNSPERF_OUTPUT QUERIES_FILE
"""
import sys
ok = set()
for line in open(sys.argv[1], errors="replace"):
    p = line.split()
    if len(p) >= 4 and p[0] == ">" and p[1] in ("NOERROR", "NXDOMAIN"):
        ok.add((p[2].rstrip(".").lower(), p[3].upper()))
for q in open(sys.argv[2]):
    name, qtype = q.split()
    if (name.lower(), qtype.upper()) not in ok:
        print(name.removeprefix("_dmarc."))
