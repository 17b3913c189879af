# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What ``cce_cluster`` must do, as data. Pure functions, no I/O; unit-tested with tables.

Shapes are the module's (see ``transformations.cluster_from_api``): ``name``,
``kubernetes_version``, ``pod_cidr``, ``api_server: {exposure, elb_spec}``,
``node_pools: [{name, flavor, os_image, count, disk_size, disk_type}]``, ``tags: {}``...
A field the user left unset (``None``) is never compared.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ..common.errors import ValidationError

# Compared with the existing cluster; a difference fails before any change.
IMMUTABLE_FIELDS = ("cluster_type", "kubernetes_version", "vpc_id", "subnet_id", "network_plugin",
                    "pod_cidr", "service_cidr", "control_plane_count")
IMMUTABLE_API_SERVER = ("exposure", "elb_spec")
IMMUTABLE_POOL_FIELDS = ("flavor", "os_image", "disk_size", "disk_type")
CIDR_FIELDS = ("pod_cidr", "service_cidr")
CONTROL_PLANE_COUNTS = (1, 3, 5)
CREATE_REQUIRED = ("kubernetes_version", "vpc_id", "subnet_id")
# Applied when the cluster is created and the option was left unset (the guide's plan).
CREATE_DEFAULTS = dict(cluster_type="Host", network_plugin="cubecni", pod_cidr="172.16.0.0/16",
                       service_cidr="10.96.0.0/16", control_plane_count=3, description="",
                       api_server=dict(exposure="private_elb", elb_spec="standard I"))
POOL_DEFAULTS = dict(disk_size=100, disk_type="SSD")

# "general 4C8G" (the console's words) or an ECS flavour name such as "s7.xlarge.2".
FLAVOR_RE = re.compile(r"^(?:(?:general|compute|memory|gpu)\s+\d+C\d+G"
                       r"|[a-z]{1,3}\d+[a-z]*\.(?:small|medium|large|\d*xlarge)\.\d+)$")
OS_IMAGE_RE = re.compile(r"^(?:ctyunos\d+\.\d+(?:\.\d+)?|ubuntu\d{2}\.\d{2}|centos\d\.\d+|kylinv\d+(?:sp\d+)?)$")
NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{1,62}$")


def _network(value):
    return ipaddress.ip_network(value, strict=True)


def validate(spec, supported_versions=None):
    """Return ``spec`` or raise one ValidationError listing every problem with the field and the fix.

    ``supported_versions`` (from the versions endpoint) is checked when given.
    """
    problems = []
    if not NAME_RE.match(spec.get("name") or ""):
        problems.append("name %r: use 2-63 letters, digits, '-' or '_', starting with a letter" % spec.get("name"))
    nets = {}
    for field in CIDR_FIELDS:
        value = spec.get(field)
        if value is None:
            continue
        try:
            nets[field] = _network(value)
        except ValueError as exc:
            problems.append("%s %r is not a network in CIDR notation (%s); e.g. 172.16.0.0/16" % (field, value, exc))
    if len(nets) == 2 and nets["pod_cidr"].overlaps(nets["service_cidr"]):
        problems.append("pod_cidr %s overlaps service_cidr %s; choose ranges that do not overlap"
                        % (spec["pod_cidr"], spec["service_cidr"]))
    count = spec.get("control_plane_count")
    if count is not None and count not in CONTROL_PLANE_COUNTS:
        problems.append("control_plane_count %s: must be 1, 3 or 5 (the guide uses 3)" % count)
    version = spec.get("kubernetes_version")
    if version is not None and supported_versions is not None and version not in supported_versions:
        problems.append("kubernetes_version %s is not offered in this region; supported: %s"
                        % (version, ", ".join(supported_versions) or "none"))
    seen = set()
    for index, pool in enumerate(spec.get("node_pools") or []):
        label = "node_pools[%d] (%s)" % (index, pool.get("name"))
        if not pool.get("name"):
            problems.append("node_pools[%d]: name is required" % index)
        elif pool["name"] in seen:
            problems.append("%s: node pool names must be unique" % label)
        seen.add(pool.get("name"))
        if pool.get("flavor") is not None and not FLAVOR_RE.match(pool["flavor"]):
            problems.append("%s: flavor %r is not a flavour name; use e.g. 'general 4C8G' or 's7.xlarge.2'"
                            % (label, pool["flavor"]))
        if pool.get("os_image") is not None and not OS_IMAGE_RE.match(pool["os_image"]):
            problems.append("%s: os_image %r is not a known worker OS; use e.g. 'ctyunos23.01'"
                            % (label, pool["os_image"]))
        if pool.get("count") is not None and pool["count"] < 0:
            problems.append("%s: count must be 0 or more" % label)
        if pool.get("disk_size") is not None and pool["disk_size"] < 40:
            problems.append("%s: disk_size must be at least 40 (GB)" % label)
    if problems:
        raise ValidationError("Invalid cce_cluster options: " + "; ".join(problems), problems=problems)
    return spec


