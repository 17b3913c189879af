"""Promote 1,000 Deployments with their dependencies in one karmada_promote task, as roles/promote runs it.

Each run gets a fresh lab (LAB_WORKLOADS Deployments, LAB_LATENCY_MS per request, members
pre-joined) and promotes the four seeded namespaces through the module's real entry point,
with wait and the pod-UID check on. Run with concurrency 16 (the default) and 1; BENCH_PROMOTE_C32=1
adds concurrency 32.

With LAB_KUBE=real (the real upstream control planes) and ``karmadactl`` (KARMADACTL, else on PATH,
else the one ``make real-build`` built), the same objects are also promoted the way the guide does
it, one ``karmadactl promote`` per object, on a fresh lab; the figures gain
``seconds_karmadactl_calls``, ``seconds_karmadactl`` (until every binding is applied) and
``ratio_karmadactl``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.lab.fixtures import start_lab  # noqa: E402
from tests.utils.modrun import run_module  # noqa: E402
from tests.utils.shift_lab import clients, ensure_namespace  # noqa: E402

NAMESPACES = ["shop", "payments", "web", "data"]


def lab_knobs():
    knobs = dict(LAB_WORKLOADS=os.environ.get("LAB_WORKLOADS", "1000"), LAB_KARMADA_MEMBERS="source,target",
                 LAB_READY_S="0.5")
    if os.environ.get("LAB_KUBE"):
        knobs["LAB_KUBE"] = os.environ["LAB_KUBE"]
    return knobs


def promote_params(lab, concurrency):
    """karmada_promote as roles/promote runs it: policy mode, the default kinds, dependencies and the
    pod-UID check on, the four seeded namespaces in one task."""
    return dict(kubeconfig=lab.kubeconfig, context="karmada", cluster="source",
                member=dict(kubeconfig=lab.kubeconfig, context="source"), namespaces=NAMESPACES,
                mode="policy", policy_name="migration-pp", dependencies=True, verify_no_restart=True,
                concurrency=concurrency, wait_timeout=600)


def one_run(concurrency):
    with tempfile.TemporaryDirectory(prefix="bench-promote-") as tmp:
        with start_lab(tmp, **lab_knobs()) as lab:
            lab.set_knobs(latency_ms=os.environ.get("LAB_LATENCY_MS", "20"))
            mark = lab.mark()
            start = time.monotonic()
            # the module's own wait_timeout (600 s) ends first and says what it saw
            result = run_module("karmada_promote", promote_params(lab, concurrency), timeout=900)
            seconds = time.monotonic() - start
            requests = len(lab.requests(mark))
    if result.failed:
        raise SystemExit("promote failed: %s" % result.get("msg"))
    return dict(seconds=round(seconds, 1), objects=result["counts"]["total"],
                promoted=result["counts"]["promoted"], restarted=len(result.get("restarted") or []),
                requests=requests, promoted_objects=[(r["kind"], r.get("namespace"), r["name"])
                                                     for r in result["results"]])


def karmadactl_run(objects):
    """(seconds of the calls, seconds until Karmada applied every binding) for one ``karmadactl
    promote`` per object (the guide's way), on a fresh lab with the same latency; None when
    karmadactl is not available or the lab is not the real one. The module's figure includes its
    wait for adoption, so the second figure is the one to compare with it."""
    if os.environ.get("LAB_KUBE") != "real":
        return None
    binary = os.environ.get("KARMADACTL") or shutil.which("karmadactl")
    if not binary:
        # the karmadactl that make real-build built from the same Karmada module as the lab's Karmada
        from tests.lab.real.controlplane import built
        cache = built()
        if cache is not None and (cache / "bin" / "karmadactl").exists():
            binary = str(cache / "bin" / "karmadactl")
    if not binary:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-karmadactl-") as tmp:
        with start_lab(tmp, **lab_knobs()) as lab:
            lab.set_knobs(latency_ms=os.environ.get("LAB_LATENCY_MS", "20"))
            # karmadactl keeps its discovery cache under $HOME/.kube: inside the run's directory
            env = dict(os.environ, HOME=tmp)
            start = time.monotonic()
            # karmadactl promote needs the namespace in Karmada ("namespaces ... not found"): the
            # guide creates it first, one call per namespace
            karmada = clients(lab.kubeconfig)["karmada"]
            for ns in sorted(set(ns for dummy, ns, dummy2 in objects if ns)):
                ensure_namespace(karmada, ns)
            for count, (kind, namespace, name) in enumerate(objects, 1):
                cmd = [binary, "promote", kind.lower(), name, "-C", "source", "--kubeconfig", lab.kubeconfig,
                       "--karmada-context", "karmada", "--cluster-kubeconfig", lab.kubeconfig,
                       "--cluster-context", "source"] + (["-n", namespace] if namespace else [])
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
                if proc.returncode != 0 and "already" not in proc.stderr:
                    raise SystemExit("karmadactl promote %s %s/%s failed: %s" % (kind, namespace, name,
                                                                                proc.stderr.strip()))
                if count % 500 == 0:
                    print("karmadactl: %d of %d objects in %.0f s" % (count, len(objects), time.monotonic() - start),
                          file=sys.stderr, flush=True)
            calls = time.monotonic() - start
            wait_applied(lab, objects)
            return round(calls, 1), round(time.monotonic() - start, 1)


def wait_applied(lab, objects, timeout=3600):
    """Until every object's ResourceBinding is FullyApplied (one binding list per namespace and poll)."""
    karmada = clients(lab.kubeconfig)["karmada"]
    pending = set((ns, (name + "-" + kind).lower()) for kind, ns, name in objects if ns)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for ns in sorted(set(ns for ns, dummy in pending)):
            for b in karmada.iter_list("/apis/work.karmada.io/v1alpha2/namespaces/%s/resourcebindings" % ns):
                conds = dict((c["type"], c["status"]) for c in (b.get("status") or {}).get("conditions") or [])
                # a workload of 0 replicas is scheduled to no cluster and never FullyApplied
                # (removeZeroReplicasCluster, pkg/scheduler/core/util.go)
                if conds.get("FullyApplied") == "True" or (conds.get("Scheduled") == "True"
                                                           and not (b.get("spec") or {}).get("clusters")):
                    pending.discard((ns, b["metadata"]["name"]))
        if pending:
            time.sleep(1)
    if pending:
        raise SystemExit("karmadactl: %d binding(s) not applied after %d s" % (len(pending), timeout))


def main():
    """concurrency 16 (the default) and 1 (and 32 on demand); the speed-up of each against 1."""
    order = [16] + ([32] if os.environ.get("BENCH_PROMOTE_C32") else []) + [1]
    runs = dict((c, one_run(c)) for c in order)
    slow = runs[1]
    for c in order:
        r = runs[c]
        ratio = round(slow["seconds"] / r["seconds"], 1) if r["seconds"] else None
        print("concurrency %2d: %d objects in %s s (%d requests, %d restarted), %sx faster than concurrency 1"
              % (c, r["objects"], r["seconds"], r["requests"], r["restarted"], ratio))
    latency_s = float(os.environ.get("LAB_LATENCY_MS", "20")) / 1000.0
    floor = runs[16]["requests"] * latency_s / 16
    print("floor at concurrency 16 (requests x latency / concurrency): %.1f s; measured %.1fx the floor"
          % (floor, runs[16]["seconds"] / floor if floor else 0))
    figures = {
        "name": "promote", "kube": os.environ.get("LAB_KUBE", "sim"),
        "deployments": int(os.environ.get("LAB_WORKLOADS", "1000")), "objects": runs[16]["objects"],
        "requests": runs[16]["requests"], "seconds_c16": runs[16]["seconds"], "seconds_c1": slow["seconds"],
        "speedup_c16": round(slow["seconds"] / runs[16]["seconds"], 1), "floor_c16": round(floor, 1),
        "restarted": sum(r["restarted"] for r in runs.values())}
    if 32 in runs:
        figures.update(seconds_c32=runs[32]["seconds"], speedup_c32=round(slow["seconds"] / runs[32]["seconds"], 1))
    guide = karmadactl_run(runs[16]["promoted_objects"])
    if guide is not None:
        figures.update(seconds_karmadactl_calls=guide[0], seconds_karmadactl=guide[1],
                       ratio_karmadactl=round(guide[1] / runs[16]["seconds"], 1))
        print("karmadactl promote, one call per object: %s s of calls, %s s until Karmada applied every "
              "binding; %sx the module at concurrency 16" % (guide[0], guide[1], figures["ratio_karmadactl"]))
    print("RESULT " + json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
