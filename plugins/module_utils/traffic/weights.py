# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Pure planning of a traffic split between the source's entry and CCE's entry.

A *percent* is the share of requests that must reach CCE. Two ways to express it:

* CTyun ELB (``wrr`` target group): integer target weights 1-256, no 0. A side at 0 % is not in
  the group; a side coming back is added. Between 0 and 100 the weights are ``(100 - p, p)``,
  which hits every whole percent exactly; another share gets the closest pair within 1-256 and
  the plan says what it achieves.
* Gateway API (``HTTPRoute`` ``backendRefs``): weights 0-1,000,000, 0 allowed, so both
  backendRefs stay and a side at 0 % keeps weight 0 (instantly reversible).

The order of the writes keeps the share monotone: every intermediate state lies between the
share before and the share asked for, so a move towards CCE never sends CCE more than asked, and
a move back never sends the source more than asked. Adds come first (a side joins with its final
weight, while the other side still has its old weight, so it gets less than its final share),
then the weight changes, then the removals.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

SOURCE, TARGET = "source", "target"
SIDES = (SOURCE, TARGET)
ELB_MAX_WEIGHT = 256
ROUTE_MAX_WEIGHT = 1000000


def check_percent(percent, option="percent"):
    try:
        value = float(percent)
    except (TypeError, ValueError):
        raise ValueError("%s: %r is not a number between 0 and 100 (share of requests on CCE)" % (option, percent))
    if not 0 <= value <= 100:
        raise ValueError("%s: %s is outside 0..100 (share of requests on CCE)" % (option, percent))
    return value


def share(weights):
    """Percent on the target of ``{"source": w or None, "target": w or None}`` (None: absent)."""
    src, tgt = weights.get(SOURCE) or 0, weights.get(TARGET) or 0
    if src + tgt == 0:
        return None
    return float(Fraction(100 * tgt, src + tgt))


def elb_weights(percent):
    """``{"source": w or None, "target": w or None}`` for ``percent`` on CCE in an ELB group."""
    if percent <= 0:
        return {SOURCE: 100, TARGET: None}
    if percent >= 100:
        return {SOURCE: None, TARGET: 100}
    wanted = Fraction(percent).limit_denominator(10 ** 6) / 100
    if wanted * 100 == int(wanted * 100):
        p = int(wanted * 100)
        return {SOURCE: 100 - p, TARGET: p}
    best = None
    for src in range(1, ELB_MAX_WEIGHT + 1):
        # the target weight closest to the share for this source weight, within 1..256
        tgt = int(round(float(wanted * src / (1 - wanted))))
        tgt = min(ELB_MAX_WEIGHT, max(1, tgt))
        error = abs(Fraction(tgt, src + tgt) - wanted)
        if best is None or error < best[0]:
            best = (error, src, tgt)
    return {SOURCE: best[1], TARGET: best[2]}


def route_weights(percent):
    """Weights of the two backendRefs of an HTTPRoute: 0 allowed, both kept."""
    if percent <= 0:
        return {SOURCE: 100, TARGET: 0}
    if percent >= 100:
        return {SOURCE: 0, TARGET: 100}
    wanted = Fraction(percent).limit_denominator(10 ** 4)
    scale = wanted.denominator
    return {SOURCE: int((100 - wanted) * scale), TARGET: int(wanted * scale)}


def converged(current, wanted):
    """Whether ``current`` already splits as ``wanted``: the same sides present (weight > 0) and
    the same ratio (``2:2`` is ``50:50``)."""
    present = [s for s in SIDES if current.get(s)]
    if present != [s for s in SIDES if wanted.get(s)]:
        return False
    if len(present) < 2:
        return True
    return current[SOURCE] * wanted[TARGET] == current[TARGET] * wanted[SOURCE]


def plan(current, wanted):
    """Ordered writes from ``current`` to ``wanted`` (both ``{side: weight or None}``).

    Returns ``[{"op": "create"|"update"|"delete", "side", "weight"}]``; empty when converged.
    A side alone in the group gets every request whatever its weight: it keeps it when it stays
    alone, and is set to its final weight before the other side joins. Of the orders of the
    writes, the first (adds, then weight changes, then removals) whose every intermediate state
    keeps a target in the group and the share between the one before and the one asked for is
    taken; with the collection's own weights one always exists."""
    if converged(current, wanted):
        return []
    ops = [dict(op="create", side=s, weight=wanted[s]) for s in SIDES if wanted.get(s) and not current.get(s)]
    if sum(1 for s in SIDES if wanted.get(s)) == 2:
        ops += [dict(op="update", side=s, weight=wanted[s]) for s in SIDES
                if current.get(s) and current[s] != wanted[s]]
    ops += [dict(op="delete", side=s, weight=None) for s in SIDES if current.get(s) and not wanted.get(s)]
    for order in itertools.permutations(ops):
        if _between(current, list(order), wanted):
            return list(order)
    return ops


def _between(current, ops, wanted):
    low, high = sorted((share(current) or 0.0, share(wanted) or 0.0))
    for state in simulate(current, ops):
        now = share(state)
        if now is None or not low <= now <= high:
            return False
    return True


def simulate(current, ops):
    """The weights after each op of ``ops`` (for the tests of monotonicity and for --diff)."""
    state = dict(current)
    out = []
    for op in ops:
        state[op["side"]] = op["weight"] if op["op"] != "delete" else None
        out.append(dict(state))
    return out
