"""playbooks/federation.yml (role ``federation``) against the lab: the whole stage from nothing,
with 10 % of all requests failing (429, 5xx, resets, lost answers), at -vvvv; then a re-run.

Asserts: exactly one registered cluster per name, one federation instance, one fleet; both
members Ready in Karmada; the stage record names them; nothing secret in the output; the
re-run changes nothing and writes nothing."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import client

from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.cceone import CceOne
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient
from tests.lab.fixtures import start_lab
from tests.utils.migrate_run import run_playbook


def cceone(lab):
    return CceOne(CtyunClient(dict(access_key=lab.env["CTYUN_ACCESS_KEY"], secret_key=lab.env["CTYUN_SECRET_KEY"],
                                   region_id=lab.env["CTYUN_REGION_ID"], endpoint=lab.env["CTYUN_ENDPOINT"],
                                   ca_path=lab.env["CTYUN_CA_BUNDLE"], validate_certs=True)))


def karmada_clusters(lab):
    api = client.CustomObjectsApi(lab.api_client("karmada"))
    items = api.list_cluster_custom_object("cluster.karmada.io", "v1alpha1", "clusters")["items"]
    return dict((c["metadata"]["name"], [x["status"] for x in c.get("status", {}).get("conditions", [])
                                         if x["type"] == "Ready"]) for c in items)


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    work = tmp_path_factory.mktemp("federation")
    with start_lab(work / "lab", LAB_WORKLOADS="2", LAB_READY_S="0.3", LAB_FAULT_RATE="0.1", LAB_SEED="7") as lab:
        extra = {"target_kubeconfig": str(lab.kubeconfig), "target_context": "target"}
        runs = []
        for _ in range(3):   # a run that gives up is re-run, as an operator would
            proc, recap = run_playbook(lab, work / "migration", playbook="federation.yml", extra=extra,
                                       verbosity=4)
            runs.append((proc, recap))
            if proc.returncode == 0:
                break
        faults = sum(1 for r in lab.requests() if r.get("fault"))
        lab.set_knobs(fault_rate=0)
        mark = lab.mark()
        again, recap2 = run_playbook(lab, work / "migration", playbook="federation.yml", extra=extra)
        yield dict(lab=lab, work=work / "migration", runs=runs, faults=faults, again=again, recap2=recap2,
                   writes_after=lab.writes(mark))


def test_stage_completes_despite_faults(stage):
    proc = stage["runs"][-1][0]
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert stage["faults"] >= 3, "too few faults were injected to prove anything (%d)" % stage["faults"]


def test_exactly_one_of_everything(stage):
    one = cceone(stage["lab"])
    names = [c["clusterName"] for c in one.list_clusters()]
    assert sorted(names) == sorted(set(names)) and len(names) == 2, names
    federations = one._records(one._call("federation_list"))
    assert len(federations) == 1, federations
    fleets = one.list_fleets()
    assert len(fleets) == 1 and fleets[0]["federationId"] == federations[0]["federationId"], fleets


def test_members_are_ready_in_karmada_and_recorded(stage):
    record = json.loads((stage["work"] / "federation.json").read_text())
    clusters = karmada_clusters(stage["lab"])
    for key in ("source_member_name", "target_member_name"):
        assert clusters.get(record[key]) == ["True"], (record[key], clusters)


def test_output_holds_no_secret(stage):
    lab = stage["lab"]
    secrets = [lab.env["CTYUN_SECRET_KEY"]]
    secrets += [u["user"]["token"] for u in yaml.safe_load((lab.dir / "kubeconfig").read_text())["users"]]
    for proc, _ in stage["runs"]:
        for secret in secrets:
            assert secret not in proc.stdout and secret not in proc.stderr
    karmada_kc = yaml.safe_load((stage["work"] / "karmada.kubeconfig").read_text()) \
        if (stage["work"] / "karmada.kubeconfig").exists() else None
    if karmada_kc:
        for user in karmada_kc["users"]:
            assert user["user"].get("token", "<none>") not in stage["runs"][-1][0].stdout


def test_rerun_changes_and_writes_nothing(stage):
    assert stage["again"].returncode == 0, stage["again"].stdout[-3000:]
    assert all(r["changed"] == 0 for r in stage["recap2"].values()), stage["again"].stdout[-3000:]
    assert [w for w in stage["writes_after"] if w.get("server") == "ctyun"] == []
