"""CCE cluster API of the simulation: async lifecycle, unique names, quotas, versions, node pools, tasks.

Paths and fields come from ``table``. State lives in ``sim.state["cce"]``:
``clusters`` (id -> record, records carry their ``regionId``), ``tasks`` (cluster id -> list).
"""

from __future__ import annotations

import copy
import ipaddress

from . import SimError, table as t

P = t.CCE_PATHS


def _state(sim) -> dict:
    return sim.state.setdefault("cce", {"clusters": {}, "tasks": {}, "events": {}})


def _clusters(sim, request) -> list:
    region = sim.region(request)
    return [c for c in _state(sim)["clusters"].values() if c["regionId"] == region]


def _get(sim, request, cluster_id=None) -> dict:
    cluster_id = cluster_id or request.match_info["clusterId"]
    cluster = _state(sim)["clusters"].get(cluster_id)
    if cluster is None or cluster["regionId"] != sim.region(request):
        raise SimError("not_found", f"cluster {cluster_id} not found")
    return cluster


def _public(cluster) -> dict:
    out = copy.deepcopy(cluster)
    out.pop("nodePools", None)
    out["nodePoolCount"] = len(cluster["nodePools"])
    return out


def _task(sim, cluster, kind, seconds, message="") -> dict:
    task = {"taskId": sim.new_id("task"), "taskType": kind, "taskStatus": t.TASK_RUNNING,
            "clusterId": cluster["clusterId"], "createdTime": sim.iso_now(), "message": message}
    _state(sim)["tasks"].setdefault(cluster["clusterId"], []).append(task)
    _state(sim)["events"][task["taskId"]] = [{"eventType": "Normal", "message": f"{kind} started",
                                              "createdTime": task["createdTime"]}]

    def finish():
        task["taskStatus"] = t.TASK_SUCCESS
        _state(sim)["events"][task["taskId"]].append(
            {"eventType": "Normal", "message": f"{kind} finished", "createdTime": sim.iso_now()})
    sim.after(seconds, finish)
    return task


def _nodes_used(sim, request) -> int:
    return sum(p["nodeCount"] for c in _clusters(sim, request) for p in c["nodePools"])


def _check_pool(body) -> dict:
    pool = {k: body.get(k) for k in t.NODEPOOL_FIELDS if body.get(k) is not None}
    for k, v in t.NODEPOOL_DEFAULTS.items():
        pool.setdefault(k, v)
    if not pool.get("nodePoolName") or not pool.get("flavorName") or not pool.get("osImage"):
        raise SimError("bad_request", "node pool needs nodePoolName, flavorName and osImage")
    if not isinstance(pool.get("nodeCount", 0), int) or pool.get("nodeCount", 0) < 0:
        raise SimError("bad_request", "nodeCount must be a non-negative integer")
    pool.setdefault("nodeCount", 0)
    return pool


def _new_pool(sim, pool) -> dict:
    return dict(pool, nodePoolId=sim.new_id("np"), status=t.NODEPOOL_ACTIVE)


