# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Doing what ``cce_plan`` decided, for the ``cce_cluster`` module."""

from __future__ import annotations

from ..common.errors import ApiError, CceMigrationError, ConflictError, ValidationError
from ..common.files import write_file
from ..common.waiter import wait_until
from . import cce, cce_plan, endpoints, waiters
from .transformations import (BIZ_RUNNING, RUNNING, cluster_from_api, cluster_to_api, kubeconfig_from_api,
                              nodepool_to_api, tags_from_api, tags_to_api, versions_from_api)

# How long a lost order answer is followed by lookups before the order could be placed again.
ORDER_SETTLE_S = 60.0
SPEC_KEYS = ("name", "cluster_series", "managed", "kubernetes_version", "cluster_domain", "vpc_id", "subnet_id",
             "security_group_id", "zones", "network", "api_server", "control_plane", "workers", "container_runtime",
             "kube_proxy", "timezone", "node_port_range", "billing", "description", "tags", "node_pools")


def spec_from_params(params):
    """The module shape wanted by the user (unset options stay ``None``)."""
    spec = dict((k, params.get(k)) for k in SPEC_KEYS)
    if spec["node_pools"] is not None:
        spec["node_pools"] = [dict(p) for p in spec["node_pools"]]
    return spec


def read_cluster(client, name):
    """The module shape of the cluster named ``name`` with its node pools and tags, or None."""
    found = cce.find_cluster(client, name)
    if found is None:
        return None
    return refresh(client, found["id"], found)


def refresh(client, cluster_id, listed=None):
    obj = cce.get_cluster(client, cluster_id) or listed
    if obj is None:
        return None
    obj = dict(obj, id=obj.get("id") or cluster_id)
    status = ("%s" % obj.get("clusterStatus")).lower()
    ready = status in RUNNING or "%s" % obj.get("bizState") == "%s" % BIZ_RUNNING
    pools = cce.list_nodepools(client, cluster_id) if ready else []
    tags = tags_from_api(cce.get_tags(client, cluster_id)) if ready else {}
    return cluster_from_api(obj, pools, tags)


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


def lookup_flavors(client, names):
    """``{name: ECS flavour record or None}`` through the ECS flavour list (the provider's lookup)."""
    if not names:
        return {}
    ecs = client.for_endpoint(endpoints.ecs_endpoint(client.endpoint))
    out = {}
    for name in names:
        out[name] = next((f for f in cce.list_flavors(ecs, name) if f.get("flavorName") == name), None)
    return out


def check_flavors(client, spec):
    flavors = lookup_flavors(client, cce_plan.flavors_needed(spec))
    problems = cce_plan.flavor_problems(spec, flavors)
    if problems:
        raise ValidationError("Invalid cce_cluster options: " + "; ".join(problems), problems=problems)
    return flavors


def _wait_params(params):
    return params["wait_timeout"], params.get("wait_sleep") or 10


def ensure_present(mod, client, params):
    """Create or update; returns the module result (without ``changed``, set on ``mod``)."""
    spec = spec_from_params(params)
    cce_plan.validate(spec)
    check_versions(client, spec)
    name = spec["name"]
    current = read_cluster(client, name)
    if current is not None and (current.get("status") == "deleting" or current.get("biz_state") == 18):
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
    try:
        if plan["action"] == "create":
            current = _create(mod, client, spec, params, result)
            if current is None:
                return result
        elif plan["action"] == "update":
            after = cce_plan.apply_plan(current, plan)
            mod.add_diff(cce_plan.diff_view(current), cce_plan.diff_view(after), header=name)
            mod.changed()
            if mod.check_mode:
                result["actions"].extend(_describe_update(plan))
                result["cluster"] = after
                return result
            current = _apply_update(mod, client, current, plan, params, result)
        elif params.get("wait") and current.get("status") not in RUNNING:
            waiters.wait_running(client, current["id"], *_wait_params(params))
            current = refresh(client, current["id"])
        result["cluster"] = current
        _kubeconfig(mod, client, current, params, result)
    except CceMigrationError as exc:
        result.setdefault("cluster", current)
        exc.partial_result = result
        raise
    return result


