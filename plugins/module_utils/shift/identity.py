# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""StatefulSet identities during a shift: never two pods with the same ordinal. Pure.

A StatefulSet's pods are named ``<name>-<ordinal>`` and each ordinal owns its volumes
(``<claim>-<name>-<ordinal>``), so a pod identity must run in one cluster at a time. A weighted
split alone would give both members ordinals from 0 (``db-0`` twice).

Kubernetes' start ordinal (``spec.ordinals.start``, KEP-3335 "StatefulSet Slice", beta and on by
default since 1.27, GA in 1.31) exists for exactly this move: a StatefulSet with ``start = k`` and
``replicas = r`` runs ordinals ``k .. k+r-1`` (``pkg/controller/statefulset/stateful_set_utils.go``
``getStartOrdinal``/``getEndOrdinal``; pods outside that range are condemned and deleted by
``stateful_set_control.go``). So with ``s`` replicas kept on the source (ordinals ``0 .. s-1``) the
target copy runs ``start = s, replicas = n - s`` (ordinals ``s .. n-1``): the target takes the
upper ordinals while the source keeps the lower ones, and at 100 % the target has ``start = 0``.

Karmada writes one Work per member with the replicas of its division
(``pkg/controllers/binding/common.go`` ``ensureWork``: ``ReviseReplica`` first) and applies the
OverridePolicies last ("override rules have the highest priority", same function). The shift
therefore pins each member's ``spec.replicas`` and the target's ``spec.ordinals`` with one
OverridePolicy per StatefulSet, and moves them in two stages per step, each waited for:

1. **release**: the shrinking member gives up its ordinals first. Source ``min(s0, s1)``, target
   ``min(t0, t1)`` from ``start = max(k0, k1)``.
2. **take**: once the released pods are gone, the growing member takes them: source ``s1``,
   target ``t1`` from ``start = s1``.

Both stages keep the ranges ``[0, source)`` and ``[start, start + target)`` apart, before, during
and after the change (see :func:`stages`), at the price of the moved ordinals being down for a
moment, as in any StatefulSet rolling update. Between the stages the weight changes of the policy
do not move a StatefulSet: its replicas are pinned by the override on every member in the
schedule, and a member left out of the schedule keeps its object as it is
(``preserveResourcesOnDeletion``).

``statefulset_move``:

* ``ordinals`` (default): the StatefulSet follows the steps as above.
* ``whole``: it stays entirely on the source until the step of 100 %, then moves at once (after
  its data, for a database whose volumes are copied while it is stopped).

