#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: cce_cluster
short_description: Create, update or delete a CTyun CCE cluster
version_added: 0.1.0
description:
  - Makes a CCE cluster, found by O(name), look like the options say, through the CTyun OpenAPI.
  - A missing cluster is created (asynchronously; with O(wait) the module waits until it runs).
  - On an existing cluster, mutable differences are updated in place (node pool size, new node pools,
    O(description), O(tags)). Immutable differences (Kubernetes version, CIDRs, network plugin, cluster type,
    VPC/subnet, control-plane count, API server exposure, node pool flavour/OS/disk) make the module fail
    before any change, listing each field with its current and wanted value.
  - Options left unset are not compared with an existing cluster. When creating, unset options take the
    values of the CCE One guide's plan (see each option).
  - Input is checked before any change; O(kubernetes_version) is checked against the versions the region offers.
  - A create whose answer is lost is never repeated blindly; the module looks the cluster up by name first.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.attributes
options:
  state:
    description:
      - V(present) creates or updates the cluster; V(absent) deletes it.
      - With V(absent), a cluster that still has node pools is only deleted with O(force_delete=true).
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Cluster name, unique in the region. The cluster is found by this name.
    type: str
    required: true
  cluster_type:
    description: Cluster type. Immutable. Defaults to V(Host) when creating.
    type: str
    choices: [Virtual, Host, Intelligent]
  kubernetes_version:
    description:
      - Kubernetes version, for example V(1.29.3) (the guide's plan). Must be offered by the region's versions
        endpoint. Immutable (upgrades are not done by this module). Required to create.
    type: str
  vpc_id:
    description: VPC of the cluster. Immutable. Required to create.
    type: str
  subnet_id:
    description: Subnet of the control plane and nodes. Immutable. Required to create.
    type: str
  network_plugin:
    description: Container network plugin. Immutable. Defaults to V(cubecni) when creating.
    type: str
    choices: [cubecni, calico, flannel]
  pod_cidr:
    description: Pod network CIDR. Must not overlap O(service_cidr). Immutable. Defaults to V(172.16.0.0/16).
    type: str
  service_cidr:
    description: Service network CIDR. Immutable. Defaults to V(10.96.0.0/16) when creating.
    type: str
  control_plane_count:
    description: Number of control-plane nodes, 1, 3 or 5. Immutable. Defaults to V(3) when creating (the guide).
    type: int
  api_server:
    description: How the API server is exposed. Immutable.
    type: dict
    suboptions:
      exposure:
        description: V(private_elb) (the guide), V(public_elb) or V(none). Defaults to V(private_elb) when creating.
        type: str
        choices: [private_elb, public_elb, none]
      elb_spec:
        description: ELB specification, for example V(standard I) (the guide). Defaults to V(standard I).
        type: str
  node_pools:
    description:
      - Worker node pools, by name. A pool that does not exist yet is added; the node count of an existing pool
        is scaled to O(node_pools[].count). Pools not listed are left as they are (with a warning).
    type: list
    elements: dict
    suboptions:
      name:
        description: Node pool name, unique in the cluster.
        type: str
        required: true
      flavor:
        description: Node flavour, for example V(general 4C8G) (the guide) or an ECS flavour name like V(s7.xlarge.2).
        type: str
      os_image:
        description: Worker OS image, for example V(ctyunos23.01) (the guide).
        type: str
      count:
        description: Number of nodes. Mutable.
        type: int
      disk_size:
        description: System disk size in GB (at least 40). Defaults to V(100) when creating.
        type: int
      disk_type:
        description: System disk type. Defaults to V(SSD) when creating.
        type: str
  description:
    description: Description of the cluster. Mutable.
    type: str
  tags:
    description: Tags of the cluster. Mutable. With O(purge_tags=true) tags not listed are removed.
    type: dict
  purge_tags:
    description: Remove tags not listed in O(tags). Ignored when O(tags) is not set.
    type: bool
    default: true
  force_delete:
    description: With O(state=absent), delete the cluster even though it still has node pools (and their nodes).
    type: bool
    default: false
  kubeconfig_path:
    description:
      - Write the running cluster's kubeconfig to this file, mode 0600. Its content is not returned.
      - The file is rewritten only when the content changes.
    type: path
  kubeconfig_type:
    description: Which address the kubeconfig uses, V(internal) (inside the VPC) or V(external).
    type: str
    choices: [internal, external]
    default: external
  return_kubeconfig:
    description:
      - Return the kubeconfig content as RV(kubeconfig). The task must set C(no_log) to V(true), else the module
        fails before doing anything, so the credentials in it cannot reach logs.
    type: bool
    default: false
notes:
  - Deleting waits until the cluster is gone when O(wait=true).
  - A cluster that is being created is waited for (O(wait)) before it is changed.
seealso:
  - module: ctyun.cce_migration.cce_cluster_info
"""

EXAMPLES = r"""
- name: Create the target cluster of the CCE One guide's plan
  ctyun.cce_migration.cce_cluster:
    name: cce-prod-01
    region_id: cn-huadong1
    kubernetes_version: 1.29.3
    cluster_type: Host
    vpc_id: vpc-0a1b2c3d
    subnet_id: subnet-4e5f6a7b
    network_plugin: cubecni
    pod_cidr: 172.16.0.0/16
    service_cidr: 10.96.0.0/16
    api_server:
      exposure: private_elb
      elb_spec: standard I
    control_plane_count: 3
    node_pools:
      - name: workers
        flavor: general 4C8G
        os_image: ctyunos23.01
        count: 3
        disk_size: 100
    tags:
      project: migration
    description: Target of the migration from the old cloud
    kubeconfig_path: "{{ migration_workdir }}/target.kubeconfig"
    wait_timeout: 1800  # creating a CCE cluster takes 10-20 minutes

- name: Scale the workers to 5 nodes (a mutable change)
  ctyun.cce_migration.cce_cluster:
    name: cce-prod-01
    node_pools:
      - name: workers
        count: 5

- name: Delete a cluster that still has node pools
  ctyun.cce_migration.cce_cluster:
    name: cce-test-01
    state: absent
    force_delete: true

- name: Read the kubeconfig into a variable
  ctyun.cce_migration.cce_cluster:
    name: cce-prod-01
    return_kubeconfig: true
  no_log: true
  register: target
"""

RETURN = r"""
cluster:
  description: The cluster after the run (in check mode, as it would be). Empty/None once deleted.
  returned: always
  type: dict
  sample:
    id: cce-000001
    name: cce-prod-01
    status: running
    cluster_type: Host
    kubernetes_version: 1.29.3
    vpc_id: vpc-0a1b2c3d
    subnet_id: subnet-4e5f6a7b
    network_plugin: cubecni
    pod_cidr: 172.16.0.0/16
    service_cidr: 10.96.0.0/16
    control_plane_count: 3
    api_server: {exposure: private_elb, elb_spec: standard I}
    description: Target of the migration
    tags: {project: migration}
    node_pools:
      - {id: np-000002, name: workers, flavor: general 4C8G, os_image: ctyunos23.01, count: 3,
         disk_size: 100, disk_type: SSD, status: active}
    created_at: "2026-11-25T01:30:29Z"
    region_id: cn-huadong1
plan:
  description:
    - What the module decided for O(state=present). C(action) is V(create), V(update) or V(none);
      C(immutable) lists C(field), C(current), C(wanted); C(modify), C(scale), C(add_pools) the mutable changes.
  returned: when state is present
  type: dict
actions:
  description: What was done (or would be done in check mode), in words.
  returned: always
  type: list
  elements: str
  sample: ["create cluster cce-prod-01", "wrote kubeconfig to /srv/migration/target.kubeconfig"]
recovered_lost_response:
  description: True when the create's answer was lost and the cluster was found by name instead of created twice.
  returned: when the cluster was created
  type: bool
kubeconfig_path:
  description: Where the kubeconfig was written.
  returned: when O(kubeconfig_path) is set
  type: str
kubeconfig:
  description: The kubeconfig content.
  returned: when O(return_kubeconfig=true)
  type: str
reason:
  description: Why O(state=absent) deletes, waits for or refuses the deletion (for example node pools left without
    O(force_delete)).
  returned: when state is absent
  type: str
immutable:
  description: On failure because of immutable differences, each field with its current and wanted value.
  returned: on failure
  type: list
  elements: dict
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    ctyun_auth_argument_spec, merge_specs, require_ctyun_credentials, wait_argument_spec)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce_ops, cce_plan

