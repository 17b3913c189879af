"""CCE One routes of the CTyun simulation: registered clusters, federation instances, fleets.

Paths, fields and state words are the ASSUMED ones of the collection's table
(plugins/module_utils/ctyun/cceone.py DEFAULT_TABLE); keep both in step. State lives in
``sim.state["cceone"]``.

- Import an external cluster with its kubeconfig: the kubeconfig's server is mapped to a lab
  cluster; a CCE cluster by its id: the lab's ``target``. ``pending`` -> ``connected`` after
  ``LAB_CCEONE_CONNECT_S``.
- A federation instance is ``creating`` -> ``running`` after ``LAB_CCEONE_FEDERATION_S``; its
  kubeconfig is the lab's ``karmada`` server.
- One fleet per federation instance. Setting the fleet's members makes each registered cluster a
  Karmada member named after it (karmadasim.join_member) after ``LAB_CCEONE_JOIN_S``; a member
  named in ``LAB_CCEONE_NEVER_CONNECT`` stays ``joining``.
"""

from __future__ import annotations

import copy

import yaml

PATHS = {
    "cluster_list": ("GET", "/v1/cceone/clusters"),
    "cluster_import": ("POST", "/v1/cceone/clusters/import"),
    "cluster_describe": ("GET", "/v1/cceone/clusters/{id}"),
    "cluster_delete": ("DELETE", "/v1/cceone/clusters/{id}"),
    "federation_list": ("GET", "/v1/cceone/federations"),
    "federation_create": ("POST", "/v1/cceone/federations"),
    "federation_describe": ("GET", "/v1/cceone/federations/{id}"),
    "federation_delete": ("DELETE", "/v1/cceone/federations/{id}"),
    "federation_kubeconfig": ("GET", "/v1/cceone/federations/{id}/kubeconfig"),
    "fleet_list": ("GET", "/v1/cceone/fleets"),
    "fleet_create": ("POST", "/v1/cceone/fleets"),
    "fleet_describe": ("GET", "/v1/cceone/fleets/{id}"),
    "fleet_members": ("PUT", "/v1/cceone/fleets/{id}/members"),
}
KNOB_CONNECT_S = ("LAB_CCEONE_CONNECT_S", 0.5)
KNOB_FEDERATION_S = ("LAB_CCEONE_FEDERATION_S", 1.0)
KNOB_JOIN_S = ("LAB_CCEONE_JOIN_S", 0.5)
KNOB_NEVER_CONNECT = ("LAB_CCEONE_NEVER_CONNECT", "")
ERRORS = {
    "not_found": (404, "CCEONE_RESOURCE_NOT_FOUND"),
    "name_exists": (200, "CCEONE_NAME_EXISTS"),
    "bad_request": (400, "CCEONE_PARAMETER_INVALID"),
    "fleet_exists": (200, "CCEONE_FEDERATION_HAS_FLEET"),
    "in_use": (200, "CCEONE_RESOURCE_IN_USE"),
}


def _error(kind, message):
    from . import SimError
    status, code = ERRORS[kind]
    return SimError(code, message, status=status)


def _state(sim):
    return sim.state.setdefault("cceone", {"clusters": {}, "federations": {}, "fleets": {}})


def _scoped(sim, request, kind):
    region = sim.region(request)
    return [x for x in _state(sim)[kind].values() if x["region"] == region]


def _get(sim, request, kind, obj_id):
    obj = _state(sim)[kind].get(obj_id)
    if obj is None or obj["region"] != sim.region(request):
        raise _error("not_found", "%s %s not found" % (kind[:-1], obj_id))
    return obj


def _public(obj):
    out = copy.deepcopy(obj)
    out.pop("region", None)
    out.pop("labCluster", None)
    out.pop("kubeconfig", None)
    return out


def _never(sim, name):
    return name in [n.strip() for n in sim.knob(*KNOB_NEVER_CONNECT).split(",") if n.strip()]


async def cluster_list(sim, request, body):
    name = request.query.get("name")
    items = [c for c in _scoped(sim, request, "clusters") if not name or name in c["clusterName"]]
    return {"records": [_public(c) for c in items], "total": len(items)}


