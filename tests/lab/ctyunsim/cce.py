"""CCE ("ccse") API of the simulation, shaped as CTyun's Terraform provider uses the real one
(``ctyun-it/terraform-provider-ctyun`` @ ``table.PROVIDER_COMMIT``): a create is an order that answers
``{orderId, orderNo}`` and no cluster id; the cluster then shows in the list by name, moves from
``creating`` (bizState 6) to ``normal`` (bizState 1) and its nodes to ``normal``; a delete is an
unsubscribe order; node pools are created without a count and scaled by relative ``scaleup {num}`` /
``scaledown {nodeNames}``. Unknown regions, zones, flavours, images and fields are refused.

State lives in ``sim.state["cce"]``: ``clusters`` (id -> record with the provider's read fields plus
``_pools``, ``_masters``, ``_tags``), ``tasks`` (cluster id -> list), ``events``, ``orders`` (every order
accepted, for tests that count them).
"""

from __future__ import annotations

import copy
import ipaddress
import uuid

from . import SimError, table as t

P = t.CCE_PATHS


def _state(sim) -> dict:
    return sim.state.setdefault("cce", {"clusters": {}, "tasks": {}, "events": {}, "orders": []})


def _region(sim, request) -> str:
    region = sim.region(request)
    if region not in t.REGION_ZONES:
        raise SimError("region_unknown", f"resource pool {region} does not exist")
    return region


def _clusters(sim, request) -> list:
    region = _region(sim, request)
    return [c for c in _state(sim)["clusters"].values() if c["resPoolId"] == region]


def _get(sim, request, cluster_id=None) -> dict:
    cluster_id = cluster_id or request.match_info["clusterId"]
    cluster = _state(sim)["clusters"].get(cluster_id)
    if cluster is None or cluster["resPoolId"] != _region(sim, request):
        raise SimError("not_found", f"cluster {cluster_id} {t.NOT_EXIST}")
    return cluster


def _public(cluster) -> dict:
    return {k: copy.deepcopy(v) for k, v in cluster.items() if not k.startswith("_")}


def _pool_public(pool) -> dict:
    out = {k: copy.deepcopy(v) for k, v in pool.items() if not k.startswith("_")}
    nodes = pool["_nodes"]
    out["nodes"] = copy.deepcopy(nodes)
    out["nodeTotalNum"] = len(nodes)
    out["normalNodeNum"] = sum(1 for n in nodes if n["nodeStatus"] == t.NODE_NORMAL)
    out["unNormalNodeNum"] = out["nodeTotalNum"] - out["normalNodeNum"]
    out["status"] = t.NODEPOOL_NORMAL if out["unNormalNodeNum"] == 0 else t.NODEPOOL_SCALING
    return out


def _task(sim, cluster, kind, seconds, fail_reason=None) -> dict:
    task = {"taskId": sim.new_id("task"), "clusterId": cluster["id"], "regionId": cluster["resPoolId"],
            "taskType": kind, "taskStatus": t.TASK_RUNNING, "taskContent": kind, "taskResult": "",
            "createdTime": sim.iso_now()}
    _state(sim)["tasks"].setdefault(cluster["id"], []).append(task)
    _state(sim)["events"][task["taskId"]] = [{"taskId": task["taskId"], "clusterId": cluster["id"],
                                              "eventType": "Normal", "eventMessage": f"{kind} started",
                                              "createdTime": task["createdTime"]}]

    def finish():
        task["taskStatus"] = t.TASK_FAILED if fail_reason else t.TASK_SUCCESS
        task["taskResult"] = fail_reason or "success"
        _state(sim)["events"][task["taskId"]].append(
            {"taskId": task["taskId"], "clusterId": cluster["id"], "eventType": "Warning" if fail_reason else "Normal",
             "eventMessage": fail_reason or f"{kind} finished", "createdTime": sim.iso_now()})
    sim.after(seconds, finish)
    return task


def _nodes_used(sim, request) -> int:
    return sum(len(c["_masters"]) + sum(len(p["_nodes"]) for p in c["_pools"]) for c in _clusters(sim, request))


