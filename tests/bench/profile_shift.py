"""Where the time of a shift step goes: the bench's step (0 -> 50 % over ``BENCH_WORKLOADS``
workloads, gates off) with the module under cProfile (standard library), plus the lab's view
(requests by server, method and path, and the time the lab spent serving them).

    LAB_LATENCY_MS=20 .venv/bin/python tests/bench/profile_shift.py

Prints the requests, the functions with the most cumulative time in the module process, and
writes the raw profile to .build/profile-shift.prof (read it with ``python -m pstats``).
"""

from __future__ import annotations

import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.lab.fixtures import LabHandle  # noqa: E402
from tests.utils import shift_lab  # noqa: E402
from tests.utils.devpath import DEV_ROOT, ensure_dev_path  # noqa: E402

WORKLOADS = int(os.environ.get("BENCH_WORKLOADS", "200"))


def route(r):
    path = re.sub(r"/namespaces/[^/]+/", "/namespaces/*/", r["path"])
    parts = path.split("/")
    base = 4 if parts[1] == "api" else 5
    if "/namespaces/*/" in path:
        base += 2
    return "%s %s %s%s" % (r["server"], r["method"], "/".join(parts[:base]), "/{name}" if len(parts) > base else "")


def main():
    out = REPO / ".build" / "profile-shift.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    ensure_dev_path()
    work = Path(tempfile.mkdtemp(prefix="profile-shift-"))
    lab_dir = work / "lab"
    env = shift_lab.lab_env({"LAB_LATENCY_MS": os.environ.get("LAB_LATENCY_MS", "20")})
    up = shift_lab.labctl("up", lab_dir, env)
    if up.returncode != 0:
        print(up.stdout + up.stderr)
        return 1
    try:
        lab = LabHandle(lab_dir)
        cl = shift_lab.clients(lab_dir / "kubeconfig", pool=64)
        specs = [("bench-%03d" % i, 2, 1) for i in range(WORKLOADS)]
        policies = shift_lab.setup_workloads(cl, "bench-shift", specs, concurrency=32, timeout=600)
        params = shift_lab.module_params(lab_dir / "kubeconfig", policies, target_percent=50,
                                         gates={"ready_ratio": 0}, concurrency=32, wait_sleep=1, wait_timeout=600)
        args = dict(params, _ansible_check_mode=False, _ansible_diff=False)
        argfile = work / "args.json"
        argfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        run_env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(DEV_ROOT),
                                                                             os.environ.get("PYTHONPATH")])))
        mark = lab.mark()
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m",
                               "ansible_collections.ctyun.cce_migration.plugins.modules.replica_shift",
                               str(argfile)], capture_output=True, text=True, env=run_env, check=False)
        seconds = time.monotonic() - start
        requests = lab.requests(mark)
    finally:
        shift_lab.labctl("down", lab_dir, env)
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    if result.get("failed"):
        raise SystemExit("shift failed: %s" % result.get("msg"))
    lab_ms = sum(r.get("latency_ms") or 0 for r in requests)
    print("one step over %d workloads in %.1f s (under cProfile), %d requests; the lab spent %.1f s serving them"
          % (WORKLOADS, seconds, len(requests), lab_ms / 1000.0))
    by_route = {}
    for r in requests:
        n, ms = by_route.get(route(r), (0, 0.0))
        by_route[route(r)] = (n + 1, ms + (r.get("latency_ms") or 0))
    for key, (n, ms) in sorted(by_route.items(), key=lambda kv: -kv[1][1])[:20]:
        print("  %6d  %8.1f s  %s" % (n, ms / 1000.0, key))
    stats = pstats.Stats(str(out))
    print("\n== module process, top by cumulative time")
    stats.sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
