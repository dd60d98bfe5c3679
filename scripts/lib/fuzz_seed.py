"""Seed a cargo-fuzz target's corpus with the policy corpus's records, one file each.

Usage: fuzz_seed.py TARGET
"""
import json, sys, hashlib, pathlib
target = sys.argv[1]
out = pathlib.Path("fuzz/corpus") / target
for line in open("tests/data/policy-corpus.jsonl", encoding="utf-8"):
    e = json.loads(line)
    for rec in e.get("txt", []) + e.get("dmarc", []):
        data = "".join(rec).encode()
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
