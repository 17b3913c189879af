#!/usr/bin/env python3
"""Start, stop and inspect the lab: ``labctl.py up|down|status|serve [--dir DIR]``.

``up`` starts ``serve`` in the background (idempotent), waits until every endpoint answers
and the seeded workloads are ready, and leaves in DIR: ``kubeconfig`` (contexts source,
target, karmada), ``env.sh``, ``inventory.yml``, ``ports.json``, ``seed.json``,
``requests.jsonl``, ``ca.crt``, ``lab.pid``, ``lab.log``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _pid(lab_dir):
    try:
        pid = int((lab_dir / "lab.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def write_outputs(lab):
    import yaml

    from tests.lab.kubesim import lab as labmod

    d = lab.dir
    (d / "ports.json").write_text(json.dumps(lab.ports))
    kc = d / "kubeconfig"
    kc.write_text(yaml.safe_dump(lab.kubeconfig_all(), sort_keys=False))
    os.chmod(kc, 0o600)
    env = {
        "KUBECONFIG": str(kc), "CTYUN_ENDPOINT": "https://127.0.0.1:%d" % lab.ports["ctyun"],
        "CTYUN_ACCESS_KEY": labmod.CTYUN_ACCESS_KEY, "CTYUN_SECRET_KEY": labmod.CTYUN_SECRET_KEY,
        "CTYUN_REGION_ID": labmod.CTYUN_REGION_ID, "CTYUN_CA_BUNDLE": str(lab.ca["ca"]),
        "LAB_DIR": str(d), "LAB_KUBE": getattr(lab, "kube", "sim"),
    }
    (d / "env.sh").write_text("".join("export %s='%s'\n" % kv for kv in env.items()))
    os.chmod(d / "env.sh", 0o600)
    # traffic: the entries and the load balancer's public URL (tests/lab/traffic), when the lab runs them
    from tests.lab import traffic
    section = traffic.outputs(lab)
    extra = {"traffic": section} if section is not None else {}
    (d / "env.json").write_text(json.dumps(dict(env, kube=env["LAB_KUBE"], **extra)))
    os.chmod(d / "env.json", 0o600)
    from tests.lab.ctyunsim import table as ctyun_table
    example = REPO / "inventory" / "example" / "group_vars" / "all.yml"
    group_vars = yaml.safe_load(example.read_text()) if example.exists() else {}
    group_vars.update({
        "source_kubeconfig": str(kc), "source_context": "source",
        "target_cluster_vpc_id": "vpc-lab0001", "target_cluster_subnet_id": "subnet-lab0001",
        "target_cluster_name": "cce-lab-target",
        # the CTyun simulation's first zone and its CTyunOS 23.01 node image
        "target_cluster_zones": [ctyun_table.REGION_ZONES[labmod.CTYUN_REGION_ID][0]],
        "target_cluster_pod_subnet_ids": ["subnet-lab-pods01"],
        "target_cluster_worker_image_id": sorted(ctyun_table.NODE_IMAGES)[0],
    })
    group_vars.update(getattr(lab, "inventory_vars", {}))
    inventory = {"all": {"vars": group_vars, "children": {
        "source": {"hosts": {"source_cluster": {"ansible_connection": "local",
                                                "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}},
        "target": {"hosts": {"target_cluster": {"ansible_connection": "local",
                                                "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}},
    }}}
    (d / "inventory.yml").write_text("# Inventory of the local lab (written by tests/lab/labctl.py up).\n"
                                     "# CTyun credentials come from the environment: . env.sh\n"
                                     + yaml.safe_dump(inventory, sort_keys=False))


async def serve(lab_dir):
    if os.environ.get("LAB_KUBE", "sim") == "real":
        from tests.lab.real.lab import serve_real

        return await serve_real(lab_dir, write_outputs)
    from aiohttp import web

    from tests.lab.kubesim import seed
    from tests.lab.kubesim.controllers import Controllers
    from tests.lab.kubesim.lab import Lab
    from tests.lab.kubesim.server import KubeApp

    lab = Lab(lab_dir)
    workloads = int(lab.knobs["LAB_WORKLOADS"])
    objs, secrets = seed.source_objects(workloads, lab.knobs["LAB_SEED"])
    seed.load(lab.clusters["source"].store, objs)
    seed.load(lab.clusters["target"].store, seed.target_objects())

    for name, cluster in lab.clusters.items():
        app = web.Application(middlewares=lab.middlewares(name, token=cluster.token), client_max_size=64 * 2 ** 20)
        app.add_routes(KubeApp(cluster).routes())
        cluster.port = await lab.start_app(name, app)
    try:
        ctyunsim = importlib.import_module("tests.lab.ctyunsim")
    except ImportError:
        ctyunsim = None
    if ctyunsim is not None and hasattr(ctyunsim, "make_app"):
        await lab.start_app("ctyun", ctyunsim.make_app(lab))
    ready_s = float(lab.knobs["LAB_READY_S"])
    for name in ("source", "target"):
        ctl = Controllers(lab.clusters[name].store, ready_s=ready_s)
        for gk in ctl.handlers:
            for obj in list(lab.clusters[name].store.iter_raw(gk)):
                ctl.mark(gk, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        lab.tasks.append(asyncio.ensure_future(ctl.run()))
    try:
        karmadasim = importlib.import_module("tests.lab.karmadasim")
    except ImportError:
        karmadasim = None
    if karmadasim is not None and hasattr(karmadasim, "start"):
        await karmadasim.start(lab)
    from tests.lab import traffic
    await traffic.start(lab)
    write_outputs(lab)
    # The seeded objects live as long as the lab: frozen, the cyclic collector no longer walks
    # them, and a full collection waits for 10,000 collections of the middle generation instead
    # of 10. Full collections
    # stopped the event loop for up to 0.3 s (0.9 s in all) while a promotion of 3,288 objects
    # grew the heap; the lab's objects are JSON trees that reference counting frees.
    gc.freeze()
    gc.set_threshold(gc.get_threshold()[0], gc.get_threshold()[1], 10000)

    # seed.json once the seeded workloads run: exact counts per kind, as the API reports them
    store = lab.clusters["source"].store
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        deps = list(store.iter_raw(("apps", "Deployment")))
        if all((d.get("status") or {}).get("readyReplicas", 0) == d["spec"].get("replicas", 1) for d in deps):
            break
        await asyncio.sleep(0.2)
    counts = {}
    for gk, items in store.objects.items():
        # EndpointSlices are the controllers' own, as on the real backend (real/lab.py COUNTED_KINDS)
        if items and gk != ("discovery.k8s.io", "EndpointSlice"):
            counts[gk[1]] = counts.get(gk[1], 0) + len(items)
    (lab.dir / "seed.json").write_text(json.dumps({"source": {"counts": counts, "secret_values": secrets,
                                                              "workloads": workloads}}, indent=1))
    (lab.dir / "ready").write_text("ok\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await traffic.stop(lab)
    await lab.stop_apps()


def cmd_up(lab_dir, timeout=None):
    kube = os.environ.get("LAB_KUBE", "sim")
    if kube not in ("sim", "real"):
        print("LAB_KUBE must be 'sim' (the default) or 'real', not %r" % kube)
        return 2
    if kube == "real":
        from tests.lab.real.controlplane import RealLabError, require_built
        try:
            require_built()
        except RealLabError as exc:
            print(str(exc))
            return 2
    timeout = timeout or (600 if kube == "real" else 180)
    pid = _pid(lab_dir)
    if pid and (lab_dir / "ready").exists():
        print("lab already running (pid %d) in %s" % (pid, lab_dir))
        return cmd_status(lab_dir)
    lab_dir.mkdir(parents=True, exist_ok=True)
    for name in ("ready", "ports.json", "seed.json", "requests.jsonl"):
        (lab_dir / name).unlink(missing_ok=True)
    log = open(lab_dir / "lab.log", "ab")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "serve", "--dir", str(lab_dir)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(REPO),
                            start_new_session=True)
    (lab_dir / "lab.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            # whatever the lab started and did not stop (it runs in the lab's own process group)
            _kill_group(proc.pid)
            print("lab failed to start; see %s:\n%s" % (lab_dir / "lab.log",
                                                         (lab_dir / "lab.log").read_text()[-3000:]))
            return 1
        if (lab_dir / "ready").exists():
            print("lab up in %s (pid %d)" % (lab_dir, proc.pid))
            return cmd_status(lab_dir)
        time.sleep(0.1)
    _kill_group(proc.pid)
    print("lab did not become ready within %ds" % timeout)
    return 1


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def cmd_down(lab_dir):
    pid = _pid(lab_dir)
    if not pid:
        print("no lab running in %s" % lab_dir)
        return 0
    os.killpg(pid, signal.SIGTERM)
    for _ in range(100):
        if _pid(lab_dir) is None:
            break
        time.sleep(0.05)
    else:
        os.killpg(pid, signal.SIGKILL)
    (lab_dir / "lab.pid").unlink(missing_ok=True)
    (lab_dir / "ready").unlink(missing_ok=True)
    print("lab stopped (pid %d)" % pid)
    return 0


def cmd_status(lab_dir):
    pid = _pid(lab_dir)
    if not pid:
        print("lab: not running (%s)" % lab_dir)
        return 3
    ports = json.loads((lab_dir / "ports.json").read_text()) if (lab_dir / "ports.json").exists() else {}
    print("lab: running, pid %d, dir %s" % (pid, lab_dir))
    for name, port in sorted(ports.items()):
        print("  %-8s https://127.0.0.1:%d" % (name, port))
    print("  use: . %s/env.sh && kubectl --context source get deploy -A" % lab_dir)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "down", "status", "serve"))
    parser.add_argument("--dir", default=str(REPO / ".lab"))
    args = parser.parse_args(argv)
    lab_dir = Path(args.dir).resolve()
    if args.command == "serve":
        if os.environ.get("LAB_PROFILE"):
            # tests/bench/profile_promote.py: the lab process under cProfile, written on shutdown
            import cProfile
            profiler = cProfile.Profile()
            profiler.runcall(asyncio.run, serve(lab_dir))
            profiler.dump_stats(os.environ["LAB_PROFILE"])
            return 0
        asyncio.run(serve(lab_dir))
        return 0
    return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](lab_dir)


if __name__ == "__main__":
    sys.exit(main())