async def create_cluster(sim, request, body):
    body = body or {}
    unknown = sorted(set(body) - set(t.CLUSTER_CREATE_FIELDS))
    if unknown:
        raise SimError("bad_request", f"unknown fields: {', '.join(unknown)}")
    missing = [f for f in t.CLUSTER_CREATE_REQUIRED if not body.get(f)]
    if missing:
        raise SimError("bad_request", f"missing fields: {', '.join(missing)}")
    spec = dict(copy.deepcopy(t.CLUSTER_DEFAULTS), **copy.deepcopy(body))
    if spec["kubernetesVersion"] not in t.SUPPORTED_VERSIONS:
        raise SimError("version", f"kubernetesVersion {spec['kubernetesVersion']} is not supported")
    if spec["clusterType"] not in t.CLUSTER_TYPES:
        raise SimError("bad_request", f"clusterType must be one of {', '.join(t.CLUSTER_TYPES)}")
    if spec["containerNetworkType"] not in t.NETWORK_PLUGINS:
        raise SimError("bad_request", f"containerNetworkType must be one of {', '.join(t.NETWORK_PLUGINS)}")
    if spec["controlPlaneCount"] not in t.CONTROL_PLANE_COUNTS:
        raise SimError("bad_request", "controlPlaneCount must be 1, 3 or 5")
    try:
        pod = ipaddress.ip_network(spec["containerNetworkCidr"])
        svc = ipaddress.ip_network(spec["serviceNetworkCidr"])
    except ValueError as exc:
        raise SimError("bad_request", f"bad CIDR: {exc}") from None
    if pod.overlaps(svc):
        raise SimError("bad_request", "containerNetworkCidr and serviceNetworkCidr overlap")
    access = spec.get("apiServerAccess") or {}
    if access.get("type") not in t.API_SERVER_ACCESS_TYPES or (
            access.get("type") != "none" and access.get("elbSpec") not in t.ELB_SPECS):
        raise SimError("bad_request", f"apiServerAccess needs type in {t.API_SERVER_ACCESS_TYPES} and elbSpec in "
                                      f"{t.ELB_SPECS}")
    if any(c["clusterName"] == spec["clusterName"] for c in _clusters(sim, request)):
        raise SimError("name_exists", f"a cluster named {spec['clusterName']} already exists")
    pools = [_check_pool(p) for p in spec.pop("nodePools", None) or []]
    if len({p["nodePoolName"] for p in pools}) != len(pools):
        raise SimError("bad_request", "node pool names must be unique")
    if len(_clusters(sim, request)) + 1 > sim.knob(*t.KNOB_CLUSTER_QUOTA):
        raise SimError("quota", "cluster quota exceeded")
    if _nodes_used(sim, request) + sum(p["nodeCount"] for p in pools) > sim.knob(*t.KNOB_NODE_QUOTA):
        raise SimError("quota", "node quota exceeded")
    cluster = dict(spec, clusterId=sim.new_id("cce"), clusterStatus=t.CLUSTER_CREATING,
                   regionId=sim.region(request), createdTime=sim.iso_now(),
                   tags=list(spec.get("tags") or []), nodePools=[_new_pool(sim, p) for p in pools])
    _state(sim)["clusters"][cluster["clusterId"]] = cluster
    ready = sim.knob(*t.KNOB_READY_S)
    _task(sim, cluster, "CreateCluster", ready)

    def running():
        if cluster["clusterStatus"] == t.CLUSTER_CREATING:
            cluster["clusterStatus"] = t.CLUSTER_RUNNING
    sim.after(ready, running)
    return {"clusterID": cluster["clusterId"]}


async def page_clusters(sim, request, body):
    try:
        page = max(1, int(request.query.get("pageNow", "1")))
        size = max(1, min(100, int(request.query.get("pageSize", "10"))))
    except ValueError:
        raise SimError("bad_request", "pageNow and pageSize must be integers") from None
    name = request.query.get("clusterName")
    # The real filter is a substring match; callers must compare names exactly.
    found = [c for c in _clusters(sim, request) if not name or name in c["clusterName"]]
    found.sort(key=lambda c: c["clusterId"])
    return {"records": [_public(c) for c in found[(page - 1) * size: page * size]],
            "total": len(found), "pageNow": page, "pageSize": size}


async def describe_cluster(sim, request, body):
    return _public(_get(sim, request))


async def modify_cluster(sim, request, body):
    cluster = _get(sim, request)
    body = body or {}
    bad = sorted(set(body) - set(t.CLUSTER_MUTABLE_FIELDS))
    if bad:
        raise SimError("immutable", f"fields cannot be modified: {', '.join(bad)}")
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, not running")
    for key in t.CLUSTER_MUTABLE_FIELDS:
        if key in body:
            cluster[key] = copy.deepcopy(body[key])
    return {"clusterID": cluster["clusterId"]}


async def delete_cluster(sim, request, body):
    cluster = _get(sim, request)
    if cluster["clusterStatus"] == t.CLUSTER_DELETING:
        return {"clusterID": cluster["clusterId"]}
    cluster["clusterStatus"] = t.CLUSTER_DELETING
    seconds = sim.knob(*t.KNOB_DELETE_S)
    _task(sim, cluster, "DeleteCluster", seconds)

    def gone():
        _state(sim)["clusters"].pop(cluster["clusterId"], None)
    sim.after(seconds, gone)
    return {"clusterID": cluster["clusterId"]}


