"""One replica-shift step over 200 workloads, gates off, lab latency 20 ms.

Starts its own lab with both members pre-joined, promotes ``BENCH_WORKLOADS`` (default 200)
Deployments by hand (2 replicas, maxUnavailable 1, so the 0 -> 50 % step is one direct
change: one readiness delay), then times ``replica_shift`` with ``target_percent: 50`` run as
Ansible runs it. Prints the wall time, the time beyond the lab's readiness delay
(``LAB_READY_S``; none on the real backend, ``LAB_KUBE=real``) and one ``RESULT {json}`` line for
``make bench``.
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

from tests.utils import shift_lab  # noqa: E402
from tests.utils.modrun import run_module  # noqa: E402

WORKLOADS = int(os.environ.get("BENCH_WORKLOADS", "200"))


def main():
    work = Path(tempfile.mkdtemp(prefix="bench-shift-"))
    lab_dir = work / "lab"
    env = shift_lab.lab_env({"LAB_LATENCY_MS": os.environ.get("LAB_LATENCY_MS", "20")})
    kube = env.get("LAB_KUBE") or "sim"
    # the simulation makes pods ready LAB_READY_S after they start; the real backend's kwok stages
    # make them ready at once (the controllers' own reaction time counts against the module)
    ready_s = float(env.get("LAB_READY_S", "1")) if kube == "sim" else 0.0
    up = shift_lab.labctl("up", lab_dir, env)
    if up.returncode != 0:
        print(up.stdout + up.stderr)
        return 1
    try:
        cl = shift_lab.clients(lab_dir / "kubeconfig", pool=64)
        specs = [("bench-%03d" % i, 2, 1) for i in range(WORKLOADS)]
        t0 = time.monotonic()
        policies = shift_lab.setup_workloads(cl, "bench-shift", specs, concurrency=32, timeout=600)
        setup_s = time.monotonic() - t0
        params = shift_lab.module_params(lab_dir / "kubeconfig", policies, target_percent=50,
                                         gates={"ready_ratio": 0}, concurrency=32, wait_sleep=1, wait_timeout=600)
        start = time.monotonic()
        result = run_module("replica_shift", params)
        seconds = time.monotonic() - start
        if result.failed:
            print("module failed: %s" % result.get("msg"))
            return 1
        phases = max(len(p["phases"]) for p in result["plan"]) if result["plan"] else 0
        beyond = seconds - ready_s
        figures = dict(name="shift", kube=kube, workloads=WORKLOADS, latency_ms=int(env["LAB_LATENCY_MS"]),
                       ready_delay_s=ready_s, seconds=round(seconds, 2), beyond_ready_s=round(beyond, 2),
                       phases=phases, setup_s=round(setup_s, 1), updated=result["counts"].get("updated"))
        print("one step (0 -> 50 %%) over %d workloads in %.2f s; %.2f s beyond the %.1f s readiness delay "
              "(%d phase(s) per policy); setup %.1f s" % (WORKLOADS, seconds, beyond, ready_s, phases, setup_s))
        print("target: <= 5 s beyond the readiness delay -> %s" % ("met" if beyond <= 5 else "NOT met"))
        print("RESULT " + json.dumps(figures))
        return 0
    finally:
        shift_lab.labctl("down", lab_dir, env)


if __name__ == "__main__":
    sys.exit(main())
