# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Applies the planned replica shift: Karmada policies, member waits, gates.

One step runs in stages shared by all policies: the ``surge`` stage for the
policies whose plan needs it, the ``step`` stage, then ``scale_detached`` where a
member left the schedule. In each stage the policy patches go out with bounded
concurrency, then one wait loop polls the members with one LIST per namespace
and kind, until every workload has its expected replicas ready (see
:mod:`.planner` for why this order keeps the capacity invariant).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ..common.errors import CceMigrationError, ValidationError, WaitTimeoutError
from ..common.waiter import wait_until
from . import gates as gates_mod
from . import identity
from . import hpa
from . import pins as pins_mod
from . import planner
from . import release
from . import state
from ..k8s import selectors
from ..k8s.rest import path_for as object_path

WORKLOAD_KINDS = ("Deployment", "StatefulSet")
# replica_shift's phase option: the whole step, or the part before and the part after the traffic moves
ALL, GROW, SETTLE = "all", "grow", "settle"
HELD = "held"
CONSENT = "rollback consent"


def serves(side, percent):
    """Whether ``side`` still receives traffic when ``percent`` of it is on the target."""
    return percent < 100 if side == "source" else percent > 0


def resume_point(group, steps, stop_after):
    """The step a group counts as coming from. A step interrupted (a crash) or held (``phase=grow``)
    leaves its ``shift-to`` annotation; when no step of this run is left after the last one
    reached (a rollback to it), the members are still at that interrupted step, which must be
    undone: the group counts as coming from there. A step held at the very step reached (the grow
    of a rollback to 0 when 0 was reached before) is not settled either: no step counts as reached,
    and the run plans from the replicas that run."""
    pending = state.in_progress(group["policy"])
    if pending is None or planner.remaining_steps(steps, group["current"], stop_after):
        return group["current"]
    return None if pending == group["current"] else pending