def _bad(message):
    return SimError("bad_request", message)


def _need(obj, fields, where):
    missing = [f for f in fields if obj.get(f) in (None, "", [])]
    if missing:
        raise _bad(f"{where}: missing {', '.join(missing)}")


def _only(obj, fields, where):
    unknown = sorted(set(obj) - set(fields))
    if unknown:
        raise _bad(f"{where}: unknown fields {', '.join(unknown)}")


def _zones(region, az_infos, where, sized=True) -> int:
    total = 0
    for az in az_infos or []:
        if az.get("azName") not in t.REGION_ZONES[region]:
            raise _bad(f"{where}: availability zone {az.get('azName')} {t.NOT_EXIST} in {region}")
        if sized:
            if not isinstance(az.get("size"), int) or az["size"] < 1:
                raise _bad(f"{where}: every zone needs size >= 1")
            total += az["size"]
    return total


def _disk(disk, low, high, where, key="itemDefName"):
    if disk is None:
        return
    if disk.get(key) not in t.DISK_TYPES or not isinstance(disk.get("size"), int) or not low <= disk["size"] <= high:
        raise _bad(f"{where}: {key} in {t.DISK_TYPES} and size {low}-{high}")


def _flavor(name, ftype, where, cpu=None, mem=None):
    known = t.FLAVORS.get(name)
    if known is None:
        raise _bad(f"{where}: flavour {name} {t.NOT_EXIST}")
    if ftype != known[0]:
        raise _bad(f"{where}: flavour type {ftype} does not match {name} ({known[0]})")
    if (cpu is not None and cpu != known[1]) or (mem is not None and mem != known[2]):
        raise _bad(f"{where}: cpu/mem {cpu}/{mem} do not match {name} ({known[1]}C{known[2]}G)")
    return known


def _billing(obj, where, pool=False):
    mode = obj.get("billMode")
    if mode not in ("1", "2"):
        raise _bad(f"{where}: billMode must be \"1\" (subscription) or \"2\" (on demand)")
    if mode == "1":
        if pool and (obj.get("cycleType") not in ("MONTH", "YEAR") or not obj.get("cycleCount")):
            raise _bad(f"{where}: subscription needs cycleType MONTH/YEAR and cycleCount")
        if not pool and (obj.get("cycleType") not in ("3", "5", "6", "7") or not obj.get("cycleCnt")):
            raise _bad(f"{where}: subscription needs cycleType 3/5/6/7 and cycleCnt")


