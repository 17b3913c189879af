"""Promote 1,000 Deployments (with their Services and dependencies) in one karmada_promote task.

Each run gets a fresh lab (LAB_WORKLOADS Deployments, LAB_LATENCY_MS per request, members
pre-joined) and promotes the four seeded namespaces through the module's real entry point,
with wait and the pod-UID check on. Run once with concurrency 16 and once with concurrency 1.
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

from tests.lab.fixtures import start_lab  # noqa: E402
from tests.utils.modrun import run_module  # noqa: E402

NAMESPACES = ["shop", "payments", "web", "data"]


def one_run(concurrency):
    knobs = dict(LAB_WORKLOADS=os.environ.get("LAB_WORKLOADS", "1000"), LAB_KARMADA_MEMBERS="source,target",
                 LAB_READY_S="0.5")
    with tempfile.TemporaryDirectory(prefix="bench-promote-") as tmp:
        with start_lab(tmp, **knobs) as lab:
            lab.set_knobs(latency_ms=os.environ.get("LAB_LATENCY_MS", "20"))
            mark = lab.mark()
            start = time.monotonic()
            result = run_module("karmada_promote", dict(
                kubeconfig=lab.kubeconfig, context="karmada", cluster="source",
                member=dict(kubeconfig=lab.kubeconfig, context="source"), namespaces=NAMESPACES,
                kinds=["Deployment", "Service"], dependencies=True, concurrency=concurrency, wait_timeout=600))
            seconds = time.monotonic() - start
            requests = len(lab.requests(mark))
    if result.failed:
        raise SystemExit("promote failed: %s" % result.get("msg"))
    return dict(seconds=round(seconds, 1), objects=result["counts"]["total"],
                promoted=result["counts"]["promoted"], restarted=len(result.get("restarted") or []),
                requests=requests)


def main():
    fast = one_run(16)
    print("concurrency 16: %(objects)d objects in %(seconds)s s (%(requests)d requests, %(restarted)d restarted)"
          % fast)
    slow = one_run(1)
    print("concurrency 1:  %(objects)d objects in %(seconds)s s (%(requests)d requests)" % slow)
    ratio = round(slow["seconds"] / fast["seconds"], 1) if fast["seconds"] else None
    print("speed-up: %sx" % ratio)
    print("RESULT " + json.dumps({"name": "promote", "deployments": os.environ.get("LAB_WORKLOADS", "1000"),
                                  "objects": fast["objects"], "seconds_c16": fast["seconds"],
                                  "seconds_c1": slow["seconds"], "speedup": ratio,
                                  "restarted": fast["restarted"] + slow["restarted"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
