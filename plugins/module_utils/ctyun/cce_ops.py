# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Doing what ``cce_plan`` decided, for the ``cce_cluster`` module."""

from __future__ import annotations


from ..common.errors import ApiError, ConflictError, NotFoundError, ValidationError
from ..common.files import write_file
from . import cce, cce_plan, waiters
from .transformations import RUNNING, cluster_from_api, cluster_to_api, kubeconfig_from_api, nodepool_to_api, \
    tags_to_api, versions_from_api


def spec_from_params(params):
    """The module shape wanted by the user (unset options stay ``None``)."""
    api_server = params.get("api_server") or {}
    pools = None
    if params.get("node_pools") is not None:
        pools = [dict(name=p.get("name"), flavor=p.get("flavor"), os_image=p.get("os_image"), count=p.get("count"),
                      disk_size=p.get("disk_size"), disk_type=p.get("disk_type")) for p in params["node_pools"]]
    return dict(
        name=params.get("name"), cluster_type=params.get("cluster_type"),
        kubernetes_version=params.get("kubernetes_version"), vpc_id=params.get("vpc_id"),
        subnet_id=params.get("subnet_id"), network_plugin=params.get("network_plugin"),
        pod_cidr=params.get("pod_cidr"), service_cidr=params.get("service_cidr"),
        control_plane_count=params.get("control_plane_count"),
        api_server=dict(exposure=api_server.get("exposure"), elb_spec=api_server.get("elb_spec")),
        description=params.get("description"), tags=params.get("tags"), node_pools=pools)


def read_cluster(client, name):
    """The module shape of the cluster named ``name`` with its node pools, or None."""
    found = cce.find_cluster(client, name)
    if found is None:
        return None
    cluster_id = found.get("clusterId")
    obj = cce.get_cluster(client, cluster_id) or found
    pools = cce.list_nodepools(client, cluster_id) if ("%s" % obj.get("clusterStatus")).lower() != "deleting" else []
    return cluster_from_api(obj, pools)


def refresh(client, cluster_id):
    obj = cce.describe_cluster(client, cluster_id)
    return cluster_from_api(obj, cce.list_nodepools(client, cluster_id))


def write_kubeconfig(module, path, content):
    """Write ``content`` to ``path`` with mode 0600 (atomically); returns True when the file changed."""
    return write_file(module, path, content, mode=0o600)


def check_versions(client, spec):
    """Validate against the versions endpoint (only when a version is given)."""
    if spec.get("kubernetes_version") is None:
        return None
    supported = versions_from_api(cce.list_versions(client))
    cce_plan.validate(spec, supported_versions=supported)
    return supported


def ensure_present(mod, client, params):
    """Create or update; returns the module result (without ``changed``, set on ``mod``)."""
    spec = spec_from_params(params)
    cce_plan.validate(spec)
    check_versions(client, spec)
    name = spec["name"]
    current = read_cluster(client, name)
    if current is not None and current.get("status") == "deleting":
        raise ConflictError("Cluster %s (%s) is being deleted; run again once it is gone" % (name, current["id"]),
                            cluster=current)
    plan = cce_plan.plan_present(current, spec, purge_tags=params.get("purge_tags", True))
    result = dict(plan=plan, actions=[])
    if plan["action"] == "fail":
        raise ConflictError(cce_plan.immutable_message(name, plan["immutable"]), immutable=plan["immutable"],
                            cluster=current)
    if plan["unmanaged_pools"]:
        mod.warn("Node pools %s of cluster %s are not listed in node_pools and were left as they are"
                 % (", ".join(plan["unmanaged_pools"]), name))
    if plan["action"] == "create":
        create_spec = cce_plan.with_create_defaults(spec)
        mod.add_diff(cce_plan.diff_view(None), cce_plan.diff_view(create_spec), header=name)
        mod.changed()
        result["actions"].append("create cluster %s" % name)
        if mod.check_mode:
            result["cluster"] = dict(create_spec, id=None, status="would be created")
            return result
        cluster_id, recovered = cce.create_cluster(client, cluster_to_api(create_spec))
        result["recovered_lost_response"] = recovered
        current = refresh(client, cluster_id)
    elif plan["action"] == "update":
        after = cce_plan.apply_plan(current, plan)
        mod.add_diff(cce_plan.diff_view(current), cce_plan.diff_view(after), header=name)
        mod.changed()
        if mod.check_mode:
            result["actions"].extend(_describe_update(plan))
            result["cluster"] = after
            return result
        current = _apply_update(mod, client, current, plan, params, result)
    if params.get("wait") and current.get("status") not in RUNNING:
        waiters.wait_running(client, current["id"], params["wait_timeout"], sleep=params.get("wait_sleep", 2))
        current = refresh(client, current["id"])
    result["cluster"] = current
    _kubeconfig(mod, client, current, params, result)
    return result


