"""cce_cluster / cce_cluster_info / role target_cluster against the CTyun simulation.

Modules run through their real entry point (tests/utils/modrun.py); the simulation is served over
HTTPS with its own CA, so TLS verification stays on. Outcomes are read back from the simulation
(clusters, node counts, request log), not from the module's own report.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.ctyunsim import table
from tests.lab.ctyunsim.standalone import StubLab, self_signed_tls, serve
from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path
from tests.utils.modrun import run_module

TOKEN = "lab-target-token-5f1e0c7a9b"
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: target
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: admin
  user: {token: %s}
contexts:
- name: target
  context: {cluster: target, user: admin}
current-context: target
""" % TOKEN
REGION = "cn-huadong1"
GUIDE_PLAN = dict(
    name="cce-prod-01", kubernetes_version="1.29.3", cluster_type="Host", vpc_id="vpc-0a1b2c3d",
    subnet_id="subnet-4e5f6a7b", network_plugin="cubecni", pod_cidr="172.16.0.0/16", service_cidr="10.96.0.0/16",
    api_server=dict(exposure="private_elb", elb_spec="standard I"), control_plane_count=3,
    node_pools=[dict(name="workers", flavor="general 4C8G", os_image="ctyunos23.01", count=3, disk_size=100)],
    tags={"project": "migration"}, description="target", wait_timeout=60, wait_sleep=1,
)


class CtyunLab:
    def __init__(self, tmp_path):
        self.lab = StubLab({"LAB_CLUSTER_READY_S": "1", "LAB_CLUSTER_DELETE_S": "0.5"}, {"target": KUBECONFIG})
        ssl_ctx, self.ca_path = self_signed_tls(str(tmp_path))
        self.server = serve(self.lab, ssl_ctx)
        self.auth = dict(access_key=table.DEFAULT_ACCESS_KEY, secret_key=table.DEFAULT_SECRET_KEY, region_id=REGION,
                         endpoint=self.server.url, ca_path=self.ca_path)
        self.env = dict(CTYUN_ACCESS_KEY=table.DEFAULT_ACCESS_KEY, CTYUN_SECRET_KEY=table.DEFAULT_SECRET_KEY,
                        CTYUN_REGION_ID=REGION, CTYUN_ENDPOINT=self.server.url, CTYUN_CA_BUNDLE=self.ca_path)

    @property
    def sim(self):
        from tests.lab.ctyunsim import SIM_KEY
        return self.server.app[SIM_KEY]

    def clusters(self):
        self.sim.run_due()
        return list(self.sim.state.get("cce", {}).get("clusters", {}).values())

    def writes(self):
        return [r for r in self.lab.request_log if r["write"]]

    def run(self, _module="cce_cluster", check=False, diff=False, **params):
        return run_module(_module, dict(self.auth, **params), check=check, diff=diff)


@pytest.fixture
def ctyun(tmp_path):
    lab = CtyunLab(tmp_path)
    yield lab
    lab.server.stop()


def test_create_waits_writes_kubeconfig_and_second_run_is_unchanged(ctyun, tmp_path):
    path = tmp_path / "out" / "target.kubeconfig"
    first = ctyun.run(kubeconfig_path=str(path), **GUIDE_PLAN)
    assert not first.failed, first.get("msg")
    assert first["changed"] is True
    (cluster,) = ctyun.clusters()
    assert cluster["clusterStatus"] == "running" and cluster["kubernetesVersion"] == "1.29.3"
    assert cluster["containerNetworkType"] == "cubecni" and cluster["controlPlaneCount"] == 3
    assert cluster["apiServerAccess"] == {"type": "private_elb", "elbSpec": "standard I"}
    assert [(p["flavorName"], p["osImage"], p["nodeCount"]) for p in cluster["nodePools"]] == [
        ("general 4C8G", "ctyunos23.01", 3)]
    assert path.read_text() == KUBECONFIG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TOKEN not in first.stdout
    assert first["cluster"]["id"] == cluster["clusterId"]

    writes_before = len(ctyun.writes())
    second = ctyun.run(kubeconfig_path=str(path), **GUIDE_PLAN)
    assert not second.failed, second.get("msg")
    assert second["changed"] is False and second["actions"] == []
    assert len(ctyun.writes()) == writes_before


