#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: propagation_policy
short_description: Manage Karmada PropagationPolicies and ClusterPropagationPolicies
version_added: 0.1.0
description:
  - Creates, updates (with a minimal merge patch) or deletes a Karmada PropagationPolicy or
    ClusterPropagationPolicy, from a full O(spec) or from convenience options.
  - The policy is validated against Karmada's CRD schema (shipped with the collection) before any call;
    an invalid field fails with its path.
  - Fields Karmada's webhook defaults are left alone, so re-runs report no change.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  name:
    description: Name of the policy.
    type: str
    required: true
  namespace:
    description: Namespace of a PropagationPolicy. Omit for a ClusterPropagationPolicy.
    type: str
  kind:
    description: Kind of policy. Defaults to C(PropagationPolicy) with O(namespace), else C(ClusterPropagationPolicy).
    type: str
    choices: [PropagationPolicy, ClusterPropagationPolicy]
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
  spec:
    description: Full policy spec. Mutually exclusive with the convenience options.
    type: dict
  resource_selectors:
    description: resourceSelectors (C(apiVersion), C(kind), optional C(name), C(namespace), C(labelSelector)).
    type: list
    elements: dict
  cluster_names:
    description: Member clusters of the placement (clusterAffinity.clusterNames).
    type: list
    elements: str
  replica_scheduling:
    description: Replica scheduling type.
    type: str
    choices: [Duplicated, Divided]
  weights:
    description:
      - Static weight per member cluster with O(replica_scheduling=Divided).
      - 'For example C({aliyun-prod: 1, cce-target: 1}).'
    type: dict
  conflict_resolution:
    description: What Karmada does when a member already has the object.
    type: str
    choices: [Abort, Overwrite]
  priority:
    description: Explicit priority of the policy.
    type: int
  preserve_resources_on_deletion:
    description: Keep member objects when the template, the policy's claim or a Work is deleted.
    type: bool
  propagate_deps:
    description: Propagate the dependencies of the workloads too.
    type: bool
  scheduler_name:
    description: Scheduler of the policy.
    type: str
  labels:
    description: Labels of the policy.
    type: dict
requirements:
  - jsonschema >= 4.0 (validation of Karmada policies before any call)
extends_documentation_fragment:
  - ctyun.cce_migration.k8s_auth
  - ctyun.cce_migration.attributes
"""

EXAMPLES = r"""
- name: The guide's batch policy - adopt running Deployments in the source member
  ctyun.cce_migration.propagation_policy:
    kubeconfig: "{{ karmada_kubeconfig }}"
    name: deployments-pp
    namespace: default
    resource_selectors:
      - apiVersion: apps/v1
        kind: Deployment
    cluster_names: [member1]
    conflict_resolution: Overwrite
    priority: 0
    scheduler_name: default-scheduler
    preserve_resources_on_deletion: true

- name: Split replicas 1:1 between the source and CTyun
  ctyun.cce_migration.propagation_policy:
    kubeconfig: "{{ karmada_kubeconfig }}"
    name: deployments-pp
    namespace: default
    resource_selectors:
      - apiVersion: apps/v1
        kind: Deployment
    cluster_names: [member1, cce-target]
    replica_scheduling: Divided
    weights:
      member1: 1
      cce-target: 1
    conflict_resolution: Overwrite
"""

RETURN = r"""
policy:
  description: The policy as it is after the task (as it would be, in check mode).
  returned: when state is present
  type: dict
action:
  description: C(created), C(updated), C(unchanged) or C(deleted).
  returned: always
  type: str
patch:
  description: The merge patch sent (or that would be sent) to update the policy.
  returned: when the policy was updated
  type: dict
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    k8s_auth_argument_spec, merge_specs)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common import validate
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy as pol
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy_ops

CONVENIENCE = ("resource_selectors", "cluster_names", "replica_scheduling", "weights", "conflict_resolution",
               "priority", "preserve_resources_on_deletion", "propagate_deps", "scheduler_name")


def wanted_policy(p):
    kind = p["kind"] or ("PropagationPolicy" if p["namespace"] else "ClusterPropagationPolicy")
    validate.dns_subdomain("name", p["name"])
    if kind == "PropagationPolicy" and not p["namespace"]:
        raise ValidationError("namespace is required for a PropagationPolicy (or use kind=ClusterPropagationPolicy)")
    if p["state"] == "absent":
        return pol.build(kind, p["name"], p["namespace"], {})
    if p["spec"] is not None:
        used = [o for o in CONVENIENCE if p[o] is not None]
        if used:
            raise ValidationError("spec is mutually exclusive with %s; give either a full spec or the options"
                                  % ", ".join(used))
        spec = p["spec"]
    else:
        if not p["resource_selectors"]:
            raise ValidationError("resource_selectors is required (or give a full spec)")
        if p["weights"] and p["replica_scheduling"] != "Divided":
            raise ValidationError("weights need replica_scheduling=Divided")
        for cluster, weight in (p["weights"] or {}).items():
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
                raise ValidationError("weights.%s must be a whole number >= 0, got %r" % (cluster, weight))
        if p["weights"] and p["cluster_names"]:
            unknown = sorted(set(p["weights"]) - set(p["cluster_names"]))
            if unknown:
                raise ValidationError("weights name clusters not in cluster_names: %s" % ", ".join(unknown))
        spec = pol.propagation_spec(p["resource_selectors"], p["cluster_names"], p["replica_scheduling"],
                                    p["weights"], p["conflict_resolution"], p["priority"],
                                    p["preserve_resources_on_deletion"], p["propagate_deps"], p["scheduler_name"])
    return pol.build(kind, p["name"], p["namespace"], spec, labels=p["labels"])


def main():
    argument_spec = merge_specs(k8s_auth_argument_spec(), dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str"),
        kind=dict(type="str", choices=["PropagationPolicy", "ClusterPropagationPolicy"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        spec=dict(type="dict"),
        resource_selectors=dict(type="list", elements="dict"),
        cluster_names=dict(type="list", elements="str"),
        replica_scheduling=dict(type="str", choices=["Duplicated", "Divided"]),
        weights=dict(type="dict"),
        conflict_resolution=dict(type="str", choices=["Abort", "Overwrite"]),
        priority=dict(type="int"),
        preserve_resources_on_deletion=dict(type="bool"),
        propagate_deps=dict(type="bool"),
        scheduler_name=dict(type="str"),
        labels=dict(type="dict"),
    ))
    CceMigrationModule(argument_spec).run(
        lambda mod: policy_ops.run_policy_module(mod, wanted_policy))


if __name__ == "__main__":
    main()
