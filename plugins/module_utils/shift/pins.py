# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The StatefulSet identity overrides of a step: plan the hops, check, write, wait, let go.

:mod:`.identity` says which ordinals each member runs (pure); this room does it on the shift's
clients, for the runner:

* **Hops.** A StatefulSet whose data the application replicates moves at most its budget of
  ordinals per hop (``ordinal_budget``, set by :mod:`.stateful` from its PodDisruptionBudget,
  ``maxUnavailable`` and quorum); each hop is a release and a take (``identity.hops``).
* **Intact.** The override must be there, and not being deleted, before each stage once the shift
  has pinned a StatefulSet between 0 and 100 %: a deleted override lets Karmada apply the plain
  division, which starts ordinal 0 on the target beside the source's. The override carries the
  finalizer ``identity.FINALIZER``, so a prune leaves it terminating and still in force (Karmada's
  override manager does not look at ``deletionTimestamp``); the shift then only runs to 0 or 100 %.
* **Plain state.** At 0 and 100 % the override pins what Karmada does without it (all replicas on
  one member, the template's start), so once such a step is reached the override is let go
  (finalizer removed, deleted): scaling the template works again and nothing is left to prune.
  The members' objects do not change. It stays when another OverridePolicy names the StatefulSet
  and writes its replicas or ordinals (hidden by ours until then, it would apply once ours went).
* **History.** When each ordinal started and stopped on the target, for the rollback's consent,
  the result (``on_target``) and the report; kept on the policy (``ANNOTATION``) with the step.
"""

from __future__ import annotations

import json
import time

from ..common.errors import CceMigrationError
from ..k8s.rest import path_for
from . import identity, planner, release, state as state_mod

RELEASE, TAKE = "release", "take"
ENDS = (0, 100)
# on the PropagationPolicy, with the step annotations: when each ordinal ran on the target, so a later
# run (another job, another runner) reports the same history
ANNOTATION = "cce-migration.ctyun.cn/statefulset-ordinals-on-target"


def expectation(state, workload):
    """The runner's wait expectation for a StatefulSet pinned at ``state`` ``(s, t, k)``."""
    s, t, k = state
    return dict(source=s, target=t, source_detached=False, target_detached=False,
                start=int(workload.get("base_ordinal") or 0) + k)


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _ordinal(pod_name, set_name):
    prefix = set_name + "-"
    if not pod_name.startswith(prefix) or not pod_name[len(prefix):].isdigit():
        return None
    return int(pod_name[len(prefix):])


class Pins(object):
    def __init__(self, shifter):
        self.shifter = shifter
        self.written = set()     # workload keys whose override this run wrote or found in force
        self.spans = {}          # workload key -> {ordinal: [since, until or None]} on the target

    # -- reading -------------------------------------------------------------
    def stored(self, workloads):
        """{workload key: stored identity override or None}, one LIST per namespace."""
        out = {}
        by_ns = {}
        for w in workloads:
            by_ns.setdefault(w["namespace"], []).append(w)
        for ns, items in sorted(by_ns.items()):
            found = dict((o["metadata"]["name"], o) for o in self.shifter.karmada.list(
                path_for("OverridePolicy", ns), identity.LABEL))
            for w in items:
                out[w["key"]] = found.get(identity.override_name(w))
        return out

    def check_intact(self, group, w, stored, percent):
        """Stop before a stage when the override that holds the identities is gone or going."""
        name = "%s/%s" % (w["namespace"], identity.override_name(w))
        current = group.get("current")
        expected = w["key"] in self.written or (current is not None and 0 < current < 100)
        if stored is None and expected:
            raise CceMigrationError(
                "OverridePolicy %s, which pins the ordinals of StatefulSet %s/%s on both members, is gone (deleted "
                "by something else than the shift, a GitOps prune for one): the shift stops before its next stage. "
                "Check which ordinals run on each member, scale the member that runs an ordinal twice down by hand, "
                "and keep OverridePolicies labelled %s out of pruning (docs/cutover.md)"
                % (name, w["namespace"], w["name"], identity.LABEL), statefulset="%s/%s" % (w["namespace"], w["name"]))
        if identity.terminating(stored) and percent not in ENDS:
            raise CceMigrationError(
                "OverridePolicy %s is being deleted; its finalizer %s keeps it pinning the ordinals of StatefulSet "
                "%s/%s, and the shift only runs such a StatefulSet to 0 or 100 %% now, where the override is let go. "
                "Stop what deletes it and run the shift (or the rollback) to 0 or 100 %%"
                % (name, identity.FINALIZER, w["namespace"], w["name"]),
                statefulset="%s/%s" % (w["namespace"], w["name"]))
        if stored is not None:
            self.written.add(w["key"])

    # -- history ---------------------------------------------------------------
    def load(self, group):
        """Read the history kept on ``group``'s policy (once per StatefulSet and run)."""
        raw = state_mod.annotations(group["policy"]).get(ANNOTATION)
        try:
            kept = json.loads(raw) if raw else {}
        except ValueError:
            kept = {}
        for key, spans in (kept if isinstance(kept, dict) else {}).items():
            if key not in self.spans and isinstance(spans, dict):
                self.spans[key] = dict((int(o), list(v)) for o, v in spans.items() if str(o).isdigit())

    def annotate(self, group, ann):
        """``ann`` (a policy annotation patch) with ``group``'s history added when there is one."""
        keys = sorted(w["key"] for w in group["workloads"] if identity.is_statefulset(w) and self.spans.get(w["key"]))
        if not keys:
            return ann
        value = json.dumps(dict((k, dict((str(o), v) for o, v in sorted(self.spans[k].items()))) for k in keys),
                           sort_keys=True, separators=(",", ":"))
        out = dict(ann, metadata=dict(ann["metadata"], annotations=dict(ann["metadata"]["annotations"])))
        out["metadata"]["annotations"][ANNOTATION] = value
        return out

    # -- planning ------------------------------------------------------------
    def plan(self, groups, percent, snap, move):
        """``group["identity"][key] = {"hops": [(release, take), ...], "before": .., "after": ..}``."""
        shifter = self.shifter
        src, tgt = shifter.names["source"], shifter.names["target"]
        sets = [w for g in groups for w in g["workloads"] if identity.is_statefulset(w)]
        stored = self.stored(sets) if sets else {}
        for group in groups:
            group["identity"] = {}
            self.load(group)
            for w in group["workloads"]:
                if not identity.is_statefulset(w):
                    continue
                if snap is not None:
                    now = identity.observed(snap["source"].get(w["key"]), snap["target"].get(w["key"]), w)
                else:
                    now = identity.settled(w, group["current"], src, tgt, move)
                if identity.overlap(now):
                    raise CceMigrationError(
                        "StatefulSet %s/%s runs the same ordinals on both members (source 0..%d, target from "
                        "%d): scale one of them down by hand before the shift"
                        % (w["namespace"], w["name"], now[0] - 1, now[2]))
                self.check_intact(group, w, stored.get(w["key"]), percent)
                after = identity.settled(w, percent, src, tgt, move)
                # nothing moves, nothing is pinned, and Karmada's own division at this end holds it: no override
                plain = stored.get(w["key"]) is None and identity.same(now, after) and percent in ENDS \
                    and group.get("current") in (None,) + ENDS
                hops = [] if plain else identity.hops(now, after, int(w["replicas"]), w.get("ordinal_budget"))
                group["identity"][w["key"]] = dict(hops=hops, before=now, after=after)

    @staticmethod
    def holding(group, w):
        """The state a StatefulSet is pinned at while the weights stages run (its first release)."""
        entry = group["identity"][w["key"]]
        return entry["hops"][0][0] if entry["hops"] else entry["after"]

    @staticmethod
    def hop_count(groups):
        return max([len(e["hops"]) for g in groups for e in (g.get("identity") or {}).values()] or [0])

    # -- one stage of one hop --------------------------------------------------
    def run(self, groups, stage, hop, percent):
        """Pin every StatefulSet that has hop ``hop`` at its ``stage`` state, then wait until both
        members run exactly that."""
        shifter = self.shifter
        jobs = []
        for g in groups:
            for w in g["workloads"]:
                entry = (g.get("identity") or {}).get(w["key"])
                if entry and len(entry["hops"]) > hop:
                    jobs.append((g, w, entry["hops"][hop][0 if stage == RELEASE else 1]))
        if not jobs:
            return
        src, tgt = shifter.names["source"], shifter.names["target"]

        def apply(job):
            group, w, state = job
            wanted = identity.override_policy(w, state, src, tgt)
            path = path_for("OverridePolicy", w["namespace"], wanted["metadata"]["name"])
            stored = shifter.karmada.get(path, missing_ok=True)
            self.check_intact(group, w, stored, percent)
            self.written.add(w["key"])
            finalizers = list((stored or {}).get("metadata", {}).get("finalizers") or [])
            add_finalizer = stored is not None and identity.FINALIZER not in finalizers \
                and not identity.terminating(stored)
            if identity.matches(stored, wanted) and not add_finalizer:
                return False
            if stored is None:
                shifter.karmada.create(path_for("OverridePolicy", w["namespace"]), wanted, dry_run=shifter.check_mode)
            else:
                patch = {"metadata": {"labels": wanted["metadata"]["labels"]}, "spec": wanted["spec"]}
                if add_finalizer:
                    patch["metadata"]["finalizers"] = finalizers + [identity.FINALIZER]
                    patch["metadata"]["resourceVersion"] = stored["metadata"].get("resourceVersion")
                shifter.karmada.merge_patch(path, patch, dry_run=shifter.check_mode)
            shifter.changed = True
            group["changed"] = True
            return True
        shifter._map(apply, jobs)
        if shifter.check_mode:
            return
        workloads = [w for dummy, w, dummy2 in jobs]
        # A member out of the schedule is not written by Karmada (no Work; Karmada's division can
        # give a member 0 where the pin does not, e.g. `whole` with few replicas at 90 %): set its
        # object to the stage's state ourselves. Release only lowers; take runs after the release
        # has settled, so raising is as safe there as Karmada raising it.
        snap = shifter.snapshot(workloads)
        for group, w, (s, t, k) in jobs:
            for side, value in (("source", s), ("target", t)):
                obj = snap[side].get(w["key"])
                if obj is None or release.managed(obj) or planner.spec_replicas(obj) == value:
                    continue
                if stage == RELEASE and planner.spec_replicas(obj) < value:
                    continue
                patch = {"spec": {"replicas": value}}
                if side == "target" and value > 0:
                    patch["spec"]["ordinals"] = {"start": int(w.get("base_ordinal") or 0) + k}
                shifter.members[side].merge_patch(path_for(w["kind"], w["namespace"], w["name"]), patch)
                shifter.changed = True
                group["changed"] = True
        states = dict((w["key"], st) for dummy, w, st in jobs)
        shifter.wait(workloads, dict((w["key"], expectation(states[w["key"]], w)) for w in workloads),
                     "StatefulSet identity %s stage" % stage, probe=lambda snap_: self.guard(workloads, states))
        for w in workloads:
            self.record(w, states[w["key"]])

    def guard(self, workloads, states):
        """During an identity wait: a target pod with an ordinal the source still runs means the
        target's API server did not keep ``spec.ordinals`` (the StatefulSetStartOrdinal gate off):
        stop at once, before its volumes are written."""
        shifter = self.shifter
        by_ns = {}
        for w in workloads:
            if states[w["key"]][0] > 0:
                by_ns.setdefault(w["namespace"], []).append(w)
        for ns, items in sorted(by_ns.items()):
            pods = shifter.members["target"].list(path_for("Pod", ns))
            for w in items:
                base = int(w.get("base_ordinal") or 0)
                s = states[w["key"]][0]
                twice = sorted(o for o in (_ordinal(p["metadata"]["name"], w["name"]) for p in pods
                                           if _owned_by(p, w["name"]))
                               if o is not None and base <= o < base + s)
                if twice:
                    raise CceMigrationError(
                        "StatefulSet %s/%s: the target runs ordinal(s) %s, which the source runs too; the target's "
                        "API server did not keep spec.ordinals (the StatefulSetStartOrdinal feature gate is off, "
                        "Kubernetes 1.27-1.30). The shift stops: scale the target's StatefulSet to 0 by hand"
                        % (w["namespace"], w["name"], twice), statefulset="%s/%s" % (w["namespace"], w["name"]))

    def record(self, w, state):
        """Note which ordinals the target runs from now on (relative to ``base``)."""
        s, t, k = state
        now = _now()
        spans = self.spans.setdefault(w["key"], {})
        running = set(range(k, k + t))
        for ordinal in running:
            if ordinal not in spans or spans[ordinal][1] is not None:
                spans[ordinal] = [now, None]
        for ordinal, span in spans.items():
            if ordinal not in running and span[1] is None:
                span[1] = now

    def took(self, groups):
        """Keys of ``groups``' StatefulSets that run an ordinal on the target, or did before this step."""
        out = set()
        for g in groups:
            for key, entry in (g.get("identity") or {}).items():
                if entry["before"][1] > 0:
                    out.add(key)
            # ordinals still on the target (an open span), this run's or an earlier one's
            out.update(w["key"] for w in g["workloads"]
                       if any(span[1] is None for span in (self.spans.get(w["key"]) or {}).values()))
        return sorted(out)

    def on_target(self, groups=None):
        """``{statefulset: [{"ordinal": i, "since": .., "until": .. or None}]}`` for the result (the
        StatefulSets of ``groups``, or all)."""
        out = {}
        keys = None if groups is None else set(w["key"] for g in groups for w in g["workloads"])
        for key, spans in sorted(self.spans.items()):
            if not spans or (keys is not None and key not in keys):
                continue
            dummy, ns, name = key.split("/", 2)
            out["%s/%s" % (ns, name)] = [dict(ordinal=o, since=v[0], until=v[1]) for o, v in sorted(spans.items())]
        return out

    # -- letting go at 0 and 100 % ---------------------------------------------
    def let_go(self, groups, percent):
        """At ``percent`` 0 or 100, reached: remove the finalizer and delete the identity overrides of
        ``groups``' StatefulSets, then check the members still run the same (Karmada's plain division
        gives them the same replicas and start). Returns the overrides let go (``ns/name``)."""
        if percent not in ENDS:
            return []
        shifter = self.shifter
        src, tgt = shifter.names["source"], shifter.names["target"]
        sets = [w for g in groups for w in g["workloads"] if identity.is_statefulset(w)]
        stored = self.stored(sets) if sets else {}
        gone = []
        others = {}
        for w in sets:
            policy = stored.get(w["key"])
            if policy is None:
                continue
            if w["namespace"] not in others:
                others[w["namespace"]] = shifter.karmada.list(path_for("OverridePolicy", w["namespace"]))
            if identity.other_pins(w, others[w["namespace"]]):
                continue    # another override would set replicas or ordinals once ours went: it stays
            path = path_for("OverridePolicy", w["namespace"], policy["metadata"]["name"])
            finalizers = policy["metadata"].get("finalizers") or []
            if identity.FINALIZER in finalizers:
                # with its resourceVersion: a finalizer another controller added meanwhile is not dropped
                shifter.karmada.merge_patch(path, {"metadata": {
                    "resourceVersion": policy["metadata"].get("resourceVersion"),
                    "finalizers": [f for f in finalizers if f != identity.FINALIZER] or None}},
                    dry_run=shifter.check_mode)
            if not identity.terminating(policy):
                shifter.karmada.delete(path, missing_ok=True, dry_run=shifter.check_mode)
            self.written.discard(w["key"])
            shifter.changed = True
            gone.append("%s/%s" % (w["namespace"], policy["metadata"]["name"]))
        if gone and not shifter.check_mode:
            moved = [w for w in sets if stored.get(w["key"]) is not None]
            shifter.wait(moved, dict((w["key"], expectation(
                identity.settled(w, percent, src, tgt, shifter.statefulset_move), w)) for w in moved),
                "identity overrides let go at %s %%" % percent)
        return gone


def _owned_by(pod, set_name):
    return any(ref.get("kind") == "StatefulSet" and ref.get("name") == set_name
               for ref in (pod.get("metadata") or {}).get("ownerReferences") or [])
