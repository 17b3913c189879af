# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Waits on CCE clusters and node pools, through ``common.waiter.wait_until``.

The provider (resource_ctyun_ccse_cluster.go) waits for a create by listing clusters by name until
``records[0].bizState == 1``, then until every node of ``nodes/list`` is ``normal``; a delete by
listing until no record is left or ``bizState == 4``. Unlike the provider, these waits stop at once
on a failure status (``create_fail``..., bizState 17, a refunded order) with the cluster's last failed
task as the reason.
"""

from __future__ import annotations

from ..common.errors import ApiError
from ..common.waiter import wait_until
from . import cce
from .transformations import BIZ_FAILED, BIZ_RUNNING, FAILED, NODE_NORMAL, RUNNING, task_from_api


def _status(obj):
    return ("%s" % (obj or {}).get("clusterStatus", "unknown")).lower()


def _biz(obj):
    try:
        return int((obj or {}).get("bizState"))
    except (TypeError, ValueError):
        return None


def failure_reason(client, cluster_id):
    """The last failed task of the cluster (``taskResult``), in words."""
    if not cluster_id:
        return "no task details"
    try:
        tasks = [task_from_api(t) for t in cce.list_tasks(client, cluster_id)]
    except ApiError:
        return "no task details"
    failed = [t for t in tasks if "fail" in ("%s" % t.get("status")).lower()] or tasks
    if not failed:
        return "no task reported"
    last = failed[-1]
    return "task %s (%s, %s): %s" % (last["id"], last["type"], last.get("status"), last.get("message") or "no message")


def _check_failed(client, obj, what):
    status, biz = _status(obj), _biz(obj)
    if status in FAILED or biz in BIZ_FAILED:
        raise ApiError("CCE cluster %s is %s (bizState %s): %s"
                       % (what, status, biz, failure_reason(client, obj.get("id"))),
                       code="ClusterFailed", cluster_id=obj.get("id"), status_word=status, biz_state=biz)


def _nodes_ready(client, cluster_id, expected):
    nodes = cce.list_nodes(client, cluster_id)
    normal = [n for n in nodes if ("%s" % n.get("nodeStatus")).lower() == NODE_NORMAL]
    done = len(nodes) >= expected and len(normal) == len(nodes)
    return done, "%d of %d nodes normal (want %d)" % (len(normal), len(nodes), expected)


def wait_created(client, name, expected_nodes, timeout, sleep=10.0):
    """After a create order: find the cluster by name, wait until bizState 1 / status normal and until
    ``expected_nodes`` nodes are normal. Returns the cluster's id."""
    found = {}

    def check():
        obj = cce.find_cluster(client, name)
        if obj is None:
            return False, "not listed yet"
        found["id"] = obj.get("id")
        _check_failed(client, obj, name)
        if not obj.get("id") or not (_biz(obj) == BIZ_RUNNING or _status(obj) in RUNNING):
            return False, "status %s, bizState %s" % (_status(obj), _biz(obj))
        return _nodes_ready(client, obj["id"], expected_nodes)
    wait_until(check, timeout, "CCE cluster %s to be running with its nodes normal" % name, sleep=sleep)
    return found["id"]


def wait_running(client, cluster_id, timeout, sleep=10.0):
    """Wait until an existing cluster is running (bizState 1 or status normal); fail at once on failure."""
    def check():
        obj = cce.describe_cluster(client, cluster_id)
        _check_failed(client, dict(obj or {}, id=cluster_id), cluster_id)
        status = _status(obj)
        return (_biz(obj) == BIZ_RUNNING or status in RUNNING), "status %s, bizState %s" % (status, _biz(obj))
    return wait_until(check, timeout, "CCE cluster %s to be running" % cluster_id, sleep=sleep)


def wait_pool(client, cluster_id, pool_id, wanted, timeout, sleep=10.0):
    """Wait until the pool has ``wanted`` nodes, all normal (``nodeTotalNum``/``normalNodeNum``)."""
    def check():
        pool = cce.get_nodepool(client, cluster_id, pool_id) or {}
        total, normal = pool.get("nodeTotalNum"), pool.get("normalNodeNum")
        return total == wanted and normal == wanted, "%s of %s nodes normal (want %d)" % (normal, total, wanted)
    return wait_until(check, timeout, "CCE node pool %s to have %d normal nodes" % (pool_id, wanted), sleep=sleep)


def wait_gone(client, name, timeout, sleep=10.0):
    """Wait until listing by name shows no live cluster (none left, or bizState 4); fail on ``delete_fail``."""
    def check():
        obj = cce.find_cluster(client, name)
        if obj is None:
            return True, "gone"
        if _status(obj) == "delete_fail":
            raise ApiError("CCE cluster %s could not be deleted: %s" % (name, failure_reason(client, obj.get("id"))),
                           code="DeleteFailed", cluster_id=obj.get("id"))
        return False, "status %s, bizState %s" % (_status(obj), _biz(obj))
    return wait_until(check, timeout, "CCE cluster %s to be deleted" % name, sleep=sleep)
