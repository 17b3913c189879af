"""`make bench`: run every benchmark, print the figures and write docs/benchmarks.md.

Each benchmark is a script in this folder run as its own process. A script may print
lines ``RESULT {json}``; their figures go into the table. The whole output of each
script is kept in the document too, with the exact command that produced it, so a
reader can re-run it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "benchmarks.md"

# (title, command, environment, target) — target is the figure the requirements set.
BENCHES = [
    ("Lab throughput (32 concurrent clients)", ["tests/bench/bench_lab.py"], {}, ">= 300 requests/s"),
    ("Promote 1,000 Deployments (one task; concurrency 16 and 32 vs 1)", ["tests/bench/bench_promote.py"],
     {"LAB_WORKLOADS": "1000", "LAB_LATENCY_MS": "20"}, "<= 15 s and >= 10x faster than concurrency 1"),
    ("One shift step over 200 workloads, gates off", ["tests/bench/bench_shift.py"],
     {"LAB_LATENCY_MS": "20"}, "<= 5 s beyond the lab readiness delay"),
    ("Assessment of 5,000 objects (time, peak RSS)", ["tests/bench/bench_assess.py"],
     {"LAB_LATENCY_MS": "20"}, "<= 10 s, peak RSS <= 300 MB"),
    ("Full make demo", ["tests/bench/bench_demo.py"], {}, "<= 180 s"),
]


def run(title, script, env, target, only):
    if only and not any(word in script[0] for word in only):
        return None
    path = REPO / script[0]
    if not path.exists():
        return dict(title=title, command="(missing: %s)" % script[0], target=target, rc=None,
                    seconds=None, results=[], output="benchmark script not present")
    cmd = [sys.executable] + [str(REPO / s) if i == 0 else s for i, s in enumerate(script)]
    shown = " ".join(["%s=%s" % kv for kv in env.items()] + [".venv/bin/python"] + script)
    print("== %s\n   %s" % (title, shown), flush=True)
    run_env = dict(os.environ)
    run_env.update(env)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=run_env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    output = (proc.stdout + proc.stderr).strip()
    results = []
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            try:
                results.append(json.loads(line[len("RESULT "):]))
            except ValueError:
                pass
    tail = "\n".join(output.splitlines()[-25:])
    print(tail, flush=True)
    return dict(title=title, command=shown, target=target, rc=proc.returncode, seconds=seconds,
                results=results, output=tail)


def write_doc(entries):
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (tests/bench/run_all.py). Figures come from the run on %s, on %s"
        " with %d CPU cores, Python %s." % (dt.date.today().isoformat(), platform.machine(),
                                            os.cpu_count() or 0, platform.python_version()),
        "Each benchmark starts its own lab; latency is injected by the lab (`LAB_LATENCY_MS`).",
        "",
        "| Benchmark | Target | Figures | Exit |",
        "|---|---|---|---|",
    ]
    for e in entries:
        figures = "; ".join(
            ", ".join("%s=%s" % (k, v) for k, v in r.items() if k != "name") for r in e["results"]) or "see output"
        lines.append("| %s | %s | %s | %s |" % (e["title"], e["target"], figures,
                                                 "n/a" if e["rc"] is None else e["rc"]))
    for e in entries:
        lines += ["", "## %s" % e["title"], "", "Command:", "", "```sh", e["command"], "```", "",
                  "Output (last lines):", "", "```text", e["output"], "```"]
    DOC.write_text("\n".join(lines) + "\n")
    print("wrote %s" % DOC.relative_to(REPO))


def main(argv):
    only = argv[1:]
    entries = [e for e in (run(*b, only=only) for b in BENCHES) if e]
    write_doc(entries)
    failed = [e["title"] for e in entries if e["rc"] not in (0, None)]
    if failed:
        print("benchmarks that failed: %s" % ", ".join(shlex.quote(f) for f in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
