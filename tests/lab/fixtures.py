"""Start a lab from a test: ``with start_lab(tmpdir, LAB_WORKLOADS=5) as lab: ...``."""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

LABCTL = Path(__file__).resolve().parent / "labctl.py"
REPO = LABCTL.parents[2]


class LabHandle:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.kubeconfig = str(self.dir / "kubeconfig")
        self.ports = json.loads((self.dir / "ports.json").read_text())
        env = json.loads((self.dir / "env.json").read_text())
        # env.json: the lab's environment (strings, what env.sh exports; tests pass it to processes)
        # and the traffic section (tests/lab/traffic: the entries, the load balancer's public URL)
        self.traffic = env.get("traffic") or {}
        self.env = dict((k, v) for k, v in env.items() if isinstance(v, str))
        self.seed = json.loads((self.dir / "seed.json").read_text())
        self.ca = str(self.dir / "ca.crt")
        self.kube = self.env.get("kube", "sim")  # "real": real Kubernetes and Karmada (LAB_KUBE=real)

    def requests(self, since=0):
        path = self.dir / "requests.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines[since:] if line.strip()]

    def mark(self):
        """Position in the request log; pass it to ``requests``/``writes`` later."""
        return len(self.requests())

    def writes(self, since=0, server=None):
        """Requests that changed something: writes, without server-side dry runs (``dryRun=All``)."""
        return [r for r in self.requests(since) if r.get("write") and "dryRun=All" not in (r.get("query") or "")
                and (server is None or r["server"] == server)]

    def dry_runs(self, since=0, server=None):
        """Writes sent with ``dryRun=All`` (check mode): validated and admitted, nothing stored."""
        return [r for r in self.requests(since) if r.get("write") and "dryRun=All" in (r.get("query") or "")
                and (server is None or r["server"] == server)]

    def api_client(self, context):
        """An official-client ``ApiClient`` for one of the lab's contexts (source, target, karmada)."""
        from kubernetes import client, config

        cfg = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, context=context, client_configuration=cfg)
        return client.ApiClient(cfg)

    def set_knobs(self, **knobs):
        ctx = ssl.create_default_context(cafile=self.ca)
        body = json.dumps(dict((k.upper() if k.upper().startswith("LAB_") else "LAB_" + k.upper(), str(v))
                               for k, v in knobs.items())).encode()
        for port in self.ports.values():
            req = urllib.request.Request("https://127.0.0.1:%d/_lab/knobs" % port, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, context=ctx, timeout=10).read()

    @contextlib.contextmanager
    def faults(self, rate=1, **knobs):
        """Injected faults (``LAB_FAULT_RATE`` and knobs such as ``FAULT_METHODS``, ``FAULT_KIND``) for
        the ``with`` block, off again after it, also when it raises."""
        self.set_knobs(FAULT_RATE=str(rate), **knobs)
        try:
            yield
        finally:
            self.set_knobs(FAULT_RATE="0", **dict((k, "") for k in knobs))

    def stop(self):
        subprocess.run([sys.executable, str(LABCTL), "down", "--dir", str(self.dir)], capture_output=True,
                       check=False)


@contextlib.contextmanager
def start_lab(directory, **knobs):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("LAB_") and key not in knobs:
            env.pop(key)
    env.update(dict((k, str(v)) for k, v in knobs.items()))
    proc = subprocess.run([sys.executable, str(LABCTL), "up", "--dir", str(directory)], capture_output=True,
                          text=True, env=env, cwd=str(REPO), check=False)
    if proc.returncode != 0 and env.get("LAB_KUBE") == "real":
        logs = Path(directory) / "real" / "logs"
        tails = ["== %s\n%s" % (p.name, p.read_text(errors="replace")[-1500:])
                 for p in sorted(logs.glob("*.log"))] if logs.is_dir() else []
        proc.stdout += "\n".join(tails)
    if proc.returncode != 0:
        subprocess.run([sys.executable, str(LABCTL), "down", "--dir", str(directory)], capture_output=True,
                       check=False)
        raise RuntimeError("lab did not start: %s" % (proc.stdout + proc.stderr)[-3000:])
    handle = LabHandle(directory)
    try:
        yield handle
    finally:
        handle.stop()
