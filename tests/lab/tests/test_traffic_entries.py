"""The lab's traffic entries (tests/lab/traffic) on both backends: an entry answers for a Service only
while its cluster's EndpointSlices hold a ready endpoint for it, the source entry splits a host's
requests by HTTPRoute weights between a local Service and the target entry, and the entries'
own API reads stay out of the request log."""

from __future__ import annotations

import http.client
import json
import time

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.utils.polling import create_tolerant, until

NS = "traffic"
GATEWAY = ("gateway.networking.k8s.io", "v1")


# -- helpers ----------------------------------------------------------------------------------------
def entry(lab, cluster):
    return lab.traffic["%s_entry" % cluster]


class Client:
    """Plain HTTP requests to one entry over a kept-alive connection (reopened after an error)."""

    def __init__(self, lab, cluster):
        self.address = entry(lab, cluster)
        self.conn = None

    def get(self, host, path="/"):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.address["host"], self.address["port"], timeout=10)
            try:
                self.conn.request("GET", path, headers={"Host": host})
                resp = self.conn.getresponse()
                body = resp.read()
                return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), json.loads(body or b"null")
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()


def wait_for(check, timeout=60, what="condition"):
    """Poll ``check`` (every 50 ms, at most ``timeout`` s) until it returns something true."""
    return until(check, timeout, what, sleep=0.05)


def apis(lab, context):
    api = lab.api_client(context)
    return client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api), \
        client.DiscoveryV1Api(api)


create = create_tolerant


def workload(lab, context, name, replicas, finalizers=None):
    """A Deployment and its Service (port 80 to the pods' 8080) in namespace NS of ``context``."""
    core, apps, _, _ = apis(lab, context)
    meta = {"labels": {"app": name}}
    if finalizers:
        meta["finalizers"] = list(finalizers)
    create(apps.create_namespaced_deployment, NS, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": meta, "spec": {
                     "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "app", "image": "nginx:1.25",
                                     "ports": [{"name": "http", "containerPort": 8080}]}]}}}})
    create(core.create_namespaced_service, NS, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})


def scale(lab, context, name, replicas):
    apis(lab, context)[1].patch_namespaced_deployment_scale(name, NS, {"spec": {"replicas": replicas}})


def slices(lab, context, service):
    api = apis(lab, context)[3]
    return api.list_namespaced_endpoint_slice(NS, label_selector="kubernetes.io/service-name=%s" % service).items


def ready_addresses(lab, context, service):
    """Addresses of the Service's ready endpoints, as the API reports them (nil ready is ready)."""
    return sorted(a for s in slices(lab, context, service) for ep in s.endpoints or []
                  if (ep.conditions.ready is not False) for a in ep.addresses)


