# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Assessment reports: ``assessment.json``, ``assessment.md`` and a self-contained
``assessment.html`` (inline CSS and SVG chart, no external asset, no script).

Rendering is deterministic: the same assessment gives the same bytes, and no timestamp is
written into the files, so re-running against an unchanged cluster leaves them untouched.
Every string from the cluster is escaped before it reaches HTML.
"""

from __future__ import annotations

import html
import json
import os

from ..common.files import write_file
from .quantity import format_bytes

FILES = ("assessment.json", "assessment.md", "assessment.html")
CHART_NAMESPACES = 20


def render_json(doc):
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _cores(millis):
    return "%.2f" % (float(millis or 0) / 1000.0)


def _md_cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    return lines


def namespace_rows(facts, limit=CHART_NAMESPACES):
    """(namespace, workloads, cpu millicores) for the chart: largest CPU first, the rest summed."""
    by_ns = (facts.get("namespaces") or {}).get("by_namespace") or {}
    rows = sorted(((ns, v.get("workloads", 0), v.get("cpu_request_m", 0)) for ns, v in by_ns.items()
                   if v.get("workloads") or v.get("cpu_request_m")), key=lambda r: (-r[2], -r[1], r[0]))
    if len(rows) > limit:
        rest = rows[limit - 1:]
        rows = rows[:limit - 1] + [("(%d others)" % len(rest), sum(r[1] for r in rest), sum(r[2] for r in rest))]
    return rows


def render_markdown(doc):
    facts = doc["facts"]
    summary = doc["summary"]
    proposal = doc["proposal"]
    version = facts.get("version") or {}
    nodes = facts.get("nodes") or {}
    workloads = facts.get("workloads") or {}
    lines = ["# Source cluster assessment", ""]
    lines += ["Source Kubernetes **%s**, %d node(s), %d namespace(s), %d workload(s), %d unique image(s)."
              % (version.get("git_version"), nodes.get("count", 0), (facts.get("namespaces") or {}).get("count", 0),
                 workloads.get("total", 0), (facts.get("images") or {}).get("unique", 0)), ""]
    lines += ["Findings: **%d blocking**, %d warning, %d info." % (summary["blocking"], summary["warning"],
                                                                   summary["info"]), ""]
    lines += ["## Proposed target", ""]
    n = proposal["nodes"]
    lines += ["- CCE Kubernetes version: **%s** (%s)" % (proposal["kubernetes_version"], proposal["version_reason"]),
              "- Workers: **%d x %s** (%s)" % (n["count"], n["flavor"], n["reason"]), ""]
    lines += ["```yaml", "storage_class_map:"]
    lines += ["  %s: %s" % (k, v) for k, v in sorted(proposal["storage_class_map"].items())] or ["  {}"]
    lines += ["registry_map:"]
    lines += ["  - {from: %s, to: %s}" % (r["from"], r["to"]) for r in proposal["registry_map"]] or ["  []"]
    lines += ["lb_annotation_rewrites:"]
    lines += ["  %s: %s" % (k, v if v else "null") for k, v in sorted(proposal["lb_annotation_rewrites"].items())] \
        or ["  {}"]
    lines += ["```", ""]
    lines += ["## Findings", ""]
    for sev in ("blocking", "warning", "info"):
        items = [f for f in doc["findings"] if f["severity"] == sev]
        if not items:
            continue
        lines += ["### %s (%d)" % (sev.capitalize(), len(items)), ""]
        for f in items:
            lines += ["- **%s** — %s" % (_md_cell(f["title"]), _md_cell(f["fix"]))]
            if f["affected"]:
                shown = f["affected"][:10]
                more = f["affected_total"] - len(shown)
                lines += ["  - affected: %s%s" % (", ".join("`%s`" % _md_cell(a) for a in shown),
                                                  " and %d more" % more if more > 0 else "")]
        lines += [""]
    lines += ["## Nodes", ""]
    lines += _md_table(["count", "vCPU capacity", "memory capacity", "vCPU allocatable", "memory allocatable"],
                       [[nodes.get("count", 0), _cores(nodes.get("cpu_capacity_m")),
                         format_bytes(nodes.get("memory_capacity_bytes")), _cores(nodes.get("cpu_allocatable_m")),
                         format_bytes(nodes.get("memory_allocatable_bytes"))]])
    lines += [""]
    for label, key in (("Instance types", "instance_types"), ("Zones", "zones"), ("OS images", "os_images"),
                       ("Kernels", "kernels"), ("Container runtimes", "container_runtimes"),
                       ("Providers", "providers")):
        values = nodes.get(key) or {}
        if values:
            lines += ["- %s: %s" % (label, ", ".join("%s (%d)" % (k, v) for k, v in sorted(values.items())))]
    lines += ["", "## Workloads", ""]
    rows = [[kind, w["count"], w["replicas"], _cores(w["cpu_request_m"]), format_bytes(w["memory_request_bytes"])]
            for kind, w in sorted((workloads.get("by_kind") or {}).items())]
    lines += _md_table(["kind", "count", "replicas/pods", "requested vCPU", "requested memory"], rows)
    lines += ["", "## Namespaces", ""]
    by_ns = (facts.get("namespaces") or {}).get("by_namespace") or {}
    lines += _md_table(["namespace", "workloads", "pods", "requested vCPU", "requested memory", "services",
                        "configmaps", "secrets", "PVCs"],
                       [[ns, v["workloads"], v["pods"], _cores(v["cpu_request_m"]),
                         format_bytes(v["memory_request_bytes"]), v["services"], v["configmaps"], v["secrets"],
                         v["pvcs"]] for ns, v in sorted(by_ns.items())])
    lines += ["", "## Objects by kind", ""]
    lines += _md_table(["kind", "count", "listed as"],
                       [[k, v, (facts.get("api") or {}).get("listed_versions", {}).get(k, "")]
                        for k, v in sorted((facts.get("counts") or {}).items())])
    services = facts.get("services") or {}
    lines += ["", "## Services and ingresses", ""]
    lines += ["- Services by type: %s" % ", ".join("%s %d" % kv for kv in sorted((services.get("by_type") or {})
                                                                                 .items())),
              "- Services with another cloud's annotations: %d" % services.get("with_cloud_annotations", 0),
              "- Ingresses by class: %s" % ", ".join("%s %d" % kv for kv in sorted(
                  ((facts.get("ingresses") or {}).get("classes") or {}).items()))]
    storage = facts.get("storage") or {}
    lines += ["", "## Storage", ""]
    lines += _md_table(["StorageClass", "provisioner", "cloud", "kind", "default", "proposed CTyun class"],
                       [[s["name"], s["provisioner"], s.get("cloud") or "", s.get("category") or "unknown",
                         "yes" if s.get("default") else "", proposal["storage_class_map"].get(s["name"], "")]
                        for s in storage.get("storage_classes") or []])
    pvc = storage.get("persistent_volume_claims") or {}
    pv = storage.get("persistent_volumes") or {}
    lines += ["", "- PVCs: %d (%s requested); PVs: %d (%s)" % (pvc.get("count", 0),
                                                               format_bytes(pvc.get("requested_bytes")),
                                                               pv.get("count", 0),
                                                               format_bytes(pv.get("capacity_bytes")))]
    config = facts.get("config") or {}
    lines += ["- ConfigMaps: %d; Secrets: %d (values never read)" % (config.get("configmaps", 0),
                                                                     config.get("secrets", 0))]
    hpa_count = (facts.get("hpa") or {}).get("count", 0)
    pdb_count = (facts.get("pdb") or {}).get("count", 0)
    lines += ["- HPAs: %d; PDBs: %d" % (hpa_count, pdb_count)]
    crds = facts.get("crds") or {}
    lines += ["", "## Custom resources", ""]
    lines += _md_table(["CRD", "version", "scope", "custom resources"],
                       [[c["name"], c.get("version"), c.get("scope"), c.get("count")] for c in crds.get("items") or []])
    images = facts.get("images") or {}
    lines += ["", "## Images", ""]
    lines += ["%d unique image(s) in %d repositories." % (images.get("unique", 0), images.get("repositories", 0)), ""]
    lines += _md_table(["registry", "images"], [[k, v] for k, v in sorted((images.get("registries") or {}).items())])
    return "\n".join(lines) + "\n"


def svg_namespace_chart(rows, width=760):
    """Horizontal bar chart: workloads and requested vCPU per namespace, each on its own scale."""
    esc = html.escape
    bar_h, gap, label_w, top = 12, 10, 190, 34
    height = top + max(1, len(rows)) * (2 * bar_h + gap) + 10
    plot_w = width - label_w - 70
    max_w = max([r[1] for r in rows] + [1])
    max_c = max([r[2] for r in rows] + [1])
    parts = ['<svg id="chart-namespaces" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'viewBox="0 0 %d %d" role="img" aria-label="Workloads and requested CPU by namespace">'
             % (width, height, width, height),
             '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (width, height),
             '<rect x="%d" y="8" width="12" height="12" fill="#2b6cb0"/>' % label_w,
             '<text x="%d" y="18" font-size="12" font-family="sans-serif">workloads</text>' % (label_w + 16),
             '<rect x="%d" y="8" width="12" height="12" fill="#dd6b20"/>' % (label_w + 110),
             '<text x="%d" y="18" font-size="12" font-family="sans-serif">requested vCPU</text>' % (label_w + 126)]
    if not rows:
        parts.append('<text x="%d" y="%d" font-size="12" font-family="sans-serif">no workloads</text>'
                     % (label_w, top + 12))
    for i, (ns, workloads, cpu_m) in enumerate(rows):
        y = top + i * (2 * bar_h + gap)
        w1 = max(1, int(round(plot_w * workloads / float(max_w)))) if workloads else 0
        w2 = max(1, int(round(plot_w * cpu_m / float(max_c)))) if cpu_m else 0
        parts.append('<text x="%d" y="%d" font-size="12" font-family="sans-serif" text-anchor="end">%s</text>'
                     % (label_w - 8, y + bar_h + 4, esc(ns)))
        parts.append('<rect class="bar-workloads" x="%d" y="%d" width="%d" height="%d" fill="#2b6cb0">'
                     '<title>%s: %d workloads</title></rect>' % (label_w, y, w1, bar_h, esc(ns), workloads))
        parts.append('<text x="%d" y="%d" font-size="10" font-family="sans-serif">%d</text>'
                     % (label_w + w1 + 4, y + bar_h - 2, workloads))
        parts.append('<rect class="bar-cpu" x="%d" y="%d" width="%d" height="%d" fill="#dd6b20">'
                     '<title>%s: %s vCPU requested</title></rect>' % (label_w, y + bar_h, w2, bar_h, esc(ns),
                                                                      _cores(cpu_m)))
        parts.append('<text x="%d" y="%d" font-size="10" font-family="sans-serif">%s</text>'
                     % (label_w + w2 + 4, y + 2 * bar_h - 2, _cores(cpu_m)))
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:24px;color:#1a202c;max-width:1100px}
h1{font-size:24px}h2{font-size:19px;border-bottom:1px solid #e2e8f0;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #e2e8f0;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f7fafc}.sev{font-weight:bold;padding:1px 6px;border-radius:3px}
.blocking{background:#fed7d7;color:#9b2c2c}.warning{background:#fefcbf;color:#744210}.info{background:#ebf8ff;
color:#2a4365}.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #e2e8f0;border-radius:6px;
padding:10px 14px;min-width:120px}.card b{display:block;font-size:22px}code,pre{background:#f7fafc;font-size:12px}
pre{padding:10px;overflow:auto}details{margin:2px 0}
"""


