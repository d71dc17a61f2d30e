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
its days on the grid. Amounts and demands are scaled x1000 and rounded for the phase-1
objective only (exact for amounts with at most three decimals); the reported `unmet` is
recomputed in floating point from the lots placed.

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
  NoOverlap's global reasoning (edge finding, energy).
* QC: NoOverlap (capacity 1) or Cumulative over optional intervals [R, R + release).
* Redundant linear cuts that CP-SAT's LP uses for bounds:
  - per suite, for each set of products whose release is >= a threshold r: their lots run in
    sequence and finish by H - r: sum n_sq (inSuite_q + g) - g + (pc - g)(#used - 1) <= H - r;
  - per set of QC products: sum n_q release_q <= qcCapacity (H - min inSuite_q);
  - the same two bounds with the makespan in place of H, enforced when the set is used.
* Hints: an earliest-start list schedule (greedy, QC slots taken first-free) is given as a
  complete hint for phase 1 and is also the fallback plan; phase 2 is hinted with phase 1's
  solution.
* Phase 1 minimises the scaled unmet demand; phase 2 adds "unmet <= phase 1's value" and
  minimises the makespan. Each phase gets the full time limit. `makespanBound` is phase 2's
  bound, i.e. among plans with unmet <= phase 1's value (a true bound on the lexicographic
  optimum when phase 1 is optimal).

Alternatives considered: a circuit per suite over every (lot, suite) arc needs n^2 arc literals
for n candidate lots per suite (hundreds of nodes on large instances) and, without the slot
ordering, (k!)-fold symmetry among identical lots; a model with a fixed number of campaigns
per suite is smaller but not exact (it forbids some interleavings).

Triangle assumption: chain precedences are valid when sameProduct <= 2 productChange +
inSuite_q for every other product q of the suite (a lot of q between two lots of p never
shortens their separation below sameProduct). It holds whenever productChange >= sameProduct;
the script checks it and stops with an error otherwise.
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


def greedy(sc):
    """Lots as (suite, product, start, qcStart) in time units."""
    remaining = list(sc.L)
    last = [None] * sc.S          # (end of suite stay, product)
    qc_free = [0] * sc.qc if sc.qc > 0 else None
    dead = set()
    lots = []
    value = [sc.inst.products[p]["amount"] for p in range(sc.P)]
    while True:
        best = None
        for s in range(sc.S):
            for p in sc.elig[s]:
                if remaining[p] <= 0 or (s, p) in dead:
                    continue
                start = 0 if last[s] is None else last[s][0] + sc.gap(last[s][1], p)
                key = (start, 0 if last[s] is not None and last[s][1] == p else 1,
                       -value[p] * remaining[p], s, p)
                if best is None or key < best[0]:
                    best = (key, s, p, start)
        if best is None:
            break
        _, s, p, start = best
        end = start + sc.D[p]
        if qc_free is not None and sc.r[p] > 0:
            m = min(range(sc.qc), key=lambda i: qc_free[i])
            R = max(end, qc_free[m])
        else:
            m, R = None, end
        if R + sc.r[p] > sc.H:
            dead.add((s, p))
            continue
        if m is not None:
            qc_free[m] = R + sc.r[p]
        last[s] = (end, p)
        remaining[p] -= 1
        lots.append((s, p, start, R))
    return lots


# --------------------------------------------------------------------------------------------
# CP-SAT model


class Model:
    def __init__(self, sc):
        self.sc = sc
        sc.check_triangle()
        m = self.m = cp_model.CpModel()
        H, D, r, g = sc.H, sc.D, sc.r, sc.g
        self.chains = {}   # (s, p) -> list of slot dicts
        self.pairs = []    # (s, i-slot, j-slot, literal)
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
        self.n = []
        self.unmet_terms = []
        for p in range(sc.P):
            n = m.new_int_var(0, sc.L[p], f"n_p{p}")
            m.add(n == sum(self.n_sp.get((s, p), 0) for s in range(sc.S)))
            self.n.append(n)
            prod = sc.inst.products[p]
            dem, amt = round(prod["demand"] * AMOUNT_SCALE), round(prod["amount"] * AMOUNT_SCALE)
            u = m.new_int_var(0, dem, f"unmet_p{p}")
            m.add(u >= dem - amt * n)
            self.unmet_terms.append(u)
        self.unmet = sum(self.unmet_terms)
        self.placed = []
        for p in range(sc.P):
            b = m.new_bool_var(f"placed_p{p}")
            lits = [self.used[(s, p)] for s in range(sc.S) if (s, p) in self.used]
            for lit in lits:
                m.add_implication(lit, b)
            m.add_bool_or(lits + [~b])
            self.placed.append(b)

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
                length = ((i + 1) * sc.D[p] + (j + 1) * sc.D[q] + (i + j) * sc.same + (sc.change - sc.same))
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
        sc, m = self.sc, self.m
        H, g, pc = sc.H, sc.g, sc.change
        for s in range(sc.S):
            prods = [p for p in sc.elig[s] if (s, p) in self.chains]
            for thr in sorted({sc.r[p] for p in prods}):
                group = [q for q in prods if sc.r[q] >= thr]
                load = sum((sc.D[q] + g) * self.n_sp[(s, q)] for q in group) - g
                load += (pc - g) * (sum(self.used[(s, q)] for q in group) - 1)
                m.add(load <= H - thr)
                for q in group:
                    m.add(self.makespan >= load + thr).only_enforce_if(self.used[(s, q)])
        if sc.qc > 0:
            qp = [p for p in range(sc.P) if sc.r[p] > 0 and any((s, p) in self.chains for s in range(sc.S))]
            for size in range(1, len(qp) + 1):
                for group in itertools.combinations(qp, size):
                    head = min(sc.D[q] for q in group)
                    work = sum(sc.r[q] * self.n[q] for q in group)
                    m.add(work <= sc.qc * (H - head))
                    for q in group:
                        m.add(sc.qc * (self.makespan - head) >= work).only_enforce_if(self.placed[q])

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
            prod = sc.inst.products[p]
            dem, amt = round(prod["demand"] * AMOUNT_SCALE), round(prod["amount"] * AMOUNT_SCALE)
            values[self.unmet_terms[p].index] = max(0, dem - amt * counts[p])
            values[self.placed[p].index] = int(counts[p] > 0)
        values[self.makespan.index] = max((R + sc.r[p] for _, p, _, R in lots), default=0)
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


