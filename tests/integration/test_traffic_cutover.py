"""The cutover with users' traffic, judged by what users notice, on each backend of LAB_BACKENDS:
a client sends 60 requests/s for one seeded Service through the lab's public entry (a real HAProxy
programmed by the CTyun ELB simulation) for the whole run, and counts failed requests and the share
CTyun's entry served.

1. migrate.yml with ``cutover_traffic`` (ELB), steps [0, 25, 50]: no failed request, and at every
   settled step (the pause after it, bounded by markers the traffic hook writes) at least 500
   requests, CTyun's share within 3 points of the step.
2. rollback.yml from 50 %: no failed request (CTyun losing replicas while still sent requests would
   answer 503), every request on the source afterwards.
3. cutover.yml [0, 25, 50, 100] with CTyun's entry failing the host from 25 % on (a lab fault set by
   the hook): the 5xx gate fails at 50 % within its window, traffic and replicas go back to 25 %, the
   play fails and the record names the gate.
4. The fault cleared, cutover.yml again: 50 % and 100 % with no failed request; a re-run writes
   nothing to the ELB.
5. Back to 0 %, then the same through the source's HTTPRoute (``backend: gateway_api``), the client
   on the source's entry: cutover.yml [0, 50, 100] and rollback.yml with no failed request.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.lab.fixtures import start_lab
from tests.lab.pytest_lab import backends
from tests.utils.migrate_run import run_playbook
from tests.utils.traffic_client import TrafficClient
from tests.utils.traffic_steps import hook, pick_host, traffic_vars, windows

RATE = 60

@pytest.fixture(scope="module", params=backends())
def cutover(request, tmp_path_factory):
    work = tmp_path_factory.mktemp("traffic-%s" % request.param)
    with start_lab(work / "lab", LAB_KUBE=request.param, LAB_WORKLOADS="12", LAB_READY_S="0.3",
                   LAB_CLUSTER_READY_S="1") as lab:
        markers = hook(work, lab.traffic)
        settings = traffic_vars(lab.traffic, markers["hook"])
        full = dict(settings, cutover_steps=[0, 25, 50, 100])
        host = pick_host(lab.api_client("source"), ["shop", "web"])
        runs = {}
        with TrafficClient(lab.traffic["public_url"], host, rate=RATE, max_seconds=1800) as users:
            users.wait_for(50)
            start = time.time()
            runs["migrate"] = run_playbook(lab, work / "m", extra=dict(settings,
                                                                        cutover_steps=[0, 25, 50]), timeout=1200)
            users.wait_for(550)      # the last step stands until the next run: count 500 answers there too
            runs["migrate_windows"] = windows(markers, users.records, start, time.time())
            runs["migrate_answers"] = users.summary(0)
            runs["migrate_record"] = json.loads((work / "m" / "cutover.json").read_text())
            mark = users.mark()
            runs["rollback"] = run_playbook(lab, work / "m", playbook="rollback.yml",
                                            extra=settings, timeout=900)
            runs["rollback_answers"] = users.summary(mark)
            users.wait_for(100)
            runs["after_rollback"] = users.summary(users.mark() - 100)
            # a fault on CTyun's entry for the host from the step of 25 % on
            markers["fault"].write_text(json.dumps({"from_percent": 25, "hosts": {host: 500}}))
            runs["faulty"] = run_playbook(lab, work / "m", playbook="cutover.yml",
                                          extra=full)
            runs["faulty_record"] = json.loads((work / "m" / "cutover.json").read_text())
            markers["fault"].write_text(json.dumps({"from_percent": 25, "hosts": {}}))
            lab_clear_fault(lab)
            mark = users.mark()
            start = time.time()
            runs["final"] = run_playbook(lab, work / "m", playbook="cutover.yml",
                                         extra=full)
            users.wait_for(550)
            runs["final_windows"] = windows(markers, users.records, start, time.time())
            runs["final_answers"] = users.summary(mark)
            elb_mark = lab.mark()
            runs["again"] = run_playbook(lab, work / "m", playbook="cutover.yml",
                                         extra=full)
            runs["again_elb_writes"] = lab.writes(elb_mark, server="ctyun")
            # back to 0 through the ELB, before the same cutover through the source's HTTPRoute
            runs["elb_back"] = run_playbook(lab, work / "m", playbook="rollback.yml", extra=settings, timeout=900)
        route = dict(settings, cutover_steps=[0, 50, 100], cutover_traffic=http_route(lab, host))
        entry = lab.traffic["source_entry"]
        with TrafficClient("http://%s:%d" % (entry["host"], entry["port"]), host, rate=RATE,
                           max_seconds=1200) as users:
            users.wait_for(50)
            start = time.time()
            runs["route"] = run_playbook(lab, work / "m", playbook="cutover.yml", extra=route)
            users.wait_for(550)
            runs["route_windows"] = windows(markers, users.records, start, time.time())
            runs["route_back"] = run_playbook(lab, work / "m", playbook="rollback.yml", extra=route, timeout=900)
            runs["route_answers"] = users.summary(0)
            users.wait_for(100)
            runs["route_after"] = users.summary(users.mark() - 100)
        yield dict(lab=lab, work=work / "m", runs=runs, host=host)


def http_route(lab, host):
    """An HTTPRoute on the source for ``host`` to its Service, and an ExternalName Service that
    reaches CCE's entry; returns the cutover_traffic settings that move it."""
    from kubernetes import client

    from tests.utils.polling import create_tolerant

    name, ns = host.split(".")[:2]
    api = lab.api_client("source")
    create_tolerant(client.CoreV1Api(api).create_namespaced_service, ns, {
        "metadata": {"name": "%s-cce" % name},
        "spec": {"type": "ExternalName", "externalName": lab.traffic["cce_entry_name"], "ports": [{"port": 80}]}})
    create_tolerant(client.CustomObjectsApi(api).create_namespaced_custom_object,
                    "gateway.networking.k8s.io", "v1", ns, "httproutes", {
                        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                        "metadata": {"name": "users"},
                        "spec": {"hostnames": [host], "rules": [{"backendRefs": [{"name": name, "port": 80}]}]}})
    return {"backend": "gateway_api",
            "route": {"name": "users", "namespace": ns, "source_service": name, "target_service": "%s-cce" % name}}


