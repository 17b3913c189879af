#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: cceone_fleet_bind
short_description: Bind a CCE One fleet to a federation instance so its clusters become Karmada members
version_added: 0.1.0
description:
  - Creates the fleet if needed, binds it to the federation instance O(federation), and sets its members to the
    registered clusters O(members) (adding and removing members is idempotent).
  - One fleet per federation instance - a second fleet on the same instance fails with a clear message.
  - Waits until every member is C(connected) in CCE One and is a Ready C(Cluster) in Karmada (read through
    O(karmada)), and returns the member names as Karmada knows them - the names placement uses.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  name:
    description: Name of the fleet.
    type: str
    required: true
  federation:
    description: Name (or id) of the federation instance.
    type: str
    required: true
  members:
    description: Registered clusters (names or ids) that must be the fleet's members, and only they.
    type: list
    elements: str
    required: true
  karmada:
    description:
      - Access to the federation instance's Karmada control plane (usually the kubeconfig written by
        M(ctyun.cce_migration.cceone_federation)), to check that members are Ready clusters.
      - Without it, the wait covers CCE One's member state only.
    type: dict
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.k8s_auth.KARMADA
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.cceone
  - ctyun.cce_migration.attributes
"""

EXAMPLES = r"""
- name: Bind the fleet with the source and the CCE cluster (guide stage 4, done when "connected")
  ctyun.cce_migration.cceone_fleet_bind:
    name: migration-fleet
    federation: migration-federation
    members: [aliyun-prod, cce-prod-01]
    karmada:
      kubeconfig: "{{ migration_workdir }}/karmada.kubeconfig"
  register: fleet

- name: Member names for placement
  ansible.builtin.debug:
    msg: "{{ fleet.members | map(attribute='karmada_name') | list }}"
"""

RETURN = r"""
fleet:
  description: The fleet (id, name, federation id).
  returned: always
  type: dict
members:
  description: Members with their registered name and id, CCE One state, and name in Karmada.
  returned: always
  type: list
  elements: dict
  sample: [{name: aliyun-prod, cluster_id: rc-000001, state: connected, karmada_name: aliyun-prod, ready: true}]
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import k8s_auth_suboptions
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.waiter import wait_until
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import fleet
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import auth_params
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import clusters
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.cceone_args import (
    cceone_argument_spec, cceone_client)


def run(mod):
    p = mod.params
    fleet.validate(p)
    one = cceone_client(p)
    f = one.f
    fed = fleet.find_federation(one, p["federation"])
    if fed is None:
        raise ValidationError("federation: no federation instance named %s; order it with cceone_federation first"
                              % p["federation"])
    fed_id = fed[f["federation_id"]]
    plan = fleet.plan_fleet(f, lambda state: one.is_state(state, "connected"), p["name"], p["federation"], fed_id,
                            p["members"], one.list_clusters(), one.list_fleets())
    if plan["action"] != "none":
        names = plan["names"]
        mod.add_diff(before=dict(fleet=p["name"] if plan["fleet"] else None,
                                 members=[names.get(i) for i in plan["before_ids"]]),
                     after=dict(fleet=p["name"], federation=p["federation"],
                                members=[names.get(i) for i in plan["wanted_ids"]]), header="fleet %s" % p["name"])
        if mod.check_mode:
            mod.changed()    # would write; a real run is changed by fleet.bind's writes, once they happened
            return dict(fleet=dict(name=p["name"], federation_id=fed_id),
                        members=[dict(name=names.get(i), cluster_id=i, state="would be bound")
                                 for i in plan["wanted_ids"]])
    fleet_id = fleet.bind(mod, one, plan, p["name"], fed_id)
    rest = ready_of = None
    if p["karmada"] and (p["karmada"].get("kubeconfig") or p["karmada"].get("host")):
        rest = Rest(auth_params(p, "karmada"), what="the Karmada control plane")

        def ready_of(names):
            return clusters.ready(rest, names)

    if p["wait"]:
        def check():
            waiting = [r for r in fleet.members_state(one, fleet_id, ready_of)
                       if not one.is_state(r["state"], "connected") or (rest and not r["ready"])]

            def why(r):
                if not rest:
                    return ""
                return ", Ready in Karmada" if r["ready"] else ", not a Ready Karmada cluster"
            seen = "; ".join("%s: %s%s" % (r["name"], r["state"], why(r)) for r in waiting)
            return not waiting, seen or "all connected"
        wait_until(check, p["wait_timeout"], "fleet %s members %s to be connected and Ready in Karmada"
                   % (p["name"], ", ".join(p["members"])), sleep=p["wait_sleep"])
    rows = fleet.members_state(one, fleet_id, ready_of)
    return dict(fleet=dict(id=fleet_id, name=p["name"], federation_id=fed_id), members=rows)


def main():
    spec = cceone_argument_spec(dict(
        name=dict(type="str", required=True),
        federation=dict(type="str", required=True),
        members=dict(type="list", elements="str", required=True),
        karmada=dict(type="dict", options=k8s_auth_suboptions()),
    ))
    CceMigrationModule(spec).run(run)


if __name__ == "__main__":
    main()
