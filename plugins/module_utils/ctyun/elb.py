# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CTyun ELB calls a weighted traffic cutover needs: targets of one target group, its health
check, and the load balancer's realtime monitor.

Paths, methods and field names are those of CTyun's Terraform provider
(``ctyun-it/terraform-provider-ctyun`` @ 80651fdd, ``internal/core/ctelb/``: ``ctelb_create_target_api.go``,
``ctelb_update_target_api.go``, ``ctelb_show_target_api.go``, ``ctelb_list_target_api.go``,
``ctelb_delete_target_api.go``, ``ctelb_show_target_group_api.go``, ``ctelb_show_health_check_api.go``,
``ctelb_query_elb_reatime_metric_api.go``). The endpoint is named ``ctelb`` (``apis.go``), on the
same host pattern as the CCE endpoint. docs/traffic.md lists which answer fields are the
provider's and which are assumed. The cloud layer knows no Kubernetes and no cutover: it reads
and writes targets; :mod:`..traffic` decides what to write.
"""

from __future__ import annotations

from ..common.errors import ApiError, ValidationError

CREATE_TARGET = "/v4/elb/create-target"          # POST, clientToken
UPDATE_TARGET = "/v4/elb/update-target"          # POST, no clientToken
SHOW_TARGET = "/v4/elb/show-target"              # GET regionID, targetID
LIST_TARGET = "/v4/elb/list-target"              # GET regionID, targetGroupID
DELETE_TARGET = "/v4/elb/delete-target"          # POST, clientToken
SHOW_TARGET_GROUP = "/v4/elb/show-target-group"  # GET regionID, targetGroupID
SHOW_HEALTH_CHECK = "/v4/elb/show-health-check"  # GET regionID, healthCheckID
REALTIME_MONITOR = "/v4/elb/query-realtime-monitor"  # POST regionID, deviceIDs, pageNo, pageSize

ELB_HOST_PREFIX = "ctelb-global."
CCE_HOST_PREFIX = "ccse-global."
MIN_WEIGHT, MAX_WEIGHT = 1, 256
INSTANCE_TYPES = ("VM", "BM", "ECI", "IP")
HEALTH_STATES = ("online", "offline", "unknown")
MONITOR_COUNTERS = ("lbHrsp2xx", "lbHrsp3xx", "lbHrsp4xx", "lbHrsp5xx", "lbHrspOther")


def elb_endpoint(endpoint):
    """The ELB endpoint beside a CCE endpoint (``ccse-global.`` -> ``ctelb-global.``); any other
    endpoint (a proxy, the test lab) serves the ELB API itself."""
    base = endpoint.rstrip("/")
    scheme, sep, rest = base.partition("://")
    if sep and rest.startswith(CCE_HOST_PREFIX):
        return "%s://%s%s" % (scheme, ELB_HOST_PREFIX, rest[len(CCE_HOST_PREFIX):])
    return base


def _shape(value, field, call, kind=dict):
    if not isinstance(value, kind):
        raise ApiError("CTyun ELB %s answered without the field %s in the expected shape (%s); see docs/traffic.md, "
                       "the table of ELB answers" % (call, field, kind.__name__))
    return value


def _target(item, call):
    _shape(item, "returnObj[]", call)
    for key in ("ID", "weight"):
        if key not in item:
            raise ApiError("CTyun ELB %s: a target without %s; see docs/traffic.md, the table of ELB answers"
                           % (call, key))
    return dict(id=item["ID"], instance_type=item.get("instanceType"), instance_id=item.get("instanceID"),
                port=int(item.get("protocolPort") or 0), weight=int(item["weight"]),
                health=(item.get("healthCheckStatus") or "unknown").lower(), status=item.get("status"),
                group_id=item.get("targetGroupID"))


def list_targets(client, group_id):
    answer = client.call("GET", LIST_TARGET, query=dict(regionID=client.region_id, targetGroupID=group_id))
    return [_target(item, "list-target") for item in _shape(answer or [], "returnObj", "list-target", list)]


def show_target_group(client, group_id):
    # the provider's struct: returnObj is a list ([]*CtelbShowTargetGroupReturnObjResponse)
    query = dict(regionID=client.region_id, targetGroupID=group_id)
    items = _shape(client.call("GET", SHOW_TARGET_GROUP, query=query), "returnObj", "show-target-group", list)
    answer = _shape(items[0] if items else None, "returnObj[0]", "show-target-group")
    return dict(id=answer.get("ID"), name=answer.get("name"), algorithm=answer.get("algorithm"),
                health_check_id=answer.get("healthCheckID") or None, status=answer.get("status"),
                vpc_id=answer.get("vpcID"))


def show_health_check(client, health_check_id):
    query = dict(regionID=client.region_id, healthCheckID=health_check_id)
    answer = _shape(client.call("GET", SHOW_HEALTH_CHECK, query=query), "returnObj", "show-health-check")
    return dict(id=answer.get("ID"), protocol=answer.get("protocol"), path=answer.get("httpUrlPath"),
                interval=answer.get("interval"), timeout=answer.get("timeout"), max_retry=answer.get("maxRetry"),
                status=answer.get("status"))


def _first_id(answer, call):
    items = _shape(answer, "returnObj", call, list)
    if not items or not isinstance(items[0], dict) or not items[0].get("ID"):
        raise ApiError("CTyun ELB %s answered without returnObj[0].ID; see docs/traffic.md" % call)
    return items[0]["ID"]


def create_target(client, group_id, endpoint, weight, token):
    """Add ``endpoint`` (``instance_type``, ``instance_id``, ``ip``, ``port``) with ``weight``.

    ``token`` is the ``clientToken``: a create sent again with it (a lost answer) adds nothing, so
    the call is safe to replay and the transport may retry it."""
    check_weight(weight)
    body = dict(clientToken=token, regionID=client.region_id, targetGroupID=group_id,
                instanceType=endpoint["instance_type"], instanceID=endpoint["instance_id"],
                protocolPort=int(endpoint["port"]), weight=int(weight))
    if endpoint.get("ip"):
        body["instanceIP"] = endpoint["ip"]
    return _first_id(client.call("POST", CREATE_TARGET, body=body, idempotent=True), "create-target")


def update_target(client, target_id, port, weight):
    """Set the weight; always sent, since an update without it is taken as the default 100."""
    check_weight(weight)
    body = dict(regionID=client.region_id, targetID=target_id, protocolPort=int(port), weight=int(weight))
    # an absolute write: sending it twice gives the same state
    return _first_id(client.call("POST", UPDATE_TARGET, body=body, idempotent=True), "update-target")


def delete_target(client, target_id, token):
    body = dict(clientToken=token, regionID=client.region_id, targetID=target_id)
    return _first_id(client.call("POST", DELETE_TARGET, body=body, idempotent=True), "delete-target")


def realtime_counters(client, device_id):
    """The realtime monitor's samples of one load balancer: ``{sampling_time: {counter: int}}``.

    The provider's struct names the counters (strings) but not whether a sample counts since the
    previous sample or since start; the collection reads each as the answers of its sampling
    period (an assumption listed in docs/traffic.md)."""
    body = dict(regionID=client.region_id, deviceIDs=[device_id], pageNo=1, pageSize=50)
    answer = client.call("POST", REALTIME_MONITOR, body=body, idempotent=True)
    samples = {}
    # one device asked for: every item is its (the provider names deviceID an elastic IP, so it is
    # not compared with the load balancer's ID)
    for device in _shape(answer or [], "returnObj", "query-realtime-monitor", list):
        if not isinstance(device, dict):
            continue
        for item in _shape(device.get("itemList") or [], "returnObj[].itemList", "query-realtime-monitor", list):
            try:
                at = int(item.get("samplingTime"))
                samples[at] = dict((name, int(float(item.get(name) or 0))) for name in MONITOR_COUNTERS)
            except (TypeError, ValueError):
                raise ApiError("CTyun ELB query-realtime-monitor: an item without a numeric samplingTime or "
                               "counter; see docs/traffic.md, the table of ELB answers")
    return samples


def check_weight(weight):
    if not MIN_WEIGHT <= int(weight) <= MAX_WEIGHT:
        raise ValidationError("weight %s is outside CTyun ELB's range %d-%d (0 does not exist: a side that must "
                              "get nothing leaves the target group)" % (weight, MIN_WEIGHT, MAX_WEIGHT))
