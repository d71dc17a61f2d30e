#!/usr/bin/env python3
"""VectorFab's Sobol indices against SALib's, on the NumPy peer's model of one AAV lot.

SALib (Saltelli design on a scrambled Sobol' sequence, `SALib.analyze.sobol`, 95 % bootstrap
confidence) runs the peer's own functions (../shared/peers/lot_cost_montecarlo.py); VectorFab runs
`vectorfab uncertainty --format json` on Examples/peer-aav-2000L-montecarlo.yaml, the same model
written as a process file with costs. Both decompose the variance of the cost per dose counted in
fractional doses (cost per released lot ÷ (final vector ÷ dose)): the output VectorFab's Sobol
analysis uses, smooth in every input.

For every input, the first-order and the total index must agree: |VectorFab − SALib| at most
0.01 + the combined half-width sqrt(h_VectorFab² + h_SALib²) widened for the number of
comparisons (Bonferroni: z of 1 − 0.05 / (2 m), m = 2 × inputs, over 1.96), so that two correct
estimators disagree somewhere with a probability of at most 5 %. Exit status 1 and a table of the
disagreements otherwise.

With --negative-control, VectorFab also runs a copy of the model with one distribution changed
(the productivity's sigma 0.4 → 0.2): that comparison must fail, or the check could not tell.

  Tests/salib/compare.py --vectorfab .build/debug/vectorfab [--samples 16384] [--seed 42]
      [--sobol-samples auto] [--peers ../shared/peers] [--negative-control]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import stats

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(REPO, "Examples", "peer-aav-2000L-montecarlo.yaml")

# The peer's uncertain inputs (its sample_inputs), each with its distribution as an inverse CDF
# and the VectorFab input (the process file's field) that encodes it. The failure rate is the
# complement of the cost file's success rate: a monotone map of one input leaves the indices as
# they are. The table is checked against the peer's own sampler before use.
def triangular(low, mode, high):
    return lambda u: stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)


def uniform(low, high):
    return lambda u: low + (high - low) * u


def lognormal(median, sigma):
    return lambda u: median * np.exp(sigma * stats.norm.ppf(u))


INPUTS = [
    ("doubling_h", triangular(22.0, 26.0, 32.0), "cell-line.doubling-time"),
    ("vg_per_cell", lognormal(5.0e4, 0.4), "production.productivity"),
    ("y_clarification", uniform(0.80, 0.95), "downstream[Clarification].yield"),
    ("y_tff", uniform(0.80, 0.95), "downstream[TFF].yield"),
    ("y_affinity", uniform(0.55, 0.80), "downstream[Affinity capture].yield"),
    ("y_aex", uniform(0.50, 0.75), "downstream[AEX].yield"),
    ("y_ufdf", uniform(0.85, 0.95), "downstream[UF/DF].yield"),
    ("y_sterile", uniform(0.88, 0.98), "downstream[Sterile filtration].yield"),
    ("plasmid_price_per_g", triangular(40.0e3, 80.0e3, 150.0e3), "costs.materials.plasmid"),
    ("medium_price_per_l", uniform(60.0, 120.0), "costs.materials.medium"),
    ("labour_rate_per_h", uniform(80.0, 120.0), "costs.labour.rate"),
    ("qc_cost", triangular(150.0e3, 250.0e3, 400.0e3), "costs.qc.per-lot"),
    ("failure_rate", uniform(0.05, 0.15), "costs.success-rate"),
]


def fail(message):
    print(f"salib: {message}", file=sys.stderr)
    sys.exit(2)


# A byte-for-byte copy of the peer, for a clone that has no ../shared beside it (a CI machine);
# where both exist they must be identical, or the check fails (the copy would be stale).
COPY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer")


def load_peer(directory):
    path = os.path.join(directory, "lot_cost_montecarlo.py")
    copy = os.path.join(COPY, "lot_cost_montecarlo.py")
    if os.path.isfile(path):
        if open(path, "rb").read() != open(copy, "rb").read():
            fail(f"{copy} differs from the peer at {path}: copy the peer again")
    elif os.path.isfile(copy):
        print(f"salib: no peer at {path}; running its copy {copy}")
        directory = COPY
    else:
        fail(f"no peer model at {path}: give --peers DIR or VECTORFAB_PEERS (the directory of "
             "lot_cost_montecarlo.py, ../shared/peers beside the repository)")
    sys.path.insert(0, directory)
    import lot_cost_montecarlo as peer
    return peer


def check_table(peer, seed):
    """The inverse CDFs above draw what the peer's sampler draws (Kolmogorov–Smirnov, 100,000
    draws each), and name the same inputs."""
    drawn = peer.sample_inputs(np.random.default_rng(seed), 100_000)
    names = [name for name, _, _ in INPUTS]
    if sorted(drawn) != sorted(names):
        fail(f"the peer's inputs {sorted(drawn)} are not the table's {sorted(names)}")
    grid = np.linspace(0.0005, 0.9995, 2000)
    for name, ppf, _ in INPUTS:
        # Compare against the table's distribution through its quantiles on a fine grid.
        q = ppf(grid)
        cdf = lambda x, q=q: np.interp(x, q, grid, left=0.0, right=1.0)
        p = stats.kstest(drawn[name], cdf).pvalue
        if p < 1e-4:
            fail(f"the table's distribution of {name} is not the peer's (Kolmogorov–Smirnov p = {p:.2g})")


def cost_per_fractional_dose(peer, x):
    """The peer's cost per released lot over its final vector counted in (fractional) doses: the
    peer rounds doses down; the vector is recomputed from its constants as evaluate() does."""
    out = peer.evaluate(x)
    cells = peer.TRANSFECTION_DENSITY * peer.WORKING_VOLUME_L * 1000.0
    vg_final = cells * x["vg_per_cell"]
    for y in ("y_clarification", "y_tff", "y_affinity", "y_aex", "y_ufdf", "y_sterile"):
        vg_final = vg_final * x[y]
    doses = vg_final / (peer.DOSE_VG_PER_KG * peer.PATIENT_KG)
    # The peer's whole doses are these rounded down: a check that the vector is the peer's.
    if not np.array_equal(np.floor(doses), out["doses"]):
        fail("the recomputed vector does not give the peer's doses")
    return out["lot_cost"] / doses


def salib_indices(peer, n, seed):
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = {"num_vars": len(INPUTS), "names": [i[0] for i in INPUTS], "bounds": [[0.0, 1.0]] * len(INPUTS)}
    u = sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    x = {name: ppf(u[:, i]) for i, (name, ppf, _) in enumerate(INPUTS)}
    y = cost_per_fractional_dose(peer, x)
    if not np.all(np.isfinite(y)):
        fail("the peer's cost per dose is not finite on every sample")
    si = analyze.analyze(problem, y, calc_second_order=False, num_resamples=200, conf_level=0.95, seed=seed)
    return {name: (si["S1"][i], si["S1_conf"][i], si["ST"][i], si["ST_conf"][i]) for i, (name, _, _) in enumerate(INPUTS)}


def vectorfab_indices(binary, model, sobol_samples, seed):
    command = [binary, "uncertainty", model, "--samples", "10", "--seed", str(seed), "--threads", "2",
               "--sobol-samples", str(sobol_samples), "--format", "json"]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        fail(f"{' '.join(command)} failed ({run.returncode}):\n{run.stderr}")
    report = json.loads(run.stdout)
    if not report.get("sobol"):
        fail(f"{' '.join(command)} printed no Sobol indices")
    indices = {}
    for i in report["sobol"]:
        (f_lo, f_hi), (t_lo, t_hi) = i["firstOrderInterval"], i["totalInterval"]
        indices[i["input"]] = (i["firstOrder"], (f_hi - f_lo) / 2, i["total"], (t_hi - t_lo) / 2)
    return indices, (report.get("sobolSampling") or {}).get("samples"), seconds


def compare(ours, theirs):
    """Rows of the table and the number of disagreements."""
    missing = sorted(set(label for _, _, label in INPUTS) ^ set(ours))
    if missing:
        fail(f"inputs not in both models (VectorFab's labels against the table's): {missing}")
    m = 2 * len(INPUTS)
    widen = stats.norm.ppf(1 - 0.05 / (2 * m)) / stats.norm.ppf(0.975)
    rows, bad = [], 0
    for name, _, label in INPUTS:
        s1, s1h, st, sth = ours[label]
        r1, r1h, rt, rth = theirs[name]
        for kind, a, ah, b, bh in (("S1", s1, s1h, r1, r1h), ("ST", st, sth, rt, rth)):
            allowed = 0.01 + widen * math.hypot(ah, bh)
            ok = abs(a - b) <= allowed
            bad += not ok
            rows.append((label, kind, a, ah, b, bh, abs(a - b), allowed, ok))
    return rows, bad


def print_table(rows):
    print(f"{'input':38} {'':3} {'VectorFab':>16} {'SALib':>16} {'|diff|':>7} {'allowed':>7}")
    for label, kind, a, ah, b, bh, d, allowed, ok in rows:
        print(f"{label:38} {kind:3} {a:7.3f} ± {ah:5.3f}  {b:7.3f} ± {bh:5.3f} {d:7.3f} {allowed:7.3f}"
              + ("" if ok else "  DISAGREE"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectorfab", required=True, help="the vectorfab executable")
    ap.add_argument("--samples", type=int, default=16384, help="SALib base samples (a power of 2)")
    ap.add_argument("--sobol-samples", default="auto", help="VectorFab's --sobol-samples")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--peers", default=os.environ.get("VECTORFAB_PEERS", os.path.join(os.path.dirname(REPO), "shared", "peers")))
    ap.add_argument("--model", default=MODEL, help="the process file VectorFab runs")
    ap.add_argument("--negative-control", action="store_true",
                    help="also check that a perturbed copy of the model is told apart")
    a = ap.parse_args()
    if a.samples < 64 or a.samples & (a.samples - 1):
        fail(f"--samples {a.samples}: give a power of 2 of at least 64 (Sobol' sequences are balanced at powers of 2)")

    peer = load_peer(os.path.abspath(a.peers))
    check_table(peer, a.seed)
    started = time.perf_counter()
    theirs = salib_indices(peer, a.samples, a.seed)
    salib_seconds = time.perf_counter() - started
    ours, used, seconds = vectorfab_indices(a.vectorfab, a.model, a.sobol_samples, a.seed)
    print(f"SALib: {a.samples:,} base samples, {a.samples * (len(INPUTS) + 2):,} evaluations of the peer, "
          f"{salib_seconds:.1f} s; VectorFab: --sobol-samples {a.sobol_samples} ({used or '?':,} base samples), "
          f"{seconds:.1f} s. Intervals are 95 % half-widths.")
    rows, bad = compare(ours, theirs)
    print_table(rows)
    status = 0
    if bad:
        print(f"salib: FAILED — {bad} of {len(rows)} indices of VectorFab disagree with SALib's", file=sys.stderr)
        status = 1
    else:
        print(f"salib: all {len(rows)} indices agree")

    if a.negative_control:
        with open(a.model, encoding="utf-8") as f:
            text = f.read()
        before = "productivity: {lognormal: {median: \"5e4 vg/cell\", sigma: 0.4}}"
        if before not in text:
            fail(f"the negative control looks for {before!r} in {a.model}")
        with tempfile.TemporaryDirectory() as d:
            perturbed = os.path.join(d, "perturbed.yaml")
            with open(perturbed, "w", encoding="utf-8") as f:
                f.write(text.replace(before, before.replace("sigma: 0.4", "sigma: 0.2")))
            other, _, _ = vectorfab_indices(a.vectorfab, perturbed, a.sobol_samples, a.seed)
        _, told = compare(other, theirs)
        if told == 0:
            print("salib: FAILED — the negative control (productivity sigma 0.2 instead of 0.4) agrees with SALib "
                  "on the unperturbed model: the check cannot tell", file=sys.stderr)
            status = 1
        else:
            print(f"salib: negative control — with the productivity's sigma 0.2 instead of 0.4, {told} of "
                  f"{len(rows)} indices disagree, as they must")
    sys.exit(status)


if __name__ == "__main__":
    main()
