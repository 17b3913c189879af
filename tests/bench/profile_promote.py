"""Where the time of a promote goes: the bench's promote run (as the promote role runs it) with the
module under cProfile (standard library), plus the lab's view (requests, their latency, the floor
requests x latency / concurrency, and the CPU time of the lab process, which serves the requests and
runs the simulated controllers in one event loop).

    LAB_WORKLOADS=1000 LAB_LATENCY_MS=20 .venv/bin/python tests/bench/profile_promote.py [concurrency]

With LAB_KUBE=real it also prints the CPU time of each control-plane process over the run (for
example ``LAB_KUBE=real LAB_WORKLOADS=100 PROFILE_LAB=0``).

Prints the functions with the most own time and the most cumulative time in the module process,
and writes the raw profile to .build/profile-promote.prof (read it with ``python -m pstats``); the lab
process runs under cProfile too (LAB_PROFILE; PROFILE_LAB=0 turns that off) and its profile goes to
.build/profile-promote-lab.prof.
"""

from __future__ import annotations

import json
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.bench.bench_promote import lab_knobs, promote_params  # noqa: E402
from tests.lab.fixtures import start_lab  # noqa: E402
from tests.utils.devpath import DEV_ROOT, ensure_dev_path  # noqa: E402


def cpu_seconds(pid):
    """User + system CPU time of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def group_cpu(pgid):
    """{label: CPU seconds} of the processes in process group ``pgid`` (the lab and, on the real
    backend, every control-plane process it started); a kube-apiserver is labelled with its etcd
    prefix, which names the cluster it serves. Linux /proc; {} elsewhere."""
    out = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, IndexError):
            continue
        if int(fields[2]) != pgid:
            continue
        label = Path(argv[0]).name if argv and argv[0] else entry.name
        if "--etcd-prefix" in argv[:-1]:
            label += " " + argv[argv.index("--etcd-prefix") + 1]
        elif label.startswith("python") and len(argv) > 1:
            label += " " + Path(argv[1]).name
        label = "%s (%s)" % (label, entry.name)
        out[label] = (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    return out


def main(argv):
    concurrency = int(argv[1]) if len(argv) > 1 else 16
    latency_ms = float(os.environ.get("LAB_LATENCY_MS", "20"))
    out = REPO / ".build" / "profile-promote.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    ensure_dev_path()
    with tempfile.TemporaryDirectory(prefix="profile-promote-") as tmp:
        lab_prof = REPO / ".build" / "profile-promote-lab.prof"
        lab_prof.unlink(missing_ok=True)
        # PROFILE_LAB=0: the lab without cProfile, for its real CPU time
        knobs = dict(lab_knobs(), **({} if os.environ.get("PROFILE_LAB") == "0" else {"LAB_PROFILE": str(lab_prof)}))
        with start_lab(tmp, **knobs) as lab:
            lab.set_knobs(latency_ms=str(latency_ms))
            args = dict(promote_params(lab, concurrency), _ansible_check_mode=False, _ansible_diff=False)
            argfile = Path(tmp) / "args.json"
            argfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(DEV_ROOT),
                                                                             os.environ.get("PYTHONPATH")])))
            mark = lab.mark()
            lab_pid = int((Path(tmp) / "lab.pid").read_text())
            lab_cpu = cpu_seconds(lab_pid)
            procs_before = group_cpu(os.getpgid(lab_pid))
            start = time.monotonic()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m",
                                   "ansible_collections.ctyun.cce_migration.plugins.modules.karmada_promote",
                                   str(argfile)], capture_output=True, text=True, env=env, check=False)
            seconds = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            module_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
            lab_cpu_after = cpu_seconds(lab_pid)
            procs_after = group_cpu(os.getpgid(lab_pid))
            requests = lab.requests(mark)
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    if result.get("failed"):
        raise SystemExit("promote failed: %s" % result.get("msg"))
    lab_ms = sum(r.get("latency_ms") or 0 for r in requests)
    print("concurrency %d: %d objects in %.1f s, %d requests; the lab spent %.1f s serving them "
          "(%.1f ms each on average); floor requests x latency / concurrency = %.1f s"
          % (concurrency, result["counts"]["total"], seconds, len(requests), lab_ms / 1000.0,
             lab_ms / max(1, len(requests)), len(requests) * latency_ms / 1000.0 / concurrency))
    print("the module process used %.1f s of CPU (%.0f %% of one core; under cProfile)"
          % (module_cpu, 100.0 * module_cpu / seconds))
    if lab_cpu is not None and lab_cpu_after is not None:
        # the lab is one process (one event loop): its CPU time is a floor the module cannot go under
        print("the lab process used %.1f s of CPU meanwhile (%.0f %% of one core over the run)"
              % (lab_cpu_after - lab_cpu, 100.0 * (lab_cpu_after - lab_cpu) / seconds))
    used = sorted(((procs_after[k] - procs_before.get(k, 0.0), k) for k in procs_after), reverse=True)
    if len(used) > 1:
        # the real backend: etcd, the API servers, Karmada's and Kubernetes' controllers, kwok
        print("CPU of the lab's processes over the run: %.1f s in all (the machine has %d cores)"
              % (sum(u for u, dummy in used), os.cpu_count() or 0))
        for u, label in used[:12]:
            print("  %6.1f s  %s" % (u, label))
    by_kind = {}
    for r in requests:
        # /api/v1/namespaces/shop/configmaps/x -> /api/v1/namespaces/*/configmaps/{name}
        path = re.sub(r"/namespaces/[^/]+/", "/namespaces/*/", r["path"])
        parts = path.split("/")
        base = 4 if parts[1] == "api" else 5
        if "/namespaces/*/" in path:
            base += 2
        key = "%s %s%s%s" % (r["server"], r["method"], " " + "/".join(parts[:base]),
                             "/{name}" if len(parts) > base else "")
        by_kind[key] = by_kind.get(key, 0) + 1
    for key, n in sorted(by_kind.items(), key=lambda kv: -kv[1])[:20]:
        print("  %6d  %s" % (n, key))
    stats = pstats.Stats(str(out))
    for order in ("tottime", "cumulative"):
        print("\n== module process, top by %s" % order)
        stats.sort_stats(order).print_stats(25)
    if lab_prof.exists():
        # the whole life of the lab process (start, seeding, the run, shutdown), written when it stops
        lab_stats = pstats.Stats(str(lab_prof))
        for order in ("tottime", "cumulative"):
            print("\n== lab process, top by %s" % order)
            lab_stats.sort_stats(order).print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
