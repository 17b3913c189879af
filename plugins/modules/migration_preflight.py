#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: migration_preflight
short_description: Check that a migration to CTyun CCE can start
version_added: 0.1.0
description:
  - Checks, without changing anything, that CTyun credentials are present, the CTyun OpenAPI
    and the source cluster's API server answer, the planned CCE version is offered and not older
    than the source, and the region's quotas leave room for the target cluster.
  - Every failed check is reported at once, as a list of reasons, so one run tells everything to fix.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  source:
    description: Access to the source cluster's API server.
    type: dict
    required: true
  target_version:
    description: Kubernetes version planned for the CCE cluster.
    type: str
    default: 1.29.3
  target_cluster_name:
    description:
      - Name of the planned CCE cluster. When a cluster of that name exists already (a re-run),
        the cluster quota is not required again.
    type: str
  node_count:
    description: Worker nodes the target cluster needs (checked against the C(node) quota).
    type: int
    default: 0
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.k8s_auth.SOURCE
  - ctyun.cce_migration.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Preflight of the migration (credentials from CTYUN_* environment variables)
  ctyun.cce_migration.migration_preflight:
    source:
      kubeconfig: ~/.kube/config
      context: aliyun-prod
    target_version: 1.29.3
    target_cluster_name: cce-prod-01
    node_count: 3
"""

RETURN = r"""
reasons:
  description: Every reason the migration cannot start; empty when all checks passed.
  returned: always
  type: list
  elements: str
source_version:
  description: Version reported by the source API server.
  returned: when the source answered
  type: str
  sample: v1.22.17
supported_versions:
  description: Kubernetes versions CCE offers in the region.
  returned: when the CTyun API answered
  type: list
  elements: str
quotas:
  description: 'CCE quotas of the region, C({name: {limit, used, available}}).'
  returned: when the CTyun API answered
  type: dict
target_exists:
  description: Whether a CCE cluster named O(target_cluster_name) exists already.
  returned: when the CTyun API answered
  type: bool
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    ctyun_auth_argument_spec, k8s_auth_suboptions, merge_specs)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.preflight import checks


def _source_version(auth):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import build_api_client
    from kubernetes import client as k8s_client

    api = build_api_client(auth)
    try:
        return k8s_client.VersionApi(api).get_code().git_version
    finally:
        api.close()


def run(mod):
    params = mod.params
    reasons = checks.check_credentials(params)
    result = dict(reasons=reasons)

    source_auth = dict((k, params["source"].get(k))
                       for k in ("kubeconfig", "context", "host", "api_key", "validate_certs", "ca_cert"))
    source_version, failed = checks.guarded("source cluster API not reachable",
                                            lambda: _source_version(source_auth))
    reasons.extend(failed)
    if source_version:
        result["source_version"] = source_version

    supported = None
    if not checks.check_credentials(params):
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce, transformations
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient

        client, failed = checks.guarded("CTyun OpenAPI", lambda: CtyunClient(params))
        reasons.extend(failed)
        if client is not None:
            supported, failed = checks.guarded("CTyun OpenAPI not usable (versions)", lambda: (
                transformations.versions_from_api(cce.list_versions(client))))
            reasons.extend(failed)
            quotas, failed = checks.guarded("CTyun OpenAPI not usable (quotas)", lambda: (
                transformations.quotas_from_api(cce.get_quotas(client))))
            reasons.extend(failed)
            exists = False
            if params["target_cluster_name"]:
                found, failed = checks.guarded("CTyun OpenAPI not usable (clusters)", lambda: (
                    cce.find_cluster(client, params["target_cluster_name"])))
                reasons.extend(failed)
                exists = found is not None
                result["target_exists"] = exists
            if supported is not None:
                result["supported_versions"] = supported
            if quotas is not None:
                result["quotas"] = quotas
                needed = {"cluster": 0 if exists else 1, "node": 0 if exists else params["node_count"]}
                reasons.extend(checks.check_quotas(quotas, needed))
    reasons.extend(checks.check_versions(source_version, params["target_version"], supported))
    if reasons:
        result["failed_msg"] = "Preflight found %d problem(s): %s" % (len(reasons), "; ".join(reasons))
    return result


def main():
    argument_spec = merge_specs(ctyun_auth_argument_spec(), dict(
        source=dict(type="dict", required=True, options=k8s_auth_suboptions()),
        target_version=dict(type="str", default="1.29.3"),
        target_cluster_name=dict(type="str"),
        node_count=dict(type="int", default=0),
    ))
    CceMigrationModule(argument_spec).run(run)


if __name__ == "__main__":
    main()
