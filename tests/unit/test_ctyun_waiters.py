"""CCE waiters and exact-name lookup, with a scripted fake client (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import (
    ApiError, NotFoundError, WaitTimeoutError)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce, waiters


class FakeClient:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def call(self, method, path, query=None, body=None, idempotent=None):
        self.calls.append((method, path, query))
        for prefix, answer in self.answers.items():
            if path.startswith(prefix):
                value = answer.pop(0) if isinstance(answer, list) and len(answer) > 1 else (
                    answer[0] if isinstance(answer, list) else answer)
                if isinstance(value, Exception):
                    raise value
                return value
        raise AssertionError("unexpected call %s %s" % (method, path))


def test_wait_running_polls_until_running():
    client = FakeClient({"/v2/cce/clusters/c1": [{"clusterStatus": "creating"}, {"clusterStatus": "Running"}]})
    assert waiters.wait_running(client, "c1", timeout=5, sleep=0.01) == "status running"
    assert len(client.calls) == 2


def test_wait_running_fails_at_once_on_failed_with_task_reason():
    client = FakeClient({
        "/v2/cce/clusters/c1": {"clusterStatus": "failed"},
        "/v2/cce/tasks/c1": {"records": [{"taskId": "t1", "taskType": "CreateCluster", "taskStatus": "failed",
                                          "message": "subnet has no free IPs"}]},
    })
    with pytest.raises(ApiError) as exc:
        waiters.wait_running(client, "c1", timeout=5, sleep=0.01)
    assert "subnet has no free IPs" in exc.value.msg and exc.value.code == "ClusterFailed"


def test_wait_gone_and_timeout_message():
    client = FakeClient({"/v2/cce/clusters/c1": [{"clusterStatus": "deleting"}, NotFoundError("gone", status=404)]})
    assert waiters.wait_gone(client, "c1", timeout=5, sleep=0.01) == "gone"
    client = FakeClient({"/v2/cce/clusters/c1": {"clusterStatus": "deleting"}})
    with pytest.raises(WaitTimeoutError) as exc:
        waiters.wait_gone(client, "c1", timeout=0.05, sleep=0.01)
    assert "status deleting" in exc.value.msg


def test_find_cluster_matches_exact_name_only_and_refuses_duplicates():
    page = {"records": [{"clusterId": "a", "clusterName": "prod-01"}, {"clusterId": "b", "clusterName": "prod"},
                        {"clusterId": "c", "clusterName": "prod", "clusterStatus": "deleted"}], "total": 3}
    client = FakeClient({"/v2/cce/clusters/page": page})
    assert cce.find_cluster(client, "prod")["clusterId"] == "b"
    assert client.calls[0][2]["clusterName"] == "prod"
    dup = {"records": [{"clusterId": "a", "clusterName": "x"}, {"clusterId": "b", "clusterName": "x"}]}
    with pytest.raises(ApiError) as exc:
        cce.find_cluster(FakeClient({"/v2/cce/clusters/page": dup}), "x")
    assert "a, b" in exc.value.msg


def test_list_clusters_reads_every_page():
    first = {"records": [{"clusterId": str(i), "clusterName": "n%d" % i} for i in range(50)], "total": 51}
    second = {"records": [{"clusterId": "50", "clusterName": "n50"}], "total": 51}
    client = FakeClient({"/v2/cce/clusters/page": [first, second]})
    assert len(cce.list_clusters(client)) == 51
    assert [c[2]["pageNow"] for c in client.calls] == [1, 2]
