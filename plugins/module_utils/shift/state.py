# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where a shift stands, recorded on the PropagationPolicy as annotations.

Policy annotations stay in the control plane (they are not propagated to
members), so the record never reaches the workloads. A re-run after a crash or
Ctrl-C reads them and continues: ``shift-step`` is the last step reached whose
gates passed; ``shift-to`` is the step being applied, if any (a re-run applies
that transition again; every phase is safe to repeat).
"""

from __future__ import annotations

PREFIX = "cce-migration.ctyun.cn/"
STEP = PREFIX + "shift-step"
TO = PREFIX + "shift-to"
PHASE = PREFIX + "shift-phase"
SOURCE = PREFIX + "shift-source"
TARGET = PREFIX + "shift-target"


def annotations(policy):
    return ((policy or {}).get("metadata") or {}).get("annotations") or {}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def current_step(policy, source, target):
    """Last completed step of ``policy`` (percent on the target) or ``None`` if never shifted.

    Without our step annotation (and without a step in progress), the policy's own placement tells: a promoted policy
    (only the source, no Divided scheduling) is ``None``; Divided static weights
    between the two members give the percentage they encode.
    """
    ann = annotations(policy)
    step = _int(ann.get(STEP))
    if step is not None:
        return step
    if _int(ann.get(TO)) is not None:
        return None     # the first step was started (or held) by the module and not reached yet
    placement = ((policy or {}).get("spec") or {}).get("placement") or {}
    rs = placement.get("replicaScheduling") or {}
    rules = ((rs.get("weightPreference") or {}).get("staticWeightList")) or []
    if rs.get("replicaSchedulingType") != "Divided" or not rules:
        return None
    weights = {source: 0, target: 0}
    for rule in rules:
        for name in (rule.get("targetCluster") or {}).get("clusterNames") or []:
            if name in weights:
                weights[name] = max(weights[name], int(rule.get("weight", 0)))
    total = weights[source] + weights[target]
    if total == 0:
        return None
    percent = weights[target] * 100 / float(total)
    return int(percent) if percent == int(percent) else None


def in_progress(policy):
    return _int(annotations(policy).get(TO))


def annotation_patch(step=None, to=None, phase=None, source=None, target=None, clear_progress=False):
    """Merge-patch fragment for ``metadata.annotations`` (``None`` values delete keys)."""
    ann = {}
    if step is not None:
        ann[STEP] = str(step)
    if to is not None:
        ann[TO] = str(to)
    if phase is not None:
        ann[PHASE] = phase
    if source is not None:
        ann[SOURCE] = source
    if target is not None:
        ann[TARGET] = target
    if clear_progress:
        ann[TO] = None
        ann[PHASE] = None
    return {"metadata": {"annotations": ann}}
