"""Traffic with the replicas: one traffic step, and a whole cutover with traffic over 200 workloads.

Starts its own lab (both members pre-joined, lab latency 20 ms), promotes ``BENCH_WORKLOADS``
(default 200) Deployments by hand (2 replicas, maxUnavailable 1) and gives the first one a Service
on both clusters, so the lab's entries answer for its host. A client sends 60 requests/s for that
host through the lab's public entry (the real HAProxy the ELB simulation programs) for the whole run.

1. One traffic step: ``traffic_shift`` to 25 % through the ELB simulation (read, add CCE's entry,
   change the source's weight, read back, wait until the new target is online in the health check).
2. A whole cutover, [0, 50, 100], as the cutover role runs it with ``cutover_traffic``: per step
   ``replica_shift phase=grow``, ``traffic_shift``, ``replica_shift phase=settle``.

Prints one ``RESULT {json}`` line for ``make bench``: the step's seconds, the cutover's seconds and
the requests that failed during it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.lab.ctyunsim.table import ELB_SEED  # noqa: E402
from tests.utils import shift_lab  # noqa: E402
from tests.utils.modrun import run_module  # noqa: E402
from tests.utils.traffic_client import TrafficClient  # noqa: E402


WORKLOADS = int(os.environ.get("BENCH_WORKLOADS", "200"))
NS = "bench-traffic"


def elb_params(env, traffic, percent):
    return dict(access_key=env["CTYUN_ACCESS_KEY"], secret_key=env["CTYUN_SECRET_KEY"],
                region_id=env["CTYUN_REGION_ID"], endpoint=env["CTYUN_ENDPOINT"], ca_path=env["CTYUN_CA_BUNDLE"],
                backend="ctyun_elb", percent=percent, target_group_id=ELB_SEED["target_group"],
                load_balancer_id=ELB_SEED["load_balancer"],
                source_entry=dict(ip="127.0.0.1", port=traffic["source_entry"]["port"]),
                target_entry=dict(ip="127.0.0.1", port=traffic["target_entry"]["port"]),
                wait_timeout=120, wait_sleep=1)


def timed(name, params):
    start = time.monotonic()
    result = run_module(name, params)
    if result.failed:
        raise SystemExit("%s failed: %s" % (name, result.get("msg")))
    return time.monotonic() - start


def main():
    work = Path(tempfile.mkdtemp(prefix="bench-traffic-"))
    lab_dir = work / "lab"
    env = shift_lab.lab_env({"LAB_LATENCY_MS": os.environ.get("LAB_LATENCY_MS", "20")})
    up = shift_lab.labctl("up", lab_dir, env)
    if up.returncode != 0:
        print(up.stdout + up.stderr)
        return 1
    try:
        lab_env = json.loads((lab_dir / "env.json").read_text())
        traffic = lab_env["traffic"]
        cl = shift_lab.clients(lab_dir / "kubeconfig", pool=64)
        specs = [("web-%03d" % i, 2, 1) for i in range(WORKLOADS)]
        policies = shift_lab.setup_workloads(cl, NS, specs, concurrency=32, timeout=600)
        for ctx in ("source", "target"):
            shift_lab.create(cl[ctx], shift_lab.object_path("Service", NS), {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-000", "namespace": NS},
                "spec": {"selector": {"app": "web-000"}, "ports": [{"port": 80, "targetPort": 8080}]}})
        host = "web-000.%s.lab" % NS
        with TrafficClient(traffic["public_url"], host, rate=60) as users:
            users.wait_for(30)
            step_s = timed("traffic_shift", elb_params(lab_env, traffic, 25))
            timed("traffic_shift", elb_params(lab_env, traffic, 0))
            users.wait_for(30)
            mark = users.mark()
            start = time.monotonic()
            steps = [0, 50, 100]
            for step in steps:
                base = shift_lab.module_params(lab_dir / "kubeconfig", policies, steps=steps, stop_after=step,
                                               gates={"ready_ratio": 1.0}, concurrency=32, wait_sleep=1,
                                               wait_timeout=600)
                timed("replica_shift", dict(base, phase="grow"))
                timed("traffic_shift", elb_params(lab_env, traffic, step))
                timed("replica_shift", dict(base, phase="settle"))
            cutover_s = time.monotonic() - start
            seen = users.summary(mark)
        figures = dict(name="traffic", workloads=WORKLOADS, latency_ms=int(env["LAB_LATENCY_MS"]),
                       traffic_step_s=round(step_s, 2), cutover_s=round(cutover_s, 1),
                       requests=seen["total"], failed_requests=seen["failed"],
                       served_by_cce_at_end=seen["served"].get("target", 0))
        print("one traffic step (25 %%, write, verify, health) %.2f s; cutover [0, 50, 100] with traffic over %d "
              "workloads %.1f s; %d requests, %d failed" % (step_s, WORKLOADS, cutover_s, seen["total"],
                                                             seen["failed"]))
        print("RESULT " + json.dumps(figures))
        return 0
    finally:
        shift_lab.labctl("down", lab_dir, env)


if __name__ == "__main__":
    sys.exit(main())
