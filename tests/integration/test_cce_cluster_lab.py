"""cce_cluster against the whole lab (``tests/lab/labctl.py up``): the CTyun simulation served next to
the Kubernetes servers, with the lab's own TLS, credentials (``env.sh``) and request log."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.utils.devpath import REPO
from tests.utils.modrun import run_module

LABCTL = REPO / "tests/lab/labctl.py"
pytestmark = pytest.mark.skipif(not LABCTL.exists(), reason="the lab (tests/lab/labctl.py) is not available")
PLAN = dict(name="cce-lab-01", kubernetes_version="1.29.3", vpc_id="vpc-lab", subnet_id="subnet-lab",
            network_plugin="cubecni", control_plane_count=3,
            api_server=dict(exposure="private_elb", elb_spec="standard I"),
            node_pools=[dict(name="workers", flavor="general 4C8G", os_image="ctyunos23.01", count=3)],
            wait_timeout=120, wait_sleep=1)


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            env[key] = value.strip().strip("'\"")
    return env


@pytest.fixture(scope="module")
def lab():
    lab_dir = Path(tempfile.mkdtemp(prefix="lab-cce-"))
    env = dict(os.environ)
    env.pop("LAB_FAULT_RATE", None)
    up = subprocess.run([sys.executable, str(LABCTL), "up", "--dir", str(lab_dir)], cwd=REPO, env=env,
                        capture_output=True, text=True, timeout=300, check=False)
    if up.returncode != 0:
        shutil.rmtree(lab_dir, ignore_errors=True)
        pytest.fail("lab did not start: %s" % (up.stdout + up.stderr)[-3000:])
    try:
        lab_env = read_env(lab_dir / "env.sh")
        if not lab_env.get("CTYUN_ENDPOINT"):
            pytest.skip("the lab does not serve the CTyun simulation yet")
        yield lab_dir, {k: v for k, v in lab_env.items() if k.startswith("CTYUN_")}
    finally:
        subprocess.run([sys.executable, str(LABCTL), "down", "--dir", str(lab_dir)], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120, check=False)
        shutil.rmtree(lab_dir, ignore_errors=True)


def ctyun_writes(lab_dir):
    path = lab_dir / "requests.jsonl"
    if not path.exists():
        return []
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in entries if e.get("server") == "ctyun" and e.get("method") in ("POST", "PUT", "DELETE")]


def test_create_unchanged_check_mode_and_delete(lab, tmp_path):
    lab_dir, env = lab
    kubeconfig = tmp_path / "target.kubeconfig"
    params = dict(PLAN, kubeconfig_path=str(kubeconfig))
    created = run_module("cce_cluster", params, env=env)
    assert not created.failed, created.get("msg")
    assert created["changed"] is True and created["cluster"]["status"] == "running"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["clusters"] and config["users"]
    secret = env.get("CTYUN_SECRET_KEY")
    assert secret and secret not in created.stdout + created.stderr

    writes = len(ctyun_writes(lab_dir))
    again = run_module("cce_cluster", params, env=env)
    assert again["changed"] is False
    check = run_module("cce_cluster", dict(params, description="would change"), env=env, check=True)
    assert check["changed"] is True
    assert len(ctyun_writes(lab_dir)) == writes

    info = run_module("cce_cluster_info", dict(name=PLAN["name"], gather=["clusters", "versions"]), env=env)
    assert [c["name"] for c in info["clusters"]] == [PLAN["name"]] and "1.29.3" in info["versions"]
    gone = run_module("cce_cluster", dict(name=PLAN["name"], state="absent", force_delete=True, wait_sleep=1),
                      env=env)
    assert not gone.failed and gone["changed"] is True
    assert run_module("cce_cluster_info", dict(name=PLAN["name"]), env=env)["clusters"] == []
