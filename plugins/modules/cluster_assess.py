#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_assess
short_description: Assess a source Kubernetes cluster before moving it to CTyun CCE
version_added: "0.1.0"
description:
  - Reads the source cluster through the Kubernetes API, read-only (only C(GET) requests), listing every kind page
    by page with C(limit)/C(continue) and keeping only aggregates, so memory stays flat on large clusters.
  - "Collects: server version and served API versions; nodes (capacity, allocatable, instance types, zones,
    OS, kernel, container runtime); namespaces; workloads by kind (Deployment, StatefulSet, DaemonSet, Job,
    CronJob, bare Pod) with replicas and requested CPU/memory; Services by type; Ingresses and classes;
    ConfigMap and Secret counts; PV, PVC and StorageClasses; CRDs and custom resource counts; HPA; PDB; images."
  - Secret and ConfigMap values are never read (they are requested as metadata only) and never returned.
  - Evaluates findings with a severity (C(blocking), C(warning), C(info)), the affected objects and a suggested fix,
    and proposes the target (CCE version, worker flavor and count, storage class map, registry map, LoadBalancer
    annotation rewrites) in the formats the C(target_cluster) role and C(override_policy) accept.
  - With O(output_dir), writes C(assessment.json), C(assessment.md) and a self-contained C(assessment.html).
    Files are rewritten only when their content changes; they hold no timestamp.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.k8s_auth
  - ctyun.cce_migration.attributes
options:
  output_dir:
    description:
      - Directory to write C(assessment.json), C(assessment.md) and C(assessment.html) into; created if missing.
      - When not set, nothing is written and the module only returns the assessment.
    type: path
  target_version:
    description:
      - Kubernetes version planned for the CCE cluster. Removed-API findings are computed against it.
      - If it is older than the source version, the oldest CCE version not older than the source is proposed.
    type: str
    default: "1.29.3"
  storage_class_map_overrides:
    description:
      - Mapping from a source StorageClass name (or a provisioner name) to the CTyun StorageClass to use.
      - Wins over the built-in table of other clouds' provisioners.
    type: dict
    default: {}
  ctyun_registry:
    description:
      - CTyun image registry prefix (host and namespace) used as C(to) in the proposed C(registry_map).
    type: str
    default: registry.ctyun.local/migrated
  page_size:
    description:
      - Objects per list page (the C(limit) query parameter).
    type: int
    default: 500
  concurrency:
    description:
      - Number of kinds listed at the same time. Each kind is still read one page at a time.
    type: int
    default: 4
  headroom_percent:
    description:
      - Spare capacity added to the requested CPU and memory when sizing the worker nodes.
    type: int
    default: 30
  min_nodes:
    description:
      - Smallest number of worker nodes to propose.
    type: int
    default: 3
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The cluster is only read in any mode; in check mode no file is written, the result says which would be.
  diff_mode:
    description: Will return details on what has changed when in diff mode.
    support: full
    details: Shows the change of C(assessment.md) when a report file changes.
notes:
  - The CTyun storage class names, flavor names and LoadBalancer annotation keys of the proposal come from editable
    tables in C(plugins/module_utils/assess/tables.py); see C(docs/assessment.md).
seealso:
  - module: ctyun.cce_migration.cceone_cluster
"""

EXAMPLES = r"""
- name: Assess the source cluster and write the reports
  ctyun.cce_migration.cluster_assess:
    kubeconfig: "{{ source_kubeconfig }}"
    context: "{{ source_context }}"
    output_dir: "{{ migration_workdir }}/assessment"
    target_version: "1.29.3"
    storage_class_map_overrides:
      gp3: ctyun-ebs-ssd
  register: assessment

- name: Stop on blocking findings
  ansible.builtin.fail:
    msg: "{{ assessment.findings | selectattr('severity', 'equalto', 'blocking') | map(attribute='title') | list }}"
  when: assessment.summary.blocking > 0

- name: Feed the proposal on to the next stages
  ansible.builtin.set_fact:
    storage_class_map: "{{ assessment.proposal.storage_class_map }}"
    registry_map: "{{ assessment.proposal.registry_map }}"
"""

RETURN = r"""
assessment:
  description:
    - The collected facts; keys C(version), C(api), C(counts) (objects per kind), C(namespaces), C(nodes),
      C(workloads), C(services), C(ingresses), C(config) (ConfigMap/Secret counts only), C(storage), C(crds),
      C(hpa), C(pdb), C(images) (C(unique), C(registries), C(items) with registry, repository, tag, digest).
  returned: always
  type: dict
counts:
  description: Number of objects per kind read from the source.
  returned: always
  type: dict
  sample: {"Deployment": 30, "Service": 32, "Secret": 12}
