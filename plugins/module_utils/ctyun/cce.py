# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CCE API calls. Each function takes a :class:`~.client.CtyunClient` and returns API shapes;
``transformations`` turns them into module shapes. Paths in ``endpoints``; waiting in ``waiters``."""

from __future__ import annotations

from ..common.errors import ApiError, NotFoundError
from . import endpoints as ep
from .transformations import BIZ_GONE, BIZ_UNSUBSCRIBING, records

# The provider judges a missing node pool by this text in the message ("does not exist").
NOT_EXIST_TEXT = u"\u4e0d\u5b58\u5728"


def _paged(client, path, query):
    out = []
    page = 1
    while True:
        obj = client.call("GET", path, query=dict(query, pageNow=page, pageSize=ep.PAGE_SIZE))
        batch = records(obj)
        out.extend(batch)
        total = obj.get("total") if isinstance(obj, dict) else None
        if not batch or len(batch) < ep.PAGE_SIZE or (total is not None and len(out) >= total):
            return out
        page += 1


def list_clusters(client, name=None):
    """Every cluster of the region (all pages), optionally filtered by the API on ``name``."""
    return _paged(client, ep.CLUSTERS_PAGE, dict(resPoolId=client.region_id, clusterName=name))


def is_gone(record):
    """bizState 4 (unsubscribed) or a ``deleted`` status: the record is history, not a cluster."""
    try:
        biz = int(record.get("bizState"))
    except (TypeError, ValueError):
        biz = None
    return biz in BIZ_GONE or ("%s" % record.get("clusterStatus", "")).lower() == "deleted"


def is_unsubscribing(record):
    try:
        return int(record.get("bizState")) in BIZ_UNSUBSCRIBING
    except (TypeError, ValueError):
        return False


def find_cluster(client, name):
    """The cluster named exactly ``name`` (the API's filter may match more loosely), or None.

    Records of unsubscribed clusters are ignored; two live clusters of the same name are an error.
    """
    found = [c for c in list_clusters(client, name=name) if c.get("clusterName") == name and not is_gone(c)]
    if len(found) > 1:
        raise ApiError("More than one CCE cluster is named %r (%s); clusters must have unique names"
                       % (name, ", ".join(sorted("%s" % c.get("id", "?") for c in found))), code="Ambiguous")
    return found[0] if found else None


def describe_cluster(client, cluster_id):
    return client.call("GET", ep.path(ep.CLUSTER_DESCRIBE, cluster_id=cluster_id))


def get_cluster(client, cluster_id):
    """Like :func:`describe_cluster` but None when it does not exist or is unsubscribed."""
    try:
        obj = describe_cluster(client, cluster_id)
    except NotFoundError:
        return None
    return None if obj is None or is_gone(obj) else obj


def create_cluster(client, body, settle=0.0):
    """Place the create order. Returns ``(order, existing)``: ``order`` is ``{orderId, orderNo}``; when the
    answer was lost and the cluster was found by name, ``order`` is None and ``existing`` its record.

    The order never carries a cluster id: callers find the cluster by name (``waiters.wait_created``).
    No resend happens without a lookup by name first (``client.create``).
    """
    name = body["clusterBaseInfo"]["clusterName"]
    order, existing = client.create(ep.CLUSTERS_CREATE, body, lookup=lambda: find_cluster(client, name),
                                    settle=settle)
    if existing is None and not order:
        raise ApiError("CCE cluster create answered without an order", code="NoOrder")
    return order, existing


def delete_cluster(client, cluster_id, name):
    """Place the unsubscribe order. A lost answer is followed by a lookup: a cluster already
    unsubscribing or gone is not ordered a second time. Returns ``(order, recovered)``."""
    def lookup():
        found = find_cluster(client, name)
        if found is None or is_unsubscribing(found) or ("%s" % found.get("clusterStatus")).lower() == "deleting":
            return found or {}
        return None
    order, existing = client.create(ep.CLUSTERS_DELETE, dict(resPoolId=client.region_id, prodInstId=cluster_id),
                                    lookup=lookup)
    return order, existing is not None


def modify_cluster(client, cluster_id, body):
    """PUT the changed mutable fields (``clusterDesc``)."""
    return client.call("PUT", ep.path(ep.CLUSTER_MODIFY, cluster_id=cluster_id), body=body)


def get_tags(client, cluster_id):
    return client.call("GET", ep.path(ep.CLUSTER_TAGS, cluster_id=cluster_id))


def set_tags(client, cluster_id, tags):
    """Replace the tag list (``PUT .../tags {tags: []string}``: an absolute state, safe to repeat)."""
    return client.call("PUT", ep.path(ep.CLUSTER_TAGS, cluster_id=cluster_id), body=dict(tags=tags))


def list_nodes(client, cluster_id):
    return records(client.call("GET", ep.path(ep.CLUSTER_NODES, cluster_id=cluster_id)))


def get_kubeconfig(client, cluster_id, public=False):
    return client.call("GET", ep.path(ep.CLUSTER_KUBECONFIG, cluster_id=cluster_id),
                       query={"isPublic": "true" if public else "false"})


def list_versions(client):
    return client.call("GET", ep.VERSIONS)


def get_quotas(client):
    return client.call("GET", ep.QUOTAS)


def list_flavors(ecs_client, name):
    """ECS flavours named ``name`` (``POST /v4/ecs/flavor/list``, a read: safe to repeat)."""
    return records(ecs_client.call("POST", ep.ECS_FLAVORS, body=dict(regionID=ecs_client.region_id, flavorName=name),
                                   idempotent=True))


def list_nodepools(client, cluster_id, name=None):
    return _paged(client, ep.path(ep.NODEPOOLS, cluster_id=cluster_id), dict(nodePoolName=name))


def find_nodepool(client, cluster_id, name):
    for pool in list_nodepools(client, cluster_id, name=name):
        if pool.get("nodePoolName") == name:
            return pool
    return None


def get_nodepool(client, cluster_id, nodepool_id):
    """One pool, or None when the API says it does not exist (the provider's test: the message)."""
    try:
        return client.call("GET", ep.path(ep.NODEPOOL_GET, cluster_id=cluster_id, nodepool_id=nodepool_id))
    except ApiError as exc:
        if isinstance(exc, NotFoundError) or NOT_EXIST_TEXT in ("%s" % exc.details.get("api_message", "")):
            return None
        raise


def create_nodepool(client, cluster_id, body):
    """Create a node pool (the answer is a bool) and return its list record, found by name.
    A lost answer is followed by the same lookup before any resend."""
    name = body["nodePoolName"]
    _answer, existing = client.create(ep.path(ep.NODEPOOL_CREATE, cluster_id=cluster_id), body,
                                      lookup=lambda: find_nodepool(client, cluster_id, name))
    if existing is not None:
        return existing, True
    found = find_nodepool(client, cluster_id, name)
    if found is None:
        raise ApiError("CCE created node pool %s but does not list it" % name, code="NodePoolMissing")
    return found, False


def scale_up(client, cluster_id, nodepool_id, num):
    """Add ``num`` nodes. Relative: never replayed by the transport (``idempotent=False``)."""
    return client.call("PUT", ep.path(ep.NODEPOOL_SCALE_UP, cluster_id=cluster_id, nodepool_id=nodepool_id),
                       body=dict(num=num), idempotent=False)


def scale_down(client, cluster_id, nodepool_id, node_names):
    """Remove the nodes named; not replayed blindly either (the caller re-reads the pool first)."""
    return client.call("PUT", ep.path(ep.NODEPOOL_SCALE_DOWN, cluster_id=cluster_id, nodepool_id=nodepool_id),
                       body=dict(nodeNames=list(node_names), forcedDeletion=True), idempotent=False)


def list_tasks(client, cluster_id):
    return _paged_tasks(client, ep.path(ep.TASKS, cluster_id=cluster_id))


def _paged_tasks(client, path):
    out = []
    page = 1
    while True:
        obj = client.call("GET", path, query=dict(pageNumber=page, pageSize=ep.PAGE_SIZE))
        batch = records(obj)
        out.extend(batch)
        total = obj.get("total") if isinstance(obj, dict) else None
        if not batch or len(batch) < ep.PAGE_SIZE or (total is not None and len(out) >= total):
            return out
        page += 1


def list_task_events(client, cluster_id, task_id):
    return _paged_tasks(client, ep.path(ep.TASK_EVENTS, cluster_id=cluster_id, task_id=task_id))
