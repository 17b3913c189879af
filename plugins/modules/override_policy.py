#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: override_policy
short_description: Manage Karmada OverridePolicies for what changes between clouds
version_added: 0.1.0
description:
  - Creates, updates (minimal merge patch) or deletes a Karmada OverridePolicy or ClusterOverridePolicy.
  - Builds the override rules a migration needs, applied to the target member only - image registry
    rewrite (source registry to the CTyun registry), storage class mapping of PersistentVolumeClaims,
    removal or rewrite of the other cloud's LoadBalancer annotations - or takes a full O(spec).
  - Validated against Karmada's CRD schema before any call.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  name:
    description: Name of the policy.
    type: str
    required: true
  namespace:
    description: Namespace of an OverridePolicy. Omit for a ClusterOverridePolicy.
    type: str
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
  spec:
    description: Full OverridePolicy spec. Mutually exclusive with the convenience options.
    type: dict
  target_cluster:
    description: Member cluster the overrides apply to (the CTyun cluster).
    type: str
  resource_selectors:
    description: resourceSelectors of the policy; defaults to the workload kinds the overrides concern.
    type: list
    elements: dict
  registry_map:
    description:
      - Image prefixes C({from, to}) as produced by M(ctyun.cce_migration.image_sync).
      - Becomes one Karmada imageOverrider rule that replaces the registry host of every container image of
        the selected workloads on the target member, so every entry must keep its repository path and all
        entries must go to one registry host; other maps fail before any call, naming the entry.
      - Karmada applies the rule to the C(containers) of Pods, ReplicaSets, Deployments, DaemonSets,
        StatefulSets and Jobs only; the images it leaves (init containers, CronJobs, the digest of an image
        with a tag and a digest) are returned in RV(images_not_rewritten) and named in a warning.
    type: list
    elements: dict
  storage_class_map:
    description: Source storage class to CTyun storage class, applied to PersistentVolumeClaims of that class.
    type: dict
  storage_class:
    description: The source storage class the policy's selected PVCs use (with O(storage_class_map)).
    type: str
  remove_annotations:
    description: Annotation keys removed on the target (for example the other cloud's LoadBalancer annotations).
    type: list
    elements: str
  add_annotations:
    description: Annotations added on the target (for example CTyun ELB annotations).
    type: dict
requirements:
  - jsonschema >= 4.0 (validation of Karmada policies before any call)
extends_documentation_fragment:
  - ctyun.cce_migration.k8s_auth
  - ctyun.cce_migration.attributes
"""

EXAMPLES = r"""
- name: Pull images from the CTyun registry on the CTyun member only
  ctyun.cce_migration.override_policy:
    kubeconfig: "{{ karmada_kubeconfig }}"
    name: registry-to-ctyun
    namespace: shop
    target_cluster: cce-target
    registry_map:
      - from: registry.cn-hangzhou.aliyuncs.com
        to: registry-huadong1.crs.ctyun.cn

- name: Drop the other cloud's LoadBalancer annotations on CTyun
  ctyun.cce_migration.override_policy:
    kubeconfig: "{{ karmada_kubeconfig }}"
    name: lb-annotations
    namespace: shop
    target_cluster: cce-target
    resource_selectors:
      - apiVersion: v1
        kind: Service
    remove_annotations:
      - service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec
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
images_not_rewritten:
  description:
    - Images from a O(registry_map) source registry, in the workloads the policy selects in Karmada, that its
      registry rule leaves as they are on the target, each with the reason; a warning names them too.
    - Karmada's imageOverrider without a predicate rewrites the C(containers) of Pods, ReplicaSets,
      Deployments, DaemonSets, StatefulSets and Jobs only (not init containers, not CronJobs), and keeps only
      the tag of an image that has a tag and a digest. Rewrite those images with a predicate rule (O(spec))
      or in the template.
  returned: when registry_map is given and state is present
  type: list
  elements: dict
  sample: [{"kind": "Deployment", "namespace": "shop", "name": "web", "container": "prep",
            "image": "registry.cn-hangzhou.aliyuncs.com/shop/prep:1.0",
            "reason": "Karmada's imageOverrider does not rewrite initContainers"}]
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    k8s_auth_argument_spec, merge_specs)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common import validate
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy as pol
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy_ops

