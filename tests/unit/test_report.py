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


def test_one_status_vocabulary_and_one_time_format():
    records = {
        "assess": {"status": "ok", "started": "2026-11-25T10:00:00Z", "finished": "2026-11-25T10:00:04Z"},
        "target_cluster": {"status": "creating", "started": "2026-11-25T10:01:00+00:00", "finished": 1764065100},
        "promote": {"status": "done", "started": "2026-11-25T11:00:00.123456+00:00",
                    "finished": "2026-11-25T13:02:03Z"},
        "cutover": {"status": "bogus"},
        "rollback": {"status": "failed"},
    }
    rows = dict((s["stage"], s) for s in render.build_report(records)["stages"])
    assert set(s["status"] for s in rows.values()) <= set(render.STATUSES)
    assert [rows[k]["status"] for k in ("assess", "target_cluster", "promote", "cutover", "rollback")] == [
        "done", "running", "done", "unknown", "failed"]
    assert rows["assess"]["raw_status"] == "ok"
    assert rows["assess"]["started"] == "2026-11-25 10:00:00 UTC" and rows["assess"]["duration"] == "0m 04s"
    assert rows["target_cluster"]["finished"] == "2025-11-25 10:05:00 UTC"
    assert rows["promote"]["started"] == "2026-11-25 11:00:00 UTC" and rows["promote"]["duration"] == "2h 02m 02s"
    text = render.render_markdown(render.build_report(records))
    assert "| assess | done (ok) | 2026-11-25 10:00:00 UTC | 2026-11-25 10:00:04 UTC | 0m 04s |" in text


def test_counts_are_labelled_with_their_scope():
    records = dict(RECORDS, assess=dict(RECORDS["assess"], source={"namespaces": ["shop", "web"]}))
    report = render.build_report(records, after_counts={"Deployment": 30}, after_scope="CCE cluster, shop and web")
    assert report["counts_scope"] == {"before": "source cluster, namespaces shop, web (assessment)",
                                      "after": "CCE cluster, shop and web"}
    for text in (render.render_markdown(report), render.render_html(report)):
        assert "Before: source cluster, namespaces shop, web (assessment). After: CCE cluster, shop and web." in text


def test_markdown_and_html_have_the_same_sections():
    import re

    report = render.build_report(RECORDS, after_counts={"Deployment": 30})
    md = re.findall(r"^##+ (.+)$", render.render_markdown(report), re.M)
    page = render.render_html(report)
    html_titles = re.findall(r"<h[23]>(.+?)</h[23]>", page)
    assert md == html_titles
    assert md[:5:1][0] == "Stages" and "Replica split over the cutover" in md and "Images synced" in md
    # the replica split is in the Markdown as a table, with the figures the chart draws
    assert "| 50 % | 2 | 2 |" in render.render_markdown(report)


def test_chart_uses_its_width():
    import re

    svg = render.render_chart(render.build_report(RECORDS)["steps"], width=640)
    assert 'viewBox="0 0 640 260"' in svg and 'width="100%"' in svg
    xs = [float(x) for x in re.findall(r'<rect class="src" x="([\d.]+)"', svg)]
    widths = [float(w) for w in re.findall(r'<rect class="src" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    right_edge = xs[-1] + widths[-1]
    assert right_edge > 640 * 0.8, "the bars leave the right part of the chart empty"
    assert xs[0] < 640 * 0.3


def test_traffic_share_beside_the_replica_split():
    records = json.loads(json.dumps(RECORDS))
    for step, share in zip(records["cutover"]["steps"], (0.0, 50.0)):
        step["traffic"] = {"percent": share, "after": {"source": 50, "target": 50}}
    report = render.build_report(records)
    text = render.render_markdown(report)
    assert "| Step | Replicas on the source | Replicas on CTyun | Traffic on CTyun |" in text
    assert "| 50 % | 2 | 2 | 50 % |" in text
    page = render.render_html(report)
    assert page.count('<circle class="traffic"') == 2 and "traffic on CTyun" in page
    # without traffic moved by the collection: no column, no line
    plain = render.render_markdown(render.build_report(RECORDS))
    assert "Traffic on CTyun" not in plain and 'class="traffic"' not in render.render_html(render.build_report(RECORDS))


def test_statefulset_ordinals_on_ctyun_with_their_times():
    """The newest record's history of each StatefulSet's ordinals on CTyun (kept on the policy across
    runs) is a section of its own; a report without StatefulSets has none."""
    records = json.loads(json.dumps(RECORDS))
    steps = records["cutover"]["steps"]
    steps[0]["on_target"] = {"data/zk": [{"ordinal": 2, "since": "2026-11-25T10:01:00Z", "until": None}]}
    steps[1]["on_target"] = {"data/zk": [
        {"ordinal": 1, "since": "2026-11-25T10:02:00Z", "until": None},
        {"ordinal": 2, "since": "2026-11-25T10:01:00Z", "until": "2026-11-25T10:03:30Z"}]}
    text = render.render_markdown(render.build_report(records))
    assert "## StatefulSet ordinals on CTyun" in text
    assert "| data/zk | 1 | 2026-11-25 10:02:00 UTC | still there |  |" in text, text
    assert "| data/zk | 2 | 2026-11-25 10:01:00 UTC | 2026-11-25 10:03:30 UTC | 2m 30s |" in text, text
    assert "StatefulSet ordinals on CTyun" in render.render_html(render.build_report(records))
    assert "StatefulSet ordinals" not in render.render_markdown(render.build_report(RECORDS))
