# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A shift for workloads a HorizontalPodAutoscaler scales: the HPA's bounds follow the step.

The promotion put the HPA (as ``autoscaling/v2``) in the workload's policy and Karmada's
``resourcetemplate.karmada.io/retain-replicas`` label on the Deployment's template (see
``..karmada.hpa``). So:

* Karmada places the HPA on every cluster of the placement, undivided (an HPA has no replicas),
  and keeps each member's ``spec.replicas`` on update (``retainWorkloadReplicas``,
  ``pkg/resourceinterpreter/default/native/retain.go``). Only a member object Karmada creates gets
  the division's count.
* At each step an OverridePolicy made and labelled by the collection sets, per member, the HPA's
  ``/spec/minReplicas`` and ``/spec/maxReplicas`` to the step's share: Karmada's static-weight
  division (``..karmada.division``) of the HPA's min and of its max, with min at least 1 and max at
  least min on a member in the schedule. A member out of the schedule keeps the bounds it had.
* Each member's HPA controller then moves the replicas into its bounds, even without metrics:
  ``reconcileAutoscaler`` (``pkg/controller/podautoscaler/horizontal.go``) scales above
  maxReplicas down to max and below minReplicas up to min. With a target at 0 and minReplicas != 0
  it disables scaling ("ScalingDisabled"), so the source object the shift scales to 0 at 100 %
  stops its HPA, and on a way back the module sets the replicas of such a member itself (retain
  would keep the 0).
* The members whose bounds grow get them before the policy patch, and the shift waits until they
  run within them, ready, before the shrinking members get theirs: no member goes below its new
  minimum, and the growing member is up first.
* The wait for such a workload: on each member in the schedule, replicas within that member's
  [min, max], all ready (the HPA, not the division, picks the count).
"""

from __future__ import annotations

from ..common.errors import CceMigrationError
from ..common.waiter import wait_until
from ..k8s.rest import path_for
from ..karmada import hpa as khpa
from ..karmada.division import divide_static
from . import planner

LABEL = "cce-migration.ctyun.cn/hpa-bounds"
POLICY_ANNOTATION = "cce-migration.ctyun.cn/shift-policy"
SIDES = ("source", "target")
MIN_PATH, MAX_PATH = "/spec/minReplicas", "/spec/maxReplicas"


def member_bounds(low, high, percent, source, target, uid="", strategy=planner.WEIGHTED, replicas=None, hold=None):
    """``{"source": (min, max) or None, "target": ...}`` at ``percent``: None for a member out of
    the schedule (its bounds stay as they are).

    Weighted: each bound divided like replicas (same static weights, same UID tie-breaker); min at
    least 1 (0 stays 0 for an HPA allowed to scale to zero) and max at least min. Duplicated: every
    member in the schedule runs the workload in full, so it gets the HPA's own bounds.

    ``replicas``: the template's replicas, which Karmada divides. A member the division gives 0 is
    out of the workload's schedule even between 0 and 100 %: Karmada removes it from the binding
    (``removeZeroReplicasCluster``, pkg/scheduler/core/util.go) and sends it no Deployment, so it
    gets no bounds (None), and the other member, which runs every replica, the HPA's own.

    ``hold``: the ready replicas the workload ran before the step. Each member's minimum is raised
    to its share of them (the same division; everything for a member alone), within its maximum,
    so that no member's HPA may go below what it must carry while the other member shrinks."""
    if strategy == planner.DUPLICATED:
        clusters = planner.duplicated_clusters(percent, source, target)
        scheduled = {"source": source in clusters, "target": target in clusters}
        shares = {"source": hold, "target": hold}
        plain = dict((side, (int(low), int(high))) for side in SIDES)
    else:
        rules = planner.weight_rules(percent, source, target)
        scheduled = {"source": percent < 100, "target": percent > 0}
        if replicas is not None:
            seats = divide_static(int(replicas), [source, target], rules, uid)
            scheduled = {"source": scheduled["source"] and seats[source] > 0,
                         "target": scheduled["target"] and seats[target] > 0}
        lows = divide_static(int(low), [source, target], rules, uid)
        highs = divide_static(int(high), [source, target], rules, uid)
        shares = {"source": None, "target": None}
        if hold is not None:
            held = divide_static(int(hold), [source, target], rules, uid)
            shares = {"source": held[source], "target": held[target]}
        plain = {}
        for side, name in (("source", source), ("target", target)):
            floor = 1 if int(low) > 0 else 0
            mn = max(floor, lows[name])
            plain[side] = (mn, max(mn, highs[name], 1))
        if scheduled["source"] != scheduled["target"]:
            # one member runs every replica: the HPA's own bounds, and all of what ran before
            alone = "source" if scheduled["source"] else "target"
            plain[alone] = (int(low), int(high))
            if hold is not None:
                shares[alone] = int(hold)
    out = {}
    for side in SIDES:
        if not scheduled[side]:
            out[side] = None
            continue
        mn, mx = plain[side]
        if shares[side] is not None:
            mn = max(mn, min(int(shares[side]), mx))
        out[side] = (mn, mx)
    return out


