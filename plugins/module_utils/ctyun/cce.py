# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CCE API calls. Each function takes a :class:`~.client.CtyunClient` and returns API shapes;
``transformations`` turns them into module shapes."""

from __future__ import annotations

from ..common.errors import ApiError, NotFoundError
from . import endpoints as ep
from .transformations import records


def list_clusters(client, name=None):
    """Every cluster of the region (all pages), optionally filtered by the API on ``name``."""
    out = []
    page = 1
    while True:
        obj = client.call("GET", ep.CLUSTERS_PAGE,
                          query={"pageNow": page, "pageSize": ep.PAGE_SIZE, "clusterName": name})
        batch = records(obj)
        out.extend(batch)
        total = (obj or {}).get("total") if isinstance(obj, dict) else None
        if not batch or len(batch) < ep.PAGE_SIZE or (total is not None and len(out) >= total):
            return out
        page += 1


def find_cluster(client, name):
    """The cluster named exactly ``name`` (the API's filter may match more loosely), or None.

    Clusters being deleted are ignored; two clusters of the same name are an error.
    """
    found = [c for c in list_clusters(client, name=name)
             if c.get("clusterName") == name and ("%s" % c.get("clusterStatus", "")).lower() != "deleted"]
    if len(found) > 1:
        raise ApiError("More than one CCE cluster is named %r (%s); clusters must have unique names"
                       % (name, ", ".join(sorted(c.get("clusterId", "?") for c in found))), code="Ambiguous")
    return found[0] if found else None


def describe_cluster(client, cluster_id):
    return client.call("GET", ep.path(ep.CLUSTER_DESCRIBE, cluster_id=cluster_id))


def get_cluster(client, cluster_id):
    """Like :func:`describe_cluster` but None when it does not exist."""
    try:
        return describe_cluster(client, cluster_id)
    except NotFoundError:
        return None


def create_cluster(client, body):
    """Create; returns ``(cluster_id, recovered)``. ``recovered`` is True when the answer was lost
    and the cluster was found by name instead of being created a second time."""
    answer, existing = client.create(ep.CLUSTERS_CREATE, body,
                                     lookup=lambda: find_cluster(client, body["clusterName"]))
    if existing is not None:
        return existing.get("clusterId"), True
    cluster_id = (answer or {}).get("clusterID") or (answer or {}).get("clusterId")
    if not cluster_id:
        raise ApiError("CCE create answered without a cluster id", code="NoClusterId")
    return cluster_id, False


def delete_cluster(client, cluster_id):
    return client.call("DELETE", ep.path(ep.CLUSTER_DELETE, cluster_id=cluster_id))


def modify_cluster(client, cluster_id, body):
    """PUT the changed mutable fields (``description``, ``tags``)."""
    return client.call("PUT", ep.path(ep.CLUSTER_MODIFY, cluster_id=cluster_id), body=body)


def get_kubeconfig(client, cluster_id, kind="external", expire_hours=None):
    return client.call("GET", ep.path(ep.CLUSTER_KUBECONFIG, cluster_id=cluster_id),
                       query={"type": kind, "expireHours": expire_hours})


def list_versions(client):
    return client.call("GET", ep.VERSIONS)


def get_quotas(client):
    return client.call("GET", ep.QUOTAS)


def list_nodepools(client, cluster_id):
    return records(client.call("GET", ep.path(ep.NODEPOOLS, cluster_id=cluster_id)))


def create_nodepool(client, cluster_id, body):
    """Create a node pool; found by name first if the answer is lost."""
    def lookup():
        for pool in list_nodepools(client, cluster_id):
            if pool.get("nodePoolName") == body.get("nodePoolName"):
                return pool
        return None
    answer, existing = client.create(ep.path(ep.NODEPOOLS, cluster_id=cluster_id), body, lookup=lookup)
    return existing if existing is not None else answer


def scale_nodepool(client, cluster_id, nodepool_id, count):
    """Set the node count (an absolute value, so safe to repeat)."""
    return client.call("POST", ep.path(ep.NODEPOOL_SCALE, cluster_id=cluster_id, nodepool_id=nodepool_id),
                       body={"nodeCount": count}, idempotent=True)


def list_tasks(client, cluster_id):
    return records(client.call("GET", ep.path(ep.TASKS, cluster_id=cluster_id)))


def list_task_events(client, cluster_id, task_id):
    return records(client.call("GET", ep.path(ep.TASK_EVENTS, cluster_id=cluster_id, task_id=task_id)))