def _check_create(sim, request, body, region):
    _only(body, t.CREATE_TOP, "body")
    if body.get("resPoolId") != region:
        raise _bad(f"resPoolId {body.get('resPoolId')} does not match the regionId header {region}")
    base = body.get("clusterBaseInfo") or {}
    _only(base, t.BASE_FIELDS, "clusterBaseInfo")
    _need(base, t.BASE_REQUIRED, "clusterBaseInfo")
    series = base["clusterSeries"]
    if series not in t.SERIES:
        raise _bad(f"clusterSeries must be one of {', '.join(t.SERIES)}")
    if base["clusterVersion"] not in t.SUPPORTED_VERSIONS:
        raise SimError("version", f"clusterVersion {base['clusterVersion']} is not supported")
    for field, allowed in (("networkPlugin", t.NETWORK_PLUGINS), ("elbProdCode", t.ELB_SPECS),
                           ("containerRuntime", t.RUNTIMES), ("kubeProxy", t.KUBE_PROXY),
                           ("deployType", ("single", "multi"))):
        if base[field] not in allowed:
            raise _bad(f"{field} must be one of {', '.join(allowed)}")
    if not (30000 <= base["startPort"] < base["endPort"] <= 65535) or base["endPort"] - base["startPort"] <= 20:
        raise _bad("startPort/endPort: 30000-65535, range wider than 20")
    try:
        svc = ipaddress.ip_network(base.get("serviceCidr") or "10.96.0.0/16")
    except ValueError as exc:
        raise _bad(f"serviceCidr: {exc}") from None
    if base["networkPlugin"] == "cubecni":
        if not base.get("podSubnetUuidList"):
            raise _bad("podSubnetUuidList is required with cubecni")
        if base.get("podCidr"):
            raise _bad("podCidr is not accepted with cubecni")
    else:
        if not base.get("podCidr"):
            raise _bad("podCidr is required with calico")
        try:
            pod = ipaddress.ip_network(base["podCidr"])
        except ValueError as exc:
            raise _bad(f"podCidr: {exc}") from None
        if pod.overlaps(svc):
            raise _bad("podCidr and serviceCidr overlap")
    if not base.get("autoGenerateSecurityGroup") and not base.get("securityGroupUuid"):
        raise _bad("securityGroupUuid is required when autoGenerateSecurityGroup is false")
    _billing(base, "clusterBaseInfo")
    zones = base.get("azInfos") or []
    if not zones:
        raise _bad("clusterBaseInfo.azInfos is required")
    if base["deployType"] == "single" and len(zones) != 1 or base["deployType"] == "multi" and len(zones) < 2:
        raise _bad("deployType single takes one zone, multi more than one")
    masters = 0
    if series == "cce.standard":
        master = body.get("masterHost")
        if not master:
            raise _bad("masterHost is required for cce.standard")
        _only(master, t.HOST_FIELDS, "masterHost")
        _need(master, ("itemDefName", "itemDefType", "cpu", "mem", "size", "sysDisk"), "masterHost")
        _, cpu, mem = _flavor(master["itemDefName"], master["itemDefType"], "masterHost", master["cpu"], master["mem"])
        if cpu < 4 or mem < 8:
            raise _bad("masterHost: at least 4C8G")
        masters = _zones(region, zones, "clusterBaseInfo.azInfos")
        if masters != master["size"]:
            raise _bad("masterHost.size must equal the sum of clusterBaseInfo.azInfos sizes")
        _disk(master["sysDisk"], 80, 2040, "masterHost.sysDisk")
    else:
        if body.get("masterHost"):
            raise _bad("masterHost is not accepted for cce.managed")
        if base.get("seriesType") not in t.MANAGED_SCALES:
            raise _bad("seriesType managedbase or managedpro is required for cce.managed")
        if "%s" % base.get("nodeScale") not in t.MANAGED_SCALES[base["seriesType"]]:
            raise _bad(f"nodeScale must be one of {t.MANAGED_SCALES[base['seriesType']]} for {base['seriesType']}")
        _zones(region, zones, "clusterBaseInfo.azInfos", sized=False)
    slave = body.get("slaveHost") or {}
    _only(slave, t.HOST_FIELDS, "slaveHost")
    _need(slave, ("itemDefName", "itemDefType", "size", "azInfos", "sysDisk", "foreignMirrorId"), "slaveHost")
    if slave.get("mirrorType") not in (0, 1):
        raise _bad("slaveHost.mirrorType must be 0 (private) or 1 (public)")
    _flavor(slave["itemDefName"], slave["itemDefType"], "slaveHost")
    if slave["foreignMirrorId"] not in t.NODE_IMAGES:
        raise _bad(f"slaveHost.foreignMirrorId {slave['foreignMirrorId']} {t.NOT_EXIST}")
    if _zones(region, slave["azInfos"], "slaveHost.azInfos") != slave["size"]:
        raise _bad("slaveHost.size must equal the sum of slaveHost.azInfos sizes")
    _disk(slave["sysDisk"], 80, 2040, "slaveHost.sysDisk")
    for disk in slave.get("dataDisks") or []:
        _disk(disk, 10, 20000, "slaveHost.dataDisks")
    return base, masters, slave


def _node(name, kind) -> dict:
    return {"nodeName": name, "nodeType": kind, "nodeStatus": t.NODE_CREATING, "isSchedule": kind == 2,
            "hostIp": "", "kubeletVersion": "", "osImageVersion": "CTyunOS 23.01"}