async def kubeconfig(sim, request, body):
    cluster = _get(sim, request)
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, kubeconfig is available when running")
    kind = request.query.get("type", "external")
    if kind not in ("internal", "external"):
        raise SimError("bad_request", "type must be internal or external")
    text = sim.lab.kubeconfig_for(t.KUBECONFIG_LAB_CLUSTER) if sim.lab is not None else ""
    return {"kubeconfig": text, "type": kind, "expireHours": int(request.query.get("expireHours") or 0) or None}


async def versions(sim, request, body):
    return [{"version": v, "status": "supported"} for v in t.SUPPORTED_VERSIONS]


async def quotas(sim, request, body):
    return {"quotas": [
        {"name": "cluster", "limit": sim.knob(*t.KNOB_CLUSTER_QUOTA), "used": len(_clusters(sim, request))},
        {"name": "node", "limit": sim.knob(*t.KNOB_NODE_QUOTA), "used": _nodes_used(sim, request)},
    ]}


async def list_nodepools(sim, request, body):
    pools = _get(sim, request)["nodePools"]
    return {"records": copy.deepcopy(pools), "total": len(pools)}


async def create_nodepool(sim, request, body):
    cluster = _get(sim, request)
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, not running")
    pool = _check_pool(body or {})
    if any(p["nodePoolName"] == pool["nodePoolName"] for p in cluster["nodePools"]):
        raise SimError("nodepool_exists", f"node pool {pool['nodePoolName']} already exists")
    if _nodes_used(sim, request) + pool["nodeCount"] > sim.knob(*t.KNOB_NODE_QUOTA):
        raise SimError("quota", "node quota exceeded")
    new = _new_pool(sim, pool)
    cluster["nodePools"].append(new)
    _task(sim, cluster, "CreateNodePool", sim.knob(*t.KNOB_READY_S) / 2)
    return {"nodePoolId": new["nodePoolId"]}


async def scale_nodepool(sim, request, body):
    cluster = _get(sim, request)
    pool_id = request.match_info["nodePoolId"]
    pool = next((p for p in cluster["nodePools"] if p["nodePoolId"] == pool_id), None)
    if pool is None:
        raise SimError("nodepool_not_found", f"node pool {pool_id} not found")
    count = (body or {}).get("nodeCount")
    if not isinstance(count, int) or count < 0:
        raise SimError("bad_request", "nodeCount must be a non-negative integer")
    if _nodes_used(sim, request) - pool["nodeCount"] + count > sim.knob(*t.KNOB_NODE_QUOTA):
        raise SimError("quota", "node quota exceeded")
    if count != pool["nodeCount"]:
        pool["nodeCount"] = count
        pool["status"] = t.NODEPOOL_SCALING
        seconds = sim.knob(*t.KNOB_READY_S) / 2
        _task(sim, cluster, "ScaleNodePool", seconds)

        def done():
            pool["status"] = t.NODEPOOL_ACTIVE
        sim.after(seconds, done)
    return {"nodePoolId": pool_id, "nodeCount": count}


async def tasks(sim, request, body):
    found = copy.deepcopy(_state(sim)["tasks"].get(_get(sim, request)["clusterId"], []))
    return {"records": found, "total": len(found)}


async def task_events(sim, request, body):
    _get(sim, request)
    events = _state(sim)["events"].get(request.match_info["taskId"])
    if events is None:
        raise SimError("task_not_found", f"task {request.match_info['taskId']} not found")
    return {"records": copy.deepcopy(events), "total": len(events)}


HANDLERS = {
    "cluster_create": create_cluster, "cluster_page": page_clusters, "cluster_describe": describe_cluster,
    "cluster_modify": modify_cluster, "cluster_delete": delete_cluster, "cluster_kubeconfig": kubeconfig,
    "versions": versions, "quotas": quotas, "nodepool_list": list_nodepools, "nodepool_create": create_nodepool,
    "nodepool_scale": scale_nodepool, "tasks": tasks, "task_events": task_events,
}


def register(sim) -> None:
    for name, (method, path) in P.items():
        sim.route(method, path, HANDLERS[name], name=name)
