"""Report rendering from stage records (pure)."""

from __future__ import annotations

import json

from ansible_collections.ctyun.cce_migration.plugins.module_utils.report import render

from tests.utils.modrun import run_module

RECORDS = {
    "assess": {"stage": "assess", "started": "2026-11-25T10:00:00Z", "finished": "2026-11-25T10:00:04Z",
               "changed": False, "counts": {"Deployment": 30, "Service": 32}},
    "cutover": {"stage": "cutover", "steps": [
        {"percent": 0, "seconds": 1.5, "workloads": [
            {"namespace": "shop", "name": "cart", "source_replicas": 4, "target_replicas": 0,
             "source_ready": 4, "target_ready": 0, "gate": "passed"}]},
        {"percent": 50, "seconds": 3.0, "workloads": [
            {"namespace": "shop", "name": "cart", "source_replicas": 2, "target_replicas": 2,
             "source_ready": 2, "target_ready": 2, "gate": "passed"}]},
    ]},
    "data_migration": {"images": [{"source": "registry.example/shop/cart:1", "target": "cr.example/shop/cart:1",
                                   "digest": "sha256:" + "a" * 64, "outcome": "copied"}]},
}


def test_build_report_counts_steps_images():
    report = render.build_report(RECORDS, after_counts={"Deployment": 30, "Service": 31})
    assert [s["stage"] for s in report["stages"]] == ["assess", "data_migration", "cutover"]
    assert {"kind": "Service", "before": 32, "after": 31} in report["counts"]
    assert [s["percent"] for s in report["steps"]] == [0, 50]
    assert report["steps"][1]["workloads"][0]["target_ready"] == 2
    assert report["images"][0]["digest"].startswith("sha256:")


def test_html_is_self_contained_with_chart():
    page = render.render_html(render.build_report(RECORDS))
    assert "<svg" in page and page.count('class="tgt"') == 2
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script src" not in page and "<link" not in page


def test_markdown_tables():
    text = render.render_markdown(render.build_report(RECORDS))
    assert "| shop/cart | 2 | 2 | 2 | 2 | passed |" in text
    assert "## Images synced" in text


def test_module_writes_once_then_unchanged(tmp_path):
    for stage, rec in RECORDS.items():
        (tmp_path / ("%s.json" % stage)).write_text(json.dumps(rec))
    check = run_module("migration_report", {"workdir": str(tmp_path)}, check=True)
    assert check["changed"] is True and not (tmp_path / "report.html").exists()
    first = run_module("migration_report", {"workdir": str(tmp_path)})
    assert first["changed"] is True, first
    assert (tmp_path / "report.html").read_text().count("<svg") == 1
    second = run_module("migration_report", {"workdir": str(tmp_path)})
    assert second["changed"] is False


def test_module_bad_workdir_names_field(tmp_path):
    result = run_module("migration_report", {"workdir": str(tmp_path / "missing")})
    assert result.failed and "workdir" in result["msg"]
