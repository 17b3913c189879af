# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What ``cce_cluster`` must do, as data. Pure functions, no I/O; unit-tested with tables.

The spec is the module's options (see ``cce_cluster``): ``name``, ``cluster_series``, ``managed``,
``kubernetes_version``, ``zones``, ``network: {plugin, pod_subnet_ids, pod_cidr, service_cidr}``,
``api_server: {elb_spec, public_eip}``, ``control_plane: {count, flavor, sys_disk}``,
``workers: {flavor, count, image_id, ...}``, ``node_pools: [...]``, ``billing``... A field the user
left unset (``None``) is never compared with an existing cluster.

The rules checked before any call are the provider's (``ctyun-it/terraform-provider-ctyun`` @ 80651fdd,
``resource_ctyun_ccse_cluster.go`` / ``resource_ctyun_ccse_node_pool.go`` validators), quoted per rule.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ..common.errors import ValidationError
from .transformations import (BILLING_MODES, DISK_TYPES, ELB_SPECS, IMAGE_TYPES, KUBE_PROXY, MANAGED_SCALES,
                              NETWORK_PLUGINS, RUNTIMES)

SERIES = ("standard", "managed")
CONTROL_PLANE_COUNTS = (1, 3, 5)
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{2,62}[a-z0-9]$|^[a-z][a-z0-9]{0,2}$")
DEFAULT_DISK = dict(type="SSD", size=100)
# Applied when the cluster is created and the option was left unset: the CCE One guide's plan
# (1.29.3 is the user's choice; cubecni, private ELB standardI, 3 control-plane nodes).
CREATE_DEFAULTS = dict(
    cluster_series="standard", cluster_domain="cluster.local", container_runtime="containerd", kube_proxy="ipvs",
    timezone="Asia/Shanghai", node_port_range=dict(start=30000, end=32767), description="",
    billing=dict(mode="on_demand", period=None, auto_renew=False),
    network=dict(plugin="cubecni", pod_subnet_ids=None, pod_cidr=None, service_cidr="10.96.0.0/16"),
    api_server=dict(elb_spec="standardI", public_eip=False),
    control_plane=dict(count=3, flavor=None, sys_disk=DEFAULT_DISK),
    workers=dict(flavor=None, count=3, zones=None, image_id=None, image_type="public", sys_disk=DEFAULT_DISK,
                 data_disks=None),
)
POOL_DEFAULTS = dict(count=0, image_type="public", sys_disk=DEFAULT_DISK, max_pods=110, zones=None, data_disks=None)


def _net(value):
    return ipaddress.ip_network(value, strict=True)


def _sub(spec, key):
    return spec.get(key) or {}


def _disk_problems(label, disk, low, high):
    out = []
    if not disk:
        return out
    if disk.get("type") is not None and disk["type"] not in DISK_TYPES:
        out.append("%s.type %r: use one of %s" % (label, disk["type"], ", ".join(DISK_TYPES)))
    if disk.get("size") is not None and not low <= disk["size"] <= high:
        out.append("%s.size %s: must be %d-%d (GB)" % (label, disk["size"], low, high))
    return out