def _add_nodes(sim, cluster, pool, count, seconds):
    nodes = []
    for _ in range(count):
        pool["_seq"] += 1
        nodes.append(_node(f"{cluster['clusterName']}-{pool['nodePoolName']}-{pool['_seq']:03d}", 2))
    pool["_nodes"].extend(nodes)

    def ready():
        for node in nodes:
            node["nodeStatus"] = t.NODE_NORMAL
    sim.after(seconds, ready)


async def create_cluster(sim, request, body):
    region = _region(sim, request)
    base, masters, slave = _check_create(sim, request, body or {}, region)
    name = base["clusterName"]
    if any(c["clusterName"] == name for c in _clusters(sim, request)):
        raise SimError("name_exists", f"a cluster named {name} already exists")
    if len(_clusters(sim, request)) + 1 > sim.knob(*t.KNOB_CLUSTER_QUOTA):
        raise SimError("quota", "cluster quota exceeded")
    if _nodes_used(sim, request) + masters + slave["size"] > sim.knob(*t.KNOB_NODE_QUOTA):
        raise SimError("quota", "node quota exceeded")
    cluster_id = str(uuid.uuid4())
    order = {"orderId": sim.new_id("order"), "orderNo": sim.new_id("20261202"), "type": "create",
             "clusterName": name}
    _state(sim)["orders"].append(order)
    cluster = {
        "id": cluster_id, "prodInstId": cluster_id, "clusterName": name, "clusterType": t.SERIES[base["clusterSeries"]],
        "clusterDesc": base.get("clusterDesc") or "", "clusterAlias": base.get("clusterAlias") or "",
        "clusterVersion": base["clusterVersion"], "clusterStatus": t.CLUSTER_CREATING, "bizState": t.BIZ_PROVISIONING,
        "startPort": base["startPort"], "endPort": base["endPort"], "serviceCidr": base.get("serviceCidr") or
        "10.96.0.0/16", "podCidr": base.get("podCidr") or "192.168.0.0/16",  # cubecni: the VPC's CIDR
        "createdTime": sim.iso_now(), "masterNodeNum": masters, "slaveNodeNum": slave["size"], "resPoolId": region,
        "containerRuntime": base["containerRuntime"], "networkPlugin": base["networkPlugin"],
        "kubeProxyPattern": base["kubeProxy"], "billMode": base["billMode"], "timezone": base["timezone"],
        "masterSlbIp": "192.168.0.10", "eip": "121.36.0.10" if base.get("enableApiServerEip") else "",
        "vpcId": base["vpcUuid"], "subnetUuid": base["subnetUuid"],
        "_elb": base["elbProdCode"], "_tags": [], "_pools": [], "_order": order,
        "_masters": [_node(f"{name}-master-{i + 1}", 1) for i in range(masters)],
    }
    _state(sim)["clusters"][cluster_id] = cluster
    pool = {"id": sim.new_id("np"), "nodePoolName": t.DEFAULT_POOL_NAME, "isDefault": True,
            "vmSpecName": slave["itemDefName"], "vmType": slave["itemDefType"], "imageUuid": slave["foreignMirrorId"],
            "imageType": slave["mirrorType"], "sysDiskType": slave["sysDisk"]["itemDefName"],
            "sysDiskSize": slave["sysDisk"]["size"], "billMode": base["billMode"], "maxPodNum": 110,
            "azInfo": [{"azName": z["azName"]} for z in slave["azInfos"]], "createdTime": sim.iso_now(),
            "_nodes": [], "_seq": 0}
    cluster["_pools"].append(pool)
    ready = sim.knob(*t.KNOB_READY_S)
    fail = "%s" % sim.knob(*t.KNOB_CREATE_FAIL) == "1"
    reason = "create cluster failed: subnet %s has no free IP addresses" % base["subnetUuid"] if fail else None
    _task(sim, cluster, "CreateCluster", ready, fail_reason=reason)
    if not fail:
        _add_nodes(sim, cluster, pool, slave["size"], ready)

    def done():
        if cluster["clusterStatus"] != t.CLUSTER_CREATING:
            return
        if fail:
            cluster.update(clusterStatus=t.CLUSTER_CREATE_FAIL, bizState=t.BIZ_CREATE_FAILED)
            return
        cluster.update(clusterStatus=t.CLUSTER_RUNNING, bizState=t.BIZ_RUNNING)
        for node in cluster["_masters"]:
            node["nodeStatus"] = t.NODE_NORMAL
    sim.after(ready, done)
    return {"orderId": order["orderId"], "orderNo": order["orderNo"]}