def _describe_update(plan):
    out = []
    for key, value in sorted(plan["modify"].items()):
        out.append("set %s to %r" % (key, value))
    for item in plan["scale"]:
        out.append("scale node pool %s from %s to %s" % (item["name"], item["current"], item["wanted"]))
    for pool in plan["add_pools"]:
        out.append("add node pool %s (%s x %s)" % (pool["name"], pool.get("count"), pool.get("flavor")))
    return out


def _apply_update(mod, client, current, plan, params, result):
    cluster_id = current["id"]
    if current.get("status") not in RUNNING:
        if not params.get("wait"):
            raise ConflictError("Cluster %s is %s; it can be changed once running (or set wait: true)"
                                % (current["name"], current.get("status")), cluster=current)
        waiters.wait_running(client, cluster_id, params["wait_timeout"], sleep=params.get("wait_sleep", 2))
    if plan["modify"]:
        body = dict(plan["modify"])
        if "tags" in body:
            body["tags"] = tags_to_api(body["tags"])
        cce.modify_cluster(client, cluster_id, body)
    for item in plan["scale"]:
        cce.scale_nodepool(client, cluster_id, item["id"], item["wanted"])
    for pool in plan["add_pools"]:
        if not pool.get("flavor") or not pool.get("os_image"):
            raise ValidationError("Adding node pool %s needs flavor and os_image" % pool["name"])
        cce.create_nodepool(client, cluster_id, nodepool_to_api(pool))
    result["actions"].extend(_describe_update(plan))
    return refresh(client, cluster_id)


def _kubeconfig(mod, client, cluster, params, result):
    path = params.get("kubeconfig_path")
    want_content = params.get("return_kubeconfig")
    if not path and not want_content:
        return
    if cluster.get("status") not in RUNNING:
        if mod.check_mode or not params.get("wait"):
            mod.warn("Cluster %s is %s: the kubeconfig was not fetched" % (cluster["name"], cluster.get("status")))
            return
    if mod.check_mode and not want_content:
        result["kubeconfig_path"] = path
        return
    try:
        content = kubeconfig_from_api(cce.get_kubeconfig(client, cluster["id"], kind=params.get("kubeconfig_type")))
    except ApiError:
        if mod.check_mode:
            return
        raise
    if not content:
        raise ApiError("CCE returned an empty kubeconfig for cluster %s" % cluster["name"], code="EmptyKubeconfig")
    if path:
        result["kubeconfig_path"] = path
        if not mod.check_mode and write_kubeconfig(mod.module, path, content):
            mod.changed()
            result["actions"].append("wrote kubeconfig to %s" % path)
    if want_content:
        result["kubeconfig"] = content


def ensure_absent(mod, client, params):
    name = params["name"]
    current = read_cluster(client, name)
    action, reason = cce_plan.plan_absent(current, params.get("force_delete"))
    result = dict(actions=[], cluster=current, reason=reason)
    if action == "none":
        return result
    if action == "refuse":
        raise ConflictError(reason, cluster=current)
    if action == "delete":
        mod.changed()
        mod.add_diff(cce_plan.diff_view(current), {}, header=name)
        result["actions"].append("delete cluster %s (%s)" % (name, current["id"]))
        if mod.check_mode:
            return result
        try:
            cce.delete_cluster(client, current["id"])
        except NotFoundError:
            # A replayed DELETE whose first answer was lost: the cluster is already gone.
            result["cluster"] = None
            return result
    if params.get("wait"):
        waiters.wait_gone(client, current["id"], params["wait_timeout"], sleep=params.get("wait_sleep", 2))
        result["cluster"] = None
    return result
