"""A cutover with traffic killed in the middle of a step and resumed by a new job in a fresh
directory, on each backend of LAB_BACKENDS: the new job finds where the replicas and the traffic
stand in the systems themselves (the policies' held step, the ELB's weights), finishes, and users
see no failed request over the whole time."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from kubernetes import client

from tests.lab.fixtures import start_lab
from tests.lab.pytest_lab import backends
from tests.utils.migrate_run import playbook_cmd, playbook_env, run_playbook
from tests.utils.polling import until
from tests.utils.traffic_client import TrafficClient
from tests.utils.traffic_steps import hook, pick_host, settled, traffic_vars

PHASE = "cce-migration.ctyun.cn/shift-phase"


def lab_vars(lab):
    return {"karmada_kubeconfig": lab.kubeconfig, "karmada_context": "karmada", "target_kubeconfig": lab.kubeconfig,
            "target_context": "target", "source_member_name": "source", "target_member_name": "target",
            "migrate_namespaces": ["shop"]}


def held(lab, percent):
    custom = client.CustomObjectsApi(lab.api_client("karmada"))
    items = custom.list_namespaced_custom_object("policy.karmada.io", "v1alpha1", "shop",
                                                 "propagationpolicies")["items"]
    return items and all((p["metadata"].get("annotations") or {}).get(PHASE) == "held:%d" % percent for p in items)


@pytest.fixture(scope="module", params=backends())
def resumed(request, tmp_path_factory):
    work = tmp_path_factory.mktemp("resume-%s" % request.param)
    with start_lab(work / "lab", LAB_KUBE=request.param, LAB_WORKLOADS="8", LAB_READY_S="0.3",
                   LAB_KARMADA_MEMBERS="source,target") as lab:
        markers = hook(work, lab.traffic)
        extra = dict(lab_vars(lab), **traffic_vars(lab.traffic, markers["hook"], pause=2))
        extra["cutover_steps"] = [0, 50, 100]
        (work / "first").mkdir()
        promoted, _ = run_playbook(lab, work / "first", playbook="promote.yml", extra=extra)
        assert promoted.returncode == 0, promoted.stdout[-4000:]
        host = pick_host(lab.api_client("source"), ["shop"])
        out = {}
        with TrafficClient(lab.traffic["public_url"], host, rate=60) as users:
            users.wait_for(50)
            job = subprocess.Popen(playbook_cmd(lab, work / "first", "cutover.yml", extra), env=playbook_env(lab),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                # step 50 settled, the traffic at 50 %; then the step of 100 grown and held: kill the job there
                until(lambda: any(m["percent"] == 50 for m in settled(markers)), 600, "step 50 to settle")
                until(lambda: held(lab, 100) or job.poll() is not None, 600, "step 100 to be held")
                out["alive_when_killed"] = job.poll() is None
                if out["alive_when_killed"]:
                    os.killpg(job.pid, signal.SIGKILL)
            finally:
                out["returncode"] = job.wait(timeout=60)
            out["killed_mark"] = users.mark()
            # a new job, in a directory of its own: nothing on disk from the first
            out["resume"] = run_playbook(lab, work / "second", playbook="cutover.yml", extra=extra)
            users.wait_for(300)
            out["answers"] = users.summary(0)
            out["last"] = users.summary(users.mark() - 200)
        yield out


def test_a_killed_cutover_resumes_from_the_systems_without_a_failed_request(resumed):
    assert resumed["alive_when_killed"], "the first job ended before the step of 100 was held"
    assert resumed["returncode"] == -signal.SIGKILL, resumed["returncode"]
    proc, _recap = resumed["resume"]
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert "Cutover done: 100 % on CTyun" in proc.stdout
    assert resumed["answers"]["failed"] == 0, resumed["answers"]["failures"]
    assert resumed["last"]["served"] == {"target": 200}, resumed["last"]
