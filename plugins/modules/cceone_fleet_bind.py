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
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.cceone_args import (
    cceone_argument_spec, cceone_client)


def karmada_ready(rest, names):
    """{name: ready} for the Karmada Cluster objects."""
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import path_for

    out = dict((n, False) for n in names)
    for cluster in rest.iter_list(path_for("Cluster")):
        name = cluster["metadata"]["name"]
        if name in out:
            conds = (cluster.get("status") or {}).get("conditions") or []
            out[name] = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
    return out


def validate(p):
    """Input checks that need no call."""
    if not p["name"].strip():
        raise ValidationError("name: the fleet needs a name")
    if not p["members"]:
        raise ValidationError("members: give at least one registered cluster (the source and the CCE cluster)")
    dupes = sorted(set(m for m in p["members"] if p["members"].count(m) > 1))
    if dupes:
        raise ValidationError("members: %s listed more than once" % ", ".join(dupes))


def run(mod):
    p = mod.params
    validate(p)
    one = cceone_client(p)
    f = one.f
    fed = one.find_federation(p["federation"]) or next(
        (x for x in one._records(one._call("federation_list")) if x.get(f["federation_id"]) == p["federation"]), None)
    if fed is None:
        raise ValidationError("federation: no federation instance named %s; order it with cceone_federation first"
                              % p["federation"])
    fed_id = fed[f["federation_id"]]
    clusters = one.list_clusters()
    by_key = {}
    for c in clusters:
        by_key[c.get(f["cluster_name"])] = c
        by_key[c.get(f["cluster_id"])] = c
    missing = [m for m in p["members"] if m not in by_key]
    if missing:
        raise ValidationError("members: not registered in CCE One: %s (registered: %s); register them with "
                              "cceone_cluster first" % (", ".join(missing), ", ".join(sorted(
                                  c.get(f["cluster_name"]) for c in clusters)) or "none"))
    wanted_ids = sorted(set(by_key[m][f["cluster_id"]] for m in p["members"]))
    fleets = one.list_fleets()
    fleet = next((x for x in fleets if x.get(f["fleet_name"]) == p["name"]), None)
    other = next((x for x in fleets if x.get(f["federation_id"]) == fed_id and x.get(f["fleet_name"]) != p["name"]),
                 None)
    if other is not None:
        raise ValidationError("federation instance %s already has fleet %s: CCE One binds one fleet per federation "
                              "instance. Use name=%s or another federation instance."
                              % (p["federation"], other.get(f["fleet_name"]), other.get(f["fleet_name"])))
    if fleet is not None and fleet.get(f["federation_id"]) != fed_id:
        raise ValidationError("fleet %s is bound to another federation instance (%s), not %s"
                              % (p["name"], fleet.get(f["federation_id"]), p["federation"]))
    # Every member must be connected before anything is written: binding is refused by CCE One
    # otherwise, and a fleet created and then left without members would be a half-done stage.
    not_connected = [by_key[i].get(f["cluster_name"]) for i in wanted_ids
                     if not one.is_state(by_key[i].get(f["status"]), "connected")]
    if not_connected:
        raise ValidationError("members: not connected in CCE One yet: %s; wait for cceone_cluster to finish "
                              "(its wait option) before binding the fleet" % ", ".join(not_connected))
    before_ids = sorted(m.get(f["cluster_id"]) for m in (fleet or {}).get(f["members"]) or [])
    if fleet is None or before_ids != wanted_ids:
        mod.changed()
        names = dict((c[f["cluster_id"]], c.get(f["cluster_name"])) for c in clusters)
        mod.add_diff(before=dict(fleet=p["name"] if fleet else None, members=[names.get(i) for i in before_ids]),
                     after=dict(fleet=p["name"], federation=p["federation"],
                                members=[names.get(i) for i in wanted_ids]), header="fleet %s" % p["name"])
        if mod.check_mode:
            return dict(fleet=dict(name=p["name"], federation_id=fed_id),
                        members=[dict(name=names.get(i), cluster_id=i, state="would be bound") for i in wanted_ids])
        if fleet is None:
            fleet = one.create_fleet(p["name"], fed_id)
            # returned with a failure of the member update below
            mod.done(fleet=dict(id=fleet.get(f["fleet_id"]), name=p["name"], federation_id=fed_id), members=[])
        one.set_members(fleet.get(f["fleet_id"]), wanted_ids)
    fleet_id = fleet.get(f["fleet_id"])
    rest = None
    if p["karmada"] and (p["karmada"].get("kubeconfig") or p["karmada"].get("host")):
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import auth_params
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest
        rest = Rest(auth_params(p, "karmada"), what="the Karmada control plane")

    def members_now():
        described = one.describe_fleet(fleet_id)
        rows = []
        for m in described.get(f["members"]) or []:
            rows.append(dict(name=m.get(f["cluster_name"]), cluster_id=m.get(f["cluster_id"]),
                             state=m.get(f["member_state"]),
                             karmada_name=m.get(f["member_name"]) or m.get(f["cluster_name"])))
        ready = karmada_ready(rest, [r["karmada_name"] for r in rows]) if rest else {}
        for r in rows:
            r["ready"] = ready.get(r["karmada_name"]) if rest else None
        return described, rows

    described, rows = members_now()
    if p["wait"]:
        def check():
            state = members_now()[1]
            waiting = [r for r in state if not one.is_state(r["state"], "connected") or (rest and not r["ready"])]

            def why(r):
                if not rest:
                    return ""
                return ", Ready in Karmada" if r["ready"] else ", not a Ready Karmada cluster"
            seen = "; ".join("%s: %s%s" % (r["name"], r["state"], why(r)) for r in waiting)
            return not waiting, seen or "all connected"
        wait_until(check, p["wait_timeout"], "fleet %s members %s to be connected and Ready in Karmada"
                   % (p["name"], ", ".join(p["members"])), sleep=p["wait_sleep"])
        described, rows = members_now()
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
