#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: karmada_promote
short_description: Put running member workloads under Karmada's control without restarting them
version_added: 0.1.0
description:
  - Does what C(karmadactl promote) does, for many objects in one task and safely re-runnable.
    Each object is read from the member cluster, cleaned the way Karmada prunes a resource
    template (server-set metadata, status, Deployment revision annotations, Job generated selectors,
    ServiceAccount token secrets, Service cluster IPs), annotated with
    C(work.karmada.io/conflict-resolution=overwrite), and created in the Karmada control plane.
  - The pod template is not changed, so Karmada adopts the running objects and no pod is replaced.
    With O(verify_no_restart=true) the module proves it by comparing pod UIDs before and after.
  - O(mode=per_resource) creates one PropagationPolicy (ClusterPropagationPolicy for cluster-scoped
    objects) per object, named like karmadactl names it, pinned to O(cluster); O(mode=policy) creates
    one PropagationPolicy named O(policy_name) per namespace whose resourceSelectors cover the
    promoted objects (the guide's batch mode).
  - An equal template in Karmada is C(unchanged); a different one is a C(conflict) and left alone
    unless O(force=true). A policy of the same name (for example made by karmadactl) is reused.
  - A conflict (the object, or with O(dependencies=true) one of its dependencies, differs from the
    template already in Karmada) never enters a policy the module writes, in both modes, so Karmada
    never overwrites the running member object with the other template.
  - Policies are compared with what the server holds after Karmada's mutating webhook filled its
    defaults (for example the namespace of each resource selector), so a re-run is unchanged.
  - A Deployment or StatefulSet scaled by a HorizontalPodAutoscaler in its namespace brings the HPA
    along, in the same policy (so Karmada places it on the same clusters), written as C(autoscaling/v2)
    (a source serving only C(autoscaling/v2beta2) is read with that version and converted). The Deployment's
    template gets Karmada's C(resourcetemplate.karmada.io/retain-replicas=true) label, so Karmada keeps each
    member's C(spec.replicas) and the member's HPA keeps scaling it (a label is not a pod-template change).
    Karmada retains replicas for Deployments only; a StatefulSet with an HPA gets a warning. See
    C(docs/promote.md).
  - The member is never changed by this module, and nothing is deleted from it.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  cluster:
    description: Name of the member cluster in Karmada where the objects run (for example from the federation stage).
    type: str
    required: true
  member:
    description: Access to the member cluster's API server.
    type: dict
    required: true
  resources:
    description: Objects to promote.
    type: list
    elements: dict
    default: []
    suboptions:
      api_version:
        description: API version, for example C(apps/v1). Defaults to the kind's usual version.
        type: str
      kind:
        description: Kind, for example C(Deployment).
        type: str
        required: true
      namespace:
        description: Namespace (not for cluster-scoped kinds).
        type: str
      name:
        description: Name.
        type: str
        required: true
  namespaces:
    description: Promote every object of O(kinds) in these namespaces (optionally narrowed by O(label_selector)).
    type: list
    elements: str
    default: []
  label_selector:
    description: Label selector applied with O(namespaces), for example C(app.kubernetes.io/part-of=shop).
    type: str
  kinds:
    description: Kinds promoted with O(namespaces).
    type: list
    elements: str
    default: [Deployment, StatefulSet, Service, ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim]
  mode:
    description: One policy per object (like karmadactl) or one named policy per namespace (batch mode).
    type: str
    choices: [per_resource, policy]
    default: per_resource
  policy_name:
    description: Name of the policy with O(mode=policy).
    type: str
  dependencies:
    description:
      - Also promote the ConfigMaps, Secrets, ServiceAccounts and PersistentVolumeClaims the pod templates
        reference, and set C(propagateDeps). When one fails, the dependencies promoted by the same object
        are reverted, as karmadactl does.
    type: bool
    default: false
  force:
    description: Replace a different existing template (and update a different policy of the same name).
    type: bool
    default: false
  concurrency:
    description: How many objects are promoted at the same time.
    type: int
    default: 16
  verify_no_restart:
    description:
      - Record pod UIDs before and, once Karmada adopted the objects, fail naming the workloads if any pod
        was replaced.
      - Needs O(wait=true); when not set it is V(true) with O(wait=true) and V(false) with O(wait=false).
    type: bool
requirements:
  - jsonschema >= 4.0 (validation of Karmada policies before any call)
extends_documentation_fragment:
  - ctyun.cce_migration.k8s_auth
  - ctyun.cce_migration.k8s_auth.MEMBER
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.attributes
notes:
  - The top-level Kubernetes options address the Karmada control plane; O(member) the member cluster.
"""

EXAMPLES = r"""
- name: Promote one Deployment, like "karmadactl promote deployment nginx -n default -c member1"
  ctyun.cce_migration.karmada_promote:
    kubeconfig: "{{ karmada_kubeconfig }}"
    cluster: member1
    member:
      kubeconfig: ~/.kube/config
      context: aliyun-prod
    resources:
      - kind: Deployment
        namespace: default
        name: nginx

- name: Promote a whole namespace with dependencies, in the guide's batch mode
  ctyun.cce_migration.karmada_promote:
    kubeconfig: "{{ karmada_kubeconfig }}"
    cluster: "{{ source_member_name }}"
    member:
      kubeconfig: "{{ source_kubeconfig }}"
      context: "{{ source_context }}"
    namespaces: [shop]
    mode: policy
    policy_name: deployments-pp
    dependencies: true
"""

RETURN = r"""
results:
  description: One entry per object, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    api_version:
      description: API version of the object.
      type: str
    kind:
      description: Kind of the object.
      type: str
    namespace:
      description: Namespace of the object.
      type: str
    name:
      description: Name of the object.
      type: str
    outcome:
      description: C(promoted), C(updated), C(unchanged), C(conflict) or C(failed).
      type: str
    reason:
      description: Why the object is a conflict or failed.
      type: str
      returned: when outcome is conflict or failed
    policy:
      description: The policy for the object (mode per_resource) and what was done to it.
      type: dict
      returned: mode per_resource
    storage_class:
      description: The storage class of a PersistentVolumeClaim (what the promote role maps for the target).
      type: str
      returned: for PersistentVolumeClaims with a storage class
    dependencies:
      description: The workload's dependencies (ConfigMaps, Secrets, ServiceAccounts, PVCs it references), each with
        C(kind), C(namespace), C(name) and C(outcome).
      type: list
      elements: dict
      returned: with O(dependencies=true), for workloads
    hpas:
      description:
        - The HorizontalPodAutoscalers scaling the workload, promoted with it as C(autoscaling/v2) and selected by
          the same policy, each with C(kind), C(api_version), C(namespace), C(name), C(outcome) (as for objects),
          C(min_replicas), C(max_replicas) and, for a conflict, C(reason).
      type: list
      elements: dict
      returned: for Deployments and StatefulSets an HPA scales
counts:
  description: Number of objects per outcome, and C(total).
  returned: always
  type: dict
  sample: {promoted: 30, unchanged: 0, conflict: 0, failed: 0, total: 30}
policies:
  description: Policies created, reused or updated.
  returned: always
  type: list
  elements: dict
namespaces:
  description: Namespaces the module created (or, in check mode, would create) in the Karmada control plane.
  returned: always
  type: list
  elements: str
restarted:
  description: Workloads whose pods were replaced during the promotion (should be empty).
  returned: when verify_no_restart and wait
  type: list
  elements: str
unchecked:
  description:
    - Workloads asking for pods of which none was found with their selector (C(matchLabels) and C(matchExpressions))
      before the promotion, so that no restart of theirs could be seen; check them by hand (should be empty).
  returned: when verify_no_restart and wait
  type: list
  elements: str
"""

import time

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    k8s_auth_argument_spec, k8s_auth_suboptions, merge_specs, wait_argument_spec)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import (
    CceMigrationError, ValidationError)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.waiter import delays
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import auth_params
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy as pol
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.promote import Promoter, comparable_template


DEFAULT_KINDS = ["Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "ServiceAccount",
                 "PersistentVolumeClaim"]


def _summary(result):
    out = dict((k, v) for k, v in result.items()
               if k not in ("template", "template_before", "policy_object", "policy_before"))
    if result.get("kind") == "PersistentVolumeClaim":
        storage_class = ((result.get("template") or {}).get("spec") or {}).get("storageClassName")
        if storage_class:
            out["storage_class"] = storage_class
    return out


def _shown(template):
    """A template as --diff shows it: what comparable_template compares, plus the replicas it writes."""
    out = comparable_template(template)
    replicas = (template.get("spec") or {}).get("replicas")
    if replicas is not None and isinstance(out.get("spec"), dict):
        out["spec"]["replicas"] = replicas
    return out


def _policy_row(policy, outcome):
    """A batch policy as the result lists it."""
    return {"kind": policy["kind"], "name": policy["metadata"]["name"],
            "namespace": policy["metadata"]["namespace"], "outcome": outcome}


def _mark_changes(mod, results):
    """changed and diffs for what the promotion wrote (also when a later write fails)."""
    for r in results:
        if r["outcome"] in ("promoted", "updated") and mod.diff_mode:
            # field by field: the template in Karmada before (none when promoted) and the one written
            before = r.get("template_before")
            mod.add_diff(before=_shown(before) if before else {}, after=_shown(r["template"]),
                         header="template %s %s/%s" % (r["kind"], r["namespace"] or "", r["name"]))
        if (r.get("policy") or {}).get("outcome") in ("created", "updated") and mod.diff_mode:
            header = "%s %s" % (r["policy"]["kind"], r["policy"]["name"])
            mod.add_diff(before=pol.comparable(r.get("policy_before")), after=pol.comparable(r["policy_object"]),
                         header=header)
        deps_changed = any(d["outcome"] in ("promoted", "updated")
                           for d in (r.get("dependencies") or []) + (r.get("hpas") or []))
        if r["outcome"] in ("promoted", "updated") or deps_changed or (r.get("policy") or {}).get("outcome") in (
                "created", "updated"):
            mod.changed()


def run(mod):
    p = mod.params
    if not p["resources"] and not p["namespaces"]:
        raise ValidationError("Nothing to promote: give resources (kind, namespace, name) or namespaces.")
    if p["mode"] == "policy" and not p["policy_name"]:
        raise ValidationError("policy_name is required with mode=policy (for example deployments-pp).")
    if p["concurrency"] < 1:
        raise ValidationError("concurrency must be 1 or more.")
    if p["verify_no_restart"] and not p["wait"]:
        raise ValidationError("verify_no_restart: pod UIDs are compared once Karmada adopted the objects, which "
                              "needs wait=true; set wait=true or verify_no_restart=false")
    if p["verify_no_restart"] is None:
        p["verify_no_restart"] = bool(p["wait"])
    karmada = Rest(auth_params(p), pool_size=p["concurrency"], what="the Karmada control plane")
    member = Rest(auth_params(p, "member"), pool_size=p["concurrency"], what="member cluster %s" % p["cluster"])
    promoter = Promoter(karmada, member, p["cluster"], check_mode=mod.check_mode, concurrency=p["concurrency"],
                        force=p["force"], with_dependencies=p["dependencies"], mode=p["mode"],
                        policy_name=p["policy_name"])
    promoter.check_member()
    objects = promoter.resolve(p["resources"], p["namespaces"], p["label_selector"], p["kinds"])
    existing = promoter.existing_templates(objects)      # reads only; finds the HPAs to promote too
    if p["mode"] == "policy":
        # schema check of the batch policies before any write, with the HPAs' selectors
        promoter.check_batch_policies(objects)
    before = promoter.pod_uids(objects) if p["verify_no_restart"] else {}
    # mode=policy: one batch policy per namespace, written once that namespace's templates are
    # (Karmada adopts it while the next namespace is written); conflicts stay out of it (it
    # overwrites what it selects), and a namespace with a failed object gets none
    try:
        results = promoter.promote(objects, existing, batch=p["mode"] == "policy")
    except Exception as exc:
        # templates or policies may be written already: say so, with the policies written
        if karmada.writes:
            mod.changed()
        if isinstance(exc, CceMigrationError):
            exc.partial_result = dict(changed=bool(karmada.writes), namespaces=promoter.created_namespaces,
                                      policies=[_policy_row(w, "failed" if isinstance(a, CceMigrationError) else a[0])
                                                for w, a in promoter.batch_answers])
        raise
    for warning in promoter.warnings:
        mod.warn(warning)
    policies = [r["policy"] for r in results if r.get("policy")]
    _mark_changes(mod, results)
    if promoter.batch_answers:
        answers = [answer for dummy, answer in promoter.batch_answers]
        for wanted, answer in promoter.batch_answers:
            if isinstance(answer, CceMigrationError):
                continue
            outcome, stored, policy_before = answer
            policies.append(_policy_row(wanted, outcome))
            if outcome in ("created", "updated"):
                mod.changed()
            if outcome != "unchanged":
                mod.add_diff(before=pol.comparable(policy_before), after=pol.comparable(stored),
                             header="PropagationPolicy %s/%s" % (wanted["metadata"]["namespace"],
                                                                 wanted["metadata"]["name"]))
        for answer in answers:
            if isinstance(answer, CceMigrationError):
                # templates (and the other policies) were written already: say so, and what was done
                answer.partial_result = dict(changed=mod.result.get("changed", False),
                                             results=[_summary(r) for r in results], policies=policies,
                                             namespaces=promoter.created_namespaces)
                raise answer
    if any(x["outcome"] in ("created", "updated") for x in policies):
        mod.changed()
    out = dict(results=[_summary(r) for r in results], policies=policies, namespaces=promoter.created_namespaces)
    failed = [r for r in results if r["outcome"] == "failed"]
    if p["wait"] and not mod.check_mode and not failed:
        pending = [r for r in results if r["outcome"] in ("promoted", "updated", "unchanged")]
        deadline = time.monotonic() + p["wait_timeout"]
        last = {}
        pauses = delays(min(p["wait_sleep"], 1))    # 0.2 s, doubling up to 1 s
        while pending and time.monotonic() < deadline:
            states = promoter.adoption(pending)
            last = dict(("%s %s/%s" % (r["kind"], r["namespace"] or "", r["name"]), states[i][1])
                        for i, r in enumerate(pending) if not states[i][0])
            pending = [r for i, r in enumerate(pending) if not states[i][0]]
            if pending:
                time.sleep(min(next(pauses), max(0.0, deadline - time.monotonic())))
        if pending:
            sample = sorted(last.items())[:5]
            out["failed_msg"] = ("Timed out after %ss waiting for Karmada to adopt %d object(s); last seen: %s"
                                 % (p["wait_timeout"], len(pending), "; ".join("%s: %s" % kv for kv in sample)))
            return out
        if p["verify_no_restart"]:
            after = promoter.pod_uids(objects)
            restarted = sorted(k for k, uids in before.items() if uids and set(uids) - set(after.get(k) or []))
            out["restarted"] = restarted
            # a workload with running pods none of which its selector found cannot be vouched for
            out["unchecked"] = sorted(k for k, uids in before.items() if not uids and _runs(objects, k))
            if restarted:
                out["failed_msg"] = "Pods were replaced during the promotion of: %s" % ", ".join(restarted)
                return out
    if failed:
        out["failed_msg"] = "%d of %d object(s) failed: %s" % (len(failed), len(results), "; ".join(
            "%s %s/%s: %s" % (r["kind"], r["namespace"] or "", r["name"], r.get("reason")) for r in failed[:5]))
    return out


def _runs(objects, key):
    """Whether the workload ``key`` (kind/namespace/name) asks for pods."""
    for obj in objects:
        if "%s/%s/%s" % (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]) == key:
            replicas = (obj.get("spec") or {}).get("replicas")
            return obj["kind"] == "DaemonSet" or replicas is None or int(replicas) > 0
    return False


def main():
    argument_spec = merge_specs(k8s_auth_argument_spec(), wait_argument_spec(), dict(
        cluster=dict(type="str", required=True),
        member=dict(type="dict", required=True, options=k8s_auth_suboptions()),
        resources=dict(type="list", elements="dict", default=[], options=dict(
            api_version=dict(type="str"), kind=dict(type="str", required=True), namespace=dict(type="str"),
            name=dict(type="str", required=True))),
        namespaces=dict(type="list", elements="str", default=[]),
        label_selector=dict(type="str"),
        kinds=dict(type="list", elements="str", default=DEFAULT_KINDS),
        mode=dict(type="str", choices=["per_resource", "policy"], default="per_resource"),
        policy_name=dict(type="str"),
        dependencies=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        concurrency=dict(type="int", default=16),
        verify_no_restart=dict(type="bool"),
    ))
    CceMigrationModule(argument_spec).run(run)


if __name__ == "__main__":
    main()