def test_wait_false_returns_while_creating_then_wait_finishes(ctyun, tmp_path):
    path = tmp_path / "kc"
    started = ctyun.run(**dict(GUIDE_PLAN, wait=False, kubeconfig_path=str(path), kubeconfig_type="internal"))
    assert not started.failed, started.get("msg")
    assert started["changed"] is True and started["cluster"]["status"] == "creating"
    assert not path.exists() and "kubeconfig was not fetched" in json.dumps(started.get("warnings"))
    finished = ctyun.run(**dict(GUIDE_PLAN, kubeconfig_path=str(path), kubeconfig_type="internal"))
    assert not finished.failed, finished.get("msg")
    assert finished["cluster"]["status"] == "running" and path.read_text() == KUBECONFIG
    assert len(ctyun.clusters()) == 1
    assert [r["method"] for r in ctyun.writes()] == ["POST"]


def test_check_mode_creates_nothing_and_diff_shows_plan(ctyun):
    result = ctyun.run(check=True, diff=True, **GUIDE_PLAN)
    assert result["changed"] is True
    assert result["diff"]["before"] == {} and result["diff"]["after"]["kubernetes_version"] == "1.29.3"
    assert ctyun.clusters() == []
    assert ctyun.writes() == []


def test_check_mode_update_makes_no_write(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    writes = len(ctyun.writes())
    changed = dict(GUIDE_PLAN, description="new", node_pools=[dict(name="workers", count=5)])
    result = ctyun.run(check=True, diff=True, **changed)
    assert result["changed"] is True
    assert result["diff"]["before"]["node_pools"][0]["count"] == 3
    assert result["diff"]["after"]["node_pools"][0]["count"] == 5
    assert len(ctyun.writes()) == writes
    assert ctyun.clusters()[0]["nodePools"][0]["nodeCount"] == 3


def test_immutable_change_fails_listing_fields_before_any_write(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    writes = len(ctyun.writes())
    bad = dict(GUIDE_PLAN, kubernetes_version="1.31.1", network_plugin="calico", description="also changed")
    result = ctyun.run(**bad)
    assert result.failed
    fields = [d["field"] for d in result["immutable"]]
    assert fields == ["kubernetes_version", "network_plugin"]
    assert "current '1.29.3', wanted '1.31.1'" in result["msg"]
    assert "current 'cubecni', wanted 'calico'" in result["msg"]
    assert len(ctyun.writes()) == writes
    assert ctyun.clusters()[0]["description"] == "target"


def test_mutable_update_then_unchanged(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    wanted = dict(GUIDE_PLAN, description="scaled", tags={"project": "migration", "owner": "ops"},
                  node_pools=[dict(name="workers", count=5),
                              dict(name="batch", flavor="general 8C16G", os_image="ctyunos23.01", count=1)])
    result = ctyun.run(**wanted)
    assert not result.failed, result.get("msg")
    assert result["changed"] is True
    (cluster,) = ctyun.clusters()
    assert cluster["description"] == "scaled"
    assert {t["key"]: t["value"] for t in cluster["tags"]} == {"project": "migration", "owner": "ops"}
    assert {p["nodePoolName"]: p["nodeCount"] for p in cluster["nodePools"]} == {"workers": 5, "batch": 1}
    again = ctyun.run(**wanted)
    assert again["changed"] is False, again.get("actions")


def test_absent_needs_force_delete_when_node_pools_exist(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    refused = ctyun.run(name=GUIDE_PLAN["name"], state="absent")
    assert refused.failed and "force_delete" in refused["msg"]
    assert len(ctyun.clusters()) == 1
    check = ctyun.run(check=True, name=GUIDE_PLAN["name"], state="absent", force_delete=True)
    assert check["changed"] is True and len(ctyun.clusters()) == 1
    deleted = ctyun.run(name=GUIDE_PLAN["name"], state="absent", force_delete=True, wait_sleep=1)
    assert not deleted.failed, deleted.get("msg")
    assert deleted["changed"] is True
    assert ctyun.clusters() == []
    again = ctyun.run(name=GUIDE_PLAN["name"], state="absent")
    assert again["changed"] is False and not again.failed


def test_absent_without_node_pools_deletes_without_force(ctyun):
    assert not ctyun.run(**dict(GUIDE_PLAN, node_pools=[])).failed
    result = ctyun.run(name=GUIDE_PLAN["name"], state="absent", wait_sleep=1)
    assert not result.failed, result.get("msg")
    assert result["changed"] is True and ctyun.clusters() == []


def test_lost_response_on_create_yields_exactly_one_cluster(ctyun):
    ctyun.lab.knobs["LAB_FAULT_RATE"] = "1"
    ctyun.lab.knobs["LAB_FAULT_METHODS"] = "POST"
    result = ctyun.run(**GUIDE_PLAN)
    assert not result.failed, result.get("msg")
    assert result["recovered_lost_response"] is True
    assert len(ctyun.clusters()) == 1
    creates = [r for r in ctyun.lab.request_log if r["method"] == "POST"]
    assert len(creates) == 1
    ctyun.lab.knobs["LAB_FAULT_RATE"] = "0"
    assert ctyun.run(**GUIDE_PLAN)["changed"] is False
    assert len(ctyun.clusters()) == 1


def test_mixed_faults_create_update_delete_exactly_once(ctyun):
    ctyun.lab.knobs.update(LAB_FAULT_RATE="0.3", LAB_FAULT_KIND="mixed", LAB_SEED="7")
    created = ctyun.run(**GUIDE_PLAN)
    assert not created.failed, created.get("msg")
    assert len(ctyun.clusters()) == 1
    faults = [r for r in ctyun.lab.request_log if r["status"] in (0, 429, 500, 503)]
    assert faults, "the seed should inject at least one fault"
    scaled = ctyun.run(**dict(GUIDE_PLAN, node_pools=[dict(name="workers", count=4)]))
    assert not scaled.failed, scaled.get("msg")
    assert ctyun.clusters()[0]["nodePools"][0]["nodeCount"] == 4
    deleted = ctyun.run(name=GUIDE_PLAN["name"], state="absent", force_delete=True, wait_sleep=1)
    assert not deleted.failed, deleted.get("msg")
    assert ctyun.clusters() == []


def test_wrong_secret_key_gives_clear_error(ctyun):
    result = run_module("cce_cluster", dict(ctyun.auth, secret_key="not-the-secret-0001", **GUIDE_PLAN))
    assert result.failed
    assert "EOP_AUTH_SIGNATURE_MISMATCH" in result["msg"] and "secret_key" in result["msg"]
    assert "CTYUN_SECRET_KEY" in result["msg"]
    assert "not-the-secret-0001" not in result.stdout + result.stderr
    assert ctyun.clusters() == []


def test_missing_credentials_name_env_vars(ctyun):
    env = {k: "" for k in ("CTYUN_ACCESS_KEY", "CTYUN_SECRET_KEY", "CTYUN_REGION_ID")}
    params = dict(GUIDE_PLAN, endpoint=ctyun.server.url, ca_path=ctyun.ca_path)
    result = run_module("cce_cluster", params, env=env)
    assert result.failed
    for var in ("CTYUN_ACCESS_KEY", "CTYUN_SECRET_KEY", "CTYUN_REGION_ID"):
        assert var in result["msg"]
    assert ctyun.lab.request_log == []


@pytest.mark.parametrize(
    "override, fragment, calls",
    [
        (dict(pod_cidr="10.96.0.0/12"), "overlaps service_cidr", 0),
        (dict(control_plane_count=2), "control_plane_count 2", 0),
        (dict(node_pools=[dict(name="w", flavor="4C8G general", os_image="ctyunos23.01", count=1)]), "flavor", 0),
        (dict(node_pools=[dict(name="w", flavor="general 4C8G", os_image="ctyunos-23", count=1)]), "os_image", 0),
        (dict(kubernetes_version="1.30.0"), "1.30.0 is not offered", 1),
    ],
)
def test_bad_input_fails_before_any_write(ctyun, override, fragment, calls):
    result = ctyun.run(**dict(GUIDE_PLAN, **override))
    assert result.failed and fragment in result["msg"]
    assert ctyun.writes() == []
    assert len(ctyun.lab.request_log) == calls


def test_tls_verification_is_on(ctyun):
    auth = dict(ctyun.auth)
    auth.pop("ca_path")
    result = run_module("cce_cluster_info", dict(auth, gather=["versions"]), env={"CTYUN_CA_BUNDLE": ""})
    assert result.failed and "TLS verification" in result["msg"]


def test_return_kubeconfig_requires_no_log(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    refused = ctyun.run(name=GUIDE_PLAN["name"], return_kubeconfig=True)
    assert refused.failed and "no_log" in refused["msg"]
    given = ctyun.run(name=GUIDE_PLAN["name"], return_kubeconfig=True, _ansible_no_log=True)
    assert not given.failed and given["kubeconfig"] == KUBECONFIG and given["changed"] is False


def test_info_lists_clusters_versions_quotas_pools_and_tasks(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    info = ctyun.run("cce_cluster_info", name=GUIDE_PLAN["name"],
                     gather=["clusters", "node_pools", "tasks", "versions", "quotas"])
    assert not info.failed, info.get("msg")
    assert "1.29.3" in info["versions"]
    assert info["quotas"]["cluster"] == {"limit": 5, "used": 1, "available": 4}
    assert info["quotas"]["node"]["used"] == 3
    (cluster,) = info["clusters"]
    assert cluster["status"] == "running" and cluster["node_pools"][0]["count"] == 3
    assert [t["type"] for t in cluster["tasks"]] == ["CreateCluster"]
    none = ctyun.run("cce_cluster_info", name="cce-prod")
    assert none["clusters"] == []


# -- the role, through ansible-playbook -------------------------------------------------
def _playbook(ctyun, tmp_path, verbosity="-vvvv", extra_vars=None, args=()):
    ensure_dev_path()
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    (inv / "hosts.yml").write_text(
        "target:\n  hosts:\n    target_cluster:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: %s\n" % sys.executable)
    workdir = tmp_path / "migration"
    group_vars = dict(migration_workdir=str(workdir), target_kubeconfig=str(workdir / "target.kubeconfig"),
                      target_cluster_name="cce-prod-01", target_cluster_vpc_id="vpc-0a1b2c3d",
                      target_cluster_subnet_id="subnet-4e5f6a7b", target_cluster_wait_timeout=60)
    group_vars.update(extra_vars or {})
    (inv / "group_vars" / "all.yml").write_text(json.dumps(group_vars))
    env = dict(os.environ, **ctyun.env)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(DEV_ROOT)
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv),
           str(REPO / "playbooks" / "target_cluster.yml")] + ([verbosity] if verbosity else []) + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    return proc, workdir


def test_role_creates_records_and_keeps_secrets_out_of_verbose_output(ctyun, tmp_path):
    proc, workdir = _playbook(ctyun, tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert table.DEFAULT_SECRET_KEY not in output
    assert TOKEN not in output
    (cluster,) = ctyun.clusters()
    assert cluster["kubernetesVersion"] == "1.29.3" and cluster["containerNetworkType"] == "cubecni"
    assert cluster["apiServerAccess"]["elbSpec"] == "standard I" and cluster["controlPlaneCount"] == 3
    assert [(p["flavorName"], p["osImage"], p["nodeCount"]) for p in cluster["nodePools"]] == [
        ("general 4C8G", "ctyunos23.01", 3)]
    kubeconfig = workdir / "target.kubeconfig"
    assert kubeconfig.read_text() == KUBECONFIG and stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    record = json.loads((workdir / "target_cluster.json").read_text())
    assert record["stage"] == "target_cluster" and record["summary"]["id"] == cluster["clusterId"]
    assert record["summary"]["nodes"] == 3
    assert table.DEFAULT_SECRET_KEY not in json.dumps(record) and TOKEN not in json.dumps(record)

    again, _ = _playbook(ctyun, tmp_path, verbosity=None)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout, again.stdout[-3000:]


def test_role_check_mode_writes_nothing(ctyun, tmp_path):
    proc, workdir = _playbook(ctyun, tmp_path, verbosity=None, args=["--check", "--diff"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "create cluster cce-prod-01" in proc.stdout
    assert ctyun.writes() == [] and ctyun.clusters() == []
    assert not (workdir / "target.kubeconfig").exists()


def test_role_preflight_fails_fast_on_version_and_quota(ctyun, tmp_path):
    proc, _ = _playbook(ctyun, tmp_path, verbosity=None,
                        extra_vars=dict(target_cluster_kubernetes_version="1.30.0"))
    assert proc.returncode != 0 and "1.30.0 is not offered" in proc.stdout
    ctyun.lab.knobs["LAB_CCE_NODE_QUOTA"] = "2"
    proc, _ = _playbook(ctyun, tmp_path, verbosity=None)
    assert proc.returncode != 0 and "Not enough CCE quota" in proc.stdout
    assert ctyun.writes() == []


@pytest.mark.parametrize("cluster_type, api_server, expected_access", [
    ("Virtual", dict(exposure="public_elb", elb_spec="standard II"), {"type": "public_elb", "elbSpec": "standard II"}),
    ("Intelligent", dict(exposure="none"), {"type": "none"}),
    ("Host", dict(exposure="private_elb", elb_spec="standard I"), {"type": "private_elb", "elbSpec": "standard I"}),
])
def test_cluster_types_and_api_server_exposures(ctyun, cluster_type, api_server, expected_access):
    wanted = dict(GUIDE_PLAN, cluster_type=cluster_type, api_server=api_server)
    first = ctyun.run(**wanted)
    assert not first.failed, first.get("msg")
    (cluster,) = ctyun.clusters()
    assert cluster["clusterType"] == cluster_type
    assert {k: v for k, v in cluster["apiServerAccess"].items() if v is not None} == expected_access
    assert ctyun.run(**wanted)["changed"] is False


def test_purge_tags_false_keeps_tags_set_elsewhere(ctyun):
    assert not ctyun.run(**dict(GUIDE_PLAN, tags={"project": "migration", "cost-center": "42"})).failed
    kept = ctyun.run(**dict(GUIDE_PLAN, tags={"owner": "ops"}, purge_tags=False))
    assert not kept.failed and kept["changed"] is True, kept.get("msg")
    (cluster,) = ctyun.clusters()
    assert {t["key"]: t["value"] for t in cluster["tags"]} == {"project": "migration", "cost-center": "42",
                                                                 "owner": "ops"}
    assert ctyun.run(**dict(GUIDE_PLAN, tags={"owner": "ops"}, purge_tags=False))["changed"] is False
    purged = ctyun.run(**dict(GUIDE_PLAN, tags={"owner": "ops"}))
    assert purged["changed"] is True
    assert {t["key"]: t["value"] for t in ctyun.clusters()[0]["tags"]} == {"owner": "ops"}
