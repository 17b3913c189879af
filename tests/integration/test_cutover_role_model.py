"""The cutover role and the rollback playbook through ansible-playbook, against the in-memory
Karmada model served over HTTP (tests/utils/shift_model.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils.devpath import DEV_ROOT
from tests.utils.shift_model import SRC, TGT, World, serve

REPO = Path(__file__).resolve().parents[2]
WORKLOADS = [("web", 4, 0, "u-web"), ("api", 3, 1, "u-api")]


@pytest.fixture()
def setup(tmp_path):
    world = World()
    world.ready_per_tick = 2
    for w in WORKLOADS:
        world.add(*w)
    server, kubeconfig = serve(world)
    kc = tmp_path / "lab.kubeconfig"
    kc.write_text(json.dumps(kubeconfig))
    workdir = tmp_path / "migration"
    traffic_log = tmp_path / "traffic.log"
    traffic = tmp_path / "traffic.yml"
    traffic.write_text(
        "- name: Record the traffic split\n"
        "  ansible.builtin.lineinfile:\n"
        "    path: %s\n    line: \"{{ cutover_traffic_percent }}\"\n    create: true\n    insertafter: EOF\n"
        "    mode: '0644'\n" % traffic_log)
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(json.dumps({
        "source": {"hosts": {"source_cluster": {"ansible_connection": "local",
                                                "ansible_python_interpreter": sys.executable}}},
        "target": {"hosts": {"target_cluster": {"ansible_connection": "local",
                                                "ansible_python_interpreter": sys.executable}}}}))
    (inv / "group_vars" / "all.yml").write_text(json.dumps(dict(
        migration_workdir=str(workdir), karmada_kubeconfig=str(kc), karmada_context="karmada",
        source_kubeconfig=str(kc), source_context="source", target_kubeconfig=str(kc), target_context="target",
        source_member_name=SRC, target_member_name=TGT, migrate_namespaces=["app"],
        cutover_policy_names=["app/web", "app/api"], cutover_wait_timeout=60,
        cutover_traffic_tasks=str(traffic))))
    try:
        yield world, inv, workdir, traffic_log
    finally:
        server.shutdown()


def _play(inv, playbook, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv),
           str(REPO / "playbooks" / playbook)] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_cutover_then_rollback(setup):
    world, inv, workdir, traffic_log = setup
    proc = _play(inv, "cutover.yml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "50 % on CTyun" in out and "WORKLOAD" in out, out[-6000:]
    record = json.loads((workdir / "cutover.json").read_text())
    assert record["stage"] == "cutover" and record["status"] == "done"
    assert [s["percent"] for s in record["steps"]] == [0, 50, 100]
    assert all(isinstance(s["seconds"], float) for s in record["steps"])
    last = record["steps"][-1]["workloads"]
    assert dict((w["name"], w["target_ready"]) for w in last) == {"web": 4, "api": 3}
    assert traffic_log.read_text().split() == ["0", "50", "100"]
    for name, replicas, mu, _ in WORKLOADS:
        assert world.low["app/" + name] >= replicas - mu
        assert world.members[SRC]["app/" + name]["spec"]["replicas"] == 0

    # a re-run changes nothing
    again = _play(inv, "cutover.yml")
    assert again.returncode == 0 and "changed=0" in again.stdout.split("PLAY RECAP")[-1], again.stdout[-3000:]

    back = _play(inv, "rollback.yml", "-e", "cutover_rollback_release=true")
    assert back.returncode == 0, (back.stdout + back.stderr)[-4000:]
    rec = json.loads((workdir / "rollback.json").read_text())
    assert rec["status"] == "done" and rec["released"]
    for name, replicas, _mu, _uid in WORKLOADS:
        src = world.members[SRC]["app/" + name]
        assert src["status"]["readyReplicas"] == replicas
        assert "karmada.io/managed" not in src["metadata"]["labels"]
    assert not world.policies and not world.templates


def test_check_mode_does_not_predict_success(setup):
    """--check cannot run the gates (no replica moves), so it must neither say "Cutover done" nor
    record steps the report would read as done, and must not write (issue 17, point 3)."""
    world, inv, workdir, traffic_log = setup
    proc = _play(inv, "cutover.yml", "--check")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "Cutover done" not in out
    assert "Check mode: no replica was moved and no gate was evaluated" in out
    assert "gates not run (check mode)" in out and "gates passed" not in out
    assert not (workdir / "cutover.json").exists()
    assert world.writes == 0
    for name, replicas, _mu, _uid in WORKLOADS:
        assert world.members[SRC]["app/" + name]["spec"]["replicas"] == replicas


def test_a_failing_gate_fails_the_play_and_the_record_says_rolled_back(setup):
    """A gate failing at 50 % rolls the replicas back to 0 % and the play FAILS, naming the step and
    the gate; the record says failed, not done (before, the role kept the module's result with
    failed_when: false, which turned the failure into ok: the play ended with failed=0 and
    "Cutover done"), and the steps after it are not tried."""
    world, inv, workdir, traffic_log = setup
    proc = _play(inv, "cutover.yml", "-e", json.dumps(
        {"cutover_gates": {"command": ["sh", "-c", 'test "$SHIFT_PERCENT" -lt 50']}}))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-4000:]
    assert "Cutover done" not in out
    assert "Gate command failed at step 50%" in out and "rolled back to the last good step" in out
    record = json.loads((workdir / "cutover.json").read_text())
    assert record["status"] == "failed" and record["failure"]["step"] == 50
    # the step of 100 is not tried after the failure (the loop's `when` does not stop an include loop)
    assert [s["percent"] for s in record["steps"]] == [0, 50, 0], record["steps"]
    for name, replicas, _mu, _uid in WORKLOADS:
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == replicas
