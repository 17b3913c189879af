# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""StatefulSets, checked before the shift writes anything: their identities, their data, their budget.

An ordinal that moves to the target starts there on an empty volume. So every StatefulSet with
volumes that a step left to run moves needs the user's word on how its data gets there
(``statefulsets`` option, :func:`decisions`):

* ``replicated``: the application copies it to the new member itself (a database replica set, a
  Raft or Zab quorum, Kafka). It moves at most its budget of ordinals per hop (:func:`budget`): one,
  or what its PodDisruptionBudget or ``maxUnavailable`` allows, and with ``quorum`` never so many
  that fewer than a majority run.
* ``external``: the data lives elsewhere (RDS, object storage) and the data stage moved it.
* ``none``: nothing to keep (a cache).

The other checks refuse what would defeat the identity overrides (:func:`check_pins`), delete
volumes on scale-down (:func:`check_volume_retention`), or start ordinals from 0 on the target
because its API server drops ``spec.ordinals`` (:func:`check_start_ordinal`).
"""

from __future__ import annotations

import math
import re

from ..common.errors import ApiError, NotFoundError, ValidationError
from ..k8s import selectors
from ..k8s.rest import path_for
from . import identity, planner

REPLICATED, EXTERNAL, NONE = "replicated", "external", "none"
DATA = (REPLICATED, EXTERNAL, NONE)
PROBE_NAME = "cce-migration-ordinals-probe"
# a retention script that keeps these member fields would undo the identity pins
RETAINED = re.compile(r"replicas|ordinals|\.spec\s*=[^=]|return\s+observed")


def decisions(entries):
    """``{"ns/name": {"data": .., "quorum": .., "rollback_consent": ..}}`` from the ``statefulsets``
    option, validated."""
    out = {}
    for i, entry in enumerate(entries or []):
        name = entry.get("name") or ""
        parts = name.split("/")
        if len(parts) != 2 or not all(parts):
            raise ValidationError("statefulsets[%d].name: %r must be written namespace/name" % (i, name))
        if name in out:
            raise ValidationError("statefulsets: %s is given twice" % name)
        if entry.get("quorum") and entry.get("data") != REPLICATED:
            raise ValidationError("statefulsets[%d].quorum: only for data=replicated (%s says data=%s)"
                                  % (i, name, entry.get("data")))
        out[name] = dict(data=entry.get("data"), quorum=bool(entry.get("quorum")),
                         rollback_consent=bool(entry.get("rollback_consent")))
    return out


def has_volumes(w):
    return bool(w.get("claim_templates") or w.get("claim_volumes"))


def moves(w, percents, source, target, move):
    """Whether a step among ``percents`` changes the members of StatefulSet ``w``."""
    return len(set(identity.settled(w, p, source, target, move) for p in percents)) > 1


def scaled(value, total, round_up):
    """``intstr.GetScaledValueFromIntOrPercent`` (k8s.io/apimachinery/pkg/util/intstr)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        exact = int(value.strip()[:-1]) * total / 100.0
        return int(math.ceil(exact)) if round_up else int(math.floor(exact))
    return int(value)


def pdb_allowance(pdb, replicas):
    """Disruptions a PodDisruptionBudget allows with ``replicas`` pods all healthy, as the disruption
    controller counts them (``getExpectedPodCount`` and ``updatePdbStatus``,
    pkg/controller/disruption/disruption.go): ``maxUnavailable`` scaled rounding up, or
    ``minAvailable`` (a percentage scaled rounding up) as the desired healthy count. ``None`` when
    it sets neither."""
    spec = pdb.get("spec") or {}
    if spec.get("maxUnavailable") is not None:
        desired = max(0, replicas - scaled(spec["maxUnavailable"], replicas, True))
    elif spec.get("minAvailable") is not None:
        desired = scaled(spec["minAvailable"], replicas, True)
    else:
        return None
    return max(0, replicas - desired)


def selects(pdb, labels):
    """policy/v1: a null selector selects no pod, an empty one every pod of the namespace."""
    selector = (pdb.get("spec") or {}).get("selector")
    if selector is None:
        return False
    return selectors.matches(labels, selector)


