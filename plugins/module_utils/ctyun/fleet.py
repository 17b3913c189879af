# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CCE One fleets: the pure plan of a fleet binding and the executor that applies it.

``validate`` checks the input (no call), ``plan_fleet`` decides from what CCE One returned (no
call), ``bind`` writes the plan and ``members_state`` reads the members back (CCE One, and
Karmada's Cluster objects when given).
"""

from __future__ import annotations

from ..common.errors import ValidationError


def validate(params):
    """Input checks that need no call."""
    if not params["name"].strip():
        raise ValidationError("name: the fleet needs a name")
    if not params["members"]:
        raise ValidationError("members: give at least one registered cluster (the source and the CCE cluster)")
    dupes = sorted(set(m for m in params["members"] if params["members"].count(m) > 1))
    if dupes:
        raise ValidationError("members: %s listed more than once" % ", ".join(dupes))


def find_federation(one, wanted):
    """The federation instance named (or with the id) ``wanted``, or None."""
    f = one.f
    return one.find_federation(wanted) or next(
        (x for x in one._records(one._call("federation_list")) if x.get(f["federation_id"]) == wanted), None)


def plan_fleet(f, is_connected, name, federation, fed_id, members, clusters, fleets):
    """What binding the fleet needs, from the registered clusters and fleets CCE One listed.

    ``f`` is the field table, ``is_connected(state)`` CCE One's word test. Returns a dict with
    ``fleet`` (the existing fleet or None), ``wanted_ids`` and ``before_ids`` (sorted cluster ids),
    ``names`` ({cluster id: name}) and ``action`` (``none``, ``set_members`` or ``create``).
    Everything that would refuse the binding is raised here, before any write: unknown or
    unconnected members, a second fleet on the instance, a fleet bound elsewhere."""
    by_key = {}
    for c in clusters:
        by_key[c.get(f["cluster_name"])] = c
        by_key[c.get(f["cluster_id"])] = c
    missing = [m for m in members if m not in by_key]
    if missing:
        raise ValidationError("members: not registered in CCE One: %s (registered: %s); register them with "
                              "cceone_cluster first" % (", ".join(missing), ", ".join(sorted(
                                  c.get(f["cluster_name"]) for c in clusters)) or "none"))
    wanted_ids = sorted(set(by_key[m][f["cluster_id"]] for m in members))
    fleet = next((x for x in fleets if x.get(f["fleet_name"]) == name), None)
    other = next((x for x in fleets if x.get(f["federation_id"]) == fed_id and x.get(f["fleet_name"]) != name),
                 None)
    if other is not None:
        raise ValidationError("federation instance %s already has fleet %s: CCE One binds one fleet per federation "
                              "instance. Use name=%s or another federation instance."
                              % (federation, other.get(f["fleet_name"]), other.get(f["fleet_name"])))
    if fleet is not None and fleet.get(f["federation_id"]) != fed_id:
        raise ValidationError("fleet %s is bound to another federation instance (%s), not %s"
                              % (name, fleet.get(f["federation_id"]), federation))
    # Every member must be connected before anything is written: binding is refused by CCE One
    # otherwise, and a fleet created and then left without members would be a half-done stage.
    not_connected = [by_key[i].get(f["cluster_name"]) for i in wanted_ids
                     if not is_connected(by_key[i].get(f["status"]))]
    if not_connected:
        raise ValidationError("members: not connected in CCE One yet: %s; wait for cceone_cluster to finish "
                              "(its wait option) before binding the fleet" % ", ".join(not_connected))
    before_ids = sorted(m.get(f["cluster_id"]) for m in (fleet or {}).get(f["members"]) or [])
    action = "create" if fleet is None else ("none" if before_ids == wanted_ids else "set_members")
    return dict(fleet=fleet, wanted_ids=wanted_ids, before_ids=before_ids, action=action,
                names=dict((c[f["cluster_id"]], c.get(f["cluster_name"])) for c in clusters))


def bind(mod, one, plan, name, fed_id):
    """Apply the plan; returns the fleet id. Each write is recorded with ``mod.done`` as it happens."""
    f = one.f
    fleet = plan["fleet"]
    if plan["action"] == "create":
        fleet = one.create_fleet(name, fed_id)
        # returned with a failure of the member update below
        mod.done(fleet=dict(id=fleet.get(f["fleet_id"]), name=name, federation_id=fed_id), members=[])
    if plan["action"] in ("create", "set_members"):
        one.set_members(fleet.get(f["fleet_id"]), plan["wanted_ids"])
        mod.done()
    return fleet.get(f["fleet_id"])


def members_state(one, fleet_id, ready_of=None):
    """The fleet's members as CCE One describes them, with ``ready`` from ``ready_of(names)`` ({name:
    bool}, Karmada's view, read on the Karmada side) when given, else None."""
    f = one.f
    described = one.describe_fleet(fleet_id)
    rows = []
    for m in described.get(f["members"]) or []:
        rows.append(dict(name=m.get(f["cluster_name"]), cluster_id=m.get(f["cluster_id"]),
                         state=m.get(f["member_state"]),
                         karmada_name=m.get(f["member_name"]) or m.get(f["cluster_name"])))
    ready = ready_of([r["karmada_name"] for r in rows]) if ready_of else {}
    for r in rows:
        r["ready"] = ready.get(r["karmada_name"]) if ready_of else None
    return rows