async def cluster_import(sim, request, body):
    name = (body or {}).get("clusterName")
    kind = (body or {}).get("clusterType")
    if not name or kind not in ("External", "CCE"):
        raise _error("bad_request", "clusterName and clusterType (External or CCE) are required")
    if any(c["clusterName"] == name for c in _scoped(sim, request, "clusters")):
        raise _error("name_exists", "a registered cluster named %s exists" % name)
    if kind == "External":
        try:
            cfg = yaml.safe_load(body.get("kubeconfig") or "")
            ctx_name = cfg.get("current-context")
            ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
            server = next(c["cluster"]["server"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        except Exception:  # noqa: BLE001 - any malformed kubeconfig is a bad request
            raise _error("bad_request", "kubeconfig is not a valid kubeconfig with a current context") from None
        lab_cluster = sim.lab.cluster_for_server(server) if sim.lab is not None else None
        if lab_cluster is None:
            raise _error("bad_request", "the kubeconfig's API server %s is not reachable from CCE One" % server)
    else:
        cce_id = body.get("cceClusterId")
        cce = sim.state.get("cce", {}).get("clusters", {}).get(cce_id)
        if cce is None:
            raise _error("not_found", "CCE cluster %s not found" % cce_id)
        lab_cluster = "target"
    cluster = {"clusterId": sim.new_id("rc"), "clusterName": name, "clusterType": kind, "status": "pending",
               "region": sim.region(request), "labCluster": lab_cluster, "createdTime": sim.iso_now(),
               "cceClusterId": body.get("cceClusterId")}
    _state(sim)["clusters"][cluster["clusterId"]] = cluster

    def connect():
        if not _never(sim, name):
            cluster["status"] = "connected"
    sim.after(sim.knob(*KNOB_CONNECT_S), connect)
    return {"clusterId": cluster["clusterId"]}


async def cluster_describe(sim, request, body):
    return _public(_get(sim, request, "clusters", request.match_info["id"]))


async def cluster_delete(sim, request, body):
    cluster = _get(sim, request, "clusters", request.match_info["id"])
    for fleet in _scoped(sim, request, "fleets"):
        if cluster["clusterId"] in fleet["clusterIds"]:
            raise _error("in_use", "cluster %s is a member of fleet %s" % (cluster["clusterName"], fleet["fleetName"]))
    del _state(sim)["clusters"][cluster["clusterId"]]
    return {"clusterId": cluster["clusterId"]}


async def federation_list(sim, request, body):
    name = request.query.get("name")
    items = [f for f in _scoped(sim, request, "federations") if not name or name in f["federationName"]]
    return {"records": [_public(f) for f in items], "total": len(items)}


async def federation_create(sim, request, body):
    name = (body or {}).get("federationName")
    if not name:
        raise _error("bad_request", "federationName is required")
    if any(f["federationName"] == name for f in _scoped(sim, request, "federations")):
        raise _error("name_exists", "a federation instance named %s exists" % name)
    fed = {"federationId": sim.new_id("fed"), "federationName": name, "status": "creating",
           "karmadaVersion": "v1.19.0", "region": sim.region(request), "createdTime": sim.iso_now()}
    _state(sim)["federations"][fed["federationId"]] = fed

    def ready():
        fed["status"] = "running"
    sim.after(sim.knob(*KNOB_FEDERATION_S), ready)
    return {"federationId": fed["federationId"]}


async def federation_describe(sim, request, body):
    return _public(_get(sim, request, "federations", request.match_info["id"]))


async def federation_delete(sim, request, body):
    fed = _get(sim, request, "federations", request.match_info["id"])
    if any(f["federationId"] == fed["federationId"] for f in _scoped(sim, request, "fleets")):
        raise _error("in_use", "federation instance %s has a fleet bound" % fed["federationName"])
    del _state(sim)["federations"][fed["federationId"]]
    return {"federationId": fed["federationId"]}


async def federation_kubeconfig(sim, request, body):
    fed = _get(sim, request, "federations", request.match_info["id"])
    if fed["status"] != "running":
        raise _error("bad_request", "federation instance %s is %s" % (fed["federationName"], fed["status"]))
    return {"kubeconfig": sim.lab.kubeconfig_for("karmada") if sim.lab is not None else ""}


async def fleet_list(sim, request, body):
    items = _scoped(sim, request, "fleets")
    return {"records": [_fleet_view(sim, f) for f in items], "total": len(items)}


async def fleet_create(sim, request, body):
    name = (body or {}).get("fleetName")
    fed_id = (body or {}).get("federationId")
    if not name or not fed_id:
        raise _error("bad_request", "fleetName and federationId are required")
    _get(sim, request, "federations", fed_id)
    for fleet in _scoped(sim, request, "fleets"):
        if fleet["fleetName"] == name:
            raise _error("name_exists", "a fleet named %s exists" % name)
        if fleet["federationId"] == fed_id:
            raise _error("fleet_exists", "federation instance %s already has fleet %s (one fleet per federation "
                         "instance)" % (fed_id, fleet["fleetName"]))
    fleet = {"fleetId": sim.new_id("fleet"), "fleetName": name, "federationId": fed_id, "clusterIds": [],
             "memberStates": {}, "region": sim.region(request), "createdTime": sim.iso_now()}
    _state(sim)["fleets"][fleet["fleetId"]] = fleet
    return {"fleetId": fleet["fleetId"]}


def _fleet_view(sim, fleet):
    out = _public(fleet)
    out.pop("memberStates", None)
    members = []
    for cid in fleet["clusterIds"]:
        cluster = _state(sim)["clusters"].get(cid, {})
        members.append({"clusterId": cid, "clusterName": cluster.get("clusterName"),
                        "memberName": cluster.get("clusterName"), "state": fleet["memberStates"].get(cid, "joining")})
    out["members"] = members
    return out


async def fleet_describe(sim, request, body):
    return _fleet_view(sim, _get(sim, request, "fleets", request.match_info["id"]))


async def fleet_members(sim, request, body):
    from tests.lab import karmadasim

    fleet = _get(sim, request, "fleets", request.match_info["id"])
    wanted = list((body or {}).get("clusterIds") or [])
    for cid in wanted:
        cluster = _get(sim, request, "clusters", cid)
        if cluster["status"] != "connected":
            raise _error("bad_request", "cluster %s is %s, not connected" % (cluster["clusterName"], cluster["status"]))
    for cid in [c for c in fleet["clusterIds"] if c not in wanted]:
        cluster = _state(sim)["clusters"].get(cid)
        fleet["memberStates"].pop(cid, None)
        if cluster is not None and sim.lab is not None:
            karmadasim.unjoin_member(sim.lab, cluster["clusterName"])
    for cid in [c for c in wanted if c not in fleet["clusterIds"]]:
        cluster = _state(sim)["clusters"][cid]
        fleet["memberStates"][cid] = "joining"

        def join(cid=cid, cluster=cluster):
            if cid not in fleet["clusterIds"] or _never(sim, cluster["clusterName"]):
                return
            if sim.lab is not None:
                karmadasim.join_member(sim.lab, cluster["clusterName"], cluster["labCluster"])
            fleet["memberStates"][cid] = "connected"
        sim.after(sim.knob(*KNOB_JOIN_S), join)
    fleet["clusterIds"] = wanted
    return _fleet_view(sim, fleet)


HANDLERS = {
    "cluster_list": cluster_list, "cluster_import": cluster_import, "cluster_describe": cluster_describe,
    "cluster_delete": cluster_delete, "federation_list": federation_list, "federation_create": federation_create,
    "federation_describe": federation_describe, "federation_delete": federation_delete,
    "federation_kubeconfig": federation_kubeconfig, "fleet_list": fleet_list, "fleet_create": fleet_create,
    "fleet_describe": fleet_describe, "fleet_members": fleet_members,
}


def register(sim) -> None:
    for name, (method, path) in PATHS.items():
        sim.route(method, path, HANDLERS[name], name=name)
