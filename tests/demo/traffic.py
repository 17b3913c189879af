#!/usr/bin/env python3
"""`make demo`'s users: ``traffic.py vars LAB_DIR WORKDIR`` writes the cutover's traffic settings
(the lab's ELB, the hook that marks each settled step) and prints the path of the vars file;
``traffic.py users LAB_DIR WORKDIR`` sends 60 requests/s for a seeded host through the lab's public
entry (the real HAProxy) until stopped, then prints, per settled step, how many requests CTyun's
entry served and how many failed."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.utils.traffic_client import TrafficClient  # noqa: E402
from tests.utils.traffic_steps import PAUSE, hook, pick_host, traffic_vars, windows  # noqa: E402


def _lab(lab_dir):
    return json.loads((Path(lab_dir) / "env.json").read_text())


def cmd_vars(lab_dir, workdir):
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    traffic = _lab(lab_dir)["traffic"]
    markers = hook(work, traffic)
    path = work / "traffic-vars.json"
    path.write_text(json.dumps(traffic_vars(traffic, markers["hook"], pause=PAUSE)))
    print(path)


def cmd_users(lab_dir, workdir):
    from kubernetes import client, config

    env = _lab(lab_dir)
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(Path(lab_dir) / "kubeconfig"), context="source",
                            client_configuration=cfg)
    host = pick_host(client.ApiClient(cfg), ["shop", "web"])
    markers = hook(Path(workdir), env["traffic"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    start = time.time()
    with TrafficClient(env["traffic"]["public_url"], host, rate=60, max_seconds=3600) as users:
        print("users: 60 requests/s for %s through %s" % (host, env["traffic"]["public_url"]), flush=True)
        stop.wait(3600)
    seen = users.summary(0)
    print("== users' requests for %s: %d sent, %d failed" % (host, seen["total"], seen["failed"]))
    for percent, window in sorted(windows(markers, users.records, start, time.time()).items()):
        print("   step %3d %% of replicas on CTyun: %5.1f %% of %d requests served by CTyun, %d failed"
              % (percent, window["share"] or 0.0, window["total"], window["failed"]))
    return 0 if seen["failed"] == 0 else 1


if __name__ == "__main__":
    command, lab_dir, workdir = sys.argv[1:4]
    sys.exit({"vars": cmd_vars, "users": cmd_users}[command](lab_dir, workdir) or 0)