def with_create_defaults(spec):
    """The spec to create: unset options get the guide's defaults; fails naming missing required options."""
    missing = [f for f in CREATE_REQUIRED if not spec.get(f)]
    if missing:
        raise ValidationError("Creating cluster %s needs %s" % (spec.get("name"), ", ".join(missing)),
                              missing=missing)
    out = copy.deepcopy(spec)
    for key, value in CREATE_DEFAULTS.items():
        if key == "api_server":
            wanted = dict(out.get("api_server") or {})
            out["api_server"] = dict((k, wanted.get(k) if wanted.get(k) is not None else v) for k, v in value.items())
            if out["api_server"]["exposure"] == "none":
                # no load balancer in front of the API server: no ELB spec to order
                if wanted.get("elb_spec"):
                    raise ValidationError("api_server.elb_spec: no load balancer is ordered with exposure=none; "
                                          "remove elb_spec or choose private_elb/public_elb")
                out["api_server"]["elb_spec"] = None
        elif out.get(key) is None:
            out[key] = copy.deepcopy(value)
    out["node_pools"] = [pool_with_defaults(p) for p in out.get("node_pools") or []]
    if out.get("tags") is None:
        out["tags"] = {}
    return out


def pool_with_defaults(pool):
    out = dict(pool)
    for key, value in POOL_DEFAULTS.items():
        if out.get(key) is None:
            out[key] = value
    if out.get("count") is None:
        out["count"] = 0
    return out


def _same(field, current, wanted):
    if field in CIDR_FIELDS and current is not None:
        try:
            return _network(current) == _network(wanted)
        except ValueError:
            pass
    return current == wanted


def immutable_differences(current, wanted):
    """``[{field, current, wanted}]`` for every set option that cannot change on an existing cluster."""
    out = []
    for field in IMMUTABLE_FIELDS:
        if wanted.get(field) is not None and not _same(field, current.get(field), wanted[field]):
            out.append(dict(field=field, current=current.get(field), wanted=wanted[field]))
    for field in IMMUTABLE_API_SERVER:
        want = (wanted.get("api_server") or {}).get(field)
        have = (current.get("api_server") or {}).get(field)
        if want is not None and have != want:
            out.append(dict(field="api_server.%s" % field, current=have, wanted=want))
    pools = dict((p["name"], p) for p in current.get("node_pools") or [])
    for pool in wanted.get("node_pools") or []:
        have = pools.get(pool["name"])
        if have is None:
            continue
        for field in IMMUTABLE_POOL_FIELDS:
            if pool.get(field) is not None and have.get(field) != pool[field]:
                out.append(dict(field="node_pools[%s].%s" % (pool["name"], field), current=have.get(field),
                                wanted=pool[field]))
    return out


