"""ELB ("ctelb") routes of the CTyun simulation: the targets of a target group, the group, its health
check and the load balancer's realtime monitor; paths, methods, fields and the envelope from CTyun's
Terraform provider (``table.ELB_PATHS`` names the file of each call). Behind the API a real HAProxy
(``tests/lab/traffic/haproxy.py``) carries the traffic when the lab runs one.

From the provider: the eight calls and their fields; the envelope (``statusCode`` 800/900, ``errorCode``
``SUCCESS`` or ``product.module.code``, ``message``, ``description``, ``returnObj``); weight 1-256 with
100 when omitted (also on update: an update without ``weight`` sets 100), protocolPort 1-65535,
``clientToken`` 1-64 characters, instanceType VM/BM/ECI/IP, ``targetID`` preferred over the retiring
``ID``; health ``online``/``offline``/``unknown``, status ``ACTIVE``/``DOWN``; show-target-group
answers a list, show-target an object, list-target a list without the IP; business failures on
HTTP 200 (the provider's client rejects any other status outside ``/v2/cce``).

Assumed (the provider does not say): the error codes (``table.ELB_ERRORS``); ``clientToken`` required
on create and delete (the provider always sends one) and a replay answering the first answer whatever
the body; unknown fields refused; the same address and port twice in a group refused; an IP target
without ``instanceID`` shows its IP as ``instanceID`` (list-target has no IP field, so this is how a
caller recognises its own target); the realtime monitor's items count per sampling period (one
second) with ``samplingTime`` in Unix seconds (the struct has it as an integer, the counters as
strings), the last 60 periods per device; unknown deviceIDs refused; a VM/BM/ECI target without
``instanceIP`` is kept in the API only (the lab has no instances) and stays ``unknown``.

The data plane is found lazily, at request time, as ``sim.lab.traffic.balancer``. Without it (the
simulation's own tests) the state is kept without traffic: a new target is ``unknown`` and ``online``
after ``LAB_ELB_ONLINE_S``, the seeded source target has port ``table.ELB_UNBOUND_SOURCE_PORT`` and
the monitor counts nothing. Once the balancer shows up, the seeded target takes the address of the
balancer's first seeded server (the source cluster's entry) and targets created before are given
servers.

State lives in ``sim.state["elb"]``: ``load_balancers``, ``groups``, ``health_checks``, ``targets``
(id -> record; keys starting with ``_`` never leave the simulation), ``tokens`` (replay answers).
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import json
import uuid

from aiohttp import web

from . import ROUTE_KEY, WRITE_KEY, SimError, table as t

P = t.ELB_PATHS
E = t.ELB_ERRORS
NOT_FOUND_ZH = t.NOT_EXIST


class ElbError(Exception):
    """A 900 answer of the ELB API (HTTP 200)."""

    def __init__(self, kind: str, message: str, description: str | None = None):
        super().__init__(message)
        self.code = E[kind]
        self.message = message
        self.description = description or message


def _not_found(kind: str, what: str, ident) -> ElbError:
    return ElbError(kind, "%s %s not found" % (what, ident), "%s %s %s" % (what, ident, NOT_FOUND_ZH))


def _bad(message: str) -> ElbError:
    return ElbError("bad_request", message, "\u53c2\u6570\u9519\u8bef: " + message)   # 参数错误


# -- state and seed -------------------------------------------------------------------------
def _state(sim) -> dict:
    return sim.state.get("elb") or _seed(sim)


def _seed(sim) -> dict:
    seed = t.ELB_SEED
    region = seed["region"]
    now = sim.iso_now()
    zone = t.REGION_ZONES[region][0]
    st = {"load_balancers": {}, "groups": {}, "health_checks": {}, "targets": {}, "tokens": {}, "bound": None}
    st["load_balancers"][seed["load_balancer"]] = {"ID": seed["load_balancer"], "regionID": region, "_region": region}
    for hc_id, hc in t.ELB_HEALTH_CHECKS.items():
        st["health_checks"][hc_id] = dict(copy.deepcopy(hc), regionID=region, azName=zone, projectID="0", ID=hc_id,
                                          description="", status=1, createTime=now, _region=region)
    for group in t.ELB_TARGET_GROUPS:
        st["groups"][group["ID"]] = dict(
            regionID=region, azName=zone, projectID="0", ID=group["ID"], name=group["name"], description="",
            vpcID=seed["vpc"], healthCheckID=group["healthCheckID"], algorithm=group["algorithm"],
            sessionSticky={"sessionStickyMode": "CLOSE", "cookieExpire": 0, "rewriteCookieName": "",
                           "sourceIpTimeout": 0},
            status="ACTIVE", createdTime=now, updatedTime=now, proxyProtocol=0, _region=region)
    target = _record(sim, seed["source_target"], region, seed["target_group"], "IP", "", "127.0.0.1",
                     t.ELB_UNBOUND_SOURCE_PORT, t.ELB_WEIGHT_DEFAULT)
    st["targets"][target["ID"]] = target
    sim.state["elb"] = st
    _unbound_health(sim, target)
    return st


def _record(sim, target_id, region, group_id, instance_type, instance_id, ip, port, weight) -> dict:
    now = sim.iso_now()
    return {"regionID": region, "azName": t.REGION_ZONES[region][0], "projectID": "0", "ID": target_id,
            "targetGroupID": group_id, "description": "", "instanceType": instance_type,
            "instanceID": instance_id or ip, "protocolPort": port, "weight": weight,
            "healthCheckStatus": "unknown", "healthCheckStatusIpv6": "unknown", "status": "ACTIVE",
            "createdTime": now, "updatedTime": now, "_region": region, "_ip": ip, "_key": None}


def _unbound_health(sim, target):
    """Without a load balancer: unknown, then online after LAB_ELB_ONLINE_S when it has an address and its
    group a health check (without one it stays unknown, as with the load balancer)."""
    target["healthCheckStatus"] = "unknown"
    group = _state(sim)["groups"].get(target["targetGroupID"])
    if not target["_ip"] or (group is not None and not group["healthCheckID"]):
        return

    def online():
        target["healthCheckStatus"] = "online"
    sim.after(sim.knob(*t.KNOB_ELB_ONLINE_S), online)


def _balancer(sim):
    lab = sim.lab
    traffic = getattr(lab, "traffic", None) if lab is not None else None
    return getattr(traffic, "balancer", None) if traffic is not None else None


async def _bound(sim):
    """The load balancer behind the API (None without one); binds the state to it on first sight."""
    st = _state(sim)
    bal = _balancer(sim)
    if bal is None:
        return None
    if st["bound"] is bal:
        return bal
    st["bound"] = bal
    seeds = list(zip(getattr(bal, "seeded_keys", []), getattr(bal, "seeded_targets", [])))
    source = st["targets"].get(t.ELB_SEED["source_target"])
    for i, (key, (ip, port)) in enumerate(seeds):
        if i == 0 and source is None:         # deleted before the load balancer was there
            await asyncio.to_thread(bal.remove_server, key)
            continue
        if i == 0:
            rec = source
        else:
            rec = _record(sim, "%s-%d" % (t.ELB_SEED["source_target"], i), t.ELB_SEED["region"],
                          bal.listener_group, "IP", "", ip, port, t.ELB_WEIGHT_DEFAULT)
            st["targets"][rec["ID"]] = rec
        rec.update(_ip=ip, instanceID=ip, protocolPort=int(port), _key=key)
        if rec["weight"] != t.ELB_WEIGHT_DEFAULT:
            await asyncio.to_thread(bal.set_weight, key, rec["weight"])
    for rec in list(st["targets"].values()):
        if rec["_key"] is None and rec["_ip"] and rec["targetGroupID"] in bal.groups:
            await _add_server(bal, rec)
    return bal


async def _add_server(bal, rec):
    from tests.lab.traffic.haproxy import BalancerFull

    try:
        await asyncio.to_thread(bal.add_server, rec["targetGroupID"], rec["ID"], rec["_ip"], rec["protocolPort"],
                                rec["weight"])
    except BalancerFull as exc:
        raise ElbError("quota", str(exc)) from None
    rec["_key"] = rec["ID"]


# -- request checking -----------------------------------------------------------------------
def _only(obj: dict, allowed, where: str):
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise _bad("%s: unknown fields %s" % (where, ", ".join(unknown)))


def _region(value) -> str:
    if not value:
        raise _bad("regionID is required")
    if value not in t.REGION_ZONES:
        raise _bad("regionID %s is not a region (%s %s)" % (value, "not found,", NOT_FOUND_ZH))
    return value


def _int(obj: dict, key: str, low: int, high: int, default=None, required=False):
    if key not in obj or obj[key] is None:
        if required:
            raise _bad("%s is required" % key)
        return default
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("%s must be an integer, not %s" % (key, json.dumps(value)))
    if not low <= value <= high:
        raise _bad("%s must be %d-%d, not %d" % (key, low, high, value))
    return value


def _token(body: dict) -> str:
    token = body.get("clientToken")
    low, high = t.ELB_CLIENT_TOKEN_LEN
    if not isinstance(token, str) or not low <= len(token) <= high:
        raise _bad("clientToken is required, a string of %d-%d characters" % (low, high))
    return token


def _target_id(obj: dict) -> str:
    ident = obj.get("targetID") or obj.get("ID")     # targetID wins when both are given
    if not ident or not isinstance(ident, str):
        raise _bad("targetID is required")
    return ident


def _target(st, region, ident) -> dict:
    rec = st["targets"].get(ident)
    if rec is None or rec["_region"] != region:
        raise _not_found("target_not_found", "target", ident)
    return rec


def _group(st, region, ident) -> dict:
    group = st["groups"].get(ident) if isinstance(ident, str) else None
    if group is None or group["_region"] != region:
        raise _not_found("target_group_not_found", "target group", ident)
    return group


def _public(rec) -> dict:
    return {k: copy.deepcopy(v) for k, v in rec.items() if not k.startswith("_")}


async def _with_health(sim, recs) -> list:
    bal = await _bound(sim)
    health = await asyncio.to_thread(bal.health_all) if bal is not None and any(r["_key"] for r in recs) else {}
    out = []
    for rec in recs:
        item = _public(rec)
        if bal is not None and rec["_key"] is not None:
            item["healthCheckStatus"] = health.get(rec["_key"], "unknown")
        out.append(item)
    return out


def _replay(sim, request, call, token):
    return _state(sim)["tokens"].get((sim.access_key(request), call, token))


def _remember(sim, request, call, token, answer):
    _state(sim)["tokens"][(sim.access_key(request), call, token)] = copy.deepcopy(answer)


# -- handlers ------------------------------------------------------------------------------
async def create_target(sim, request, body):
    body = body or {}
    _only(body, ("clientToken", "regionID", "targetGroupID", "instanceType", "instanceID", "instanceIP",
                 "protocolPort", "weight"), "create-target")
    token = _token(body)
    done = _replay(sim, request, "create_target", token)
    if done is not None:
        return done
    st = _state(sim)
    region = _region(body.get("regionID"))
    if not body.get("targetGroupID"):
        raise _bad("targetGroupID is required")
    group = _group(st, region, body["targetGroupID"])
    kind = body.get("instanceType")
    if kind not in t.ELB_INSTANCE_TYPES:
        raise _bad("instanceType must be one of %s" % ", ".join(t.ELB_INSTANCE_TYPES))
    port = _int(body, "protocolPort", *t.ELB_PORT_RANGE, required=True)
    weight = _int(body, "weight", *t.ELB_WEIGHT_RANGE, default=t.ELB_WEIGHT_DEFAULT)
    ip = body.get("instanceIP") or ""
    if ip:
        try:
            ipaddress.IPv4Address(ip)
        except (ValueError, TypeError):
            raise _bad("instanceIP %s is not an IPv4 address" % json.dumps(ip)) from None
    instance_id = body.get("instanceID") or ""
    if not isinstance(instance_id, str):
        raise _bad("instanceID must be a string")
    if kind == "IP" and not ip:
        raise _bad("instanceIP is required for instanceType IP")
    if kind != "IP" and not instance_id:
        raise _bad("instanceID is required for instanceType %s" % kind)
    bal = await _bound(sim)
    done = _replay(sim, request, "create_target", token)      # answered while this one waited
    if done is not None:
        return done
    for other in st["targets"].values():
        if other["targetGroupID"] == group["ID"] and other["protocolPort"] == port and (
                (ip and other["_ip"] == ip) or (instance_id and other["instanceID"] == instance_id)):
            raise ElbError("target_exists", "target group %s already holds %s:%d (target %s)"
                           % (group["ID"], ip or instance_id, port, other["ID"]),
                           "\u540e\u7aef\u670d\u52a1\u5df2\u5b58\u5728: %s" % other["ID"])   # 后端服务已存在
    rec = _record(sim, "target-" + uuid.uuid4().hex[:10], region, group["ID"], kind, instance_id, ip, port, weight)
    # in the state (and the token remembered) before the data plane is programmed: a replay arriving
    # meanwhile gets the same answer instead of a second target
    st["targets"][rec["ID"]] = rec
    answer = [{"ID": rec["ID"]}]
    _remember(sim, request, "create_target", token, answer)
    if bal is None:
        _unbound_health(sim, rec)
    elif ip and group["ID"] in bal.groups:
        try:
            await _add_server(bal, rec)
        except Exception:
            st["targets"].pop(rec["ID"], None)
            st["tokens"].pop((sim.access_key(request), "create_target", token), None)
            raise
    return answer


async def update_target(sim, request, body):
    body = body or {}
    _only(body, ("regionID", "ID", "targetID", "protocolPort", "weight"), "update-target")
    st = _state(sim)
    region = _region(body.get("regionID"))
    rec = _target(st, region, _target_id(body))
    port = _int(body, "protocolPort", *t.ELB_PORT_RANGE, default=rec["protocolPort"])
    weight = _int(body, "weight", *t.ELB_WEIGHT_RANGE, default=t.ELB_WEIGHT_DEFAULT)   # the API's default
    bal = await _bound(sim)
    if bal is not None and rec["_key"] is not None:
        if port != rec["protocolPort"]:
            await asyncio.to_thread(bal.set_address, rec["_key"], rec["_ip"], port)
        if weight != rec["weight"]:
            await asyncio.to_thread(bal.set_weight, rec["_key"], weight)
    rec.update(protocolPort=port, weight=weight, updatedTime=sim.iso_now())
    return [{"ID": rec["ID"]}]


async def show_target(sim, request, body):
    q = dict(request.query)
    _only(q, ("regionID", "ID", "targetID"), "show-target")
    st = _state(sim)
    rec = _target(st, _region(q.get("regionID")), _target_id(q))
    return (await _with_health(sim, [rec]))[0]


async def list_target(sim, request, body):
    q = dict(request.query)
    _only(q, ("regionID", "targetGroupID", "IDs"), "list-target")
    st = _state(sim)
    region = _region(q.get("regionID"))
    recs = [r for r in st["targets"].values() if r["_region"] == region]
    if q.get("targetGroupID"):
        group = _group(st, region, q["targetGroupID"])
        recs = [r for r in recs if r["targetGroupID"] == group["ID"]]
    if q.get("IDs"):
        wanted = {x.strip() for x in q["IDs"].split(",") if x.strip()}
        recs = [r for r in recs if r["ID"] in wanted]
    recs.sort(key=lambda r: (r["createdTime"], r["ID"]))
    return await _with_health(sim, recs)


async def delete_target(sim, request, body):
    body = body or {}
    _only(body, ("clientToken", "regionID", "ID", "targetID"), "delete-target")
    token = _token(body)
    done = _replay(sim, request, "delete_target", token)
    if done is not None:
        return done
    st = _state(sim)
    region = _region(body.get("regionID"))
    ident = _target_id(body)
    bal = await _bound(sim)
    done = _replay(sim, request, "delete_target", token)
    if done is not None:
        return done
    rec = _target(st, region, ident)
    st["targets"].pop(rec["ID"], None)
    answer = [{"ID": rec["ID"]}]
    _remember(sim, request, "delete_target", token, answer)
    if bal is not None and rec["_key"] is not None and bal.has(rec["_key"]):
        # drained now (no new request reaches it), in maintenance once its requests are answered
        await asyncio.to_thread(bal.remove_server, rec["_key"])
    return answer


async def show_target_group(sim, request, body):
    q = dict(request.query)
    _only(q, ("regionID", "ID", "targetGroupID"), "show-target-group")
    st = _state(sim)
    ident = q.get("targetGroupID") or q.get("ID")
    if not ident:
        raise _bad("targetGroupID is required")
    return [_public(_group(st, _region(q.get("regionID")), ident))]     # a list, as the provider's struct


async def show_health_check(sim, request, body):
    q = dict(request.query)
    _only(q, ("regionID", "id", "healthCheckID"), "show-health-check")
    st = _state(sim)
    region = _region(q.get("regionID"))
    ident = q.get("healthCheckID") or q.get("id")
    if not ident:
        raise _bad("healthCheckID is required")
    hc = st["health_checks"].get(ident)
    if hc is None or hc["_region"] != region:
        raise _not_found("health_check_not_found", "health check", ident)
    return _public(hc)


async def realtime_monitor(sim, request, body):
    body = body or {}
    _only(body, ("regionID", "deviceIDs", "pageNumber", "pageNo", "pageSize"), "query-realtime-monitor")
    st = _state(sim)
    region = _region(body.get("regionID"))
    devices = body.get("deviceIDs")
    if not isinstance(devices, list) or not devices or not all(isinstance(d, str) and d for d in devices):
        raise _bad("deviceIDs must be a non-empty list of load balancer IDs")
    for device in devices:
        lb = st["load_balancers"].get(device)
        if lb is None or lb["_region"] != region:
            raise _not_found("load_balancer_not_found", "load balancer", device)
    page = _int(body, "pageNo", 1, 2 ** 31 - 1, default=None) or _int(body, "pageNumber", 1, 2 ** 31 - 1, default=1)
    size = _int(body, "pageSize", *t.ELB_MONITOR_PAGE_SIZE, default=t.ELB_MONITOR_PAGE_SIZE_DEFAULT)
    bal = await _bound(sim)
    samples = await asyncio.to_thread(bal.samples) if bal is not None else []
    if not samples:
        now = int(sim.wall_clock().timestamp())
        samples = [{"requests": 0, "hrsp_2xx": 0, "hrsp_3xx": 0, "hrsp_4xx": 0, "hrsp_5xx": 0, "hrsp_other": 0,
                    "new_connections": 0, "bytes_in": 0, "bytes_out": 0, "current_sessions": 0, "period_s": 1.0,
                    "sampling_time": now}]
    items = [{"lbReqRate": "%.2f" % (s["requests"] / s["period_s"]), "lbLbin": str(s["bytes_in"]),
              "lbLbout": str(s["bytes_out"]), "lbHrspOther": str(s["hrsp_other"]), "lbHrsp2xx": str(s["hrsp_2xx"]),
              "lbHrsp3xx": str(s["hrsp_3xx"]), "lbHrsp4xx": str(s["hrsp_4xx"]), "lbHrsp5xx": str(s["hrsp_5xx"]),
              "lbNewcreate": str(s["new_connections"]), "lbScur": str(s["current_sessions"]),
              "lbActconn": str(s["current_sessions"]), "samplingTime": s["sampling_time"]} for s in samples]
    monitors = [{"lastUpdated": sim.iso_now(), "regionID": region, "deviceID": d, "itemList": copy.deepcopy(items)}
                for d in devices]
    total = len(monitors)
    pages = max(1, -(-total // size))
    chunk = monitors[(page - 1) * size: page * size]
    return chunk, {"totalCount": total, "currentCount": len(chunk), "totalPage": pages}


HANDLERS = {
    "create_target": create_target,
    "update_target": update_target,
    "show_target": show_target,
    "list_target": list_target,
    "delete_target": delete_target,
    "show_target_group": show_target_group,
    "show_health_check": show_health_check,
    "realtime_monitor": realtime_monitor,
}


# -- envelope ------------------------------------------------------------------------------
def elb_envelope(return_obj=None, error: ElbError | None = None, extra=None) -> dict:
    if error is None:
        body = {"statusCode": t.STATUS_OK, "errorCode": t.ELB_SUCCESS_CODE, "message": t.ELB_SUCCESS_MESSAGE,
                "description": t.ELB_SUCCESS_DESCRIPTION, "returnObj": return_obj}
    else:   # some structs (show-health-check, the monitor) also name the code "error"
        body = {"statusCode": t.STATUS_FAIL, "errorCode": error.code, "error": error.code, "message": error.message,
                "description": error.description, "returnObj": None}
    body.update(extra or {})
    return body


def _endpoint(sim, handler, write: bool, name: str):
    """The framework's endpoint with the ELB envelope: signature and gateway failures answer as the
    gateway does (``sim._fail``); business answers are ELB envelopes on HTTP 200."""
    async def endpoint(request):
        request[WRITE_KEY] = write
        request[ROUTE_KEY] = name
        try:
            raw = await sim.authenticate(request)
        except SimError as err:
            return sim._fail(request, err)
        sim.run_due()
        try:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                raise _bad("the body is not JSON") from None
            if body is not None and not isinstance(body, dict):
                raise _bad("the body must be a JSON object")
            result = await handler(sim, request, body)
        except ElbError as err:
            return web.json_response(elb_envelope(error=err), headers=sim._echo(request))
        extra = None
        if isinstance(result, tuple):
            result, extra = result
        return web.json_response(elb_envelope(result, extra=extra), headers=sim._echo(request))
    endpoint.__name__ = "ctyun_%s" % name
    return endpoint


def register(sim):
    # The gateway's envelope (sim.wrap) has neither errorCode nor description; the ELB answers carry
    # both. ELB handlers are marked and get their own endpoint; every other route keeps the framework's.
    base_wrap = sim.wrap

    def wrap(handler, write, name):
        if getattr(handler, "_elb", False):
            return _endpoint(sim, handler, write, name)
        return base_wrap(handler, write, name)
    sim.wrap = wrap
    _state(sim)
    for call, handler in HANDLERS.items():
        method, path = P[call]
        handler._elb = True
        sim.route(method, path, handler, write=call not in t.ELB_READ_ROUTES and method != "GET",
                  name="elb_" + call)
