# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CCE API shapes <-> module shapes. Pure functions.

The API speaks camelCase (``clusterName``, ``containerNetworkCidr``...); modules speak the
snake_case options of ``cce_cluster``. Fields the public description does not name (API
server ELB, control-plane count, node flavour, worker OS) use the names in ``API_FIELDS``.
"""

from __future__ import annotations

# module option -> API field of a cluster
API_FIELDS = dict(
    id="clusterId",
    name="clusterName",
    status="clusterStatus",
    cluster_type="clusterType",
    kubernetes_version="kubernetesVersion",
    vpc_id="vpcId",
    subnet_id="subnetId",
    network_plugin="containerNetworkType",
    pod_cidr="containerNetworkCidr",
    service_cidr="serviceNetworkCidr",
    control_plane_count="controlPlaneCount",
    description="description",
    created_at="createdTime",
    region_id="regionId",
)
API_SERVER_FIELDS = dict(exposure="type", elb_spec="elbSpec")
API_SERVER_KEY = "apiServerAccess"
NODEPOOL_FIELDS = dict(id="nodePoolId", name="nodePoolName", flavor="flavorName", os_image="osImage",
                       count="nodeCount", disk_size="sysDiskSize", disk_type="sysDiskType", status="status")

RUNNING = frozenset(["running", "normal", "available"])
FAILED = frozenset(["failed", "error", "createfailed", "create_failed", "abnormal"])
GONE = frozenset(["deleted"])


def tags_to_api(tags):
    return [dict(key=k, value="" if v is None else "%s" % v) for k, v in sorted((tags or {}).items())]


def tags_from_api(tags):
    if isinstance(tags, dict):
        return dict((k, "" if v is None else "%s" % v) for k, v in tags.items())
    return dict((t.get("key"), t.get("value", "")) for t in (tags or []) if t.get("key") is not None)


def nodepool_from_api(pool):
    out = dict((opt, pool.get(api)) for opt, api in NODEPOOL_FIELDS.items())
    return out


def nodepool_to_api(pool):
    return dict((api, pool[opt]) for opt, api in NODEPOOL_FIELDS.items()
                if opt not in ("id", "status") and pool.get(opt) is not None)


def cluster_from_api(obj, nodepools=None):
    """Module shape of one cluster (``nodepools``: the API records of its node pools)."""
    if obj is None:
        return None
    out = dict((opt, obj.get(api)) for opt, api in API_FIELDS.items())
    if out["status"]:
        out["status"] = ("%s" % out["status"]).lower()
    access = obj.get(API_SERVER_KEY) or {}
    out["api_server"] = dict((opt, access.get(api)) for opt, api in API_SERVER_FIELDS.items())
    out["tags"] = tags_from_api(obj.get("tags"))
    pools = nodepools if nodepools is not None else obj.get("nodePools")
    out["node_pools"] = [nodepool_from_api(p) for p in (pools or [])]
    return out


def cluster_to_api(spec):
    """Create body from the module shape (only fields that are set)."""
    body = dict((api, spec[opt]) for opt, api in API_FIELDS.items()
                if opt not in ("id", "status", "created_at", "region_id") and spec.get(opt) is not None)
    api_server = spec.get("api_server") or {}
    if any(v is not None for v in api_server.values()):
        body[API_SERVER_KEY] = dict((api, api_server[opt]) for opt, api in API_SERVER_FIELDS.items()
                                    if api_server.get(opt) is not None)
    if spec.get("tags") is not None:
        body["tags"] = tags_to_api(spec["tags"])
    if spec.get("node_pools"):
        body["nodePools"] = [nodepool_to_api(p) for p in spec["node_pools"]]
    return body


def records(obj):
    """The list inside a paged/list answer (``records``, ``list``, ``items`` or the list itself)."""
    if obj is None:
        return []
    if isinstance(obj, list):
        return obj
    for key in ("records", "list", "items", "clusters", "nodePools", "versions", "quotas", "tasks", "events"):
        if isinstance(obj.get(key), list):
            return obj[key]
    return []


def versions_from_api(obj):
    """Supported Kubernetes versions as strings, in the API's order."""
    out = []
    for item in records(obj):
        if isinstance(item, dict):
            value = item.get("version") or item.get("kubernetesVersion") or item.get("name")
        else:
            value = item
        if value:
            out.append(("%s" % value).lstrip("v"))
    return out


def quotas_from_api(obj):
    """``{name: {limit, used, available}}`` from the quota answer."""
    out = {}
    for item in records(obj):
        name = item.get("name") or item.get("quotaName")
        limit = item.get("limit", item.get("total"))
        used = item.get("used", 0) or 0
        if name is None:
            continue
        available = None if limit is None or limit < 0 else max(0, limit - used)
        out[name] = dict(limit=limit, used=used, available=available)
    return out


def task_from_api(task):
    return dict(id=task.get("taskId"), type=task.get("taskType"), status=task.get("taskStatus"),
                message=task.get("message"), created_at=task.get("createdTime"))


def kubeconfig_from_api(obj):
    """The kubeconfig text from the kubeconfig answer (a string, or a dict holding it)."""
    if isinstance(obj, dict):
        for key in ("kubeconfig", "content", "config"):
            if obj.get(key):
                return obj[key]
        return None
    return obj