def clamp(count, bounds):
    if bounds is None:
        return count
    return min(max(int(count), bounds[0]), bounds[1])


def override_name(hpa_name):
    return ("%s-hpa-bounds" % hpa_name)[:253]


def override_rules(bounds, names):
    """``overrideRules`` for ``bounds`` ({side: (min, max) or None}); ``names``: {side: member}."""
    rules = []
    for side in SIDES:
        if bounds.get(side) is None:
            continue
        low, high = bounds[side]
        rules.append({"targetCluster": {"clusterNames": [names[side]]}, "overriders": {"plaintext": [
            {"path": MIN_PATH, "operator": "replace", "value": int(low)},
            {"path": MAX_PATH, "operator": "replace", "value": int(high)}]}})
    return rules


def read_rules(policy, names):
    """{side: (min, max)} from an OverridePolicy this module wrote (sides without a rule absent)."""
    out = {}
    by_member = dict((v, k) for k, v in names.items())
    for rule in ((policy or {}).get("spec") or {}).get("overrideRules") or []:
        members = ((rule.get("targetCluster") or {}).get("clusterNames")) or []
        values = dict((op.get("path"), op.get("value")) for op in (rule.get("overriders") or {}).get("plaintext") or [])
        if len(members) == 1 and members[0] in by_member and MIN_PATH in values and MAX_PATH in values:
            out[by_member[members[0]]] = (int(values[MIN_PATH]), int(values[MAX_PATH]))
    return out


def override_policy(ns, hpa_name, bounds, names, policy_key):
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
            "metadata": {"name": override_name(hpa_name), "namespace": ns, "labels": {LABEL: "true"},
                         "annotations": {POLICY_ANNOTATION: policy_key}},
            "spec": {"resourceSelectors": [{"apiVersion": khpa.V2, "kind": khpa.KIND, "namespace": ns,
                                            "name": hpa_name}],
                     "overrideRules": override_rules(bounds, names)}}


def attach(karmada, groups, names):
    """Set ``w["hpa"]`` on every workload an HPA template in Karmada scales: name, bounds, whether
    Karmada retains its replicas (template label) and the bounds the members have now (from the
    collection's OverridePolicy, or None). One HPA and one OverridePolicy list per namespace."""
    hpas, overrides, templates = {}, {}, {}
    for g in groups:
        for w in g["workloads"]:
            ns = w["namespace"]
            if (w["kind"], ns) not in templates:
                templates[(w["kind"], ns)] = dict((t["metadata"]["name"], t)
                                                  for t in karmada.list(path_for(w["kind"], ns)))
            if ns not in hpas:
                hpas[ns] = list(karmada.list(path_for(khpa.KIND, ns)))
                overrides[ns] = dict((o["metadata"]["name"], o) for o in karmada.list(
                    path_for("OverridePolicy", ns), label_selector="%s=true" % LABEL))
            for item in hpas[ns]:
                if khpa.scale_target(item) != (w["kind"], w["name"]):
                    continue
                low, high = khpa.bounds(item)
                current = read_rules(overrides[ns].get(override_name(item["metadata"]["name"])), names)
                tpl = templates[(w["kind"], ns)].get(w["name"]) or {}
                w["hpa"] = dict(name=item["metadata"]["name"], min=low, max=high,
                                retained=w["kind"] in khpa.RETAINED_KINDS and khpa.retained(tpl),
                                bounds=dict((side, current.get(side)) for side in SIDES))
                break


def bounds_at(w, percent, names, strategy, hold=None):
    return member_bounds(w["hpa"]["min"], w["hpa"]["max"], percent, names["source"], names["target"],
                         w.get("uid") or "", strategy, replicas=w.get("replicas"), hold=hold)


