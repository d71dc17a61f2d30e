#!/usr/bin/env python3
"""CP-SAT reference model of VectorFab's production-planning problem.

A benchmark reference only: nothing in VectorFab imports or runs this script. It solves the
problem the Swift planner solves (instances exported as JSON) to optimality or with a proven
bound, so that the planner's plans can be measured against it.

Usage
-----
    python3 Benchmarks/planner_cpsat.py INSTANCE.json [--time-limit 30] [--workers 1]
    python3 Benchmarks/planner_cpsat.py INSTANCE.json --verify PLAN.json
    python3 Benchmarks/planner_cpsat.py --self-test
    (INSTANCE.json may be `-` for stdin; `--log` prints CP-SAT's search log on stderr.)

The problem
-----------
Product p has up to `lots` identical, optional lots. A lot placed in suite s (which must list
p) at day S holds the suite over [S, S + inSuite), inSuite = expansion + production +
purification + fill. Consecutive lots of a suite are separated by a changeover
(`sameProduct` between lots of one product, `productChange` otherwise). After the suite, QC
release takes `release` days in one of `qcCapacity` shared slots, from a day R >= S + inSuite
(0 = unlimited slots, R = S + inSuite; release 0 needs no slot). The lot is released on day
R + release, which must be <= horizon. Objectives, lexicographic: (1) unmet demand
sum_p max(0, sum(demand_p) - amountPerLot_p * n_p), (2) makespan = latest release day (0 if
no lot).

Output lots: {"product", "suite", "start", "qcStart" (R), "release" (the release day R +
release duration, the day the Swift planner calls `released`)}. `--verify` accepts plans
with "release" and/or "qcStart"; with only "release" it takes R = release - duration.

Time and amounts
----------------
Days are scaled to integers by a resolution, the largest of 1, 0.5, 0.25, 0.1, 0.05, 0.01 day
that represents every duration and both changeovers exactly (within 1e-9 day); the script
stops with an error when none does. The horizon is floored to the resolution, which is exact:
with every duration a multiple of the resolution, a left-justified optimal schedule has all
its days on the grid. Amounts and demands are scaled x1000, rounded (exact for amounts with
at most three decimals) and divided by their gcd for the phase-1 objective only; the
reported `unmet` is recomputed in floating point from the lots placed.

Model (and why this one)
------------------------
Lots of one product are identical, so instead of "lot k of product p, on some suite" the model
uses *slots*: for every suite s and product p it may run, a chain of optional slots
k = 0..M_sp-1, with M_sp = min(lots_p, floor((H - release_p - inSuite_p) /
(inSuite_p + sameProduct)) + 1), the most lots of p that could be released in time from s.
Per slot: a presence literal, a start S (domain [k(inSuite+same), H - release - inSuite]), a
QC start R >= S + inSuite and a release day R + release <= H.

* Symmetry breaking inside a chain: slot k+1 present => slot k present; S_{k+1} >= S_k +
  inSuite + sameProduct (valid: lots of a chain are in start order; with intermediate lots of
  another product the gap is even larger, see "triangle" below); R_{k+1} >= R_k (two lots of
  one product and suite can swap QC slots); absent slots are pinned to their earliest days.
  Suites with the same eligible products are interchangeable: their vectors of lots per
  product are ordered lexicographically (one weighted sum per neighbouring pair).
* Suites: one NoOverlap per suite over intervals [S, S + inSuite + g), g = min(sameProduct,
  productChange): exact when both changeovers are equal. When productChange > sameProduct
  the extra is sequence dependent: for two slots of *different* products on one suite, a
  literal "i before j" with the productChange precedence in each direction. These literals
  form a staircase (slots of each chain are ordered), stated by implications, which makes
  them the order encoding of "how many q-lots precede this p-lot". Pairs that cannot both be
  present (the suite cannot release that many lots in time) get a clause instead of a
  literal; literals of absent slots are pinned. This is exact (any interleaving of products
  is allowed) and far smaller than a circuit over every lot of a suite, and it keeps the
  NoOverlap's global reasoning (edge finding, energy). Exactness matters: campaigns (each
  product in one block per suite) are not always optimal; with shared QC slots an
  interleaved sequence can release earlier (self-test case "interleaving beats campaigns").
* QC: NoOverlap (capacity 1) or Cumulative over optional intervals [R, R + release).
* Redundant linear cuts that CP-SAT's LP uses for bounds (add_cuts):
  - per suite, for each set of products whose release is >= a threshold r: their lots run in
    sequence and finish by H - r: sum n_sq (inSuite_q + g) - g + (pc - g)(#used - 1) <= H - r;
  - per set of QC products: sum n_q release_q <= qcCapacity (H - min inSuite_q), and, once
    the set has >= qcCapacity lots, <= qcCapacity H - (sum of the qcCapacity earliest
    completions any lots of the set can have): each slot starts with a distinct lot;
  - the same bounds with the makespan in place of H, enforced when the set is used.
* Hints: greedy earliest-start list schedules (several product rules, QC slots taken first
  free), first uncapped, then with the lots per product capped near the counts of the
  cuts-only relaxation (aggregate_counts, a tiny CP-SAT model) — an uncapped greedy fills a
  bottleneck QC with the wrong mix. The best plan is a complete hint for phase 1 and the
  fallback plan; phase 2 is hinted with phase 1's plan.
* Phase 1 minimises the unmet demand; phase 2 adds "unmet <= phase 1's value" and minimises
  the makespan. Each phase gets the whole time limit (phase 1 less the time taken to build
  the model and the hints). With one worker, a phase first runs, for a third of its time,
  CP-SAT's interleaved search reduced to the LP subsolver plus the large-neighbourhood
  searches (the single-worker default search has no LNS and rarely improves its first plan
  on the larger instances), then CP-SAT's default search from the best plan for the rest
  (proofs); the bound is the better of the two. With more workers CP-SAT's own portfolio
  runs for the whole time. `makespanBound` is phase 2's bound, i.e. among plans with unmet
  <= phase 1's value (a true bound on the lexicographic optimum when phase 1 is optimal).
  Results with a time limit depend on the machine's speed (CP-SAT's limits are wall time).

Alternatives considered: a circuit per suite over every (lot, suite) arc needs n^2 arc literals
for n candidate lots per suite (hundreds of nodes on large instances) and, without the slot
ordering, (k!)-fold symmetry among identical lots; a model with a fixed number of campaigns
per suite is smaller but not exact (see above).

Triangle assumption: chain precedences are valid when sameProduct <= 2 productChange +
inSuite_q for every other product q of the suite (a lot of q between two lots of p never
shortens their separation below sameProduct). It holds whenever productChange >= sameProduct;
the script checks it and stops with an error otherwise.

Self-test: brute force over every per-suite product sequence (left-justified) and every QC
order (each lot started at the earliest day its completion, the previous start and the slots
allow — over all orders this reaches an optimum) on 129 tiny instances, compared with CP-SAT's
unmet demand and makespan; it also checks that --verify rejects broken copies of each plan
and that every greedy plan is a feasible hint.
"""

