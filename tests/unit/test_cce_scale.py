"""cce_ops.scale_pool: relative scale calls, bounded by the retry policy, without a network and without timing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import WaitTimeoutError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.retry import RetryPolicy
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce_ops

RUNAWAY = 20


class Pool:
    """A node pool whose ``nodeTotalNum`` follows the scale calls, or (``counts=False``) never moves."""

    def __init__(self, monkeypatch, count, counts=True):
        self.count = count
        self.counts = counts
        self.calls = []
        monkeypatch.setattr(cce_ops.cce, "get_nodepool", self.get)
        monkeypatch.setattr(cce_ops.cce, "scale_up", self.up)
        monkeypatch.setattr(cce_ops.cce, "scale_down", self.down)

    def get(self, client, cluster_id, pool_id):
        return {"nodeTotalNum": self.count, "nodes": [{"nodeName": "n-%03d" % i} for i in range(self.count)]}

    def _called(self, call):
        self.calls.append(call)
        if len(self.calls) > RUNAWAY:
            raise RuntimeError("runaway: %d scale calls" % len(self.calls))

    def up(self, client, cluster_id, pool_id, num):
        self._called(("up", num))
        if self.counts:
            self.count += num

    def down(self, client, cluster_id, pool_id, names):
        self._called(("down", names))
        if self.counts:
            self.count -= len(names)


def client(policy):
    sleeps = []
    return SimpleNamespace(policy=policy, _sleep=sleeps.append, _log=lambda msg: None), sleeps


def test_scale_reads_the_count_sends_the_difference_and_stops_when_reached(monkeypatch):
    pool = Pool(monkeypatch, 3)
    cli, sleeps = client(RetryPolicy())
    result = {"actions": []}
    cce_ops.scale_pool(cli, "c", "np", 5, {}, result, "workers")
    assert pool.calls == [("up", 2)] and pool.count == 5
    assert result["actions"] == ["scale node pool workers from 3 to 5"]
    assert len(sleeps) == 1  # a pause between the call and the read that confirms it


def test_scale_stops_after_the_policys_attempts_when_the_count_never_follows(monkeypatch):
    pool = Pool(monkeypatch, 3, counts=False)
    cli, sleeps = client(RetryPolicy(attempts=4))
    with pytest.raises(WaitTimeoutError) as err:
        cce_ops.scale_pool(cli, "c", "np", 5, {}, {"actions": []}, "workers")
    assert pool.calls == [("up", 2)] * 4
    assert len(sleeps) == 3 and all(s > 0 for s in sleeps)
    assert "Gave up after 4 checks" in err.value.msg and "nodeTotalNum 3" in err.value.msg


def test_scale_stops_once_the_policys_time_budget_is_spent(monkeypatch):
    pool = Pool(monkeypatch, 5, counts=False)
    cli, sleeps = client(RetryPolicy(attempts=50, max_total=0))
    with pytest.raises(WaitTimeoutError) as err:
        cce_ops.scale_pool(cli, "c", "np", 3, {}, {"actions": []}, "workers")
    assert pool.calls == [("down", ["n-003", "n-004"])] and sleeps == []
    assert "Timed out after 0.0s" in err.value.msg