def budget(w, pdbs, quorum):
    """``(ordinals a hop may move, why)`` for a ``replicated`` StatefulSet: its PodDisruptionBudgets'
    allowance, its ``maxUnavailable`` when set (at least 1, ``getStatefulSetMaxUnavailable``), else
    one; with ``quorum``, at most ``n - (n // 2 + 1)`` so a majority keeps running."""
    n = int(w["replicas"])
    limits = []
    for pdb in pdbs:
        if selects(pdb, w.get("pod_labels")):
            allowed = pdb_allowance(pdb, n)
            if allowed is not None:
                limits.append((allowed, "PodDisruptionBudget %s allows %d" % (pdb["metadata"]["name"], allowed)))
    if w.get("max_unavailable_set"):
        limits.append((max(1, int(w["max_unavailable"])), "maxUnavailable %s" % w["max_unavailable"]))
    if not limits:
        limits.append((1, "one ordinal per hop"))
    if quorum:
        limits.append((n - (n // 2 + 1), "a majority of %d must keep running" % n))
    return min(limits)


def check_data(groups, ahead, chosen, source, target, move, steps, stop_after, pdbs_of):
    """Attach the data decisions (``data``, ``quorum``, ``rollback_consent``, ``ordinal_budget``) to the
    StatefulSets of ``groups``; refuse before any write a StatefulSet with volumes that a step left to
    run moves and that has no decision, and a budget of 0. Entries for StatefulSets the shift does not
    move are ignored, so one list serves every policy and every run of a cutover.
    ``pdbs_of(namespace)``: the source's PodDisruptionBudgets there."""
    missing, stuck = [], []
    for g in ahead:
        percents = [g["current"]] + planner.remaining_steps(steps, g["current"], stop_after)
        for w in g["workloads"]:
            name = "%s/%s" % (w["namespace"], w["name"])
            if not identity.is_statefulset(w):
                continue
            decision = chosen.get(name)
            if decision is None:
                if has_volumes(w) and moves(w, percents, source, target, move):
                    missing.append(name)
                continue
            w.update(data=decision["data"], quorum=decision["quorum"], rollback_consent=decision["rollback_consent"])
            if decision["data"] == REPLICATED:
                allowed, why = budget(w, pdbs_of(w["namespace"]), decision["quorum"])
                if allowed < 1 and moves(w, percents, source, target, move):
                    stuck.append("%s (%s)" % (name, why))
                w["ordinal_budget"] = max(1, allowed)
    if missing:
        raise ValidationError(
            "statefulsets: the shift would start ordinals of %s on %s with empty volumes; say how the data of each "
            "reaches it: statefulsets: [{name: <namespace/name>, data: replicated|external|none}] - replicated: the "
            "application copies it to the new member itself (it moves an ordinal at a time; add quorum: true for a "
            "store that needs a majority); external: it lives outside the volumes (RDS, object storage) and the data "
            "stage moved it; none: nothing to keep (a cache)" % (", ".join(missing), target))
    if stuck:
        raise ValidationError("statefulsets: %s cannot move an ordinal without going below what it allows; scale it "
                              "up first, or relax its PodDisruptionBudget" % "; ".join(stuck))


def check_moves(groups, ahead, chosen, params, steps, members):
    """The data decisions (:func:`check_data`, PodDisruptionBudgets read on the source) and, when a
    StatefulSet moves to a start other than 0, whether the target keeps ``spec.ordinals``
    (:func:`check_start_ordinal`). Returns warnings."""
    src, tgt = params["source_member"], params["target_member"]
    cache = {}

    def pdbs_of(ns):
        if ns not in cache:
            cache[ns] = members["source"].list(path_for("PodDisruptionBudget", ns))
        return cache[ns]
    move = params["statefulset_move"]
    check_data(groups, ahead, chosen, src, tgt, move, steps, params["stop_after"], pdbs_of)
    # the target needs spec.ordinals for a start other than 0: ordinals moves, hops of a replicated set,
    # a set with its own start; whole from 0 starts the target at 0 once the source runs nothing
    moving = sorted(set(
        "%s/%s" % (w["namespace"], w["name"]) for g in ahead for w in g["workloads"]
        if identity.is_statefulset(w) and moves(w, [g["current"]] + planner.remaining_steps(
            steps, g["current"], params["stop_after"]), src, tgt, move)
        and (move == identity.ORDINALS or w.get("ordinal_budget") or w.get("base_ordinal"))))
    if not moving:
        return []
    kept = check_start_ordinal(members["target"], sorted(set(m.split("/")[0] for m in moving)))
    if kept is None:
        return ["could not ask the target whether it keeps spec.ordinals (the dry run of a StatefulSet was refused); "
                "the shift watches the target's pod ordinals instead and stops at the first one the source runs"]
    if kept is False:
        raise ValidationError("the API server of %s drops spec.ordinals (the StatefulSetStartOrdinal feature gate is "
                              "off: Kubernetes 1.27-1.30 started with --feature-gates=StatefulSetStartOrdinal=false), "
                              "so the target would start StatefulSet %s from ordinal 0 beside the source's pods. "
                              "Turn the gate on, or move them at the step of 100 %% with "
                              "statefulset_move=whole and steps that end at 100" % (tgt, ", ".join(moving[:5])))
    return []


def check_interpreters(karmada, groups):
    """Refuse a ResourceInterpreterCustomization that retains a StatefulSet's replicas or ordinals
    from the member: Karmada runs retention after the overrides, when it updates the member object
    (``objectWatcher.retainClusterFields``, pkg/util/objectwatcher), so it would keep the member's
    values against the pins. The Lua is not run here: a retention script naming ``replicas``,
    ``ordinals`` or assigning the whole ``spec`` is refused."""
    if not any(identity.is_statefulset(w) for g in groups for w in g["workloads"]):
        return
    try:
        items = karmada.list(path_for("ResourceInterpreterCustomization"))
    except NotFoundError:
        return      # the API is not served: no customization
    bad = []
    for item in items:
        spec = item.get("spec") or {}
        tgt = spec.get("target") or {}
        script = ((spec.get("customizations") or {}).get("retention") or {}).get("luaScript") or ""
        if tgt.get("apiVersion") == "apps/v1" and tgt.get("kind") == "StatefulSet" and RETAINED.search(script):
            bad.append(item["metadata"]["name"])
    if bad:
        raise ValidationError("ResourceInterpreterCustomization %s retains StatefulSet fields from the members "
                              "(replicas, ordinals or the spec): Karmada would keep them against the identity "
                              "overrides and run an ordinal on both members. Drop its retention for those fields "
                              "during the migration" % ", ".join(sorted(bad)))


def check_start_ordinal(target, namespaces):
    """Whether the target's API server keeps ``spec.ordinals``, asked with a server-side dry run of
    a StatefulSet with ``ordinals.start: 1`` (nothing is stored). With the StatefulSetStartOrdinal
    gate off (Kubernetes 1.27-1.30) the API server drops the field on create
    (``dropStatefulSetDisabledFields``, pkg/registry/apps/statefulset/strategy.go) and the target
    would start ordinal 0 beside the source's. Returns None when it could not be asked."""
    body = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": PROBE_NAME},
            "spec": {"replicas": 0, "serviceName": PROBE_NAME, "ordinals": {"start": 1},
                     "selector": {"matchLabels": {"app": PROBE_NAME}},
                     "template": {"metadata": {"labels": {"app": PROBE_NAME}},
                                  "spec": {"containers": [{"name": "probe", "image": "probe"}]}}}}
    for ns in list(namespaces) + ["default"]:
        try:
            answer = target.create(path_for("StatefulSet", ns), body, dry_run=True)
        except NotFoundError:
            continue      # the namespace is not on the target yet
        except ApiError:
            return None   # not allowed (RBAC) or refused for another reason: not known
        return identity.start_of(answer) == 1
    return None


def check_pins(groups, params, target, karmada):
    """Refuse, before any write, a shift that would run a StatefulSet ordinal on both members."""
    stateful = [w for g in groups for w in g["workloads"] if w["kind"] == "StatefulSet"]
    if not stateful:
        return
    sets = ["%s/%s" % (w["namespace"], w["name"]) for w in stateful]
    overrides = {}
    shadowed = []
    for w in stateful:
        if w["namespace"] not in overrides:
            overrides[w["namespace"]] = karmada.list(path_for("OverridePolicy", w["namespace"]))
        shadowed.extend("%s/%s by %s" % (w["namespace"], w["name"], name)
                        for name in identity.shadowing_overrides(w, overrides[w["namespace"]]))
    if shadowed:
        raise ValidationError("OverridePolicies that Karmada applies after the identity override write the replicas "
                              "or ordinals of StatefulSet %s, and would run an ordinal on both members; rename them to "
                              "sort before <statefulset>-cce-migration-identity or drop their /spec/replicas and "
                              "/spec/ordinals overriders" % "; ".join(sorted(shadowed)[:5]))
    if params["strategy"] == "duplicated":
        raise ValidationError("strategy: duplicated would run every ordinal of the StatefulSets %s on both members "
                              "(two pods with the same identity and volumes); shift them with strategy=weighted "
                              "in a policy of their own" % ", ".join(sorted(sets)[:5]))
    scaled = ["%s/%s (HPA %s)" % (w["namespace"], w["name"], w["hpa"]["name"]) for g in groups for w in g["workloads"]
              if w["kind"] == "StatefulSet" and w.get("hpa")]
    if scaled and params["statefulset_move"] == "ordinals":
        # Karmada retains member replicas for Deployments only (retain.go), so an HPA would scale a
        # member StatefulSet against its pinned ordinals and could start a released ordinal again
        raise ValidationError("statefulset_move: ordinals would let the HPA of %s start ordinals the other member "
                              "runs; use statefulset_move=whole for StatefulSets scaled by an HPA"
                              % ", ".join(sorted(scaled)[:5]))
    if params["statefulset_move"] == "ordinals":
        # spec.ordinals (StatefulSetStartOrdinal) is beta and on by default from 1.27; an older API server
        # drops the field, and the target would start again from ordinal 0
        version = (target.get("/version", missing_ok=True) or {})
        major, minor = str(version.get("major") or "0"), str(version.get("minor") or "0")
        digits = "".join(ch for ch in minor if ch.isdigit()) or "0"
        if version and (int("".join(ch for ch in major if ch.isdigit()) or "0"), int(digits)) < (1, 27):
            raise ValidationError("statefulset_move: ordinals needs spec.ordinals.start on the target (Kubernetes "
                                  "1.27 or later), and the target runs %s.%s; use statefulset_move=whole for %s"
                                  % (major, minor, ", ".join(sorted(sets)[:5])))


def check_volume_retention(ahead, members, params, steps):
    """Refuse, before any write, a shift that would scale down a StatefulSet whose claims are deleted
    on scale-down. With ``persistentVolumeClaimRetentionPolicy.whenScaled: Delete`` the StatefulSet
    controller deletes the PVCs of the ordinals a member gives up (pkg/controller/statefulset,
    StatefulSetAutoDeletePVC): the source's volumes as the target takes ordinals or the whole set,
    the target's on a rollback. Read from the template and from both members' objects."""
    found = []
    src, tgt = params["source_member"], params["target_member"]
    for g in ahead:
        percents = [g["current"]] + planner.remaining_steps(steps, g["current"], params["stop_after"])
        for w in g["workloads"]:
            if w["kind"] != "StatefulSet" or not w.get("claim_templates"):
                continue        # only claims made from volumeClaimTemplates are deleted
            if len(set(identity.settled(w, p, src, tgt, params["statefulset_move"]) for p in percents)) < 2:
                continue        # no step changes its members (whole, short of 100 %)
            path = path_for("StatefulSet", w["namespace"], w["name"])
            where = [("template", w.get("when_scaled"))]
            for side in ("source", "target"):
                obj = members[side].get(path, missing_ok=True) or {}
                where.append((side, ((obj.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {})
                              .get("whenScaled")))
            bad = [name for name, value in where if value == "Delete"]
            if bad:
                found.append("%s/%s (%s)" % (w["namespace"], w["name"], ", ".join(bad)))
    if found:
        raise ValidationError("persistentVolumeClaimRetentionPolicy.whenScaled is Delete on StatefulSet %s: a step "
                              "would delete the volumes of the ordinals a member gives up, and a rollback would find "
                              "them empty. Set whenScaled: Retain on the member objects and in the Karmada template "
                              "(it changes no pod) and run again" % "; ".join(sorted(found)[:5]))
