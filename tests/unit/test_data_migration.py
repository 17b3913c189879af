"""Per-PVC volume plan and the data transfer task's pure parts (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import dts
from ansible_collections.ctyun.cce_migration.plugins.module_utils.datamove import volumes

GI = 1024 ** 3
CLASSES = {
    "essd": dict(name="essd", provisioner="diskplugin.csi.alibabacloud.com", category="block-ssd"),
    "nas": dict(name="nas", provisioner="nasplugin.csi.alibabacloud.com", category="file"),
    "local": dict(name="local", provisioner="kubernetes.io/no-provisioner", category="local"),
    "oss": dict(name="oss", provisioner="ossplugin.csi.alibabacloud.com", category="object"),
}


@pytest.mark.parametrize("value,expected", [
    ("20Gi", 20 * GI), ("500M", 500 * 1000 ** 2), ("1.5Ti", int(1.5 * 1024 ** 4)), (1024, 1024), (None, 0), ("7", 7),
])
def test_quantity(value, expected):
    assert volumes.quantity_bytes(value) == expected


def test_quantity_rejects():
    with pytest.raises(ValidationError):
        volumes.quantity_bytes("20 GB")


@pytest.mark.parametrize("pvc,method,category,proposed", [
    (dict(name="a", size="20Gi", storage_class="essd", access_modes=["ReadWriteOnce"]), "fs-backup-restore", "block",
     "ctyun-ebs-ssd"),
    (dict(name="a", size="500Gi", storage_class="essd"), "incremental-sync", "block", "ctyun-ebs-ssd"),
    (dict(name="a", size="5Gi", storage_class="nas"), "file-copy", "file", "ctyun-sfs"),
    (dict(name="a", size="5Gi", storage_class="essd", access_modes=["ReadWriteMany"]), "file-copy", "file",
     "ctyun-ebs-ssd"),
    (dict(name="a", size="5Gi", storage_class="local"), "node-copy", "local", None),
    (dict(name="a", size="5Gi", storage_class="oss"), "object-sync", "object", None),
    (dict(name="a", size="5Gi", storage_class="mystery"), "review", "unknown", None),
])
def test_plan_methods(pvc, method, category, proposed):
    (row,) = volumes.plan([dict(pvc, namespace="shop")], {"essd": "ctyun-ebs-ssd", "nas": "ctyun-sfs"}, CLASSES)
    assert (row["method"], row["category"], row["proposed_class"]) == (method, category, proposed)
    assert bool(row["issues"]) == (proposed is None)


def test_plan_sorted_and_summary():
    rows = volumes.plan([dict(namespace="b", name="x", size="1Gi", storage_class="essd"),
                         dict(namespace="a", name="y", size="2Gi", storage_class="nas")],
                        {"essd": "ctyun-ebs-ssd"}, CLASSES, tool="velero")
    assert [(r["namespace"], r["name"]) for r in rows] == [("a", "y"), ("b", "x")]
    assert all(r["tool"] == "velero" for r in rows)
    assert volumes.summary(rows) == dict(pvcs=2, bytes=3 * GI, by_method={"file-copy": 1, "fs-backup-restore": 1},
                                         unmapped=["nas"])


def test_pvcs_from_assessment_items_and_aggregates():
    items = dict(facts=dict(storage=dict(persistent_volume_claims=dict(items=[dict(name="p")]))))
    assert volumes.pvcs_from_assessment(items) == [dict(name="p")]
    agg = dict(storage=dict(persistent_volume_claims=dict(by_class={"essd": dict(count=3, bytes=30 * GI)})))
    (row,) = volumes.plan(volumes.pvcs_from_assessment(agg), {}, CLASSES)
    assert row["aggregate"] is True and row["count"] == 3 and row["size_bytes"] == 30 * GI
    assert volumes.pvcs_from_assessment(None) == []


def test_plan_rejects_rows_without_name():
    with pytest.raises(ValidationError) as err:
        volumes.plan([dict(size="1Gi")])
    assert "pvcs[0]" in err.value.msg


# -- data transfer -------------------------------------------------------------------------

PARAMS = dict(name="t", source=dict(engine="PostgreSQL", host="h", username="u", password="p", databases=["b", "a"]),
              target=dict(rds_instance_id="rds-1", username="app", password="q"))


def test_spec_from_params_defaults_and_shape():
    spec = dts.spec_from_params(PARAMS)
    assert spec["source"] == dict(engine="postgresql", host="h", port=5432, username="u", password="p",
                                  databases=["a", "b"])
    assert spec["target"]["databases"] == ["a", "b"] and spec["migrationType"] == "full+incremental"
    assert "password" not in dts.public(spec)["source"]


@pytest.mark.parametrize("change,field", [
    (dict(source=dict(PARAMS["source"], engine="oracle")), "source.engine"),
    (dict(source=dict(PARAMS["source"], host=None)), "source.host"),
    (dict(source=dict(PARAMS["source"], databases=[])), "source.databases"),
    (dict(source=dict(PARAMS["source"], port=70000)), "source.port"),
    (dict(target=dict(PARAMS["target"], rds_instance_id="")), "target.rds_instance_id"),
    (dict(name=""), "name"),
])
def test_spec_from_params_rejects(change, field):
    with pytest.raises(ValidationError) as err:
        dts.spec_from_params(dict(PARAMS, **change))
    assert err.value.msg.startswith(field)


def task(status="running", full="done", inc="running", lag=3):
    return dict(taskId="dts-1", taskName="t", status=status, phase="incremental",
                fullLoad=dict(status=full, progress=100), incremental=dict(status=inc, lagSeconds=lag),
                source=dict(engine="postgresql", host="h", port=5432, username="u", databases=["a", "b"]),
                target=dict(rdsInstanceId="rds-1", username="app", databases=["a", "b"]))


@pytest.mark.parametrize("t,limit,ready,needle", [
    (task(lag=3), 5, True, "within"),
    (task(lag=5), 5, True, "within"),
    (task(lag=6), 5, False, "above the threshold of 5s"),
    (task(full="running", inc="pending", lag=None), 5, False, "not replicating"),
    (task(status="created", full="pending", inc="pending"), 5, False, "not replicating"),
    (task(lag=None), 5, False, "no lag"),
])
def test_cutover_ready(t, limit, ready, needle):
    got, reason = dts.cutover_ready(t, limit)
    assert got is ready and needle in reason


def test_differences_only_immutable_fields():
    spec = dts.spec_from_params(PARAMS)
    assert dts.differences(spec, task()) == []
    moved = task()
    moved["source"]["host"] = "other"
    moved["target"]["rdsInstanceId"] = "rds-2"
    assert [d["field"] for d in dts.differences(spec, moved)] == ["source.host", "target.rdsInstanceId"]