def hold_of(w, ready_before):
    """The ready replicas ``w`` ran on both members when the step started (``ready_before``:
    {side: count}), at most the HPA's maximum (after a surge both members run the workload in
    full), or None when unknown (check mode) or when Karmada does not retain the replicas."""
    if not ready_before or not w["hpa"].get("retained"):
        return None
    return min(sum(int(ready_before.get(side) or 0) for side in SIDES), int(w["hpa"]["max"]))


def planned(w, percent, names, strategy, source, target, source_obj=None, target_obj=None):
    """The replicas planned on each member for the step table (what ``ready_ratio`` compares). For a
    workload an HPA scales, the HPA picks the count within the member's bounds: the member's own
    replicas clamped into them when the member object is there, else the division clamped. (The
    division follows the template's replicas, which Karmada's deploymentReplicasSyncer, when enabled,
    sets to the members' sum: pkg/controllers/deploymentreplicassyncer.)"""
    if not (w.get("hpa") or {}).get("retained"):
        return source, target
    b = bounds_at(w, percent, names, strategy)
    out = []
    for count, obj, side in ((source, source_obj, "source"), (target, target_obj, "target")):
        if b[side] is None or not count:
            out.append(0)
            continue
        spec = ((obj or {}).get("spec") or {}).get("replicas")
        out.append(clamp(count if spec is None else spec, b[side]))
    return tuple(out)


def settled(w, side, obj, exp):
    """None when the exact wait applies; else ``(ok, what was seen)`` for an HPA-scaled workload
    on a member in the schedule: replicas within the member's bounds, all ready."""
    info = w.get("hpa") or {}
    bounds = (info.get("bounds") or {}).get(side)
    if not info.get("retained") or bounds is None or not exp.get("scheduled_%s" % side):
        return None
    if obj is None:
        return False, "%s on %s: absent, want %d..%d ready" % (w["key"], side, bounds[0], bounds[1])
    spec = (obj.get("spec") or {}).get("replicas")
    spec = 1 if spec is None else int(spec)
    status = obj.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    meta = obj.get("metadata") or {}
    observed = status.get("observedGeneration") is None or meta.get("generation") is None or \
        int(status["observedGeneration"]) >= int(meta["generation"])
    total = status.get("replicas")
    ok = observed and bounds[0] <= spec <= bounds[1] and ready == spec and (total is None or int(total) == spec)
    return ok, "%s on %s: want %d..%d ready (HPA bounds), spec %d, ready %d" % (w["key"], side, bounds[0],
                                                                                bounds[1], spec, ready)


