"""The fleet binding planner decides without calls and refuses before any write."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.cceone import DEFAULT_TABLE
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.fleet import plan_fleet, validate

F = DEFAULT_TABLE["fields"]
CLUSTERS = [{"clusterId": "rc-1", "clusterName": "src", "status": "connected"},
            {"clusterId": "rc-2", "clusterName": "cce", "status": "connected"},
            {"clusterId": "rc-3", "clusterName": "late", "status": "joining"}]


def plan(members, fleets=()):
    return plan_fleet(F, lambda s: s == "connected", "fl", "fed", "fd-1", members, CLUSTERS, list(fleets))


def test_actions():
    assert plan(["src", "cce"])["action"] == "create"
    have = {"fleetName": "fl", "federationId": "fd-1", "fleetId": "f-1",
            "members": [{"clusterId": "rc-1"}, {"clusterId": "rc-2"}]}
    assert plan(["cce", "src"], [have])["action"] == "none"
    assert plan(["src"], [have])["action"] == "set_members"


@pytest.mark.parametrize("members, fleets, words", [
    (["src", "ghost"], [], ["members", "ghost"]),
    (["src", "late"], [], ["members", "late", "not connected"]),
    (["src"], [{"fleetName": "other", "federationId": "fd-1"}], ["one fleet per federation instance"]),
    (["src"], [{"fleetName": "fl", "federationId": "fd-9"}], ["another federation instance"]),
])
def test_refusals(members, fleets, words):
    with pytest.raises(ValidationError) as err:
        plan(members, fleets)
    for word in words:
        assert word in err.value.msg


def test_validate():
    for params, word in ((dict(name=" ", members=["a"]), "name"), (dict(name="f", members=[]), "members"),
                         (dict(name="f", members=["a", "a"]), "a listed more than once")):
        with pytest.raises(ValidationError, match=word):
            validate(params)
