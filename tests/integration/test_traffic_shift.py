"""traffic_shift through its real entry point against the lab, on each backend of LAB_BACKENDS: the
CTyun ELB simulation programs a real HAProxy whose public entry splits real requests between the
source's and CCE's entries (each answers for a host only while its cluster has ready endpoints),
and the source's entry honours HTTPRoute weights. A client streams requests for the whole test and
counts failures and who served them."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.lab.ctyunsim.table import ELB_SEED
from tests.utils.modrun import run_module
from tests.utils.polling import create_tolerant, until
from tests.utils.traffic_client import TrafficClient

NS = "shift-traffic"
HOST = "web.%s.lab" % NS
GATEWAY = ("gateway.networking.k8s.io", "v1")
pytest_plugins = ["tests.lab.pytest_lab"]


def _web(lab, context, replicas=2):
    api = lab.api_client(context)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    create_tolerant(core.create_namespace, {"metadata": {"name": NS}})
    labels = {"app": "web"}
    create_tolerant(apps.create_namespaced_deployment, NS, {
        "metadata": {"name": "web", "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    create_tolerant(core.create_namespaced_service, NS, {
        "metadata": {"name": "web"},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}})
    return apps


def _scale(apps, replicas):
    apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": replicas}})


def _serving(lab, cluster):
    """Requests for HOST sent to one cluster's entry directly: the answers while its pods start."""
    entry = lab.traffic["%s_entry" % cluster]
    probe = TrafficClient("http://%s:%d" % (entry["host"], entry["port"]), HOST, rate=20, workers=1, max_seconds=90)
    with probe:
        until(lambda: probe.summary(max(0, probe.mark() - 3))["served"].get(cluster, 0) == 3,
               what="%s's entry serving %s" % (cluster, HOST))


def elb_args(lab, percent, **extra):
    entries = lab.traffic
    args = dict(access_key=lab.env["CTYUN_ACCESS_KEY"], secret_key=lab.env["CTYUN_SECRET_KEY"],
                region_id=lab.env["CTYUN_REGION_ID"], endpoint=lab.env["CTYUN_ENDPOINT"],
                ca_path=lab.env["CTYUN_CA_BUNDLE"], backend="ctyun_elb", percent=percent,
                target_group_id=ELB_SEED["target_group"], load_balancer_id=ELB_SEED["load_balancer"],
                source_entry=dict(ip="127.0.0.1", port=entries["source_entry"]["port"]),
                target_entry=dict(ip="127.0.0.1", port=entries["target_entry"]["port"]),
                wait_timeout=60, wait_sleep=1)
    args.update(extra)
    return args


@pytest.fixture(scope="module")
def web(lab):
    apps = {c: _web(lab, c) for c in ("source", "target")}
    for cluster in ("source", "target"):
        _serving(lab, cluster)
    yield apps
    for api in apps.values():
        _scale(api, 2)


def test_elb_split_moves_real_requests_without_a_failure(lab, web):
    with TrafficClient(lab.traffic["public_url"], HOST, rate=60) as users:
        users.wait_for(30)
        # check mode: the plan, no ELB write
        mark = lab.mark()
        check = run_module("traffic_shift", elb_args(lab, 25), check=True, diff=True)
        assert not check.failed, check.get("msg")
        assert check["changed"] and [w["op"] for w in check["writes"]] == ["create", "update"]
        assert check["diff"]["after"]["weights"] == {"source": 75, "target": 25}
        assert lab.writes(mark, server="ctyun") == []

        shares = {}
        for percent in (25, 50, 100, 50, 0):
            result = run_module("traffic_shift", elb_args(lab, percent), diff=True)
            assert not result.failed, result.get("msg")
            assert result["changed"] and result["achieved_percent"] == percent
            assert all(g["passed"] for g in result["gates"])
            start = users.mark()
            end = users.wait_for(400)
            shares[percent] = users.summary(start, end)
            # converged: no write, changed=false
            mark = lab.mark()
            again = run_module("traffic_shift", elb_args(lab, percent))
            assert not again.failed and again["changed"] is False and again["writes"] == []
            assert lab.writes(mark, server="ctyun") == []
        everything = users.summary()
    assert everything["failed"] == 0, everything["failures"]
    for percent, seen in shares.items():
        assert abs(seen["share"] - percent) <= 5, (percent, seen)
    # at 100 % the source entry left the group; at 0 % CCE's
    assert shares[100]["served"].get("source", 0) == 0 and shares[0]["served"].get("target", 0) == 0


def test_error_rate_gate_sees_cce_failing(lab, web):
    """CCE's entry answers 503 for the host (no ready pod there): at 50 % the realtime monitor counts
    the 5xx and the gate fails the module within its window, naming it; the split stays written."""
    _scale(web["target"], 0)
    try:
        with TrafficClient(lab.traffic["public_url"], HOST, rate=60) as users:
            users.wait_for(20)
            result = run_module("traffic_shift", elb_args(lab, 50, gates=dict(max_5xx_percent=1, window=4)))
        assert result.failed and result["changed"] is True
        assert "max_5xx_percent" in result["msg"] and "5xx" in result["msg"]
        failed = [g for g in result["gates"] if not g["passed"]]
        assert failed and failed[0]["gate"] == "max_5xx_percent"
    finally:
        back = run_module("traffic_shift", elb_args(lab, 0))
        assert not back.failed, back.get("msg")
        _scale(web["target"], 2)
        _serving(lab, "target")