MODULE_SPEC = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    name=dict(type="str", required=True),
    cluster_type=dict(type="str", choices=["Virtual", "Host", "Intelligent"]),
    kubernetes_version=dict(type="str"),
    vpc_id=dict(type="str"),
    subnet_id=dict(type="str"),
    network_plugin=dict(type="str", choices=["cubecni", "calico", "flannel"]),
    pod_cidr=dict(type="str"),
    service_cidr=dict(type="str"),
    control_plane_count=dict(type="int"),
    api_server=dict(type="dict", options=dict(
        exposure=dict(type="str", choices=["private_elb", "public_elb", "none"]),
        elb_spec=dict(type="str"))),
    node_pools=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        flavor=dict(type="str"),
        os_image=dict(type="str"),
        count=dict(type="int"),
        disk_size=dict(type="int"),
        disk_type=dict(type="str"))),
    description=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    force_delete=dict(type="bool", default=False),
    kubeconfig_path=dict(type="path"),
    kubeconfig_type=dict(type="str", choices=["internal", "external"], default="external"),
    return_kubeconfig=dict(type="bool", default=False),
)


def run(mod):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient

    params = mod.params
    require_ctyun_credentials(params)
    if params["return_kubeconfig"] and not mod.module.no_log:
        raise ValidationError("return_kubeconfig: true returns credentials; set no_log: true on the task "
                              "(or use kubeconfig_path to write them to a 0600 file instead)")
    if params["state"] == "present":
        cce_plan.validate(cce_ops.spec_from_params(params))
    client = CtyunClient(params, log=mod.log)
    try:
        if params["state"] == "absent":
            return cce_ops.ensure_absent(mod, client, params)
        return cce_ops.ensure_present(mod, client, params)
    finally:
        client.close()


def main():
    mod = CceMigrationModule(merge_specs(ctyun_auth_argument_spec(), wait_argument_spec(), MODULE_SPEC),
                             supports_check_mode=True)
    mod.run(run)


if __name__ == "__main__":
    main()
