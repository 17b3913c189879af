"""RETURN documentation: every module documents what it returns (issue 17, point 10).

The comparison of returned keys with RETURN runs on every successful module run of the test
suites (``tests/utils/modrun.py`` calls ``returndoc.undocumented``); these tests check the
documentation itself and the comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.returndoc import return_doc, undocumented

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_return_entries_are_complete(module):
    doc = return_doc(module)
    assert doc, module
    for key, entry in doc.items():
        for field in ("description", "returned", "type"):
            assert entry.get(field), "%s: RETURN %s has no %s" % (module, key, field)


def test_undocumented_keys_are_found_at_two_levels():
    result = dict(changed=True, files=["a"], report=dict(title="t", stages=[], surprise=1), extra=2)
    assert undocumented("migration_report", result) == ["extra", "report.surprise"]
    results = dict(changed=False, results=[dict(kind="Deployment", name="a", namespace="n", outcome="promoted",
                                                 bogus=1)], counts={}, policies=[], namespaces=[])
    assert undocumented("karmada_promote", results) == ["results[].bogus"]


@pytest.mark.parametrize("module", MODULES)
def test_documentation_and_examples_parse(module):
    import ast

    import yaml

    source = (Path(__file__).resolve().parents[2] / "plugins" / "modules" / ("%s.py" % module)).read_text()
    blocks = dict((n.targets[0].id, n.value.value) for n in ast.parse(source).body
                  if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) in ("DOCUMENTATION", "EXAMPLES"))
    assert set(blocks) == {"DOCUMENTATION", "EXAMPLES"}, module
    doc = yaml.safe_load(blocks["DOCUMENTATION"])
    assert doc["module"] == module and yaml.safe_load(blocks["EXAMPLES"])
