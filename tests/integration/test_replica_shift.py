"""replica_shift against the lab, through the module's real entry point.

The lab runs with both members pre-joined (LAB_KARMADA_MEMBERS=source,target). Each test
promotes its own workloads by hand (Deployment in the source, template + policy in Karmada)
in its own namespace, then runs the module while a sampler thread reads both members' ready
replicas, so the capacity invariant is checked during every step.
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
from pathlib import Path

import pytest

from tests.utils import shift_lab
from tests.utils.devpath import DEV_ROOT
from tests.utils.modrun import run_module

# name, replicas, maxUnavailable: different counts and budgets, including 0 (surge needed)
WORKLOADS = [("web", 6, 0), ("api", 4, 1), ("cart", 5, "40%"), ("solo", 1, 0)]


def _floor(replicas, mu):
    if isinstance(mu, str):
        mu = replicas * int(mu[:-1]) // 100
    return replicas - mu


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from tests.lab.fixtures import start_lab

    with start_lab(tmp_path_factory.mktemp("shift-lab"), LAB_KARMADA_MEMBERS="source,target",
                   LAB_READY_S=os.environ.get("LAB_READY_S", "0.5"), LAB_WORKLOADS="0",
                   LAB_FAULT_RATE=os.environ.get("SHIFT_LAB_FAULT_RATE", "0"),
                   LAB_SEED=os.environ.get("LAB_SEED", "42")) as handle:
        yield dict(dir=handle.dir, kubeconfig=Path(handle.kubeconfig), handle=handle,
                   clients=shift_lab.clients(handle.kubeconfig))


_counter = iter(range(1000))


def _promoted(lab, specs=WORKLOADS):
    ns = "shift-%d-%d" % (os.getpid() % 1000, next(_counter))
    policies = shift_lab.setup_workloads(lab["clients"], ns, specs)
    state = shift_lab.member_state(lab["clients"], ns)
    uids = dict((name, st["source"]["metadata"]["uid"]) for name, st in state.items())
    return ns, policies, uids


def _shift(lab, ns, policies, names, **params):
    sampler = shift_lab.Sampler(lab["clients"], ns, names)
    sampler.start()
    try:
        result = run_module("replica_shift", shift_lab.module_params(lab["kubeconfig"], policies, **params))
    finally:
        low = sampler.stop()
    return result, low, sampler


def _assert_invariant(low, specs=WORKLOADS):
    for name, replicas, mu in specs:
        assert low[name] >= _floor(replicas, mu), "ready sum of %s fell to %s (floor %s)" % (
            name, low[name], _floor(replicas, mu))


def _assert_all_on(lab, ns, side, uids, specs=WORKLOADS, never_on_target=()):
    """Every workload ready on ``side`` and kept at 0 replicas on the other member (the target
    object of a workload in ``never_on_target``, one Karmada may never have placed there, may be
    absent instead)."""
    state = shift_lab.member_state(lab["clients"], ns)
    other = "target" if side == "source" else "source"
    for name, replicas, _ in specs:
        assert shift_lab.ready(state[name][side]) == replicas, (name, state[name][side].get("status"))
        if name in never_on_target and other not in state[name]:
            continue
        assert other in state[name], (name, other, "member object missing")
        assert state[name][other]["spec"]["replicas"] == 0, (name, other, state[name][other]["spec"])
        # the source object is never deleted nor re-created
        assert state[name]["source"]["metadata"]["uid"] == uids[name]


def test_full_shift_keeps_capacity_and_is_idempotent(lab):
    ns, policies, uids = _promoted(lab)
    names = [w[0] for w in WORKLOADS]
    result, low, sampler = _shift(lab, ns, policies, names, steps=[0, 50, 100])
    assert not result.failed, result.get("msg")
    assert sampler.samples > 10
    _assert_invariant(low)
    # the sampler saw the transitions: web (maxUnavailable 0) surged above its 6 replicas
    # (without injected faults; with them, slowed-down reads may miss the surge window)
    if float(os.environ.get("SHIFT_LAB_FAULT_RATE", "0")) == 0:
        assert sampler.high["web"] > 6
    _assert_all_on(lab, ns, "target", uids)
    assert [s["percent"] for s in result["steps"]] == [0, 50, 100]
    assert result["counts"]["updated"] == len(WORKLOADS)
    # the plan matched what Karmada did at 50 %
    step50 = [s for s in result["steps"] if s["percent"] == 50][0]
    for row in step50["workloads"]:
        assert row["source_ready"] == row["source_replicas"] and row["target_ready"] == row["target_replicas"]
    again = run_module("replica_shift", shift_lab.module_params(lab["kubeconfig"], policies, steps=[0, 50, 100]))
    assert not again.failed and again["changed"] is False and again["steps"] == []


def test_check_mode_makes_no_write(lab):
    ns, policies, _ = _promoted(lab, WORKLOADS[:2])
    mark = lab["handle"].mark()
    result = run_module("replica_shift", shift_lab.module_params(lab["kubeconfig"], policies, steps=[0, 50, 100]),
                        check=True, diff=True)
    writes = len(lab["handle"].writes(mark))
    assert not result.failed, result.get("msg")
    assert result["changed"] is True and writes == 0
    # the policy patches were sent with dryRun=All: admitted by the server, nothing stored
    dry = lab["handle"].dry_runs(mark)
    assert dry and all(r["method"] == "PATCH" and "/propagationpolicies/" in r["path"] for r in dry)
    assert len(result["plan"]) == 2 * 3 and result["diff"]
    state = shift_lab.member_state(lab["clients"], ns)
    assert all("target" not in st for st in state.values())


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"broken")

    def log_message(self, *args):
        pass


def test_failing_http_gate_rolls_back_to_last_good_step(lab):
    specs = WORKLOADS[:3]
    ns, policies, uids = _promoted(lab, specs)
    server = HTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/healthz" % server.server_address[1]
    try:
        first, _, _ = _shift(lab, ns, policies, [w[0] for w in specs], target_percent=0)
        assert not first.failed, first.get("msg")
        result, low, _ = _shift(lab, ns, policies, [w[0] for w in specs], steps=[0, 50, 100],
                                gates=dict(http=[dict(url=url, successes=2, interval=0.2, timeout=2)]))
    finally:
        server.shutdown()
    assert result.failed
    assert result["failure"]["gate"] == "http" and result["failure"]["step"] == 50
    assert "500" in result["msg"] and url in result["msg"]
    assert set(result["rolled_back_to"].values()) == {0}
    _assert_invariant(low, specs)
    _assert_all_on(lab, ns, "source", uids, specs)


@pytest.mark.parametrize("reach", [50, 100])
def test_rollback_restores_the_source(lab, reach):
    ns, policies, uids = _promoted(lab)
    names = [w[0] for w in WORKLOADS]
    result, low, _ = _shift(lab, ns, policies, names, steps=[0, reach])
    assert not result.failed, result.get("msg")
    back, low_back, _ = _shift(lab, ns, policies, names, target_percent=0)
    assert not back.failed, back.get("msg")
    _assert_invariant(low)
    _assert_invariant(low_back)
    # at 50 %, solo's one replica goes to the source or the target depending on its UID
    _assert_all_on(lab, ns, "source", uids, never_on_target=("solo",) if reach == 50 else ())


def test_release_from_karmada_keeps_source_running(lab):
    specs = WORKLOADS[1:3]
    ns, policies, uids = _promoted(lab, specs)
    assert not run_module("replica_shift", shift_lab.module_params(lab["kubeconfig"], policies,
                                                                   steps=[0, 50])).failed
    result = run_module("replica_shift", shift_lab.module_params(lab["kubeconfig"], policies, target_percent=0,
                                                                 release_from_karmada=True))
    assert not result.failed, result.get("msg")
    state = shift_lab.member_state(lab["clients"], ns)
    for name, replicas, _ in specs:
        src = state[name]["source"]
        assert src["metadata"]["uid"] == uids[name] and shift_lab.ready(src) == replicas
        assert "karmada.io/managed" not in (src["metadata"].get("labels") or {})
    again = run_module("replica_shift", shift_lab.module_params(lab["kubeconfig"], policies, target_percent=0,
                                                                release_from_karmada=True))
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


def test_sigkill_then_rerun_converges(lab):
    rng = random.Random(int(os.environ.get("SHIFT_KILL_SEED", "8")))
    rounds = int(os.environ.get("SHIFT_KILL_ROUNDS", "3"))
    ns, policies, uids = _promoted(lab)
    names = [w[0] for w in WORKLOADS]
    sampler = shift_lab.Sampler(lab["clients"], ns, names)
    sampler.start()
    try:
        # how long a whole run takes here, there and back: the kills fall within its first 60 %
        spans = []
        for steps in ([0, 50, 100], [100, 50, 0]):
            start = time.monotonic()
            assert _spawn(shift_lab.module_params(lab["kubeconfig"], policies, steps=steps)).wait() == 0
            spans.append(time.monotonic() - start)
        latest = max(0.4, 0.6 * min(spans))
        steps = [0, 50, 100]
        for index in range(rounds):
            params = shift_lab.module_params(lab["kubeconfig"], policies, steps=steps)
            proc = _spawn(params)
            time.sleep(rng.uniform(0.3, latest))
            assert proc.poll() is None, (index, "the module ended before the kill", proc.returncode)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait() == -signal.SIGKILL, (index, proc.returncode)
            result = run_module("replica_shift", params)
            assert not result.failed, (index, result.get("msg"))
            steps = list(reversed(steps))  # back and forth, so every round has work to do
    finally:
        low = sampler.stop()
    _assert_invariant(low)
    # after an odd number of rounds the last run went 0 -> 100, else 100 -> 0
    _assert_all_on(lab, ns, "target" if rounds % 2 else "source", uids)
