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

import datetime
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


# One status vocabulary for every stage. Records written by the roles use these words; older
# records (and the target cluster's state words) are mapped onto them, the raw word kept in ``raw``.
STATUSES = ("done", "running", "blocked", "failed", "planned", "unknown")
STATUS_WORDS = {
    "done": "done", "ok": "done", "passed": "done", "success": "done", "succeeded": "done", "completed": "done",
    "running": "running", "in progress": "running", "in_progress": "running", "pending": "running",
    "creating": "running", "volumes-pending": "running",
    "blocked": "blocked",
    "failed": "failed", "error": "failed", "unreadable record": "failed",
    "planned": "planned",
}


def status_word(value):
    """The report's word (one of ``STATUSES``) for a record's status."""
    return STATUS_WORDS.get(("%s" % value).strip().lower(), "unknown") if value not in (None, "") else "unknown"


def parse_time(value):
    """A UTC datetime from a record's time (ISO 8601 with Z or an offset, with or without
    fractions, or seconds since the epoch), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    text = ("%s" % value).strip().replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def format_time(value):
    """Every time of the report in one format: ``2026-11-25 10:00:04 UTC``; empty when unknown."""
    parsed = parse_time(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%S UTC") if parsed else ""


def _duration(started, finished):
    a, b = parse_time(started), parse_time(finished)
    if a is None or b is None or b < a:
        return ""
    seconds = int((b - a).total_seconds())
    return "%dh %02dm %02ds" % (seconds // 3600, seconds % 3600 // 60, seconds % 60) if seconds >= 3600 else \
        "%dm %02ds" % (seconds // 60, seconds % 60)


def _stage_rows(records):
    rows = []
    for stage in STAGES:
        rec = records.get(stage)
        if rec is None:
            continue
        raw = _first(rec, "status", "result", default="")
        started = _first(rec, "started", "started_at", "start", default="")
        finished = _first(rec, "finished", "finished_at", "end", default="")
        rows.append(dict(
            stage=stage,
            status=status_word(raw),
            raw_status="" if raw in (None, "") else str(raw),
            started=format_time(started),
            finished=format_time(finished),
            duration=_duration(started, finished),
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
        traffic = step.get("traffic") if isinstance(step.get("traffic"), dict) else {}
        out.append(dict(percent=_first(step, "percent", "target_percent", "step", default="?"),
                        seconds=_first(step, "seconds", "duration", default=""),
                        finished=_first(step, "finished", "finished_at", default=""),
                        workloads=rows, traffic=traffic.get("percent")))
    return out


def _ordinals(records):
    """Which StatefulSet ordinals ran on CTyun and from when until when: the newest step record that
    carries ``on_target`` (the shift keeps the history on the policy, so it spans every run)."""
    rec = records.get("cutover") or {}
    latest = {}
    for step in (rec.get("steps") if isinstance(rec, dict) else None) or []:
        for name, spans in (step.get("on_target") or {}).items():
            latest[name] = spans
    rows = []
    for name in sorted(latest):
        for span in latest[name] or []:
            until = span.get("until")
            rows.append(dict(statefulset=name, ordinal=span.get("ordinal"), since=format_time(span.get("since")),
                             until=format_time(until) if until else "still there",
                             duration=_duration(span.get("since"), until) if until else ""))
    return rows


def _images(records):
    rec = records.get("data_migration") or {}
    images = _first(rec, "images", "image_results", default=[]) if isinstance(rec, dict) else []
    out = []
    for img in images or []:
        if isinstance(img, dict):
            out.append(dict(source=img.get("source", ""), target=img.get("target", ""),
                            digest=img.get("digest", ""), outcome=img.get("outcome", "")))
    return out


def _before_scope(records):
    rec = records.get("assess") or {}
    spaces = ((rec.get("source") or {}).get("namespaces") if isinstance(rec.get("source"), dict) else None) \
        or rec.get("namespaces")
    if isinstance(spaces, list) and spaces:
        return "source cluster, namespaces %s (assessment)" % ", ".join(str(n) for n in spaces)
    return "source cluster (assessment)"


def build_report(records, after_counts=None, title="Migration report", after_scope=None):
    """Shape the records into one report dict (JSON-serialisable).

    ``counts`` puts the source assessment's counts by kind next to ``after_counts``; both columns
    carry their scope (``counts_scope``) so that counts of different scopes are never read as
    the same thing."""
    before = _counts(records.get("assess"))
    after = dict((k, v) for k, v in (after_counts or {}).items() if isinstance(v, int))
    kinds = sorted(set(before) | set(after))
    return dict(
        title=title,
        stages=_stage_rows(records),
        counts=[dict(kind=k, before=before.get(k), after=after.get(k)) for k in kinds],
        counts_scope=dict(before=_before_scope(records) if before else "",
                          after=(after_scope or "as given in after_counts") if after else ""),
        steps=_steps(records),
        ordinals=_ordinals(records),
        images=_images(records),
    )


def _md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join("" if c is None else str(c).replace("|", "\\|") for c in row) + " |")
    return lines


STAGE_HEADERS = ["Stage", "Status", "Started", "Finished", "Duration", "Changed", "Summary"]
STEP_HEADERS = ["Workload", "Source replicas", "Source ready", "Target replicas", "Target ready", "Gate"]


def sections(report):
    """The report's sections, in order, shared by the Markdown and the HTML rendering.

    Each is (title, blocks); a block is ("table", headers, rows), ("text", str), ("chart", steps)
    or ("subtitle", str)."""
    stages = [("table", STAGE_HEADERS,
               [(s["stage"], s["status"] if s["raw_status"] in ("", s["status"]) else "%s (%s)" % (
                   s["status"], s["raw_status"]), s["started"], s["finished"], s["duration"], s["changed"],
                 s["summary"]) for s in report["stages"]])] if report["stages"] else [("text", "No stage has run yet.")]
    scope = report.get("counts_scope") or {}
    counts = [("text", "Before: %s. After: %s." % (scope.get("before") or "not recorded",
                                                   scope.get("after") or "not given")),
              ("table", ["Kind", "Before", "After"],
               [(c["kind"], c["before"], c["after"]) for c in report["counts"]])] \
        if report["counts"] else [("text", "No counts recorded.")]
    traffic = any(st.get("traffic") is not None for st in report["steps"])
    headers = ["Step", "Replicas on the source", "Replicas on CTyun"] + (["Traffic on CTyun"] if traffic else [])
    split = [("chart", report["steps"]),
             ("table", headers,
              [("%s %%" % st["percent"],) + _totals(st) + ((_traffic_cell(st),) if traffic else ())
               for st in report["steps"]])] \
        if report["steps"] else [("text", "No cutover step recorded.")]
    steps = []
    for step in report["steps"]:
        steps += [("subtitle", "%s %% on CTyun (%s s)" % (step["percent"], step["seconds"])),
                  ("table", STEP_HEADERS, [(w["workload"], w["source_replicas"], w["source_ready"],
                                            w["target_replicas"], w["target_ready"], w["gate"])
                                           for w in step["workloads"]])]
    images = [("table", ["Source", "Target", "Digest", "Outcome"],
               [(i["source"], i["target"], i["digest"], i["outcome"]) for i in report["images"]])] \
        if report["images"] else [("text", "No image recorded.")]
    ordinals = [("text", "An ordinal's writes on CTyun stay there: a rollback onto the source's volumes does not "
                         "copy them back."),
                ("table", ["StatefulSet", "Ordinal", "On CTyun since", "Until", "Duration"],
                 [(o["statefulset"], o["ordinal"], o["since"], o["until"], o["duration"])
                  for o in report.get("ordinals") or []])] if report.get("ordinals") else []
    return [("Stages", stages), ("Objects by kind", counts), ("Replica split over the cutover", split),
            ("Cutover steps", steps or [("text", "No cutover step recorded.")])] \
        + ([("StatefulSet ordinals on CTyun", ordinals)] if ordinals else []) + [("Images synced", images)]


def render_markdown(report):
    lines = ["# %s" % report["title"]]
    for title, blocks in sections(report):
        lines += ["", "## %s" % title, ""]
        for block in blocks:
            if block[0] == "table":
                lines += _md_table(block[1], block[2]) + [""]
            elif block[0] == "subtitle":
                lines += ["### %s" % block[1], ""]
            elif block[0] == "text":
                lines += [block[1], ""]
            # the chart is drawn in HTML only; the table after it carries the same figures
    return "\n".join(lines).rstrip("\n") + "\n"


def _traffic_cell(step):
    value = step.get("traffic")
    return "not moved by the collection" if value is None else "%g %%" % round(float(value), 2)


def _totals(step):
    src = sum(int(w["source_replicas"] or 0) for w in step["workloads"])
    tgt = sum(int(w["target_replicas"] or 0) for w in step["workloads"])
    return src, tgt


def render_chart(steps, width=640, height=260):
    """Stacked bars: replicas on the source and on CTyun after each cutover step, and a line of the
    share of users' requests on CTyun where the collection moved the traffic.

    The bars share the whole plot width (one slot per step, the bar 60 % of its slot) and the SVG
    scales to the page width (``viewBox``)."""
    if not steps:
        return '<p class="muted">No cutover step recorded yet.</p>'
    totals = [_totals(s) for s in steps]
    peak = max([a + b for a, b in totals] + [1])
    left, right, bottom, top = 50, 10, 30, 20
    plot_h = height - bottom - top
    slot = float(width - left - right) / len(steps)
    bar_w = max(4.0, slot * 0.6)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" '
             'preserveAspectRatio="xMinYMin meet" role="img" aria-label="Replica split per cutover step">'
             % (width, height),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>'
             % (left, height - bottom, width - right, height - bottom)]
    for i, (step, (src, tgt)) in enumerate(zip(steps, totals)):
        x = left + i * slot + (slot - bar_w) / 2
        h_src = plot_h * src / peak
        h_tgt = plot_h * tgt / peak
        y_src = height - bottom - h_src
        parts.append('<rect class="src" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f59e0b"><title>source %d'
                     '</title></rect>' % (x, y_src, bar_w, h_src, src))
        parts.append('<rect class="tgt" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2563eb"><title>CTyun %d'
                     '</title></rect>' % (x, y_src - h_tgt, bar_w, h_tgt, tgt))
        parts.append('<text x="%.1f" y="%d" font-size="12" text-anchor="middle">%s%%</text>'
                     % (x + bar_w / 2, height - bottom + 16, html.escape(str(step["percent"]))))
    points = [(left + i * slot + slot / 2, height - bottom - plot_h * float(st["traffic"]) / 100.0)
              for i, st in enumerate(steps) if st.get("traffic") is not None]
    if points:
        # the users' traffic on CTyun, on its own scale: the top of the plot is 100 % of the requests
        parts.append('<polyline class="traffic" fill="none" stroke="#dc2626" stroke-width="2" points="%s"/>'
                     % " ".join("%.1f,%.1f" % p for p in points))
        parts += ['<circle class="traffic" cx="%.1f" cy="%.1f" r="3" fill="#dc2626"/>' % p for p in points]
        parts.append('<text x="%d" y="14" font-size="12" text-anchor="end" fill="#dc2626">traffic on CTyun '
                     '(top = 100 %%)</text>' % (width - right))
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
           ".muted{color:#666}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}"
           "svg{max-width:100%}")
    parts = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>"
             % (html.escape(report["title"]), css), "<h1>%s</h1>" % html.escape(report["title"])]
    for title, blocks in sections(report):
        parts.append("<h2>%s</h2>" % html.escape(title))
        for block in blocks:
            if block[0] == "table":
                parts.append(_html_table(block[1], block[2]))
            elif block[0] == "subtitle":
                parts.append("<h3>%s</h3>" % html.escape(block[1]))
            elif block[0] == "text":
                parts.append('<p class="muted">%s</p>' % html.escape(block[1]))
            elif block[0] == "chart":
                parts.append('<p class="legend"><span style="background:#f59e0b"></span>source'
                             '<span style="background:#2563eb"></span>CTyun</p>')
                parts.append(render_chart(block[1]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
