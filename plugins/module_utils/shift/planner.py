# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Pure planning of a replica shift between two Karmada members.

A *step* is a percentage of replicas on the target member. At step ``p`` the
policy divides replicas with static weights ``source: 100-p, target: p``
(``replicaScheduling`` Divided/Weighted); a member whose weight would be 0 is
left out of ``staticWeightList`` (the CRD's minimum weight is 1), which gives
it 0 replicas, exactly as ``getStaticWeightInfoList`` does for a candidate
without weight. Replicas per member come from :mod:`..karmada.division`.

Capacity invariant: while a step is applied, the ready replicas of every
workload summed over both members never fall below ``desired -
maxUnavailable``. Karmada rewrites both members' Works at once, so a direct
weight change from ``(s0, t0)`` to ``(s1, t1)`` (target growing) removes
``s0 - s1`` source pods immediately while the ``t1 - t0`` new target pods are
not ready yet: the worst moment has ``s1 + t0`` ready replicas. The planner
uses that direct change only when ``s1 + t0 >= desired - maxUnavailable``.

Otherwise it *surges* through the far end: first every replica goes to the
member that is growing (weights with only that member). The shrinking member
then gets 0 replicas, Karmada drops it from the schedule and deletes its Work
(``pkg/scheduler/core/util.go`` ``removeZeroReplicasCluster``), and with
``preserveResourcesOnDeletion`` the member object is kept exactly as it was,
pods included (``pkg/controllers/execution/execution_controller.go``
``handleWorkDelete``). So during the surge no pod goes away: ready replicas
only grow. When the growing member has all replicas ready, the step's real
weights are applied: the shrinking member is taken back under Karmada
(``conflictResolution: Overwrite``, same pod template, no restart) and only
scaled down, and the growing member is scaled down from the full count to its
share. Both moves only remove pods, and what stays is the step's division,
``s1 + t1 = desired``, all ready.

At 100 % (0 %) the source (target) leaves the schedule and keeps running its
pods because of ``preserveResourcesOnDeletion``; once the other member is
ready, the collection scales that object to 0 itself (never deletes it), which
keeps it for a rollback.
"""

from __future__ import annotations

from ..karmada.division import divide_static

SOURCE = "source"
TARGET = "target"


def weight_rules(percent, source, target):
    """``staticWeightList`` for ``percent`` on the target."""
    rules = []
    if percent < 100:
        rules.append({"targetCluster": {"clusterNames": [source]}, "weight": 100 - percent})
    if percent > 0:
        rules.append({"targetCluster": {"clusterNames": [target]}, "weight": percent})
    return rules


def replica_scheduling(percent, source, target):
    return {
        "replicaSchedulingType": "Divided",
        "replicaDivisionPreference": "Weighted",
        "weightPreference": {"staticWeightList": weight_rules(percent, source, target)},
    }


WEIGHTED = "weighted"
DUPLICATED = "duplicated"


def duplicated_clusters(percent, source, target):
    """Clusters of the copy strategy at ``percent``: the source alone at 0, both in between (each
    runs the workload in full), the target alone at 100."""
    if percent <= 0:
        return [source]
    if percent >= 100:
        return [target]
    return [source, target]


def split(workload, percent, source, target):
    """``(source, target)`` replicas Karmada gives ``workload`` at ``percent``.

    Copy strategy (``workload["strategy"] == "duplicated"``): Duplicated scheduling gives every
    selected cluster the full count (``pkg/scheduler/core/assignment.go``, assignByDuplicatedStrategy)."""
    if workload.get("kind") == "StatefulSet" and workload.get("statefulset_move") == "whole":
        # moved whole at the step of 100 % (see identity.py); its replicas are pinned per member
        replicas = int(workload["replicas"])
        return (0, replicas) if percent >= 100 else (replicas, 0)
    if workload.get("strategy") == DUPLICATED:
        clusters = duplicated_clusters(percent, source, target)
        replicas = int(workload["replicas"])
        return (replicas if source in clusters else 0), (replicas if target in clusters else 0)
    div = divide_static(int(workload["replicas"]), [source, target],
                        weight_rules(percent, source, target), workload.get("uid") or "")
    return div.get(source, 0), div.get(target, 0)


def spec_replicas(obj):
    """``spec.replicas`` of a workload object as Kubernetes defaults it (1 when unset); 0 for none."""
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def resolve_max_unavailable(value, replicas, default="25%"):
    """Resolve ``maxUnavailable`` like Kubernetes: a percentage is rounded down."""
    if value is None:
        value = default
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            return (int(replicas) * int(text[:-1])) // 100
        return int(text)
    return int(value)


def workload_max_unavailable(obj):
    """``maxUnavailable`` of a Deployment or StatefulSet object (dict)."""
    spec = obj.get("spec") or {}
    replicas = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    kind = obj.get("kind", "Deployment")
    if kind == "StatefulSet":
        strategy = spec.get("updateStrategy") or {}
        ru = strategy.get("rollingUpdate") or {}
        return resolve_max_unavailable(ru.get("maxUnavailable"), replicas, default=1)
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return replicas
    ru = strategy.get("rollingUpdate") or {}
    return resolve_max_unavailable(ru.get("maxUnavailable"), replicas, default="25%")


def state_at(workload, percent, source, target):
    """Replicas running on each member when ``percent`` is the completed step.

    A member left out of the schedule at 0 % / 100 % has been scaled to 0 by
    the collection once the step settled.
    """
    if percent is None:  # freshly promoted: everything on the source
        return {SOURCE: int(workload["replicas"]), TARGET: 0}
    s, t = split(workload, percent, source, target)
    return {SOURCE: s, TARGET: t}


def _phase(kind, percent, workloads, before, after_sched, source, target):
    """Build a phase and its expected effect for every workload.

    ``before``: dict key -> {source, target} running replicas before the phase;
    ``after_sched``: dict key -> {source, target} replicas Karmada schedules.
    A member scheduled 0 keeps its previous replicas (preserved on deletion).
    """
    expect = {}
    for w in workloads:
        key = w["key"]
        b = before[key]
        a = after_sched[key]
        running = {}
        detached = {}
        for side in (SOURCE, TARGET):
            if a[side] == 0 and kind == "weights":
                running[side] = b[side]
                detached[side] = True
            else:
                running[side] = a[side]
                detached[side] = False
        floor = min(b[SOURCE], running[SOURCE]) + min(b[TARGET], running[TARGET])
        expect[key] = dict(source=running[SOURCE], target=running[TARGET],
                           scheduled_source=a[SOURCE], scheduled_target=a[TARGET],
                           source_detached=detached[SOURCE], target_detached=detached[TARGET],
                           ready_floor=floor)
    return dict(kind=kind, percent=percent, expect=expect)


def plan_transition(workloads, from_percent, to_percent, source, target, before=None, hold=False):
    """Phases that move the workloads of ONE policy from ``from_percent`` to ``to_percent``.

    ``workloads``: list of dicts with ``key``, ``replicas``, ``uid``, ``max_unavailable``.
    ``before``: optional dict key -> {source, target} replicas running now
    (defaults to the settled state of ``from_percent``).
    Returns a list of phases; each phase is ``{"kind": "weights", "percent": q,
    "expect": {...}}`` or ``{"kind": "scale_detached", "member": side, ...}``.

    ``hold``: only the phase that grows, for a step whose traffic moves before any pod goes
    away (``replica_shift`` ``phase=grow``): the weights of the far end towards which the step
    moves (100 going up, 0 going back), where the growing member runs every replica and the
    shrinking member, out of the schedule, keeps its pods (``preserveResourcesOnDeletion``).
    With the copy strategy the step itself only grows (both members run the workload in full).
    """
    if before is None:
        before = dict((w["key"], state_at(w, from_percent, source, target)) for w in workloads)
    else:
        before = dict((k, dict(v)) for k, v in before.items())
    final = dict((w["key"], state_at(w, to_percent, source, target)) for w in workloads)

    phases = []
    if from_percent is not None and from_percent != to_percent:
        forward = to_percent > from_percent
    else:  # same step again (resume, rollback from a failed gate): the running replicas tell the direction
        forward = any(final[k][TARGET] > before[k][TARGET] for k in final) or \
            not any(final[k][SOURCE] > before[k][SOURCE] for k in final) and to_percent > 0
    grow, shrink = (TARGET, SOURCE) if forward else (SOURCE, TARGET)
    if hold:
        far = to_percent if any(w.get("strategy") == DUPLICATED for w in workloads) else (100 if forward else 0)
        phase = _phase("weights", far, workloads, before,
                       dict((w["key"], state_at(w, far, source, target)) for w in workloads), source, target)
        phase["purpose"] = "step" if far == to_percent else "surge"
        return [phase]
    direct_ok = True
    for w in workloads:
        if w.get("kind") == "StatefulSet":
            continue  # pinned per member and moved ordinal by ordinal (identity.py), not by the weights
        key = w["key"]
        b, f = before[key], final[key]
        kept_shrink = b[shrink] if f[shrink] == 0 else min(b[shrink], f[shrink])
        floor = kept_shrink + min(b[grow], f[grow])
        if floor < int(w["replicas"]) - int(w["max_unavailable"]):
            direct_ok = False
            break
    if not direct_ok:
        far = 100 if forward else 0
        surge = dict((w["key"], state_at(w, far, source, target)) for w in workloads)
        phase = _phase("weights", far, workloads, before, surge, source, target)
        phase["purpose"] = "surge"
        phases.append(phase)
        before = dict((k, dict(source=e["source"], target=e["target"])) for k, e in phase["expect"].items())
    phase = _phase("weights", to_percent, workloads, before, final, source, target)
    phase["purpose"] = "step"
    phases.append(phase)
    after = dict((k, dict(source=e["source"], target=e["target"])) for k, e in phase["expect"].items())
    for side in (SOURCE, TARGET):
        if any(e["%s_detached" % side] and after[k][side] > 0 for k, e in phase["expect"].items()):
            expect = {}
            for w in workloads:
                k = w["key"]
                a = after[k]
                e = phase["expect"][k]
                new = dict(a)
                if e["%s_detached" % side]:
                    new[side] = 0
                expect[k] = dict(source=new[SOURCE], target=new[TARGET],
                                 scheduled_source=e["scheduled_source"], scheduled_target=e["scheduled_target"],
                                 source_detached=e["source_detached"], target_detached=e["target_detached"],
                                 ready_floor=min(a[SOURCE], new[SOURCE]) + min(a[TARGET], new[TARGET]))
            phases.append(dict(kind="scale_detached", member=side, percent=to_percent, expect=expect,
                               purpose="scale %s to 0" % side))
    return phases


def remaining_steps(steps, current, stop_after=None):
    """Steps still to run when ``current`` is the last completed one (``None``: none done).

    ``stop_after``: only up to the first occurrence of that percentage in ``steps``.
    """
    steps = list(steps)
    end = len(steps)
    if stop_after is not None and stop_after in steps:
        end = steps.index(stop_after) + 1
    start = 0
    if current is not None:
        for index in range(len(steps) - 1, -1, -1):
            if steps[index] == current:
                start = index + 1
                break
    return steps[start:end]


def plan_shift(workloads, current, steps, source, target, stop_after=None):
    """Plan every remaining step for the workloads of one policy.

    Returns a list of ``{"percent", "from", "phases", "replicas": {key: {source, target}}}``.
    """
    plan = []
    prev = current
    for step in remaining_steps(steps, current, stop_after):
        phases = plan_transition(workloads, prev, step, source, target)
        settled = dict((w["key"], state_at(w, step, source, target)) for w in workloads)
        plan.append(dict(percent=step, **{"from": prev}, phases=phases, replicas=settled))
        prev = step
    return plan


def validate_steps(steps):
    """Return a clean list of int percentages, or raise ``ValueError`` naming the fix."""
    out = []
    for value in steps:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("steps: %r is not a whole percentage between 0 and 100" % (value,))
        if number != value and str(number) != str(value):
            raise ValueError("steps: %r is not a whole percentage between 0 and 100" % (value,))
        if number < 0 or number > 100:
            raise ValueError("steps: %d is outside 0..100 (percent of replicas on the target)" % number)
        out.append(number)
    if not out:
        raise ValueError("steps: give at least one percentage, for example [0, 50, 100]")
    return out
