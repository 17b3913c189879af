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
  - Makes a CCE cluster, found by O(name), look like the options say, through the CCE ("ccse") OpenAPI as
    CTyun's own Terraform provider drives it (paths, bodies and status words are listed in docs/cce.md).
  - A missing cluster is ordered (C(POST /v2/cce/clusters/create) answers with an order, not a cluster). With
    O(wait) the module then finds the cluster by name and waits until it runs and all its nodes are normal,
    failing at once on C(create_fail) or a refunded order with the reason of the failed task.
  - A create whose answer is lost never places a second order; the cluster is looked up by name first.
  - On an existing cluster, mutable differences are changed in place (O(workers.count), O(node_pools) added or
    scaled, O(description), O(tags)). Immutable differences (series, version, VPC/subnet, network, control-plane
    count, runtime, kube-proxy mode, port range) make the module fail before any change, listing each field with
    its current and wanted value.
  - Options left unset are not compared with an existing cluster. When creating, unset options take the
    values of the CCE One guide's plan (see each option).
  - Input is checked before any write against the provider's rules; O(kubernetes_version) against the versions
    the region offers and every flavour against the region's ECS flavour list.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.attributes
options:
  state:
    description:
      - V(present) creates or updates the cluster; V(absent) places the unsubscribe order.
      - With V(absent), a cluster that still has nodes is only deleted with O(force_delete=true).
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Cluster name (C(clusterName)), unique in the region. The cluster is found by this name.
    type: str
    required: true
  cluster_series:
    description:
      - V(standard) (专有版, C(cce.standard)) has control-plane hosts of your own (O(control_plane));
        V(managed) (托管版, C(cce.managed)) has a managed control plane sized by O(managed). Immutable.
      - Defaults to V(standard) when creating (the guide's 3 control-plane nodes).
    type: str
    choices: [standard, managed]
  managed:
    description: The managed control plane (only with O(cluster_series=managed)).
    type: dict
    suboptions:
      series_type:
        description: V(managedbase) (single instance) or V(managedpro) (HA). Required for a managed cluster.
        type: str
        choices: [managedbase, managedpro]
      node_scale:
        description: Node scale; V(10) for managedbase, V(50) (default), V(200), V(1000) or V(2000) for managedpro.
        type: int
  kubernetes_version:
    description:
      - Kubernetes version (C(clusterVersion)), for example V(1.29.3) (the guide). Must be offered by the
        region's versions endpoint. Immutable. Required to create.
    type: str
  cluster_domain:
    description: Cluster DNS domain (C(clusterDomain)). Immutable. Defaults to V(cluster.local).
    type: str
  vpc_id:
    description: VPC of the cluster (C(vpcUuid)). Immutable. Required to create.
    type: str
  subnet_id:
    description: Subnet of the nodes (C(subnetUuid)). Immutable. Required to create.
    type: str
  security_group_id:
    description: Security group of the nodes; unset, CCE generates one (C(autoGenerateSecurityGroup)).
    type: str
  zones:
    description:
      - Availability zone names of the region. Control-plane nodes and workers are spread over them in order
        (C(deployType) V(single) for one zone, V(multi) for more). Required to create.
    type: list
    elements: str
  network:
    description: Container network. Immutable.
    type: dict
    suboptions:
      plugin:
        description: V(cubecni) (the guide; pods use VPC addresses) or V(calico). Defaults to V(cubecni).
        type: str
        choices: [cubecni, calico]
      pod_subnet_ids:
        description: Subnets of the VPC for pod addresses (C(podSubnetUuidList)), at most 10. Required with cubecni.
        type: list
        elements: str
      pod_cidr:
        description: Pod CIDR (C(podCidr)); calico only, and required there. Must not overlap O(network.service_cidr).
        type: str
      service_cidr:
        description: Service CIDR (C(serviceCidr)). Defaults to V(10.96.0.0/16).
        type: str
  api_server:
    description: The API server's load balancer. Not returned by the API, so not compared on an existing cluster.
    type: dict
    suboptions:
      elb_spec:
        description: ELB spec (C(elbProdCode)); the guide's 标准型I is V(standardI) (the default).
        type: str
        choices: [standardI, standardII, enhancedI, enhancedII, higherI]
      public_eip:
        description: Also give the API server an on-demand EIP (public access). Default V(false) (private ELB).
        type: bool
  control_plane:
    description: Control-plane hosts of a V(standard) cluster (C(masterHost)).
    type: dict
    suboptions:
      count:
        description: Number of control-plane nodes, 1, 3 or 5, spread over O(zones). Immutable. Default V(3).
        type: int
      flavor:
        description: ECS flavour name of at least 4C8G, for example V(s7.xlarge.2). Required to create.
        type: str
      sys_disk:
        description: System disk, type V(SATA), V(SAS) or V(SSD) and size 80-2040 GB. Default SSD 100 GB.
        type: dict
        suboptions:
          type: {description: "Disk type", type: str, choices: [SATA, SAS, SSD]}
          size: {description: "Size in GB", type: int}
  workers:
    description: The worker group created with the cluster (C(slaveHost)); it becomes the cluster's default node pool.
    type: dict
    suboptions:
      flavor:
        description: ECS flavour name, for example V(s7.xlarge.2) (4C8G, the guide's 通用型4C8G). Required to create.
        type: str
      count:
        description: Number of workers, at least one per zone. Mutable (the default pool is scaled). Default V(3).
        type: int
      zones:
        description: Zones of the workers; default O(zones).
        type: list
        elements: str
      image_id:
        description: Image id of the region's CCE node image (C(foreignMirrorId)), for example its CTyunOS 23.01 image.
        type: str
      image_type:
        description: V(public) (default) or V(private) image.
        type: str
        choices: [public, private]
      sys_disk:
        description: System disk (80-2040 GB). Default SSD 100 GB.
        type: dict
        suboptions:
          type: {description: "Disk type", type: str, choices: [SATA, SAS, SSD]}
          size: {description: "Size in GB", type: int}
      data_disks:
        description: Data disks (10-20000 GB each).
        type: list
        elements: dict
        suboptions:
          type: {description: "Disk type", type: str, choices: [SATA, SAS, SSD], required: true}
          size: {description: "Size in GB", type: int, required: true}
  container_runtime:
    description: V(containerd) (default) or V(docker). Immutable.
    type: str
    choices: [containerd, docker]
  kube_proxy:
    description: kube-proxy mode, V(ipvs) (default) or V(iptables). Immutable.
    type: str
    choices: [iptables, ipvs]
  timezone:
    description: Time zone of the nodes. Default V(Asia/Shanghai).
    type: str
  node_port_range:
    description: NodePort range, within 30000-65535 and wider than 20. Immutable. Default 30000-32767.
    type: dict
    suboptions:
      start: {description: "First port", type: int, required: true}
      end: {description: "Last port", type: int, required: true}
  billing:
    description: How the cluster and its node pools are paid. Default on demand.
    type: dict
    suboptions:
      mode:
        description: V(on_demand), V(month) or V(year) (a subscription).
        type: str
        choices: [on_demand, month, year]
      period:
        description: Months (1-11) or years (1-3) of a subscription.
        type: int
      auto_renew:
        description: Renew a subscription automatically.
        type: bool
  node_pools:
    description:
      - Further node pools, by name. A missing pool is created (C(POST .../nodepool), which takes no count) and then
        scaled up to O(node_pools[].count); an existing pool is scaled up or down to it. Scaling is relative in the
        API; every step reads the pool first, so a retried step never adds nodes twice.
      - Pools not listed are left as they are (with a warning).
    type: list
    elements: dict
    suboptions:
      name: {description: "Node pool name", type: str, required: true}
      flavor: {description: "ECS flavour name; immutable; required to add the pool", type: str}
      count: {description: "Number of nodes (mutable; default V(0))", type: int}
      image_id: {description: "Node image id (C(imageUuid)); immutable; required to add the pool", type: str}
      image_type: {description: "Public or private image", type: str, choices: [public, private]}
      zones: {description: "Zones of the pool (default O(zones))", type: list, elements: str}
      sys_disk:
        description: System disk (40-2040 GB). Default SSD 100 GB.
        type: dict
        suboptions:
          type: {description: "Disk type", type: str, choices: [SATA, SAS, SSD]}
          size: {description: "Size in GB", type: int}
      data_disks:
        description: Data disks (10-20000 GB each).
        type: list
        elements: dict
        suboptions:
          type: {description: "Disk type", type: str, choices: [SATA, SAS, SSD], required: true}
          size: {description: "Size in GB", type: int, required: true}
      max_pods: {description: "Pods per node (default V(110))", type: int}
      key_name: {description: "Key pair name for logging in to the nodes (with O(node_pools[].key_pair_id))", type: str}
      key_pair_id: {description: "Key pair id", type: str}
      password:
        description: Node login password (8-30 characters, three character classes) instead of a key pair.
        type: str
  description:
    description: Description of the cluster (C(clusterDesc)). Mutable.
    type: str
  tags:
    description:
      - Tags of the cluster, written through the tag API as C(key=value) strings. Mutable. With O(purge_tags=true)
        tags not listed are removed.
    type: dict
  purge_tags:
    description: Remove tags not listed in O(tags). Ignored when O(tags) is not set.
    type: bool
    default: true
  force_delete:
    description: With O(state=absent), delete the cluster even though node pools still have nodes.
    type: bool
    default: false
  kubeconfig_path:
    description:
      - Write the running cluster's admin kubeconfig (C(GET .../certificate/kubeconfig)) to this file, mode 0600.
        Its content is not returned. The file is rewritten only when the content changes.
    type: path
  kubeconfig_type:
    description: V(internal) (inside the VPC, C(isPublic=false)) or V(external) (through the API server's EIP).
    type: str
    choices: [internal, external]
    default: internal
  return_kubeconfig:
    description:
      - Return the kubeconfig content as RV(kubeconfig). The task must set C(no_log) to V(true), else the module
        fails before doing anything, so the credentials in it cannot reach logs.
    type: bool
    default: false
notes:
  - Creating takes 10-20 minutes on CTyun; set O(wait_timeout) accordingly (the provider waits up to 30 minutes).
  - Deleting is an unsubscribe order; with O(wait=true) the module waits until the cluster is no longer listed.
seealso:
  - module: ctyun.cce_migration.cce_cluster_info
"""

EXAMPLES = r"""
- name: Create the target cluster of the CCE One guide's plan
  ctyun.cce_migration.cce_cluster:
    name: cce-prod-01
    region_id: cn-huadong1
    cluster_series: standard
    kubernetes_version: 1.29.3
    vpc_id: vpc-0a1b2c3d
    subnet_id: subnet-4e5f6a7b
    zones: [cn-huadong1-jsnj1A-public-ctcloud]
    network:
      plugin: cubecni
      pod_subnet_ids: [subnet-9c8d7e6f]
      service_cidr: 10.96.0.0/16
    api_server:
      elb_spec: standardI        # private ELB, 标准型I
      public_eip: false
    control_plane:
      count: 3
      flavor: s7.xlarge.2        # 4C8G
    workers:
      flavor: s7.xlarge.2        # 通用型 4C8G
      count: 3
      image_id: "{{ ctyunos_2301_image_id }}"   # the region's CTyunOS 23.01 CCE node image
    container_runtime: containerd
    kube_proxy: ipvs
    billing:
      mode: on_demand
    tags:
      project: migration
    description: Target of the migration from the old cloud
    kubeconfig_path: "{{ migration_workdir }}/target.kubeconfig"
    wait_timeout: 1800

- name: A managed (托管版) cluster with calico
  ctyun.cce_migration.cce_cluster:
    name: cce-managed-01
    cluster_series: managed
    managed: {series_type: managedpro, node_scale: 50}
    kubernetes_version: 1.29.3
    vpc_id: vpc-0a1b2c3d
    subnet_id: subnet-4e5f6a7b
    zones: [cn-huadong1-jsnj1A-public-ctcloud, cn-huadong1-jsnj2A-public-ctcloud]
    network: {plugin: calico, pod_cidr: 172.16.0.0/16}
    workers: {flavor: s7.xlarge.2, count: 2, image_id: "{{ ctyunos_2301_image_id }}"}

- name: Scale the workers to 5 nodes and add a batch pool
  ctyun.cce_migration.cce_cluster:
    name: cce-prod-01
    workers:
      count: 5
    node_pools:
      - name: batch
        flavor: s7.2xlarge.2
        image_id: "{{ ctyunos_2301_image_id }}"
        key_name: ops
        key_pair_id: "{{ ops_key_pair_id }}"
        count: 2

- name: Delete a cluster that still has nodes
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
  description: The cluster after the run (in check mode, as it would be). None once deleted.
  returned: always
  type: dict
  sample:
    id: 8a0c3b2e-5d4f-4e6a-9b1c-2d3e4f5a6b7c
    name: cce-prod-01
    status: normal
    biz_state: 1
    cluster_series: standard
    kubernetes_version: 1.29.3
    vpc_id: vpc-0a1b2c3d
    subnet_id: subnet-4e5f6a7b
    network_plugin: cubecni
    pod_cidr: 192.168.0.0/16
    service_cidr: 10.96.0.0/16
    container_runtime: containerd
    kube_proxy: ipvs
    timezone: Asia/Shanghai
    node_port_range: {start: 30000, end: 32767}
    control_plane_count: 3
    worker_count: 3
    api_server: {address: 192.168.0.10, eip: null}
    description: Target of the migration
    billing_mode: on_demand
    tags: {project: migration}
    node_pools:
      - {id: np-000002, name: default-pool, flavor: s7.xlarge.2, image_id: img-ctyunos2301, count: 3, ready: 3,
         status: normal, default: true}
    created_at: "2026-11-25 09:30:29"
    region_id: cn-huadong1
plan:
  description:
    - What the module decided for O(state=present). C(action) is V(create), V(update), V(none) or V(fail);
      C(immutable) lists C(field), C(current), C(wanted); C(modify), C(scale), C(add_pools) the mutable changes.
  returned: when state is present
  type: dict
actions:
  description: What was done (or would be done in check mode), in words.
  returned: always
  type: list
  elements: str
  sample: ["order cluster cce-prod-01", "wrote kubeconfig to /srv/migration/target.kubeconfig"]
order:
  description: The order placed (C(order_id), C(order_no)); empty values when its answer was lost.
  returned: when a create or delete order was placed
  type: dict
recovered_lost_response:
  description: True when an order's answer was lost and the cluster was found by name instead of ordered twice.
  returned: when a create or delete order was placed
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
  description: Why O(state=absent) deletes, waits for or refuses the deletion (for example nodes left without
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

DISK = dict(type="dict", options=dict(type=dict(type="str", choices=["SATA", "SAS", "SSD"]), size=dict(type="int")))
DATA_DISKS = dict(type="list", elements="dict", options=dict(
    type=dict(type="str", choices=["SATA", "SAS", "SSD"], required=True), size=dict(type="int", required=True)))
MODULE_SPEC = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    name=dict(type="str", required=True),
    cluster_series=dict(type="str", choices=["standard", "managed"]),
    managed=dict(type="dict", options=dict(series_type=dict(type="str", choices=["managedbase", "managedpro"]),
                                           node_scale=dict(type="int"))),
    kubernetes_version=dict(type="str"),
    cluster_domain=dict(type="str"),
    vpc_id=dict(type="str"),
    subnet_id=dict(type="str"),
    security_group_id=dict(type="str"),
    zones=dict(type="list", elements="str"),
    network=dict(type="dict", options=dict(
        plugin=dict(type="str", choices=["cubecni", "calico"]),
        pod_subnet_ids=dict(type="list", elements="str"),
        pod_cidr=dict(type="str"),
        service_cidr=dict(type="str"))),
    api_server=dict(type="dict", options=dict(
        elb_spec=dict(type="str", choices=["standardI", "standardII", "enhancedI", "enhancedII", "higherI"]),
        public_eip=dict(type="bool"))),
    control_plane=dict(type="dict", options=dict(count=dict(type="int"), flavor=dict(type="str"), sys_disk=DISK)),
    workers=dict(type="dict", options=dict(
        flavor=dict(type="str"), count=dict(type="int"), zones=dict(type="list", elements="str"),
        image_id=dict(type="str"), image_type=dict(type="str", choices=["public", "private"]),
        sys_disk=DISK, data_disks=DATA_DISKS)),
    container_runtime=dict(type="str", choices=["containerd", "docker"]),
    kube_proxy=dict(type="str", choices=["iptables", "ipvs"]),
    timezone=dict(type="str"),
    node_port_range=dict(type="dict", options=dict(start=dict(type="int", required=True),
                                                   end=dict(type="int", required=True))),
    billing=dict(type="dict", options=dict(mode=dict(type="str", choices=["on_demand", "month", "year"]),
                                           period=dict(type="int"), auto_renew=dict(type="bool"))),
    node_pools=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        flavor=dict(type="str"),
        count=dict(type="int"),
        image_id=dict(type="str"),
        image_type=dict(type="str", choices=["public", "private"]),
        zones=dict(type="list", elements="str"),
        sys_disk=DISK,
        data_disks=DATA_DISKS,
        max_pods=dict(type="int"),
        key_name=dict(type="str"),
        key_pair_id=dict(type="str", no_log=False),
        password=dict(type="str", no_log=True))),
    description=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    force_delete=dict(type="bool", default=False),
    kubeconfig_path=dict(type="path"),
    kubeconfig_type=dict(type="str", choices=["internal", "external"], default="internal"),
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