findings:
  description: Findings sorted by severity, each with C(id), C(severity), C(category), C(title), C(affected),
    C(affected_total), C(fix) and C(details).
  returned: always
  type: list
  elements: dict
summary:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {"blocking": 0, "warning": 5, "info": 2}
proposal:
  description:
    - Proposed target. C(kubernetes_version), C(nodes) (flavor, count, reason), C(storage_class_map) (dict),
      C(registry_map) (list of C(from)/C(to)), C(lb_annotation_rewrites) (dict, null value = remove),
      C(override_policy) (C(registry_map), C(storage_class_map), C(remove_annotations), C(add_annotations) as
      M(ctyun.cce_migration.override_policy) takes them), and C(target_cluster) with the variables of the
      C(target_cluster) role.
  returned: always
  type: dict
files:
  description: Paths of the report files, when O(output_dir) is set.
  returned: when output_dir is set
  type: dict
files_changed:
  description: Report files written (or that would be written in check mode).
  returned: when output_dir is set
  type: list
  elements: str
requests:
  description: Number of GET requests sent and list pages read.
  returned: always
  type: dict
  sample: {"requests": 61, "pages": 40, "page_size": 500}
generated_at:
  description: UTC time the assessment was taken (kept out of the files so they stay stable).
  returned: always
  type: str
"""

import datetime

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    k8s_auth_argument_spec, merge_specs)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import auth_params
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess import report, tables
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess.assessment import build_document
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess.collect import Collector, Inventory


def argument_spec():
    return merge_specs(k8s_auth_argument_spec(), dict(
        output_dir=dict(type="path"),
        target_version=dict(type="str", default=tables.DEFAULT_TARGET_VERSION),
        storage_class_map_overrides=dict(type="dict", default={}),
        ctyun_registry=dict(type="str", default=tables.DEFAULT_CTYUN_REGISTRY),
        page_size=dict(type="int", default=500),
        concurrency=dict(type="int", default=4),
        headroom_percent=dict(type="int", default=30),
        min_nodes=dict(type="int", default=3),
    ))


def validate(params):
    if tables.parse_version(params["target_version"]) is None:
        raise ValidationError("target_version: %r is not a Kubernetes version; use e.g. 1.29.3"
                              % params["target_version"])
    if not 1 <= params["page_size"] <= 10000:
        raise ValidationError("page_size: %d is out of range; use 1 to 10000 (default 500)" % params["page_size"])
    if not 1 <= params["concurrency"] <= 32:
        raise ValidationError("concurrency: %d is out of range; use 1 to 32 (default 4)" % params["concurrency"])
    if not 0 <= params["headroom_percent"] <= 500:
        raise ValidationError("headroom_percent: %d is out of range; use 0 to 500 (default 30)"
                              % params["headroom_percent"])
    if params["min_nodes"] < 1:
        raise ValidationError("min_nodes: must be at least 1")
    for key, value in (params["storage_class_map_overrides"] or {}).items():
        if not isinstance(value, str) or not value:
            raise ValidationError("storage_class_map_overrides: the value for %r must be a CTyun StorageClass name"
                                  % key)


def run(mod):
    params = mod.params
    validate(params)
    generated_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    api = Rest(auth_params(params), pool_size=max(4, params["concurrency"]), what="the source cluster", timeout=60)
    collector = Collector(api, page_size=params["page_size"], concurrency=params["concurrency"])
    inventory = Inventory()
    try:
        collector.collect(inventory)
    finally:
        api.close()
    doc = build_document(inventory, target_version=params["target_version"],
                         storage_overrides=params["storage_class_map_overrides"],
                         ctyun_registry=params["ctyun_registry"], headroom=params["headroom_percent"] / 100.0,
                         min_nodes=params["min_nodes"])
    result = dict(assessment=doc["facts"], counts=doc["facts"]["counts"], findings=doc["findings"],
                  summary=doc["summary"], proposal=doc["proposal"], generated_at=generated_at,
                  requests=dict(requests=collector.requests, pages=collector.pages, page_size=params["page_size"]))
    if params.get("output_dir"):
        before_md = None
        md_path = "%s/assessment.md" % params["output_dir"].rstrip("/")
        if mod.diff_mode:
            try:
                with open(md_path) as fh:
                    before_md = fh.read()
            except OSError:
                before_md = ""
        changed, paths, changed_files = report.write_reports(mod.module, doc, params["output_dir"],
                                                             check_mode=mod.check_mode)
        result.update(files=paths, files_changed=changed_files)
        mod.changed(changed)
        if changed and mod.diff_mode and "assessment.md" in changed_files:
            mod.add_diff(before_md, report.render_markdown(doc), header=md_path)
    return result


def main():
    mod = CceMigrationModule(argument_spec(), supports_check_mode=True)
    mod.run(run)


if __name__ == "__main__":
    main()
