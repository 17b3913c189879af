# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Waits on CCE clusters, through ``common.waiter.wait_until``."""

from __future__ import annotations

from ..common.errors import ApiError
from ..common.waiter import wait_until
from . import cce
from .transformations import FAILED, GONE, RUNNING, task_from_api


def _status(obj):
    return ("%s" % (obj or {}).get("clusterStatus", "unknown")).lower()


def _failure_reason(client, cluster_id):
    try:
        tasks = [task_from_api(t) for t in cce.list_tasks(client, cluster_id)]
    except ApiError:
        return "no task details"
    failed = [t for t in tasks if ("%s" % t.get("status")).lower() in FAILED]
    if not failed:
        return "no failed task reported"
    last = failed[-1]
    return "task %s (%s): %s" % (last["id"], last["type"], last.get("message") or "no message")


def wait_running(client, cluster_id, timeout, sleep=2.0):
    """Wait until the cluster is running; fail at once when it enters a failed state."""
    def check():
        obj = cce.describe_cluster(client, cluster_id)
        status = _status(obj)
        if status in FAILED:
            raise ApiError("CCE cluster %s is %s: %s" % (cluster_id, status, _failure_reason(client, cluster_id)),
                           code="ClusterFailed", cluster_id=cluster_id)
        return status in RUNNING, "status %s" % status
    return wait_until(check, timeout, "CCE cluster %s to be running" % cluster_id, sleep=sleep)


def wait_gone(client, cluster_id, timeout, sleep=2.0):
    """Wait until describing the cluster says it does not exist (or it reports ``deleted``)."""
    def check():
        obj = cce.get_cluster(client, cluster_id)
        if obj is None or _status(obj) in GONE:
            return True, "gone"
        return False, "status %s" % _status(obj)
    return wait_until(check, timeout, "CCE cluster %s to be deleted" % cluster_id, sleep=sleep)