async def delete_cluster(sim, request, body):
    body = body or {}
    _only(body, ("resPoolId", "prodInstId"), "body")
    region = _region(sim, request)
    if body.get("resPoolId") != region:
        raise _bad("resPoolId must match the regionId header")
    cluster = _get(sim, request, body.get("prodInstId") or "-")
    if cluster["clusterStatus"] == t.CLUSTER_DELETING:
        raise SimError("state", f"cluster {cluster['id']} is already being unsubscribed")
    order = {"orderId": sim.new_id("order"), "orderNo": sim.new_id("20261202"), "type": "delete",
             "clusterName": cluster["clusterName"]}
    _state(sim)["orders"].append(order)
    cluster.update(clusterStatus=t.CLUSTER_DELETING, bizState=t.BIZ_UNSUBSCRIBING)
    seconds = sim.knob(*t.KNOB_DELETE_S)
    _task(sim, cluster, "DeleteCluster", seconds)

    def gone():
        _state(sim)["clusters"].pop(cluster["id"], None)
    sim.after(seconds, gone)
    return {"orderId": order["orderId"], "orderNo": order["orderNo"]}


def _page_args(request, page_key="pageNow"):
    try:
        page = max(1, int(request.query.get(page_key, "1")))
        size = int(request.query.get("pageSize", "10"))
    except ValueError:
        raise _bad(f"{page_key} and pageSize must be integers") from None
    if not 1 <= size <= 50:
        raise _bad("pageSize must be 1-50")
    return page, size


