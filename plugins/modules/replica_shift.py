#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: replica_shift
short_description: Shift replicas between two Karmada members step by step, with health gates
version_added: 0.1.0
description:
  - Moves the replicas of promoted workloads from the O(source_member) to the O(target_member) of a
    Karmada federation by changing their PropagationPolicies to C(replicaScheduling) Divided with static
    weights C(source=100-p), C(target=p) for each step C(p) (percent of replicas on the target).
  - Replicas per member are planned exactly as Karmada divides them (Webster method with the tie-breaker
    seeded by the resource template's UID), shown in check mode and with C(--diff) per workload and step.
  - Capacity invariant. While a step is applied, the ready replicas of each workload summed over both
    members never fall below its C(replicas - maxUnavailable). Karmada rewrites both members at once, so
    when a direct weight change would remove more ready pods than C(maxUnavailable) allows, the module
    first gives all replicas to the growing member (the other member leaves the schedule and keeps its pods
    thanks to C(preserveResourcesOnDeletion)), waits until they are ready, then applies the step's weights,
    which only scale down. See C(docs/cutover.md).
  - After each step the health gates run (ready ratio on the target, HTTP checks, a user command). A failing
    gate stops the shift; with O(on_failure=rollback) the workloads go back to their last good step.
  - At 100 % the source member leaves the schedule; Karmada keeps the source object (C(preserveResourcesOnDeletion))
    and the module scales it to 0 in the source cluster. It is never deleted and is taken back under Karmada,
    without changing its pod template, by a rollback. At 0 % the target objects are scaled to 0 the same way.
  - Workloads scaled by a HorizontalPodAutoscaler (promoted with it by M(ctyun.cce_migration.karmada_promote),
    which labels the Deployment's template C(resourcetemplate.karmada.io/retain-replicas=true) so Karmada keeps each
    member's replicas) are moved through the HPA's bounds - at each step an OverridePolicy named
    C(<hpa>-hpa-bounds), labelled C(cce-migration.ctyun.cn/hpa-bounds=true), sets per member C(minReplicas) and
    C(maxReplicas) to the step's share (Karmada's division of each bound, min at least 1, max at least min), the
    growing member first. A member to which Karmada's division of the replicas gives 0 is out of the
    Deployment's schedule (no Deployment there) and gets no bounds; the other gets the HPA's own. During a step
    each member's minimum is raised to its share of the replicas ready when the step started, so the shrinking
    member's maximum is lowered only once the growing member holds its share; the step's own bounds come back
    at its end. Each member's HPA moves the replicas into its bounds; the wait is for replicas within
    the bounds and all ready on each member of the schedule. A member coming back with 0 replicas (where its HPA
    is disabled) is scaled to its share by the module. See C(docs/cutover.md).
  - The step reached is recorded on each PropagationPolicy (annotation C(cce-migration.ctyun.cn/shift-step)),
    so a re-run after a crash or Ctrl-C continues from there; a re-run at the final step changes nothing.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  source_member:
    description: Name of the source member cluster as Karmada knows it.
    type: str
    required: true
  target_member:
    description: Name of the target (CTyun CCE) member cluster as Karmada knows it.
    type: str
    required: true
  source_cluster:
    description:
      - Access to the source cluster's API server, to read ready replicas and to scale the source workloads
        to 0 at the final step. Same options as the Karmada access.
    type: dict
    required: true
  target_cluster:
    description: Access to the target cluster's API server (see O(source_cluster)).
    type: dict
    required: true
  policies:
    description:
      - PropagationPolicies to shift, as C(namespace/name) (the policies the promote stage created).
      - Their resource selectors of kind Deployment or StatefulSet name the workloads.
    type: list
    elements: str
    default: []
  namespaces:
    description: Namespaces searched with O(policy_selector).
    type: list
    elements: str
    default: []
  policy_selector:
    description: Label selector over PropagationPolicies in O(namespaces); an empty string selects all.
    type: str
  target_percent:
    description: Percent of replicas on the target after this run (one step). Mutually exclusive with O(steps).
    type: int
  steps:
    description:
      - Percentages of replicas on the target, applied in order, for example C([0, 25, 50, 100]).
      - Steps already reached (recorded on the policy) are skipped.
    type: list
    elements: int
  stop_after:
    description:
      - With O(steps), run the remaining steps only up to and including this percentage (its first occurrence in
        O(steps)); policies already past it do not move. The cutover role uses it to run, report and move traffic
        one step at a time while a re-run still skips the steps already reached.
    type: int
  pause:
    description: Seconds to wait between two steps (after the gates passed).
    type: int
    default: 0
  gates:
    description:
      - Health gates checked after each step.
      - C(ready_ratio) (float, default C(1.0)) ready replicas on the target divided by the replicas planned there,
        per workload.
      - C(http) list of checks, each a URL or a dict with C(url), C(status) (default 200), C(successes) (answers in
        a row, default 3), C(interval) (default 1), C(timeout) (seconds, default 60), C(validate_certs), C(method).
      - C(command) a command (string or list, no shell) or a dict with C(cmd) and C(timeout); it must exit 0.
        It gets C(SHIFT_PERCENT), C(SHIFT_SOURCE), C(SHIFT_TARGET) in its environment.
    type: dict
    default: {}
  on_failure:
    description:
      - What to do when a gate fails or the replicas do not become ready in time.
      - C(rollback) returns the workloads to their last good step; C(stop) leaves them where they are.
      - The module fails in both cases and says which gate failed, on which workload, with what it saw.
    type: str
    choices: [rollback, stop]
    default: rollback
  concurrency:
    description: How many policies are patched at once, and how many member requests run in parallel.
    type: int
    default: 10
  strategy:
    description:
      - The guide's two ways to move a workload.
      - C(weighted) splits the replicas by static weights, C(100-p) on the source and C(p) on the target
        at step C(p) (C(replicaScheduling) Divided/Weighted).
      - C(duplicated) copies the workload (C(replicaScheduling) Duplicated) - at 0 only the source runs it,
        at any step between 0 and 100 both members run it in full (move the traffic then), at 100 only the
        target (the source object is kept and scaled to 0, as with C(weighted)). Gates, resume, check mode,
        the report and rollback work the same way.
      - Use the same strategy for every run on the same policies.
    type: str
    choices: [weighted, duplicated]
    default: weighted
  statefulset_move:
    description:
      - How a StatefulSet moves, so that no pod identity (C(<name>-<ordinal>) and its volumes) ever runs on
        both members at once.
      - C(ordinals) follows the steps ordinal by ordinal - the source keeps the lower ordinals, the target
        takes the upper ones with the StatefulSet start ordinal (C(spec.ordinals.start), Kubernetes 1.27 or
        later on the target). At each step the member that shrinks gives its ordinals up first and the other
        takes them once those pods are gone, so the moved ordinals are down for a moment. The target's
        volumes for those ordinals must hold their data by then (a replicated database resyncs them).
      - C(whole) keeps the StatefulSet entirely on the source until the step of 100, then stops it there and
        starts it on the target within that step. For a store that cannot resync an ordinal, stop its writes
        and copy its volumes before running the step of 100 (see docs/cutover.md).
      - Each StatefulSet's replicas per member (and the target's start ordinal) are pinned by an
        OverridePolicy named C(<name>-cce-migration-identity) in its namespace, which the module manages. It carries
        the finalizer C(cce-migration.ctyun.cn/identity), so a deletion by another tool (a GitOps prune) leaves it in
        force; before each stage the module checks it is there and not being deleted, and stops otherwise (a
        terminating one only lets the shift run to 0 or 100 %). Once a policy reaches 0 or 100 % the override is let
        go - Karmada's own division runs the same pods there - so template scaling applies again.
      - A ResourceInterpreterCustomization whose retention keeps a StatefulSet's replicas, ordinals or spec from the
        members would undo the pins; it is refused before any write.
      - A target whose API server drops C(spec.ordinals) (the C(StatefulSetStartOrdinal) feature gate off) is found
        before any write with a server-side dry run; while ordinals move, a target pod with an ordinal the source
        runs stops the shift at once.
      - Not with O(strategy=duplicated), which would run every ordinal on both members.
      - A StatefulSet with C(volumeClaimTemplates) and C(persistentVolumeClaimRetentionPolicy.whenScaled=Delete)
        (in the template or on either member) is refused before any write, in both modes, when a step left to
        run changes its members - scaling down would delete the volumes of the ordinals a member gives up. Set
        it to C(Retain) first.
      - So is a StatefulSet named by another OverridePolicy of its namespace that sorts after
        C(<name>-cce-migration-identity) and writes C(/spec/replicas) or C(/spec/ordinals); Karmada would apply
        it last and undo the pins.
    type: str
    choices: [ordinals, whole]
    default: ordinals
  phase:
    description:
      - Which part of the step this run applies, so that users' traffic can move between the two parts (the cutover
        role does it with C(cutover_traffic)).
      - C(all) the whole step.
      - C(grow) only until the member that grows runs its replicas ready, with no pod removed anywhere - the weights
        of the far end of the move (100 going up, 0 going back), where the other member leaves the schedule and
        keeps its pods (C(preserveResourcesOnDeletion)); with O(strategy=duplicated), the step itself. StatefulSets
        move their ordinals as usual. The gates run; the step is recorded as held (annotation
        C(cce-migration.ctyun.cn/shift-phase=held:<step>)), not reached.
      - C(settle) the rest of the step, which only removes pods; a member out of the schedule is scaled to 0 only
        at 0 % or 100 %, where it receives no traffic.
      - With C(grow) or C(settle) a run moves one step (O(target_percent), or O(steps) with O(stop_after)).
      - A rollback (O(target_percent) at the last step reached) undoes a held or interrupted step.
    type: str
    choices: [all, grow, settle]
    default: all
  statefulsets:
    description:
      - How the data of each StatefulSet reaches the target, so that no ordinal starts on an empty volume unnoticed.
        Required, before any write, for every StatefulSet with volumes (C(volumeClaimTemplates) or claims in its pod
        template) that a step left to run moves; the error names them. See docs/cutover.md, "StatefulSets and their
        data".
      - A step that would start such a StatefulSet's ordinals on the target without an entry fails before any write.
        Entries for StatefulSets the shift does not move are ignored, so one list serves every run of a cutover.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The StatefulSet, as C(namespace/name).
        type: str
        required: true
      data:
        description:
          - C(replicated) - the application copies the data to a new member itself (a database replica set, a
            Raft or Zab quorum, Kafka). It moves at most one ordinal per hop, or what its PodDisruptionBudget (read on
            the source) or C(updateStrategy.rollingUpdate.maxUnavailable) allows; a step that moves more runs in
            hops, each released and taken before the next. Its peers on both clusters must reach each other.
          - C(external) - the data lives outside the volumes (RDS, object storage) and the data stage moved it.
          - C(none) - nothing to keep (a cache).
        type: str
        required: true
        choices: [replicated, external, none]
      quorum:
        description:
          - With O(statefulsets[].data=replicated), a store that needs a majority of its members - a hop never
            leaves fewer than C(n // 2 + 1) running. A StatefulSet of fewer than 3 replicas cannot move so; it is
            refused before any write.
        type: bool
        default: false
      rollback_consent:
        description:
          - The automatic rollback (O(on_failure=rollback)) of a StatefulSet whose data is not C(external), after it
            ran ordinals on the target, starts them again on the source's volumes as they were, without what was
            written on the target meanwhile. Without this consent the shift stops instead (as with
            O(on_failure=stop)) and says so; the result's RV(on_target) lists which ordinals ran on the target and
            when.
        type: bool
        default: false
  release_from_karmada:
    description:
      - Only with a final step of 0. After all replicas are back on the source and ready, delete from the
        Karmada control plane every resource template the policies claim (Services, ConfigMaps, Secrets,
        ServiceAccounts, PVCs included), the dependency templates only their workloads require, then the
        policies. Deleting a policy alone would leave its bindings and Works, and Karmada would keep
        reverting edits on the members.
      - The HPA templates the policies claim go with them (the member HPAs stay), and so do the bounds
        OverridePolicies the module made for those policies.
      - Before deleting anything, C(preserveResourcesOnDeletion) is set on the policies and the module waits
        until every binding and Work carries it; then it waits until no object on either member is managed
        by Karmada, and fails if a source object was deleted or recreated (UID changed).
    type: bool
    default: false
extends_documentation_fragment:
  - ctyun.cce_migration.k8s_auth
  - ctyun.cce_migration.k8s_auth.MEMBERS
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.attributes
notes:
  - The Karmada access options (O(kubeconfig), O(context), ...) point at the Karmada control plane.
  - The target cluster must have room for all replicas of a workload during a surge and at 100 %.
"""

EXAMPLES = r"""
- name: Move the promoted workloads to CTyun in three steps, with gates
  ctyun.cce_migration.replica_shift:
    kubeconfig: "{{ migration_workdir }}/karmada.kubeconfig"
    source_member: aws-prod
    target_member: cce-prod
    source_cluster:
      kubeconfig: ~/.kube/source.yaml
    target_cluster:
      kubeconfig: "{{ migration_workdir }}/target.kubeconfig"
    policies:
      - shop/web-deployment-5c8f7d
      - shop/cart-deployment-7a1b2c
    steps: [0, 50, 100]
    pause: 60
    gates:
      ready_ratio: 1.0
      http:
        - url: https://shop.example.com/healthz
          status: 200
          successes: 5
      command: [/usr/local/bin/smoke-test, --env, prod]

- name: Show the plan only
  ctyun.cce_migration.replica_shift:
    kubeconfig: "{{ migration_workdir }}/karmada.kubeconfig"
    source_member: aws-prod
    target_member: cce-prod
    source_cluster: {kubeconfig: ~/.kube/source.yaml}
    target_cluster: {kubeconfig: "{{ migration_workdir }}/target.kubeconfig"}
    namespaces: [shop]
    policy_selector: ""
    target_percent: 100
  check_mode: true
  diff: true

- name: Roll back to the source and take the workloads out of Karmada
  ctyun.cce_migration.replica_shift:
    kubeconfig: "{{ migration_workdir }}/karmada.kubeconfig"
    source_member: aws-prod
    target_member: cce-prod
    source_cluster: {kubeconfig: ~/.kube/source.yaml}
    target_cluster: {kubeconfig: "{{ migration_workdir }}/target.kubeconfig"}
    namespaces: [shop]
    policy_selector: ""
    target_percent: 0
    release_from_karmada: true
"""

RETURN = r"""
current_step:
  description: Step (percent on the target) each policy is at after the run.
  returned: always
  type: dict
  sample: {"shop/web-deployment-5c8f7d": 100}
held:
  description: With O(phase=grow), the step each policy holds (grown, not yet settled); empty otherwise.
  returned: always
  type: dict
  sample: {"shop/web-deployment-5c8f7d": 50}
on_target:
  description:
    - Per StatefulSet moved in this run, the ordinals (relative to its own start ordinal) that ran on the target and
      when - C(since) and C(until) (null while it still runs there), UTC. Also in the result of a failed run.
  returned: always
  type: dict
  sample: {"data/mysql": [{"ordinal": 1, "since": "2026-12-07T10:00:03Z", "until": null}]}
identity_let_go:
  description:
    - The StatefulSet identity overrides let go once their policy reached 0 or 100 % (finalizer removed, deleted);
      Karmada's own division then keeps the same pods, and the template's replicas and start ordinal apply again.
  returned: always
  type: list
  elements: str
  sample: ["data/mysql-cce-migration-identity"]
steps:
  description:
    - One record per step applied (and one for a rollback), with the seconds it took, the gate results and per
      workload the planned and ready replicas on both members.
  returned: always
  type: list
  elements: dict
  sample:
    - percent: 50
      seconds: 42.1
      passed: true
      workloads:
        - {workload: shop/web, source_replicas: 2, target_replicas: 2, source_ready: 2, target_ready: 2, gate: pass}
plan:
  description:
    - Per policy and remaining step, the phases and the replicas each member gets (Karmada's division).
    - For policies with HPA-scaled workloads, C(hpa_bounds) gives per workload the C([min, max]) each member's HPA gets
      at that step (C(null) for a member out of the schedule, whose bounds stay as they are).
  returned: always
  type: list
  elements: dict
results:
  description: Per workload outcome (C(updated), C(unchanged), C(failed)) and final replicas.
  returned: always
  type: list
  elements: dict
counts:
  description: Number of workloads per outcome, and C(total).
  returned: always
  type: dict
failure:
  description: The failed gate, on which workload or URL, and what it saw. Absent when every gate passed.
  returned: when a gate failed
  type: dict
  sample: {step: 50, gate: http, url: "https://shop.example.com/healthz", seen: "last answers: [500, 500]"}
rolled_back_to:
  description: Step each policy returned to after a failed gate.
  returned: when a rollback happened
  type: dict
released:
  description:
    - Templates and policies deleted from the Karmada control plane (O(release_from_karmada)), the HPA bounds
      OverridePolicies included (C(OverridePolicy/<namespace>/<name>)).
  returned: always
  type: list
  elements: str
preserved:
  description:
    - Policies on which the module set C(preserveResourcesOnDeletion) (for example a policy made by hand) and
      waited until Karmada applied it to every binding and Work, before any step could take a cluster out of
      the schedule.
  returned: always
  type: list
  elements: str
seconds:
  description: Wall time of the steps, in seconds.
  returned: success
  type: float
"""

import time

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    k8s_auth_argument_spec, k8s_auth_suboptions, merge_specs, wait_argument_spec)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import (
    CceMigrationError, ValidationError)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import auth_params
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import gates as gates_mod
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import hpa as hpa_shift
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import planner, release, runner, state
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import stateful
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest


def _validate(params):
    if params["source_member"] == params["target_member"]:
        raise ValidationError("target_member: must differ from source_member (%s)" % params["source_member"])
    if params["target_percent"] is None and not params["steps"]:
        raise ValidationError("steps: give steps (for example [0, 50, 100]) or target_percent")
    try:
        steps = planner.validate_steps([params["target_percent"]] if params["target_percent"] is not None
                                       else params["steps"])
    except ValueError as exc:
        raise ValidationError(str(exc).replace("steps:", "target_percent:" if params["target_percent"]
                                               is not None else "steps:"))
    if params["policy_selector"] is not None and not params["namespaces"]:
        raise ValidationError("namespaces: give the namespaces to search with policy_selector")
    if not params["policies"] and params["policy_selector"] is None:
        raise ValidationError("policies: name the PropagationPolicies (namespace/name) or give policy_selector "
                              "with namespaces")
    if params["stop_after"] is not None and params["stop_after"] not in steps:
        raise ValidationError("stop_after: %s is not one of the steps %s" % (params["stop_after"], steps))
    if not params["wait"]:
        raise ValidationError("wait: the shift waits for the replicas of each phase before the next one, which is "
                              "what keeps capacity; keep wait=true and tune wait_timeout")
    if params["concurrency"] < 1:
        raise ValidationError("concurrency: must be at least 1")
    if params["phase"] == "grow" and params["release_from_karmada"]:
        raise ValidationError("release_from_karmada: runs once the step is whole; use it with phase=settle or all")
    if params["release_from_karmada"] and steps[-1] != 0:
        raise ValidationError("release_from_karmada: only with a final step of 0 (all replicas on the source)")
    gates = gates_mod.normalise(params["gates"])
    return steps, gates


def run(mod):
    params = mod.params
    steps, gates = _validate(params)
    chosen = stateful.decisions(params["statefulsets"])
    src, tgt = params["source_member"], params["target_member"]
    pool = max(4, min(64, params["concurrency"] * 2))
    karmada = Rest(auth_params(params), pool_size=pool, what="Karmada control plane")
    members = dict(source=Rest(auth_params(params, "source_cluster"), pool_size=pool, what="source cluster"),
                   target=Rest(auth_params(params, "target_cluster"), pool_size=pool, what="target cluster"))
    shifter = runner.Shifter(karmada, members, dict(source=src, target=tgt), concurrency=params["concurrency"],
                             wait_timeout=params["wait_timeout"], wait_sleep=params["wait_sleep"],
                             check_mode=mod.check_mode, gates=gates, strategy=params["strategy"],
                             statefulset_move=params["statefulset_move"])

    releaser = release.Releaser(karmada, members, dict(source=src, target=tgt), wait_timeout=params["wait_timeout"],
                                wait_sleep=params["wait_sleep"], check_mode=mod.check_mode)
    groups = runner.find_policies(karmada, params["policies"], params["namespaces"], params["policy_selector"],
                                  missing_ok=params["release_from_karmada"])
    if not groups:
        if params["release_from_karmada"]:
            # released already (policies gone): only identity overrides whose StatefulSet template is
            # gone may be left, by a release stopped between the two deletions
            spaces = set(params["namespaces"] or []) | set(ref.split("/", 1)[0] for ref in params["policies"] or []
                                                           if "/" in ref)
            left = releaser.delete_identity_overrides([], namespaces=sorted(spaces))
            if left:
                mod.changed()
            return dict(current_step={}, steps=[], plan=[], results=[], preserved=[], released=left)
        raise ValidationError("policies: no PropagationPolicy found; check policies/namespaces/policy_selector")
    runner.load_all_workloads(karmada, groups)
    for g in groups:
        for w in g["workloads"]:
            w["strategy"] = params["strategy"]
            if w["kind"] == "StatefulSet":
                w["statefulset_move"] = params["statefulset_move"]
    names = dict(source=src, target=tgt)
    hpa_shift.attach(karmada, groups, names)
    stateful.check_pins(groups, params, members["target"], karmada)
    stateful.check_interpreters(karmada, groups)
    for warning in hpa_shift.warnings(groups):
        mod.warn(warning)
    for g in groups:
        g["current"] = state.current_step(g["policy"], src, tgt)
        recorded = g["current"]
        g["current"] = runner.resume_point(g, steps, params["stop_after"])
        # undoing a held or interrupted step (the role's rollback after a failing traffic gate): an
        # automatic rollback for the StatefulSets' data too (runner.run_shift)
        g["undoing"] = g["current"] if g["current"] != recorded else None
        ahead = planner.remaining_steps(steps, g["current"], params["stop_after"])
        if params["phase"] != "all" and len(ahead) > 1:
            raise ValidationError("phase: %s moves one step, and policy %s has the steps %s ahead; give stop_after "
                                  "(or target_percent) for the next one" % (params["phase"], g["key"], ahead))
        if not g["workloads"]:
            mod.warn("policy %s selects no Deployment or StatefulSet; nothing to shift" % g["key"])

    release_groups = list(groups)   # a policy without workloads (Services, ConfigMaps only) is released too
    groups = [g for g in groups if g["workloads"]]
    plan = []

    def hpa_bounds(workloads, percent):
        """{workload key: {source: [min, max] or None, target: ...}} for the HPA-scaled workloads."""
        return dict((w["key"], dict((side, list(b) if b else None) for side, b in hpa_shift.bounds_at(
            w, percent, names, params["strategy"]).items())) for w in workloads if w.get("hpa"))

    for g in groups:
        for entry in planner.plan_shift(g["workloads"], g["current"], steps, src, tgt, params["stop_after"]):
            plan.append(dict(policy=g["key"], percent=entry["percent"], **{"from": entry["from"]},
                             replicas=entry["replicas"],
                             **({"hpa_bounds": hpa_bounds(g["workloads"], entry["percent"])}
                                if any(w.get("hpa") for w in g["workloads"]) else {}),
                             phases=[dict(kind=p["kind"], purpose=p["purpose"], percent=p["percent"],
                                          replicas=dict((k, dict(source=e["source"], target=e["target"]))
                                                        for k, e in p["expect"].items()))
                                     for p in entry["phases"]]))
    before = dict((g["key"], g["current"]) for g in groups)
    for g in groups:
        todo = planner.remaining_steps(steps, g["current"], params["stop_after"])
        if todo:
            mod.add_diff(
                before=dict(step=g["current"], replicas=dict((w["key"], planner.state_at(w, g["current"], src, tgt))
                                                             for w in g["workloads"])),
                after=dict(step=todo[-1], steps=todo,
                           replicas=dict((w["key"], planner.state_at(w, todo[-1], src, tgt))
                                         for w in g["workloads"]),
                           **({"hpa_bounds": dict((step, hpa_bounds(g["workloads"], step)) for step in todo)}
                              if any(w.get("hpa") for w in g["workloads"]) else {})),
                header="PropagationPolicy %s" % g["key"])

    ahead = [g for g in groups if planner.remaining_steps(steps, g["current"], params["stop_after"])]
    stateful.check_volume_retention(ahead, members, params, steps)
    for warning in stateful.check_moves(groups, ahead, chosen, params, steps, members):
        mod.warn(warning)
    if any(step > 0 for g in ahead for step in planner.remaining_steps(steps, g["current"], params["stop_after"])):
        missing = release.missing_dependencies(karmada, members["target"], ahead)
        if missing:
            shown = "; ".join(missing[:5]) + (" (+%d more)" % (len(missing) - 5) if len(missing) > 5 else "")
            raise ValidationError("the shift would start pods on %s without their configuration: %s. Promote the "
                                  "dependencies with the workloads (karmada_promote dependencies=true, the promote "
                                  "role's default) or create them on the target first" % (tgt, shown))
    started = time.time()
    preserved = []
    try:
        # A policy made by hand (the guide's deployments-pp) may lack preserveResourcesOnDeletion: set
        # it and wait until Karmada put it on every binding and Work before any step can take a
        # cluster out of the schedule (which deletes that cluster's Works)
        preserved = releaser.ensure_preserved(ahead, lambda g: [(w["kind"], w["name"]) for w in g["workloads"]])
        if preserved:
            shifter.changed = True
        outcome = runner.run_shift(shifter, groups, steps, on_failure=params["on_failure"], pause=params["pause"],
                                   stop_after=params["stop_after"], phase=params["phase"])
    except CceMigrationError as exc:
        exc.partial_result = dict(changed=shifter.changed, plan=plan, preserved=preserved,
                                  on_target=shifter.pins.on_target(),
                                  current_step=dict((g["key"], g["current"]) for g in groups))
        raise
    if shifter.changed:
        mod.changed()

    results = []
    failed_keys = set()
    if outcome["failure"]:
        failed_keys = set(g["key"] for g in groups if g["key"] in (outcome["rolled_back_to"] or {})
                          or g.get("to") == outcome["failure"]["step"])
    for g in groups:
        final = g["current"]
        for w in g["workloads"]:
            split = planner.state_at(w, final, src, tgt)
            if g["key"] in failed_keys:
                outcome_name = "failed"
            elif before[g["key"]] != final or g.get("changed"):
                outcome_name = "updated"
            else:
                outcome_name = "unchanged"
            results.append(dict(workload="%s/%s" % (w["namespace"], w["name"]), kind=w["kind"], policy=g["key"],
                                step=final, replicas=w["replicas"], max_unavailable=w["max_unavailable"],
                                source_replicas=split["source"], target_replicas=split["target"],
                                outcome=outcome_name))
    released = []
    if params["release_from_karmada"] and not outcome["failure"]:
        try:
            released = releaser.release(release_groups)
        except CceMigrationError as exc:
            exc.partial_result = dict(changed=True, plan=plan, results=results, preserved=preserved,
                                      released=exc.details.pop("released", []),
                                      current_step=dict((g["key"], g["current"]) for g in groups))
            raise
        if released:
            mod.changed()

    result = dict(current_step=dict((g["key"], g["current"]) for g in groups), held=outcome["held"],
                  on_target=outcome["on_target"], identity_let_go=outcome["let_go"],
                  steps=outcome["steps"], plan=plan,
                  results=results, released=released, preserved=preserved, seconds=round(time.time() - started, 3))
    if outcome["failure"]:
        f = outcome["failure"]
        result["failure"] = f
        where = f.get("workload") or f.get("url") or "all workloads"
        msg = "Gate %s failed at step %s%% on %s: %s" % (f["gate"], f["step"], where, f["seen"])
        if f.get("gate") == runner.CONSENT:
            msg = "Step %s%% (held or interrupted) not undone" % f["step"]
        if outcome["rolled_back_to"] is not None:
            result["rolled_back_to"] = outcome["rolled_back_to"]
            msg += "; rolled back to the last good step (%s)" % ", ".join(
                "%s: %s%%" % kv for kv in sorted(outcome["rolled_back_to"].items()))
        elif f.get("rollback_refused"):
            msg += ("; not rolled back: StatefulSet %s ran ordinals on %s (see on_target), and going back would start "
                    "them on the source's volumes without what was written there since. Move their data back, or "
                    "give statefulsets[].rollback_consent=true, and run the rollback" % (
                        ", ".join(f["rollback_refused"]), tgt))
        else:
            msg += "; stopped there (on_failure=stop)"
        result["failed_msg"] = msg
    return result


def main():
    argument_spec = merge_specs(
        k8s_auth_argument_spec(),
        wait_argument_spec(default_timeout=600),
        dict(
            source_member=dict(type="str", required=True),
            target_member=dict(type="str", required=True),
            source_cluster=dict(type="dict", required=True, options=k8s_auth_suboptions()),
            target_cluster=dict(type="dict", required=True, options=k8s_auth_suboptions()),
            policies=dict(type="list", elements="str", default=[]),
            namespaces=dict(type="list", elements="str", default=[]),
            policy_selector=dict(type="str"),
            target_percent=dict(type="int"),
            steps=dict(type="list", elements="int"),
            stop_after=dict(type="int"),
            pause=dict(type="int", default=0),
            gates=dict(type="dict", default={}),
            on_failure=dict(type="str", choices=["rollback", "stop"], default="rollback"),
            concurrency=dict(type="int", default=10),
            release_from_karmada=dict(type="bool", default=False),
            strategy=dict(type="str", choices=["weighted", "duplicated"], default="weighted"),
            statefulset_move=dict(type="str", choices=["ordinals", "whole"], default="ordinals"),
            phase=dict(type="str", choices=["all", "grow", "settle"], default="all"),
            statefulsets=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                data=dict(type="str", required=True, choices=["replicated", "external", "none"]),
                quorum=dict(type="bool", default=False),
                rollback_consent=dict(type="bool", default=False),
            )),
        ),
    )
    CceMigrationModule(argument_spec, mutually_exclusive=[("target_percent", "steps")]).run(run)


if __name__ == "__main__":
    main()