def lab_clear_fault(lab):
    import urllib.request
    target = lab.traffic["target_entry"]
    req = urllib.request.Request("http://%s:%d/_lab/faults" % (target["host"], target["port"]),
                                 data=json.dumps({"hosts": {}}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def _ok(run):
    proc, _recap = run
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_migrate_moves_traffic_with_the_replicas_without_a_failed_request(cutover):
    runs = cutover["runs"]
    _ok(runs["migrate"])
    assert runs["migrate_answers"]["failed"] == 0, runs["migrate_answers"]["failures"]
    seen = runs["migrate_windows"]
    assert sorted(seen) == [0, 25, 50], seen
    for percent, window in seen.items():
        assert window["total"] >= 500 and window["failed"] == 0, (percent, window)
        assert abs(window["share"] - percent) <= 3, (percent, window)
    record = runs["migrate_record"]
    traffic = [s["traffic"]["percent"] for s in record["steps"] if s.get("traffic")]
    assert traffic[-3:] == [0.0, 25.0, 50.0], record["steps"]


def test_rollback_from_50_fails_no_request(cutover):
    runs = cutover["runs"]
    _ok(runs["rollback"])
    assert runs["rollback_answers"]["failed"] == 0, runs["rollback_answers"]["failures"]
    assert runs["rollback_answers"]["total"] >= 100
    assert runs["after_rollback"]["served"] == {"source": 100}, runs["after_rollback"]


def test_a_failing_traffic_gate_returns_traffic_and_replicas_to_the_last_step(cutover):
    proc, recap = cutover["runs"]["faulty"]
    assert proc.returncode != 0, proc.stdout[-4000:]
    assert "Traffic gate max_5xx_percent failed at 50" in proc.stdout, proc.stdout[-4000:]
    record = cutover["runs"]["faulty_record"]
    assert record["status"] == "failed" and record["failure"]["gate"] == "max_5xx_percent"
    assert record["failure"]["rolled_back_to"] == 25
    assert set(record["current_step"].values()) == {25}, json.dumps(record, indent=1)[-3000:]


def test_then_every_step_to_100_fails_no_request_and_a_rerun_writes_nothing(cutover):
    runs = cutover["runs"]
    _ok(runs["final"])
    assert runs["final_answers"]["failed"] == 0, runs["final_answers"]["failures"]
    for percent in (50, 100):
        window = runs["final_windows"][percent]
        assert window["total"] >= 500 and window["failed"] == 0 and abs(window["share"] - percent) <= 3, window
    _ok(runs["again"])
    assert runs["again_elb_writes"] == []
    assert "changed=0" in runs["again"][0].stdout.split("PLAY RECAP")[-1], runs["again"][0].stdout[-3000:]


def test_the_same_cutover_through_an_httproute_fails_no_request(cutover):
    """gateway_api: the source's entry splits the host between its Service and CCE's entry by the
    HTTPRoute's weights; cutover.yml through [0, 50, 100] then rollback.yml, no failed request."""
    runs = cutover["runs"]
    _ok(runs["elb_back"])
    _ok(runs["route"])
    _ok(runs["route_back"])
    assert runs["route_answers"]["failed"] == 0, runs["route_answers"]["failures"]
    for percent in (50, 100):
        window = runs["route_windows"][percent]
        assert window["total"] >= 500 and abs(window["share"] - percent) <= 3, (percent, window)
    assert runs["route_after"]["served"] == {"source": 100}, runs["route_after"]

