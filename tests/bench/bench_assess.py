"""Assessment of at least 5,000 objects: wall time including the three reports, and the peak RSS
of the module process.

Starts its own lab (``LAB_LATENCY_MS`` default 20; ``LAB_WORKLOADS`` grown until the source holds
at least ``BENCH_OBJECTS`` objects, default 5,000), runs ``cluster_assess`` as Ansible would (a
separate Python process with an argument file) and reads that process's own resource usage with
``os.wait4``. Prints the figures and one ``RESULT {json}`` line for ``make bench``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.utils.devpath import DEV_ROOT, ensure_dev_path  # noqa: E402

TARGET_OBJECTS = int(os.environ.get("BENCH_OBJECTS", "5000"))


def lab(cmd, lab_dir, env):
    return subprocess.run([sys.executable, str(REPO / "tests/lab/labctl.py"), cmd, "--dir", str(lab_dir)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)


def seeded_total(lab_dir):
    try:
        seed = json.loads((lab_dir / "seed.json").read_text())
    except (OSError, ValueError):
        return None
    counts = seed.get("source", seed)
    counts = counts.get("counts", counts) if isinstance(counts, dict) else {}
    return sum(v for v in counts.values() if isinstance(v, int))


def run_module(params, out_dir):
    ensure_dev_path()
    args = dict(params, _ansible_check_mode=False, _ansible_diff=False, _ansible_verbosity=0)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
        path = fh.name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DEV_ROOT), env.get("PYTHONPATH")]))
    out = open(os.path.join(out_dir, "module.out"), "w+")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m",
                             "ansible_collections.ctyun.cce_migration.plugins.modules.cluster_assess", path],
                            stdout=out, stderr=subprocess.STDOUT, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    os.unlink(path)
    out.seek(0)
    text = out.read()
    out.close()
    try:
        result = json.loads(text[text.index("{"):])
    except ValueError:
        result = {"failed": True, "msg": text[-2000:]}
    # ru_maxrss is in KiB on Linux
    return result, seconds, usage.ru_maxrss / 1024.0, proc.returncode


def main():
    work = Path(tempfile.mkdtemp(prefix="bench-assess-"))
    lab_dir = work / "lab"
    env = dict(os.environ)
    env.setdefault("LAB_LATENCY_MS", "20")
    workloads = int(env.get("LAB_WORKLOADS", "1000"))
    total = None
    try:
        for _attempt in range(3):
            env["LAB_WORKLOADS"] = str(workloads)
            up = lab("up", lab_dir, env)
            if up.returncode != 0:
                print(up.stdout + up.stderr)
                return 1
            total = seeded_total(lab_dir)
            if total is None or total >= TARGET_OBJECTS:
                break
            lab("down", lab_dir, env)
            workloads = int(math.ceil(workloads * TARGET_OBJECTS * 1.05 / max(total, 1)))
        params = dict(kubeconfig=str(lab_dir / "kubeconfig"), context="source", output_dir=str(work / "reports"))
        result, seconds, rss_mb, rc = run_module(params, str(work))
        if result.get("failed"):
            print("module failed: %s" % result.get("msg"))
            return 1
        objects = sum(result["counts"].values())
        figures = dict(name="assess", objects=objects, seeded=total, lab_workloads=workloads,
                       latency_ms=int(env["LAB_LATENCY_MS"]), seconds=round(seconds, 2),
                       peak_rss_mb=round(rss_mb, 1), requests=result["requests"]["requests"],
                       pages=result["requests"]["pages"], page_size=result["requests"]["page_size"],
                       findings=sum(result["summary"].values()), rc=rc)
        print("assessed %d objects (%d list pages, %d GET requests) in %.2f s including reports; "
              "module peak RSS %.1f MB" % (objects, figures["pages"], figures["requests"], seconds, rss_mb))
        print("targets: <= 10 s, <= 300 MB -> %s"
              % ("met" if seconds <= 10 and rss_mb <= 300 and objects >= TARGET_OBJECTS else "NOT met"))
        print("RESULT " + json.dumps(figures))
        return 0
    finally:
        lab("down", lab_dir, env)


if __name__ == "__main__":
    sys.exit(main())