Values are relative to the StatefulSet's own ``spec.ordinals.start`` (``base``, 0 when unset).
"""

from __future__ import annotations

from . import planner

ORDINALS = "ordinals"
WHOLE = "whole"
MOVES = (ORDINALS, WHOLE)
OVERRIDE_SUFFIX = "-cce-migration-identity"
LABEL = "cce-migration.ctyun.cn/statefulset-identity"
# Keeps a deleted identity override (a GitOps prune) in force until the shift lets it go: Karmada's
# override manager lists OverridePolicies without looking at deletionTimestamp
# (pkg/util/overridemanager/overridemanager.go, applyNamespacedOverrides), so a terminating override
# still pins the members; the API server keeps the object while a finalizer is set.
FINALIZER = "cce-migration.ctyun.cn/identity"


def is_statefulset(workload):
    return workload.get("kind") == "StatefulSet"


def settled(workload, percent, source, target, move=ORDINALS):
    """``(source replicas, target replicas, target start)`` once ``percent`` is the completed step
    (start relative to ``base``). ``percent`` ``None``: freshly promoted, all on the source."""
    n = int(workload["replicas"])
    if percent is None:
        s, t = n, 0
    elif move == WHOLE:
        s, t = (0, n) if percent >= 100 else (n, 0)
    else:
        s, t = planner.split(dict(workload, strategy=planner.WEIGHTED), percent, source, target)
    return s, t, s


def stages(before, after):
    """The release and take states between ``before`` and ``after`` (each ``(s, t, k)``).

    ``before`` must be safe (``s <= k``). Release ``(min s, min t, max k)``: the source only
    shrinks, the target's range only moves up (``max k >= k0 >= s0``) and ends at most where the old
    one or the new one ends. Take ``after``: ``s1 <= max k`` and ``min s <= s1``, so neither member
    takes an ordinal the other still runs once the release has settled."""
    s0, t0, k0 = before
    s1, t1, k1 = after
    release = (min(s0, s1), min(t0, t1), max(k0, k1))
    return release, tuple(after)


def same(a, b):
    """Whether states ``a`` and ``b`` run the same pods (the start does not matter at 0 target replicas)."""
    return a[0] == b[0] and a[1] == b[1] and (a[1] == 0 or a[2] == b[2])


def hops(now, after, replicas, budget=None):
    """``[(release, take), ...]`` from ``now`` to ``after`` moving at most ``budget`` ordinals per hop.

    ``budget`` ``None``: one hop (:func:`stages`). Otherwise the source's count goes from ``now``'s
    to ``after``'s by at most ``budget`` per hop through settled states ``(s, n - s, s)``; each hop's
    release takes down at most ``budget`` ordinals (the ones it moves), so a replicated store keeps
    ``n - budget`` members running throughout."""
    s0, s1 = now[0], after[0]
    if budget is None or abs(s1 - s0) <= budget:
        return [stages(now, after)]
    out = []
    prev, s = tuple(now), s0
    while s != s1:
        s = max(s1, s - budget) if s1 < s else min(s1, s + budget)
        point = tuple(after) if s == s1 else (s, replicas - s, s)
        out.append(stages(prev, point))
        prev = point
    return out


def terminating(policy):
    return bool(((policy or {}).get("metadata") or {}).get("deletionTimestamp"))


def observed(source_obj, target_obj, workload):
    """``(s, t, k)`` running now, read from the member objects (missing object: 0 replicas; a
    target without ``ordinals`` runs from ``base``, one without object counts as starting at
    ``n``)."""
    base = int(workload.get("base_ordinal") or 0)
    n = int(workload["replicas"])
    s = planner.spec_replicas(source_obj)
    t = planner.spec_replicas(target_obj)
    if target_obj is None:
        k = max(n, s)
    else:
        k = start_of(target_obj) - base
    return s, t, k


def start_of(obj):
    """``spec.ordinals.start`` of a StatefulSet object (0 when unset)."""
    return int((((obj or {}).get("spec") or {}).get("ordinals") or {}).get("start") or 0)


def overlap(state):
    """True when the ranges of ``state`` ``(s, t, k)`` share an ordinal."""
    s, t, k = state
    return t > 0 and s > 0 and k < s


def override_name(workload):
    return "%s%s" % (workload["name"], OVERRIDE_SUFFIX)


def override_policy(workload, state, source, target):
    """The OverridePolicy that pins ``state`` ``(s, t, k)`` on the members of one StatefulSet."""
    s, t, k = state
    base = int(workload.get("base_ordinal") or 0)
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": override_name(workload), "namespace": workload["namespace"],
                     "labels": {LABEL: workload["name"]}, "finalizers": [FINALIZER]},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": workload["name"],
                                   "namespace": workload["namespace"]}],
            "overrideRules": [
                {"targetCluster": {"clusterNames": [source]},
                 "overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": s}]}},
                {"targetCluster": {"clusterNames": [target]},
                 "overriders": {"plaintext": [
                     {"path": "/spec/replicas", "operator": "replace", "value": t},
                     {"path": "/spec/ordinals", "operator": "add", "value": {"start": base + k}}]}},
            ],
        },
    }


def shadowing_overrides(workload, overrides):
    """Names of the OverridePolicies in ``overrides`` (those of the StatefulSet's namespace) that
    Karmada applies after the identity override and that write the StatefulSet's replicas or
    ordinals, so they would undo its pins.

    Karmada applies the ClusterOverridePolicies first, then the namespace's OverridePolicies that
    match the object, sorted by implicit priority and then by name, each overriding the last
    (``getOverridersFromOverridePolicies``, pkg/util/overridemanager/overridemanager.go). The
    identity override names its StatefulSet (``PriorityMatchName``, the highest), so only another
    policy naming it, with a name sorting after it, comes later."""
    ours = override_name(workload)
    return sorted(policy["metadata"]["name"] for policy in overrides
                  if policy["metadata"]["name"] > ours and writes_pins(policy, workload))


def other_pins(workload, overrides):
    """Names of the other OverridePolicies in ``overrides`` that name the StatefulSet and write its
    replicas or ordinals, whatever their order: hidden by the identity override while it exists,
    they take effect once it is let go."""
    ours = override_name(workload)
    return sorted(policy["metadata"]["name"] for policy in overrides
                  if policy["metadata"]["name"] != ours and writes_pins(policy, workload))


def writes_pins(policy, workload):
    """Whether OverridePolicy ``policy`` names the StatefulSet and writes ``/spec/replicas``,
    ``/spec/ordinals`` or the whole spec."""
    spec = policy.get("spec") or {}
    if not any(sel.get("apiVersion") == "apps/v1" and sel.get("kind") == "StatefulSet"
               and sel.get("name") == workload["name"]
               and (sel.get("namespace") or workload["namespace"]) == workload["namespace"]
               for sel in spec.get("resourceSelectors") or []):
        return False
    # overrideRules, or the deprecated top-level overriders (one rule; the webhook forbids both)
    rules = spec.get("overrideRules") or [{"overriders": spec.get("overriders") or {}}]
    paths = [item.get("path") or "" for rule in rules
             for item in (rule.get("overriders") or {}).get("plaintext") or []]
    return any(path in ("", "/spec", "/spec/replicas") or path.startswith("/spec/ordinals") for path in paths)


def pinned(policy):
    """``{cluster: {"replicas": r, "start": k}}`` read back from a stored identity override."""
    out = {}
    for rule in ((policy or {}).get("spec") or {}).get("overrideRules") or []:
        names = (rule.get("targetCluster") or {}).get("clusterNames") or []
        values = {}
        for op in (rule.get("overriders") or {}).get("plaintext") or []:
            if op.get("path") == "/spec/replicas":
                values["replicas"] = op.get("value")
            elif op.get("path") == "/spec/ordinals":
                values["start"] = (op.get("value") or {}).get("start")
        for name in names:
            out[name] = values
    return out


def matches(stored, wanted):
    return stored is not None and pinned(stored) == pinned(wanted)
