"""Promote 1,000 Deployments (with their Services and dependencies) in one karmada_promote task.

Each run gets a fresh lab (LAB_WORKLOADS Deployments, LAB_LATENCY_MS per request, members
pre-joined) and promotes the four seeded namespaces through the module's real entry point,
with wait and the pod-UID check on. Run with concurrency 16 (the default), 32 and 1.
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
    """concurrency 16 (the default), 32 and 1; the speed-up of each against 1."""
    runs = dict((c, one_run(c)) for c in (16, 32, 1))
    slow = runs[1]
    for c in (16, 32, 1):
        r = runs[c]
        ratio = round(slow["seconds"] / r["seconds"], 1) if r["seconds"] else None
        print("concurrency %2d: %d objects in %s s (%d requests, %d restarted), %sx faster than concurrency 1"
              % (c, r["objects"], r["seconds"], r["requests"], r["restarted"], ratio))
    print("RESULT " + json.dumps({
        "name": "promote", "deployments": os.environ.get("LAB_WORKLOADS", "1000"), "objects": runs[16]["objects"],
        "requests": runs[16]["requests"], "seconds_c16": runs[16]["seconds"], "seconds_c32": runs[32]["seconds"],
        "seconds_c1": slow["seconds"],
        "speedup_c16": round(slow["seconds"] / runs[16]["seconds"], 1),
        "speedup_c32": round(slow["seconds"] / runs[32]["seconds"], 1),
        "restarted": sum(r["restarted"] for r in runs.values())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
