#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: cce_cluster_info
short_description: List CTyun CCE clusters, supported versions, quotas, node pools and tasks
version_added: 0.1.0
description:
  - Reads CCE through the CTyun OpenAPI; never changes anything.
  - Lists the region's clusters (or the one named O(name), or the one with id O(cluster_id)), and on request
    the Kubernetes versions offered, the quotas, and per cluster its node pools and tasks.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.attributes.INFO_MODULE
options:
  name:
    description: Only the cluster with exactly this name.
    type: str
  cluster_id:
    description: Only the cluster with this id.
    type: str
  gather:
    description:
      - What to read. V(clusters) lists the clusters; V(node_pools) and V(tasks) add them to each cluster listed;
        V(versions) and V(quotas) are region-wide.
    type: list
    elements: str
    choices: [clusters, node_pools, tasks, versions, quotas]
    default: [clusters]
"""

EXAMPLES = r"""
- name: Versions and quotas before planning the target cluster
  ctyun.cce_migration.cce_cluster_info:
    gather: [versions, quotas]
  register: cce_facts

- name: Fail early when the guide's version is not offered
  ansible.builtin.assert:
    that: "'1.29.3' in cce_facts.versions"

- name: Describe one cluster with its node pools
  ctyun.cce_migration.cce_cluster_info:
    name: cce-prod-01
    gather: [clusters, node_pools, tasks]
  register: target
"""

RETURN = r"""
clusters:
  description:
    - The clusters found, in the shape of the C(cluster) value of M(ctyun.cce_migration.cce_cluster).
  returned: when O(gather) contains V(clusters), V(node_pools) or V(tasks)
  type: list
  elements: dict
  sample:
    - {id: 8a0c3b2e-5d4f-4e6a-9b1c-2d3e4f5a6b7c, name: cce-prod-01, status: normal, biz_state: 1,
       kubernetes_version: 1.29.3, network_plugin: cubecni,
       node_pools: [{name: default-pool, flavor: s7.xlarge.2, image_id: img-ctyunos2301, count: 3, ready: 3,
                     default: true}], tasks: []}
versions:
  description: Kubernetes versions the region offers.
  returned: when O(gather) contains V(versions)
  type: list
  elements: str
  sample: ["1.31.1", "1.29.3", "1.27.8"]
quotas:
  description:
    - Quotas by name, each with C(limit), C(used) and C(available) (null when unlimited), from
      C(quotaCenterDataList). The provider does not name the item fields; items without a quota name are left out,
      so an empty result means "unknown", not "no quota".
  returned: when O(gather) contains V(quotas)
  type: dict
  sample: {cluster: {limit: 5, used: 1, available: 4}, node: {limit: 50, used: 3, available: 47}}
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    ctyun_auth_argument_spec, merge_specs, require_ctyun_credentials)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule

MODULE_SPEC = dict(
    name=dict(type="str"),
    cluster_id=dict(type="str"),
    gather=dict(type="list", elements="str", default=["clusters"],
                choices=["clusters", "node_pools", "tasks", "versions", "quotas"]),
)


def run(mod):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.transformations import (
        cluster_from_api, quotas_from_api, task_from_api, versions_from_api)

    params = mod.params
    require_ctyun_credentials(params)
    gather = set(params["gather"])
    client = CtyunClient(params, log=mod.log)
    result = {}
    try:
        if gather & set(["clusters", "node_pools", "tasks"]):
            if params["cluster_id"]:
                found = [c for c in [cce.get_cluster(client, params["cluster_id"])] if c]
            else:
                found = [c for c in cce.list_clusters(client, name=params["name"]) if not cce.is_gone(c)]
            if params["name"]:
                found = [c for c in found if c.get("clusterName") == params["name"]]
            clusters = []
            for obj in found:
                cluster_id = obj.get("id") or params["cluster_id"]
                pools = cce.list_nodepools(client, cluster_id) if "node_pools" in gather else []
                cluster = cluster_from_api(dict(obj, id=cluster_id), pools)
                if "node_pools" not in gather:
                    cluster.pop("node_pools")
                if "tasks" in gather:
                    cluster["tasks"] = [task_from_api(t) for t in cce.list_tasks(client, cluster_id)]
                clusters.append(cluster)
            result["clusters"] = clusters
        if "versions" in gather:
            result["versions"] = versions_from_api(cce.list_versions(client))
        if "quotas" in gather:
            result["quotas"] = quotas_from_api(cce.get_quotas(client))
    finally:
        client.close()
    return result


def main():
    mod = CceMigrationModule(merge_specs(ctyun_auth_argument_spec(), MODULE_SPEC), supports_check_mode=True,
                             mutually_exclusive=[["name", "cluster_id"]])
    mod.run(run)


if __name__ == "__main__":
    main()
