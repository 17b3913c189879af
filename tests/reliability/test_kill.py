"""SIGKILL ansible-playbook at random moments of the promote and cutover stages, then re-run:
the migration converges to the same end state, with no pod of a migrated workload replaced
during promotion and no source workload deleted.

Kills: RELIABILITY_KILLS (default 20; CI runs 3)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

from tests.lab.fixtures import start_lab
from tests.reliability.state import snapshot
from tests.utils.migrate_run import playbook_cmd, playbook_env, run_playbook

KILLS = int(os.environ.get("RELIABILITY_KILLS", "20"))
LATE = {"tags": "promote,cutover,report"}


def test_sigkill_during_promote_and_cutover_converges(tmp_path):
    rng = random.Random(7)
    with start_lab(tmp_path / "lab", LAB_WORKLOADS="8", LAB_READY_S="0.3", LAB_CLUSTER_READY_S="1") as lab:
        work = tmp_path / "work"
        proc, _ = run_playbook(lab, work, extra={"cutover_steps": [0]})
        assert proc.returncode == 0, proc.stdout[-4000:]
        source_uids = snapshot_uids(lab)
        start = time.monotonic()
        proc, _ = run_playbook(lab, work, extra={"cutover_steps": [0, 50, 100]})
        assert proc.returncode == 0, proc.stdout[-4000:]
        span = max(2.0, time.monotonic() - start)
        # roll back to the source, then kill repeatedly on the way to CTyun again
        back, _ = run_playbook(lab, work, playbook="rollback.yml")
        assert back.returncode == 0, back.stdout[-4000:]
        killed = 0
        for _ in range(KILLS):
            cmd = playbook_cmd(lab, work, extra={"cutover_steps": [0, 50, 100]}) + ["--tags", LATE["tags"]]
            child = subprocess.Popen(cmd, env=playbook_env(lab), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
            time.sleep(rng.uniform(0.5, span))
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                assert child.wait() == -signal.SIGKILL, child.returncode   # it was killed, it did not end
                killed += 1
            child.wait()
        final, recap = run_playbook(lab, work, extra={"cutover_steps": [0, 50, 100]})
        assert final.returncode == 0, final.stdout[-4000:]
        again, recap2 = run_playbook(lab, work, extra={"cutover_steps": [0, 50, 100]})
        assert again.returncode == 0 and not any(r["changed"] for r in recap2.values()), again.stdout[-4000:]
        state = snapshot(lab)
        assert killed >= max(1, KILLS // 2), "the playbook finished before most kills (%d of %d)" % (killed, KILLS)
        assert set(state["source"]) == set(source_uids), "a source workload was deleted"
        assert snapshot_uids(lab) == source_uids, "a source workload was re-created"
        for key, (replicas, ready) in state["target"].items():
            assert ready == replicas and replicas > 0, (key, replicas, ready)
        assert all(replicas == 0 for replicas, _ in state["source"].values())


def snapshot_uids(lab):
    from kubernetes import client

    apps = client.AppsV1Api(lab.api_client("source"))
    return dict(("%s/%s" % (ns, d.metadata.name), d.metadata.uid)
                for ns in ("shop", "web") for d in apps.list_namespaced_deployment(ns).items)
