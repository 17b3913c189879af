"""The whole migration against the lab, on each backend of ``LAB_BACKENDS`` (the simulation, and
real Kubernetes and Karmada with ``real``), with the demo variables and every seeded namespace:
the stages up to promotion (no pod restarted), the whole of migrate.yml twice (the first run
moves everything to CTyun, the second changes nothing on any host), then rollback.yml (every
replica back on the source)."""

from __future__ import annotations


import pytest
import yaml
from kubernetes import client

from tests.lab.fixtures import start_lab
from tests.lab.kubesim.seed import NAMESPACES as SEEDED_NAMESPACES
from tests.lab.pytest_lab import backends
from tests.utils.migrate_run import run_playbook


NAMESPACES = list(SEEDED_NAMESPACES)


def apps(lab, context):
    return client.AppsV1Api(lab.api_client(context))


def deployments(lab, context):
    api = apps(lab, context)
    out = {}
    for ns in NAMESPACES:
        for d in api.list_namespaced_deployment(ns).items:
            out["%s/%s" % (ns, d.metadata.name)] = d
    return out


def statefulsets(lab, context):
    """StatefulSets with the names of their live pods, per ``ns/name``."""
    api, core = apps(lab, context), client.CoreV1Api(lab.api_client(context))
    out = {}
    for ns in NAMESPACES:
        pods = [p for p in core.list_namespaced_pod(ns).items if not p.metadata.deletion_timestamp]
        for sts in api.list_namespaced_stateful_set(ns).items:
            names = sorted(p.metadata.name for p in pods
                           if any(o.kind == "StatefulSet" and o.name == sts.metadata.name
                                  for o in p.metadata.owner_references or []))
            start = sts.spec.ordinals.start if sts.spec.ordinals is not None else 0
            out["%s/%s" % (ns, sts.metadata.name)] = dict(uid=sts.metadata.uid, replicas=sts.spec.replicas,
                                                          ready=sts.status.ready_replicas or 0,
                                                          start=start or 0, pods=names)
    return out


def pods_and_replicasets(lab, context="source"):
    core, api = client.CoreV1Api(lab.api_client(context)), apps(lab, context)
    pods = sorted(p.metadata.uid for ns in NAMESPACES for p in core.list_namespaced_pod(ns).items
                  if not p.metadata.deletion_timestamp)
    sets = sorted((r.metadata.name, r.metadata.uid) for ns in NAMESPACES
                  for r in api.list_namespaced_replica_set(ns).items)
    return pods, sets


@pytest.fixture(scope="module", params=backends())
def migrated(request, tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e-%s" % request.param)
    extra = {"migrate_namespaces": NAMESPACES}
    with start_lab(work / "lab", LAB_KUBE=request.param, LAB_WORKLOADS="12", LAB_READY_S="0.3",
                   LAB_CLUSTER_READY_S="1") as lab:
        before = deployments(lab, "source")
        sets_before = statefulsets(lab, "source")
        running = pods_and_replicasets(lab)
        # Up to promotion at -vvvv: every module's arguments and results are printed, none may show a secret.
        promoted, _ = run_playbook(lab, work / "migration", extra=dict(extra), verbosity=4,
                                   tags=["--skip-tags", "cutover"])
        after_promote = pods_and_replicasets(lab)
        first, recap1 = run_playbook(lab, work / "migration", extra=dict(extra))
        second, recap2 = run_playbook(lab, work / "migration", extra=dict(extra))
        source, target = deployments(lab, "source"), deployments(lab, "target")
        sets_after = dict(source=statefulsets(lab, "source"), target=statefulsets(lab, "target"))
        rollback, _ = run_playbook(lab, work / "migration", playbook="rollback.yml", extra=dict(extra))
        yield dict(lab=lab, work=work / "migration", before=before, promoted=promoted, running=running,
                   after_promote=after_promote, first=first, recap1=recap1, second=second, recap2=recap2,
                   source=source, target=target, rollback=rollback, rolled_back=deployments(lab, "source"),
                   sets_before=sets_before, sets_after=sets_after, sets_rolled_back=statefulsets(lab, "source"))


def test_promotion_restarts_no_pod(migrated):
    assert migrated["promoted"].returncode == 0, migrated["promoted"].stdout[-4000:]
    pods, sets = migrated["running"]
    assert pods and sets
    assert migrated["after_promote"] == (pods, sets), "promotion replaced pods or ReplicaSets on the source"


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


def test_statefulsets_move_with_their_identities(migrated):
    """The seeded ``data/mysql`` StatefulSet ends on CTyun with its own ordinals (0 and 1, start 0),
    the source object kept at 0 (same UID); rollback brings the same ordinals back to the source."""
    before, after = migrated["sets_before"], migrated["sets_after"]
    assert "data/mysql" in before, sorted(before)
    for key, sts in before.items():
        want = ["%s-%d" % (key.split("/")[1], i) for i in range(sts["replicas"])]
        assert sts["pods"] == want
        src, tgt = after["source"][key], after["target"].get(key)
        assert src["uid"] == sts["uid"] and src["replicas"] == 0 and src["pods"] == []
        assert tgt is not None and tgt["start"] == 0 and tgt["pods"] == want and tgt["ready"] == sts["replicas"]
        back = migrated["sets_rolled_back"][key]
        assert back["uid"] == sts["uid"] and back["pods"] == want and back["ready"] == sts["replicas"]


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
    output = migrated["promoted"].stdout + migrated["promoted"].stderr
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


def test_rollback_restores_the_source(migrated):
    assert migrated["rollback"].returncode == 0, migrated["rollback"].stdout[-4000:]
    before, after = migrated["before"], migrated["rolled_back"]
    assert set(after) == set(before), "a source workload was deleted"
    for key, dep in before.items():
        assert after[key].metadata.uid == dep.metadata.uid, "%s was re-created" % key
        assert after[key].spec.replicas == dep.spec.replicas, key
        assert after[key].status.ready_replicas == dep.spec.replicas, key
