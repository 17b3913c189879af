"""make bench judges its own figures: a figure that misses its target makes the table say
"missed" and the run exit non-zero (issue 17, point 6)."""

from __future__ import annotations

import sys

from tests.bench import run_all

SCRIPT = """
import json, sys
print("RESULT " + json.dumps({"name": "fake", "seconds": float(sys.argv[1]), "errors": 0}))
"""


def _bench(tmp_path, monkeypatch, seconds, rc=0):
    script = tmp_path / "bench_fake.py"
    script.write_text(SCRIPT + ("sys.exit(%d)\n" % rc))
    doc = tmp_path / "benchmarks.md"
    monkeypatch.setattr(run_all, "DOC", doc)
    monkeypatch.setattr(run_all, "REPO", tmp_path)
    monkeypatch.setattr(run_all, "BENCHES", [
        ("Fake", [script.name, str(seconds)], {}, [("seconds", "<=", 15), ("errors", "==", 0)])])
    return run_all.main([sys.argv[0]]), doc.read_text()


def test_met_figures_exit_zero(tmp_path, monkeypatch):
    rc, doc = _bench(tmp_path, monkeypatch, 9.5)
    assert rc == 0
    assert "| Fake | seconds <= 15, errors == 0 | seconds=9.5, errors=0 | met |" in doc


def test_missed_figure_exits_non_zero_and_says_missed(tmp_path, monkeypatch):
    rc, doc = _bench(tmp_path, monkeypatch, 26.4)
    assert rc == 1
    assert "**missed** (seconds <= 15)" in doc


def test_script_failure_or_missing_figure_is_not_met(tmp_path, monkeypatch):
    rc, doc = _bench(tmp_path, monkeypatch, 1.0, rc=3)
    assert rc == 1 and "**failed** (exit 3)" in doc
    assert run_all.judge([{"other": 1}], [("seconds", "<=", 15)]) == [("seconds <= 15", None, False)]
    assert run_all.judge([{"seconds": True}], [("seconds", "<=", 15)])[0][2] is False