def immutable_message(name, differences):
    lines = ["%s: current %r, wanted %r" % (d["field"], d["current"], d["wanted"]) for d in differences]
    return ("Cluster %s exists and these fields cannot be changed in place: %s. Nothing was changed. Set them to "
            "the current values, or create a cluster under another name." % (name, "; ".join(lines)))


def desired_tags(current, wanted, purge):
    if wanted is None:
        return dict(current or {})
    if purge:
        return dict(wanted)
    merged = dict(current or {})
    merged.update(wanted)
    return merged


def plan_present(current, wanted, purge_tags=True):
    """Plan for ``state: present``.

    Returns ``dict(action, immutable, modify, scale, add_pools, unmanaged_pools)``; ``action`` is
    ``create``, ``update``, ``none`` or ``fail`` (immutable differences).
    """
    plan = dict(action="none", immutable=[], modify={}, scale=[], add_pools=[], unmanaged_pools=[])
    if current is None:
        plan["action"] = "create"
        return plan
    plan["immutable"] = immutable_differences(current, wanted)
    if plan["immutable"]:
        plan["action"] = "fail"
        return plan
    if wanted.get("description") is not None and (current.get("description") or "") != wanted["description"]:
        plan["modify"]["description"] = wanted["description"]
    tags = desired_tags(current.get("tags"), wanted.get("tags"), purge_tags)
    if tags != (current.get("tags") or {}):
        plan["modify"]["tags"] = tags
    pools = dict((p["name"], p) for p in current.get("node_pools") or [])
    for pool in wanted.get("node_pools") or []:
        have = pools.get(pool["name"])
        if have is None:
            plan["add_pools"].append(pool_with_defaults(pool))
        elif pool.get("count") is not None and have.get("count") != pool["count"]:
            plan["scale"].append(dict(name=pool["name"], id=have.get("id"), current=have.get("count"),
                                      wanted=pool["count"]))
    named = set(p["name"] for p in wanted.get("node_pools") or [])
    if wanted.get("node_pools") is not None:
        plan["unmanaged_pools"] = sorted(n for n in pools if n not in named)
    if plan["modify"] or plan["scale"] or plan["add_pools"]:
        plan["action"] = "update"
    return plan


def apply_plan(current, plan):
    """The cluster as it will look once ``plan`` is done (for ``--diff`` and check mode)."""
    after = copy.deepcopy(current)
    after.update(copy.deepcopy(plan["modify"]))
    scale = dict((s["name"], s["wanted"]) for s in plan["scale"])
    for pool in after.get("node_pools") or []:
        if pool["name"] in scale:
            pool["count"] = scale[pool["name"]]
    after["node_pools"] = (after.get("node_pools") or []) + [dict(p, id=None) for p in plan["add_pools"]]
    return after


def plan_absent(current, force_delete):
    """``(action, reason)`` for ``state: absent``: ``none``, ``delete``, ``wait`` (already deleting) or ``refuse``."""
    if current is None:
        return "none", "cluster does not exist"
    if current.get("status") == "deleting":
        return "wait", "cluster is already being deleted"
    pools = current.get("node_pools") or []
    if pools and not force_delete:
        return "refuse", ("cluster %s still has node pools (%s); set force_delete: true to delete it with its nodes"
                          % (current.get("name"), ", ".join(sorted(p["name"] for p in pools))))
    return "delete", "force_delete" if pools else "no node pools"


DIFF_FIELDS = ("name", "cluster_type", "kubernetes_version", "vpc_id", "subnet_id", "network_plugin", "pod_cidr",
               "service_cidr", "control_plane_count", "api_server", "description", "tags", "node_pools")


def diff_view(cluster):
    """The fields shown in ``--diff`` (no ids that only the cloud assigns, no status)."""
    if cluster is None:
        return {}
    out = dict((k, copy.deepcopy(cluster.get(k))) for k in DIFF_FIELDS if k in cluster)
    out["node_pools"] = [dict((k, v) for k, v in p.items() if k not in ("id", "status"))
                         for p in cluster.get("node_pools") or []]
    return out