def _password_problem(label, password):
    # resource_ctyun_ccse_node_pool.go: ecs_passwd 8-30 characters with at least 3 of upper, lower, digit, special
    classes = sum(bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if not 8 <= len(password) <= 30 or classes < 3:
        return ("%s.password: use 8-30 characters with at least three of upper case, lower case, digits and "
                "special characters" % label)
    return None


def validate(spec, supported_versions=None):
    """Return ``spec`` or raise one ValidationError listing every problem with the option and the fix.

    ``supported_versions`` (from the versions endpoint) is checked when given.
    """
    problems = []
    name = spec.get("name") or ""
    if not NAME_RE.match(name):
        problems.append("name %r: use 1-64 lower-case letters, digits or '-', starting with a letter and not "
                        "ending with '-'" % name)
    series = spec.get("cluster_series")
    if series is not None and series not in SERIES:
        problems.append("cluster_series %r: use standard (dedicated control plane) or managed" % series)
    managed = _sub(spec, "managed")
    if managed:
        if series == "standard":
            problems.append("managed: only for cluster_series managed; remove it or set cluster_series: managed")
        stype = managed.get("series_type")
        if stype is not None and stype not in MANAGED_SCALES:
            problems.append("managed.series_type %r: use managedbase or managedpro" % stype)
        elif stype is not None and managed.get("node_scale") is not None \
                and managed["node_scale"] not in MANAGED_SCALES[stype]:
            # ccse_create_cluster_api.go: nodeScale 10 for managedbase; 50, 200, 1000, 2000 for managedpro
            problems.append("managed.node_scale %s: %s allows %s" % (
                managed["node_scale"], stype, ", ".join("%d" % n for n in MANAGED_SCALES[stype])))
    if series == "managed" and spec.get("control_plane") and any(
            v is not None for k, v in spec["control_plane"].items() if k != "count"):
        problems.append("control_plane: a managed cluster has no control-plane hosts (the provider sends no "
                        "masterHost); remove control_plane or use cluster_series standard")
    network = _sub(spec, "network")
    plugin = network.get("plugin")
    if plugin is not None and plugin not in NETWORK_PLUGINS:
        problems.append("network.plugin %r: use cubecni or calico" % plugin)
    nets = {}
    for field in ("pod_cidr", "service_cidr"):
        value = network.get(field)
        if value is None:
            continue
        try:
            nets[field] = _net(value)
        except ValueError as exc:
            problems.append("network.%s %r is not a network in CIDR notation (%s); e.g. 172.16.0.0/16"
                            % (field, value, exc))
    if len(nets) == 2 and nets["pod_cidr"].overlaps(nets["service_cidr"]):
        problems.append("network.pod_cidr %s overlaps network.service_cidr %s; choose ranges that do not overlap"
                        % (network["pod_cidr"], network["service_cidr"]))
    if plugin in (None, "cubecni") and network.get("pod_cidr") is not None:
        # the provider forbids pod_cidr with cubecni: the pods take addresses of the pod subnets
        problems.append("network.pod_cidr: not used with cubecni (pods get addresses from "
                        "network.pod_subnet_ids); remove it, or use plugin calico")
    if plugin == "calico" and network.get("pod_subnet_ids"):
        problems.append("network.pod_subnet_ids: only for cubecni; calico needs network.pod_cidr")
    if len(network.get("pod_subnet_ids") or []) > 10:
        problems.append("network.pod_subnet_ids: at most 10 subnets")
    api_server = _sub(spec, "api_server")
    if api_server.get("elb_spec") is not None and api_server["elb_spec"] not in ELB_SPECS:
        problems.append("api_server.elb_spec %r: use one of %s (the guide's 标准型I is standardI)"
                        % (api_server["elb_spec"], ", ".join(ELB_SPECS)))
    plane = _sub(spec, "control_plane")
    if plane.get("count") is not None and plane["count"] not in CONTROL_PLANE_COUNTS:
        problems.append("control_plane.count %s: must be 1, 3 or 5 (the guide uses 3)" % plane["count"])
    problems += _disk_problems("control_plane.sys_disk", plane.get("sys_disk"), 80, 2040)
    for field, allowed in (("container_runtime", RUNTIMES), ("kube_proxy", KUBE_PROXY)):
        if spec.get(field) is not None and spec[field] not in allowed:
            problems.append("%s %r: use %s" % (field, spec[field], " or ".join(allowed)))
    ports = _sub(spec, "node_port_range")
    if ports:
        start, end = ports.get("start"), ports.get("end")
        # resource_ctyun_ccse_cluster.go: start_port/end_port 30000-65535, end - start > 20
        if start is None or end is None or not 30000 <= start < end <= 65535 or end - start <= 20:
            problems.append("node_port_range %s-%s: start and end within 30000-65535, end more than 20 above "
                            "start" % (start, end))
    billing = _sub(spec, "billing")
    mode = billing.get("mode")
    if mode is not None and mode not in BILLING_MODES:
        problems.append("billing.mode %r: use on_demand, month or year" % mode)
    period = billing.get("period")
    if mode == "month" and not (period and 1 <= period <= 11):
        problems.append("billing.period %s: 1-11 months with mode month" % period)
    if mode == "year" and not (period and 1 <= period <= 3):
        problems.append("billing.period %s: 1-3 years with mode year" % period)
    if mode in (None, "on_demand") and (billing.get("auto_renew") or period):
        problems.append("billing: period and auto_renew are only for mode month or year")
    workers = _sub(spec, "workers")
    zones = spec.get("zones") or []
    if len(set(zones)) != len(zones):
        problems.append("zones: each availability zone once")
    if workers.get("count") is not None:
        wzones = workers.get("zones") or zones
        # resource_ctyun_ccse_cluster.go: every worker AZ gets at least 1 node
        if workers["count"] < max(1, len(wzones)):
            problems.append("workers.count %s: at least 1 worker per zone (%d zones)"
                            % (workers["count"], max(1, len(wzones))))
    if workers.get("image_type") is not None and workers["image_type"] not in IMAGE_TYPES:
        problems.append("workers.image_type %r: use public or private" % workers["image_type"])
    problems += _disk_problems("workers.sys_disk", workers.get("sys_disk"), 80, 2040)
    for i, disk in enumerate(workers.get("data_disks") or []):
        problems += _disk_problems("workers.data_disks[%d]" % i, disk, 10, 20000)
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
        if pool.get("count") is not None and pool["count"] < 0:
            problems.append("%s: count must be 0 or more" % label)
        problems += _disk_problems(label + ".sys_disk", pool.get("sys_disk"), 40, 2040)
        for i, disk in enumerate(pool.get("data_disks") or []):
            problems += _disk_problems("%s.data_disks[%d]" % (label, i), disk, 10, 20000)
        if pool.get("password") and (pool.get("key_name") or pool.get("key_pair_id")):
            problems.append("%s: give password or key_name with key_pair_id, not both" % label)
        elif pool.get("password"):
            problem = _password_problem(label, pool["password"])
            if problem:
                problems.append(problem)
        elif bool(pool.get("key_name")) != bool(pool.get("key_pair_id")):
            problems.append("%s: key_name and key_pair_id go together" % label)
        if pool.get("max_pods") is not None and not 1 <= pool["max_pods"] <= 256:
            problems.append("%s: max_pods must be 1-256" % label)
    if problems:
        raise ValidationError("Invalid cce_cluster options: " + "; ".join(problems), problems=problems)
    return spec


def _merge(defaults, given):
    out = copy.deepcopy(defaults)
    for key, value in (given or {}).items():
        if value is not None:
            out[key] = copy.deepcopy(value)
    return out


def with_create_defaults(spec):
    """The spec to create: unset options get the guide's defaults; fails naming every missing required option."""
    out = copy.deepcopy(spec)
    for key, value in CREATE_DEFAULTS.items():
        if isinstance(value, dict):
            out[key] = _merge(value, out.get(key))
        elif out.get(key) is None:
            out[key] = copy.deepcopy(value)
    managed = out["cluster_series"] == "managed"
    if managed:
        out["managed"] = _merge(dict(series_type=None, node_scale=None), out.get("managed"))
        if out["managed"]["series_type"] == "managedpro" and out["managed"]["node_scale"] is None:
            out["managed"]["node_scale"] = 50          # the provider's default for managedpro
        elif out["managed"]["series_type"] == "managedbase" and out["managed"]["node_scale"] is None:
            out["managed"]["node_scale"] = 10
        out["control_plane"] = None
    out["node_pools"] = [pool_with_defaults(p) for p in out.get("node_pools") or []]
    if out.get("tags") is None:
        out["tags"] = {}
    required = [("kubernetes_version", out.get("kubernetes_version")), ("vpc_id", out.get("vpc_id")),
                ("subnet_id", out.get("subnet_id")), ("zones", out.get("zones")),
                ("workers.flavor", out["workers"]["flavor"]), ("workers.image_id", out["workers"]["image_id"])]
    if managed:
        required.append(("managed.series_type", out["managed"]["series_type"]))
    else:
        required.append(("control_plane.flavor", out["control_plane"]["flavor"]))
    if out["network"]["plugin"] == "cubecni":
        required.append(("network.pod_subnet_ids", out["network"]["pod_subnet_ids"]))
    else:
        required.append(("network.pod_cidr", out["network"]["pod_cidr"]))
    for pool in out["node_pools"]:
        required += [("node_pools[%s].flavor" % pool["name"], pool.get("flavor")),
                     ("node_pools[%s].image_id" % pool["name"], pool.get("image_id")),
                     ("node_pools[%s].password or key_name" % pool["name"],
                      pool.get("password") or pool.get("key_name"))]
    missing = [name for name, value in required if not value]
    if missing:
        raise ValidationError("Creating cluster %s needs %s" % (spec.get("name"), ", ".join(missing)),
                              missing=missing)
    return validate(out)


def pool_with_defaults(pool):
    return _merge(POOL_DEFAULTS, pool)


def pool_missing(pool):
    return [k for k in ("flavor", "image_id") if not pool.get(k)] + (
        [] if pool.get("password") or pool.get("key_name") else ["password or key_name"])


def flavors_needed(spec):
    """ECS flavour names the create (or the new pools) will use."""
    names = []
    plane = spec.get("control_plane") or {}
    for name in (plane.get("flavor"), (spec.get("workers") or {}).get("flavor")):
        if name and name not in names:
            names.append(name)
    for pool in spec.get("node_pools") or []:
        if pool.get("flavor") and pool["flavor"] not in names:
            names.append(pool["flavor"])
    return names


def flavor_problems(spec, flavors):
    """Problems with the flavours found (``{name: ECS record or None}``)."""
    problems = []
    for name, record in sorted(flavors.items()):
        if record is None:
            problems.append("flavor %r does not exist in this region (ECS flavour list); use an ECS flavour name "
                            "such as s7.xlarge.2" % name)
    plane = (spec.get("control_plane") or {}).get("flavor")
    record = flavors.get(plane) if plane else None
    if record is not None and (int(record.get("flavorCPU") or 0) < 4 or int(record.get("flavorRAM") or 0) < 8):
        # resource_ctyun_ccse_cluster.go: master_host item_def_name "使用至少4C8G以上的规格"
        problems.append("control_plane.flavor %s has %sC%sG: control-plane nodes need at least 4C8G"
                        % (plane, record.get("flavorCPU"), record.get("flavorRAM")))
    return problems


# (label, wanted getter, current key) of everything that cannot change on an existing cluster
IMMUTABLE = (
    ("cluster_series", lambda s: s.get("cluster_series"), "cluster_series"),
    ("kubernetes_version", lambda s: s.get("kubernetes_version"), "kubernetes_version"),
    ("vpc_id", lambda s: s.get("vpc_id"), "vpc_id"),
    ("subnet_id", lambda s: s.get("subnet_id"), "subnet_id"),
    ("network.plugin", lambda s: _sub(s, "network").get("plugin"), "network_plugin"),
    ("network.pod_cidr", lambda s: _sub(s, "network").get("pod_cidr"), "pod_cidr"),
    ("network.service_cidr", lambda s: _sub(s, "network").get("service_cidr"), "service_cidr"),
    ("control_plane.count", lambda s: _sub(s, "control_plane").get("count"), "control_plane_count"),
    ("container_runtime", lambda s: s.get("container_runtime"), "container_runtime"),
    ("kube_proxy", lambda s: s.get("kube_proxy"), "kube_proxy"),
    ("node_port_range", lambda s: s.get("node_port_range"), "node_port_range"),
)
IMMUTABLE_POOL_FIELDS = ("flavor", "image_id")


def _same(label, current, wanted):
    if label.endswith("_cidr") and current is not None:
        try:
            return _net(current) == _net(wanted)
        except ValueError:
            pass
    return current == wanted


def immutable_differences(current, wanted):
    """``[{field, current, wanted}]`` for every set option that cannot change on an existing cluster.

    Only what the API returns is compared: the API-server ELB spec, zones, flavours and disks of the
    workers given at create are not in the cluster record (docs/cce.md)."""
    out = []
    for label, get, key in IMMUTABLE:
        want = get(wanted)
        if want is None or (label == "control_plane.count" and current.get("cluster_series") != "standard"):
            continue
        if not _same(label, current.get(key), want):
            out.append(dict(field=label, current=current.get(key), wanted=want))
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


def default_pool(current):
    """The pool made from the create's worker group (``isDefault``), or None."""
    for pool in current.get("node_pools") or []:
        if pool.get("default"):
            return pool
    return None


def plan_present(current, wanted, purge_tags=True):
    """Plan for ``state: present``.

    Returns ``dict(action, immutable, modify, scale, add_pools, unmanaged_pools)``; ``action`` is
    ``create``, ``update``, ``none`` or ``fail`` (immutable differences). ``scale`` items are
    ``{name, id, current, wanted}``: absolute targets, turned into relative calls only at execution.
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
    workers = _sub(wanted, "workers")
    default = default_pool(current)
    if workers.get("count") is not None and default is not None and default.get("count") != workers["count"]:
        plan["scale"].append(dict(name=default["name"], id=default["id"], current=default.get("count"),
                                  wanted=workers["count"]))
    pools = dict((p["name"], p) for p in current.get("node_pools") or [] if not p.get("default"))
    for pool in wanted.get("node_pools") or []:
        have = pools.get(pool["name"])
        if have is None:
            plan["add_pools"].append(pool_with_defaults(pool))
        elif pool.get("count") is not None and have.get("count") != pool["count"]:
            plan["scale"].append(dict(name=pool["name"], id=have.get("id"), current=have.get("count"),
                                      wanted=pool["count"]))
    if wanted.get("node_pools") is not None:
        named = set(p["name"] for p in wanted["node_pools"])
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
    after["node_pools"] = (after.get("node_pools") or []) + [
        dict(id=None, name=p["name"], flavor=p.get("flavor"), image_id=p.get("image_id"), count=p.get("count"),
             default=False) for p in plan["add_pools"]]
    return after


def scale_step(current_count, wanted, node_names):
    """The next relative call to go from ``current_count`` to ``wanted``: ``("up", n)``, ``("down", names)``
    or ``("none", None)``. Scale-down removes the last nodes by name (the newest in CCE's naming)."""
    if current_count == wanted:
        return "none", None
    if current_count < wanted:
        return "up", wanted - current_count
    names = sorted(node_names or [])
    return "down", names[len(names) - (current_count - wanted):] if current_count - wanted <= len(names) else names


def plan_absent(current, force_delete):
    """``(action, reason)`` for ``state: absent``: ``none``, ``delete``, ``wait`` (already deleting) or ``refuse``."""
    if current is None:
        return "none", "cluster does not exist"
    if current.get("status") == "deleting" or current.get("biz_state") == 18:
        return "wait", "cluster is already being deleted"
    pools = [p for p in current.get("node_pools") or [] if p.get("count")]
    if pools and not force_delete:
        return "refuse", ("cluster %s still has nodes in node pools (%s); set force_delete: true to delete it with "
                          "its nodes" % (current.get("name"), ", ".join(sorted(p["name"] for p in pools))))
    return "delete", "force_delete" if pools else "no nodes"


DIFF_FIELDS = ("name", "cluster_series", "kubernetes_version", "vpc_id", "subnet_id", "network_plugin", "pod_cidr",
               "service_cidr", "control_plane_count", "container_runtime", "kube_proxy", "description", "tags",
               "node_pools")


def create_view(spec):
    """A complete create spec in the shape of a read cluster (for ``--diff`` and check mode)."""
    network = spec["network"]
    pools = [dict(name="(worker group)", flavor=spec["workers"]["flavor"], image_id=spec["workers"]["image_id"],
                  count=spec["workers"]["count"], default=True)]
    pools += [dict(name=p["name"], flavor=p.get("flavor"), image_id=p.get("image_id"), count=p.get("count"),
                   default=False) for p in spec.get("node_pools") or []]
    return dict(
        id=None, name=spec["name"], status="would be created", cluster_series=spec["cluster_series"],
        kubernetes_version=spec["kubernetes_version"], vpc_id=spec["vpc_id"], subnet_id=spec["subnet_id"],
        network_plugin=network["plugin"], pod_cidr=network.get("pod_cidr"), service_cidr=network["service_cidr"],
        control_plane_count=(spec.get("control_plane") or {}).get("count"),
        container_runtime=spec["container_runtime"], kube_proxy=spec["kube_proxy"],
        description=spec.get("description") or "", tags=dict(spec.get("tags") or {}), node_pools=pools)


def diff_view(cluster):
    """The fields shown in ``--diff`` (no ids that only the cloud assigns, no status)."""
    if cluster is None:
        return {}
    out = dict((k, copy.deepcopy(cluster.get(k))) for k in DIFF_FIELDS if k in cluster)
    out["node_pools"] = [dict((k, v) for k, v in p.items() if k not in ("id", "status", "ready"))
                         for p in cluster.get("node_pools") or []]
    return out
