# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The traffic split held by one CTyun ELB target group: read the two sides, write a plan of
:mod:`.weights`, verify what the group holds afterwards.

A side is an *endpoint*: ``instance_type``, ``instance_id``, ``ip`` (IP targets) and ``port``.
The ELB lists targets by ``instanceID`` and ``protocolPort`` (``list-target`` has no IP field), so
those two identify a side; for an ``IP`` target the collection sends the address as its
``instanceID`` too (an assumption, docs/traffic.md).
"""

from __future__ import annotations

import hashlib

from ..common.errors import ApiError, CceMigrationError, ValidationError
from ..common.waiter import wait_until
from ..ctyun import elb
from . import weights as weights_mod

TOKEN_PREFIX = "ccemig-"
# answers for targets removed since, one per earlier add of the entry from the same group state
MAX_REPLAYS = 8


def endpoint_key(endpoint):
    return "%s:%s" % (endpoint["instance_id"], int(endpoint["port"]))


def client_token(*parts):
    """A deterministic ``clientToken`` (at most 64 characters): the same write asked again, after
    a lost answer or in a re-run, carries the same token, and the ELB adds nothing twice."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return TOKEN_PREFIX + digest[:40]


class ElbSplit(object):
    def __init__(self, client, group_id, endpoints, check_mode=False):
        self.client = client
        self.group_id = group_id
        self.endpoints = endpoints  # {"source": endpoint, "target": endpoint}
        self.check_mode = check_mode
        self.writes = []
        self.group = None
        self.health_check = None

    # -- reads -----------------------------------------------------------
    def check_group(self):
        """The target group must exist, balance by weight and have a health check."""
        try:
            group = elb.show_target_group(self.client, self.group_id)
        except ApiError as exc:
            raise ValidationError("target_group_id: CTyun ELB target group %s cannot be read (%s); give the ID of "
                                  "the group behind the listener that receives the users' requests"
                                  % (self.group_id, exc.msg))
        if (group.get("algorithm") or "").lower() != "wrr":
            raise ValidationError("target_group_id: target group %s balances with %r, not 'wrr': weights would be "
                                  "ignored; switch the group to weighted round robin (wrr) first"
                                  % (self.group_id, group.get("algorithm")))
        if not group.get("health_check_id"):
            raise ValidationError("target_group_id: target group %s has no health check: a side that stops "
                                  "answering would keep its share; attach an HTTP health check first" % self.group_id)
        self.group = group
        self.health_check = elb.show_health_check(self.client, group["health_check_id"])
        return group

    def sides(self):
        """``{side: target or None}`` from the group's targets; a target that is neither side, or
        two targets of one side, stop the module (the share would not be the one asked)."""
        by_key = dict((endpoint_key(e), side) for side, e in self.endpoints.items())
        found = dict((side, None) for side in weights_mod.SIDES)
        strangers = []
        for target in elb.list_targets(self.client, self.group_id):
            side = by_key.get("%s:%s" % (target["instance_id"], target["port"]))
            if side is None:
                strangers.append("%s (%s:%s, weight %s)" % (target["id"], target["instance_id"], target["port"],
                                                            target["weight"]))
            elif found[side] is not None:
                raise CceMigrationError("target group %s holds two targets for the %s entry (%s and %s): delete one "
                                        "by hand" % (self.group_id, side, found[side]["id"], target["id"]))
            else:
                found[side] = target
        if strangers:
            raise CceMigrationError("target group %s holds targets that are neither the source entry nor the CCE "
                                    "entry: %s; their weight would take a share of the requests, so the split asked "
                                    "for would be wrong. Move them to another group or give them as an entry"
                                    % (self.group_id, ", ".join(strangers)))
        return found

    @staticmethod
    def weights_of(found):
        return dict((side, t["weight"] if t else None) for side, t in found.items())

    # -- writes ----------------------------------------------------------
    def apply(self, found, ops):
        """Send ``ops`` in order (nothing in check mode); returns the sides afterwards."""
        state = dict(found)
        for op in ops:
            side, endpoint = op["side"], self.endpoints[op["side"]]
            row = dict(op=op["op"], side=side, weight=op["weight"], target=endpoint_key(endpoint))
            # recorded before it is sent: a failure from here on still reports the write
            self.writes.append(row)
            if self.check_mode:
                continue
            if op["op"] == "create":
                row["target_id"] = self._create(endpoint, op["weight"], state)
                state[side] = dict(id=row["target_id"], weight=op["weight"], port=int(endpoint["port"]),
                                   instance_id=endpoint["instance_id"], health="unknown")
            elif op["op"] == "update":
                row["target_id"] = state[side]["id"]
                elb.update_target(self.client, state[side]["id"], endpoint["port"], op["weight"])
                state[side] = dict(state[side], weight=op["weight"])
            else:
                row["target_id"] = state[side]["id"]
                elb.delete_target(self.client, state[side]["id"], client_token("delete", self.group_id,
                                                                               state[side]["id"]))
                state[side] = None
        return state

    def _create(self, endpoint, weight, state):
        """Add ``endpoint``; returns the new target's ID, checked to be in the group.

        The token names the group's state at the time of the add, so a lost answer and a re-run
        from the same state replay it and nothing is added twice. The group can come back to the
        same state later (the entry removed, then added again): the ELB then answers with the ID of
        the target that token added before, which is gone. Each such answer chains a new token on
        that ID, until the answer is a target the group holds."""
        others = sorted(t["id"] for t in state.values() if t)
        token = client_token("create", self.group_id, endpoint_key(endpoint), weight, *others)
        seen = []
        for _attempt in range(MAX_REPLAYS):
            target_id = elb.create_target(self.client, self.group_id, endpoint, weight, token)
            if any(t["id"] == target_id for t in elb.list_targets(self.client, self.group_id)):
                return target_id
            seen.append(target_id)
            token = client_token("create", self.group_id, endpoint_key(endpoint), weight, "after", target_id)
        raise CceMigrationError("CTyun ELB create-target in group %s answered %d times with targets the group does "
                                "not hold (%s); the entry was not added"
                                % (self.group_id, len(seen), ", ".join(seen)))

    # -- verification ----------------------------------------------------
    def verify(self, wanted):
        """Read the group back: the sides and weights must be the ones written."""
        found = self.sides()
        if not weights_mod.converged(self.weights_of(found), wanted):
            raise CceMigrationError("target group %s holds %s after the writes, not %s: another writer changed it"
                                    % (self.group_id, self.weights_of(found), wanted))
        return found

    def wait_healthy(self, timeout, sleep):
        """Every target left in the group ``online`` in the ELB's health check."""
        def check():
            found = self.sides()
            bad = ["%s entry %s: %s" % (side, t["id"], t["health"]) for side, t in sorted(found.items())
                   if t and t["health"] != "online"]
            return not bad, "; ".join(bad) or "all online"
        return wait_until(check, timeout, "the targets of group %s to be online in the ELB health check"
                          % self.group_id, sleep=sleep)
