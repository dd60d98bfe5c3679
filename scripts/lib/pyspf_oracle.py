"""pyspf's check_host() over the policy corpus, as a second oracle of SPF validity.

Usage: pyspf_oracle.py CORPUS README

Each corpus entry whose apex publishes SPF is evaluated by pyspf (strict, RFC 7208) against a
DNS made of the corpus as the embedded server serves it (src/sim/server.rs: apex TXT and MX,
an A record of 192.0.2.80 for every entry, `_dmarc` and `at` TXT records, nothing else), for a
sender address that no record names, so that every mechanism is evaluated (the worst case a
survey counts without a sender). pyspf's pass, fail, softfail and neutral mean a valid record,
permerror an invalid one; mailcensus's reading is the entry's `expect.spf`. Every record on
which the two part must be listed in README.md between the markers below, with the RFC
section that decides it; a listed record that no longer parts is reported as stale. Prints
the counts and exits 1 on an unlisted or stale disagreement.
"""

import json
import re
import sys

import spf

# An address in no corpus record (RFC 5771's documentation block for multicast): no
# mechanism matches, so evaluation runs to the end, as a survey reads a record.
SENDER = "233.252.0.1"
BEGIN = "<!-- pyspf disagreements: scripts/policy-checks keeps this list equal -->"
END = "<!-- end of pyspf disagreements -->"

VALID = {"hard-fail", "soft-fail", "neutral", "pass-all"}
INVALID = {"invalid", "lookup-limit"}


def load(path):
    entries, at = {}, {}
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        e = json.loads(line)
        entries[e["name"].rstrip(".").lower()] = e
        for owner, txts in e.get("at", {}).items():
            at[owner.rstrip(".").lower()] = txts
    return entries, at


def dns(entries, at):
    def lookup(name, qtype, strict=True, timeout=None, level=0):
        n = name.rstrip(".").lower()
        e = entries.get(n)
        if qtype in ("TXT", "SPF"):
            if n in at:
                txts = at[n]
            elif e is not None:
                txts = e.get("txt", [])
            elif n.startswith("_dmarc.") and n[7:] in entries:
                txts = entries[n[7:]].get("dmarc", [])
            else:
                txts = []
            return [((name, "TXT"), tuple(s.encode() for s in rec)) for rec in txts]
        if e is None:
            return []
        if qtype == "A":
            return [((name, "A"), "192.0.2.80")]
        if qtype == "MX":
            out = []
            for mx in e.get("mx", []):
                pref, host = mx.split()
                out.append(((name, "MX"), (int(pref), host.rstrip("."))))
            return out
        return []

    return lookup


def listed(readme):
    text = open(readme, encoding="utf-8").read()
    try:
        block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    except IndexError:
        sys.exit(f"{readme}: no pyspf disagreement list between its markers")
    # One table row a record: | `record` | pyspf | mailcensus | why |
    return {m.group(1) for m in re.finditer(r"^\| `(.+?)` \|", block, re.M)}


def main():
    corpus, readme = sys.argv[1:3]
    entries, at = load(corpus)
    spf.DNSLookup = dns(entries, at)
    parted, checked, agree = [], 0, 0
    for name, e in sorted(entries.items()):
        ours = e.get("expect", {}).get("spf")
        if ours not in VALID | INVALID:
            continue  # absent or a temperror: not a question of validity
        checked += 1
        result, _, _ = spf.query(i=SENDER, s="postmaster@" + name, h=name).check()
        theirs_valid = result in ("pass", "fail", "softfail", "neutral")
        if result not in ("pass", "fail", "softfail", "neutral", "permerror"):
            parted.append((name, ours, result))
        elif theirs_valid != (ours in VALID):
            parted.append((name, ours, result))
        else:
            agree += 1
    records = {n: "".join("".join(r) for r in entries[n].get("txt", [])[:1]) for n, _, _ in parted}
    explained = listed(readme)
    unlisted = [(n, o, t) for n, o, t in parted if records[n] not in explained]
    stale = explained - {records[n] for n, _, _ in parted}
    print(
        f"pyspf {spf.__version__}: {checked} corpus records with SPF, {agree} agree on validity, "
        f"{len(parted)} part ({len(parted) - len(unlisted)} listed in the README)"
    )
    for n, o, t in unlisted:
        print(f"  unlisted: {n}: mailcensus {o}, pyspf {t}: {records[n]}")
    for r in sorted(stale):
        print(f"  listed but no longer parted: {r}")
    sys.exit(1 if unlisted or stale else 0)


if __name__ == "__main__":
    main()