def workload_record(template, policy_key):
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    replicas = spec.get("replicas")
    replicas = 1 if replicas is None else int(replicas)
    kind = template.get("kind") or "Deployment"
    pod = (spec.get("template") or {}).get("spec") or {}
    return dict(key="%s/%s/%s" % (kind, meta.get("namespace"), meta.get("name")), kind=kind,
                namespace=meta.get("namespace"), name=meta.get("name"), uid=meta.get("uid") or "",
                replicas=replicas, max_unavailable=planner.workload_max_unavailable(template),
                policy=policy_key, base_ordinal=int((spec.get("ordinals") or {}).get("start") or 0),
                when_scaled=(spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenScaled"),
                claim_templates=len(spec.get("volumeClaimTemplates") or []),
                claim_volumes=len([v for v in pod.get("volumes") or [] if v.get("persistentVolumeClaim")]),
                pod_labels=dict((spec.get("template") or {}).get("metadata", {}).get("labels") or {}),
                max_unavailable_set=((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get(
                    "maxUnavailable") is not None)


def find_policies(karmada, policies, namespaces, policy_selector, missing_ok=False):
    """PropagationPolicies named in ``policies`` (``ns/name``) or matching the selector.

    One LIST per namespace, whatever the number of policies.
    """
    wanted = {}
    for ref in policies or []:
        if "/" not in ref:
            raise ValidationError("policies: %r must be written namespace/name" % ref)
        ns, name = ref.split("/", 1)
        wanted.setdefault(ns, set()).add(name)
    found = {}
    for ns in sorted(wanted):
        items = dict((i["metadata"]["name"], i) for i in karmada.list(object_path("PropagationPolicy", ns)))
        for name in sorted(wanted[ns]):
            if name in items:
                found["%s/%s" % (ns, name)] = items[name]
            elif not missing_ok:
                raise ValidationError("policies: PropagationPolicy %s/%s not found in the Karmada control plane"
                                      % (ns, name))
    if policy_selector is not None:
        if not namespaces:
            raise ValidationError("namespaces: give the namespaces to search with policy_selector")
        for ns in namespaces:
            for item in karmada.list(object_path("PropagationPolicy", ns), policy_selector or None):
                found["%s/%s" % (ns, item["metadata"]["name"])] = item
    return [dict(key=k, policy=found[k]) for k in sorted(found)]


def load_all_workloads(karmada, groups):
    """Fill ``group["workloads"]`` from the templates in Karmada, one LIST per namespace and kind."""
    cache = {}

    def templates(kind, ns):
        if (kind, ns) not in cache:
            cache[(kind, ns)] = karmada.list(object_path(kind, ns))
        return cache[(kind, ns)]

    for group in groups:
        group["workloads"] = load_workloads(karmada, group, templates)


def load_workloads(karmada, group, templates=None):
    if templates is None:
        def templates(kind, ns):
            return karmada.list(object_path(kind, ns))
    policy = group["policy"]
    ns = policy["metadata"]["namespace"]
    out = {}
    for sel in (policy.get("spec") or {}).get("resourceSelectors") or []:
        kind = sel.get("kind")
        if kind not in WORKLOAD_KINDS:
            continue
        sel_ns = sel.get("namespace") or ns
        for tpl in templates(kind, sel_ns):
            meta = tpl.get("metadata") or {}
            if sel.get("name"):
                if meta.get("name") != sel["name"]:
                    continue
            elif not selectors.matches(meta.get("labels"), sel.get("labelSelector")):
                continue
            tpl = dict(tpl, kind=tpl.get("kind") or kind)
            rec = workload_record(tpl, group["key"])
            out[rec["key"]] = rec
    return [out[k] for k in sorted(out)]


def desired_policy_spec(percent, source, target, strategy=planner.WEIGHTED):
    """The policy's placement at ``percent``. Copy strategy: Duplicated over the clusters of the
    step (the weighted fields set to null in the merge patch, so none is left behind)."""
    if strategy == planner.DUPLICATED:
        clusters = planner.duplicated_clusters(percent, source, target)
        scheduling = {"replicaSchedulingType": "Duplicated", "replicaDivisionPreference": None,
                      "weightPreference": None}
    else:
        clusters = [source, target]
        scheduling = planner.replica_scheduling(percent, source, target)
    return {
        "placement": {
            "clusterAffinity": {"clusterNames": clusters},
            "replicaScheduling": scheduling,
        },
        "preserveResourcesOnDeletion": True,
        "conflictResolution": "Overwrite",
    }


def _without_nulls(value):
    if isinstance(value, dict):
        return dict((k, _without_nulls(v)) for k, v in value.items() if v is not None)
    return value


def policy_matches(policy, percent, source, target, strategy=planner.WEIGHTED):
    spec = policy.get("spec") or {}
    want = desired_policy_spec(percent, source, target, strategy)
    placement = spec.get("placement") or {}
    return (((placement.get("clusterAffinity") or {}).get("clusterNames") or [])
            == want["placement"]["clusterAffinity"]["clusterNames"]
            and _without_nulls(placement.get("replicaScheduling"))
            == _without_nulls(want["placement"]["replicaScheduling"])
            and spec.get("preserveResourcesOnDeletion") is True
            and spec.get("conflictResolution") == "Overwrite")


def _ready(obj):
    status = (obj or {}).get("status") or {}
    return int(status.get("readyReplicas") or 0)


_spec_replicas = planner.spec_replicas


def _settled(obj, expected):
    if obj is None:
        return expected == 0
    status = obj.get("status") or {}
    meta = obj.get("metadata") or {}
    if status.get("observedGeneration") is not None and meta.get("generation") is not None \
            and int(status["observedGeneration"]) < int(meta["generation"]):
        return False
    total = status.get("replicas")
    return (_spec_replicas(obj) == expected and _ready(obj) == expected
            and (total is None or int(total) == expected))


class Shifter(object):
    def __init__(self, karmada, members, names, concurrency=10, wait_timeout=600, wait_sleep=2,
                 check_mode=False, gates=None, log=None, strategy=planner.WEIGHTED,
                 statefulset_move=identity.ORDINALS):
        self.karmada = karmada
        self.members = members  # {"source": Rest, "target": Rest}
        self.names = names      # {"source": member name, "target": member name}
        self.concurrency = max(1, int(concurrency))
        self.wait_timeout = wait_timeout
        self.wait_sleep = wait_sleep
        self.check_mode = check_mode
        self.gates = gates or gates_mod.normalise(None)
        self.log = log or (lambda msg: None)
        self.changed = False
        self.strategy = strategy
        self.statefulset_move = statefulset_move
        self.pins = pins_mod.Pins(self)   # StatefulSet identity overrides (pins.py)

    # -- members -------------------------------------------------------
    def snapshot(self, workloads):
        """Member objects per side and workload key, with one LIST per namespace and kind."""
        wanted = {}
        for w in workloads:
            wanted.setdefault((w["kind"], w["namespace"]), set()).add(w["name"])
        snap = {"source": {}, "target": {}}
        jobs = [(side, kind, ns) for side in ("source", "target") for (kind, ns) in sorted(wanted)]

        def fetch(job):
            side, kind, ns = job
            return job, self.members[side].list(object_path(kind, ns))

        for (side, kind, ns), items in self._map(fetch, jobs):
            for obj in items:
                name = obj["metadata"]["name"]
                if name in wanted[(kind, ns)]:
                    snap[side]["%s/%s/%s" % (kind, ns, name)] = obj
        return snap

    def _map(self, func, items):
        items = list(items)
        if len(items) <= 1:
            return [func(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(func, items))

    # -- Karmada -------------------------------------------------------
    def patch_policy(self, group, percent, ann):
        policy = group["policy"]
        src, tgt = self.names["source"], self.names["target"]
        current = state.annotations(policy)
        ann_changed = any(current.get(k) != v for k, v in ann["metadata"]["annotations"].items())
        if policy_matches(policy, percent, src, tgt, self.strategy) and not ann_changed:
            return False
        patch = {"spec": desired_policy_spec(percent, src, tgt, self.strategy)}
        patch.update(ann)
        if policy.get("spec", {}).get("placement", {}).get("clusterAffinities"):
            raise ValidationError("policy %s uses placement.clusterAffinities; the shift manages "
                                  "placement.clusterAffinity between two members only" % group["key"])
        # check mode: the same patch with dryRun=All (admission and webhooks run, nothing stored)
        meta = policy["metadata"]
        answer = self.karmada.merge_patch(object_path("PropagationPolicy", meta["namespace"], meta["name"]), patch,
                                          dry_run=self.check_mode)
        if not self.check_mode:
            group["policy"] = answer
        self.changed = True
        group["changed"] = True
        return True

    def set_progress(self, group, ann):
        policy = group["policy"]
        current = state.annotations(policy)
        if all(current.get(k) == v for k, v in ann["metadata"]["annotations"].items()):
            return False
        meta = policy["metadata"]
        answer = self.karmada.merge_patch(object_path("PropagationPolicy", meta["namespace"], meta["name"]), ann,
                                          dry_run=self.check_mode)
        if not self.check_mode:
            group["policy"] = answer
        self.changed = True
        group["changed"] = True
        return True

    def record_step(self, groups, percent):
        """Record ``percent`` as the step reached on every policy (bounded concurrency)."""
        ann = state.annotation_patch(step=percent, clear_progress=True)
        self._map(lambda g: self.set_progress(g, self.pins.annotate(g, ann)), groups)

    def record_history(self, groups):
        """Keep the StatefulSets' history on the target (pins.py) on the policies, nothing else."""
        if not self.check_mode:
            self._map(lambda g: self.set_progress(g, self.pins.annotate(g, {"metadata": {"annotations": {}}})),
                      groups)

    def record_held(self, groups, percent):
        """Record ``percent`` as grown and held (``phase=grow``), not reached."""
        ann = state.annotation_patch(to=percent, phase="%s:%s" % (HELD, percent))
        self._map(lambda g: self.set_progress(g, self.pins.annotate(g, ann)), groups)

    # -- one stage -------------------------------------------------------
    def run_stage(self, entries, stage):
        """``entries``: list of (group, phase). Patch all, then wait for all."""
        if not entries:
            return
        workloads = [w for g, dummy in entries for w in g["workloads"]]
        if stage == "scale_detached":
            self._scale_detached(entries, workloads)
        else:
            def apply(entry):
                group, phase = entry
                # grow: the policy carries its final mark at once, so a re-run of a held step writes nothing
                label = "%s:%s" % (HELD, group["to"]) if group.get("part") == GROW else \
                    "%s:%s" % (phase["purpose"], phase["percent"])
                ann = state.annotation_patch(to=group["to"], phase=label)
                return self.patch_policy(group, phase["percent"], ann)
            bounds = hpa.Stage(self, entries)   # HPA-scaled workloads: the bounds follow the step (hpa.py)
            bounds.before()
            self._map(apply, entries)
            bounds.after()
        if self.check_mode:
            return
        expectations = {}
        for group, phase in entries:
            for w in group["workloads"]:
                if identity.is_statefulset(w):
                    # pinned by its identity override at the release state until the take stage
                    expectations[w["key"]] = pins_mod.expectation(pins_mod.Pins.holding(group, w), w)
                else:
                    expectations[w["key"]] = phase["expect"][w["key"]]
        self.wait(workloads, expectations, "%s stage" % stage)

    def wait(self, workloads, expectations, what, probe=None):
        """Until every workload runs its expectation; ``probe()``, called at each poll, may raise to
        stop at once."""
        def check():
            snap = self.snapshot(workloads)
            if probe is not None:
                probe(snap)
            pending = []
            for w in workloads:
                exp = expectations[w["key"]]
                for side in ("source", "target"):
                    if exp["%s_detached" % side] and exp[side] != 0:
                        continue  # kept by preserveResourcesOnDeletion, untouched
                    obj = snap[side].get(w["key"])
                    by_hpa = hpa.settled(w, side, obj, exp)
                    if by_hpa is not None:
                        if not by_hpa[0]:
                            pending.append(by_hpa[1])
                        continue
                    if not _settled(obj, exp[side]):
                        pending.append("%s on %s: want %d ready, spec %d, ready %d"
                                       % (w["key"], side, exp[side], _spec_replicas(obj), _ready(obj)))
                    elif exp.get("start") is not None and side == "target" and exp[side] > 0 \
                            and identity.start_of(obj) != exp["start"]:
                        pending.append("%s on target: spec.ordinals.start is %s, want %d (the target's API server "
                                       "must keep spec.ordinals: Kubernetes 1.27 or later)"
                                       % (w["key"], identity.start_of(obj), exp["start"]))
            return not pending, "; ".join(pending[:5]) + (" (+%d more)" % (len(pending) - 5)
                                                          if len(pending) > 5 else "")
        # Poll at least twice a second: a poll is two LISTs per namespace and kind, and a step
        # finishes when the last pod is ready, so a coarse poll only adds idle time.
        wait_until(check, self.wait_timeout, "replicas of %d workload(s) after the %s" % (len(workloads), what),
                   sleep=min(self.wait_sleep, 0.5))

    def _scale_detached(self, entries, workloads):
        jobs = []
        for group, phase in entries:
            side = phase["member"]
            for w in group["workloads"]:
                if identity.is_statefulset(w):
                    continue  # released to its share (0 here) by its identity override already
                if phase["expect"][w["key"]]["%s_detached" % side]:
                    jobs.append((side, w))
                    w["_group"] = group
        if not jobs:
            return
        if not self.check_mode:
            # Karmada must have let go of the object (its Work deleted, preserved) before we scale it,
            # or the execution controller would set the replicas back.
            def released():
                snap = self.snapshot([w for dummy, w in jobs])
                held = ["%s on %s" % (w["key"], side) for side, w in jobs if release.managed(snap[side].get(w["key"]))]
                return not held, "still managed by Karmada: %s" % ", ".join(held[:5])
            wait_until(released, self.wait_timeout, "Karmada to release the member objects left out of the schedule",
                       sleep=self.wait_sleep)
        snap = self.snapshot([w for dummy, w in jobs]) if not self.check_mode else {"source": {}, "target": {}}

        def scale(job):
            side, w = job
            obj = snap[side].get(w["key"])
            if self.check_mode:
                self.changed = True
                w["_group"]["changed"] = True
                return True
            if obj is None or _spec_replicas(obj) == 0:
                return False
            self.members[side].merge_patch(object_path(w["kind"], w["namespace"], w["name"]),
                                           {"spec": {"replicas": 0}})
            self.changed = True
            w["_group"]["changed"] = True
            return True
        self._map(scale, jobs)

    # -- one step for many policies --------------------------------------
    def apply_step(self, groups, percent, part=ALL):
        """Move every group to ``percent``; returns per-group phase lists (the plan).

        ``part``: ``all`` the whole step; ``grow`` only until the growing member runs its replicas
        ready, no pod removed (see ``planner.plan_transition``'s ``hold``); ``settle`` the whole step
        from where ``grow`` left it, except that a member out of Karmada's schedule keeps its pods
        while it still receives traffic (its weight at ``percent`` is not 0)."""
        src, tgt = self.names["source"], self.names["target"]
        stages = {"surge": [], "step": [], "scale_detached": []}
        observed = None
        snap = None
        if not self.check_mode:
            # Plan from what runs now (ready pods), not from the recorded step: after a crash, or when
            # a step was reached but its gates failed, the members are not at the recorded step.
            snap = self.snapshot([w for g in groups for w in g["workloads"]])
            observed = dict((w["key"], dict(source=_ready(snap["source"].get(w["key"])),
                                            target=_ready(snap["target"].get(w["key"]))))
                            for g in groups for w in g["workloads"])
        for group in groups:
            group["to"] = percent
            group["part"] = part
            before = None
            if observed is not None:
                before = dict((w["key"], observed[w["key"]]) for w in group["workloads"])
            group["ready_before"] = before   # what an HPA's bounds hold during the step (hpa.Stage)
            phases = planner.plan_transition(group["workloads"], group["current"], percent, src, tgt, before=before,
                                             hold=part == GROW)
            if part == SETTLE:
                phases = [p for p in phases if p["kind"] != "scale_detached" or not serves(p["member"], percent)]
            group["phases"] = phases
            for phase in phases:
                key = "scale_detached" if phase["kind"] == "scale_detached" else phase["purpose"]
                stages[key].append((group, phase))
        self.pins.plan(groups, percent, snap, self.statefulset_move)
        self.pins.run(groups, pins_mod.RELEASE, 0, percent)
        for stage in ("surge", "step", "scale_detached"):
            self.run_stage(stages[stage], stage)
        self.pins.run(groups, pins_mod.TAKE, 0, percent)
        for hop in range(1, self.pins.hop_count(groups)):
            # a replicated store moves its budget of ordinals at a time (pins.py)
            self.pins.run(groups, pins_mod.RELEASE, hop, percent)
            self.pins.run(groups, pins_mod.TAKE, hop, percent)
        hpa.relax(self)   # HPA minimums raised for the step go back to the step's own (hpa.py)

    def observe(self, groups, percent):
        """Rows for the step table: planned and ready replicas per member."""
        workloads = [w for g in groups for w in g["workloads"]]
        snap = self.snapshot(workloads) if not self.check_mode else {"source": {}, "target": {}}
        rows = []
        for g in groups:
            for w in g["workloads"]:
                s, t = planner.split(w, percent, self.names["source"], self.names["target"])
                src_obj, tgt_obj = snap["source"].get(w["key"]), snap["target"].get(w["key"])
                s, t = hpa.planned(w, percent, self.names, self.strategy, s, t, src_obj, tgt_obj)
                rows.append(dict(workload="%s/%s" % (w["namespace"], w["name"]), kind=w["kind"],
                                 namespace=w["namespace"], name=w["name"], policy=g["key"],
                                 replicas=w["replicas"], max_unavailable=w["max_unavailable"],
                                 source_replicas=s, target_replicas=t,
                                 source_ready=_ready(src_obj) if src_obj else 0,
                                 target_ready=_ready(tgt_obj) if tgt_obj else 0))
        return rows


def run_shift(shifter, groups, steps, on_failure="rollback", pause=0, log=None, sleeper=time.sleep,
              stop_after=None, phase=ALL):
    """Run ``steps`` over ``groups``; returns the result dict of the module.

    ``stop_after``: stop once the steps up to this percentage (its first occurrence in ``steps``)
    have been handled; policies already past it do not move.
    ``phase``: applies to the last step of the run (see ``Shifter.apply_step``). After ``grow`` the
    step is recorded as held (``shift-to`` and ``shift-phase: held:<step>``), not reached.
    """
    log = log or (lambda msg: None)
    records = []
    failure = None
    rolled_back_to = None
    held = {}
    todo = {}
    let_go = []
    for g in groups:
        todo[g["key"]] = planner.remaining_steps(steps, g["current"], stop_after)
    # Steps in order; a group joins a step only if that step is still ahead for it.
    ordered = []
    for step in steps:
        if step not in ordered or ordered[-1] != step:
            ordered.append(step)
    if stop_after is not None and stop_after in ordered:
        ordered = ordered[:ordered.index(stop_after) + 1]
    # undoing a held or interrupted step moves StatefulSet ordinals back like an automatic rollback:
    # the same consent, asked before anything moves
    for g in groups:
        shifter.pins.load(g)
    undoing = [g for g in groups if g.get("undoing") is not None and todo[g["key"]]
               and todo[g["key"]][0] < g["undoing"]]
    # what runs on the target now counts too: a crash after a take stage left no history
    sets = [w for g in undoing for w in g["workloads"] if identity.is_statefulset(w)]
    snap = shifter.snapshot(sets) if sets else {"target": {}}
    running = set(w["key"] for w in sets if planner.spec_replicas(snap["target"].get(w["key"])) > 0)
    refused = _rollback_refused(shifter, undoing, running)
    if refused:
        failure = dict(step=undoing[0]["undoing"], gate=CONSENT, workload=None, url=None, rollback_refused=refused,
                       seen="the step being undone ran StatefulSet ordinals on the target")
        return dict(steps=[], failure=failure, rolled_back_to=None, held={}, let_go=[],
                    on_target=shifter.pins.on_target(groups))
    index_for = dict((g["key"], 0) for g in groups)
    for step in ordered:
        active = []
        for g in groups:
            remaining = todo[g["key"]]
            pos = index_for[g["key"]]
            if pos < len(remaining) and remaining[pos] == step:
                active.append(g)
                index_for[g["key"]] = pos + 1
        if not active:
            continue
        started = time.time()
        for g in active:
            g["last_good"] = g["current"]
        step_phase = phase if step == ordered[-1] else ALL
        try:
            shifter.apply_step(active, step, step_phase)
            waited_ok = True
            wait_error = None
        except WaitTimeoutError as exc:
            waited_ok = False
            wait_error = exc
        rows = shifter.observe(active, step)
        if shifter.check_mode:
            gate_ok, gate_results, first = True, [dict(gate="all", passed=True, seen="not run in check mode")], None
        elif not waited_ok:
            gate_ok, gate_results = False, []
            first = dict(gate="ready", passed=False, workload=None, seen=wait_error.msg)
            gate_results.append(first)
        else:
            gate_ok, gate_results, first = gates_mod.evaluate(
                shifter.gates, rows, step, shifter.names["source"], shifter.names["target"])
        by_workload = {}
        for res in gate_results:
            if res.get("workload"):
                by_workload[res["workload"]] = "pass" if res["passed"] else "FAIL: %s" % res["seen"]
        summary = "pass" if gate_ok else "FAIL %s: %s" % (first["gate"], first["seen"])
        for row in rows:
            row["gate"] = by_workload.get(row["workload"], summary)
        record = dict(percent=step, seconds=round(time.time() - started, 3),
                      finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      workloads=rows, gates=gate_results, passed=gate_ok,
                      plan=dict((g["key"], _plan_summary(g)) for g in active),
                      on_target=shifter.pins.on_target(active))
        records.append(record)
        if not gate_ok:
            failure = dict(step=step, gate=first.get("gate"), workload=first.get("workload"),
                           url=first.get("url"), seen=first.get("seen"))
            for g in active:
                g["current"] = step  # where the members are now; the annotation keeps the last good step
            shifter.record_history(active)   # which ordinals ran on the target, kept whatever comes next
            refused = _rollback_refused(shifter, active) if on_failure == "rollback" else []
            if refused:
                failure["rollback_refused"] = refused
            if on_failure == "rollback" and not refused:
                back = {}
                for g in active:
                    back.setdefault(g["last_good"] if g["last_good"] is not None else 0, []).append(g)
                rb_started = time.time()
                for percent, gs in sorted(back.items()):
                    shifter.apply_step(gs, percent)
                    for g in gs:
                        g["current"] = percent
                    shifter.record_step(gs, percent)
                    let_go.extend(shifter.pins.let_go(gs, percent))
                rolled_back_to = dict((g["key"], g["current"]) for g in active)
                records.append(dict(percent=sorted(back)[0] if len(back) == 1 else "last good",
                                    seconds=round(time.time() - rb_started, 3), rollback=True,
                                    finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                    workloads=[r for p, gs in sorted(back.items()) for r in shifter.observe(gs, p)],
                                    gates=[], passed=True))
            break
        if step_phase == GROW:
            shifter.record_held(active, step)
            held = dict((g["key"], step) for g in active)
            break
        for g in active:
            g["current"] = step
        shifter.record_step(active, step)
        let_go.extend(shifter.pins.let_go(active, step))
        if pause and step != ordered[-1]:
            sleeper(pause)
    if failure is None:
        # a run that reached 0 or 100 % earlier and stopped before letting go (a crash) does it now
        for end in pins_mod.ENDS:
            done = [g for g in groups if g["current"] == end and g["key"] not in held]
            if done:
                let_go.extend(x for x in shifter.pins.let_go(done, end) if x not in let_go)
    return dict(steps=records, failure=failure, rolled_back_to=rolled_back_to, held=held, let_go=let_go,
                on_target=shifter.pins.on_target())


def _rollback_refused(shifter, active, running=()):
    """StatefulSets whose data is not ``external`` that run ordinals on the target (``running``: keys
    seen running there) and have no consent to be rolled back: going back starts those ordinals on
    the source's volumes as they were, without what was written on the target meanwhile."""
    took = set(shifter.pins.took(active)) | set(running)
    return sorted("%s/%s" % (w["namespace"], w["name"]) for g in active for w in g["workloads"]
                  if w["key"] in took and w.get("data") not in (None, "external") and not w.get("rollback_consent"))


def _plan_summary(group):
    def pinned(hop, stage):
        states = dict((k, v["hops"][hop][0 if stage == pins_mod.RELEASE else 1])
                      for k, v in (group.get("identity") or {}).items() if len(v["hops"]) > hop)
        if not states:
            return []
        suffix = " (hop %d)" % (hop + 1) if hop else ""
        return [dict(kind="identity", purpose="StatefulSet ordinals: %s%s" % (stage, suffix), percent=group.get("to"),
                     replicas=dict((k, dict(source=v[0], target=v[1], target_start_offset=v[2]))
                                   for k, v in states.items()))]

    hops = max([len(v["hops"]) for v in (group.get("identity") or {}).values()] or [0])
    out = pinned(0, pins_mod.RELEASE)
    for phase in group.get("phases") or []:
        out.append(dict(kind=phase["kind"], purpose=phase["purpose"], percent=phase["percent"],
                        replicas=dict((k, dict(source=e["source"], target=e["target"]))
                                      for k, e in phase["expect"].items())))
    out += pinned(0, pins_mod.TAKE)
    for hop in range(1, hops):
        out += pinned(hop, pins_mod.RELEASE) + pinned(hop, pins_mod.TAKE)
    return out


__all__ = ["Shifter", "run_shift", "find_policies", "load_workloads", "CceMigrationError"]
