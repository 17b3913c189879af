# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""traffic_shift's options, checked together before the first call: each error names the option
and the fix."""

from __future__ import annotations

import re

from ..common.arg_spec import DEFAULT_CTYUN_ENDPOINT, require_ctyun_credentials
from ..common.errors import ValidationError
from . import gates as gates_mod
from . import weights

DEFAULT_ENDPOINT = DEFAULT_CTYUN_ENDPOINT
ELB_ONLY = ("target_group_id", "source_entry", "target_entry", "load_balancer_id")
# Kubernetes object names: a DNS-1123 subdomain; Service names: a DNS-1123 label
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _entry(option, entry):
    if not 1 <= int(entry["port"]) <= 65535:
        raise ValidationError("%s.port: %s is outside 1-65535" % (option, entry["port"]))
    if entry["instance_type"] == "IP" and not entry.get("ip"):
        raise ValidationError("%s.ip: an IP target needs its address (instance_type IP)" % option)
    if not (entry.get("instance_id") or entry.get("ip")):
        raise ValidationError("%s.instance_id: give the ID of the %s instance" % (option, entry["instance_type"]))


def endpoints(params):
    out = {}
    for side in weights.SIDES:
        entry = dict(params["%s_entry" % side])
        entry["instance_id"] = entry.get("instance_id") or entry.get("ip")
        out[side] = entry
    return out


def _name(option, value, pattern, what):
    if not value or len(value) > 253 or not pattern.match(value):
        raise ValidationError("%s: %r is not a valid Kubernetes %s (lower-case letters, digits, '-'%s)"
                              % (option, value, what, ", '.'" if pattern is SUBDOMAIN else ""))


def validate(params):
    """Check every option; returns the normalised gates."""
    try:
        params["percent"] = weights.check_percent(params["percent"])
    except ValueError as exc:
        raise ValidationError(str(exc))
    backend = params["backend"]
    if backend == "ctyun_elb":
        for option in ("target_group_id", "source_entry", "target_entry"):
            if not params.get(option):
                raise ValidationError("%s: required with backend ctyun_elb" % option)
        for side in weights.SIDES:
            _entry("%s_entry" % side, params["%s_entry" % side])
        ends = endpoints(params)
        if ends["source"]["instance_id"] == ends["target"]["instance_id"] and \
                int(ends["source"]["port"]) == int(ends["target"]["port"]):
            raise ValidationError("target_entry: the same target as source_entry (%s:%s); give CCE's entry"
                                  % (ends["target"]["instance_id"], ends["target"]["port"]))
        require_ctyun_credentials(params)
    else:
        given = [o for o in ELB_ONLY if params.get(o)]
        if given:
            raise ValidationError("%s: only with backend ctyun_elb; backend gateway_api sets the weights of "
                                  "option route" % ", ".join(given))
        route = params.get("route")
        if not route:
            raise ValidationError("route: required with backend gateway_api (name, namespace, source_service, "
                                  "target_service)")
        _name("route.name", route["name"], SUBDOMAIN, "object name")
        _name("route.namespace", route["namespace"], LABEL, "namespace name")
        for key in ("source_service", "target_service"):
            _name("route.%s" % key, route[key], LABEL, "Service name")
        if route["source_service"] == route["target_service"]:
            raise ValidationError("route.target_service: the same Service as route.source_service; give the Service "
                                  "that reaches CCE's entry")
        if route.get("port") is not None and not 1 <= route["port"] <= 65535:
            raise ValidationError("route.port: %s is outside 1-65535" % route["port"])
        if not params.get("source"):
            raise ValidationError("source: give the access to the source cluster that holds the HTTPRoute "
                                  "(kubeconfig and context)")
    gates = gates_mod.normalise(params.get("gates"), backend)
    if gates["max_5xx_percent"] is not None and not params.get("load_balancer_id"):
        raise ValidationError("load_balancer_id: the gate max_5xx_percent reads this load balancer's realtime "
                              "monitor; give its ID")
    return gates
