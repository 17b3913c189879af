"""Returned keys against the module's RETURN documentation.

``run_module`` calls :func:`undocumented` on every successful result, so every test that runs a
module through its entry point also checks that each top-level key it got back is documented in
RETURN (and, where RETURN documents ``contains``, the keys of returned dicts one level down).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# Keys Ansible's module machinery adds to every result.
COMMON = {"changed", "failed", "msg", "diff", "invocation", "warnings", "deprecations", "skipped", "exception"}


@functools.cache
def return_doc(module):
    source = (REPO / "plugins" / "modules" / ("%s.py" % module)).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETURN" for t in node.targets):
            return yaml.safe_load(node.value.value) or {}
    raise AssertionError("module %s has no RETURN" % module)


def undocumented(module, result):
    """Sorted keys of ``result`` (``a`` or ``a.b``) missing from the module's RETURN."""
    doc = return_doc(module)
    missing = []
    for key, value in result.items():
        if key in COMMON:
            continue
        if key not in doc:
            missing.append(key)
            continue
        contains = (doc[key] or {}).get("contains")
        if contains and isinstance(value, dict) and doc[key].get("type") == "dict":
            missing += ["%s.%s" % (key, sub) for sub in value if sub not in contains]
        elif contains and isinstance(value, list) and value and isinstance(value[0], dict):
            missing += sorted(set("%s[].%s" % (key, sub) for item in value for sub in item if sub not in contains))
    return sorted(missing)
