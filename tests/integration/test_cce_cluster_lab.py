"""cce_cluster and the target_cluster role against the whole lab (``tests/lab/fixtures.start_lab``): the
CTyun simulation served next to the Kubernetes servers, with the lab's TLS, credentials, request log and
fault middleware."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path
from tests.utils.modrun import run_module

PLAN = dict(name="cce-lab-01", kubernetes_version="1.29.3", vpc_id="vpc-lab", subnet_id="subnet-lab",
            zones=["cn-huadong1-jsnj1A-public-ctcloud"],
            network=dict(plugin="cubecni", pod_subnet_ids=["subnet-lab-pods"]),
            api_server=dict(elb_spec="standardI"), control_plane=dict(count=3, flavor="s7.xlarge.2"),
            workers=dict(flavor="s7.xlarge.2", count=3, image_id="img-ctyunos2301-ccse"),
            wait_timeout=120, wait_sleep=1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from tests.lab.fixtures import start_lab

    with start_lab(tmp_path_factory.mktemp("lab-cce"), LAB_CLUSTER_READY_S="1", LAB_WORKLOADS="3") as handle:
        assert "ctyun" in handle.ports, "the lab does not serve the CTyun simulation"
        handle.ctyun_env = dict((k, v) for k, v in handle.env.items() if k.startswith("CTYUN_"))
        yield handle


def names(lab):
    info = run_module("cce_cluster_info", {}, env=lab.ctyun_env)
    assert not info.failed, info.get("msg")
    return sorted(c["name"] for c in info["clusters"])


def test_create_unchanged_check_mode_immutable_and_delete(lab, tmp_path):
    env = lab.ctyun_env
    kubeconfig = tmp_path / "target.kubeconfig"
    params = dict(PLAN, kubeconfig_path=str(kubeconfig))
    created = run_module("cce_cluster", params, env=env)
    assert not created.failed, created.get("msg")
    assert created["changed"] is True and created["cluster"]["status"] == "normal"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    config = yaml.safe_load(kubeconfig.read_text())
    server = config["clusters"][0]["cluster"]["server"]
    assert server.endswith(":%d" % lab.ports["target"])
    token = config["users"][0]["user"]["token"]
    assert token not in created.stdout and env["CTYUN_SECRET_KEY"] not in created.stdout + created.stderr

    mark = lab.mark()
    assert run_module("cce_cluster", params, env=env)["changed"] is False
    check = run_module("cce_cluster", dict(params, description="would change"), env=env, check=True)
    assert check["changed"] is True
    bad = run_module("cce_cluster", dict(params, kubernetes_version="1.31.6"), env=env)
    assert bad.failed and [d["field"] for d in bad["immutable"]] == ["kubernetes_version"]
    assert lab.writes(mark, server="ctyun") == []

    gone = run_module("cce_cluster", dict(name=PLAN["name"], state="absent", force_delete=True, wait_sleep=1),
                      env=env)
    assert not gone.failed and gone["changed"] is True
    assert PLAN["name"] not in names(lab)


def test_faults_never_duplicate_a_cluster(lab):
    env = lab.ctyun_env
    with lab.faults(rate=0.25):
        created = run_module("cce_cluster", dict(PLAN, name="cce-lab-faults"), env=env)
    assert not created.failed, created.get("msg")
    assert names(lab).count("cce-lab-faults") == 1
    faults = [r for r in lab.requests() if r["server"] == "ctyun" and r.get("fault")]
    assert faults, "expected injected faults on the CTyun server"
    assert not run_module("cce_cluster", dict(name="cce-lab-faults", state="absent", force_delete=True,
                                              wait_sleep=1), env=env).failed


def test_role_verbose_output_has_no_secret_or_token(lab, tmp_path):
    ensure_dev_path()
    workdir = tmp_path / "migration"
    env = dict(os.environ, **lab.ctyun_env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    inventory = lab.dir / "inventory.yml"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
           str(REPO / "playbooks" / "target_cluster.yml"), "-vvvv",
           "-e", "migration_workdir=%s" % workdir, "-e", "target_kubeconfig=%s" % (workdir / "target.kubeconfig"),
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    config = yaml.safe_load((workdir / "target.kubeconfig").read_text())
    assert config["users"][0]["user"]["token"] not in output
    assert lab.ctyun_env["CTYUN_SECRET_KEY"] not in output
    assert (workdir / "target_cluster.json").exists()


def _preflight(lab, tmp_path, target_vars):
    """playbooks/preflight.yml with the documented inventory layout: hosts.yml of inventory/example,
    group_vars/all.yml (the lab's access) and the plan in group_vars/target.yml."""
    ensure_dev_path()
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text((REPO / "inventory" / "example" / "hosts.yml").read_text())
    lab_vars = yaml.safe_load((lab.dir / "inventory.yml").read_text())["all"]["vars"]
    lab_vars["migration_workdir"] = str(tmp_path / "work")
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump(lab_vars))
    (inv / "group_vars" / "target.yml").write_text(yaml.safe_dump(target_vars))
    env = dict(os.environ, **lab.ctyun_env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv),
           str(REPO / "playbooks" / "preflight.yml"), "-e", "ansible_python_interpreter=%s" % sys.executable]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_preflight_reads_the_plan_from_group_vars_target(lab, tmp_path):
    bad = _preflight(lab, tmp_path / "bad", dict(target_cluster_name="cce-plan-x",
                                                 target_cluster_kubernetes_version="1.99.0",
                                                 target_cluster_node_count=9999))
    assert bad.returncode != 0, bad.stdout[-3000:]
    assert "1.99.0" in bad.stdout and "quota 'node'" in bad.stdout, bad.stdout[-3000:]
    good = _preflight(lab, tmp_path / "good", dict(target_cluster_name="cce-plan-x",
                                                   target_cluster_kubernetes_version="1.29.3"))
    assert good.returncode == 0, good.stdout[-3000:]
    record = json.loads((tmp_path / "good" / "work" / "preflight.json").read_text())
    assert record["summary"]["target_version"] == "1.29.3"
    assert "3 workers (default) + 3 control-plane nodes checked" in " ".join(good.stdout.split()), good.stdout[-2000:]
    (tmp_path / "sized" / "work").mkdir(parents=True)
    (tmp_path / "sized" / "work" / "assess.json").write_text(json.dumps({"proposal": {"nodes": {"count": 7}}}))
    sized = _preflight(lab, tmp_path / "sized", dict(target_cluster_kubernetes_version="1.29.3"))
    assert sized.returncode == 0, sized.stdout[-3000:]
    assert "7 workers (assessment) + 3 control-plane nodes checked" in " ".join(sized.stdout.split()), \
        sized.stdout[-2000:]