def render_html(doc):
    esc = html.escape
    facts = doc["facts"]
    summary = doc["summary"]
    proposal = doc["proposal"]
    version = facts.get("version") or {}
    nodes = facts.get("nodes") or {}
    workloads = facts.get("workloads") or {}
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>Source cluster assessment</title><style>%s</style></head><body>" % STYLE,
           "<h1>Source cluster assessment</h1>"]
    cards = [("Kubernetes", version.get("git_version")), ("Nodes", nodes.get("count", 0)),
             ("Namespaces", (facts.get("namespaces") or {}).get("count", 0)),
             ("Workloads", workloads.get("total", 0)), ("Requested vCPU", _cores(workloads.get("cpu_request_m"))),
             ("Unique images", (facts.get("images") or {}).get("unique", 0)),
             ("Blocking", summary["blocking"]), ("Warnings", summary["warning"])]
    card_html = "".join('<div class="card"><b>%s</b>%s</div>' % (esc(str(v)), esc(k)) for k, v in cards)
    out.append('<div class="cards">%s</div>' % card_html)
    out.append("<h2>Workloads and requested CPU by namespace</h2>")
    out.append(svg_namespace_chart(namespace_rows(facts)))
    n = proposal["nodes"]
    out.append("<h2>Proposed target</h2><ul><li>CCE Kubernetes version: <b>%s</b> (%s)</li>"
               "<li>Workers: <b>%d &times; %s</b> (%s)</li></ul>"
               % (esc(proposal["kubernetes_version"]), esc(proposal["version_reason"]), n["count"],
                  esc(n["flavor"]), esc(n["reason"])))
    proposal_yaml = ["storage_class_map:"]
    proposal_yaml += ["  %s: %s" % (k, v) for k, v in sorted(proposal["storage_class_map"].items())] or ["  {}"]
    proposal_yaml += ["registry_map:"]
    proposal_yaml += ["  - {from: %s, to: %s}" % (r["from"], r["to"]) for r in proposal["registry_map"]] or ["  []"]
    proposal_yaml += ["lb_annotation_rewrites:"]
    proposal_yaml += ["  %s: %s" % (k, v if v else "null")
                      for k, v in sorted(proposal["lb_annotation_rewrites"].items())] or ["  {}"]
    out.append("<pre>%s</pre>" % esc("\n".join(proposal_yaml)))
    out.append("<h2>Findings</h2><table><tr><th>severity</th><th>finding</th><th>affected</th><th>fix</th></tr>")
    for f in doc["findings"]:
        shown = f["affected"][:20]
        more = f["affected_total"] - len(shown)
        affected = "<br>".join(esc(str(a)) for a in shown) + (" &hellip; and %d more" % more if more > 0 else "")
        if not shown and f["affected_total"]:
            affected = "%d" % f["affected_total"]
        out.append('<tr><td><span class="sev %s">%s</span></td><td>%s</td><td>%s</td><td>%s</td></tr>'
                   % (f["severity"], f["severity"], esc(f["title"]), affected, esc(f["fix"])))
    out.append("</table>")
    out.append("<h2>Workloads by kind</h2><table><tr><th>kind</th><th>count</th><th>replicas/pods</th>"
               "<th>requested vCPU</th><th>requested memory</th></tr>")
    for kind, w in sorted((workloads.get("by_kind") or {}).items()):
        out.append("<tr><td>%s</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td></tr>"
                   % (esc(kind), w["count"], w["replicas"], _cores(w["cpu_request_m"]),
                      esc(format_bytes(w["memory_request_bytes"]))))
    out.append("</table><h2>Nodes</h2><table><tr><th>count</th><th>vCPU capacity</th><th>memory capacity</th>"
               "<th>instance types</th><th>zones</th><th>OS / runtime</th></tr>")
    out.append("<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr></table>"
               % (nodes.get("count", 0), _cores(nodes.get("cpu_capacity_m")),
                  esc(format_bytes(nodes.get("memory_capacity_bytes"))),
                  esc(", ".join("%s (%d)" % kv for kv in sorted((nodes.get("instance_types") or {}).items()))),
                  esc(", ".join("%s (%d)" % kv for kv in sorted((nodes.get("zones") or {}).items()))),
                  esc(", ".join(sorted(list(nodes.get("os_images") or {}) +
                                       list(nodes.get("container_runtimes") or {}))))))
    out.append("<h2>Objects by kind</h2><table><tr><th>kind</th><th>count</th><th>listed as</th></tr>")
    listed = (facts.get("api") or {}).get("listed_versions") or {}
    for kind, count in sorted((facts.get("counts") or {}).items()):
        out.append("<tr><td>%s</td><td>%d</td><td>%s</td></tr>" % (esc(kind), count, esc(listed.get(kind, ""))))
    out.append("</table><h2>Storage classes</h2><table><tr><th>name</th><th>provisioner</th><th>cloud</th>"
               "<th>kind</th><th>proposed CTyun class</th></tr>")
    for s in (facts.get("storage") or {}).get("storage_classes") or []:
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                   % (esc(s["name"] or ""), esc(s["provisioner"] or ""), esc(s.get("cloud") or ""),
                      esc(s.get("category") or "unknown"), esc(proposal["storage_class_map"].get(s["name"], ""))))
    out.append("</table><h2>Images by registry</h2><table><tr><th>registry</th><th>images</th></tr>")
    for reg, count in sorted(((facts.get("images") or {}).get("registries") or {}).items()):
        out.append("<tr><td>%s</td><td>%d</td></tr>" % (esc(reg), count))
    out.append("</table><p>ConfigMaps: %d, Secrets: %d (values never read), HPAs: %d, PDBs: %d, CRDs: %d with "
               "%d custom resources.</p>"
               % ((facts.get("config") or {}).get("configmaps", 0), (facts.get("config") or {}).get("secrets", 0),
                  (facts.get("hpa") or {}).get("count", 0), (facts.get("pdb") or {}).get("count", 0),
                  (facts.get("crds") or {}).get("count", 0), (facts.get("crds") or {}).get("custom_resources", 0)))
    out.append("</body></html>\n")
    return "\n".join(out)


def render_all(doc):
    return {"assessment.json": render_json(doc), "assessment.md": render_markdown(doc),
            "assessment.html": render_html(doc)}


def write_reports(module, doc, output_dir, check_mode=False):
    """Write the three files (``module`` is the AnsibleModule doing the atomic moves); returns
    (changed, {name: path}, [names that changed or would])."""
    rendered = render_all(doc)
    paths = dict((name, os.path.join(output_dir, name)) for name in FILES)
    changed_files = []
    for name in FILES:
        if write_file(module, paths[name], rendered[name], mode=0o644, check_mode=check_mode, dir_mode=0o755):
            changed_files.append(name)
    return bool(changed_files), paths, changed_files
