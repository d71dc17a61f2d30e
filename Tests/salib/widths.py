#!/usr/bin/env python3
"""Widths of the Sobol indices' 95 % intervals against the base samples, from `vectorfab
uncertainty --format json`: the widest first-order and the widest total interval of each
example, the sample count auto chooses, and the seconds each analysis took.

  Tests/salib/widths.py --vectorfab .build-rel/release/vectorfab [--threads 2] [--seed 42]
"""
import argparse
import json
import subprocess

EXAMPLES = ["Examples/peer-aav-2000L-montecarlo.yaml", "Examples/aav-dmd-suspension-2000L.yaml"]


def run(binary, path, sobol, seed, threads):
    out = subprocess.run([binary, "uncertainty", path, "--samples", "10", "--seed", str(seed), "--threads", str(threads),
                          "--sobol-samples", sobol, "--format", "json"], check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    first = max(i["firstOrderInterval"][1] - i["firstOrderInterval"][0] for i in report["sobol"])
    total = max(i["totalInterval"][1] - i["totalInterval"][0] for i in report["sobol"])
    return report["sobolSampling"], first, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectorfab", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--samples", default="1024,2048,4096,8192,16384,32768")
    a = ap.parse_args()
    print("| example | base samples | evaluations | widest first-order CI | widest total CI | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for path in EXAMPLES:
        for sobol in a.samples.split(",") + ["auto"]:
            s, first, total = run(a.vectorfab, path, sobol, a.seed, a.threads)
            n = f"auto → {s['samples']:,} ({s['rounds']} rounds)" if sobol == "auto" else f"{s['samples']:,}"
            print(f"| {path.split('/')[-1]} | {n} | {s['evaluations']:,} | {first:.3f} | {total:.3f} | {s['seconds']:.2f} |")


if __name__ == "__main__":
    main()