class Stage(object):
    """The bounds of one weights stage of the runner (``before`` the policy patches, ``after``
    them, before the runner's wait).

    When the step moves a workload (a member's bounds change) and the ready replicas it ran when
    the step started are known (``group["ready_before"]``, set by the runner), each member's minimum
    is first raised to its share of those replicas (``hold``): the growing member gets it before the
    policy patch and runs it ready before the shrinking member's maximum is lowered, so the ready
    replicas summed over both members stay at what ran before. Once the step is over (``relax``),
    the members get the step's own bounds back and their HPAs scale freely within them."""

    def __init__(self, shifter, entries):
        self.shifter = shifter
        self.items = []
        for group, phase in entries:
            ready = group.get("ready_before") or {}
            for w in group["workloads"]:
                # a StatefulSet's replicas are pinned per member by its identity override
                # (identity.py): its HPA keeps its own bounds and is not divided
                if w.get("hpa") and w["kind"] != "StatefulSet":
                    plain = bounds_at(w, phase["percent"], shifter.names, shifter.strategy)
                    new = plain
                    hold = hold_of(w, ready.get(w["key"]))
                    if hold is not None and any(plain[s] is not None and w["hpa"]["bounds"].get(s) != plain[s]
                                                for s in SIDES):
                        new = bounds_at(w, phase["percent"], shifter.names, shifter.strategy, hold=hold)
                    self.items.append((group, phase, w, new, plain))

    def _grows(self, w, side, new):
        current = w["hpa"]["bounds"].get(side)
        return new[side] is not None and (current is None or new[side][1] >= current[1])

    def _write(self, group, w):
        ns = w["namespace"]
        wanted = override_policy(ns, w["hpa"]["name"], w["hpa"]["bounds"], self.shifter.names, group["key"])
        path = path_for("OverridePolicy", ns, wanted["metadata"]["name"])
        karmada = self.shifter.karmada
        existing = karmada.get(path, missing_ok=True)
        if existing is None:
            karmada.create(path_for("OverridePolicy", ns), wanted, dry_run=self.shifter.check_mode)
        elif read_rules(existing, self.shifter.names) != read_rules(wanted, self.shifter.names):
            karmada.merge_patch(path, {"spec": {"overrideRules": wanted["spec"]["overrideRules"]}},
                                dry_run=self.shifter.check_mode)
        else:
            return
        self.shifter.changed = True
        group["changed"] = True

    def _apply(self, which):
        jobs = []
        for group, _phase, w, new, _plain in self.items:
            sides = [s for s in SIDES if new[s] is not None and which(w, s, new)]
            if sides and any(w["hpa"]["bounds"].get(s) != new[s] for s in sides):
                for s in sides:
                    w["hpa"]["bounds"][s] = new[s]
                jobs.append((group, w))
        self.shifter._map(lambda job: self._write(*job), jobs)

    def before(self):
        """Growing members get their bounds before the policy patch."""
        self._apply(self._grows)

    def after(self):
        """Members of the schedule running fewer replicas than their share (a member coming back at
        0, where the HPA is disabled and Karmada retains the 0) get it; the growing members are
        waited for; then the shrinking members get their bounds. Bounds raised to hold what ran
        before are given back by ``relax`` at the end of the step."""
        if not self.items:
            return
        if not self.shifter.check_mode:
            self._raise_to_share()
            self._wait_growing()
        self._apply(lambda w, side, new: True)
        if not self.shifter.check_mode:
            self._wait_member_bounds([(w, s) for dummy, phase, w, new, plain in self.items for s in SIDES
                                      if new[s] is not None])
        held = [(group, w, new, plain) for group, phase, w, new, plain in self.items if new != plain]
        if held:
            pending = getattr(self.shifter, "hpa_held", None)
            if pending is None:
                pending = self.shifter.hpa_held = {}
            for group, w, new, plain in held:
                pending[w["key"]] = (group, w, new, plain)

    def _wait_member_bounds(self, todo):
        """Until each member's HPA carries the bounds written (Karmada applies overrides
        asynchronously): a step is not done while a member still scales to the old ones."""
        if not todo:
            return

        def check():
            listed = {}
            pending = []
            for w, side in todo:
                key = (side, w["namespace"])
                if key not in listed:
                    listed[key] = dict((h["metadata"]["name"], h) for h in member_list(
                        self.shifter.members[side], khpa.KIND, w["namespace"]))
                got = listed[key].get(w["hpa"]["name"])
                want = w["hpa"]["bounds"][side]
                if got is None or khpa.bounds(got) != tuple(want):
                    pending.append("HPA %s/%s on %s: %s, want %d..%d" % (
                        w["namespace"], w["hpa"]["name"], side,
                        "absent" if got is None else "%d..%d" % khpa.bounds(got), want[0], want[1]))
            return not pending, "; ".join(pending[:5])
        wait_until(check, self.shifter.wait_timeout, "the members' HPAs to carry the step's bounds",
                   sleep=min(self.shifter.wait_sleep, 0.5))

    def _raise_to_share(self):
        todo = [(phase, w, new) for dummy, phase, w, new, plain in self.items if w["hpa"]["retained"]]
        if not todo:
            return
        snap = self.shifter.snapshot([w for dummy, w, dummy2 in todo])
        for phase, w, new in todo:
            share = dict(zip(SIDES, planner.split(w, phase["percent"], self.shifter.names["source"],
                                                  self.shifter.names["target"])))
            for side in SIDES:
                obj = snap[side].get(w["key"])
                if new[side] is None or obj is None:
                    continue
                spec = (obj.get("spec") or {}).get("replicas")
                want = clamp(share[side], new[side])
                if spec is not None and int(spec) < new[side][0]:
                    self.shifter.members[side].merge_patch(path_for(w["kind"], w["namespace"], w["name"]),
                                                           {"spec": {"replicas": want}})
                    self.shifter.changed = True

    def _wait_growing(self):
        todo = [(w, s) for dummy, phase, w, new, plain in self.items for s in SIDES
                if w["hpa"]["retained"] and new[s] is not None and w["hpa"]["bounds"].get(s) == new[s]]
        if not todo:
            return

        def check():
            snap = self.shifter.snapshot([w for w, dummy in todo])
            pending = []
            for w, side in todo:
                obj = snap[side].get(w["key"])
                lift(self.shifter, w, side, obj)
                got = settled(w, side, obj, {"scheduled_%s" % side: 1})
                if got is not None and not got[0]:
                    pending.append(got[1])
            return not pending, "; ".join(pending[:5])
        wait_until(check, self.shifter.wait_timeout, "the growing members of HPA-scaled workloads",
                   sleep=min(self.shifter.wait_sleep, 0.5))