@pytest.fixture(scope="module")
def ns(lab):
    for context in ("source", "target"):
        create(apis(lab, context)[0].create_namespace, {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": NS}})
    yield NS
    for context in ("source", "target"):
        try:
            apis(lab, context)[0].delete_namespace(NS)
        except ApiException:
            pass


# -- tests ------------------------------------------------------------------------------------------
def test_env_json_names_the_entries(lab):
    traffic = lab.traffic
    assert traffic["cce_entry_name"] == "cce-entry.lab.internal"
    for cluster in ("source", "target"):
        address = traffic["%s_entry" % cluster]
        assert address["host"] == "127.0.0.1" and address["port"] > 0
        conn = http.client.HTTPConnection(address["host"], address["port"], timeout=10)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
    assert "public_url" in traffic


def test_entry_answers_while_a_ready_endpoint_exists(lab, ns):
    """0 -> 2 -> 0 replicas: 503, then 200 from the source with both pods in turn, then 503."""
    workload(lab, "source", "web", 0)
    src, tgt = Client(lab, "source"), Client(lab, "target")
    host = "web.%s.lab.test" % ns
    try:
        # no pod: one placeholder slice, without ports or endpoints
        placeholder = wait_for(lambda: slices(lab, "source", "web"), timeout=30, what="a placeholder slice")
        assert len(placeholder) == 1 and not placeholder[0].endpoints and not placeholder[0].ports
        status, headers, body = src.get(host)
        assert status == 503 and "x-served-by" not in headers, (status, body)
        assert "web" in body["error"] and "source" in body["error"]

        scale(lab, "source", "web", 2)
        addresses = wait_for(lambda: len(ready_addresses(lab, "source", "web")) == 2
                             and ready_addresses(lab, "source", "web"), what="2 ready endpoints in the API")
        # the entry follows the EndpointSlices it watches: well within a second of the API
        started = time.monotonic()
        wait_for(lambda: src.get(host)[0] == 200, timeout=5, what="source entry 200")
        assert time.monotonic() - started < 2.0
        seen = set()
        for _ in range(6):
            status, headers, body = src.get(host)
            assert status == 200 and headers["x-served-by"] == "source", body
            assert body["served_by"] == "source" and body["service"] == "%s/web" % ns
            seen.add(body["endpoint"])
        assert sorted(seen) == addresses
        # the slices as kube-controller-manager's endpointslice controller writes them (the
        # placeholder gone once there are endpoints)
        for one in wait_for(lambda: (lambda found: found if all(x.endpoints for x in found) else None)(
                slices(lab, "source", "web")), timeout=10, what="the placeholder replaced"):
            labels = one.metadata.labels
            assert labels["app"] == "web" and labels["kubernetes.io/service-name"] == "web"
            assert labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
            owner = one.metadata.owner_references[0]
            assert (owner.kind, owner.name, owner.controller) == ("Service", "web", True)
            assert one.address_type == "IPv4" and one.metadata.name.startswith("web-")
            assert [(p.name, p.port, p.protocol) for p in one.ports] == [("http", 8080, "TCP")]  # named targetPort
            for ep in one.endpoints:
                assert ep.target_ref.kind == "Pod" and ep.target_ref.name.startswith("web-")
                assert (ep.conditions.ready, ep.conditions.serving, ep.conditions.terminating) == (True, True, False)
        # the target has no such Service: its entry says so
        status, headers, body = tgt.get(host)
        assert status == 503 and "target" in body["error"]

        scale(lab, "source", "web", 0)
        wait_for(lambda: src.get(host)[0] == 503, timeout=30, what="source entry 503 after scaling to 0")
        wait_for(lambda: not ready_addresses(lab, "source", "web"), timeout=30, what="no ready endpoint")
    finally:
        src.close()
        tgt.close()


def test_a_terminating_pods_endpoint_is_not_ready(lab, ns):
    """A pod held by a finalizer after its Deployment scaled to 0: its endpoint stays, terminating
    and not ready (serving as its Ready condition says), and the entry answers 503."""
    core = apis(lab, "source")[0]
    workload(lab, "source", "hold", 1, finalizers=["lab.test/hold"])
    src = Client(lab, "source")
    host = "hold.%s.lab.test" % ns
    try:
        wait_for(lambda: src.get(host)[0] == 200, what="entry 200 for the held pod")
        pod = core.list_namespaced_pod(ns, label_selector="app=hold").items[0]
        scale(lab, "source", "hold", 0)

        def terminating():
            for s in slices(lab, "source", "hold"):
                for ep in s.endpoints or []:
                    if ep.target_ref and ep.target_ref.name == pod.metadata.name and ep.conditions.terminating:
                        return ep
            return None

        ep = wait_for(terminating, timeout=30, what="the held pod's endpoint terminating")
        assert ep.conditions.ready is False
        current = core.read_namespaced_pod(pod.metadata.name, ns)
        assert current.metadata.deletion_timestamp is not None
        pod_ready = any(c.type == "Ready" and c.status == "True" for c in current.status.conditions or [])
        assert ep.conditions.serving is pod_ready
        status, _, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(src.get(host)), timeout=10,
                                   what="entry 503 for a terminating endpoint")
        assert "none ready" in body["error"], body
    finally:
        src.close()
        for p in core.list_namespaced_pod(ns, label_selector="app=hold").items:
            core.patch_namespaced_pod(p.metadata.name, ns, {"metadata": {"finalizers": None}})


def route(name, host, refs):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"hostnames": [host], "rules": [{"backendRefs": refs}]}}


def test_an_invalid_httproute_is_refused(lab, ns):
    custom = apis(lab, "source")[2]
    bad = route("bad", "bad.%s.lab.test" % ns, [{"name": "shop", "port": 80, "weight": -1}])
    with pytest.raises(ApiException) as info:
        custom.create_namespaced_custom_object(*GATEWAY, ns, "httproutes", bad)
    assert info.value.status == 422 and "weight" in info.value.body
    bad = route("bad", "Not_A_Host", [{"name": "shop", "port": 80}])
    with pytest.raises(ApiException) as info:
        custom.create_namespaced_custom_object(*GATEWAY, ns, "httproutes", bad)
    assert info.value.status == 422 and "hostnames" in info.value.body


