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
ZONE = table.REGION_ZONES[REGION][0]
IMAGE = "img-ctyunos2301-ccse"
# The CCE One guide's plan: 1.29.3, cubecni, private ELB standardI, 3 control-plane nodes, 4C8G workers
# (s7.xlarge.2) on CTyunOS 23.01.
GUIDE_PLAN = dict(
    name="cce-prod-01", kubernetes_version="1.29.3", cluster_series="standard", vpc_id="vpc-0a1b2c3d",
    subnet_id="subnet-4e5f6a7b", zones=[ZONE],
    network=dict(plugin="cubecni", pod_subnet_ids=["subnet-pods01"], service_cidr="10.96.0.0/16"),
    api_server=dict(elb_spec="standardI", public_eip=False),
    control_plane=dict(count=3, flavor="s7.xlarge.2"),
    workers=dict(flavor="s7.xlarge.2", count=3, image_id=IMAGE),
    tags={"project": "migration"}, description="target", wait_timeout=60, wait_sleep=1,
)
BATCH_POOL = dict(name="batch", flavor="s7.2xlarge.2", image_id=IMAGE, key_name="ops", key_pair_id="kp-0001", count=1)


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


def pools(cluster):
    return {p["nodePoolName"]: len(p["_nodes"]) for p in cluster["_pools"]}


def orders(ctyun, kind="create"):
    return [o for o in ctyun.sim.state.get("cce", {}).get("orders", []) if o["type"] == kind]


def test_create_waits_writes_kubeconfig_and_second_run_is_unchanged(ctyun, tmp_path):
    path = tmp_path / "out" / "target.kubeconfig"
    first = ctyun.run(kubeconfig_path=str(path), **GUIDE_PLAN)
    assert not first.failed, first.get("msg")
    assert first["changed"] is True
    (cluster,) = ctyun.clusters()
    assert (cluster["clusterStatus"], cluster["bizState"], cluster["clusterVersion"]) == ("normal", 1, "1.29.3")
    assert cluster["networkPlugin"] == "cubecni" and cluster["masterNodeNum"] == 3 and cluster["_elb"] == "standardI"
    assert cluster["eip"] == "" and cluster["clusterType"] == 0
    assert [(p["vmSpecName"], p["imageUuid"], len(p["_nodes"]), p["isDefault"]) for p in cluster["_pools"]] == [
        ("s7.xlarge.2", IMAGE, 3, True)]
    assert all(n["nodeStatus"] == "normal" for n in cluster["_masters"] + cluster["_pools"][0]["_nodes"])
    assert cluster["_tags"] == ["project=migration"]
    assert path.read_text() == KUBECONFIG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TOKEN not in first.stdout
    assert first["cluster"]["id"] == cluster["id"] and first["order"]["order_id"] == cluster["_order"]["orderId"]
    assert len(orders(ctyun)) == 1

    writes_before = len(ctyun.writes())
    second = ctyun.run(kubeconfig_path=str(path), **GUIDE_PLAN)
    assert not second.failed, second.get("msg")
    assert second["changed"] is False and second["actions"] == []
    assert len(ctyun.writes()) == writes_before


def test_old_paths_are_refused_by_the_simulation(ctyun):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient
    ensure_dev_path()
    client = CtyunClient(dict(ctyun.auth))
    for method, path in (("POST", "/cse-apig/v2/clusters"), ("GET", "/v2/cce/clusters/x/kubeconfig"),
                         ("POST", "/cse-apig/v2/clusters/x/nodepools/y/scale")):
        with pytest.raises(ApiError) as err:
            client.call(method, path, body={} if method == "POST" else None)
        assert err.value.details["status"] == 404 and "EOP_API_NOT_FOUND" in str(err.value)
    client.close()


def test_wait_false_returns_while_creating_then_wait_finishes(ctyun, tmp_path):
    path = tmp_path / "kc"
    started = ctyun.run(**dict(GUIDE_PLAN, wait=False, kubeconfig_path=str(path)))
    assert not started.failed, started.get("msg")
    assert started["changed"] is True and started["cluster"]["status"] == "creating"
    assert not path.exists() and "kubeconfig was not fetched" in json.dumps(started.get("warnings"))
    finished = ctyun.run(**dict(GUIDE_PLAN, kubeconfig_path=str(path)))
    assert not finished.failed, finished.get("msg")
    assert finished["cluster"]["status"] == "normal" and path.read_text() == KUBECONFIG
    assert len(ctyun.clusters()) == 1 and len(orders(ctyun)) == 1