import argparse
import itertools
import json
import math
import random
import sys
import time
from collections import defaultdict
from functools import lru_cache

from ortools.sat.python import cp_model

TOL = 1e-6
RESOLUTIONS = [1.0, 0.5, 0.25, 0.1, 0.05, 0.01]
AMOUNT_SCALE = 1000
DEFAULT_PARAMS = ""
# With one worker, each phase first gives this share of its time to CP-SAT's interleaved search
# with only the LP full-problem subsolver beside the large-neighbourhood searches.
LNS_STAGE_SHARE = 1 / 3
LNS_PARAMS = "interleave_search:true " + " ".join(
    f"ignore_subsolvers:'{name}'" for name in
    ("core", "fixed", "max_lp", "no_lp", "pseudo_costs", "quick_restart", "quick_restart_no_lp", "reduced_costs"))


class InstanceError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Instance


class Instance:
    """The JSON instance, validated, in days."""

    def __init__(self, data):
        try:
            self.name = str(data.get("name", ""))
            self.horizon = float(data["horizon"])
            self.period_ends = [float(x) for x in data.get("periodEnds", [])]
            ch = data.get("changeover", {})
            self.same = float(ch.get("sameProduct", 0.0))
            self.change = float(ch.get("productChange", 0.0))
            self.qc = int(data.get("qcCapacity", 0))
            self.products = []
            for p in data["products"]:
                stages = [float(p.get(k, 0.0)) for k in ("expansion", "production", "purification", "fill")]
                self.products.append({
                    "name": str(p.get("name", "")),
                    "stages": stages,
                    "inSuite": sum(stages),
                    "release": float(p.get("release", 0.0)),
                    "amount": float(p["amountPerLot"]),
                    "demand": sum(float(d) for d in p.get("demand", [])),
                    "lots": int(p["lots"]),
                })
            self.suites = []
            for s in data["suites"]:
                prods = []
                for q in s.get("products", []):
                    q = int(q)
                    if not 0 <= q < len(self.products):
                        raise InstanceError(f"suite {s.get('name')!r} lists unknown product {q}")
                    if q not in prods:
                        prods.append(q)
                self.suites.append({"name": str(s.get("name", "")), "products": prods})
        except (KeyError, TypeError, ValueError) as e:
            raise InstanceError(f"malformed instance: {e!r}") from e
        durations = [self.same, self.change, self.horizon]
        for p in self.products:
            durations += p["stages"] + [p["release"], p["amount"]]
            if p["lots"] < 0:
                raise InstanceError(f"product {p['name']!r}: negative lot count")
        if any(d < 0 or not math.isfinite(d) for d in durations):
            raise InstanceError("durations, amounts and the horizon must be finite and non-negative")
        if self.qc < 0:
            raise InstanceError("qcCapacity must be >= 0")

    def unmet(self, counts):
        return sum(max(0.0, p["demand"] - p["amount"] * n) for p, n in zip(self.products, counts))


def choose_resolution(inst):
    durations = [inst.same, inst.change]
    for p in inst.products:
        durations += p["stages"] + [p["release"]]
    for res in RESOLUTIONS:
        if all(abs(d - round(d / res) * res) <= 1e-9 for d in durations):
            return res
    raise InstanceError(
        "durations are not multiples of 0.01 day: "
        + ", ".join(f"{d!r}" for d in durations if abs(d - round(d / 0.01) * 0.01) > 1e-9))