def _create(mod, client, spec, params, result):
    """Place the create order and (with ``wait``) follow it to a running cluster; None in check mode."""
    create_spec = cce_plan.with_create_defaults(spec)
    flavors = check_flavors(client, create_spec)
    body = cluster_to_api(create_spec, client.region_id, flavors)
    view = cce_plan.create_view(create_spec)
    mod.add_diff({}, cce_plan.diff_view(view), header=spec["name"])
    if mod.check_mode:
        mod.changed()
        result["actions"].append("order cluster %s" % spec["name"])
        result["cluster"] = view
        return None
    order, existing = cce.create_cluster(client, body, settle=ORDER_SETTLE_S)
    # changed only once the order stands: an order the API refused wrote nothing
    result["actions"].append("order cluster %s" % spec["name"])
    result["recovered_lost_response"] = existing is not None
    result["order"] = dict(order_id=(order or {}).get("orderId"), order_no=(order or {}).get("orderNo"))
    mod.done(order=result["order"], recovered_lost_response=result["recovered_lost_response"])
    expected = (create_spec["control_plane"] or {}).get("count", 0) + create_spec["workers"]["count"]
    if not params.get("wait"):
        # tags and extra node pools are added by a later run, once the cluster runs
        found = cce.find_cluster(client, spec["name"])
        return refresh(client, found["id"], found) if found else dict(view, status="ordered")
    cluster_id = waiters.wait_created(client, spec["name"], expected, *_wait_params(params))
    current = refresh(client, cluster_id)
    if create_spec.get("tags"):
        cce.set_tags(client, cluster_id, tags_to_api(create_spec["tags"]))
        result["actions"].append("tag cluster %s" % spec["name"])
    for pool in create_spec["node_pools"]:
        _add_pool(client, current, pool, create_spec, params, result)
    return refresh(client, cluster_id)


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
        waiters.wait_running(client, cluster_id, *_wait_params(params))
    for pool in plan["add_pools"]:
        missing = cce_plan.pool_missing(pool)
        if missing:
            raise ValidationError("Adding node pool %s needs %s" % (pool["name"], ", ".join(missing)))
    if plan["add_pools"]:
        check_flavors(client, dict(node_pools=plan["add_pools"]))
    if "description" in plan["modify"]:
        cce.modify_cluster(client, cluster_id, dict(clusterDesc=plan["modify"]["description"]))
        result["actions"].append("set description to %r" % plan["modify"]["description"])
    if "tags" in plan["modify"]:
        cce.set_tags(client, cluster_id, tags_to_api(plan["modify"]["tags"]))
        result["actions"].append("set tags to %r" % plan["modify"]["tags"])
    for item in plan["scale"]:
        scale_pool(client, cluster_id, item["id"], item["wanted"], params, result, item["name"])
    for pool in plan["add_pools"]:
        _add_pool(client, current, pool, params, params, result)
    return refresh(client, cluster_id)


def _add_pool(client, current, pool, spec, params, result):
    zones = pool.get("zones") or spec.get("zones") or []
    if not zones:
        raise ValidationError("node_pools[%s]: set zones (or the cluster's zones) for the new pool" % pool["name"])
    flavor = lookup_flavors(client, [pool["flavor"]])[pool["flavor"]]
    body = nodepool_to_api(pool, spec.get("billing"), flavor, zones)
    record, recovered = cce.create_nodepool(client, current["id"], body)
    result["actions"].append("add node pool %s" % pool["name"] + (" (found after a lost answer)" if recovered else ""))
    if pool.get("count"):
        scale_pool(client, current["id"], record["id"], pool["count"], params, result, pool["name"])


def scale_pool(client, cluster_id, pool_id, wanted, params, result, name):
    """Bring the pool to ``wanted`` nodes with relative scale-up / scale-down calls.

    Each step reads the pool first (``nodeTotalNum`` counts nodes still being created) and sends only
    the difference left, so the step as a whole may be repeated: a call whose answer was lost is never
    added a second time, the next step sees the nodes it made. The steps are retried by the
    collection's policy (``RetryPolicy.run`` with ``idempotent=True``); the relative call itself is
    never replayed by the transport. Steps are repeated, with a pause between them, until one finds
    nothing left to do, at most the policy's ``attempts`` times and within its ``max_total`` seconds
    (:class:`WaitTimeoutError` otherwise: the pool's count did not follow the calls).
    """
    policy = client.policy

    def step():
        pool = cce.get_nodepool(client, cluster_id, pool_id)
        if pool is None:
            raise ApiError("Node pool %s (%s) does not exist any more" % (name, pool_id), code="NodePoolGone")
        have = int(pool.get("nodeTotalNum") or 0)
        names = [n.get("nodeName") for n in pool.get("nodes") or [] if n.get("nodeName")]
        kind, arg = cce_plan.scale_step(have, wanted, names)
        if kind == "up":
            cce.scale_up(client, cluster_id, pool_id, arg)
        elif kind == "down":
            cce.scale_down(client, cluster_id, pool_id, arg)
        return kind, have

    def check():
        kind, have = policy.run(step, method="PUT", idempotent=True, sleeper=client._sleep, log=client._log,
                                what="scale node pool %s" % name)
        if kind == "none":
            return True, "%d nodes" % have
        result["actions"].append("scale node pool %s from %d to %d" % (name, have, wanted))
        return False, "nodeTotalNum %d before a scale %s" % (have, kind)

    wait_until(check, policy.max_total, "node pool %s to count %d nodes (nodeTotalNum)" % (name, wanted),
               sleep=policy.backoff_max, sleeper=client._sleep, polls=policy.attempts)
    if params.get("wait"):
        waiters.wait_pool(client, cluster_id, pool_id, wanted, *_wait_params(params))


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
        content = kubeconfig_from_api(cce.get_kubeconfig(client, cluster["id"],
                                                         public=params.get("kubeconfig_type") == "external"))
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
        mod.add_diff(cce_plan.diff_view(current), {}, header=name)
        result["actions"].append("order deletion of cluster %s (%s)" % (name, current["id"]))
        if mod.check_mode:
            mod.changed()
            return result
        order, recovered = cce.delete_cluster(client, current["id"], name)
        result["recovered_lost_response"] = recovered
        result["order"] = dict(order_id=(order or {}).get("orderId"), order_no=(order or {}).get("orderNo"))
        mod.done(order=result["order"], recovered_lost_response=recovered)
    if params.get("wait"):
        try:
            waiters.wait_gone(client, name, *_wait_params(params))
        except CceMigrationError as exc:
            exc.partial_result = result
            raise
        result["cluster"] = None
    return result
