"""Stage records: every role writes its ``<stage>.json`` with the same mode (0600) and a status
from the report's one vocabulary (issue 17, points 9 and 10)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ansible_collections.ctyun.cce_migration.plugins.module_utils.report import render

REPO = Path(__file__).resolve().parents[2]


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks"):
            if key in node:
                yield from _tasks(node[key])


def record_writers():
    files = sorted(REPO.glob("roles/*/tasks/*.yml")) + sorted(REPO.glob("playbooks/*.yml"))
    for path in files:
        for task in _tasks(yaml.safe_load(path.read_text()) or []):
            copy = task.get("ansible.builtin.copy")
            if isinstance(copy, dict) and re.search(r"migration_workdir \}\}/\w+\.json$", str(copy.get("dest"))):
                yield path.relative_to(REPO), task, copy


def test_every_stage_record_is_written_0600():
    found = list(record_writers())
    stages = set(str(copy["dest"]).rsplit("/", 1)[1][:-5] for dummy, dummy2, copy in found)
    assert set(render.STAGES) <= stages, "a stage record writer was not found"
    for path, task, copy in found:
        assert str(copy.get("mode")) == "0600", (str(path), task.get("name"), copy.get("mode"))


def status_words(task):
    """The words a record writer can put in ``status``: quoted words of the status expression that
    are results, not operands of a comparison (``== 'running'``, ``in ['failed', 'error']``)."""
    text = repr(task).replace("\\'", "'")
    words = set()
    for match in re.finditer(r"status'?:\s*(\"\{\{.*?\}\}|'\{\{.*?\}\}|'[\w-]+')", text):
        expr = re.sub(r"==\s*'[\w-]*'|in \[[^\]]*\]|default\('[^']*'\)", "", match.group(1))
        words.update(re.findall(r"'([\w-]+)'", expr))
    return words


def test_stage_records_use_the_report_vocabulary():
    seen = {}
    for _path, task, copy in record_writers():
        seen[str(copy["dest"]).rsplit("/", 1)[1]] = status_words(task)
    assert all(seen.values()), seen
    unknown = dict((k, sorted(v - set(render.STATUSES))) for k, v in seen.items() if v - set(render.STATUSES))
    assert not unknown, unknown
