"""CCE waiters and exact-name lookup, with a scripted fake client (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError, WaitTimeoutError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce, waiters


class FakeClient:
    region_id = "r1"

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
    client = FakeClient({"/v2/cce/clusters/c1": [{"clusterStatus": "creating", "bizState": 6},
                                                 {"clusterStatus": "normal", "bizState": 1}]})
    assert waiters.wait_running(client, "c1", timeout=5, sleep=0.01) == "status normal, bizState 1"
    assert len(client.calls) == 2


@pytest.mark.parametrize("record", [{"clusterStatus": "create_fail", "bizState": 17},
                                    {"clusterStatus": "creating", "bizState": 7}])
def test_wait_created_fails_at_once_on_failure_with_task_reason(record):
    client = FakeClient({
        "/v2/cce/clusters/page": {"records": [dict(record, id="c1", clusterName="prod")], "total": 1},
        "/v2/cce/tasks/c1": {"records": [{"taskId": "t1", "taskType": "CreateCluster", "taskStatus": "failed",
                                          "taskResult": "subnet has no free IPs"}]},
    })
    with pytest.raises(ApiError) as exc:
        waiters.wait_created(client, "prod", 6, timeout=5, sleep=0.01)
    assert "subnet has no free IPs" in exc.value.msg and exc.value.code == "ClusterFailed"
    assert [c[1] for c in client.calls].count("/v2/cce/clusters/page") == 1


def test_wait_created_finds_by_name_then_waits_for_normal_nodes():
    client = FakeClient({
        "/v2/cce/clusters/page": [{"records": []},
                                  {"records": [{"id": "", "clusterName": "prod", "bizState": 6}]},
                                  {"records": [{"id": "c1", "clusterName": "prod", "bizState": 1}]}],
        "/v2/cce/clusters/c1/nodes/list": [[{"nodeStatus": "normal"}, {"nodeStatus": "creating"}],
                                           [{"nodeStatus": "normal"}, {"nodeStatus": "normal"}]],
    })
    assert waiters.wait_created(client, "prod", 2, timeout=5, sleep=0.01) == "c1"


def test_wait_gone_and_timeout_message():
    client = FakeClient({"/v2/cce/clusters/page": [
        {"records": [{"id": "c1", "clusterName": "prod", "clusterStatus": "deleting", "bizState": 18}]},
        {"records": [{"id": "c1", "clusterName": "prod", "clusterStatus": "deleted", "bizState": 4}]}]})
    assert waiters.wait_gone(client, "prod", timeout=5, sleep=0.01) == "gone"
    client = FakeClient({"/v2/cce/clusters/page": {"records": [{"id": "c1", "clusterName": "prod",
                                                                "clusterStatus": "deleting", "bizState": 18}]}})
    with pytest.raises(WaitTimeoutError) as exc:
        waiters.wait_gone(client, "prod", timeout=0.05, sleep=0.01)
    assert "status deleting" in exc.value.msg


def test_find_cluster_matches_exact_name_only_and_refuses_duplicates():
    page = {"records": [{"id": "a", "clusterName": "prod-01"}, {"id": "b", "clusterName": "prod"},
                        {"id": "c", "clusterName": "prod", "bizState": 4}], "total": 3}
    client = FakeClient({"/v2/cce/clusters/page": page})
    assert cce.find_cluster(client, "prod")["id"] == "b"
    assert client.calls[0][2]["clusterName"] == "prod"
    dup = {"records": [{"id": "a", "clusterName": "x"}, {"id": "b", "clusterName": "x"}]}
    with pytest.raises(ApiError) as exc:
        cce.find_cluster(FakeClient({"/v2/cce/clusters/page": dup}), "x")
    assert "a, b" in exc.value.msg


def test_list_clusters_reads_every_page():
    first = {"records": [{"id": str(i), "clusterName": "n%d" % i} for i in range(50)], "total": 51}
    second = {"records": [{"id": "50", "clusterName": "n50"}], "total": 51}
    client = FakeClient({"/v2/cce/clusters/page": [first, second]})
    assert len(cce.list_clusters(client)) == 51
    assert [c[2]["pageNow"] for c in client.calls] == [1, 2]