def _paged(items, page, size) -> dict:
    pages = max(1, -(-len(items) // size))
    return {"records": items[(page - 1) * size: page * size], "total": len(items), "size": size,
            "current": page, "pages": pages}


async def page_clusters(sim, request, body):
    page, size = _page_args(request)
    if request.query.get("resPoolId") not in (None, _region(sim, request)):
        raise _bad("resPoolId must match the regionId header")
    name = request.query.get("clusterName")
    # The real filter is a substring match; callers must compare names exactly.
    found = [c for c in _clusters(sim, request) if not name or name in c["clusterName"]]
    found.sort(key=lambda c: c["createdTime"] + c["id"])
    return _paged([_public(c) for c in found], page, size)


async def describe_cluster(sim, request, body):
    return _public(_get(sim, request))


async def modify_cluster(sim, request, body):
    cluster = _get(sim, request)
    body = body or {}
    bad = sorted(set(body) - set(t.MODIFY_FIELDS))
    if bad:
        raise SimError("immutable", f"fields cannot be modified: {', '.join(bad)}")
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, not normal")
    for key in ("clusterDesc", "clusterAlias", "startPort", "endPort"):
        if key in body:
            cluster[key] = copy.deepcopy(body[key])
    return True


async def nodes(sim, request, body):
    cluster = _get(sim, request)
    out = cluster["_masters"] + [n for p in cluster["_pools"] for n in p["_nodes"]]
    return copy.deepcopy(out)


async def tags_get(sim, request, body):
    return {"tags": list(_get(sim, request)["_tags"])}


async def tags_put(sim, request, body):
    cluster = _get(sim, request)
    tags = (body or {}).get("tags")
    if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
        raise _bad("tags must be a list of strings")
    cluster["_tags"] = list(tags)
    return True


async def kubeconfig(sim, request, body):
    cluster = _get(sim, request)
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, kubeconfig is available when normal")
    public = request.query.get("isPublic")
    if public not in ("true", "false"):
        raise _bad("isPublic must be true or false")
    if public == "true" and not cluster["eip"]:
        raise SimError("state", "the API server has no EIP: public kubeconfig unavailable")
    text = sim.lab.kubeconfig_for(t.KUBECONFIG_LAB_CLUSTER) if sim.lab is not None else ""
    return {"kubeConfig": text, "expireDate": "2027-12-02 00:00:00"}


async def versions(sim, request, body):
    return [{"version": v, "multi_az": "true", "runtimes": [{"name": "containerd", "version": "1.7.13"}]}
            for v in t.SUPPORTED_VERSIONS]


async def quotas(sim, request, body):
    return {"quotaCenterDataList": [
        {"userId": "lab-user", "accountId": "lab-account", "quotaName": "cluster",
         "quotaLimit": sim.knob(*t.KNOB_CLUSTER_QUOTA), "quotaUsed": len(_clusters(sim, request))},
        {"userId": "lab-user", "accountId": "lab-account", "quotaName": "node",
         "quotaLimit": sim.knob(*t.KNOB_NODE_QUOTA), "quotaUsed": _nodes_used(sim, request)},
    ]}


async def list_nodepools(sim, request, body):
    page, size = _page_args(request)
    name = request.query.get("nodePoolName")
    pools = [_pool_public(p) for p in _get(sim, request)["_pools"] if not name or name in p["nodePoolName"]]
    return _paged(pools, page, size)


def _pool(sim, request) -> tuple:
    cluster = _get(sim, request)
    pool_id = request.match_info["nodePoolId"]
    pool = next((p for p in cluster["_pools"] if p["id"] == pool_id), None)
    if pool is None:
        raise SimError("nodepool_not_found", f"node pool {pool_id} {t.NOT_EXIST}")
    return cluster, pool


async def get_nodepool(sim, request, body):
    return _pool_public(_pool(sim, request)[1])


async def create_nodepool(sim, request, body):
    cluster = _get(sim, request)
    region = _region(sim, request)
    body = body or {}
    _only(body, t.NODEPOOL_FIELDS, "node pool")
    _need(body, t.NODEPOOL_REQUIRED, "node pool")
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, not normal")
    _billing(body, "node pool", pool=True)
    _flavor(body["vmSpecName"], body["vmType"], "node pool", body.get("cpu"), body.get("memory"))
    if body["imageType"] not in (0, 1) or body.get("imageUuid") not in t.NODE_IMAGES:
        raise _bad(f"node pool: imageType 0/1 and a known imageUuid ({body.get('imageUuid')} {t.NOT_EXIST})")
    if body["loginType"] == "password":
        _need(body, ("ecsPasswd",), "node pool")
    elif body["loginType"] == "secretPair":
        _need(body, ("keyName", "keyPairId"), "node pool")
    else:
        raise _bad("loginType must be password or secretPair")
    _disk({"itemDefName": body["sysDiskType"], "size": body["sysDiskSize"]}, 40, 2040, "node pool sysDisk")
    _zones(region, body["azInfo"], "node pool azInfo", sized=False)
    if any(p["nodePoolName"] == body["nodePoolName"] for p in cluster["_pools"]):
        raise SimError("nodepool_exists", f"node pool {body['nodePoolName']} already exists")
    pool = {"id": sim.new_id("np"), "nodePoolName": body["nodePoolName"], "isDefault": False,
            "vmSpecName": body["vmSpecName"], "vmType": body["vmType"], "imageUuid": body.get("imageUuid"),
            "imageType": body["imageType"], "sysDiskType": body["sysDiskType"], "sysDiskSize": body["sysDiskSize"],
            "billMode": body["billMode"], "maxPodNum": body.get("maxPodNum") or 110, "azInfo": body["azInfo"],
            "loginType": body["loginType"], "keyName": body.get("keyName"), "createdTime": sim.iso_now(),
            "_nodes": [], "_seq": 0}
    cluster["_pools"].append(pool)
    _task(sim, cluster, "CreateNodePool", 0)
    return True


async def scale_up(sim, request, body):
    cluster, pool = _pool(sim, request)
    body = body or {}
    _only(body, ("num",), "scaleup")
    num = body.get("num")
    if not isinstance(num, int) or isinstance(num, bool) or num < 1:
        raise _bad("num: the number of nodes to add, 1 or more")
    if cluster["clusterStatus"] != t.CLUSTER_RUNNING:
        raise SimError("state", f"cluster is {cluster['clusterStatus']}, not normal")
    if _nodes_used(sim, request) + num > sim.knob(*t.KNOB_NODE_QUOTA):
        raise SimError("quota", "node quota exceeded")
    seconds = sim.knob(*t.KNOB_READY_S) / 2
    _add_nodes(sim, cluster, pool, num, seconds)
    cluster["slaveNodeNum"] = sum(len(p["_nodes"]) for p in cluster["_pools"])
    _task(sim, cluster, "ScaleUpNodePool", seconds)
    return sim.new_id("scale")


async def scale_down(sim, request, body):
    cluster, pool = _pool(sim, request)
    body = body or {}
    _only(body, ("nodeNames", "forcedDeletion"), "scaledown")
    names = body.get("nodeNames")
    if not isinstance(names, list) or not names:
        raise _bad("nodeNames: the nodes to remove")
    have = {n["nodeName"] for n in pool["_nodes"]}
    missing = [n for n in names if n not in have]
    if missing:
        raise _bad(f"nodes {', '.join(missing)} {t.NOT_EXIST} in node pool {pool['nodePoolName']}")
    pool["_nodes"] = [n for n in pool["_nodes"] if n["nodeName"] not in set(names)]
    cluster["slaveNodeNum"] = sum(len(p["_nodes"]) for p in cluster["_pools"])
    _task(sim, cluster, "ScaleDownNodePool", 0)
    return sim.new_id("scale")


async def tasks(sim, request, body):
    page, size = _page_args(request, "pageNumber")
    found = copy.deepcopy(_state(sim)["tasks"].get(_get(sim, request)["id"], []))
    return _paged(found, page, size)


async def task_events(sim, request, body):
    _get(sim, request)
    page, size = _page_args(request, "pageNumber")
    events = _state(sim)["events"].get(request.match_info["taskId"])
    if events is None:
        raise SimError("task_not_found", f"task {request.match_info['taskId']} {t.NOT_EXIST}")
    return _paged(copy.deepcopy(events), page, size)


async def ecs_flavors(sim, request, body):
    body = body or {}
    if body.get("regionID") != _region(sim, request):
        raise _bad("regionID is required and must match the region")
    name = body.get("flavorName")
    found = [{"flavorName": n, "flavorType": ftype, "flavorCPU": cpu, "flavorRAM": mem, "flavorID": "invalid",
              "available": True, "azList": list(t.REGION_ZONES[body["regionID"]])}
             for n, (ftype, cpu, mem) in sorted(t.FLAVORS.items()) if not name or n == name]
    return {"flavorList": found}


HANDLERS = {
    "cluster_create": create_cluster, "cluster_delete": delete_cluster, "cluster_page": page_clusters,
    "cluster_describe": describe_cluster, "cluster_modify": modify_cluster, "cluster_nodes": nodes,
    "cluster_tags_get": tags_get, "cluster_tags_put": tags_put, "cluster_kubeconfig": kubeconfig,
    "versions": versions, "quotas": quotas, "nodepool_list": list_nodepools, "nodepool_create": create_nodepool,
    "nodepool_get": get_nodepool, "nodepool_scaleup": scale_up, "nodepool_scaledown": scale_down, "tasks": tasks,
    "task_events": task_events, "ecs_flavors": ecs_flavors,
}


def register(sim) -> None:
    for name, (method, path) in P.items():
        sim.route(method, path, HANDLERS[name], name=name, write=False if name in t.READ_ROUTES else None)
