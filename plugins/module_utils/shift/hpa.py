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


def member_bounds(low, high, percent, source, target, uid="", strategy=planner.WEIGHTED):
    """``{"source": (min, max) or None, "target": ...}`` at ``percent``: None for a member out of
    the schedule (its bounds stay as they are).

    Weighted: each bound divided like replicas (same static weights, same UID tie-breaker); min at
    least 1 (0 stays 0 for an HPA allowed to scale to zero) and max at least min. Duplicated: every
    member in the schedule runs the workload in full, so it gets the HPA's own bounds."""
    if strategy == planner.DUPLICATED:
        clusters = planner.duplicated_clusters(percent, source, target)
        return {"source": (low, high) if source in clusters else None,
                "target": (low, high) if target in clusters else None}
    rules = planner.weight_rules(percent, source, target)
    lows = divide_static(int(low), [source, target], rules, uid)
    highs = divide_static(int(high), [source, target], rules, uid)
    out = {}
    for side, name, scheduled in (("source", source, percent < 100), ("target", target, percent > 0)):
        if not scheduled:
            out[side] = None
            continue
        floor = 1 if int(low) > 0 else 0
        mn = max(floor, lows[name])
        out[side] = (mn, max(mn, highs[name], 1))
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


def bounds_at(w, percent, names, strategy):
    return member_bounds(w["hpa"]["min"], w["hpa"]["max"], percent, names["source"], names["target"],
                         w.get("uid") or "", strategy)


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
    them, before the runner's wait)."""

    def __init__(self, shifter, entries):
        self.shifter = shifter
        self.items = []
        for group, phase in entries:
            for w in group["workloads"]:
                # a StatefulSet's replicas are pinned per member by its identity override
                # (identity.py): its HPA keeps its own bounds and is not divided
                if w.get("hpa") and w["kind"] != "StatefulSet":
                    new = bounds_at(w, phase["percent"], shifter.names, shifter.strategy)
                    self.items.append((group, phase, w, new))

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
        for group, _phase, w, new in self.items:
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
        waited for; then the shrinking members get their bounds."""
        if not self.items:
            return
        if not self.shifter.check_mode:
            self._raise_to_share()
            self._wait_growing()
        self._apply(lambda w, side, new: True)
        if not self.shifter.check_mode:
            self._wait_member_bounds()

    def _wait_member_bounds(self):
        """Until each member's HPA carries the bounds written (Karmada applies overrides
        asynchronously): a step is not done while a member still scales to the old ones."""
        todo = [(w, s) for dummy, phase, w, new in self.items for s in SIDES if new[s] is not None]
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
        todo = [(phase, w, new) for dummy, phase, w, new in self.items if w["hpa"]["retained"]]
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
        todo = [(w, s) for dummy, phase, w, new in self.items for s in SIDES
                if w["hpa"]["retained"] and new[s] is not None and w["hpa"]["bounds"].get(s) == new[s]]
        if not todo:
            return

        def check():
            snap = self.shifter.snapshot([w for w, dummy in todo])
            pending = []
            for w, side in todo:
                got = settled(w, side, snap[side].get(w["key"]), {"scheduled_%s" % side: 1})
                if got is not None and not got[0]:
                    pending.append(got[1])
            return not pending, "; ".join(pending[:5])
        wait_until(check, self.shifter.wait_timeout, "the growing members of HPA-scaled workloads",
                   sleep=min(self.shifter.wait_sleep, 0.5))


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


__all__ = ["CceMigrationError", "attach", "member_bounds", "Stage", "settled", "planned", "delete_overrides"]
