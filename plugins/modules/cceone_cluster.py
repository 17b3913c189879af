#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: cceone_cluster
short_description: Register a cluster in CCE One
version_added: 0.1.0
description:
  - Registers an external Kubernetes cluster (the source, from its kubeconfig) or a CCE cluster (by id) in
    CCE One, and waits until CCE One reports it C(connected) - the guide's stage 1 and stage 3.
  - Idempotent by name. A registered cluster of the same name but another type or CCE id is reported, not changed.
  - C(state=absent) removes the registration (not the cluster); CCE One refuses while the cluster is a fleet member.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  name:
    description: Name of the registered cluster in CCE One; it becomes the Karmada member name when the fleet is bound.
    type: str
    required: true
  state:
    description: Whether the cluster is registered.
    type: str
    choices: [present, absent]
    default: present
  type:
    description: C(external) imports a cluster by kubeconfig; C(cce) registers a CCE cluster by id.
    type: str
    choices: [external, cce]
    default: external
  kubeconfig:
    description:
      - With O(type=external), path to the kubeconfig of the cluster (or its content as a dict). Only the
        O(context) entry is sent to CCE One; its content is never returned.
    type: raw
  context:
    description: Context of O(kubeconfig) to register. Defaults to the current context.
    type: str
  cce_cluster_id:
    description: With O(type=cce), the CCE cluster id (as returned by M(ctyun.cce_migration.cce_cluster)).
    type: str
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.cceone
  - ctyun.cce_migration.attributes
"""

EXAMPLES = r"""
- name: Register the source cluster (guide stage 1)
  ctyun.cce_migration.cceone_cluster:
    name: aliyun-prod
    type: external
    kubeconfig: ~/.kube/config
    context: aliyun-prod

- name: Register the new CCE cluster (guide stage 3)
  ctyun.cce_migration.cceone_cluster:
    name: cce-prod-01
    type: cce
    cce_cluster_id: "{{ target.cluster.id }}"
"""

RETURN = r"""
cluster:
  description: The registered cluster (id, name, type, status).
  returned: when state is present
  type: dict
  sample: {id: rc-000012, name: aliyun-prod, type: external, status: connected}
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.cceone_args import (
    cceone_argument_spec, cceone_client, minified_kubeconfig)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.waiter import wait_until


def shape(one, obj):
    f = one.f
    kind = dict((v, k) for k, v in one.t["types"].items()).get(obj.get(f["cluster_type"]), obj.get(f["cluster_type"]))
    return dict(id=obj.get(f["cluster_id"]), name=obj.get(f["cluster_name"]), type=kind,
                status=obj.get(f["status"]), cce_cluster_id=obj.get(f["cce_cluster_id"]))


def run(mod):
    p = mod.params
    if p["state"] == "present":
        if p["type"] == "external" and not p["kubeconfig"]:
            raise ValidationError("kubeconfig is required with type=external (the source cluster's kubeconfig)")
        if p["type"] == "cce" and not p["cce_cluster_id"]:
            raise ValidationError("cce_cluster_id is required with type=cce")
    content = minified_kubeconfig(p["kubeconfig"], p["context"]) if p["state"] == "present" and \
        p["type"] == "external" else None
    one = cceone_client(p)
    existing = one.find_cluster(p["name"])
    if p["state"] == "absent":
        if existing is None:
            return dict(cluster=None)
        mod.changed()
        mod.add_diff(before=shape(one, existing), after={}, header="registered cluster %s" % p["name"])
        if not mod.check_mode:
            cid = existing[one.f["cluster_id"]]
            one.delete_cluster(cid)
            if p["wait"]:
                wait_until(lambda: (one.find_cluster(p["name"]) is None, "still registered"), p["wait_timeout"],
                           "registration of %s to be removed" % p["name"], sleep=p["wait_sleep"])
        return dict(cluster=None)
    if existing is not None:
        current = shape(one, existing)
        if current["type"] != p["type"] or (p["type"] == "cce" and current["cce_cluster_id"] != p["cce_cluster_id"]):
            raise ValidationError("A registered cluster named %s exists with type %s (CCE id %s); wanted type %s "
                                  "(CCE id %s). Use another name or remove the registration first."
                                  % (p["name"], current["type"], current["cce_cluster_id"], p["type"],
                                     p["cce_cluster_id"]))
    else:
        mod.changed()
        mod.add_diff(before={}, after=dict(name=p["name"], type=p["type"], cce_cluster_id=p["cce_cluster_id"]),
                     header="registered cluster %s" % p["name"])
        if mod.check_mode:
            return dict(cluster=dict(name=p["name"], type=p["type"], status="would be registered"))
        existing = one.import_cluster(p["name"], p["type"], kubeconfig=content, cce_cluster_id=p["cce_cluster_id"])
        # returned with a failure of the wait below
        mod.done(cluster=shape(one, existing))
    cluster = shape(one, existing)
    if p["wait"] and not one.is_state(cluster["status"], "connected"):
        one.wait_cluster_connected(cluster["id"], p["name"], p["wait_timeout"], sleep=p["wait_sleep"])
        cluster = shape(one, one.describe_cluster(cluster["id"]))
    return dict(cluster=cluster)


def main():
    spec = cceone_argument_spec(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        type=dict(type="str", choices=["external", "cce"], default="external"),
        kubeconfig=dict(type="raw"),
        context=dict(type="str"),
        cce_cluster_id=dict(type="str"),
    ))
    CceMigrationModule(spec).run(run)


if __name__ == "__main__":
    main()