def test_httproute_weights_split_between_source_and_target(lab, ns):
    """3:1 between the local Service and an ExternalName Service naming the target entry: 400
    requests, none failed, three quarters served by the source within a few points."""
    cce = lab.traffic["cce_entry_name"]
    workload(lab, "source", "shop", 1)
    workload(lab, "target", "shop", 1)
    create(apis(lab, "source")[0].create_namespaced_service, ns, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop-cce"},
        "spec": {"type": "ExternalName", "externalName": cce}})
    host = "shop.%s.lab.test" % ns
    custom = apis(lab, "source")[2]
    create(custom.create_namespaced_custom_object, *GATEWAY, ns, "httproutes", route("shop", host, [
        {"name": "shop", "port": 80, "weight": 3}, {"name": "shop-cce", "port": 80, "weight": 1}]))
    src, tgt = Client(lab, "source"), Client(lab, "target")
    try:
        wait_for(lambda: tgt.get(host)[0] == 200, what="target entry 200")

        def both_serve():
            served = set()
            for _ in range(8):
                status, headers, _ = src.get(host)
                if status != 200:
                    return None
                served.add(headers["x-served-by"])
            return served == {"source", "target"}

        wait_for(both_serve, what="the route reaching both clusters")
        mark = lab.mark()
        counts, failures = {"source": 0, "target": 0}, []
        for _ in range(400):
            status, headers, body = src.get(host)
            if status != 200:
                failures.append((status, body))
                continue
            counts[headers["x-served-by"]] += 1
            assert headers["x-route"] == "%s/shop" % ns
        assert not failures, failures[:5]
        assert abs(counts["source"] / 400.0 - 0.75) <= 0.05, counts
        # neither the entries nor the route's forwarding read the API through the lab's log
        assert lab.requests(mark) == []

        # weight 0 takes no traffic; every backend at 0 is a 500 (Gateway API: no backend to send to)
        current = custom.get_namespaced_custom_object(*GATEWAY, ns, "httproutes", "shop")
        current["spec"]["rules"][0]["backendRefs"][1]["weight"] = 0
        custom.replace_namespaced_custom_object(*GATEWAY, ns, "httproutes", "shop", current)
        wait_for(lambda: all(src.get(host)[1].get("x-served-by") == "source" for _ in range(8)), timeout=10,
                 what="weight 0 leaving the target out")
        current = custom.get_namespaced_custom_object(*GATEWAY, ns, "httproutes", "shop")
        for ref in current["spec"]["rules"][0]["backendRefs"]:
            ref["weight"] = 0
        custom.replace_namespaced_custom_object(*GATEWAY, ns, "httproutes", "shop", current)
        status, _, body = wait_for(lambda: (lambda r: r if r[0] == 500 else None)(src.get(host)), timeout=10,
                                   what="500 with every weight 0")
        assert "weight" in body["error"]
    finally:
        src.close()
        tgt.close()


# -- without a lab: the entry's routing rules and the simulation's EndpointSlice controller ------------
def test_weighted_pick_and_route_precedence():
    from tests.lab.traffic.entry import SmoothWeighted, endpoint_ready, host_matches, route_rank

    picker = SmoothWeighted([3, 1, 0])
    picks = [picker.pick() for _ in range(400)]
    assert (picks.count(0), picks.count(1), picks.count(2)) == (300, 100, 0)
    assert picks[:4].count(1) == 1          # spread, not 300 then 100
    assert host_matches("*.example.com", "a.b.example.com") and not host_matches("*.example.com", "example.com")
    exact = {"spec": {"hostnames": ["web.shop.example.com"]}}
    wildcard = {"spec": {"hostnames": ["*.shop.example.com"]}}
    assert route_rank(exact, "web.shop.example.com") > route_rank(wildcard, "web.shop.example.com") > (0, 0)
    assert route_rank(exact, "api.shop.example.com") is None
    assert route_rank({"spec": {}}, "anything.example.com") == (0, 0)
    assert endpoint_ready({"conditions": {}}) and endpoint_ready({}) and not endpoint_ready(
        {"conditions": {"ready": False}})


def test_simulated_slices_hold_at_most_100_endpoints_and_follow_labels():
    from tests.lab.kubesim.controllers import Controllers
    from tests.lab.kubesim.endpointslices import SLICE
    from tests.lab.kubesim.resources import Registry
    from tests.lab.kubesim.store import Store, clone

    store = Store("t", Registry(29))
    store.ensure_namespace("ns")
    ctl = Controllers(store)

    def drain():
        for _ in range(50):
            if not ctl.dirty:
                return
            batch = list(ctl.dirty)
            ctl.dirty.clear()
            for gk, ns, name in batch:
                obj = store.raw(gk, ns, name)
                if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                    ctl.handlers[gk](clone(obj))
        raise AssertionError("the controllers did not settle")

    def pod(i, app="big"):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%03d" % i, "namespace": "ns",
                                                                 "labels": {"app": app}},
                "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
                "status": {"phase": "Running", "podIP": "10.0.%d.%d" % (i // 200, i % 200 + 1),
                           "conditions": [{"type": "Ready", "status": "True"}]}}

    store.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "big", "namespace": "ns"},
                  "spec": {"selector": {"app": "big"}, "ports": [{"port": 80, "targetPort": "http"}]}})
    for i in range(150):
        store.create(pod(i))
    drain()
    sizes = sorted(len(s["endpoints"]) for s in store.iter_raw(SLICE, "ns"))
    assert sizes == [50, 100]
    # a pod relabelled out of the selector leaves, one deleted leaves, and a new one goes to the slice
    # being updated anyway (reconcileByPortMapping fills the slices marked for update first)
    moved = clone(store.raw(("", "Pod"), "ns", "p000"))
    moved["metadata"]["labels"] = {"app": "other"}
    store.update(moved)
    store.delete("v1", "Pod", "ns", "p001")
    store.create(pod(150))
    drain()
    names = sorted(ep["targetRef"]["name"] for s in store.iter_raw(SLICE, "ns") for ep in s["endpoints"])
    assert len(names) == 149 and "p000" not in names and "p001" not in names and "p150" in names
    assert sorted(len(s["endpoints"]) for s in store.iter_raw(SLICE, "ns")) == [50, 99]
    assert all(s["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}] for s in store.iter_raw(SLICE, "ns"))
