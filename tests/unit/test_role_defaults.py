"""Role defaults: ``defaults/main.yml`` sets them (Ansible does not apply an argument spec's
``default``), ``meta/argument_specs.yml`` documents them; the two must say the same thing
(issue 17, point 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p.parent.parent.name for p in (Path(__file__).resolve().parents[2] / "roles").glob(
    "*/meta/argument_specs.yml"))
ROOT = Path(__file__).resolve().parents[2] / "roles"


def _load(role):
    defaults = yaml.safe_load((ROOT / role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((ROOT / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return defaults, specs


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_agree(role):
    defaults, specs = _load(role)
    options = specs["main"]["options"]
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "%s: defaults/main.yml sets options the argument spec does not document: %s" % (
        role, undocumented)
    differ = []
    for name, spec in options.items():
        if "default" in spec and name not in defaults:
            differ.append("%s: argument spec default %r, not set in defaults/main.yml" % (name, spec["default"]))
        elif name in defaults and "default" in spec and spec["default"] != defaults[name]:
            differ.append("%s: argument spec %r, defaults/main.yml %r" % (name, spec["default"], defaults[name]))
        elif name in defaults and "default" not in spec and defaults[name] not in (None, "", [], {}):
            # a default computed from other variables is described in words instead
            words = " ".join(spec.get("description") if isinstance(spec.get("description"), list)
                             else [spec.get("description") or ""]).lower()
            if "{{" not in repr(defaults[name]) or "default" not in words:
                differ.append("%s: defaults/main.yml %r is not documented as the default" % (name, defaults[name]))
    assert not differ, "%s:\n  %s" % (role, "\n  ".join(differ))
