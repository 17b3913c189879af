"""replica_shift through its real entry point against the in-memory Karmada model served over HTTP.

Quicker than the lab and independent of it: checks the module's whole path (arguments,
kubeconfig, REST calls, waits, gates, result) with the capacity invariant sampled at every
change inside the model. The lab tests (test_replica_shift.py) check the same against the
lab's Karmada controllers.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.utils.devpath import DEV_ROOT
from tests.utils.modrun import run_module
from tests.utils.shift_model import SRC, TGT, World, serve

# name, replicas, maxUnavailable, template UID
WORKLOADS = [("web", 6, 0, "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"), ("api", 4, 1, "4858ca61-3ff8"),
             ("cart", 5, 2, "c-1"), ("solo", 1, 0, "s-1")]


@pytest.fixture()
def model():
    world = World()
    world.ready_per_tick = 2
    for w in WORKLOADS:
        world.add(*w)
    server, kubeconfig = serve(world)
    fh = tempfile.NamedTemporaryFile("w", suffix=".kubeconfig", delete=False)
    json.dump(kubeconfig, fh)
    fh.close()
    try:
        yield world, fh.name
    finally:
        server.shutdown()
        os.unlink(fh.name)


def _params(kubeconfig, **extra):
    params = dict(kubeconfig=kubeconfig, context="karmada", source_member=SRC, target_member=TGT,
                  source_cluster=dict(kubeconfig=kubeconfig, context="source"),
                  target_cluster=dict(kubeconfig=kubeconfig, context="target"),
                  policies=["app/%s" % w[0] for w in WORKLOADS], wait_timeout=60, wait_sleep=1, concurrency=4)
    params.update(extra)
    return params


def _assert_invariant(world):
    for name, replicas, mu, _ in WORKLOADS:
        assert world.low["app/" + name] >= replicas - mu, (name, world.low)


# At 50 % solo's one replica is a tie Karmada breaks by the UID: "s-1" has three odd bytes, so
# its FNV-32a hash (odd basis, odd prime) is even and the smaller name, the source, keeps it.
NEVER_ON_TARGET_AT_50 = ("solo",)


def _assert_all_on(world, side, absent=()):
    """Every workload ready on ``side``; on the other member kept at 0 replicas, or, for the names
    in ``absent`` (never placed there), not there at all."""
    other = TGT if side == SRC else SRC
    for name, replicas, _, _ in WORKLOADS:
        assert world.members[side]["app/" + name]["status"]["readyReplicas"] == replicas
        if name in absent:
            assert "app/" + name not in world.members[other], (name, other)
        else:
            assert world.members[other]["app/" + name]["spec"]["replicas"] == 0, (name, other)


def test_full_shift_then_rerun_is_unchanged(model):
    world, kubeconfig = model
    result = run_module("replica_shift", _params(kubeconfig, steps=[0, 50, 100]))
    assert not result.failed, result.get("msg")
    assert [s["percent"] for s in result["steps"]] == [0, 50, 100]
    assert result["counts"]["updated"] == len(WORKLOADS) and result["changed"]
    _assert_invariant(world)
    _assert_all_on(world, TGT)
    # web (maxUnavailable 0) needed a surge at 50 %, api (1 of 4) did too, cart (2 of 5) did not
    plan50 = dict((p["policy"], [ph["purpose"] for ph in p["phases"]]) for p in result["plan"] if p["percent"] == 50)
    assert plan50["app/web"] == ["surge", "step"] and plan50["app/cart"] == ["step"]
    writes = world.writes
    again = run_module("replica_shift", _params(kubeconfig, steps=[0, 50, 100]))
    assert not again.failed and again["changed"] is False and world.writes == writes


def test_check_mode_and_diff_write_nothing(model):
    world, kubeconfig = model
    result = run_module("replica_shift", _params(kubeconfig, steps=[0, 50, 100]), check=True, diff=True)
    assert not result.failed, result.get("msg")
    assert result["changed"] and world.writes == 0
    assert getattr(world, "dry_runs", 0) > 0     # the policy patches were sent as dry runs
    diff = result["diff"] if isinstance(result["diff"], list) else [result["diff"]]
    web = [d for d in diff if d["before_header"] == "PropagationPolicy app/web"][0]
    assert web["after"]["replicas"]["Deployment/app/web"] == {"source": 0, "target": 6}
    rows = dict((p["policy"], p["replicas"]) for p in result["plan"] if p["percent"] == 50)
    # Karmada's division of 6 replicas at 50:50
    assert rows["app/web"]["Deployment/app/web"] == {"source": 3, "target": 3}


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_failing_http_gate_rolls_back(model):
    world, kubeconfig = model
    assert not run_module("replica_shift", _params(kubeconfig, target_percent=0)).failed
    server = HTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/healthz" % server.server_address[1]
    try:
        result = run_module("replica_shift", _params(
            kubeconfig, steps=[0, 50, 100], gates=dict(http=[dict(url=url, successes=2, interval=0.1, timeout=1)])))
    finally:
        server.shutdown()
    assert result.failed and result["failure"]["gate"] == "http" and result["failure"]["step"] == 50
    assert url in result["msg"] and "500" in result["msg"] and "rolled back" in result["msg"]
    assert set(result["rolled_back_to"].values()) == {0}
    _assert_invariant(world)
    _assert_all_on(world, SRC, absent=NEVER_ON_TARGET_AT_50)
    assert world.policies["app/web"]["metadata"]["annotations"]["cce-migration.ctyun.cn/shift-step"] == "0"


@pytest.mark.parametrize("reach", [50, 100])
def test_rollback_restores_the_source(model, reach):
    world, kubeconfig = model
    assert not run_module("replica_shift", _params(kubeconfig, steps=[0, reach])).failed
    back = run_module("replica_shift", _params(kubeconfig, target_percent=0))
    assert not back.failed, back.get("msg")
    _assert_invariant(world)
    _assert_all_on(world, SRC, absent=NEVER_ON_TARGET_AT_50 if reach == 50 else ())


def test_release_keeps_source_running(model):
    world, kubeconfig = model
    assert not run_module("replica_shift", _params(kubeconfig, steps=[0, 50])).failed
    result = run_module("replica_shift", _params(kubeconfig, target_percent=0, release_from_karmada=True))
    assert not result.failed, result.get("msg")
    assert not world.templates and not world.policies
    for name, replicas, _, _ in WORKLOADS:
        src = world.members[SRC]["app/" + name]
        assert src["status"]["readyReplicas"] == replicas and "karmada.io/managed" not in src["metadata"]["labels"]
    again = run_module("replica_shift", _params(kubeconfig, target_percent=0, release_from_karmada=True))
    assert not again.failed and again["changed"] is False


def _spawn(params):
    args = dict(params, _ansible_check_mode=False, _ansible_diff=False, _ansible_verbosity=0)
    fh = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
    fh.close()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DEV_ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m",
                             "ansible_collections.ctyun.cce_migration.plugins.modules.replica_shift", fh.name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def test_sigkill_at_random_points_then_rerun_converges(model):
    world, kubeconfig = model
    rng = random.Random(int(os.environ.get("SHIFT_KILL_SEED", "11")))
    # how long a whole run takes here, there and back: the kills fall within its first 60 %
    spans = []
    for steps in ([0, 50, 100], [100, 50, 0]):
        start = time.monotonic()
        assert _spawn(_params(kubeconfig, steps=steps)).wait() == 0
        spans.append(time.monotonic() - start)
    latest = max(0.4, 0.6 * min(spans))
    steps = [0, 50, 100]
    for index in range(int(os.environ.get("SHIFT_KILL_ROUNDS", "4"))):
        proc = _spawn(_params(kubeconfig, steps=steps))
        time.sleep(rng.uniform(0.3, latest))
        assert proc.poll() is None, (index, "the module ended before the kill", proc.returncode)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, (index, proc.returncode)
        result = run_module("replica_shift", _params(kubeconfig, steps=steps))
        assert not result.failed, (index, result.get("msg"))
        _assert_all_on(world, TGT if steps[-1] == 100 else SRC)
        steps = list(reversed(steps))
    _assert_invariant(world)