@pytest.mark.parametrize("extra,option", [
    (dict(percent=150), "percent"),
    (dict(target_group_id=ELB_SEED["rr_target_group"]), "target_group_id"),
    (dict(target_group_id=ELB_SEED["unchecked_target_group"]), "target_group_id"),
    (dict(target_group_id="tg-missing000"), "target_group_id"),
    (dict(gates=dict(max_5xx_percent=1), load_balancer_id=None), "load_balancer_id"),
    (dict(source_entry=dict(port=70000, ip="127.0.0.1")), "source_entry.port"),
])
def test_bad_input_fails_before_any_write(lab, extra, option):
    mark = lab.mark()
    args = elb_args(lab, 25)
    args.update(extra)
    result = run_module("traffic_shift", args)
    assert result.failed and result["changed"] is False
    assert result["msg"].startswith(option) or option in result["msg"], result["msg"]
    assert lab.writes(mark, server="ctyun") == []


def _route(lab, weights=None):
    custom = client.CustomObjectsApi(lab.api_client("source"))
    core = client.CoreV1Api(lab.api_client("source"))
    create_tolerant(core.create_namespaced_service, NS, {
        "metadata": {"name": "web-cce"},
        "spec": {"type": "ExternalName", "externalName": lab.traffic["cce_entry_name"],
                 "ports": [{"port": 80}]}})
    create_tolerant(custom.create_namespaced_custom_object, *GATEWAY, NS, "httproutes", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
        "spec": {"hostnames": [HOST], "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})
    return custom


def route_args(lab, percent, **extra):
    args = dict(backend="gateway_api", percent=percent,
                route=dict(name="web", namespace=NS, source_service="web", target_service="web-cce"),
                source=dict(kubeconfig=lab.kubeconfig, context="source"))
    args.update(extra)
    return args


def test_httproute_split_on_the_source_entry(lab, web):
    custom = _route(lab)
    entry = lab.traffic["source_entry"]
    with TrafficClient("http://%s:%d" % (entry["host"], entry["port"]), HOST, rate=60) as users:
        users.wait_for(20)
        mark = lab.mark()
        check = run_module("traffic_shift", route_args(lab, 50), check=True, diff=True)
        assert not check.failed and check["changed"], check.get("msg")
        assert lab.writes(mark, server="source") == [] and lab.dry_runs(mark, server="source")
        shares = {}
        for percent in (50, 100, 0):
            result = run_module("traffic_shift", route_args(lab, percent))
            assert not result.failed and result["changed"], result.get("msg")
            route = custom.get_namespaced_custom_object(*GATEWAY, NS, "httproutes", "web")
            refs = dict((r["name"], r["weight"]) for r in route["spec"]["rules"][0]["backendRefs"])
            assert refs == {"web": 100 - percent, "web-cce": percent}
            start = users.mark()
            shares[percent] = users.summary(start, users.wait_for(300))
            mark = lab.mark()
            again = run_module("traffic_shift", route_args(lab, percent))
            assert not again.failed and again["changed"] is False
            assert lab.writes(mark, server="source") == []
        everything = users.summary()
    assert everything["failed"] == 0, everything["failures"]
    for percent, seen in shares.items():
        assert abs(seen["share"] - percent) <= 5, (percent, seen)


def test_missing_httproute_fails_before_any_write(lab):
    mark = lab.mark()
    result = run_module("traffic_shift", route_args(lab, 50, route=dict(
        name="nope", namespace=NS, source_service="web", target_service="web-cce")))
    assert result.failed and "does not exist" in result["msg"] and result["msg"].startswith("route")
    assert lab.writes(mark) == []


def test_httproute_a_gateway_refuses_fails_the_gate(lab, web):
    """A Gateway reports the CCE backendRef unresolved (an ExternalName it does not support): the split
    is written, the route_accepted gate fails naming what the Gateway said; a route no Gateway reports
    on passes and says so."""
    custom = _route(lab)
    route = custom.get_namespaced_custom_object(*GATEWAY, NS, "httproutes", "web")
    status = {"parents": [{"parentRef": {"name": "public"}, "controllerName": "example.com/gateway",
                           "conditions": [
                               {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
                                "lastTransitionTime": "2026-12-07T00:00:00Z",
                                "observedGeneration": route["metadata"]["generation"] + 1},
                               {"type": "ResolvedRefs", "status": "False", "reason": "InvalidKind",
                                "message": "ExternalName Services are not supported",
                                "lastTransitionTime": "2026-12-07T00:00:00Z",
                                "observedGeneration": route["metadata"]["generation"] + 1}]}]}
    custom.patch_namespaced_custom_object_status(*GATEWAY, NS, "httproutes", "web", {"status": status})
    try:
        result = run_module("traffic_shift", route_args(lab, 25, wait_timeout=3))
        assert result.failed and result["changed"] is True, result.get("msg")
        failed = [g for g in result["gates"] if not g["passed"]]
        assert failed[0]["gate"] == "route_accepted" and "ExternalName Services are not supported" in result["msg"]
    finally:
        custom.patch_namespaced_custom_object_status(*GATEWAY, NS, "httproutes", "web", {"status": {"parents": []}})
        back = run_module("traffic_shift", route_args(lab, 0))
        assert not back.failed, back.get("msg")
        assert back["gates"][0]["gate"] == "route_accepted" and "no Gateway reports" in back["gates"][0]["seen"]