def lift(shifter, w, side, obj):
    """A member object Karmada created with the division of the template's replicas, below the
    minimum its HPA now has: set it to that minimum, as its HPA controller would on its next sync
    (``reconcileAutoscaler``: below minReplicas, desired = minReplicas), without waiting for it
    (``--horizontal-pod-autoscaler-sync-period``, 15 s by default)."""
    bounds = w["hpa"]["bounds"].get(side)
    if obj is None or bounds is None or not w["hpa"].get("retained"):
        return
    if planner.spec_replicas(obj) < bounds[0]:
        shifter.members[side].merge_patch(path_for(w["kind"], w["namespace"], w["name"]),
                                          {"spec": {"replicas": int(bounds[0])}})
        shifter.changed = True


def relax(shifter):
    """At the end of a step: the bounds raised to hold what ran before (``Stage``) go back to the
    step's own, once every member in the schedule runs within the raised ones, ready (the shrinking
    member has come down to its maximum). A step that timed out keeps them raised; the next step or
    the rollback sets them again."""
    pending = getattr(shifter, "hpa_held", None) or {}
    shifter.hpa_held = {}
    todo = [(group, w, plain) for group, w, new, plain in pending.values()
            if all(w["hpa"]["bounds"].get(s) == new[s] for s in SIDES if new[s] is not None)]
    if not todo or shifter.check_mode:
        return
    sides = [(w, s) for dummy, w, plain in todo for s in SIDES if plain[s] is not None]

    def check():
        snap = shifter.snapshot([w for dummy, w, dummy2 in todo])
        waiting = []
        for w, side in sides:
            got = settled(w, side, snap[side].get(w["key"]), {"scheduled_%s" % side: 1})
            if got is not None and not got[0]:
                waiting.append(got[1])
        return not waiting, "; ".join(waiting[:5])
    wait_until(check, shifter.wait_timeout, "HPA-scaled workloads within the bounds that hold their replicas",
               sleep=min(shifter.wait_sleep, 0.5))
    stage = Stage(shifter, [])
    jobs = []
    for group, w, plain in todo:
        for s in SIDES:
            if plain[s] is not None:
                w["hpa"]["bounds"][s] = plain[s]
        jobs.append((group, w))
    shifter._map(lambda job: stage._write(*job), jobs)
    stage._wait_member_bounds(sides)


def member_list(client, kind, ns):
    """A member's objects of ``kind`` in ``ns``; HPAs through the version the member serves."""
    if kind == khpa.KIND:
        return khpa.list_hpas(client, ns)
    return client.list(path_for(kind, ns))


def delete_overrides(karmada, groups, check_mode=False):
    """Delete the OverridePolicies this module made for the groups' policies (release). Returns
    ``OverridePolicy/ns/name`` entries."""
    out = []
    for ns in sorted(set(g["policy"]["metadata"]["namespace"] for g in groups)):
        keys = set(g["key"] for g in groups if g["policy"]["metadata"]["namespace"] == ns)
        for item in karmada.list(path_for("OverridePolicy", ns), label_selector="%s=true" % LABEL):
            if ((item["metadata"].get("annotations") or {}).get(POLICY_ANNOTATION)) not in keys:
                continue
            out.append("OverridePolicy/%s/%s" % (ns, item["metadata"]["name"]))
            if not check_mode:
                karmada.delete(path_for("OverridePolicy", ns, item["metadata"]["name"]), missing_ok=True)
    return out


def warnings(groups):
    """Messages for HPA-scaled workloads whose template lacks the retain-replicas label."""
    out = []
    for g in groups:
        for w in g["workloads"]:
            if w.get("hpa") and not w["hpa"]["retained"]:
                out.append("%s is scaled by HPA %s but Karmada does not retain its replicas (a StatefulSet, or a "
                           "Deployment promoted without the %s label: promote it again); the shift waits for "
                           "Karmada's division" % (w["key"], w["hpa"]["name"], khpa.RETAIN_LABEL))
    return out


__all__ = ["CceMigrationError", "attach", "member_bounds", "Stage", "relax", "settled", "planned", "delete_overrides"]
