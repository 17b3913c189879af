# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Migration report: reads the stage records (``<stage>.json``) and renders Markdown
and a self-contained HTML page (inline CSS and SVG, no external asset).

Pure functions: ``load_records`` reads, ``build_report`` shapes, ``render_markdown`` and
``render_html`` produce text. Nothing here writes files; the module does, and only when
the text changed, so a re-run is ``changed: false``.
"""

from __future__ import annotations

import html
import json
import os

STAGES = ("preflight", "assess", "data_migration", "target_cluster", "federation", "promote", "cutover", "rollback")
SECRET_KEYS = ("token", "password", "secret", "kubeconfig_content", "access_key", "secret_key", "api_key")


def load_records(workdir):
    """Return {stage: record} for every ``<stage>.json`` present in ``workdir``."""
    records = {}
    for stage in STAGES:
        path = os.path.join(workdir, "%s.json" % stage)
        if os.path.isfile(path):
            with open(path) as fh:
                try:
                    records[stage] = json.load(fh)
                except ValueError:
                    records[stage] = {"status": "unreadable record"}
    return records


def _first(record, *keys, **kw):
    for key in keys:
        if isinstance(record, dict) and record.get(key) not in (None, ""):
            return record[key]
    return kw.get("default")


def _summary_text(value):
    if isinstance(value, dict):
        return ", ".join("%s: %s" % (k, v) for k, v in sorted(value.items()) if not isinstance(v, (dict, list)))
    if isinstance(value, list):
        return "%d items" % len(value)
    return "" if value is None else str(value)


def _stage_rows(records):
    rows = []
    for stage in STAGES:
        rec = records.get(stage)
        if rec is None:
            continue
        rows.append(dict(
            stage=stage,
            status=str(_first(rec, "status", "result", default="done")),
            started=str(_first(rec, "started", "started_at", "start", default="")),
            finished=str(_first(rec, "finished", "finished_at", "end", default="")),
            changed=_first(rec, "changed", default=""),
            summary=_summary_text(_first(rec, "summary", "counts", default="")),
        ))
    return rows


def _counts(rec):
    if not isinstance(rec, dict):
        return {}
    for key in ("counts", "counts_by_kind", "kinds"):
        value = rec.get(key)
        if isinstance(value, dict):
            return dict((k, v) for k, v in value.items() if isinstance(v, int))
    assessment = rec.get("assessment")
    return _counts(assessment) if isinstance(assessment, dict) else {}


def _steps(records):
    rec = records.get("cutover") or {}
    steps = rec.get("steps") if isinstance(rec, dict) else None
    out = []
    for step in steps or []:
        workloads = step.get("workloads") or step.get("results") or []
        rows = []
        for w in workloads:
            rows.append(dict(
                workload="%s/%s" % (w.get("namespace", ""), w.get("name", w.get("workload", ""))),
                source_replicas=w.get("source_replicas", w.get("source", {}).get("replicas") if isinstance(
                    w.get("source"), dict) else w.get("source")),
                target_replicas=w.get("target_replicas", w.get("target", {}).get("replicas") if isinstance(
                    w.get("target"), dict) else w.get("target")),
                source_ready=w.get("source_ready"),
                target_ready=w.get("target_ready"),
                gate=w.get("gate", w.get("gate_result", "")),
            ))
        out.append(dict(percent=_first(step, "percent", "target_percent", "step", default="?"),
                        seconds=_first(step, "seconds", "duration", default=""),
                        finished=_first(step, "finished", "finished_at", default=""),
                        workloads=rows))
    return out


def _images(records):
    rec = records.get("data_migration") or {}
    images = _first(rec, "images", "image_results", default=[]) if isinstance(rec, dict) else []
    out = []
    for img in images or []:
        if isinstance(img, dict):
            out.append(dict(source=img.get("source", ""), target=img.get("target", ""),
                            digest=img.get("digest", ""), outcome=img.get("outcome", "")))
    return out


def build_report(records, after_counts=None, title="Migration report"):
    """Shape the records into one report dict (JSON-serialisable)."""
    before = _counts(records.get("assess"))
    after = dict((k, v) for k, v in (after_counts or {}).items() if isinstance(v, int))
    kinds = sorted(set(before) | set(after))
    return dict(
        title=title,
        stages=_stage_rows(records),
        counts=[dict(kind=k, before=before.get(k), after=after.get(k)) for k in kinds],
        steps=_steps(records),
        images=_images(records),
    )


def _md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join("" if c is None else str(c).replace("|", "\\|") for c in row) + " |")
    return lines


def render_markdown(report):
    lines = ["# %s" % report["title"], "", "## Stages", ""]
    lines += _md_table(["Stage", "Status", "Started", "Finished", "Changed", "Summary"],
                       [(s["stage"], s["status"], s["started"], s["finished"], s["changed"], s["summary"])
                        for s in report["stages"]]) if report["stages"] else ["No stage has run yet."]
    lines += ["", "## Objects by kind (before: source assessment, after: target)", ""]
    lines += _md_table(["Kind", "Before", "After"], [(c["kind"], c["before"], c["after"]) for c in report["counts"]]) \
        if report["counts"] else ["No counts recorded."]
    lines += ["", "## Cutover steps", ""]
    if not report["steps"]:
        lines.append("No cutover step recorded.")
    for step in report["steps"]:
        lines += ["### %s%% on CTyun (%s s)" % (step["percent"], step["seconds"]), ""]
        lines += _md_table(["Workload", "Source replicas", "Source ready", "Target replicas", "Target ready", "Gate"],
                           [(w["workload"], w["source_replicas"], w["source_ready"], w["target_replicas"],
                             w["target_ready"], w["gate"]) for w in step["workloads"]])
        lines.append("")
    lines += ["", "## Images synced", ""]
    lines += _md_table(["Source", "Target", "Digest", "Outcome"],
                       [(i["source"], i["target"], i["digest"], i["outcome"]) for i in report["images"]]) \
        if report["images"] else ["No image recorded."]
    return "\n".join(lines) + "\n"


def _totals(step):
    src = sum(int(w["source_replicas"] or 0) for w in step["workloads"])
    tgt = sum(int(w["target_replicas"] or 0) for w in step["workloads"])
    return src, tgt


def render_chart(steps, width=640, height=260):
    """Stacked bars: replicas on the source and on CTyun after each cutover step."""
    if not steps:
        return '<p class="muted">No cutover step recorded yet.</p>'
    totals = [_totals(s) for s in steps]
    peak = max([a + b for a, b in totals] + [1])
    left, bottom, top = 50, 30, 20
    plot_h = height - bottom - top
    bar_w = min(80, (width - left - 20) // max(1, len(steps)) - 20)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" '
             'aria-label="Replica split per cutover step">' % (width, height),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>'
             % (left, height - bottom, width - 10, height - bottom)]
    for i, (step, (src, tgt)) in enumerate(zip(steps, totals)):
        x = left + 20 + i * (bar_w + 20)
        h_src = plot_h * src / peak
        h_tgt = plot_h * tgt / peak
        y_src = height - bottom - h_src
        parts.append('<rect class="src" x="%d" y="%.1f" width="%d" height="%.1f" fill="#f59e0b"><title>source %d'
                     '</title></rect>' % (x, y_src, bar_w, h_src, src))
        parts.append('<rect class="tgt" x="%d" y="%.1f" width="%d" height="%.1f" fill="#2563eb"><title>CTyun %d'
                     '</title></rect>' % (x, y_src - h_tgt, bar_w, h_tgt, tgt))
        parts.append('<text x="%d" y="%d" font-size="12" text-anchor="middle">%s%%</text>'
                     % (x + bar_w // 2, height - bottom + 16, html.escape(str(step["percent"]))))
    parts.append('<text x="%d" y="14" font-size="12">replicas (max %d)</text>' % (left, peak))
    parts.append('</svg>')
    return "".join(parts)


def _html_table(headers, rows):
    head = "".join("<th>%s</th>" % html.escape(h) for h in headers)
    body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape("" if c is None else str(c)) for c in row)
                   for row in rows)
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, body)


def render_html(report):
    css = ("body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}"
           "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f4f6}"
           ".muted{color:#666}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}")
    parts = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>"
             % (html.escape(report["title"]), css), "<h1>%s</h1>" % html.escape(report["title"]), "<h2>Stages</h2>",
             _html_table(["Stage", "Status", "Started", "Finished", "Changed", "Summary"],
                         [(s["stage"], s["status"], s["started"], s["finished"], s["changed"], s["summary"])
                          for s in report["stages"]]),
             "<h2>Replica split over the cutover</h2>",
             '<p class="legend"><span style="background:#f59e0b"></span>source'
             '<span style="background:#2563eb"></span>CTyun</p>',
             render_chart(report["steps"]),
             "<h2>Objects by kind</h2>",
             _html_table(["Kind", "Before", "After"], [(c["kind"], c["before"], c["after"]) for c in report["counts"]])]
    for step in report["steps"]:
        parts.append("<h3>%s%% on CTyun (%s s)</h3>" % (html.escape(str(step["percent"])),
                                                        html.escape(str(step["seconds"]))))
        parts.append(_html_table(["Workload", "Source replicas", "Source ready", "Target replicas", "Target ready",
                                  "Gate"],
                                 [(w["workload"], w["source_replicas"], w["source_ready"], w["target_replicas"],
                                   w["target_ready"], w["gate"]) for w in step["workloads"]]))
    parts.append("<h2>Images synced</h2>")
    parts.append(_html_table(["Source", "Target", "Digest", "Outcome"],
                             [(i["source"], i["target"], i["digest"], i["outcome"]) for i in report["images"]]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