class Scaled:
    """The instance in integer time units of `res` days."""

    def __init__(self, inst, res):
        self.inst, self.res = inst, res
        u = lambda d: int(round(d / res))
        self.H = int(math.floor(inst.horizon / res + 1e-9))
        self.same, self.change = u(inst.same), u(inst.change)
        self.g = min(self.same, self.change)
        # inSuite from the scaled stages, so that it is exact.
        self.D = [sum(u(d) for d in p["stages"]) for p in inst.products]
        self.r = [u(p["release"]) for p in inst.products]
        self.L = [p["lots"] for p in inst.products]
        self.qc = inst.qc
        # Demand and amounts in units of 1/AMOUNT_SCALE, divided by their gcd (unmet demand
        # only takes multiples of it, which rounds CP-SAT's bound up).
        dem = [round(p["demand"] * AMOUNT_SCALE) for p in inst.products]
        amt = [round(p["amount"] * AMOUNT_SCALE) for p in inst.products]
        self.amount_unit = math.gcd(*dem, *amt) or 1
        self.dem = [d // self.amount_unit for d in dem]
        self.amt = [a // self.amount_unit for a in amt]
        self.elig = [s["products"] for s in inst.suites]
        self.P, self.S = len(inst.products), len(inst.suites)

    def gap(self, a, b):
        return self.same if a == b else self.change

    def max_slots(self, p):
        """Most lots of p one suite can release by the horizon."""
        room = self.H - self.r[p] - self.D[p]
        if room < 0:
            return 0
        step = self.D[p] + self.same
        return self.L[p] if step == 0 else min(self.L[p], room // step + 1)

    def check_triangle(self):
        if self.same <= self.change:
            return
        for s, prods in enumerate(self.elig):
            for p in prods:
                for q in prods:
                    if q != p and self.same > 2 * self.change + self.D[q]:
                        raise InstanceError(
                            f"suite {s}: sameProduct > 2*productChange + inSuite of product {q}; "
                            "the slot model assumes the changeovers satisfy the triangle inequality")


# --------------------------------------------------------------------------------------------
# Verification (days, tolerance 1e-6)


def verify(inst, lots, tol=TOL):
    violations = []
    P, S = len(inst.products), len(inst.suites)
    counts = [0] * P
    per_suite = defaultdict(list)
    qc_intervals = []
    releases = []
    for i, lot in enumerate(lots):
        try:
            p, s = lot["product"], lot["suite"]
            start = float(lot["start"])
        except (KeyError, TypeError, ValueError):
            violations.append(f"lot {i}: needs product, suite and start")
            continue
        if not (isinstance(p, int) and 0 <= p < P):
            violations.append(f"lot {i}: unknown product {p!r}")
            continue
        if not (isinstance(s, int) and 0 <= s < S):
            violations.append(f"lot {i}: unknown suite {s!r}")
            continue
        prod = inst.products[p]
        d, r = prod["inSuite"], prod["release"]
        if p not in inst.suites[s]["products"]:
            violations.append(f"lot {i}: suite {s} cannot run product {p}")
        if start < -tol:
            violations.append(f"lot {i}: starts before day 0 ({start})")
        if "qcStart" in lot:
            qc_start = float(lot["qcStart"])
            if "release" in lot and abs(qc_start + r - float(lot["release"])) > tol:
                violations.append(f"lot {i}: release {lot['release']} != qcStart {qc_start} + release {r}")
        elif "release" in lot:
            qc_start = float(lot["release"]) - r
        else:
            violations.append(f"lot {i}: needs release (day) or qcStart")
            continue
        if qc_start < start + d - tol:
            violations.append(f"lot {i}: QC starts at {qc_start:g}, before its suite stay ends at {start + d:g}")
        released = qc_start + r
        if released > inst.horizon + tol:
            violations.append(f"lot {i}: released on day {released:g}, after the horizon {inst.horizon:g}")
        counts[p] += 1
        releases.append(released)
        per_suite[s].append((start, d, p, i))
        if inst.qc > 0 and r > 0:
            qc_intervals.append((qc_start, qc_start + r, i))
    for p, n in enumerate(counts):
        if n > inst.products[p]["lots"]:
            violations.append(f"product {p}: {n} lots placed, more than its {inst.products[p]['lots']}")
    for s, items in per_suite.items():
        items.sort()
        for (a0, d0, p0, i0), (a1, d1, p1, i1) in zip(items, items[1:]):
            need = a0 + d0 + (inst.same if p0 == p1 else inst.change)
            if a1 < need - tol:
                violations.append(
                    f"suite {s}: lot {i1} starts at {a1:g}, before lot {i0} ends plus changeover ({need:g})")
    if inst.qc > 0:
        events = []
        for a, b, i in qc_intervals:
            if b - a > 2 * tol:
                events.append((a + tol, 1, i))
                events.append((b - tol, -1, i))
        events.sort()
        busy = 0
        for t, delta, i in events:
            busy += delta
            if delta > 0 and busy > inst.qc:
                violations.append(f"QC: {busy} releases at day {t:g} (lot {i} starting), more than {inst.qc} slots")
    return {"valid": not violations, "violations": violations,
            "unmet": inst.unmet(counts), "makespan": max(releases, default=0.0)}


# --------------------------------------------------------------------------------------------
# Greedy: earliest-start list scheduling (hint and fallback)


GREEDY_RULES = ("start", "completion", "release", "suite-density", "qc-density", "balance")


def greedy(sc, rule="start", caps=None):
    """Earliest-start list scheduling: lots as (suite, product, start, qcStart) in time units.

    Each step places, among the (suite, product) pairs that can still take a lot, the one that
    is best by `rule` (earliest start, completion or release, then a product preference), in
    the first free QC slot; a pair whose next lot would be released after the horizon is
    dropped (its later lots would be released later still)."""
    remaining = list(sc.L if caps is None else caps)
    last = [None] * sc.S          # (end of suite stay, product)
    qc_free = [0] * sc.qc if sc.qc > 0 else None
    dead = set()
    lots = []
    amount = [sc.inst.products[p]["amount"] for p in range(sc.P)]
    while True:
        best = None
        for s in range(sc.S):
            for p in sc.elig[s]:
                if remaining[p] <= 0 or (s, p) in dead:
                    continue
                start = 0 if last[s] is None else last[s][0] + sc.gap(last[s][1], p)
                end = start + sc.D[p]
                R = max(end, min(qc_free)) if qc_free is not None and sc.r[p] > 0 else end
                change = 0 if last[s] is None or last[s][1] == p else 1
                need = -amount[p] * remaining[p]
                key = {
                    "start": (start, change, need),
                    "completion": (end, change, need),
                    "release": (R + sc.r[p], change, need),
                    "suite-density": (start, change, -amount[p] / max(1, sc.D[p] + sc.same), need),
                    "qc-density": (start, change, -amount[p] / max(1, sc.r[p]), need),
                    "balance": (start, change, -remaining[p] / max(1, sc.L[p])),
                }[rule] + (s, p)
                if best is None or key < best[0]:
                    best = (key, s, p, start, R)
        if best is None:
            break
        _, s, p, start, R = best
        if R + sc.r[p] > sc.H:
            dead.add((s, p))
            continue
        if qc_free is not None and sc.r[p] > 0:
            m = min(range(sc.qc), key=lambda i: qc_free[i])
            qc_free[m] = R + sc.r[p]
        last[s] = (start + sc.D[p], p)
        remaining[p] -= 1
        lots.append((s, p, start, R))
    return lots


def plan_score(sc, lots):
    counts = [sum(1 for l in lots if l[1] == p) for p in range(sc.P)]
    return (sum(scaled_unmet(sc, p, c) for p, c in enumerate(counts)),
            max((R + sc.r[p] for _, p, _, R in lots), default=0))


def best_greedy(sc, budget=1.0, iterations=600, seed=0):
    """The best plan, by (unmet, makespan), of the greedy rules, without caps on the lots per
    product and then with caps near the lots per product of the relaxation (aggregate_counts):
    a greedy plan that takes as many lots as the demand allows often fills a bottleneck (QC)
    with the wrong mix. Returns (score, description, lots)."""
    t0 = time.time()
    plans = [(plan_score(sc, l), rule, l) for rule in GREEDY_RULES for l in [greedy(sc, rule)]]
    target = aggregate_counts(sc, budget / 2) if budget > 0 else None
    if target is not None:
        rng = random.Random(seed)
        for it in range(iterations):
            if it > 0 and time.time() - t0 > budget:
                break
            if it < len(GREEDY_RULES):
                rule, caps = GREEDY_RULES[it], list(target)
            else:
                rule, w = rng.choice(GREEDY_RULES), rng.choice((1, 3, 6))
                caps = [min(sc.L[p], max(0, t + rng.randint(-w, w))) for p, t in enumerate(target)]
            lots = greedy(sc, rule, caps)
            plans.append((plan_score(sc, lots), f"{rule}, caps {caps}", lots))
    return min(plans, key=lambda x: x[0])


# --------------------------------------------------------------------------------------------
# CP-SAT model


def scaled_unmet(sc, p, count):
    return max(0, sc.dem[p] - sc.amt[p] * count)


def count_vars(m, sc, n_sp, used):
    """Lots per product n[p], scaled unmet demand per product, placed[p] <=> n[p] >= 1."""
    n, unmet, placed = [], [], []
    for p in range(sc.P):
        np_ = m.new_int_var(0, sc.L[p], f"n_p{p}")
        m.add(np_ == sum(n_sp.get((s, p), 0) for s in range(sc.S)))
        n.append(np_)
        dem, amt = sc.dem[p], sc.amt[p]
        u = m.new_int_var(0, dem, f"unmet_p{p}")
        m.add(u >= dem - amt * np_)
        unmet.append(u)
        b = m.new_bool_var(f"placed_p{p}")
        lits = [used[(s, p)] for s in range(sc.S) if (s, p) in used]
        for lit in lits:
            m.add_implication(lit, b)
        m.add_bool_or(lits + [~b])
        placed.append(b)
    return n, unmet, placed


def aggregate_counts(sc, time_limit):
    """Lots per product of the best plan of the relaxation made of add_cuts only (lots per
    suite and product, no timing); None when it finds none in time."""
    m = cp_model.CpModel()
    n_sp, used = {}, {}
    for s in range(sc.S):
        for p in sc.elig[s]:
            k = sc.max_slots(p)
            if k > 0:
                n_sp[(s, p)] = m.new_int_var(0, k, "")
                used[(s, p)] = m.new_bool_var("")
                m.add(n_sp[(s, p)] >= 1).only_enforce_if(used[(s, p)])
                m.add(n_sp[(s, p)] == 0).only_enforce_if(~used[(s, p)])
    n, unmet, placed = count_vars(m, sc, n_sp, used)
    add_cuts(m, sc, n_sp, used, n, placed)
    m.minimize(sum(unmet))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = 1
    if solver.solve(m) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [solver.value(x) for x in n]
    return None


def add_cuts(m, sc, n_sp, used, n, placed, makespan=None):
    """Redundant linear constraints, valid for every plan; n_sp[(s, p)]: lots of p in suite
    s, used[(s, p)]: n_sp >= 1, n[p]: lots of p, placed[p]: n[p] >= 1."""
    H, g, pc = sc.H, sc.g, sc.change
    # A suite runs the lots of products whose release is >= thr one after another, each
    # released by H (by the makespan), so the last one ends by H - thr.
    for s in range(sc.S):
        prods = [p for p in sc.elig[s] if (s, p) in n_sp]
        for thr in sorted({sc.r[p] for p in prods}):
            group = [q for q in prods if sc.r[q] >= thr]
            load = sum((sc.D[q] + g) * n_sp[(s, q)] for q in group) - g
            load += (pc - g) * (sum(used[(s, q)] for q in group) - 1)
            m.add(load <= H - thr)
            if makespan is not None:
                for q in group:
                    m.add(makespan >= load + thr).only_enforce_if(used[(s, q)])
    extra = []
    if sc.qc <= 0:
        return extra
    # QC energy: a slot works from its first lot's completion to H (to the makespan). The
    # first lots of the slots are distinct lots, completed no earlier than the qc earliest
    # completions possible (k-th lot of a suite: (k+1) shortest stay + k changeovers).
    qp = [p for p in range(sc.P) if sc.r[p] > 0 and any((s, p) in n_sp for s in range(sc.S))]
    for size in range(1, len(qp) + 1):
        for group in itertools.combinations(qp, size):
            work = sum(sc.r[q] * n[q] for q in group)
            head = min(sc.D[q] for q in group)
            m.add(work <= sc.qc * (H - head))
            if makespan is not None:
                for q in group:
                    m.add(sc.qc * (makespan - head) >= work).only_enforce_if(placed[q])
            firsts = []
            for s in range(sc.S):
                ds = [sc.D[q] for q in group if (s, q) in n_sp]
                if ds:
                    firsts += [(k + 1) * min(ds) + k * g for k in range(sc.qc)]
            firsts = sorted(firsts)[:sc.qc]
            if len(firsts) < sc.qc or sum(firsts) <= sc.qc * head:
                continue
            enough = m.new_bool_var("qc_full_" + "_".join(map(str, group)))
            total = sum(n[q] for q in group)
            m.add(total >= sc.qc).only_enforce_if(enough)
            m.add(total <= sc.qc - 1).only_enforce_if(~enough)
            m.add(work <= sc.qc * H - sum(firsts)).only_enforce_if(enough)
            if makespan is not None:
                m.add(sc.qc * makespan >= work + sum(firsts)).only_enforce_if(enough)
            extra.append((enough, group))
    return extra


class Model:
    def __init__(self, sc):
        self.sc = sc
        sc.check_triangle()
        m = self.m = cp_model.CpModel()
        H, D, r, g = sc.H, sc.D, sc.r, sc.g
        self.chains = {}   # (s, p) -> list of slot dicts
        self.pairs = []    # (slot of p, slot of q, literal "p-slot before q-slot")
        suite_intervals = defaultdict(list)
        qc_intervals = []
        self.makespan = m.new_int_var(0, H, "makespan")
        for s in range(sc.S):
            for p in sc.elig[s]:
                chain = []
                for k in range(sc.max_slots(p)):
                    lb = k * (D[p] + sc.same)
                    pres = m.new_bool_var(f"x_s{s}_p{p}_k{k}")
                    start = m.new_int_var(lb, H - r[p] - D[p], f"S_s{s}_p{p}_k{k}")
                    slot = {"s": s, "p": p, "k": k, "pres": pres, "S": start, "lb": lb}
                    m.add(start == lb).only_enforce_if(~pres)
                    suite_intervals[s].append(
                        m.new_optional_fixed_size_interval_var(start, D[p] + g, pres, f"suite_s{s}_p{p}_k{k}"))
                    if sc.qc > 0 and r[p] > 0:
                        R = m.new_int_var(lb + D[p], H - r[p], f"R_s{s}_p{p}_k{k}")
                        m.add(R >= start + D[p])
                        m.add(R == start + D[p]).only_enforce_if(~pres)
                        qc_intervals.append(m.new_optional_fixed_size_interval_var(R, r[p], pres, f"qc_s{s}_p{p}_k{k}"))
                        slot["R"], slot["Rvar"] = R, R
                    else:
                        slot["R"], slot["Rvar"] = start + D[p], None
                    m.add(self.makespan >= slot["R"] + r[p]).only_enforce_if(pres)
                    if chain:
                        prev = chain[-1]
                        m.add_implication(pres, prev["pres"])
                        m.add(start >= prev["S"] + D[p] + sc.same).only_enforce_if(pres)
                        if slot["Rvar"] is not None:
                            m.add(slot["R"] >= prev["R"]).only_enforce_if(pres)
                    chain.append(slot)
                if chain:
                    self.chains[(s, p)] = chain
        for s in range(sc.S):
            if len(suite_intervals[s]) > 1:
                m.add_no_overlap(suite_intervals[s])
        if len(qc_intervals) > sc.qc > 0:
            if sc.qc == 1:
                m.add_no_overlap(qc_intervals)
            else:
                m.add_cumulative(qc_intervals, [1] * len(qc_intervals), sc.qc)

        # Sequence-dependent changeover between slots of different products of one suite.
        if sc.change > sc.same:
            for s in range(sc.S):
                prods = [p for p in sc.elig[s] if (s, p) in self.chains]
                for a, p in enumerate(prods):
                    for q in prods[a + 1:]:
                        self._pair(s, self.chains[(s, p)], self.chains[(s, q)])

        # Counts, unmet demand.
        self.n_sp = {key: sum(sl["pres"] for sl in ch) for key, ch in self.chains.items()}
        self.used = {key: ch[0]["pres"] for key, ch in self.chains.items()}
        self.n, self.unmet_terms, self.placed = count_vars(m, sc, self.n_sp, self.used)
        self.unmet = sum(self.unmet_terms)

        # Identical suites: lexicographic order of their lot counts.
        self.groups = defaultdict(list)
        for s in range(sc.S):
            self.groups[tuple(sorted(sc.elig[s]))].append(s)
        base = max((len(ch) for ch in self.chains.values()), default=0) + 1
        self.lex_weights = {}
        for prods, suites in self.groups.items():
            w = {p: base ** (len(prods) - 1 - i) for i, p in enumerate(prods)}
            self.lex_weights[prods] = w
            for s0, s1 in zip(suites, suites[1:]):
                key = lambda s: sum(w[p] * self.n_sp.get((s, p), 0) for p in prods)
                m.add(key(s0) >= key(s1))

        self._cuts()
        self.vars = [m.get_int_var_from_proto_index(i) for i in range(len(m.proto.variables))]

    def _pair(self, s, cp, cq):
        sc, m = self.sc, self.m
        p, q = cp[0]["p"], cq[0]["p"]
        lit = {}
        for i, a in enumerate(cp):
            for j, b in enumerate(cq):
                # Shortest stay of the suite holding lots 0..i of p and 0..j of q.
                length = (i + 1) * sc.D[p] + (j + 1) * sc.D[q] + (i + j) * sc.same + sc.change
                if length > sc.H - min(sc.r[p], sc.r[q]):
                    m.add_bool_or([~a["pres"], ~b["pres"]])
                    continue
                x = m.new_bool_var(f"before_s{s}_p{p}k{i}_p{q}k{j}")
                m.add(b["S"] >= a["S"] + sc.D[p] + sc.change).only_enforce_if([x, b["pres"]])
                m.add(a["S"] >= b["S"] + sc.D[q] + sc.change).only_enforce_if([~x, a["pres"]])
                m.add_implication(x, a["pres"])
                m.add_bool_or([~a["pres"], b["pres"], x])
                lit[(i, j)] = x
                self.pairs.append((a, b, x))
        for (i, j), x in lit.items():
            if (i, j + 1) in lit:
                m.add_implication(x, lit[(i, j + 1)])
            if (i + 1, j) in lit:
                m.add_implication(lit[(i + 1, j)], x)

    def _cuts(self):
        self.enough = add_cuts(self.m, self.sc, self.n_sp, self.used, self.n, self.placed, self.makespan)

    # -- hints ----------------------------------------------------------------------------------

    def hint_greedy(self, lots):
        sc, m = self.sc, self.m
        # Relabel identical suites so that the greedy plan meets the lexicographic order.
        counts = defaultdict(int)
        for s, p, _, _ in lots:
            counts[(s, p)] += 1
        relabel = {}
        for prods, suites in self.groups.items():
            w = self.lex_weights[prods]
            ordered = sorted(suites, key=lambda s: -sum(w[p] * counts[(s, p)] for p in prods))
            for new, old in zip(suites, ordered):
                relabel[old] = new
        by_chain = defaultdict(list)
        for s, p, start, R in lots:
            by_chain[(relabel[s], p)].append((start, R))
        values = {}
        for key, chain in self.chains.items():
            placed = sorted(by_chain.get(key, []))
            assert len(placed) <= len(chain), "greedy placed more lots than slots"
            for k, sl in enumerate(chain):
                if k < len(placed):
                    (start, R), pres = placed[k], 1
                else:
                    start, R, pres = sl["lb"], sl["lb"] + sc.D[sl["p"]], 0
                sl["hint"] = (pres, start)
                values[sl["pres"].index] = pres
                values[sl["S"].index] = start
                if sl["Rvar"] is not None:
                    values[sl["Rvar"].index] = R
        self._hint_derived(values, lots)

    def _hint_derived(self, values, lots):
        sc, m = self.sc, self.m
        for a, b, x in self.pairs:
            pa, sa = a["hint"]
            pb, sb = b["hint"]
            values[x.index] = int(pa == 1 and (pb == 0 or sa < sb))
        counts = [0] * sc.P
        for _, p, _, _ in lots:
            counts[p] += 1
        for p in range(sc.P):
            values[self.n[p].index] = counts[p]
            values[self.unmet_terms[p].index] = scaled_unmet(sc, p, counts[p])
            values[self.placed[p].index] = int(counts[p] > 0)
        for b, group in self.enough:
            values[b.index] = int(sum(counts[q] for q in group) >= sc.qc)
        values[self.makespan.index] = max((R + sc.r[p] for _, p, _, R in lots), default=0)
        for i, v in enumerate(self.m.proto.variables):   # constants CP-SAT created
            if len(v.domain) == 2 and v.domain[0] == v.domain[1]:
                values.setdefault(i, v.domain[0])
        missing = [self.vars[i].name for i in range(len(self.vars)) if i not in values]
        assert not missing, f"incomplete hint: {missing[:5]}"
        m.clear_hints()
        for i, v in sorted(values.items()):
            m.add_hint(self.vars[i], v)

    def hint_solution(self, solver):
        self.m.clear_hints()
        for v in self.vars:
            self.m.add_hint(v, solver.value(v))

    def extract(self, solver):
        sc = self.sc
        lots = []
        for (s, p), chain in sorted(self.chains.items()):
            for sl in chain:
                if solver.boolean_value(sl["pres"]):
                    lots.append((s, p, solver.value(sl["S"]), solver.value(sl["R"])))
        return lots


def lots_to_days(sc, lots):
    res = sc.res
    out = []
    for s, p, start, R in sorted(lots, key=lambda l: (l[0], l[2], l[1])):
        out.append({"product": p, "suite": s, "start": round(start * res, 9),
                    "qcStart": round(R * res, 9), "release": round((R + sc.r[p]) * res, 9)})
    return out


STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
          cp_model.INFEASIBLE: "INFEASIBLE", cp_model.UNKNOWN: "UNKNOWN",
          cp_model.MODEL_INVALID: "MODEL_INVALID"}


def solve(inst, time_limit=30.0, workers=1, log=False, params=DEFAULT_PARAMS):
    t0 = time.time()
    res = choose_resolution(inst)
    sc = Scaled(inst, res)
    model = Model(sc)
    _, rule, hint = best_greedy(sc, budget=min(2.0, 0.1 * time_limit))
    model.hint_greedy(hint)

    def run(limit, extra):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, limit)
        solver.parameters.num_workers = workers
        for text in (extra, params):
            if text:
                solver.parameters.merge_text_format(text)
        if log:
            solver.parameters.log_search_progress = True
            solver.parameters.log_to_stdout = False
            solver.log_callback = lambda line: print(line, file=sys.stderr)
        return solver, solver.solve(model.m)

    def phase(limit):
        """Solves the model's objective: (status, objective, bound, lots); lots None when no
        solution. With one worker, a first stage interleaves large-neighbourhood search with
        the LP search (good plans fast), a second runs CP-SAT's default search from its best
        plan (proofs); with more workers CP-SAT runs its own portfolio."""
        end = time.time() + limit
        stages = [(LNS_STAGE_SHARE, LNS_PARAMS), (1.0, "")] if workers == 1 else [(1.0, "")]
        best, bound, status = None, -math.inf, cp_model.UNKNOWN
        for share, extra in stages:
            left = end - time.time()
            solver, st = run(left * share, extra)
            if st == cp_model.INFEASIBLE or st == cp_model.MODEL_INVALID:
                return st, None, None, None
            bound = max(bound, solver.best_objective_bound)
            if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                obj = int(round(solver.objective_value))
                if best is None or obj <= best[0]:
                    best = (obj, model.extract(solver))
                    model.hint_solution(solver)
                if st == cp_model.OPTIMAL or obj <= bound:
                    return cp_model.OPTIMAL, best[0], best[0], best[1]
        status = cp_model.FEASIBLE if best else cp_model.UNKNOWN
        return status, best and best[0], bound, best and best[1]

    # Phase 1: unmet demand (the model and the greedy plans count in its time limit).
    model.m.minimize(model.unmet)
    if plan_score(sc, hint)[0] == 0:   # the greedy plan meets all demand: nothing to prove
        st1, u1, bound1, lots = cp_model.OPTIMAL, 0, 0, hint
    else:
        st1, u1, bound1, lots = phase(time_limit - (time.time() - t0))
    if st1 == cp_model.UNKNOWN:   # no solution within the limit: fall back on the greedy plan
        lots, u1 = hint, plan_score(sc, hint)[0]
        model.hint_greedy(hint)
    elif st1 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {"name": inst.name, "status": STATUS.get(st1, str(st1)), "unmet": None, "unmetBound": None,
                "makespan": None, "makespanBound": None, "seconds": round(time.time() - t0, 3),
                "resolution": res, "lots": []}
    # Phase 2: makespan, unmet demand no more than phase 1's.
    model.m.add(model.unmet <= u1)
    model.m.minimize(model.makespan)
    st2, mk2, bound2, lots2 = phase(time_limit)
    if lots2 is not None:
        lots = lots2
    days = lots_to_days(sc, lots)
    check = verify(inst, days)
    if not check["valid"]:
        raise AssertionError("solver plan fails verification: " + "; ".join(check["violations"]))
    if st1 == cp_model.OPTIMAL and st2 == cp_model.OPTIMAL:
        status = "OPTIMAL"
    else:
        status = "FEASIBLE"
    makespan = check["makespan"]
    return {
        "name": inst.name, "status": status,
        "phases": [STATUS.get(st1, str(st1)), STATUS.get(st2, str(st2))],
        "unmet": round(check["unmet"], 9),
        "unmetBound": (round(check["unmet"], 9) if st1 == cp_model.OPTIMAL
                       else round(min(check["unmet"], max(0.0, bound1) * sc.amount_unit / AMOUNT_SCALE), 9)),
        "makespan": round(makespan, 9),
        "makespanBound": (round(makespan, 9) if st2 == cp_model.OPTIMAL
                          else round(min(makespan, max(0, bound2) * res), 9) if bound2 is not None else None),
        "seconds": round(time.time() - t0, 3), "resolution": res,
        "greedy": {"rule": rule,
                   "unmet": round(inst.unmet([sum(1 for l in hint if l[1] == p) for p in range(sc.P)]), 9),
                   "makespan": round(max((R + sc.r[p] for _, p, _, R in hint), default=0) * res, 9)},
        "lots": days,
    }


# --------------------------------------------------------------------------------------------
# Brute force (self-test)


def brute_force(inst):
    """(unmet, makespan) by enumerating every per-suite product sequence and QC order."""
    res = choose_resolution(inst)
    sc = Scaled(inst, res)

    def sequences(prods, remaining):
        yield ()
        for p in prods:
            if remaining[p] > 0:
                remaining[p] -= 1
                for rest in sequences(prods, remaining):
                    yield (p,) + rest
                remaining[p] += 1

    @lru_cache(maxsize=None)
    def qc_makespan(jobs):
        """Least makespan of jobs (completion, release) on qc slots. Starts in list order,
        each at the earliest time allowed by its completion, the previous start and the slots:
        over every order this reaches an optimum (all terms are monotone in earlier starts)."""
        direct = [c + rr for c, rr in jobs if rr == 0 or sc.qc == 0]
        queued = [(c, rr) for c, rr in jobs if rr > 0 and sc.qc > 0]
        best = math.inf
        for perm in set(itertools.permutations(queued)):
            ends, prev, worst = [], 0, 0
            for c, rr in perm:
                t = max(c, prev)
                if len(ends) >= sc.qc:
                    t = max(t, sorted(ends, reverse=True)[sc.qc - 1])
                ends.append(t + rr)
                prev = t
                worst = max(worst, t + rr)
                if worst >= best:
                    break
            best = min(best, worst)
        return max(direct + ([best] if queued else []) + [0])

    best = [inst.unmet([0] * sc.P), 0]

    def rec(s, remaining, jobs, counts):
        if s == sc.S:
            u = inst.unmet(counts)
            if u > best[0] + 1e-9:
                return
            mk = qc_makespan(tuple(sorted(jobs)))
            if mk > sc.H:
                return
            if u < best[0] - 1e-9 or mk < best[1]:
                best[0], best[1] = u, mk
            return
        for seq in list(sequences(sc.elig[s], list(remaining))):
            t, prev, new = 0, None, []
            for p in seq:
                if prev is not None:
                    t += sc.gap(prev, p)
                new.append((t + sc.D[p], sc.r[p]))
                t += sc.D[p]
                prev = p
            if any(c + rr > sc.H for c, rr in new):
                continue
            rem = list(remaining)
            cnt = list(counts)
            for p in seq:
                rem[p] -= 1
                cnt[p] += 1
            rec(s + 1, rem, jobs + new, cnt)

    rec(0, list(sc.L), [], [0] * sc.P)
    return best[0], best[1] * res


def self_test_instances(randoms=120, seed=20240607):
    def inst(name, H, same, change, qc, suites, products):
        return {"name": name, "horizon": H, "periodEnds": [H],
                "changeover": {"sameProduct": same, "productChange": change}, "qcCapacity": qc,
                "suites": [{"name": f"S{i}", "products": ps} for i, ps in enumerate(suites)],
                "products": [{"name": f"P{i}", "expansion": e, "production": pr, "purification": pu,
                              "fill": f, "release": rel, "amountPerLot": a, "demand": [dm], "lots": n}
                             for i, (e, pr, pu, f, rel, a, dm, n) in enumerate(products)]}
    cases = [
        inst("1 suite 1 product, short", 50, 2, 5, 1, [[0]], [(5, 3, 1, 1, 6, 10, 45, 5)]),
        inst("1 suite 2 products, qc unlimited", 60, 1, 4, 0, [[0, 1]],
             [(4, 2, 1, 1, 10, 10, 20, 2), (3, 2, 1, 1, 3, 7, 21, 3)]),
        inst("2 suites, one shared, qc 1", 70, 2, 6, 1, [[0, 1], [1]],
             [(6, 3, 2, 1, 8, 5, 15, 3), (5, 2, 2, 1, 5, 4, 12, 3)]),
        inst("2 identical suites, qc 2", 55, 1, 5, 2, [[0, 1], [0, 1]],
             [(5, 3, 1, 1, 12, 3, 6, 2), (7, 2, 1, 1, 9, 2.5, 10, 4)]),
        inst("release 0, qc 1", 48, 2, 3, 1, [[0, 1], [0]],
             [(4, 2, 1, 1, 0, 1, 3, 3), (6, 2, 1, 1, 14, 1, 3, 3)]),
        inst("half days", 40.5, 1.5, 3.5, 1, [[0], [0, 1]],
             [(4.5, 2, 1, 0.5, 6.5, 2, 6, 3), (3, 1.5, 1, 0.5, 4, 2, 4, 2)]),
        inst("sameProduct > productChange", 60, 5, 2, 1, [[0, 1]],
             [(5, 2, 1, 1, 4, 1, 3, 3), (4, 2, 1, 1, 6, 1, 3, 3)]),
        inst("equal changeovers, qc 1, ample", 200, 3, 3, 1, [[0, 1], [0, 1]],
             [(8, 4, 2, 1, 10, 100, 250, 3), (9, 3, 2, 1, 12, 100, 300, 3)]),
        # Only an interleaved sequence (P0 P1 P0 ...) reaches the least makespan here.
        inst("interleaving beats campaigns", 100, 1, 2, 2, [[0, 1]],
             [(3, 1, 1, 1, 20, 2, 6, 3), (7, 3, 1, 1, 30, 1, 1, 1)]),
    ]
    rng = random.Random(seed)
    for t in range(randoms):
        P, S = rng.choice([1, 2, 2]), rng.choice([1, 2, 2])
        total = rng.randint(3, 6)
        split = [total] if P == 1 else [rng.randint(1, total - 1)]
        if P == 2:
            split.append(total - split[0])
        products = []
        for n in split:
            a = rng.choice([1, 2, 2.5])
            products.append((rng.randint(2, 8), rng.randint(1, 4), rng.randint(1, 2), rng.choice([0.5, 1]),
                             rng.choice([0, 3, 6, 10, 15, 20]), a, a * n - rng.choice([0, 0, 0.5]), n))
        suites = [sorted(rng.sample(range(P), rng.randint(1, P))) for _ in range(S)]
        same, change = rng.choice([(1, 2), (2, 5), (0, 9), (2, 2), (5, 2)])
        cases.append(inst(f"random {t}", rng.choice([25, 35, 45, 60, 80, 100]), same, change,
                          rng.choice([0, 1, 1, 2, 3]), suites, products))
    return cases


def broken_plans(inst, lots):
    """Plans made invalid from a valid one, one constraint each: (what, plan)."""
    out = []
    if not lots:
        return out
    first = lots[0]
    s = first["suite"]
    on_suite = sorted((l for l in lots if l["suite"] == s), key=lambda l: l["start"])
    if len(on_suite) >= 2:
        plan = [dict(l) for l in lots]
        k = lots.index(on_suite[1])
        plan[k]["start"] = on_suite[0]["start"] + 0.5 * inst.products[on_suite[0]["product"]]["inSuite"]
        plan[k].pop("qcStart", None)
        plan[k]["release"] = max(plan[k]["release"], plan[k]["start"] + inst.products[plan[k]["product"]]["inSuite"]
                                 + inst.products[plan[k]["product"]]["release"])
        out.append(("overlap or changeover", plan))
    bad = [t for t in range(len(inst.suites)) if first["product"] not in inst.suites[t]["products"]]
    if bad:
        plan = [dict(l) for l in lots]
        plan[0]["suite"] = bad[0]
        out.append(("eligibility", plan))
    plan = [dict(l) for l in lots]
    plan[0]["qcStart"] += inst.horizon
    plan[0]["release"] += inst.horizon
    out.append(("horizon", plan))
    plan = [dict(l) for l in lots]
    plan[0]["qcStart"] = plan[0]["start"]
    plan[0]["release"] = plan[0]["start"] + inst.products[plan[0]["product"]]["release"]
    if inst.products[plan[0]["product"]]["inSuite"] > 2 * TOL:
        out.append(("QC before the suite stay ends", plan))
    p = first["product"]
    extra = inst.products[p]["lots"] + 1 - sum(1 for l in lots if l["product"] == p)
    out.append(("lots per product", [dict(l) for l in lots] + [dict(first) for _ in range(extra)]))
    qc_lots = [l for l in lots if inst.products[l["product"]]["release"] > 2 * TOL]
    if inst.qc > 0 and len(qc_lots) > inst.qc:
        plan = [dict(l) for l in lots]
        chosen = [i for i, l in enumerate(lots) if l in qc_lots][:inst.qc + 1]
        day = max(plan[i]["start"] + inst.products[plan[i]["product"]]["inSuite"] for i in chosen)
        for i in chosen:
            plan[i]["qcStart"] = day
            plan[i]["release"] = day + inst.products[plan[i]["product"]]["release"]
        out.append(("QC capacity", plan))
    return out


BROKEN_MESSAGES = {"overlap or changeover": "changeover", "eligibility": "cannot run", "horizon": "after the horizon",
                   "QC before the suite stay ends": "before its suite stay ends", "lots per product": "more than its",
                   "QC capacity": "slots"}


def self_test(randoms=120):
    ok = True
    report = []
    t0 = time.time()
    for data in self_test_instances(randoms):
        inst = Instance(data)
        bu, bm = brute_force(inst)
        out = solve(inst, time_limit=10, workers=1)
        same = (out["status"] == "OPTIMAL" and abs(out["unmet"] - bu) <= 1e-6 and abs(out["makespan"] - bm) <= 1e-6)
        problems = [] if same else ["differs from brute force"]
        # verify() must accept the plan and catch each broken copy of it.
        if not verify(inst, out["lots"])["valid"]:
            problems.append("verify rejects the solver's plan")
        for what, plan in broken_plans(inst, out["lots"]):
            check = verify(inst, plan)
            if check["valid"] or not any(BROKEN_MESSAGES[what] in v for v in check["violations"]):
                problems.append(f"verify missed: {what}")
        # Every greedy plan must be a feasible complete hint.
        sc = Scaled(inst, choose_resolution(inst))
        model = Model(sc)
        for rule in GREEDY_RULES:
            model.hint_greedy(greedy(sc, rule))
            solver = cp_model.CpSolver()
            solver.parameters.fix_variables_to_their_hinted_value = True
            solver.parameters.num_workers = 1
            solver.parameters.max_time_in_seconds = 10
            if solver.solve(model.m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                problems.append(f"greedy {rule} is not a feasible hint")
        ok &= not problems
        line = {"name": inst.name, "bruteForce": {"unmet": bu, "makespan": bm},
                "cpsat": {"status": out["status"], "unmet": out["unmet"], "makespan": out["makespan"],
                          "seconds": out["seconds"]}, "ok": not problems, "problems": problems}
        report.append(line)
        print(json.dumps(line), file=sys.stderr)
    print(json.dumps({"selfTest": "passed" if ok else "FAILED", "cases": len(report),
                      "failed": [r["name"] for r in report if not r["ok"]],
                      "seconds": round(time.time() - t0, 2), "results": report}))
    return 0 if ok else 1


# --------------------------------------------------------------------------------------------


def load_json(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path) as f:
        return json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instance", nargs="?", help="instance JSON file, or - for stdin")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per phase (default 30)")
    ap.add_argument("--workers", type=int, default=1, help="CP-SAT workers (default 1)")
    ap.add_argument("--verify", metavar="PLAN.json", help="check a plan ({\"lots\": [...]}) instead of solving")
    ap.add_argument("--self-test", action="store_true", help="compare with brute force on tiny instances")
    ap.add_argument("--log", action="store_true", help="CP-SAT search log on stderr")
    ap.add_argument("--params", default=DEFAULT_PARAMS,
                    help=f"extra CP-SAT parameters, text format (default {DEFAULT_PARAMS!r})")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.instance:
        ap.error("an instance file is needed")
    try:
        inst = Instance(load_json(args.instance))
        if args.verify:
            plan = load_json(args.verify)
            lots = plan["lots"] if isinstance(plan, dict) else plan
            out = verify(inst, lots)
        else:
            out = solve(inst, args.time_limit, args.workers, args.log, args.params)
    except InstanceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
