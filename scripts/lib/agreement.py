"""Compare checkdmarc's JSON with `mailcensus check --json` over the policy corpus and print
every disagreement, with the corpus case that explains what the record exercises.

Usage: agreement.py CORPUS.jsonl CHECKDMARC.json MAILCENSUS.json
"""
import json
import sys


def spf_class_checkdmarc(d):
    spf = d.get("spf") or {}
    if spf.get("valid"):
        return "valid"
    err = spf.get("error") or ""
    if "does not exist" in err and "include target" not in err and not spf.get("record"):
        return "absent"
    if "multiple SPF" in err:
        return "invalid"
    return "invalid"


def spf_class_mailcensus(m):
    v = m.get("spf_verdict")
    if v == "absent":
        return "absent"
    if v in ("invalid", "lookup-limit"):
        return "invalid"
    if v == "temperror":
        return "temperror"
    return "valid"


VERDICT_ALL = {"hard-fail": "fail", "soft-fail": "softfail", "neutral": "neutral", "pass-all": "pass"}
# Tags RFC 9989 removed: checkdmarc (which follows RFC 9989) ignores their values.
REMOVED_TAGS = ("pct", "rf", "ri")


# Disagreements left on purpose, each with the rule that decides it.
EXPLAINED = {
    "s066.corpus-sim.jp": "RFC 7208 §12 version = \"v=spf1\"; ABNF strings are case-insensitive (RFC 5234 §2.3)",
    "s067.corpus-sim.jp": "as s066: V=SPF1 / v=SPF1 is the version section in another case",
    "s084.corpus-sim.jp": "RFC 7208 §7.1 domain-end = \".\" toplabel: a one-label a: target is a syntax error",
    "s089.corpus-sim.jp": "RFC 7208 §7.1: \"jp:25\" is not a toplabel, so the domain-spec is a syntax error",
    "s090.corpus-sim.jp": "RFC 7208 §12 terms = *( 1*SP ( directive / modifier ) ): a tab does not separate terms",
    "d037.corpus-sim.jp": "RFC 7489 §6.4 / RFC 9989 adkim = \"r\" / \"s\": x is a bad value (policy still read)",
    "d038.corpus-sim.jp": "as d037 for aspf=relaxed",
    "d041.corpus-sim.jp": "RFC 7489 §6.4 dmarc-uri size = \"!\" 1*DIGIT [ \"k\" / \"m\" / \"g\" / \"t\" ]: !10x is bad",
    "e001.corpus-sim.jp": "RFC 7489 §6.6.3 / RFC 9989 §4.10: TXT records not starting v=DMARC1 are discarded, the DMARC one applies",
    "e004.corpus-sim.jp": "as e001: v=DMARC2 is discarded, v=DMARC1 applies",
}


def real_problem(p):
    if p == "MissingPolicy" or (isinstance(p, dict) and "UnknownTag" in p):
        return False
    bad = isinstance(p, dict) and p.get("BadValue", {}).get("tag") in REMOVED_TAGS
    return not bad


def main():
    corpus_path, cd_path, mc_path = sys.argv[1:4]
    cases = {}
    for line in open(corpus_path, encoding="utf-8"):
        if line.strip():
            e = json.loads(line)
            cases[e["name"]] = e.get("case", "")
    cd = {d["domain"]: d for d in json.load(open(cd_path, encoding="utf-8"))}
    mc = {m["domain"]: m for m in json.load(open(mc_path, encoding="utf-8"))}
    compared = 0
    disagreements = []
    for name in cases:
        c, m = cd.get(name), mc.get(name)
        if c is None or m is None:
            disagreements.append((name, "missing", str(c is None), str(m is None)))
            continue
        compared += 1
        a, b = spf_class_checkdmarc(c), spf_class_mailcensus(m)
        if a != b:
            disagreements.append((name, "spf-validity", a, b))
        elif a == "valid":
            # checkdmarc's `all` is the result when nothing matches, redirects followed and
            # neutral by default (§4.7): the same as mailcensus's verdict.
            qa = (c["spf"].get("parsed") or {}).get("all")
            qb = VERDICT_ALL.get(m.get("spf_verdict"))
            if qa != qb:
                disagreements.append((name, "spf-all", str(qa), str(qb)))
            la, lb = c["spf"].get("dns_lookups"), m.get("spf_dns_terms")
            if la != lb:
                disagreements.append((name, "spf-dns-lookups", str(la), str(lb)))
        dm = c.get("dmarc") or {}
        applies = (m.get("dmarc") or {}).get("applies_rfc9989") or {}
        own = (m.get("dmarc") or {}).get("parsed")
        found_a = dm.get("location") if dm.get("record") else None
        if applies.get("source") == "own" and own is not None:
            found_b = name
        else:
            found_b = applies.get("inherited_from")
        if found_a != found_b:
            disagreements.append((name, "dmarc-location", str(found_a), str(found_b)))
            continue
        if found_a is None:
            continue
        valid_a = bool(dm.get("valid"))
        prot = applies.get("protection")
        problems = (own or {}).get("problems") or []
        valid_b = prot not in (None, "invalid") and not [p for p in problems if real_problem(p)]
        if valid_a != valid_b:
            disagreements.append((name, "dmarc-validity", str(valid_a), f"{valid_b} ({prot}; {problems})"))
        elif valid_a:
            pa = ((dm.get("tags") or {}).get("p") or {}).get("value")
            # RFC 9989 reads a record without p as p=none.
            pb = ((own or {}).get("p") or "None").lower()
            if found_b == name and pa != pb:
                disagreements.append((name, "dmarc-p", str(pa), str(pb)))
    explained = 0
    for name, what, a, b in disagreements:
        print(f"{name:28} {what:16} checkdmarc={a!s:12} mailcensus={b}  # {cases.get(name, '')}")
        if name in EXPLAINED:
            explained += 1
            print(f"{'':28} explained: {EXPLAINED[name]}")
    print(f"{compared} names compared, {len(disagreements)} disagreements, "
          f"{len(disagreements) - explained} unexplained")
    sys.exit(1 if len(disagreements) > explained else 0)


if __name__ == "__main__":
    main()