def test_create_fail_stops_at_once_with_the_task_reason(ctyun):
    ctyun.lab.knobs["LAB_CCE_CREATE_FAIL"] = "1"
    result = ctyun.run(**dict(GUIDE_PLAN, wait_timeout=600))
    assert result.failed and result["changed"] is True
    assert "create_fail" in result["msg"] and "no free IP addresses" in result["msg"]
    assert result["actions"] == ["order cluster cce-prod-01"] and len(orders(ctyun)) == 1


def test_check_mode_creates_nothing_and_diff_shows_plan(ctyun):
    result = ctyun.run(check=True, diff=True, **GUIDE_PLAN)
    assert result["changed"] is True
    assert result["diff"]["before"] == {} and result["diff"]["after"]["kubernetes_version"] == "1.29.3"
    assert ctyun.clusters() == []
    assert ctyun.writes() == []


def test_check_mode_update_makes_no_write(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    writes = len(ctyun.writes())
    changed = dict(GUIDE_PLAN, description="new", workers=dict(count=5))
    result = ctyun.run(check=True, diff=True, **changed)
    assert result["changed"] is True
    assert result["diff"]["before"]["node_pools"][0]["count"] == 3
    assert result["diff"]["after"]["node_pools"][0]["count"] == 5
    assert len(ctyun.writes()) == writes
    assert pools(ctyun.clusters()[0]) == {"default-pool": 3}


def test_immutable_change_fails_listing_fields_before_any_write(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    writes = len(ctyun.writes())
    bad = dict(GUIDE_PLAN, kubernetes_version="1.31.6", network=dict(plugin="calico", pod_cidr="172.16.0.0/16"),
               description="also changed")
    result = ctyun.run(**bad)
    assert result.failed
    fields = [d["field"] for d in result["immutable"]]
    assert fields == ["kubernetes_version", "network.plugin", "network.pod_cidr"]
    assert "current '1.29.3', wanted '1.31.6'" in result["msg"]
    assert "current 'cubecni', wanted 'calico'" in result["msg"]
    assert len(ctyun.writes()) == writes
    assert ctyun.clusters()[0]["clusterDesc"] == "target"


def test_scale_add_pool_then_unchanged_then_scale_down(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    wanted = dict(GUIDE_PLAN, description="scaled", tags={"project": "migration", "owner": "ops"},
                  workers=dict(count=5), node_pools=[BATCH_POOL])
    result = ctyun.run(**wanted)
    assert not result.failed, result.get("msg")
    assert result["changed"] is True
    (cluster,) = ctyun.clusters()
    assert cluster["clusterDesc"] == "scaled"
    assert sorted(cluster["_tags"]) == ["owner=ops", "project=migration"]
    assert pools(cluster) == {"default-pool": 5, "batch": 1}
    scale_calls = [(r["method"], r["path"].rsplit("/", 1)[1]) for r in ctyun.writes() if "/nodepool" in r["path"]]
    assert scale_calls == [("PUT", "scaleup"), ("POST", "nodepool"), ("PUT", "scaleup")]
    again = ctyun.run(**wanted)
    assert again["changed"] is False, again.get("actions")
    down = ctyun.run(**dict(wanted, workers=dict(count=2), node_pools=[dict(name="batch", count=0)]))
    assert not down.failed, down.get("msg")
    assert pools(ctyun.clusters()[0]) == {"default-pool": 2, "batch": 0}
    assert ctyun.writes()[-1]["path"].endswith("/scaledown")


def test_absent_needs_force_delete_when_nodes_exist(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    refused = ctyun.run(name=GUIDE_PLAN["name"], state="absent")
    assert refused.failed and "force_delete" in refused["msg"]
    assert len(ctyun.clusters()) == 1
    check = ctyun.run(check=True, name=GUIDE_PLAN["name"], state="absent", force_delete=True)
    assert check["changed"] is True and len(ctyun.clusters()) == 1
    deleted = ctyun.run(name=GUIDE_PLAN["name"], state="absent", force_delete=True, wait_sleep=1)
    assert not deleted.failed, deleted.get("msg")
    assert deleted["changed"] is True
    assert ctyun.clusters() == [] and len(orders(ctyun, "delete")) == 1
    assert [r["path"] for r in ctyun.writes() if r["method"] == "POST"][-1] == "/v2/cce/clusters/delete"
    again = ctyun.run(name=GUIDE_PLAN["name"], state="absent")
    assert again["changed"] is False and not again.failed


def test_lost_response_on_create_places_exactly_one_order(ctyun):
    ctyun.lab.knobs["LAB_FAULT_RATE"] = "1"
    ctyun.lab.knobs["LAB_FAULT_METHODS"] = "POST"
    ctyun.lab.knobs["LAB_FAULT_KIND"] = "lost_response"
    ctyun.lab.knobs["LAB_FAULT_PATHS"] = "/v2/cce/clusters/create"
    result = ctyun.run(**dict(GUIDE_PLAN, tags=None))
    assert not result.failed, result.get("msg")
    assert result["recovered_lost_response"] is True
    assert len(ctyun.clusters()) == 1 and len(orders(ctyun)) == 1
    creates = [r for r in ctyun.lab.request_log if r["path"] == "/v2/cce/clusters/create"]
    assert len(creates) == 1
    ctyun.lab.knobs["LAB_FAULT_RATE"] = "0"
    assert ctyun.run(**dict(GUIDE_PLAN, tags=None))["changed"] is False
    assert len(ctyun.clusters()) == 1


def test_lost_answers_on_scale_up_never_grow_a_pool_twice(ctyun):
    assert not ctyun.run(**GUIDE_PLAN).failed
    ctyun.lab.knobs.update(LAB_FAULT_RATE="1", LAB_FAULT_METHODS="PUT", LAB_FAULT_KIND="lost_response")
    try:
        result = ctyun.run(**dict(GUIDE_PLAN, tags=None, description=None, workers=dict(count=6)))
    finally:
        ctyun.lab.knobs["LAB_FAULT_RATE"] = "0"
    assert not result.failed, result.get("msg")
    assert pools(ctyun.clusters()[0]) == {"default-pool": 6}
    scaleups = [r for r in ctyun.lab.request_log if r["path"].endswith("/scaleup")]
    assert len(scaleups) == 1


def test_mixed_faults_create_scale_delete_exactly_once(ctyun):
    ctyun.lab.knobs.update(LAB_FAULT_RATE="0.3", LAB_FAULT_KIND="mixed", LAB_SEED="7")
    created = ctyun.run(**GUIDE_PLAN)
    assert not created.failed, created.get("msg")
    assert len(ctyun.clusters()) == 1 and len(orders(ctyun)) == 1
    faults = [r for r in ctyun.lab.request_log if r["status"] in (0, 429, 500, 503)]
    assert faults, "the seed should inject at least one fault"
    scaled = ctyun.run(**dict(GUIDE_PLAN, workers=dict(count=4)))
    assert not scaled.failed, scaled.get("msg")
    assert pools(ctyun.clusters()[0]) == {"default-pool": 4}
    deleted = ctyun.run(name=GUIDE_PLAN["name"], state="absent", force_delete=True, wait_sleep=1)
    assert not deleted.failed, deleted.get("msg")
    assert ctyun.clusters() == [] and len(orders(ctyun, "delete")) == 1


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
        (dict(network=dict(plugin="calico", pod_cidr="10.96.0.0/12", service_cidr="10.96.0.0/16")),
         "overlaps network.service_cidr", 0),
        (dict(network=dict(plugin="cubecni", pod_cidr="172.16.0.0/16")), "not used with cubecni", 0),
        (dict(control_plane=dict(count=2, flavor="s7.xlarge.2")), "control_plane.count 2", 0),
        (dict(managed=dict(series_type="managedbase", node_scale=50)), "managedbase allows 10", 0),
        (dict(node_port_range=dict(start=30000, end=30010)), "node_port_range", 0),
        (dict(billing=dict(mode="month", period=12)), "billing.period 12", 0),
        (dict(workers=dict(flavor="s7.xlarge.2", count=0, image_id=IMAGE)), "workers.count 0", 0),
        (dict(kubernetes_version="1.30.0"), "1.30.0 is not offered", 1),
        (dict(network=dict(plugin="cubecni")), "network.pod_subnet_ids", 2),
        (dict(workers=dict(flavor="general 4C8G", count=3, image_id=IMAGE)),
         "flavor 'general 4C8G' does not exist", 4),
        (dict(control_plane=dict(count=3, flavor="s7.large.2")), "at least 4C8G", 4),
    ],
)
def test_bad_input_fails_before_any_write(ctyun, override, fragment, calls):
    result = ctyun.run(**dict(GUIDE_PLAN, **override))
    assert result.failed and fragment in result["msg"], result.get("msg")
    assert ctyun.writes() == []
    assert len(ctyun.lab.request_log) == calls


def test_unknown_zone_and_image_are_refused_by_the_api(ctyun):
    result = ctyun.run(**dict(GUIDE_PLAN, zones=["cn-huadong1-nowhere"]))
    assert result.failed and "cn-huadong1-nowhere" in result["msg"] and "CCE_PARAMETER_INVALID" in result["msg"]
    assert result["changed"] is False          # the order was refused: nothing was written
    result = ctyun.run(**dict(GUIDE_PLAN, workers=dict(flavor="s7.xlarge.2", count=3, image_id="img-unknown")))
    assert result.failed and "img-unknown" in result["msg"]
    assert ctyun.clusters() == [] and orders(ctyun) == []


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
    assert info["quotas"]["node"]["used"] == 6
    (cluster,) = info["clusters"]
    assert cluster["status"] == "normal" and cluster["node_pools"][0]["count"] == 3
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
                      target_cluster_subnet_id="subnet-4e5f6a7b", target_cluster_wait_timeout=60,
                      target_cluster_zones=[ZONE], target_cluster_pod_subnet_ids=["subnet-pods01"],
                      target_cluster_worker_image_id=IMAGE)
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
    assert cluster["clusterVersion"] == "1.29.3" and cluster["networkPlugin"] == "cubecni"
    assert cluster["_elb"] == "standardI" and cluster["masterNodeNum"] == 3 and cluster["eip"] == ""
    assert [(p["vmSpecName"], p["imageUuid"], len(p["_nodes"])) for p in cluster["_pools"]] == [
        ("s7.xlarge.2", IMAGE, 3)]
    kubeconfig = workdir / "target.kubeconfig"
    assert kubeconfig.read_text() == KUBECONFIG and stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    record = json.loads((workdir / "target_cluster.json").read_text())
    assert record["stage"] == "target_cluster" and record["summary"]["id"] == cluster["id"]
    assert record["summary"]["nodes"] == 3 and record["sizing"]["source"] == "default"
    assert table.DEFAULT_SECRET_KEY not in json.dumps(record) and TOKEN not in json.dumps(record)

    again, _ = _playbook(ctyun, tmp_path, verbosity=None)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout, again.stdout[-3000:]


def test_role_sizes_workers_from_the_assessment_unless_the_user_sets_them(ctyun, tmp_path):
    workdir = tmp_path / "migration"
    workdir.mkdir()
    (workdir / "assess.json").write_text(json.dumps(
        {"stage": "assess", "proposal": {"nodes": {"flavor": "general 8C16G", "count": 4}}}))
    proc, _ = _playbook(ctyun, tmp_path, verbosity=None)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Workers sized by assessment: 4 x s7.2xlarge.2" in proc.stdout
    (cluster,) = ctyun.clusters()
    assert [(p["vmSpecName"], len(p["_nodes"])) for p in cluster["_pools"]] == [("s7.2xlarge.2", 4)]
    proc, _ = _playbook(ctyun, tmp_path, verbosity=None, extra_vars=dict(target_cluster_node_count=5))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Workers sized by user: 5 x s7.2xlarge.2" in proc.stdout
    assert [len(p["_nodes"]) for p in ctyun.clusters()[0]["_pools"]] == [5]
    record = json.loads((workdir / "target_cluster.json").read_text())
    assert record["sizing"] == {"source": "user", "flavor": "s7.2xlarge.2", "count": 5}


def test_role_check_mode_writes_nothing(ctyun, tmp_path):
    proc, workdir = _playbook(ctyun, tmp_path, verbosity=None, args=["--check", "--diff"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "order cluster cce-prod-01" in proc.stdout
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


@pytest.mark.parametrize("override, expected", [
    (dict(cluster_series="managed", managed=dict(series_type="managedpro", node_scale=200), control_plane=None,
          network=dict(plugin="calico", pod_cidr="172.16.0.0/16")),
     dict(clusterType=2, networkPlugin="calico", podCidr="172.16.0.0/16", masterNodeNum=0)),
    (dict(api_server=dict(elb_spec="enhancedI", public_eip=True), kube_proxy="iptables",
          billing=dict(mode="month", period=3, auto_renew=True)),
     dict(clusterType=0, _elb="enhancedI", eip="121.36.0.10", kubeProxyPattern="iptables", billMode="1")),
])
def test_series_networks_exposures_and_billing(ctyun, override, expected):
    wanted = dict(GUIDE_PLAN, **override)
    first = ctyun.run(**wanted)
    assert not first.failed, first.get("msg")
    (cluster,) = ctyun.clusters()
    assert {k: cluster[k] for k in expected} == expected
    assert ctyun.run(**wanted)["changed"] is False


def test_purge_tags_false_keeps_tags_set_elsewhere(ctyun):
    assert not ctyun.run(**dict(GUIDE_PLAN, tags={"project": "migration", "cost-center": "42"})).failed
    kept = ctyun.run(**dict(GUIDE_PLAN, tags={"owner": "ops"}, purge_tags=False))
    assert not kept.failed and kept["changed"] is True, kept.get("msg")
    (cluster,) = ctyun.clusters()
    assert sorted(cluster["_tags"]) == ["cost-center=42", "owner=ops", "project=migration"]
    assert ctyun.run(**dict(GUIDE_PLAN, tags={"owner": "ops"}, purge_tags=False))["changed"] is False
    purged = ctyun.run(**dict(GUIDE_PLAN, tags={"owner": "ops"}))
    assert purged["changed"] is True
    assert ctyun.clusters()[0]["_tags"] == ["owner=ops"]


def test_playbook_guide_plan_under_faults_creates_reruns_scales_deletes_with_one_order(ctyun, tmp_path):
    """The guide's plan through playbooks/target_cluster.yml with 30 % of the CTyun calls failing (lost
    answers included): one create order, an unchanged re-run, a scale, then a delete order."""
    ctyun.lab.knobs.update(LAB_FAULT_RATE="0.3", LAB_FAULT_KIND="mixed", LAB_SEED="11")
    proc, workdir = _playbook(ctyun, tmp_path, verbosity=None)
    assert proc.returncode == 0, proc.stdout[-4000:]
    again, _ = _playbook(ctyun, tmp_path, verbosity=None)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    scaled, _ = _playbook(ctyun, tmp_path, verbosity=None, extra_vars=dict(target_cluster_node_count=5))
    assert scaled.returncode == 0, scaled.stdout[-3000:]
    assert pools(ctyun.clusters()[0]) == {"default-pool": 5}
    assert [r for r in ctyun.lab.request_log if r["status"] in (0, 429, 500, 503)], "no fault was injected"
    delete = tmp_path / "delete.yml"
    delete.write_text(json.dumps([{"hosts": "target", "gather_facts": False, "tasks": [{
        "ctyun.cce_migration.cce_cluster": {"name": "cce-prod-01", "state": "absent", "force_delete": True,
                                            "wait_timeout": 60, "wait_sleep": 1}}]}]))
    env = dict(os.environ, **ctyun.env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    gone = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inventory"),
                           str(delete)], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert gone.returncode == 0, gone.stdout[-3000:]
    assert ctyun.clusters() == []
    assert len(orders(ctyun, "create")) == 1 and len(orders(ctyun, "delete")) == 1
    assert workdir.joinpath("target.kubeconfig").read_text() == KUBECONFIG