def solve(inst, time_limit=30.0, workers=1, log=False):
    t0 = time.time()
    res = choose_resolution(inst)
    sc = Scaled(inst, res)
    model = Model(sc)
    hint = greedy(sc)
    model.hint_greedy(hint)

    def run():
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.num_workers = workers
        if log:
            solver.parameters.log_search_progress = True
            solver.parameters.log_to_stdout = False
            solver.log_callback = lambda line: print(line, file=sys.stderr)
        st = solver.solve(model.m)
        return solver, st

    # Phase 1: unmet demand.
    model.m.minimize(model.unmet)
    solver, st1 = run()
    bound1 = solver.best_objective_bound
    if st1 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        lots = model.extract(solver)
        u1 = int(round(solver.objective_value))
        model.hint_solution(solver)
    elif st1 == cp_model.UNKNOWN:   # no solution within the limit: fall back on the greedy plan
        lots = hint
        u1 = sum(max(0, round(p["demand"] * AMOUNT_SCALE) - round(p["amount"] * AMOUNT_SCALE)
                     * sum(1 for l in hint if l[1] == i)) for i, p in enumerate(inst.products))
    else:
        return {"name": inst.name, "status": STATUS.get(st1, str(st1)), "unmet": None, "unmetBound": None,
                "makespan": None, "makespanBound": None, "seconds": round(time.time() - t0, 3),
                "resolution": res, "lots": []}
    # Phase 2: makespan with unmet fixed.
    model.m.add(model.unmet <= u1)
    model.m.minimize(model.makespan)
    solver2, st2 = run()
    if st2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        lots = model.extract(solver2)
        bound2 = solver2.best_objective_bound
    else:
        bound2 = solver2.best_objective_bound if st2 == cp_model.UNKNOWN else None
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
        "unmetBound": round(max(0.0, bound1) / AMOUNT_SCALE, 9) if st1 != cp_model.OPTIMAL else round(check["unmet"], 9),
        "makespan": round(makespan, 9),
        "makespanBound": round(min(makespan, bound2 * res), 9) if bound2 is not None else None,
        "seconds": round(time.time() - t0, 3), "resolution": res,
        "greedy": {"unmet": round(inst.unmet([sum(1 for l in hint if l[1] == p) for p in range(sc.P)]), 9),
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


def self_test_instances():
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
    ]
    rng = random.Random(20240607)
    for t in range(8):
        P = rng.choice([1, 2])
        S = rng.choice([1, 2])
        products = []
        for _ in range(P):
            n = rng.randint(1, 3 if P == 2 else 5)
            products.append((rng.randint(2, 8), rng.randint(1, 4), rng.randint(1, 2), 1, rng.choice([0, 3, 6, 10, 15]),
                             rng.choice([1, 2, 3]), 0, n))
        products = [(e, pr, pu, f, rel, a, a * n - rng.choice([0, 0, 1]) * 0.5, n)
                    for e, pr, pu, f, rel, a, _, n in products]
        suites = []
        for _ in range(S):
            ps = sorted(rng.sample(range(P), rng.randint(1, P)))
            suites.append(ps)
        cases.append(inst(f"random {t}", rng.choice([30, 45, 60, 80]), rng.choice([1, 2]), rng.choice([2, 5]),
                          rng.choice([0, 1, 2]), suites, products))
    return cases


def self_test():
    ok = True
    report = []
    t0 = time.time()
    for data in self_test_instances():
        inst = Instance(data)
        bu, bm = brute_force(inst)
        out = solve(inst, time_limit=20, workers=1)
        same = (out["status"] == "OPTIMAL" and abs(out["unmet"] - bu) <= 1e-6 and abs(out["makespan"] - bm) <= 1e-6)
        ok &= same
        line = {"name": inst.name, "bruteForce": {"unmet": bu, "makespan": bm},
                "cpsat": {"status": out["status"], "unmet": out["unmet"], "makespan": out["makespan"],
                          "seconds": out["seconds"]}, "ok": same}
        report.append(line)
        print(json.dumps(line), file=sys.stderr)
    print(json.dumps({"selfTest": "passed" if ok else "FAILED", "seconds": round(time.time() - t0, 2),
                      "cases": report}))
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
            out = solve(inst, args.time_limit, args.workers, args.log)
    except InstanceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
