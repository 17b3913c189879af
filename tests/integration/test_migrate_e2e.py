"""The whole migration against the lab, twice: the first run moves everything to CTyun, the
second run changes nothing on any host."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config

from tests.lab.fixtures import start_lab
from tests.utils.devpath import REPO
from tests.utils.migrate_run import run_playbook

pytestmark = pytest.mark.skipif(not (REPO / "playbooks" / "federation.yml").exists(),
                                reason="the federation stage (playbooks/federation.yml) is not available")

NAMESPACES = ["shop", "web"]


def apps(lab, context):
    cfg = client.Configuration()
    config.load_kube_config(config_file=lab.kubeconfig, context=context, client_configuration=cfg)
    return client.AppsV1Api(client.ApiClient(cfg))


def deployments(lab, context):
    api = apps(lab, context)
    out = {}
    for ns in NAMESPACES:
        for d in api.list_namespaced_deployment(ns).items:
            out["%s/%s" % (ns, d.metadata.name)] = d
    return out


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    with start_lab(work / "lab", LAB_WORKLOADS="12", LAB_READY_S="0.3", LAB_CLUSTER_READY_S="1") as lab:
        before = deployments(lab, "source")
        first, recap1 = run_playbook(lab, work / "migration")
        second, recap2 = run_playbook(lab, work / "migration")
        yield dict(lab=lab, work=work / "migration", before=before, first=first, recap1=recap1, second=second,
                   recap2=recap2, source=deployments(lab, "source"), target=deployments(lab, "target"))


def test_first_run_completes_every_stage(migrated):
    assert migrated["first"].returncode == 0, migrated["first"].stdout[-4000:]
    for stage in ("preflight", "assess", "data_migration", "target_cluster", "federation", "promote", "cutover"):
        assert (migrated["work"] / ("%s.json" % stage)).exists(), stage
    assert "<svg" in (migrated["work"] / "report.html").read_text()


def test_workloads_run_on_ctyun_and_source_is_kept(migrated):
    before, source, target = migrated["before"], migrated["source"], migrated["target"]
    assert set(source) == set(before), "a source workload was deleted"
    for key, dep in before.items():
        assert source[key].metadata.uid == dep.metadata.uid, "%s was re-created" % key
        assert source[key].spec.replicas == 0, "%s still runs on the source" % key
        assert key in target, "%s missing on CTyun" % key
        assert target[key].status.ready_replicas == dep.spec.replicas
        image = target[key].spec.template.spec.containers[0].image
        assert image.startswith("registry-huadong1.crs.ctyun.cn/"), image


def test_second_run_changes_nothing(migrated):
    assert migrated["second"].returncode == 0, migrated["second"].stdout[-4000:]
    assert migrated["recap2"], migrated["second"].stdout[-2000:]
    changed = dict((host, r["changed"]) for host, r in migrated["recap2"].items() if r["changed"])
    assert not changed, "second run changed: %s\n%s" % (changed, migrated["second"].stdout[-6000:])


def test_stage_records_hold_no_secret(migrated):
    lab = migrated["lab"]
    tokens = [u["user"]["token"] for u in __import__("yaml").safe_load((lab.dir / "kubeconfig").read_text())["users"]]
    for path in migrated["work"].glob("*.json"):
        text = path.read_text()
        assert lab.env["CTYUN_SECRET_KEY"] not in text, path
        for token in tokens:
            assert token not in text, path
        json.loads(text)
