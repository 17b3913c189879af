"""The whole migration against the lab, twice: the first run moves everything to CTyun, the
second run changes nothing on any host."""

from __future__ import annotations


import pytest
import yaml
from kubernetes import client

from tests.lab.fixtures import start_lab
from tests.utils.devpath import REPO
from tests.utils.migrate_run import run_playbook

pytestmark = pytest.mark.skipif(not (REPO / "playbooks" / "federation.yml").exists(),
                                reason="the federation stage (playbooks/federation.yml) is not available")

NAMESPACES = ["shop", "web"]


def apps(lab, context):
    return client.AppsV1Api(lab.api_client(context))


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
        # The first run at -vvvv: every module's arguments and results are printed, none may show a secret.
        first, recap1 = run_playbook(lab, work / "migration", verbosity=4)
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


def test_volume_claims_get_the_ctyun_storage_class(migrated):
    lab = migrated["lab"]
    core = client.CoreV1Api(lab.api_client("target"))
    claims = [c for ns in NAMESPACES for c in core.list_namespaced_persistent_volume_claim(ns).items]
    assert claims, "the seeded estate has PersistentVolumeClaims in %s" % NAMESPACES
    # storage_class_map of the example inventory: alicloud-disk-essd -> ctyun-ebs-ssd
    assert sorted(set(c.spec.storage_class_name for c in claims)) == ["ctyun-ebs-ssd"]


def test_second_run_changes_nothing(migrated):
    assert migrated["second"].returncode == 0, migrated["second"].stdout[-4000:]
    assert migrated["recap2"], migrated["second"].stdout[-2000:]
    changed = dict((host, r["changed"]) for host, r in migrated["recap2"].items() if r["changed"])
    assert not changed, "second run changed: %s\n%s" % (changed, migrated["second"].stdout[-6000:])


def secrets(lab, workdir):
    """Every credential of the run: CTyun AK/SK, the lab's bearer tokens, the credentials in the
    kubeconfigs the run obtained, the demo's database password."""
    found = {lab.env["CTYUN_ACCESS_KEY"], lab.env["CTYUN_SECRET_KEY"], "demo-only"}
    for path in [lab.dir / "kubeconfig"] + sorted(workdir.glob("*.kubeconfig")):
        for user in yaml.safe_load(path.read_text()).get("users") or []:
            for key in ("token", "client-key-data", "password"):
                if user.get("user", {}).get(key):
                    found.add(user["user"][key])
    return sorted(found)


def test_vvvv_output_and_written_files_hold_no_secret(migrated):
    lab, work = migrated["lab"], migrated["work"]
    values = secrets(lab, work)
    assert len(values) >= 5
    output = migrated["first"].stdout + migrated["first"].stderr
    assert "<ESTABLISH LOCAL CONNECTION" in output or "ansible_facts" in output or "invocation" in output, \
        "the run was not verbose"
    for value in values:
        assert value not in output, "a credential is printed at -vvvv"
    checked = 0
    for path in work.rglob("*"):
        if path.is_file() and not path.name.endswith(".kubeconfig"):
            text = path.read_text(errors="replace")
            checked += 1
            for value in values:
                assert value not in text, "a credential is written to %s" % path.name
    assert checked >= 8
    for path in work.glob("*.kubeconfig"):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path.name
