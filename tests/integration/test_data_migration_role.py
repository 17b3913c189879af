"""Role data_migration through ansible-playbook: real registries (images), the CTyun simulation
(data transfer) and an assessment file (image list and PVCs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.registry.harness import LAB_PASSWORD, LAB_USER, ensure_tools, start_lab, stop_lab
from tests.lab.ctyunsim import SIM_KEY, table
from tests.lab.ctyunsim.standalone import StubLab, self_signed_tls, serve
from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path

REGION = "cn-huadong1"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    missing = ensure_tools()
    if missing:
        pytest.skip("registry tools missing: %s" % ", ".join(missing))
    work = tmp_path_factory.mktemp("dm")
    registries = start_lab(work / "registries")
    stub = StubLab({"LAB_DTS_FULL_S": "0.5", "LAB_DTS_CATCHUP_S": "0.5", "LAB_DTS_STEADY_LAG_S": "2"})
    ssl_ctx, ca_path = self_signed_tls(str(work))
    server = serve(stub, ssl_ctx)
    yield dict(registries=registries, server=server, ca_path=ca_path, work=work)
    server.stop()
    stop_lab(registries)


def _setup(env, tmp_path, extra=None, pvcs=True):
    ensure_dev_path()
    src, dst = env["registries"]["src"], env["registries"]["dst"]
    workdir = tmp_path / "migration"
    (workdir / "assessment").mkdir(parents=True, exist_ok=True)
    storage = dict(storage_classes=[dict(name="alicloud-disk-essd", provisioner="diskplugin.csi.alibabacloud.com",
                                         category="block-ssd"),
                                    dict(name="alicloud-nas", provisioner="nasplugin.csi.alibabacloud.com",
                                         category="file")],
                   persistent_volume_claims=dict(count=2, items=[
                       dict(namespace="shop", name="data-mysql-0", size="20Gi", storage_class="alicloud-disk-essd",
                            access_modes=["ReadWriteOnce"]),
                       dict(namespace="shop", name="uploads", size="200Gi", storage_class="alicloud-nas",
                            access_modes=["ReadWriteMany"])]) if pvcs else dict(count=0, by_class={}))
    # as cluster_assess writes them: the reference used by pods plus its parsed parts
    assessment = dict(facts=dict(images=dict(unique=2, items=[
        dict(image="%s/shop/web:1.0" % src.host, registry=src.host, repository="shop/web", tag="1.0", digest=None,
             workloads=2),
        dict(image="%s/shop/tool:2.0" % src.host, registry=src.host, repository="shop/tool", tag="2.0", digest=None,
             workloads=1)]), storage=storage))
    (workdir / "assessment" / "assessment.json").write_text(json.dumps(assessment))
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    (inv / "hosts.yml").write_text("source:\n  hosts:\n    source_cluster:\n      ansible_connection: local\n"
                                   "      ansible_python_interpreter: %s\n" % sys.executable)
    group_vars = dict(
        migration_workdir=str(workdir),
        registry_map=[{"from": src.host + "/shop", "to": dst.host + "/cn-shop"}],
        storage_class_map={"alicloud-disk-essd": "ctyun-ebs-ssd"},
        data_migration_source_registry=dict(url=src.url),
        data_migration_target_registry=dict(url=dst.url, username=LAB_USER, password=LAB_PASSWORD),
        data_migration_databases=[dict(
            name="orders-to-rds-%s" % tmp_path.name[-6:],
            source=dict(engine="mysql", host="10.0.3.15", username="repl", password="src-db-secret",
                        databases=["orders"]),
            target=dict(rds_instance_id="rds-7f3a9c", username="app", password="rds-db-secret"))],
        data_migration_db_wait_timeout=60,
    )
    group_vars.update(extra or {})
    (inv / "group_vars" / "all.yml").write_text(json.dumps(group_vars))
    return inv, workdir


def _play(env, inv, args=()):
    run_env = dict(os.environ, CTYUN_ACCESS_KEY=table.DEFAULT_ACCESS_KEY, CTYUN_SECRET_KEY=table.DEFAULT_SECRET_KEY,
                   CTYUN_REGION_ID=REGION, CTYUN_ENDPOINT=env["server"].url, CTYUN_CA_BUNDLE=env["ca_path"],
                   ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv),
           str(REPO / "playbooks" / "data_migration.yml")] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=600, check=False)


def test_role_moves_images_and_databases_and_stops_for_volumes(env, tmp_path):
    src, dst = env["registries"]["src"], env["registries"]["dst"]
    inv, workdir = _setup(env, tmp_path)
    proc = _play(env, inv)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "PVC(s) hold data this collection does not move" in out and "volume_plan.json" in out
    assert "alicloud-nas" in out            # unmapped class named
    for secret in (LAB_PASSWORD, "src-db-secret", "rds-db-secret", table.DEFAULT_SECRET_KEY):
        assert secret not in out
    # images really copied, with the assessment's list and the shared registry_map
    assert dst.manifest_digest("cn-shop/web", "1.0") == src.manifest_digest("shop/web", "1.0")
    assert dst.manifest_digest("cn-shop/tool", "2.0") == src.manifest_digest("shop/tool", "2.0")
    # database task replicating in the simulation
    sim = env["server"].app[SIM_KEY]
    sim.run_due()
    tasks = [t for t in sim.state["dts"]["tasks"].values() if t["taskName"].endswith(tmp_path.name[-6:])]
    assert len(tasks) == 1 and tasks[0]["incremental"]["status"] == "running"
    plan = json.loads((workdir / "volume_plan.json").read_text())
    rows = {r["name"]: r for r in plan["pvcs"]}
    assert rows["data-mysql-0"]["proposed_class"] == "ctyun-ebs-ssd"
    assert rows["data-mysql-0"]["method"] == "fs-backup-restore"
    assert rows["data-mysql-0"]["size_bytes"] == 20 * 1024 ** 3
    assert rows["uploads"]["method"] == "file-copy" and rows["uploads"]["proposed_class"] is None
    record = json.loads((workdir / "data_migration.json").read_text())
    assert record["status"] == "running" and record["waiting_for"] == "volumes"
    assert record["registry_map"] == [{"from": src.host + "/shop", "to": dst.host + "/cn-shop"}]
    assert [i["digest"] for i in record["images"]] == [src.manifest_digest("shop/web", "1.0"),
                                                       src.manifest_digest("shop/tool", "2.0")]
    assert "password" not in json.dumps(record)

    done = _play(env, inv, ["-e", "data_migration_volumes_done=true", "-vvv"])
    assert done.returncode == 0, done.stdout[-3000:]
    for secret in (LAB_PASSWORD, "src-db-secret", "rds-db-secret", table.DEFAULT_SECRET_KEY):
        assert secret not in done.stdout + done.stderr, secret
    # re-run with the cutover gate (lag 2 s in the lab, threshold 5 s): read only, nothing changes
    again = _play(env, inv, ["-e", "data_migration_volumes_done=true", "-e", "data_migration_check_cutover_ready=true"])
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout, again.stdout[-3000:]
    assert "Cutover gate" in again.stdout
    # a threshold below the lag stops the play at the gate
    gate = _play(env, inv, ["-e", "data_migration_volumes_done=true", "-e", "data_migration_check_cutover_ready=true",
                            "-e", "data_migration_max_lag_seconds=1", "-e", "data_migration_cutover_wait_timeout=1"])
    assert gate.returncode != 0
    assert "not ready for cutover" in gate.stdout and "above the threshold of 1s" in gate.stdout, gate.stdout[-2500:]


def test_role_runs_a_plugged_in_volume_tool(env, tmp_path):
    marker_dir = tmp_path / "moved"
    tasks = tmp_path / "move_volume.yml"
    tasks.write_text(
        "- name: Pretend to move {{ data_migration_pvc.name }}\n"
        "  ansible.builtin.copy:\n"
        "    dest: \"%s/{{ data_migration_pvc.namespace }}-{{ data_migration_pvc.name }}\"\n"
        "    content: \"{{ data_migration_pvc.method }} {{ data_migration_pvc.size_bytes }}\"\n"
        "    mode: \"0600\"\n" % marker_dir)
    marker_dir.mkdir()
    inv, _workdir = _setup(env, tmp_path, extra=dict(data_migration_volume_tasks=str(tasks),
                                                     data_migration_volume_tool="lab-mover",
                                                     data_migration_skip_images=True,
                                                     data_migration_databases=[]))
    proc = _play(env, inv)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert sorted(p.name for p in marker_dir.iterdir()) == ["shop-data-mysql-0", "shop-uploads"]
    assert (marker_dir / "shop-uploads").read_text() == "file-copy %d" % (200 * 1024 ** 3)


def test_role_check_mode_writes_nothing(env, tmp_path):
    dst = env["registries"]["dst"]
    inv, workdir = _setup(env, tmp_path, pvcs=False)
    mark = dst.log_mark()
    sim = env["server"].app[SIM_KEY]
    before = len(sim.state.get("dts", {}).get("tasks", {}))
    proc = _play(env, inv, ["--check", "--diff"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert dst.writes_since(mark) == []
    assert len(sim.state.get("dts", {}).get("tasks", {})) == before
    assert not (workdir / "data_migration.json").exists()
    assert not (workdir / "volume_plan.json").exists()
