# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CCE API shapes <-> module shapes. Pure functions.

Field names, enums and status words are those of CTyun's Terraform provider
(``ctyun-it/terraform-provider-ctyun`` @ 80651fdd: ``internal/core/ccse/*_api.go``,
``internal/business/ccse_const.go``, ``resource_ctyun_ccse_{cluster,node_pool}.go``). The module
speaks the snake_case options of ``cce_cluster``; see docs/cce.md for the mapping.
"""

from __future__ import annotations

# -- enums -------------------------------------------------------------------------------------
SERIES_TO_API = dict(standard="cce.standard", managed="cce.managed")
# clusterType on read: 0 dedicated (cce.standard), 2 managed (cce.managed), 4 cce.icce
CLUSTER_TYPE_FROM_API = {0: "standard", 2: "managed", 4: "icce"}
MANAGED_SCALES = dict(managedbase=(10,), managedpro=(50, 200, 1000, 2000))
NETWORK_PLUGINS = ("cubecni", "calico")
ELB_SPECS = ("standardI", "standardII", "enhancedI", "enhancedII", "higherI")
RUNTIMES = ("containerd", "docker")
KUBE_PROXY = ("iptables", "ipvs")
DISK_TYPES = ("SATA", "SAS", "SSD")
BILLING_MODES = ("on_demand", "month", "year")
IMAGE_TYPES = dict(private=0, public=1)

# clusterStatus words (ccse_const.go) and bizState numbers
RUNNING = frozenset(["normal"])
FAILED = frozenset(["create_fail", "delete_fail", "upgrade_fail", "reset_fail"])
GONE = frozenset(["deleted"])
BIZ_RUNNING = 1
BIZ_GONE = frozenset([4])          # unsubscribed
BIZ_UNSUBSCRIBING = frozenset([18])
# bizState 17 "create failed"; 3 deregistered, 7 cancelled: the order was refunded, no cluster will come.
BIZ_FAILED = frozenset([17, 3, 7])
NODE_NORMAL = "normal"
NODE_MASTER, NODE_WORKER = 1, 2


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def billing_to_api(billing, pool=False):
    """``{mode, period, auto_renew}`` -> billing fields of a cluster (``pool=False``) or node pool create.

    resource_ctyun_ccse_cluster.go: on_demand -> billMode "2"; month -> billMode "1", cycleType "3",
    cycleCnt months; year -> cycleType "4+years", cycleCnt 1. Node pools: cycleType MONTH/YEAR, cycleCount,
    autoRenewStatus 0/1 (an int).
    """
    mode = (billing or {}).get("mode") or "on_demand"
    period = (billing or {}).get("period") or 1
    renew = bool((billing or {}).get("auto_renew"))
    if mode == "on_demand":
        return dict(billMode="2")
    if pool:
        return dict(billMode="1", cycleType="MONTH" if mode == "month" else "YEAR", cycleCount=period,
                    autoRenewStatus=1 if renew else 0)
    if mode == "month":
        return dict(billMode="1", cycleType="3", cycleCnt=period, autoRenewStatus=renew)
    return dict(billMode="1", cycleType="%d" % (4 + period), cycleCnt=1, autoRenewStatus=renew)


def spread(count, zones):
    """``[{azName, size}]``: ``count`` nodes over ``zones``, the first zones taking the remainder."""
    zones = list(zones or [])
    if not zones:
        return []
    base, rest = divmod(count, len(zones))
    return [dict(azName=z, size=base + (1 if i < rest else 0)) for i, z in enumerate(zones)]


def _disk(disk):
    return dict(itemDefName=disk["type"], size=disk["size"])


def cluster_to_api(spec, region_id, flavors):
    """The body of ``POST /v2/cce/clusters/create`` from a complete spec (``cce_plan.with_create_defaults``).

    ``flavors``: ``{flavour name: ECS flavour record}`` (``flavorType``, ``flavorCPU``, ``flavorRAM``).
    Only the fields the spec decides are sent; the provider's optional switches keep the API defaults.
    """
    managed = spec["cluster_series"] == "managed"
    zones = spec["zones"]
    api_server = spec["api_server"]
    network = spec["network"]
    base = dict(
        clusterName=spec["name"], clusterSeries=SERIES_TO_API[spec["cluster_series"]],
        clusterVersion=spec["kubernetes_version"], clusterDomain=spec["cluster_domain"],
        vpcUuid=spec["vpc_id"], subnetUuid=spec["subnet_id"], networkPlugin=network["plugin"],
        podSubnetUuidList=list(network.get("pod_subnet_ids") or []), serviceCidr=network["service_cidr"],
        autoGenerateSecurityGroup=not spec.get("security_group_id"),
        startPort=spec["node_port_range"]["start"], endPort=spec["node_port_range"]["end"],
        elbProdCode=api_server["elb_spec"], enableApiServerEip=bool(api_server["public_eip"]),
        containerRuntime=spec["container_runtime"], timezone=spec["timezone"],
        deployType="multi" if len(zones) > 1 else "single", kubeProxy=spec["kube_proxy"],
        clusterDesc=spec.get("description") or "",
    )
    if network["plugin"] == "calico":
        base["podCidr"] = network["pod_cidr"]
    if spec.get("security_group_id"):
        base["securityGroupUuid"] = spec["security_group_id"]
    base.update(billing_to_api(spec["billing"]))
    body = dict(resPoolId=region_id, clusterBaseInfo=base)
    if managed:
        base["seriesType"] = spec["managed"]["series_type"]
        base["nodeScale"] = "%s" % spec["managed"]["node_scale"]
        # resource_ctyun_ccse_cluster.go: managed clusters get every zone name and no size
        base["azInfos"] = [dict(azName=z) for z in zones]
    else:
        plane = spec["control_plane"]
        flavor = flavors[plane["flavor"]]
        base["azInfos"] = spread(plane["count"], zones)
        body["masterHost"] = dict(itemDefName=plane["flavor"], itemDefType=flavor.get("flavorType"),
                                  cpu=_int(flavor.get("flavorCPU")), mem=_int(flavor.get("flavorRAM")),
                                  size=plane["count"], sysDisk=_disk(plane["sys_disk"]))
    workers = spec["workers"]
    slave = dict(itemDefName=workers["flavor"], itemDefType=flavors[workers["flavor"]].get("flavorType"),
                 size=workers["count"], azInfos=spread(workers["count"], workers.get("zones") or zones),
                 sysDisk=_disk(workers["sys_disk"]), foreignMirrorId=workers["image_id"],
                 mirrorType=IMAGE_TYPES[workers["image_type"]])
    if workers.get("data_disks"):
        slave["dataDisks"] = [_disk(d) for d in workers["data_disks"]]
    body["slaveHost"] = slave
    return body


def nodepool_to_api(pool, billing, flavor, zones):
    """The body of ``POST .../nodepool`` (no node count: the count is reached with scale-up afterwards)."""
    body = dict(nodePoolName=pool["name"], vmSpecName=pool["flavor"], vmType=flavor.get("flavorType"),
                cpu=_int(flavor.get("flavorCPU")), memory=_int(flavor.get("flavorRAM")),
                imageType=IMAGE_TYPES[pool["image_type"]], imageUuid=pool["image_id"],
                sysDiskType=pool["sys_disk"]["type"], sysDiskSize=pool["sys_disk"]["size"],
                azInfo=[dict(azName=z) for z in (pool.get("zones") or zones)], maxPodNum=pool["max_pods"])
    if pool.get("password"):
        body.update(loginType="password", ecsPasswd=pool["password"])
    else:
        body.update(loginType="secretPair", keyName=pool["key_name"], keyPairId=pool["key_pair_id"])
    if pool.get("data_disks"):
        body["dataDisks"] = [dict(diskSpecName=d["type"], size=d["size"]) for d in pool["data_disks"]]
    body.update(billing_to_api(billing, pool=True))
    return body


def nodepool_from_api(pool):
    return dict(id=pool.get("id"), name=pool.get("nodePoolName"), flavor=pool.get("vmSpecName"),
                image_id=pool.get("imageUuid"), count=_int(pool.get("nodeTotalNum")),
                ready=_int(pool.get("normalNodeNum")), status=pool.get("status"),
                default=bool(pool.get("isDefault")))


def tags_to_api(tags):
    """Tags as the tag API's strings. The provider models them as plain strings without a format; the
    collection writes ``key=value`` (an assumption, docs/cce.md)."""
    return ["%s=%s" % (k, "" if v is None else v) for k, v in sorted((tags or {}).items())]


def tags_from_api(obj):
    items = obj.get("tags") if isinstance(obj, dict) else obj
    out = {}
    for item in items or []:
        key, _sep, value = ("%s" % item).partition("=")
        out[key] = value
    return out


def cluster_from_api(obj, nodepools=None, tags=None):
    """Module shape of one cluster (get or list record); ``nodepools``: the pools' API records."""
    if obj is None:
        return None
    biz = _int(obj.get("bizState"))
    status = ("%s" % (obj.get("clusterStatus") or "unknown")).lower()
    series = CLUSTER_TYPE_FROM_API.get(_int(obj.get("clusterType")), obj.get("clusterType"))
    out = dict(
        id=obj.get("id"), name=obj.get("clusterName"), status=status, biz_state=biz,
        cluster_series=series, kubernetes_version=obj.get("clusterVersion"), vpc_id=obj.get("vpcId"),
        subnet_id=obj.get("subnetUuid"), network_plugin=obj.get("networkPlugin"), pod_cidr=obj.get("podCidr"),
        service_cidr=obj.get("serviceCidr"), container_runtime=obj.get("containerRuntime"),
        kube_proxy=obj.get("kubeProxyPattern"), timezone=obj.get("timezone"),
        node_port_range=dict(start=_int(obj.get("startPort")), end=_int(obj.get("endPort"))),
        control_plane_count=_int(obj.get("masterNodeNum")) if series == "standard" else None,
        worker_count=_int(obj.get("slaveNodeNum")),
        api_server=dict(address=obj.get("masterSlbIp"), eip=obj.get("eip") or None),
        description=obj.get("clusterDesc") or "", billing_mode={"1": "subscription", "2": "on_demand"}.get(
            "%s" % obj.get("billMode"), obj.get("billMode")),
        created_at=obj.get("createdTime"), region_id=obj.get("resPoolId"),
    )
    out["tags"] = dict(tags or {})
    out["node_pools"] = [nodepool_from_api(p) for p in (nodepools or [])]
    return out


def records(obj):
    """The list inside a paged/list answer (``records``, ``quotaCenterDataList``, ``flavorList``) or the list itself."""
    if obj is None:
        return []
    if isinstance(obj, list):
        return obj
    for key in ("records", "quotaCenterDataList", "flavorList"):
        if isinstance(obj.get(key), list):
            return obj[key]
    return []


def versions_from_api(obj):
    """Supported Kubernetes versions (``returnObj`` is an array of ``{version, multi_az, runtimes}``)."""
    out = []
    for item in records(obj):
        value = item.get("version") if isinstance(item, dict) else item
        if value:
            out.append(("%s" % value).lstrip("v"))
    return out


def quotas_from_api(obj):
    """``{name: {limit, used, available}}`` from ``returnObj.quotaCenterDataList``.

    The provider models only ``userId``/``accountId`` of an item: the names of the limit fields are not
    known. Items carrying ``quotaName`` with ``quotaLimit``/``quotaUsed`` (or ``name``/``limit``/``used``)
    are read; anything else gives no entry, and callers treat a missing quota as unknown.
    """
    out = {}
    for item in records(obj):
        name = item.get("quotaName") or item.get("name")
        limit = item.get("quotaLimit", item.get("limit"))
        used = item.get("quotaUsed", item.get("used", 0)) or 0
        if name is None:
            continue
        limit = _int(limit)
        available = None if not isinstance(limit, int) or limit < 0 else max(0, limit - _int(used))
        out[name] = dict(limit=limit, used=_int(used), available=available)
    return out


def task_from_api(task):
    return dict(id=task.get("taskId"), type=task.get("taskType"), status=task.get("taskStatus"),
                message=task.get("taskResult") or task.get("taskContent"), created_at=task.get("createdTime"))


def kubeconfig_from_api(obj):
    """``returnObj.kubeConfig`` of the certificate endpoint."""
    if isinstance(obj, dict):
        return obj.get("kubeConfig")
    return None
