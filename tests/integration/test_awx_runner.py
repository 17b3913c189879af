"""Run a stage through ansible-runner the way AWX does: a private data directory with the
project, an inventory, extra vars from a survey and the CTyun credential injected as
environment variables; then check the runner's status, artifacts and that no secret leaks."""

from __future__ import annotations

import json
import shutil

import ansible_runner
import pytest

from tests.lab.fixtures import start_lab
from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("awx-lab"), LAB_WORKLOADS="6", LAB_READY_S="0.3") as handle:
        yield handle


@pytest.fixture(autouse=True)
def venv_on_path(monkeypatch):
    """AWX runs ansible-playbook from the execution environment's PATH."""
    import os
    import sys

    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))


def private_data_dir(tmp_path, lab):
    pdd = tmp_path / "pdd"
    shutil.copytree(REPO / "playbooks", pdd / "project")
    (pdd / "inventory").mkdir(parents=True)
    shutil.copy(lab.dir / "inventory.yml", pdd / "inventory" / "hosts.yml")
    (pdd / "env").mkdir()
    survey = {"migration_workdir": str(tmp_path / "work"), "target_cluster_kubernetes_version": "1.29.3"}
    (pdd / "env" / "extravars").write_text(json.dumps(survey))
    # what a CTyun credential type injects, plus the collection path of the execution environment
    envvars = dict((k, v) for k, v in lab.env.items() if k.startswith("CTYUN_"))
    envvars.update(ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    return pdd


def test_preflight_job_through_ansible_runner(lab, tmp_path):
    ensure_dev_path()
    pdd = private_data_dir(tmp_path, lab)
    result = ansible_runner.run(private_data_dir=str(pdd), playbook="preflight.yml", quiet=True, verbosity=3)
    assert result.status == "successful", result.stdout.read()[-3000:]
    assert result.rc == 0
    assert result.stats["ok"]["localhost"] >= 3 and not result.stats.get("failures")
    artifacts = pdd / "artifacts" / result.config.ident
    assert (artifacts / "job_events").is_dir() and list((artifacts / "job_events").iterdir())
    record = json.loads((tmp_path / "work" / "preflight.json").read_text())
    assert record["status"] == "done" and record["source_version"].startswith("v1.22")
    everything = (artifacts / "stdout").read_text() + "".join(
        p.read_text() for p in (artifacts / "job_events").iterdir())
    assert lab.env["CTYUN_SECRET_KEY"] not in everything
    for token in _tokens(lab):
        assert token not in everything


def test_failed_preflight_reports_reasons(lab, tmp_path):
    ensure_dev_path()
    pdd = private_data_dir(tmp_path, lab)
    env = json.loads((pdd / "env" / "envvars").read_text())
    env["CTYUN_SECRET_KEY"] = "not-the-secret"
    (pdd / "env" / "envvars").write_text(json.dumps(env))
    result = ansible_runner.run(private_data_dir=str(pdd), playbook="preflight.yml", quiet=True)
    assert result.status == "failed" and result.rc != 0
    failed = [e for e in result.events if e.get("event") == "runner_on_failed"]
    assert failed and "Preflight found" in failed[0]["event_data"]["res"]["msg"]
    assert "not-the-secret" not in json.dumps(failed)


def _tokens(lab):
    import yaml

    kc = yaml.safe_load((lab.dir / "kubeconfig").read_text())
    return [u["user"]["token"] for u in kc["users"]]