WORKLOADS = [{"apiVersion": "apps/v1", "kind": k} for k in ("Deployment", "StatefulSet", "DaemonSet")]
CONVENIENCE = ("target_cluster", "registry_map", "storage_class_map", "storage_class", "remove_annotations",
               "add_annotations")


def wanted_policy(p):
    kind = "OverridePolicy" if p["namespace"] else "ClusterOverridePolicy"
    validate.dns_subdomain("name", p["name"])
    if p["state"] == "absent":
        return pol.build(kind, p["name"], p["namespace"], {})
    if p["spec"] is not None:
        used = [o for o in CONVENIENCE if p[o]]
        if used:
            raise ValidationError("spec is mutually exclusive with %s" % ", ".join(used))
        return pol.build(kind, p["name"], p["namespace"], p["spec"])
    if not p["target_cluster"]:
        raise ValidationError("target_cluster is required: overrides apply to the CTyun member only")
    for i, entry in enumerate(p["registry_map"] or []):
        if not isinstance(entry, dict) or not entry.get("from") or not entry.get("to"):
            raise ValidationError("registry_map[%d] must have 'from' and 'to' image prefixes" % i)
    rules = pol.override_rules(p["target_cluster"], p["registry_map"], None, p["remove_annotations"],
                               p["add_annotations"])
    selectors = p["resource_selectors"]
    if p["storage_class_map"]:
        if not p["storage_class"]:
            raise ValidationError("storage_class is required with storage_class_map: name the source class the "
                                  "selected PersistentVolumeClaims use")
        if p["storage_class"] not in p["storage_class_map"]:
            raise ValidationError("storage_class %r is not a key of storage_class_map" % p["storage_class"])
        rules += pol.storage_class_rules(p["target_cluster"], "PersistentVolumeClaim", p["storage_class"],
                                         p["storage_class_map"])
        selectors = selectors or [{"apiVersion": "v1", "kind": "PersistentVolumeClaim"}]
    if not rules:
        raise ValidationError("nothing to override: give registry_map, storage_class_map, remove_annotations or "
                              "add_annotations (or a full spec)")
    spec = {"resourceSelectors": selectors or WORKLOADS, "overrideRules": rules}
    return pol.build(kind, p["name"], p["namespace"], spec)


# the kinds whose pod templates can carry images (read to report what the registry rule misses)
IMAGE_KINDS = ("Pod", "ReplicaSet", "Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob")


def run(mod):
    p = mod.params

    def images(karmada, result):
        if p["state"] != "present" or not p["registry_map"] or not result.get("policy"):
            return {}
        missed = pol.images_not_rewritten(policy_ops.selected_objects(karmada, result["policy"], IMAGE_KINDS),
                                          p["registry_map"])
        for item in missed[:10]:
            mod.warn("%s %s/%s container %s keeps image %s on %s: %s" % (
                item["kind"], item["namespace"], item["name"], item["container"], item["image"],
                p["target_cluster"], item["reason"]))
        if len(missed) > 10:
            mod.warn("%d more images are not rewritten (images_not_rewritten lists them all)" % (len(missed) - 10))
        return dict(images_not_rewritten=missed)

    return policy_ops.run_policy_module(mod, wanted_policy, inspect=images)


def main():
    argument_spec = merge_specs(k8s_auth_argument_spec(), dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        spec=dict(type="dict"),
        target_cluster=dict(type="str"),
        resource_selectors=dict(type="list", elements="dict"),
        registry_map=dict(type="list", elements="dict"),
        storage_class_map=dict(type="dict"),
        storage_class=dict(type="str"),
        remove_annotations=dict(type="list", elements="str", no_log=False),
        add_annotations=dict(type="dict"),
    ))
    CceMigrationModule(argument_spec).run(run)


if __name__ == "__main__":
    main()
